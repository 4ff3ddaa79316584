"""SYNTHETIC audio for the demo: a seeded mix per song, a 'human' master and one master per
fictional service, each made by a known chain (shelving EQ, compression, limiting to a
loudness target) so that `earwitness audio compare` has something real to find.

EQ: RBJ Audio EQ Cookbook shelving biquads (Bristow-Johnson, shelf slope S = 1).
Compression: feed-forward, RMS detector, hard knee (Giannoulis, Massberg & Reiss 2012, JAES
60(6)). Loudness: ITU-R BS.1770 via :func:`earwitness.analysis.integrated_loudness`.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
from scipy import signal

from earwitness.analysis import integrated_loudness
from earwitness.demo._services import HUMAN_CHAIN, Chain

__all__ = ["RATE", "master", "shelf", "synth_mix", "write_song"]

RATE = 44_100


def synth_mix(rng: np.random.Generator, seconds: float = 8.0) -> np.ndarray:
    """A short stereo 'mix': chords, a kick and hi-hats from a seeded generator."""
    t = np.arange(int(RATE * seconds)) / RATE
    left, right = np.zeros_like(t), np.zeros_like(t)
    roots = rng.choice([98.0, 110.0, 123.47, 130.81, 146.83, 164.81], size=4)
    bar = seconds / 4
    for number, root in enumerate(roots):
        span = (t >= number * bar) & (t < (number + 1) * bar)
        for ratio, pan in ((1.0, 0.5), (1.25, 0.3), (1.5, 0.7), (2.0, 0.5)):
            tone = 0.08 * np.sin(2 * np.pi * root * ratio * t) * np.exp(-0.6 * (t % bar))
            left[span] += (1 - pan) * tone[span]
            right[span] += pan * tone[span]
    step = 60.0 / rng.uniform(80, 130)
    beat = t % step
    kick = 0.5 * np.sin(2 * np.pi * 55 * beat * (1 + 3 * np.exp(-30 * beat))) * np.exp(-12 * beat)
    hats = rng.normal(0, 1, t.size) * np.exp(-60 * ((t + step / 2) % step)) * 0.05
    hats = signal.sosfilt(signal.butter(4, 7000, "highpass", fs=RATE, output="sos"), hats)
    return 0.3 * np.stack([left + kick + hats, right + kick + 0.8 * hats], axis=1)


def shelf(gain_db: float, frequency: float, kind: str) -> tuple[np.ndarray, np.ndarray]:
    """RBJ cookbook low or high shelf (slope 1): (b, a) normalised to a0 = 1."""
    a = 10 ** (gain_db / 40)
    w0 = 2 * math.pi * frequency / RATE
    alpha = math.sin(w0) / 2 * math.sqrt(2)
    cos, root = math.cos(w0), 2 * math.sqrt(a) * alpha
    sign = 1 if kind == "low" else -1
    b = np.array([
        a * ((a + 1) - sign * (a - 1) * cos + root),
        sign * 2 * a * ((a - 1) - sign * (a + 1) * cos),
        a * ((a + 1) - sign * (a - 1) * cos - root),
    ])  # fmt: skip
    den = np.array([
        (a + 1) + sign * (a - 1) * cos + root,
        -sign * 2 * ((a - 1) + sign * (a + 1) * cos),
        (a + 1) + sign * (a - 1) * cos - root,
    ])  # fmt: skip
    return b / den[0], den / den[0]


def _compress(x: np.ndarray, threshold_db: float, ratio: float) -> np.ndarray:
    """Feed-forward compressor: RMS detector (10 ms), hard knee, 50 ms gain smoothing."""
    power = np.mean(x**2, axis=1)
    pole = math.exp(-1 / (0.01 * RATE))
    detector = signal.lfilter([1 - pole], [1, -pole], power)
    level_db = 10 * np.log10(np.maximum(detector, 1e-12))
    over = np.maximum(level_db - threshold_db, 0.0)
    target = -over * (1 - 1 / ratio)
    smooth = math.exp(-1 / (0.05 * RATE))  # 50 ms gain smoothing
    gain = signal.lfilter([1 - smooth], [1, -smooth], target)
    return x * (10 ** (gain / 20))[:, None]


def _limit(x: np.ndarray, ceiling_dbfs: float) -> np.ndarray:
    ceiling = 10 ** (ceiling_dbfs / 20)
    return ceiling * np.tanh(x / ceiling)


def master(mix: np.ndarray, chain: Chain) -> np.ndarray:
    """EQ, compression, then gain and limiting until the loudness target is met (±0.5 LU)."""
    x = mix
    for gain, frequency, kind in ((chain.low_shelf_db, 120.0, "low"),
                                  (chain.high_shelf_db, 6000.0, "high")):  # fmt: skip
        b, a = shelf(gain, frequency, kind)
        x = signal.lfilter(b, a, x, axis=0)
    x = _compress(x, chain.threshold_db, chain.ratio)
    gain_db = 0.0
    out = x
    for _ in range(6):
        out = _limit(x * 10 ** (gain_db / 20), chain.ceiling_dbfs)
        level = integrated_loudness(out, RATE)
        if level is None or abs(level - chain.target_lufs) < 0.5:
            break
        gain_db += chain.target_lufs - level
    return out


def write_song(folder: Path, song: int, chains: dict[str, Chain], seed: int = 0) -> dict[str, Path]:
    """Write a song's mix, human master and one master per chain; return label -> path."""
    import soundfile as sf

    folder.mkdir(parents=True, exist_ok=True)
    mix = synth_mix(np.random.default_rng(seed * 1000 + song))
    versions = {"mix": mix, "human": master(mix, HUMAN_CHAIN)}
    versions.update({label: master(mix, chain) for label, chain in chains.items()})
    paths = {}
    for label, audio in versions.items():
        path = folder / f"SYNTHETIC-song{song}-{label.replace(':', '-')}.flac"
        sf.write(path, audio.astype(np.float32), RATE, subtype="PCM_24")
        paths[label] = path
    return paths
