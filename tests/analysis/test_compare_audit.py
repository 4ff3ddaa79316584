"""Synthetic masters of a real recording: known EQ, gain and delay must be recovered."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from scipy import signal

from earwitness.analysis import AudioData, AudioInfo, measure_audio, read_audio
from earwitness.analysis.metrics._audit import consistency, preset_structure
from earwitness.analysis.metrics._compare import _fractional_shift, compare_versions, eq_curve

MIX = "Kevin_MacLeod_-_Vibe_Ace.ogg"


@pytest.fixture(scope="module")
def mix(shared_dir: Path) -> AudioData:
    audio = read_audio(shared_dir / "audio" / MIX)
    samples = audio.samples[: 20 * audio.sample_rate]
    return AudioData(samples, audio.sample_rate, audio.info)


def _master(mix: AudioData, samples: np.ndarray) -> AudioData:
    info = AudioInfo(mix.info.path, "WAV", "FLOAT", mix.sample_rate, samples.shape[1], len(samples))
    return AudioData(samples.astype(np.float32), mix.sample_rate, info)


def _high_shelf(
    rate: int, f0: float = 3000.0, gain_db: float = 6.0
) -> tuple[np.ndarray, np.ndarray]:
    # RBJ audio-EQ-cookbook high shelf, slope 1
    a = 10 ** (gain_db / 40)
    w0 = 2 * np.pi * f0 / rate
    alpha = np.sin(w0) / 2 * np.sqrt(2)
    cos, sq = np.cos(w0), 2 * np.sqrt(a) * alpha
    b = [a * ((a + 1) + (a - 1) * cos + sq), -2 * a * ((a - 1) + (a + 1) * cos),
         a * ((a + 1) + (a - 1) * cos - sq)]  # fmt: skip
    den = [
        (a + 1) - (a - 1) * cos + sq,
        2 * ((a - 1) - (a + 1) * cos),
        (a + 1) - (a - 1) * cos - sq,
    ]
    return np.array(b) / den[0], np.array(den) / den[0]


def test_recovers_a_known_eq_curve(mix: AudioData) -> None:
    b, a = _high_shelf(mix.sample_rate)
    master = _master(mix, 0.7 * signal.lfilter(b, a, mix.samples, axis=0))
    curve = eq_curve(master, mix)
    freqs = np.array(curve["frequencies_hz"])
    measured = np.array([np.nan if g is None else g for g in curve["gain_db"]])
    _, response = signal.freqz(b, a, worN=freqs, fs=mix.sample_rate)
    expected = 20 * np.log10(np.abs(response)) + 20 * np.log10(0.7)
    band = (freqs >= 100) & (freqs <= 12000)
    assert np.nanmax(np.abs(measured[band] - expected[band])) < 0.5


def test_compare_matches_loudness_and_nulls_a_delayed_copy(mix: AudioData) -> None:
    delayed = _master(mix, 0.5 * _fractional_shift(mix.samples.astype(np.float64), 123.4))
    result = compare_versions(delayed, mix, measure_audio(delayed), measure_audio(mix))
    assert result["null_test"]["lag_samples"] == pytest.approx(123.4, abs=0.05)
    assert result["null_test"]["residual_db"] < -40
    assert result["deltas"]["gain_db"] == pytest.approx(-6.02, abs=0.05)
    assert abs(result["deltas"]["true_peak_dbtp"]) < 0.2  # equal once loudness-matched
    gains = [g for g in result["eq_curve"]["gain_db"] if g is not None]
    assert max(abs(g) for g in gains[5:-5]) < 0.3  # flat at equal loudness


def test_consistency_verdicts(mix: AudioData) -> None:
    assert consistency(mix, mix)["verdict"] == "identical"
    rng = np.random.default_rng(0)
    dithered = _master(mix, mix.samples + rng.normal(0, 10**-3.5, mix.samples.shape))
    assert consistency(mix, dithered)["verdict"] == "near-identical"
    b, a = _high_shelf(mix.sample_rate)
    other = _master(mix, signal.lfilter(b, a, mix.samples, axis=0))
    assert consistency(mix, other)["verdict"] == "different"


def test_preset_structure_counts_distinct_curves() -> None:
    freqs = np.geomspace(20, 20000, 60)
    bright = 3 * np.tanh(np.log2(freqs / 3000))
    warm = -2 * np.tanh(np.log2(freqs / 300))
    rng = np.random.default_rng(1)
    curves = {f"song{i}": (bright if i % 2 else warm) + rng.normal(0, 0.1, 60) for i in range(8)}
    structure = preset_structure(curves, threshold_db=1.0)
    assert structure.n_curves == 8 and structure.n_distinct == 2
    assert structure.labels["song1"] == structure.labels["song3"] != structure.labels["song0"]
