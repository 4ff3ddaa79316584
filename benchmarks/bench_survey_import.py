"""Benchmark: `earwitness import survey` on 5,000 and 50,000 respondents x 40 items.

SIMULATED DATA: a Qualtrics-style CSV (three header rows, ``ResponseId``, 40 five-point
items ``Q1``...``Q40`` with seeded random answers 1-5, no personal columns) written by
this script; no real respondent is in it.

Baseline, in the same run and on the same rows: pandas ``read_csv`` of the file, then
one plain ``executemany`` INSERT of every (respondent, item, value) row into an SQLite
table of the same shape as ``survey_responses`` (WAL, one transaction), i.e. the least
any importer of these rows must do. Reported per size: wall time of each, the ratio
import/baseline, the import's peak RSS (child process), and the scaling of 10x rows.

Goal (issue 18): 50,000 x 40 within 60 s here, and 10x the rows in at most 12x the time.

Run: /work/venv/bin/python benchmarks/bench_survey_import.py [--rows 5000,50000]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ITEMS = 40
ROOT = Path(__file__).resolve().parents[1]


def make_export(rows: int, target: Path, seed: int = 18) -> None:
    rng = random.Random(seed)
    codes = ["StartDate", "EndDate", "ResponseId"] + [f"Q{i}" for i in range(1, ITEMS + 1)]
    texts = ["Start Date", "End Date", "Response ID"] + [
        f"Statement {i} about AI mastering (1 = disagree, 5 = agree)" for i in range(1, ITEMS + 1)
    ]
    ids = ["startDate", "endDate", "_recordId"] + [f"QID{i}" for i in range(1, ITEMS + 1)]
    with target.open("w", encoding="utf-8", newline="") as out:
        out.write(",".join(codes) + "\n")
        out.write(",".join(texts) + "\n")
        out.write(",".join(f'"{{""ImportId"":""{i}""}}"' for i in ids) + "\n")
        for n in range(rows):
            answers = ",".join(str(rng.randint(1, 5)) for _ in range(ITEMS))
            out.write(f"2026-01-01 10:00:00,2026-01-01 10:05:00,R_sim{n:08d},{answers}\n")


def baseline(path: Path, folder: Path) -> float:
    """pandas read + one executemany of the same (respondent, item, value) rows."""
    import pandas as pd

    started = time.perf_counter()
    frame = pd.read_csv(path, skiprows=[1, 2], dtype=str)
    items = [f"Q{i}" for i in range(1, ITEMS + 1)]
    rows = [
        (respondent, item, value, float(value))
        for respondent, values in zip(
            frame["ResponseId"], frame[items].itertuples(index=False), strict=True
        )
        for item, value in zip(items, values, strict=True)
    ]
    connection = sqlite3.connect(folder / "baseline.db", isolation_level=None)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute(
        "CREATE TABLE responses (id INTEGER PRIMARY KEY, respondent TEXT, item TEXT, "
        "value TEXT, value_num REAL)"
    )
    connection.execute("BEGIN")
    connection.executemany(
        "INSERT INTO responses (respondent, item, value, value_num) VALUES (?, ?, ?, ?)", rows
    )
    connection.execute("COMMIT")
    connection.close()
    return time.perf_counter() - started


def run_import(path: Path, folder: Path) -> tuple[float, float]:
    """Wall time and peak RSS (MiB) of `earwitness import survey` in a child process."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    study = folder / "study"
    subprocess.run(
        [sys.executable, "-m", "earwitness", "init", str(study)],
        env=env,
        check=True,
        capture_output=True,
    )
    code = (
        "import resource, sys, time; from earwitness.cli import main\n"
        "t = time.perf_counter()\n"
        "try:\n    main(sys.argv[1:])\nexcept SystemExit as e:\n    assert not e.code, e.code\n"
        "print(time.perf_counter() - t, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, "--study", str(study), "import", "survey", str(path)],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    seconds, rss_kib = done.stdout.strip().splitlines()[-1].split()
    return float(seconds), int(rss_kib) / 1024


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", default="5000,50000")
    sizes = [int(n) for n in parser.parse_args().rows.split(",")]
    print(f"load average before: {os.getloadavg()}, cores: {os.cpu_count()}")
    results = []
    for rows in sizes:
        with tempfile.TemporaryDirectory() as folder_name:
            folder = Path(folder_name)
            export = folder / f"simulated-{rows}.csv"
            make_export(rows, export)
            base = baseline(export, folder)
            seconds, rss = run_import(export, folder)
        results.append(
            {
                "rows": rows,
                "items": ITEMS,
                "import_s": round(seconds, 2),
                "baseline_s": round(base, 2),
                "ratio": round(seconds / base, 2),
                "peak_rss_mib": round(rss),
                "load": os.getloadavg()[0],
            }
        )
        print(json.dumps(results[-1]), flush=True)
    if len(results) > 1:
        first, last = results[0], results[-1]
        growth = last["import_s"] / first["import_s"]
        print(
            f"{last['rows'] / first['rows']:.0f}x rows -> {growth:.1f}x import time "
            f"(goal <= 12x); largest within 60 s: {last['import_s'] <= 60}"
        )
    print(f"parent peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")


if __name__ == "__main__":
    main()
