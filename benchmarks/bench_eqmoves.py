"""Benchmark: the full Shtern et al. (2018) reproduction, faithful vs improved method.

Task: render the seeded rock corpus, apply n sets of EQ operations to every clip for the
nine datasets, and score both methods on held-out songs (and on the paper's likely split
by clip), plus the rock-trained models on the real recordings of ../shared/audio (other
genres, Table 3). Baseline, in the same run: the faithful method (CatBoost MultiClass
on |A(orig) - A(eq)|). Prints Tables 1-3, the improved/faithful ratio of correct answers,
the run's wall time, peak memory and the load average; writes OUT/report.json.

Simulated data: the rock songs are generated MIDI rendered with FluidSynth.

Run: .venv/bin/python benchmarks/bench_eqmoves.py [--songs 24] [--sets 14]
     [--iterations 1000] [--border-count 32] [--out DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time
from pathlib import Path

from earwitness.analysis.eqmoves._repro import ReproConfig, run_shtern2018

SHARED = Path(__file__).resolve().parents[2] / "shared" / "audio"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--songs", type=int, default=24)
    parser.add_argument("--sets", type=int, default=14)
    parser.add_argument("--iterations", type=int, default=1000)
    parser.add_argument("--border-count", type=int, default=None)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--out", type=Path, default=Path("/tmp/earwitness-shtern2018"))
    args = parser.parse_args()
    config = ReproConfig(
        songs=args.songs,
        n_sets=args.sets,
        iterations=args.iterations,
        border_count=args.border_count,
        workers=args.workers,
    )
    load_before = os.getloadavg()
    start = time.perf_counter()
    rows = run_shtern2018(config, args.out, sorted(SHARED.glob("*.ogg")))
    seconds = time.perf_counter() - start
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children_mib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    report = {
        "config": config.__dict__,
        "seconds": round(seconds, 1),
        "peak_mib": round(peak_mib, 1),
        "peak_child_mib": round(children_mib, 1),
        "load_before": load_before,
        "load_after": os.getloadavg(),
        "rows": rows,
    }
    (args.out / "report.json").write_text(json.dumps(report, indent=1))
    for table in ("1", "2", "3"):
        print(f"\nTable {table}")
        chosen = [r for r in rows if r["table"] == table]
        for row in chosen:
            print(
                f"  {row['dataset']:9s} {row['split']:12s} {row['method']:14s} "
                f"{row['accuracy_pct']:6.1f} [{row['ci95_low_pct']:5.1f}, "
                f"{row['ci95_high_pct']:5.1f}]  paper {row['paper_pct']}  n={row['n_test']}"
            )
        for split in ("song", "clip", "rock->other"):
            pairs = {
                (r["dataset"], r["method"]): r["correct"] for r in chosen if r["split"] == split
            }
            faithful = sum(v for (_, m), v in pairs.items() if m == "faithful")
            improved = sum(v for (_, m), v in pairs.items() if m == "improved")
            if faithful:
                print(f"  {split}: improved/faithful correct = {improved / faithful:.3f}")
    print(
        f"\n{seconds:.0f} s; peak {peak_mib:.0f} MiB (workers {children_mib:.0f} MiB); "
        f"load {load_before} -> {os.getloadavg()}",
        file=sys.stderr,
    )


if __name__ == "__main__":
    main()
