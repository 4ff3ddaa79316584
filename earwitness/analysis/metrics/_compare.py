"""Comparing two versions of one song: metric deltas, EQ curve and null test.

* Loudness-matched deltas: gain-independent metrics are differenced as they are; level
  metrics (peaks, momentary and short-term maxima) are differenced relative to each
  version's integrated loudness, i.e. as if both played at equal loudness (the
  loudness-matched comparison of listening tests, ITU-R BS.1116 §8.3).
* EQ curve: the ratio of the two long-term spectra after loudness normalisation,
  integrated over 1/6-octave bands (IEC 61260-1 centres), which smooths it the way
  fractional-octave smoothing does (Hatziantoniou & Mourjopoulos, JAES 2000).
* Null test: the version is aligned to the reference by cross-correlation with
  parabolic sub-sample refinement, shifted by a linear-phase (FFT) fractional delay,
  gain-matched by least squares, and subtracted; the residual energy relative to the
  reference, in dB, is the null depth.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from earwitness.analysis.metrics import _spectral as sp
from earwitness.analysis.metrics._io import AudioData, AudioInfo
from earwitness.analysis.metrics._measure import METRIC_KEYS, spectra

__all__ = [
    "EQ_FRACTION",
    "align",
    "compare_versions",
    "eq_curve",
    "metric_deltas",
    "null_test",
]

EQ_FRACTION = 6
EQ_CENTRES = sp.fractional_octave_centres(EQ_FRACTION, 20.0, 20000.0)
MAX_LAG_S = 2.0
_ALIGN_S = 30.0
LEVEL_METRICS = ("momentary_max_lufs", "short_term_max_lufs", "true_peak_dbtp", "sample_peak_dbfs")
_SKIP = (
    "integrated_lufs", "duration_s", "sample_rate", "channels", "channel_layout",
    "bands_third_octave",
)  # fmt: skip


def metric_deltas(version: dict[str, Any], reference: dict[str, Any]) -> dict[str, Any]:
    """Version minus reference for every scalar metric, level metrics loudness-matched.

    ``gain_db`` is the integrated-loudness difference that loudness matching removes.
    """
    gain = _difference(version.get("integrated_lufs"), reference.get("integrated_lufs"))
    deltas: dict[str, Any] = {"gain_db": gain}
    for key in METRIC_KEYS:
        if key in _SKIP:
            continue
        delta = _difference(version.get(key), reference.get(key))
        if key in LEVEL_METRICS and delta is not None:
            delta = delta - gain if gain is not None else None
        deltas[key] = delta
    bands_v, bands_r = (
        version.get("bands_third_octave") or {},
        reference.get("bands_third_octave") or {},
    )
    deltas["bands_third_octave"] = {k: _difference(bands_v.get(k), bands_r.get(k)) for k in bands_r}
    return deltas


def _difference(a: Any, b: Any) -> float | None:
    if a is None or b is None:
        return None
    return float(a) - float(b)


def _to_rate(audio: AudioData, rate: int) -> AudioData:
    if audio.sample_rate == rate:
        return audio
    from scipy import signal  # imported here: plain measurement should not pay for it

    g = math.gcd(audio.sample_rate, rate)
    resampled = signal.resample_poly(audio.samples, rate // g, audio.sample_rate // g, axis=0)
    info = AudioInfo(audio.info.path, audio.info.format, audio.info.subtype, rate,
                     audio.channels, len(resampled))  # fmt: skip
    return AudioData(resampled.astype(np.float32), rate, info)


def eq_curve(
    version: AudioData, reference: AudioData, loudness_offset_db: float = 0.0
) -> dict[str, Any]:
    """Smoothed ratio (dB) of the version's long-term spectrum to the reference's.

    ``loudness_offset_db`` (version minus reference integrated loudness) is removed, so
    the curve shows the spectral change at equal loudness.
    """
    version = _to_rate(version, reference.sample_rate)
    spectrum_v, spectrum_r = spectra(version)[0], spectra(reference)[0]
    nyquist = reference.sample_rate / 2.0
    _, highs = sp.band_edges(EQ_CENTRES, EQ_FRACTION)
    centres = EQ_CENTRES[highs <= nyquist]
    power_v = sp.band_powers(spectrum_v, centres, EQ_FRACTION)
    power_r = sp.band_powers(spectrum_r, centres, EQ_FRACTION)
    with np.errstate(divide="ignore", invalid="ignore"):
        gains = 10.0 * np.log10(power_v / power_r) - loudness_offset_db
    return {
        "frequencies_hz": [round(float(f), 2) for f in centres],
        "gain_db": [float(g) if np.isfinite(g) else None for g in gains],
        "fraction": EQ_FRACTION,
    }


def _mono(audio: AudioData) -> np.ndarray:
    return np.asarray(audio.samples.mean(axis=1), dtype=np.float64)


def align(version: np.ndarray, reference: np.ndarray, sample_rate: int) -> float:
    """Lag (samples, sub-sample) by which ``version`` trails ``reference``.

    Cross-correlation of the first 30 s, searched within ±2 s, refined by a parabola
    through the peak and its neighbours.
    """
    from scipy import signal

    span = min(len(version), len(reference), round(_ALIGN_S * sample_rate))
    a, b = reference[:span], version[:span]
    correlation = signal.correlate(b, a, mode="full", method="fft")
    lags = np.arange(-span + 1, span)
    window = np.abs(lags) <= round(MAX_LAG_S * sample_rate)
    index = int(np.flatnonzero(window)[np.argmax(correlation[window])])
    if 0 < index < len(correlation) - 1:
        left, centre, right = correlation[index - 1 : index + 2]
        curvature = left - 2 * centre + right
        offset = 0.5 * (left - right) / curvature if curvature != 0 else 0.0
    else:
        offset = 0.0
    return float(lags[index] + offset)


def _fractional_shift(x: np.ndarray, shift: float) -> np.ndarray:
    """Delay ``x`` by ``shift`` samples (negative advances) with a linear-phase FFT shift."""
    import scipy.fft

    n = len(x)
    size = scipy.fft.next_fast_len(n + int(abs(shift)) + 2)
    spectrum = scipy.fft.rfft(x, size, axis=0)
    phase = np.exp(-2j * np.pi * np.fft.rfftfreq(size) * shift)
    return np.asarray(scipy.fft.irfft(spectrum * phase[:, None], size, axis=0)[:n])


def null_test(version: AudioData, reference: AudioData) -> dict[str, Any]:
    """Residual after alignment and gain matching, in dB relative to the reference."""
    version = _to_rate(version, reference.sample_rate)
    rate = reference.sample_rate
    lag = align(_mono(version), _mono(reference), rate)
    channels = min(version.channels, reference.channels)
    shifted = _fractional_shift(version.samples[:, :channels].astype(np.float64), -lag)
    ref = reference.samples[:, :channels].astype(np.float64)
    margin = math.ceil(abs(lag)) + 1
    length = min(len(shifted), len(ref)) - margin
    if length <= 0:
        return {"lag_samples": lag, "gain": None, "residual_db": None}
    v, r = shifted[:length], ref[:length]
    energy_v = float(np.vdot(v, v))
    gain = float(np.vdot(r, v) / energy_v) if energy_v > 0 else 0.0
    residual = r - gain * v
    energy_r, energy_res = float(np.vdot(r, r)), float(np.vdot(residual, residual))
    if energy_r <= 0:
        residual_db = None
    elif energy_res <= 0:
        residual_db = -math.inf
    else:
        residual_db = 10.0 * math.log10(energy_res / energy_r)
    return {
        "lag_samples": lag,
        "lag_ms": 1000.0 * lag / rate,
        "gain_db": 20.0 * math.log10(abs(gain)) if gain else None,
        "residual_db": residual_db,
    }


def compare_versions(
    version: AudioData,
    reference: AudioData,
    version_metrics: dict[str, Any],
    reference_metrics: dict[str, Any],
) -> dict[str, Any]:
    """Deltas, EQ curve and null test of ``version`` against ``reference``."""
    deltas = metric_deltas(version_metrics, reference_metrics)
    offset = deltas["gain_db"] or 0.0
    return {
        "deltas": deltas,
        "eq_curve": eq_curve(version, reference, offset),
        "null_test": null_test(version, reference),
    }
