"""EQ moves that count only EQ: known moves on real recordings, then a limiter, an MP3 round
trip or a sample-rate change, each made by the real tool (ffmpeg's alimiter, libmp3lame and
swresample).

    python benchmarks/bench_eqmoves_robust.py [--split dev|test] [--cases N] [--seed N]
        [--start S] [--json FILE]

Cases are drawn with a seed per split: the dev split (seed 1) is what the decoder was tuned
on; the test split (seed 2, other clips of the recordings) is reported. Once a test split has
been read, a fresh one is drawn with ``--seed`` and ``--start`` (docs/eqmoves.md lists every
seed used and what for). A start less than 30 s before a recording's end gives its last 30 s
(all of the 5.3 s trumpet): from ``--start 103`` on, every clip is the same, so a fresh seed
there draws fresh moves and settings on audio already read. Each case applies
1-4 peaking moves (widths 1/2-2 octaves, gains +-1-12 dB, centres 40 Hz-12 kHz at least one
octave and one width apart) with the cookbook filter to a 30 s clip, then one condition:

* ``eq``: nothing else;
* ``limit``: ffmpeg ``alimiter`` 6-10 dB below the clip's peak (attack 5 ms, release 50 ms);
* ``mp3``: libmp3lame at ``-q:a`` 0-6 (VBR), decoded back by ffmpeg;
* ``48k``: resampled to 48 kHz by ffmpeg;

and the same conditions with no EQ at all (``limit-only``, ``mp3-only``, ``48k-only``),
where the right answer is zero moves. A case is *exact* when the decoder returns as many
moves as were applied and each applied move is matched one to one by a decoded move with
the centre within 1/6 octave, the gain within 1 dB or 15 % and the width within a factor
2^(1/2). A second, diagnostic column, *in band*, applies the same test to the moves centred
inside the decoder's well-measured band alone (``measured_band_hz``): how many misses are
moves the two files give no coherent energy to measure, which the answer reports, rather
than errors inside the band. ``--json`` writes every case.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import permutations
from pathlib import Path
from typing import Any

import numpy as np
import soundfile as sf

from earwitness.analysis.eqmoves import EqOperation, apply_operations, estimate_moves, to_mono

SHARED = (
    Path(os.environ.get("EARWITNESS_SHARED", Path(__file__).resolve().parents[2] / "shared"))
    / "audio"
)
CONDITIONS = ("eq", "limit", "mp3", "48k", "limit-only", "mp3-only", "48k-only")


@dataclass
class Case:
    recording: str
    condition: str
    applied: list[EqOperation]
    decoded: list[EqOperation]
    lowpass_hz: float | None
    dynamics_db: float
    measured_band_hz: tuple[float, float]

    @property
    def exact(self) -> bool:
        return matches(self.applied, self.decoded)

    @property
    def exact_in_band(self) -> bool:
        low, high = self.measured_band_hz
        applied, decoded = ([o for o in moves if low <= o.freq_hz <= high]
                            for moves in (self.applied, self.decoded))  # fmt: skip
        return matches(applied, decoded)


def matches(applied: list[EqOperation], decoded: list[EqOperation]) -> bool:
    """One-to-one match of every applied move (see the module's docstring)."""
    if len(applied) != len(decoded):
        return False
    return any(
        all(_close(a, d) for a, d in zip(applied, order, strict=True))
        for order in permutations(decoded)
    )


def _close(a: EqOperation, d: EqOperation) -> bool:
    return (
        abs(math.log2(d.freq_hz / a.freq_hz)) <= 1 / 6
        and abs(d.gain_db - a.gain_db) <= max(1.0, 0.15 * abs(a.gain_db))
        and abs(math.log2(d.width_oct / a.width_oct)) <= 0.5
    )


def clip(path: Path, start_s: float, seconds: float = 30.0) -> tuple[np.ndarray, int]:
    x, rate = sf.read(path, dtype="float64")
    mono = to_mono(x)
    start = int(min(start_s, max(len(mono) / rate - seconds, 0)) * rate)
    mono = mono[start : start + int(seconds * rate)]
    return mono / np.abs(mono).max() * 10 ** (-12 / 20), rate


def draw_moves(rng: np.random.Generator, count: int) -> list[EqOperation]:
    """``count`` moves, centres at least an octave and a width apart."""
    while True:
        centres = np.sort(np.exp(rng.uniform(np.log(40.0), np.log(12000.0), count)))
        widths = 2.0 ** rng.uniform(-1.0, 1.0, count)
        gaps = np.diff(np.log2(centres))
        if np.all(gaps >= np.maximum(1.0, (widths[1:] + widths[:-1]) / 2)):
            gains = rng.uniform(1.0, 12.0, count) * rng.choice([-1.0, 1.0], count)
            return [
                EqOperation(float(c), float(g), float(w))
                for c, g, w in zip(centres, gains, widths, strict=True)
            ]


def ffmpeg(x: np.ndarray, rate: int, args: list[str], encode_mp3: bool = False) -> np.ndarray:
    with tempfile.TemporaryDirectory() as folder:
        source, target = Path(folder) / "in.wav", Path(folder) / "out.wav"
        sf.write(source, x, rate, subtype="FLOAT")
        if encode_mp3:
            mp3 = Path(folder) / "out.mp3"
            _run(["-i", str(source), *args, str(mp3)])
            _run(["-i", str(mp3), "-c:a", "pcm_f32le", str(target)])
        else:
            _run(["-i", str(source), *args, "-c:a", "pcm_f32le", str(target)])
        y, _ = sf.read(target, dtype="float64")
        return to_mono(y)


def _run(args: list[str]) -> None:
    subprocess.run(["ffmpeg", "-v", "error", "-y", *args], check=True)


def draw_setting(rng: np.random.Generator, condition: str) -> float | None:
    """The condition's random setting: the limiter's reduction below the peak (dB) or the
    MP3's ``-q:a``; None for the rest."""
    kind = condition.removesuffix("-only")
    if kind == "limit":
        return float(rng.uniform(6.0, 10.0))
    if kind == "mp3":
        return int(rng.integers(0, 7))
    return None


def process(x: np.ndarray, rate: int, condition: str, setting: float | None) -> tuple:
    kind = condition.removesuffix("-only")
    if kind == "limit":  # at peak 1.0: alimiter refuses limits under 0.0625 (quiet clips)
        assert setting is not None, "a limiter case draws its reduction"
        peak = float(np.abs(x).max())
        limit = float(10 ** (-setting / 20))
        args = ["-af", f"alimiter=limit={limit:.5f}:attack=5:release=50:level=false"]
        return ffmpeg(x / peak, rate, args) * peak, rate
    if kind == "mp3":
        return ffmpeg(x, rate, ["-c:a", "libmp3lame", "-q:a", str(setting)], True), rate
    if kind == "48k":
        return ffmpeg(x, rate, ["-ar", "48000"]), 48000
    return x, rate


SPLITS = {"dev": (1, 30.0), "test": (2, 75.0)}  # seed, clip start (s)


@dataclass
class Draw:
    """One case before it is processed: the clip, the condition and what was drawn for it."""

    recording: Path
    reference: np.ndarray
    rate: int
    condition: str
    moves: list[EqOperation]
    setting: float | None

    def equalised(self) -> np.ndarray:
        return apply_operations(self.reference, self.rate, self.moves)

    def candidate(self, equalised: np.ndarray | None = None) -> tuple[np.ndarray, int]:
        """The clip equalised by the moves (``equalised``, when already made), then
        processed: the file to decode."""
        equalised = self.equalised() if equalised is None else equalised
        return process(equalised, self.rate, self.condition, self.setting)


def draws(
    split: str, cases: int, seed: int | None = None, start: float | None = None
) -> Iterator[Draw]:
    """``cases`` per condition, in one random order for every benchmark that reads them;
    ``seed`` and ``start`` replace the split's for a fresh draw."""
    recordings = sorted(SHARED.glob("*.ogg"))
    rng = np.random.default_rng(SPLITS[split][0] if seed is None else seed)
    start = SPLITS[split][1] if start is None else start
    for i in range(cases):
        path = recordings[i % len(recordings)]
        reference, rate = clip(path, start)
        for condition in CONDITIONS:
            moves = [] if condition.endswith("-only") else draw_moves(rng, int(rng.integers(1, 5)))
            yield Draw(path, reference, rate, condition, moves, draw_setting(rng, condition))


def run(split: str, cases: int, seed: int | None = None, start: float | None = None) -> list[Case]:
    """Every drawn case decoded (see :func:`draws`)."""
    out = []
    for draw in draws(split, cases, seed, start):
        result = estimate_moves((draw.reference, draw.rate), draw.candidate())
        out.append(
            Case(
                draw.recording.name,
                draw.condition,
                draw.moves,
                result.operations,
                result.lowpass_hz,
                result.dynamics_db,
                result.measured_band_hz,
            )
        )
    return out


def summary(results: list[Case]) -> list[dict[str, Any]]:
    rows = []
    for condition in CONDITIONS:
        mine = [c for c in results if c.condition == condition]
        exact, in_band = sum(c.exact for c in mine), sum(c.exact_in_band for c in mine)
        share = round(100 * exact / max(len(mine), 1), 1)
        rows.append({"condition": condition, "cases": len(mine), "exact": exact, "pct": share,
                     "exact_in_band": in_band})  # fmt: skip
    return rows


def _brief(moves: list[EqOperation]) -> list[tuple[int, float, float]]:
    return [(round(o.freq_hz), round(o.gain_db, 1), round(o.width_oct, 2)) for o in moves]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--split", choices=("dev", "test"), default="dev")
    parser.add_argument("--cases", type=int, default=20)
    parser.add_argument("--seed", type=int, help="a fresh draw: this seed instead of the split's")
    parser.add_argument("--start", type=float, help="clip start (s) instead of the split's")
    parser.add_argument("--json", type=Path)
    options = parser.parse_args()
    started = time.perf_counter()
    results = run(options.split, options.cases, options.seed, options.start)
    print(f"{'condition':>11}  {'exact':>7}          in band")
    for row in summary(results):
        print(
            f"{row['condition']:>11}  {row['exact']:>3}/{row['cases']:<3} {row['pct']:5.1f} %"
            f"  {row['exact_in_band']:>3}/{row['cases']:<3}"
        )
    for case in results:
        if not case.exact:
            applied, decoded = _brief(case.applied), _brief(case.decoded)
            lowpass, dynamics = case.lowpass_hz, round(case.dynamics_db, 2)
            print("  miss", case.recording[:24], case.condition, applied, "->", decoded)
            band = [round(f) for f in case.measured_band_hz]
            print("       lowpass", lowpass, "dynamics", dynamics, "well measured", band)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{time.perf_counter() - started:.0f} s, peak {peak:.0f} MiB")
    if options.json:
        rows = [
            {**c.__dict__, "exact": c.exact, "exact_in_band": c.exact_in_band,
             "applied": [o.as_dict() for o in c.applied],
             "decoded": [o.as_dict() for o in c.decoded]}
            for c in results
        ]  # fmt: skip
        options.json.write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
