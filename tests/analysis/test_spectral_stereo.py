"""Spectral and stereo measures on signals whose answers are known analytically."""

from __future__ import annotations

import numpy as np
import pytest

from earwitness.analysis import AudioData, AudioInfo, measure_audio
from earwitness.analysis.metrics import _spectral as sp
from earwitness.analysis.metrics._stereo import mid_side, stereo_measures
from tests.analysis import signals as sig

RATE = 48000


def _audio(samples: np.ndarray, rate: int = RATE) -> AudioData:
    samples = np.asarray(samples, dtype=np.float32)
    if samples.ndim == 1:
        samples = samples[:, None]
    info = AudioInfo(None, "WAV", "FLOAT", rate, samples.shape[1], len(samples))  # type: ignore[arg-type]
    return AudioData(samples, rate, info)


@pytest.mark.parametrize(("band", "tolerance"), [("250", 0.3), ("1000", 0.05), ("4000", 0.05)])
def test_sine_at_band_centre_fills_its_band(band: str, tolerance: float) -> None:
    # the Hann main lobe (±47 Hz at 48 kHz) spills a little out of the 58 Hz wide 250 Hz band
    frequency = sp.THIRD_OCTAVE_CENTRES[sp.THIRD_OCTAVE_NOMINAL.index(float(band))]
    x = sig.sine(-12.0, 4.0, RATE, frequency=frequency)
    bands = sp.third_octave_bands(sp.long_term_spectrum(x, RATE))
    assert bands[band] == pytest.approx(0.0, abs=tolerance)
    others = [v for k, v in bands.items() if k != band and v is not None]
    assert max(others) < (-12.0 if band == "250" else -20.0)


def test_pink_noise_has_equal_power_per_third_octave() -> None:
    bands = sp.third_octave_bands(sp.long_term_spectrum(sig.pink_noise(20.0, RATE), RATE))
    mid = [bands[k] for k in ("200", "315", "500", "800", "1250", "2000", "3150", "5000", "8000")]
    assert max(mid) - min(mid) < 0.5  # pink: flat in constant-percentage bands
    white = np.random.default_rng(3).standard_normal(20 * RATE)
    white_bands = sp.third_octave_bands(sp.long_term_spectrum(white, RATE))
    # white noise: +1 dB per third octave (10 log10 of the bandwidth ratio 10^0.1)
    slope = (white_bands["8000"] - white_bands["200"]) / 16  # type: ignore[operator]
    assert slope == pytest.approx(1.0, abs=0.05)


def test_centroid_and_shares_of_known_mixtures() -> None:
    low = sig.sine(-6.0, 4.0, RATE, frequency=40.0)
    high = sig.sine(-6.0, 4.0, RATE, frequency=12000.0)
    spectrum = sp.long_term_spectrum(low + high, RATE)
    assert sp.spectral_centroid(spectrum) == pytest.approx((40 + 12000) / 2, rel=0.01)
    assert sp.share_between(spectrum, 0, 120) == pytest.approx(0.5, abs=0.005)
    # a 40 Hz tone leaks a little above 60 Hz through the Hann main lobe (±47 Hz)
    assert sp.share_between(spectrum, 0, 60) == pytest.approx(0.5, abs=0.03)
    assert sp.share_between(spectrum, 10000, RATE / 2) == pytest.approx(0.5, abs=0.01)


def test_crest_factor_of_a_sine_is_3_db() -> None:
    x = sig.sine(-6.0, 2.0, RATE)
    metrics = measure_audio(_audio(np.stack([x, x], axis=1)))
    assert metrics["crest_factor_db"] == pytest.approx(3.01, abs=0.02)


@pytest.mark.parametrize(("sign", "expected"), [(1.0, 1.0), (-1.0, -1.0)])
def test_correlation_of_identical_and_inverted_channels(sign: float, expected: float) -> None:
    x = sig.pink_noise(4.0, RATE)
    samples = np.stack([x, sign * x], axis=1).astype(np.float32)
    result = stereo_measures(samples, RATE)
    assert result.correlation_mean == pytest.approx(expected, abs=1e-6)
    assert result.correlation_negative_share == (1.0 if sign < 0 else 0.0)
    # Width (side over mid energy) is undefined when either is silent: identical channels
    # have no side signal, inverted channels no mid signal.
    mid, side = mid_side(samples)
    silent, present = (side, mid) if sign > 0 else (mid, side)
    assert not silent.any() and np.abs(present).max() > 0.1
    assert result.width_db is None


def test_width_of_independent_channels_is_0_db() -> None:
    left, right = sig.pink_noise(10.0, RATE, seed=1), sig.pink_noise(10.0, RATE, seed=2)
    result = stereo_measures(np.stack([left, right], axis=1).astype(np.float32), RATE)
    assert result.correlation_mean == pytest.approx(0.0, abs=0.05)
    assert result.width_db == pytest.approx(0.0, abs=0.3)


def test_width_per_band_follows_where_the_side_signal_is() -> None:
    common = sig.sine(-12.0, 4.0, RATE, frequency=250.0)
    wide = sig.sine(-12.0, 4.0, RATE, frequency=4000.0)
    stereo = np.stack([common + wide, common - wide], axis=1)
    widths = measure_audio(_audio(stereo))["stereo_width_bands_db"]
    assert widths["250"] < -40.0 and widths["4000"] > 40.0


def test_overs_and_clipping_are_counted() -> None:
    x = sig.fs_fraction_sine(RATE, 4, 1.41, 45.0)  # samples at 0.997, waveform at +3 dBTP
    clipped = np.clip(sig.sine(6.0, 1.0, RATE), -1, 1)
    quiet = measure_audio(_audio(x))
    assert quiet["intersample_overs"] > 1000 and quiet["clipped_samples"] == 0
    loud = measure_audio(_audio(np.stack([clipped, clipped], axis=1)))
    assert loud["clipped_samples"] > 0.3 * 2 * RATE


def test_measure_keys_and_mono() -> None:
    metrics = measure_audio(_audio(sig.sine(-20.0, 5.0, RATE)))
    assert metrics["channels"] == 1 and metrics["stereo_correlation"] is None
    assert metrics["integrated_lufs"] == pytest.approx(-23.0, abs=0.1)  # mono -20 dBFS sine
    assert metrics["psr_min_db"] == pytest.approx(-20.0 + 23.0, abs=0.15)
