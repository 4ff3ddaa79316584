"""The pruned true-peak meter equals interpolating everything (BS.1770-4 Annex 2).

The reference below convolves every sample with all four phases; the meter skips
stretches whose bound G * max|x| cannot matter, so these signals put the answer where
a careless bound would skip it.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from earwitness.analysis.metrics._loudness import _segment_bounds, loudness
from earwitness.analysis.metrics._truepeak import BOUND_GAIN, TRUE_PEAK_PHASES, TruePeakMeter


def brute_force(samples: np.ndarray, bounds: np.ndarray) -> tuple[float, int, np.ndarray]:
    """True peak, inter-sample overs and per-segment true peaks, interpolating everything."""
    frames = len(samples)
    peak, overs, per_channel = 0.0, 0, []
    for channel in samples.T.astype(np.float64):
        phases = [np.convolve(channel, taps) for taps in TRUE_PEAK_PHASES]
        overs += sum(int(np.count_nonzero(np.abs(y) > 1.0)) for y in phases)
        interpolated = np.max(np.abs(phases), axis=0)
        peak = max(peak, float(interpolated.max()), float(np.abs(channel).max()))
        aligned = np.maximum(np.abs(channel), interpolated[5 : 5 + frames])
        if len(bounds) > 1:
            per_channel.append(np.maximum.reduceat(aligned[: bounds[-1]], bounds[:-1]))
    segments = np.max(per_channel, axis=0) if per_channel else np.zeros(0)
    return peak, overs, segments


def quarter_rate_burst(rate: int, amplitude: float, start: int, length: int, frames: int):
    """A sine at fs/4 sampled 45 degrees off its crests: samples reach only 0.707 of it."""
    x = np.zeros(frames)
    n = np.arange(length)
    x[start : start + length] = amplitude * np.sin(np.pi / 2 * n + np.pi / 4)
    return x


def test_bound_covers_the_filter() -> None:
    assert np.abs(TRUE_PEAK_PHASES).sum(axis=1).max() <= BOUND_GAIN
    assert 2.0 < BOUND_GAIN < 2.03


@pytest.mark.parametrize("rate", [44100, 48000])
def test_true_peak_in_a_segment_whose_sample_peak_is_not_the_highest(rate: int) -> None:
    frames = 3 * rate
    x = 1e-3 * np.random.default_rng(3).standard_normal(frames)
    x += quarter_rate_burst(rate, 0.95, rate, 200, frames)  # samples 0.67, true peak ~0.95
    x[2 * rate] = 0.8  # a lone sample: the highest sample peak, true peak ~0.8
    samples = np.stack([x, 0.5 * x], axis=1).astype(np.float32)
    bounds = _segment_bounds(frames, rate)
    meter = TruePeakMeter(samples, bounds)
    peak, overs = meter.true_peak()
    expected_peak, expected_overs, _ = brute_force(samples, bounds)
    assert meter.sample_peak == pytest.approx(0.8, abs=1e-6)
    assert peak > 0.9
    assert peak == pytest.approx(expected_peak, rel=1e-6)
    assert overs == expected_overs == 0
    assert meter.interpolated_share < 0.1  # the quiet stretches were skipped


def test_intersample_overs_counted_exactly_below_full_scale_samples() -> None:
    rate, frames = 44100, 44100
    x = quarter_rate_burst(rate, 1.2, 1000, 301, frames)  # samples 0.85, overs between them
    x += quarter_rate_burst(rate, 0.3, 20000, 5000, frames)
    samples = x[:, None].astype(np.float32)
    bounds = _segment_bounds(frames, rate)
    meter = TruePeakMeter(samples, bounds)
    peak, overs = meter.true_peak()
    expected_peak, expected_overs, _ = brute_force(samples, bounds)
    assert np.abs(samples).max() < 0.9
    assert expected_overs > 100
    assert overs == expected_overs
    assert peak == pytest.approx(expected_peak, rel=1e-6)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_segment_peaks_exact_above_any_threshold(seed: int) -> None:
    rng = np.random.default_rng(seed)
    rate, frames = 48000, 48000 * 2 + 123
    envelope = np.repeat(rng.uniform(0.01, 0.6, frames // 1000 + 1), 1000)[:frames]
    samples = (rng.standard_normal((frames, 2)) * envelope[:, None]).astype(np.float32)
    bounds = _segment_bounds(frames, rate)
    _, _, expected = brute_force(samples, bounds)
    threshold = rng.uniform(0.0, 2.0, len(expected))
    got = TruePeakMeter(samples, bounds).segment_peaks(threshold)
    above = expected > threshold
    assert np.allclose(got[above], expected[above], rtol=1e-6, atol=0)
    assert np.all(got <= expected * (1 + 1e-6))
    assert np.all(got >= TruePeakMeter(samples, bounds).segment_lower - 1e-9)


@pytest.mark.parametrize("frames", [1, 5, 11, 440, 441, 10000])
def test_short_signals(frames: int) -> None:
    samples = np.random.default_rng(frames).uniform(-1, 1, (frames, 2)).astype(np.float32)
    bounds = _segment_bounds(frames, 44100)
    peak, overs = TruePeakMeter(samples, bounds).true_peak()
    expected_peak, expected_overs, _ = brute_force(samples, bounds)
    assert peak == pytest.approx(expected_peak, rel=1e-6)
    assert overs == expected_overs


@pytest.mark.parametrize("chunk", [1 << 16, 257])
def test_min_psr_equals_the_brute_force_value(chunk: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """PSR needs each 3 s window's true peak; the pruned windows must not change its
    minimum, whether the windows are searched in one pass or in many short chunks."""
    from earwitness.analysis.metrics import _loudness

    monkeypatch.setattr(_loudness, "_PSR_CHUNK", chunk)
    rng = np.random.default_rng(7)
    rate, frames = 44100, 44100 * 12
    envelope = np.repeat(rng.uniform(0.02, 0.5, 12 * 20), rate // 20)
    x = rng.standard_normal(frames) * envelope
    x += quarter_rate_burst(rate, 0.9, 7 * rate, 120, frames)  # a hidden inter-sample peak
    samples = np.stack([x, np.roll(x, 17)], axis=1).astype(np.float32)
    result = loudness(samples, rate)
    bounds = _segment_bounds(frames, rate)
    _, _, segment_peaks = brute_force(samples, bounds)
    from earwitness.analysis.metrics._loudness import (
        _sliding_max,
        _window_loudness,
        segment_energies,
    )

    energies, _ = segment_energies(samples, rate)
    short_fine = _window_loudness(energies, bounds, 300)
    window_peaks = _sliding_max(segment_peaks, 300)
    keep = (short_fine > -70) & (window_peaks > 0)
    expected = float((20 * np.log10(window_peaks[keep]) - short_fine[keep]).min())
    assert result.psr_min_db == pytest.approx(expected, abs=1e-5)


def _real_recordings(shared_dir: Path) -> list[Path]:
    return sorted((shared_dir / "audio").glob("*.ogg"))


def test_candidates_only_equal_interpolating_everything_on_real_recordings(
    shared_dir: Path,
) -> None:
    """On every shared recording: the stretches the bound skips hold nothing higher
    (bit for bit the same as interpolating every stretch with the same kernel), and
    the result matches an independent float64 polyphase upsampler (scipy's upfirdn with
    the Annex 2 taps interleaved) within the float32 rounding bound: each output is 6
    mirrored sums, 6 products and 6 additions in float32, at most about
    20 * 2^-24 * G * max|x| < 2.5e-6 of the peak, since the peak is at least max|x|."""
    from scipy.signal import upfirdn

    from earwitness.analysis.metrics import read_audio

    interleaved = TRUE_PEAK_PHASES.T.ravel()  # h[4k + p] = phase p, tap k
    for path in _real_recordings(shared_dir):
        audio = read_audio(path)
        samples = audio.samples[: 60 * audio.sample_rate]
        bounds = _segment_bounds(len(samples), audio.sample_rate)
        pruned = TruePeakMeter(samples, bounds)
        peak, overs = pruned.true_peak()
        everything = TruePeakMeter(samples, bounds)
        everything.segment_peaks(np.full(len(bounds) - 1, -1.0))  # interpolates every stretch
        assert everything.interpolated_share > 0.99 > pruned.interpolated_share
        full_peak, full_overs = everything.true_peak()
        assert (peak, overs) == (full_peak, full_overs)
        for channel in range(samples.shape[1]):
            upsampled = upfirdn(interleaved, samples[:, channel].astype(np.float64), up=4)
            expected = max(float(np.abs(upsampled).max()), float(np.abs(samples[:, channel]).max()))
            assert pruned.channel_peaks[channel] == pytest.approx(expected, rel=2.5e-6, abs=0)
