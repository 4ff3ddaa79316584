"""Benchmark: masking ordinary prose with the international phone rule.

Input: the bodies of the real Pushshift sample (../shared/fixtures/pushshift/RC_*.zst,
769 r/science comments), split into sentences, repeated to ``--sentences``. Baseline in
the same run: the masker of commit ``--baseline`` (default bfbe54c, before the
international phone rule), loaded from git. Prints both timings (best of 5), their ratio,
the share of sentences each one changed, and the peak traced memory.

Run: .venv/bin/python benchmarks/bench_privacy.py [--sentences 5000] [--baseline REV]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path
from typing import Any

import zstandard

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = next((ROOT.parent / "shared" / "fixtures" / "pushshift").glob("RC_*.zst"))


def sentences(count: int) -> list[str]:
    with SAMPLE.open("rb") as handle:
        lines = zstandard.ZstdDecompressor().stream_reader(handle).read().splitlines()
    bodies = [json.loads(line).get("body", "") for line in lines if line.strip()]
    found = [s.strip() for b in bodies for s in re.split(r"(?<=[.!?])\s+", b) if s.strip()]
    return (found * (count // len(found) + 1))[:count]


def baseline_masker(revision: str) -> Any:
    source = subprocess.run(
        ["git", "-C", str(ROOT), "show", f"{revision}:earwitness/privacy.py"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    with tempfile.NamedTemporaryFile("w", suffix=".py", delete=False) as handle:
        handle.write(source)
    spec = importlib.util.spec_from_file_location("baseline_privacy", handle.name)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["baseline_privacy"] = module
    spec.loader.exec_module(module)
    os.unlink(handle.name)
    return module.Masker()


def best_of(mask: Any, texts: list[str], runs: int = 5) -> float:
    best = float("inf")
    for _ in range(runs):
        start = time.perf_counter()
        for text in texts:
            mask(text)
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sentences", type=int, default=5000)
    parser.add_argument("--baseline", default="bfbe54c")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    from earwitness.privacy import Masker

    texts = sentences(args.sentences)
    old, new = baseline_masker(args.baseline), Masker()
    t_old, t_new = best_of(old.mask, texts), best_of(new.mask, texts)
    changed_old = sum(old.mask(t) != t for t in texts)
    changed_new = sum(new.mask(t) != t for t in texts)
    tracemalloc.start()
    for text in texts:
        new.mask(text)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    print(f"{len(texts)} sentences, load {os.getloadavg()[0]:.2f}")
    print(f"baseline {args.baseline}: {t_old * 1e3:.1f} ms, changed {changed_old}")
    print(f"earwitness:        {t_new * 1e3:.1f} ms, changed {changed_new}")
    print(f"ratio {t_new / t_old:.2f}x; peak traced {peak / 2**20:.2f} MiB")


if __name__ == "__main__":
    main()
