"""Benchmark: what a partition costs earwitness.partitions beyond its own work.

For docs/scale.md's prediction of a corpus too large for this machine, in one run:
- cluster start: the wall time to start a LocalCluster of N workers;
- scheduler overhead per partition: wall time of N partitions that each only return a
  Parquet payload of the given size, on ``local:N``, divided by the partition count,
  against the same partitions in-process (the baseline);
- Parquet exchange: encode + decode time and size of a typical text partition
  (SIMULATED rows: 2,000 comments of 300 characters with ids and a score).

Run: .venv/bin/python benchmarks/bench_scale_overhead.py [--partitions 400] [--workers 2]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import string
import time

from earwitness.partitions import (
    from_parquet,
    map_partitions,
    parse_scheduler,
    scheduler_client,
    to_parquet,
)

ROWS = 2000
TEXT_CHARS = 300


def simulated_partition(seed: int, rows: int = ROWS) -> list[dict[str, object]]:
    chance = random.Random(seed)
    letters = string.ascii_lowercase + " " * 6
    return [
        {
            "document_id": seed * rows + i,
            "text": "".join(chance.choice(letters) for _ in range(TEXT_CHARS)),
            "score": chance.random(),
            "simulated": True,
        }
        for i in range(rows)
    ]


def echo_partition(payload: bytes) -> int:
    """A worker's least possible work on a partition: read it back."""
    return from_parquet(payload).num_rows


def timed(function, *args, repeat: int = 3) -> float:  # type: ignore[no-untyped-def]
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        function(*args)
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--partitions", type=int, default=400)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    rows = simulated_partition(1)
    payload = to_parquet(rows)
    encode_s = timed(to_parquet, rows)
    decode_s = timed(from_parquet, payload)
    partitions = [payload] * args.partitions

    start = time.perf_counter()
    list(map_partitions(echo_partition, partitions, scheduler=parse_scheduler(""), label="in"))
    in_process_s = time.perf_counter() - start

    local = parse_scheduler(f"local:{args.workers}")
    start = time.perf_counter()
    with scheduler_client(local) as client:
        started_s = time.perf_counter() - start
        start = time.perf_counter()
        list(map_partitions(echo_partition, partitions, scheduler=local, label="d", client=client))
        distributed_s = time.perf_counter() - start
    report = {
        "partitions": args.partitions,
        "workers": args.workers,
        "partition_rows": ROWS,
        "partition_parquet_bytes": len(payload),
        "parquet_encode_ms": round(encode_s * 1000, 2),
        "parquet_decode_ms": round(decode_s * 1000, 2),
        "cluster_start_s": round(started_s, 2),
        "in_process_ms_per_partition": round(in_process_s / args.partitions * 1000, 3),
        "distributed_ms_per_partition": round(distributed_s / args.partitions * 1000, 3),
        "overhead_ms_per_partition": round(
            (distributed_s - in_process_s) / args.partitions * 1000, 3
        ),
        "driver_peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "load_1min": round(os.getloadavg()[0], 2),
        "cores": os.cpu_count(),
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
