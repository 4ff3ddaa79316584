"""Benchmark: the dashboard as a person sees it, in headless Chromium, at 1,000,000 documents.

SYNTHETIC, LABELLED DATA: the study of ``bench_dashboard.py`` (seeded; 1,000,000 posts
marked [SYNTHETIC], 100 songs, the demo's SIMULATED survey).

The real server (``earwitness.dashboard.streamlit_command``) and Debian's Chromium driven by
Playwright (``executable_path``; no browser is downloaded). After the first load of every
page (timed, not counted), 20 actions alternate a page change (a click in the navigation)
with a new filter value (a user group, a service, a source or a song added in the sidebar;
every value is new, so its data are not cached yet). An action is timed from the click
until the app has run the page again and its charts are drawn (Streamlit's
``data-test-script-state`` back to ``notRunning`` after a run, then every Plotly chart's SVG
present), which is what a person waits for.

Baseline, same run and same actions: the same server on a study of 1,000 documents made by
the same generator (Streamlit's own cost, and the browser's, with next to no data).
Goal: p95 <= 2 s at 1,000,000 documents. Prints p50/p95 per kind of action,
the ratio to the baseline, the server's peak memory (VmHWM) and the load average.

Run: nice .venv/bin/python benchmarks/bench_dashboard_browser.py [--documents 1000000]
     [--keep DIR] [--actions 20]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "benchmarks"), str(ROOT)]

from bench_dashboard import generate  # noqa: E402

from tests.helpers import dashboard_server  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
PAGES = {  # url path -> title in the navigation
    "overview": "Overview",
    "voices": "Voices",
    "stance": "Stance",
    "survey": "Survey",
    "masters": "Masters",
    "listening": "Listening",
    "sentiment-quality": "Sentiment × quality",
    "export": "Export",
}
FILTERS = [  # (sidebar widget label, option to add): each a new filter value
    ("User group", "amateur"), ("Service", "LANDR"), ("Source", "reddit"),
    ("Song", "SYNTHETIC song 001"), ("User group", "pro-am"), ("Service", "eMastered"),
    ("Song", "SYNTHETIC song 002"), ("User group", "professional"), ("Service", "RoEx"),
    ("Song", "SYNTHETIC song 003"),
]  # fmt: skip
WATCH = """() => {
  const app = document.querySelector("[data-testid='stApp']");
  window.__ewRan = false;
  if (window.__ewObserver) window.__ewObserver.disconnect();
  window.__ewObserver = new MutationObserver(() => {
    const state = app.getAttribute('data-test-script-state');
    if (state === 'running' || state === 'rerunRequested') window.__ewRan = true;
  });
  window.__ewObserver.observe(app, {attributes: true});
}"""
DONE = """() => {
  const app = document.querySelector("[data-testid='stApp']");
  const charts = [...document.querySelectorAll("[data-testid='stPlotlyChart']")];
  return window.__ewRan && app.getAttribute('data-test-script-state') === 'notRunning'
    && document.querySelectorAll("[data-stale='true']").length === 0
    && charts.every(chart => chart.querySelector('.js-plotly-plot .main-svg'));
}"""


def _vmhwm_mib(pid: int) -> float:
    with open(f"/proc/{pid}/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmHWM:")) / 1024


def _timed(page: Any, act: Callable[[], None], timeout_ms: int) -> float:
    page.evaluate(WATCH)
    began = time.perf_counter()
    act()
    page.wait_for_function(DONE, timeout=timeout_ms, polling=50)
    return time.perf_counter() - began


def _add_filter(page: Any, label: str, option: str) -> Callable[[], None]:
    def act() -> None:
        box = page.locator("[data-testid='stSidebar']").get_by_role("combobox", name=label)
        box.click()
        box.press_sequentially(option)
        page.get_by_role("option", name=option, exact=True).click()
        page.keyboard.press("Escape")

    return act


def _navigate(page: Any, title: str) -> Callable[[], None]:
    def act() -> None:
        page.locator("[data-testid='stSidebarNav'] a").filter(has_text=title).first.click()

    return act


def run_actions(url: str, n_actions: int, timeout_ms: int) -> dict[str, Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"],
        )  # fmt: skip
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        first: dict[str, float] = {}
        began = time.perf_counter()
        page.goto(f"{url}/", wait_until="domcontentloaded")
        page.wait_for_function(
            "() => document.querySelector(\"[data-testid='stApp']\")"
            "?.getAttribute('data-test-script-state') === 'notRunning'",
            timeout=timeout_ms,
        )
        first["overview"] = time.perf_counter() - began
        for path, title in list(PAGES.items())[1:]:
            first[path] = _timed(page, _navigate(page, title), timeout_ms)
        order = list(PAGES.items())
        actions: list[tuple[str, str, float]] = []
        for number in range(n_actions):
            if number % 2 == 0:
                path, title = order[(number // 2 + 2) % len(order)]
                actions.append(("page", path, _timed(page, _navigate(page, title), timeout_ms)))
            else:
                label, option = FILTERS[(number // 2) % len(FILTERS)]
                spent = _timed(page, _add_filter(page, label, option), timeout_ms)
                actions.append(("filter", f"{label}={option}", spent))
        browser.close()
    return {"first": first, "actions": actions}


def _summary(actions: list[tuple[str, str, float]], kind: str | None = None) -> dict[str, float]:
    times = np.array([t for k, _, t in actions if kind is None or k == kind])
    return {
        "n": len(times),
        "p50": float(np.percentile(times, 50)),
        "p95": float(np.percentile(times, 95)),
        "max": float(times.max()),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--documents", type=int, default=1_000_000)
    parser.add_argument("--songs", type=int, default=100)
    parser.add_argument("--actions", type=int, default=20)
    parser.add_argument("--timeout-s", type=float, default=300)
    parser.add_argument("--keep", type=Path, help="Build (or reuse) the study in this folder.")
    args = parser.parse_args()
    print(f"load average before: {os.getloadavg()}", flush=True)
    folder = args.keep or Path(tempfile.mkdtemp(prefix="ew-bench-browser-"))
    target = folder / "study"
    if not (target / "earwitness.toml").exists():
        began = time.perf_counter()
        generate(target, args.documents, args.songs)
        print(f"generated {args.documents:,} documents in {time.perf_counter() - began:.0f} s",
              flush=True)  # fmt: skip
    small = folder / "small"
    if not (small / "earwitness.toml").exists():
        generate(small, 1_000, 5)
    results = {}
    baseline = "baseline: 1,000 documents"
    for name, root in ((baseline, small), (f"{args.documents:,} documents", target)):
        with dashboard_server(root, attempts=480) as (url, process):
            results[name] = run_actions(url, args.actions, int(args.timeout_s * 1000))
            results[name]["peak_mib"] = _vmhwm_mib(process.pid)
    base = _summary(results[baseline]["actions"])
    for name, result in results.items():
        print(f"\n== {name} (server peak memory {result['peak_mib']:.0f} MiB)")
        print("first loads: " + ", ".join(f"{p} {t:.2f} s" for p, t in result["first"].items()))
        for kind, what, spent in result["actions"]:
            print(f"  {kind:6s} {what:32s} {spent:6.2f} s")
        for kind in ("page", "filter", None):
            s = _summary(result["actions"], kind)
            ratio = s["p95"] / base["p95"]
            print(f"  {kind or 'all':6s} n={s['n']:2d} p50 {s['p50']:5.2f} s  p95 {s['p95']:5.2f} s"
                  f"  max {s['max']:5.2f} s  p95/baseline {ratio:5.1f}")  # fmt: skip
    worst = _summary(results[f"{args.documents:,} documents"]["actions"])["p95"]
    print(f"\np95 over {args.actions} actions: {worst:.2f} s (goal <= 2 s)")
    print(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
