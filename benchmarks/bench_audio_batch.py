"""Benchmark: `earwitness audio measure` as a user runs it, against ffmpeg, in one run.

Tasks (issue 16, each against its baseline in the same run, alternating):

1. one 180 s stereo 44.1 kHz 16-bit WAV: `python -m earwitness audio measure FILE --json`
   vs `ffmpeg -i FILE -af ebur128=peak=true -f null -`; goal ratio <= 1.0 (median);
2. a batch of 20 such files by one command (`--workers 2`, both cores) vs 20 ffmpeg runs
   one after another; goal ratio <= 0.5;
3. `earwitness --help` and `earwitness audio measure --help`; goal < 0.5 s;
4. a 2-hour mono 48 kHz 16-bit WAV (simulated noise, 1.3 GiB as float32) measured
   under an address-space cap (`RLIMIT_AS`, like `ulimit -v`): peak RSS (VmHWM) vs
   ffmpeg's on the same file.

The audio is built by looping the recordings in ../shared/audio/ (simulated length).
Run: /work/venv/bin/python benchmarks/bench_audio_batch.py [--repeats 3] [--skip-long]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import soundfile as sf

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "audio"
SECONDS, RATE, BATCH = 180, 44100, 20
LONG_S, LONG_RATE, CAP_GIB = 2 * 3600, 48000, 2.0
ENV = {**os.environ, "PYTHONPATH": str(ROOT), "OPENBLAS_NUM_THREADS": "1"}
_WRAPPER = """
import resource, runpy, sys
cap = int(float(sys.argv[1]) * 2**30)
resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
sys.argv = ["earwitness", *sys.argv[2:]]
try:
    runpy.run_module("earwitness", run_name="__main__")
finally:
    with open("/proc/self/status") as status:
        peak = next(int(l.split()[1]) for l in status if l.startswith("VmHWM:"))
    print(f"VmHWM {peak}", file=sys.stderr)
"""


def build(folder: Path, index: int) -> Path:
    recordings = sorted(SHARED.glob("*.ogg"))
    parts, total, turn = [], 0, index
    while total < SECONDS * RATE:
        samples, _ = sf.read(recordings[turn % len(recordings)], dtype="float32", always_2d=True)
        parts.append(samples * (0.5 + 0.02 * index))
        total += len(samples)
        turn += 1
    path = folder / f"bench_{index:02d}.wav"
    sf.write(path, np.concatenate(parts)[: SECONDS * RATE], RATE, subtype="PCM_16")
    return path


def timed(command: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, capture_output=True, check=True, env=ENV)
    return time.perf_counter() - start


def ffmpeg(path: Path) -> list[str]:
    return ["ffmpeg", "-nostats", "-hide_banner", "-i", str(path), "-af", "ebur128=peak=true",
            "-f", "null", "-"]  # fmt: skip


def ours(*args: str) -> list[str]:
    return [sys.executable, "-m", "earwitness", *args]


def peak_kib(command: list[str]) -> tuple[float, int]:
    """Wall time and peak RSS of a child (its own VmHWM via wait4's rusage is the
    parent's-inclusive maxrss on Linux, so ffmpeg is read through /usr/bin/time)."""
    start = time.perf_counter()
    completed = subprocess.run(
        ["/usr/bin/time", "-f", "MAXRSS %M", *command], capture_output=True, text=True, env=ENV
    )
    wall = time.perf_counter() - start
    if completed.returncode != 0:
        raise RuntimeError(completed.stderr[-1500:])
    line = next(x for x in completed.stderr.splitlines()[::-1] if x.startswith("MAXRSS"))
    return wall, int(line.split()[1])


def long_file(folder: Path) -> Path:
    path = folder / "long_2h_mono.wav"
    rng = np.random.default_rng(2)
    with sf.SoundFile(path, "w", LONG_RATE, 1, subtype="PCM_16") as handle:
        for _ in range(LONG_S // 60):
            handle.write((0.1 * rng.standard_normal(LONG_RATE * 60)).astype(np.float32))
    return path


def load() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--skip-long", action="store_true")
    args = parser.parse_args()
    print(f"load average at the start: {load()}")
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        files = [build(folder, i) for i in range(BATCH)]
        single_ours, single_ff = [], []
        for _ in range(args.repeats):
            single_ours.append(timed(ours("audio", "measure", str(files[0]), "--json")))
            single_ff.append(timed(ffmpeg(files[0])))
        pairs = [a / b for a, b in zip(single_ours, single_ff, strict=True)]
        print(f"1. one {SECONDS} s file: earwitness median {statistics.median(single_ours):.2f} s,"
              f" ffmpeg median {statistics.median(single_ff):.2f} s, ratio of medians "
              f"{statistics.median(single_ours) / statistics.median(single_ff):.2f}x "
              f"(pairs {min(pairs):.2f}-{max(pairs):.2f}x; goal <= 1.0)")  # fmt: skip
        batch_ours = timed(ours("audio", "measure", *map(str, files), "--json", "--workers", "2"))
        batch_ff = sum(timed(ffmpeg(path)) for path in files)
        print(f"2. batch of {BATCH}: earwitness one command {batch_ours:.2f} s, {BATCH} ffmpeg runs"
              f" {batch_ff:.2f} s, ratio {batch_ours / batch_ff:.2f}x (goal <= 0.5)")  # fmt: skip
        helps = [timed(ours("--help")) for _ in range(args.repeats)]
        measure_help = [timed(ours("audio", "measure", "--help")) for _ in range(args.repeats)]
        print(f"3. earwitness --help median {statistics.median(helps):.2f} s; audio measure --help"
              f" median {statistics.median(measure_help):.2f} s (goal < 0.5 s)")  # fmt: skip
        if not args.skip_long:
            path = long_file(folder)
            decoded = LONG_S * LONG_RATE * 4 / 2**20
            wall, rss = peak_kib(
                [sys.executable, "-c", _WRAPPER, str(CAP_GIB), "audio", "measure", str(path)]
            )
            ff_wall, ff_rss = peak_kib(ffmpeg(path))
            print(f"4. {LONG_S // 3600} h mono {LONG_RATE} Hz ({decoded:.0f} MiB as float32) under "
                  f"RLIMIT_AS {CAP_GIB} GiB: earwitness {wall:.1f} s, peak RSS {rss / 1024:.0f} "
                  f"MiB; ffmpeg {ff_wall:.1f} s, {ff_rss / 1024:.0f} MiB")  # fmt: skip
    print(f"load average at the end: {load()}")
    print(f"peak RSS of this benchmark process: "
          f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")  # fmt: skip


if __name__ == "__main__":
    main()
