"""Benchmark: 200 masters through `earwitness audio measure` on a LocalCluster (issue 26).

In one run, alternating (A, B, C, A, B, C ...), the same command as a user types it:

A. ``audio measure FILE×200 --json --workers 1``: one process, the baseline;
B. ``audio measure FILE×200 --json --scheduler local:2``: a Dask LocalCluster of two
   workers, one task per file (cluster start-up included); goal: B ≥ 1.8× as fast as A;
C. ``audio measure FILE×200 --json --workers 2``: the process pool of the default install;
D. B with Dask's own background work turned down by ``DASK_*`` environment variables
   (no profiler; event-loop, system and memory monitors polled less often).

Then, for docs/scale.md, the parts of B: the LocalCluster's start-up, the scheduler's cost
per task (200 tasks that do nothing, through ``map_partitions``), and the peak RSS
(VmHWM) of each worker after measuring 20 of the files.

The masters are short (60 s each instead of a song's 3-4 min, so that a run fits on a
shared machine): slices of the real recordings in ../shared/audio/ at their own offset and
gain, 16-bit stereo WAV (synthetic masters of real audio). Wall and CPU time and the peak
RSS of the largest process of each command come from /usr/bin/time. "Cores used on
average" (CPU / wall) shows what share of the machine a command got: on a machine shared
by other sessions, Linux's autogroup scheduling gives each session one fair share
whatever its number of processes, so a parallel command can only go faster when the
machine has idle cores.
Run: python benchmarks/bench_scale_audio.py [--files 200] [--seconds 60] [--repeats 1]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import soundfile as sf

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("EARWITNESS_SHARED", ROOT.parent / "shared")) / "audio"
ENV = {k: v for k, v in os.environ.items() if not k.startswith("EARWITNESS_")}
ENV["PYTHONPATH"] = str(ROOT)
# Dask's own configuration, by environment variables (no code): no statistical profiler,
# and its event-loop, system and memory monitors polled less often
QUIET_DASK = {
    "DASK_DISTRIBUTED__WORKER__PROFILE__ENABLED": "False",
    "DASK_DISTRIBUTED__ADMIN__TICK__INTERVAL": "500ms",
    "DASK_DISTRIBUTED__ADMIN__SYSTEM_MONITOR__INTERVAL": "2s",
    "DASK_DISTRIBUTED__WORKER__MEMORY__MONITOR_INTERVAL": "1s",
}


def masters(folder: Path, count: int, seconds: float) -> list[Path]:
    recordings = [
        sf.read(path, dtype="float32", always_2d=True) for path in sorted(SHARED.glob("*.ogg"))
    ]
    recordings = [(x, rate) for x, rate in recordings if len(x) > seconds * rate]
    paths = []
    for index in range(count):
        samples, rate = recordings[index % len(recordings)]
        length = int(seconds * rate)
        start = (index * 7919 * rate // 1000) % (len(samples) - length)
        path = folder / f"master_{index:03d}.wav"
        gain = 0.5 + 0.4 * ((index * 37) % 100) / 100
        sf.write(path, np.clip(samples[start : start + length] * gain, -1, 1), rate, "PCM_16")
        paths.append(path)
    return paths


def measured(command: list[str], extra: dict[str, str]) -> tuple[float, float, int]:
    """Wall time (s), CPU time of the command and its children (s), peak RSS (KiB)."""
    start = time.perf_counter()
    completed = subprocess.run(
        ["/usr/bin/time", "-f", "TIMED %U %S %M", *command],
        capture_output=True, text=True, env={**ENV, **extra},
    )  # fmt: skip
    wall = time.perf_counter() - start
    if completed.returncode != 0:
        raise RuntimeError(completed.stderr[-1500:])
    line = next(x for x in completed.stderr.splitlines()[::-1] if x.startswith("TIMED"))
    user, system, rss = line.split()[1:]
    return wall, float(user) + float(system), int(rss)


def load() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def nothing(index: int) -> int:
    return index


def vmhwm_kib() -> int:
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))


def scheduler_parts(files: list[Path]) -> str:
    """Start-up of a LocalCluster of two, cost per empty task, peak RSS per worker."""
    from earwitness.analysis.metrics._batch import measure_task
    from earwitness.partitions import map_partitions, parse_scheduler, scheduler_client

    local = parse_scheduler("local:2")
    start = time.perf_counter()
    with scheduler_client(local) as client:
        started = time.perf_counter() - start
        start = time.perf_counter()
        list(map_partitions(nothing, range(200), scheduler=local, label="empty", client=client))
        per_task = (time.perf_counter() - start) / 200
        jobs = [(str(path), {"full": True}) for path in files[:20]]
        list(map_partitions(measure_task, jobs, scheduler=local, label="20", client=client))
        peaks = sorted(client.run(vmhwm_kib).values())
    return (
        f"LocalCluster of 2 started in {started:.2f} s; 200 empty tasks: {1000 * per_task:.1f}"
        f" ms a task; peak RSS per worker after 20 files: "
        + ", ".join(f"{kib / 1024:.0f} MiB" for kib in peaks)
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--files", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--repeats", type=int, default=1)
    args = parser.parse_args()
    print(f"load average at the start: {load()}; {os.cpu_count()} cores", flush=True)
    with tempfile.TemporaryDirectory() as name:
        files = [str(p) for p in masters(Path(name), args.files, args.seconds)]
        base = [sys.executable, "-m", "earwitness", "audio", "measure", *files, "--json"]
        local = [*base, "--scheduler", "local:2"]
        commands: dict[str, tuple[list[str], dict[str, str]]] = {
            "one process (--workers 1)": ([*base, "--workers", "1"], {}),
            "Dask --scheduler local:2": (local, {}),
            "process pool (--workers 2)": ([*base, "--workers", "2"], {}),
            "Dask local:2, quieter Dask (DASK_* variables)": (local, QUIET_DASK),
        }
        runs: dict[str, list[tuple[float, float, int]]] = {key: [] for key in commands}
        for repeat in range(args.repeats):
            for key, (command, extra) in commands.items():
                runs[key].append(measured(command, extra))
                wall, cpu, rss = runs[key][-1]
                print(f"  round {repeat + 1}, {key}: wall {wall:.1f} s, CPU {cpu:.1f} s, largest "
                      f"process {rss / 1024:.0f} MiB, load {load()}", flush=True)  # fmt: skip
        single = statistics.median(run[0] for run in runs["one process (--workers 1)"])
        for key, values in runs.items():
            wall = statistics.median(run[0] for run in values)
            pairs = [
                a[0] / b[0] for a, b in zip(runs["one process (--workers 1)"], values, strict=True)
            ]
            cpu = statistics.median(run[1] for run in values)
            print(f"{args.files} masters of {args.seconds:g} s, {key}: median wall {wall:.1f} s "
                  f"({1000 * wall / args.files:.0f} ms a file), {single / wall:.2f}x the one "
                  f"process (pairs {min(pairs):.2f}-{max(pairs):.2f}x); CPU {cpu:.1f} s "
                  f"({1000 * cpu / args.files:.0f} ms a file), cores used on average "
                  f"{cpu / wall:.2f}")  # fmt: skip
        print(scheduler_parts([Path(f) for f in files]), flush=True)
    print(f"load average at the end: {load()}")


if __name__ == "__main__":
    main()
