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
Each comparison alternates (A, B, A, B ...) and reports medians of wall time, CPU time
(user + system) and peak RSS, all read by /usr/bin/time for both sides. Task 1b runs a
VBR MP3 of the same audio (issue 25: compressed files are decoded by FFmpeg via PyAV).
Run: python benchmarks/bench_audio_batch.py [--repeats 5] [--batch-repeats 2] [--skip-long]
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
SHARED = Path(os.environ.get("EARWITNESS_SHARED", ROOT.parent / "shared")) / "audio"
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


def measured(command: list[str]) -> tuple[float, float, int]:
    """Wall time (s), CPU time (user + system, s) and peak RSS (KiB) of one child."""
    start = time.perf_counter()
    completed = subprocess.run(
        ["/usr/bin/time", "-f", "TIMED %U %S %M", *command],
        capture_output=True, text=True, env=ENV,
    )  # fmt: skip
    wall = time.perf_counter() - start
    if completed.returncode != 0:
        raise RuntimeError(completed.stderr[-1500:])
    line = next(x for x in completed.stderr.splitlines()[::-1] if x.startswith("TIMED"))
    user, system, rss = line.split()[1:]
    return wall, float(user) + float(system), int(rss)


def interleaved(ours_cmd: list[str], base_cmd: list[str], repeats: int) -> str:
    """A, B, A, B ...: medians of wall, CPU and peak RSS, and their ratios."""
    a, b = [], []
    for _ in range(repeats):
        a.append(measured(ours_cmd))
        b.append(measured(base_cmd))
    med = [[statistics.median(run[i] for run in side) for i in range(3)] for side in (a, b)]
    pairs = [x[0] / y[0] for x, y in zip(a, b, strict=True)]
    return (
        f"wall {med[0][0]:.2f} s vs {med[1][0]:.2f} s = {med[0][0] / med[1][0]:.2f}x "
        f"(pairs {min(pairs):.2f}-{max(pairs):.2f}x); CPU {med[0][1]:.2f} s vs "
        f"{med[1][1]:.2f} s = {med[0][1] / med[1][1]:.2f}x; peak RSS {med[0][2] / 1024:.0f} "
        f"vs {med[1][2] / 1024:.0f} MiB"
    )


def batch_pair(files: list[Path]) -> tuple[tuple[float, float, int], tuple[float, float, int]]:
    ours_run = measured(ours("audio", "measure", *map(str, files), "--json", "--workers", "2"))
    runs = [measured(ffmpeg(path)) for path in files]
    return ours_run, (sum(r[0] for r in runs), sum(r[1] for r in runs), max(r[2] for r in runs))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--batch-repeats", type=int, default=2)
    parser.add_argument("--skip-long", action="store_true")
    args = parser.parse_args()
    print(f"load average at the start: {load()}")
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        files = [build(folder, i) for i in range(BATCH)]
        single = interleaved(
            ours("audio", "measure", str(files[0]), "--json"), ffmpeg(files[0]), args.repeats
        )
        print(f"1. one {SECONDS} s stereo WAV, earwitness vs ffmpeg, medians of {args.repeats}"
              f" alternating pairs: {single}")  # fmt: skip
        mp3 = folder / "bench.mp3"
        subprocess.run(["ffmpeg", "-v", "error", "-i", str(files[0]), "-c:a", "libmp3lame",
                        "-q:a", "2", str(mp3)], check=True)  # fmt: skip
        coded = interleaved(ours("audio", "measure", str(mp3), "--json"), ffmpeg(mp3), args.repeats)
        print(f"1b. the same as VBR MP3 (decoding on both sides): {coded}")
        ratios = []
        for _ in range(args.batch_repeats):
            (w1, c1, r1), (w2, c2, r2) = batch_pair(files)
            ratios.append(w1 / w2)
            print(f"2. batch of {BATCH}, one command --workers 2 vs {BATCH} ffmpeg runs: wall "
                  f"{w1:.2f} s vs {w2:.2f} s = {w1 / w2:.2f}x; CPU {c1:.2f} s vs {c2:.2f} s = "
                  f"{c1 / c2:.2f}x; peak RSS {r1 / 1024:.0f} vs {r2 / 1024:.0f} MiB")  # fmt: skip
        print(f"2. batch ratio median {statistics.median(ratios):.2f}x (goal <= 0.5)")
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
