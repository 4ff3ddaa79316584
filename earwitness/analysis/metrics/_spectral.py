"""Long-term spectra, 1/3-octave bands and single-figure spectral measures.

The long-term average spectrum (LTAS) is the mean power spectrum of Hann-windowed
STFT frames of 2048 samples with a hop of 512, the analysis used in studies of
mastering (e.g. Hjortkjær & Walther-Hansen, "Perceptual effects of dynamic range
compression in popular music recordings", JAES 2014; Wilson & Fazenda, "Perception of
audio quality in productions of popular music", JAES 2016). It is expressed for audio
normalised to -23 LUFS, so two masters of one mix compare at equal loudness.

Band centres and edges follow IEC 61260-1:2014 (base-10, G = 10^0.3, f_r = 1 kHz).
Each STFT bin is taken to spread its power evenly over its width, so bands narrower
than a bin (below about 60 Hz at 44.1 kHz) still receive their share.
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

__all__ = [
    "FRAME",
    "HOP",
    "THIRD_OCTAVE_CENTRES",
    "Spectrum",
    "band_matrix",
    "fractional_octave_centres",
    "long_term_spectrum",
    "mid_side_power",
    "power_sum",
    "third_octave_bands",
]

FRAME = 2048
HOP = 512
# Threads per transform (None: every core). One: the spectra always run on a thread of
# their own beside the loudness part, so a second FFT thread only competes with it.
FFT_WORKERS: int | None = 1
_G = 10.0**0.3
_BATCH = 64  # frames per transform: 64 x 2048 float32 (and their spectra) stay in L2

# IEC 61260-1 nominal mid-band frequencies, 25 Hz to 20 kHz (x = -16 .. 13).
THIRD_OCTAVE_NOMINAL = (
    25, 31.5, 40, 50, 63, 80, 100, 125, 160, 200, 250, 315, 400, 500, 630, 800, 1000,
    1250, 1600, 2000, 2500, 3150, 4000, 5000, 6300, 8000, 10000, 12500, 16000, 20000,
)  # fmt: skip
THIRD_OCTAVE_CENTRES = tuple(1000.0 * _G ** (x / 3.0) for x in range(-16, 14))


@dataclass(frozen=True)
class Spectrum:
    """Mean power per STFT bin (``power``) at ``frequencies`` (Hz)."""

    frequencies: np.ndarray
    power: np.ndarray
    frames: int


def rfft(frames: np.ndarray) -> np.ndarray:
    """Real FFT of each row on every core: scipy.fft's compiled pocketfft, called as
    ``scipy.fft.rfft(frames, axis=1, workers=...)`` calls it."""
    workers = FFT_WORKERS or os.cpu_count() or 1
    pocketfft = _pocketfft()
    if pocketfft is None:
        import scipy.fft

        return np.asarray(scipy.fft.rfft(frames, axis=1, workers=workers))
    return np.asarray(pocketfft.r2c(frames, (1,), True, 0, None, workers))


def power_sum(framed: np.ndarray) -> np.ndarray:
    """Sum over the rows of |rfft(row)|^2, accumulated in float64.

    The squares are taken in place on the transform's (re, im) pairs and summed over the
    rows in float64 by one reduction: a third of the time of
    ``(s.real**2 + s.imag**2).sum(axis=0)``, which builds three temporaries and converts
    every value to float64 first (and the same sums as ``einsum("ij->j")``, faster).
    """
    spectra = rfft(framed)
    flat = spectra.view(spectra.real.dtype)
    np.multiply(flat, flat, out=flat)
    sums = flat.sum(axis=0, dtype=np.float64)
    return np.asarray(sums[0::2] + sums[1::2])


_MID_SIDE_WINDOW = (0.5 * np.hanning(FRAME + 1)[:-1]).astype(np.float32)


def mid_side_power(frames_l: np.ndarray, frames_r: np.ndarray, work: np.ndarray) -> np.ndarray:
    """Power sums (2, bins) of Hann frames of M = (L+R)/2 and S = (L-R)/2; ``work`` is a
    float32 buffer of at least as many rows, reused so no frame array is allocated."""
    framed = work[: len(frames_l)]
    totals = np.empty((2, FRAME // 2 + 1))
    for row, combine in enumerate((np.add, np.subtract)):
        combine(frames_l, frames_r, out=framed)
        framed *= _MID_SIDE_WINDOW
        totals[row] = power_sum(framed)
    return totals


_POCKETFFT = "scipy.fft._pocketfft.pypocketfft"


def _pocketfft() -> Any:
    """scipy's pocketfft extension, loaded on its own: importing the scipy.fft package
    pulls in scipy.special and the array-API layer (0.3-0.8 s of start-up here, more
    than the transforms take). It is registered under its own name, so a later
    ``import scipy.fft`` uses this very module. None if it cannot be found."""
    if _POCKETFFT in sys.modules:
        return sys.modules[_POCKETFFT]
    try:
        scipy_spec = importlib.util.find_spec("scipy")
        if scipy_spec is None or scipy_spec.origin is None:
            return None
        folder = Path(scipy_spec.origin).parent / "fft" / "_pocketfft"
        for suffix in importlib.machinery.EXTENSION_SUFFIXES:
            path = folder / f"pypocketfft{suffix}"
            if path.is_file():
                loader = importlib.machinery.ExtensionFileLoader(_POCKETFFT, str(path))
                spec = importlib.util.spec_from_file_location(_POCKETFFT, path, loader=loader)
                if spec is None:
                    return None
                module = importlib.util.module_from_spec(spec)
                loader.exec_module(module)
                sys.modules[_POCKETFFT] = module
                return module
    except (ImportError, OSError):
        return None
    return None


def fractional_octave_centres(
    fraction: int, low: float = 20.0, high: float = 20000.0
) -> np.ndarray:
    """IEC 61260-1 base-10 centres for 1/``fraction`` octave bands between low and high."""
    lowest = int(np.floor(fraction * np.log10(low / 1000.0) / 0.3))
    highest = int(np.ceil(fraction * np.log10(high / 1000.0) / 0.3))
    centres = 1000.0 * _G ** (np.arange(lowest, highest + 1) / fraction)
    return centres[(centres >= low) & (centres <= high)]


def band_edges(centres: np.ndarray, fraction: int) -> tuple[np.ndarray, np.ndarray]:
    half = _G ** (1.0 / (2.0 * fraction))
    return centres / half, centres * half


def band_matrix(frequencies: np.ndarray, lows: np.ndarray, highs: np.ndarray) -> np.ndarray:
    """Share of each bin's width that falls in each band: shape (bands, bins)."""
    width = frequencies[1] - frequencies[0]
    bin_low = np.maximum(frequencies - width / 2.0, 0.0)
    bin_high = frequencies + width / 2.0
    overlap = np.minimum(highs[:, None], bin_high[None, :]) - np.maximum(
        lows[:, None], bin_low[None, :]
    )
    return np.clip(overlap, 0.0, None) / (bin_high - bin_low)[None, :]


