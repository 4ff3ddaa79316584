"""Benchmark: the full earwitness audio metric set vs ffmpeg's ebur128 filter.

Task: measure a 180 s stereo 44.1 kHz 16-bit WAV built by looping the recordings in
../shared/audio/. Baseline, in the same run: `ffmpeg -i FILE -af ebur128=peak=true
-f null -` (integrated loudness, LRA and true peak only). Both are timed end to end
(file read included), alternating, best of N. Goal: ratio <= 1.0 and peak memory of
the measuring process <= 4x the decoded float32 audio.

Run: .venv/bin/python benchmarks/bench_audio_metrics.py [--repeats 3]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import soundfile as sf

SHARED = Path(__file__).resolve().parents[2] / "shared" / "audio"
SECONDS, RATE = 180, 44100

_CHILD = """
import json, sys, time
start = time.perf_counter()
from earwitness.analysis import measure_file
imported = time.perf_counter()
metrics = measure_file(sys.argv[1])
done = time.perf_counter()
# VmHWM, the high-water mark of this process's own memory: ru_maxrss would also count
# the benchmark parent, whose RSS the child inherits at fork/exec on Linux
with open("/proc/self/status") as status:
    peak_kib = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
print(json.dumps({"seconds": done - start, "compute": done - imported, "peak_kib": peak_kib}))
"""


def build_file(folder: Path) -> Path:
    parts, total = [], 0
    recordings = sorted(SHARED.glob("*.ogg"))
    while total < SECONDS * RATE:
        for recording in recordings:
            samples, rate = sf.read(recording, dtype="float32", always_2d=True)
            assert rate == RATE
            parts.append(samples)
            total += len(samples)
    path = folder / "bench_180s.wav"
    sf.write(path, np.concatenate(parts)[: SECONDS * RATE], RATE, subtype="PCM_16")
    return path


def run_ours(path: Path) -> dict[str, float]:
    # a fresh process per run, so peak RSS is this measurement's own (imports included);
    # "wall" is timed from here, like ffmpeg's, so interpreter start-up counts too
    start = time.perf_counter()
    completed = subprocess.run(
        [sys.executable, "-c", _CHILD, str(path)], capture_output=True, text=True, check=True
    )
    wall = time.perf_counter() - start
    return {**json.loads(completed.stdout), "wall": wall}


def run_ffmpeg(path: Path) -> float:
    start = time.perf_counter()
    subprocess.run(
        ["ffmpeg", "-nostats", "-hide_banner", "-i", str(path), "-af", "ebur128=peak=true",
         "-f", "null", "-"],
        capture_output=True, check=True,
    )  # fmt: skip
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = build_file(Path(folder))
        ours, compute, theirs, peaks = [], [], [], []
        for _ in range(args.repeats):
            result = run_ours(path)
            ours.append(result["wall"])
            compute.append(result["compute"])
            peaks.append(result["peak_kib"])
            theirs.append(run_ffmpeg(path))
    decoded_mib = SECONDS * RATE * 2 * 4 / 2**20
    peak_mib = max(peaks) / 1024
    runs_ours = ", ".join(f"{t:.2f}" for t in ours)
    runs_theirs = ", ".join(f"{t:.2f}" for t in theirs)
    print(f"file: {SECONDS} s stereo {RATE} Hz PCM_16 WAV; repeats: {args.repeats}")
    print(f"earwitness full metric set (whole process, start-up, imports): {min(ours):.2f} s")
    print(f"  runs: {runs_ours}")
    print(f"ffmpeg ebur128=peak=true: best {min(theirs):.2f} s")
    print(f"  runs: {runs_theirs}")
    print(f"ratio (best/best): {min(ours) / min(theirs):.2f}x ffmpeg (goal <= 1.0)")
    ratios = ", ".join(f"{a / b:.2f}" for a, b in zip(ours, theirs, strict=True))
    print(f"  ratio of each alternating pair: {ratios}")
    with open("/proc/loadavg") as handle:
        print(f"  load average at the end: {' '.join(handle.read().split()[:3])}")
    print(f"  read + measure without interpreter start and imports: best {min(compute):.2f} s,")
    print(f"  {min(compute) / min(theirs):.2f}x ffmpeg")
    print(f"peak memory: {peak_mib:.0f} MiB = {peak_mib / decoded_mib:.2f}x the decoded float32")
    print(f"  audio ({decoded_mib:.0f} MiB; goal <= 4.0; interpreter and imports included)")


if __name__ == "__main__":
    main()
