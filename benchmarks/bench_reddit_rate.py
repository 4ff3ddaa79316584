"""Benchmark: how much of Reddit's rate allowance a collection uses, without a 429.

A local server on 127.0.0.1 enforces 100 requests per fixed 60-second window the way
Reddit announces it (``x-ratelimit-remaining``, ``-used``, ``-reset``) and answers 429
beyond it. It serves the recorded ``/r/askreddit/new`` page (PRAW's cassette) endlessly,
with a fresh ``after`` token each time, so the listing never runs out. The real
collector (PRAW, prawcore's rate limiter, the item writer on SQLite) runs for
``--seconds`` (default 120: kept short on this shared machine) with comments off.

Baseline: the allowance itself, 100 requests per minute. Reported: requests served,
the share of the allowance used over the whole windows elapsed (goal >= 90 %), 429s
(goal 0), time prawcore slept, and peak RSS.

Run: .venv/bin/python benchmarks/bench_reddit_rate.py [--seconds 120]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import resource
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.collect.conftest import LocalServer, Reply, write_praw_ini  # noqa: E402

LIMIT, WINDOW_S = 100, 60.0


class RateLimitedListing:
    def __init__(self, body: dict[str, Any]) -> None:
        self.body = body
        self.lock = threading.Lock()
        self.window_start = time.monotonic()
        self.used = 0
        self.served = 0
        self.refused = 0
        self.page = 0
        self.completed_windows: list[int] = []

    def __call__(self, _path: str, _params: object) -> Reply:
        with self.lock:
            now = time.monotonic()
            if now - self.window_start >= WINDOW_S:
                self.completed_windows.append(self.used)
                self.window_start += WINDOW_S * int((now - self.window_start) // WINDOW_S)
                self.used = 0
            reset = max(math.ceil(self.window_start + WINDOW_S - now), 0)  # whole seconds, up
            if self.used >= LIMIT:
                self.refused += 1
                return Reply(429, {"Retry-After": str(reset + 1)}, b"{}")
            self.used += 1
            self.served += 1
            self.page += 1
            page = json.loads(json.dumps(self.body))
            for child in page["data"]["children"]:
                child["data"]["id"] = f"{child['data']['id']}{self.page:x}"
            page["data"]["after"] = f"t3_bench{self.page:x}"
        headers = {
            "Content-Type": "application/json",
            "x-ratelimit-remaining": str(LIMIT - self.used),
            "x-ratelimit-used": str(self.used),
            "x-ratelimit-reset": str(reset),
        }
        return Reply(200, headers, json.dumps(page).encode())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=120.0)
    args = parser.parse_args()
    cassette = ROOT.parent / "shared/fixtures/reddit/TestSubredditListings.test_new.json"
    recorded = json.loads(cassette.read_text())["interactions"][1]["response"]["body"]["string"]
    server = LocalServer().start()
    listing = RateLimitedListing(json.loads(recorded))
    server.handlers.append(("/r/bench/new", listing))
    server.add_json(
        "POST",
        "/api/v1/access_token",
        {"access_token": "x", "token_type": "bearer", "expires_in": 3600, "scope": "*"},
    )

    from earwitness.collect._items import RunSummary
    from earwitness.collect._reddit import RedditCollector, RedditQuery
    from earwitness.study import init_study

    with tempfile.TemporaryDirectory() as folder:
        config = Path(folder) / "xdg"
        write_praw_ini(config, server.url, timeout=10)
        os.environ.update(XDG_CONFIG_HOME=str(config), PRAW_ALLOW_ENDPOINT_OVERRIDE="1")
        os.chdir(folder)
        study = init_study(Path(folder) / "study")
        study.settings["keep_raw"] = False
        deadline = time.monotonic() + args.seconds

        class Stop(Exception):
            pass

        def stop_at_deadline(_summary: RunSummary) -> None:
            if time.monotonic() >= deadline:
                raise Stop

        started = time.monotonic()
        with study.open_store() as store:
            collector = RedditCollector(study, store, comments=False, on_progress=stop_at_deadline)
            with contextlib.suppress(Stop):
                collector.run([RedditQuery("bench", "new")])
        elapsed = time.monotonic() - started
    server.stop()
    windows = len(listing.completed_windows)
    share = sum(listing.completed_windows) / (LIMIT * max(windows, 1))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"run {elapsed:.0f} s, allowance {LIMIT} requests per {WINDOW_S:.0f} s window")
    print(f"requests served {listing.served}, 429 responses {listing.refused}")
    print(f"requests in each completed window: {listing.completed_windows}")
    print(f"allowance used over {windows} completed windows: {share:.1%} (ratio {share:.2f})")
    print(f"prawcore rate-limit sleep {collector.summary.wait_s:.0f} s, peak RSS {peak:.0f} MB")


if __name__ == "__main__":
    main()