def long_term_spectrum(mono: np.ndarray, sample_rate: float) -> Spectrum:
    """Mean one-sided power spectrum of Hann-windowed frames (2048, hop 512)."""
    x = np.asarray(mono, dtype=np.float32)
    if len(x) < FRAME:
        x = np.concatenate([x, np.zeros(FRAME - len(x), dtype=np.float32)])
    frames = sliding_window_view(x, FRAME)[::HOP]
    window = np.hanning(FRAME + 1)[:-1].astype(np.float32)
    total = np.zeros(FRAME // 2 + 1)
    for start in range(0, len(frames), _BATCH):
        total += power_sum(frames[start : start + _BATCH] * window)
    power = total / len(frames)
    power[1:-1] *= 2.0  # one-sided: fold the negative frequencies in
    return Spectrum(np.fft.rfftfreq(FRAME, 1.0 / sample_rate), power, len(frames))


def mid_side_spectra(
    left: np.ndarray, right: np.ndarray, sample_rate: float
) -> tuple[Spectrum, Spectrum]:
    """Long-term spectra of M = (L+R)/2 and S = (L-R)/2, framed without building M or S."""
    if len(left) < FRAME:
        pad = np.zeros(FRAME - len(left), dtype=np.float32)
        left, right = np.concatenate([left, pad]), np.concatenate([right, pad])
    frames_l = sliding_window_view(left, FRAME)[::HOP]
    frames_r = sliding_window_view(right, FRAME)[::HOP]
    totals = np.zeros((2, FRAME // 2 + 1))
    work = np.empty((min(_BATCH, len(frames_l)), FRAME), dtype=np.float32)
    for start in range(0, len(frames_l), _BATCH):
        batch_l, batch_r = frames_l[start : start + _BATCH], frames_r[start : start + _BATCH]
        totals += mid_side_power(batch_l, batch_r, work)
    totals /= len(frames_l)
    totals[:, 1:-1] *= 2.0
    frequencies = np.fft.rfftfreq(FRAME, 1.0 / sample_rate)
    return (
        Spectrum(frequencies, totals[0], len(frames_l)),
        Spectrum(frequencies, totals[1], len(frames_l)),
    )


def band_powers(spectrum: Spectrum, centres: np.ndarray, fraction: int) -> np.ndarray:
    lows, highs = band_edges(np.asarray(centres, dtype=np.float64), fraction)
    return band_matrix(spectrum.frequencies, lows, highs) @ spectrum.power


def third_octave_bands(spectrum: Spectrum) -> dict[str, float | None]:
    """1/3-octave band levels in dB relative to the total power, keyed by nominal centre.

    Bands above the Nyquist frequency, and bands holding no power, are None.
    """
    nyquist = spectrum.frequencies[-1]
    centres = np.array(THIRD_OCTAVE_CENTRES)
    powers = band_powers(spectrum, centres, 3)
    total = float(spectrum.power.sum())
    _, highs = band_edges(centres, 3)
    result: dict[str, float | None] = {}
    for nominal, power, high in zip(THIRD_OCTAVE_NOMINAL, powers, highs, strict=True):
        valid = high <= nyquist and power > 0 and total > 0
        result[_label(nominal)] = float(10.0 * np.log10(power / total)) if valid else None
    return result


def _label(nominal: float) -> str:
    return f"{nominal:g}"


def share_between(spectrum: Spectrum, low: float, high: float) -> float | None:
    """Fraction of the total power between ``low`` and ``high`` Hz."""
    total = float(spectrum.power.sum())
    if total <= 0:
        return None
    weights = band_matrix(spectrum.frequencies, np.array([low]), np.array([high]))[0]
    return float(weights @ spectrum.power / total)


def spectral_centroid(spectrum: Spectrum) -> float | None:
    """Power-weighted mean frequency of the long-term spectrum, in Hz."""
    total = float(spectrum.power.sum())
    if total <= 0:
        return None
    return float(spectrum.frequencies @ spectrum.power / total)
