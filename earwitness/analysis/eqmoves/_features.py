"""Spectral features: the paper's mean STFT magnitude, and the log-spectral ratio.

The STFT reproduces ``librosa.stft`` with its defaults (periodic Hann window,
``center=True`` with zero padding of n_fft/2 on each side, as librosa >= 0.10 pads;
frames every ``hop`` samples) so that the faithful reproduction needs no librosa.
"""

from __future__ import annotations

import numpy as np
from scipy.signal import get_window

__all__ = [
    "LOG_GRID_HZ",
    "log_frequency_grid",
    "long_term_power",
    "mean_stft_magnitude",
    "paper_difference",
    "spectral_ratio_db",
    "stft_magnitude",
    "to_mono",
]


def to_mono(samples: np.ndarray) -> np.ndarray:
    """Average of the channels (``librosa.to_mono``)."""
    data = np.asarray(samples, dtype=np.float64)
    return data if data.ndim == 1 else np.asarray(data.mean(axis=1))


def stft_magnitude(
    signal: np.ndarray, n_fft: int = 2048, hop: int = 512, pad_mode: str = "constant"
) -> np.ndarray:
    """|STFT| of shape (1 + n_fft/2, frames), as ``np.abs(librosa.stft(y, n_fft, hop))``."""
    y = np.asarray(signal, dtype=np.float64)
    y = np.pad(y, n_fft // 2, mode=pad_mode)  # type: ignore[call-overload]
    n_frames = 1 + (len(y) - n_fft) // hop
    frames = np.lib.stride_tricks.sliding_window_view(y, n_fft)[::hop][:n_frames]
    window = get_window("hann", n_fft, fftbins=True)
    return np.asarray(np.abs(np.fft.rfft(frames * window, axis=1)).T)


def mean_stft_magnitude(
    signal: np.ndarray, n_fft: int = 2048, hop: int = 512, n_bins: int = 1024
) -> np.ndarray:
    """Shtern et al.'s feature A: the STFT magnitude averaged over time, ``n_bins`` bins.

    librosa gives 1 + n_fft/2 = 1025 bins; the paper reports a vector of 1024, so the
    Nyquist bin is dropped.
    """
    return np.asarray(stft_magnitude(signal, n_fft, hop).mean(axis=1)[:n_bins])


def paper_difference(original: np.ndarray, equalised: np.ndarray) -> np.ndarray:
    """D = |A(original) - A(equalised)| (Shtern, Casas & Tzerpos 2018, section 3)."""
    return np.asarray(np.abs(mean_stft_magnitude(original) - mean_stft_magnitude(equalised)))


def log_frequency_grid(
    low_hz: float = 20.0, high_hz: float = 20000.0, per_octave: int = 24
) -> np.ndarray:
    """Band centres spaced 1/``per_octave`` octave from ``low_hz`` to ``high_hz``."""
    n = int(np.floor(np.log2(high_hz / low_hz) * per_octave)) + 1
    return np.asarray(low_hz * 2.0 ** (np.arange(n) / per_octave))


LOG_GRID_HZ = log_frequency_grid()


def long_term_power(
    signal: np.ndarray, sample_rate: float, grid_hz: np.ndarray, n_fft: int = 65536
) -> np.ndarray:
    """Mean power spectrum (Welch, Hann, 75 % overlap) integrated in bands around ``grid_hz``.

    Each band spans half a grid step either side of its centre on the log axis; a band
    narrower than one FFT bin takes the nearest bin.
    """
    y = np.asarray(signal, dtype=np.float64)
    n_fft = min(n_fft, 1 << int(np.floor(np.log2(max(len(y), 256)))))
    hop = n_fft // 4
    if len(y) < n_fft:
        y = np.pad(y, (0, n_fft - len(y)))
    frames = np.lib.stride_tricks.sliding_window_view(y, n_fft)[::hop]
    window = get_window("hann", n_fft, fftbins=True)
    power = np.zeros(n_fft // 2 + 1)
    for start in range(0, len(frames), 64):  # bounded memory for long files
        power += (np.abs(np.fft.rfft(frames[start : start + 64] * window, axis=1)) ** 2).sum(0)
    power /= len(frames)
    freqs = np.fft.rfftfreq(n_fft, 1.0 / sample_rate)
    step = np.log2(grid_hz[1] / grid_hz[0]) if len(grid_hz) > 1 else 1.0
    edges = np.concatenate([grid_hz * 2.0 ** (-step / 2), [grid_hz[-1] * 2.0 ** (step / 2)]])
    cumulative = np.concatenate([[0.0], np.cumsum(power)])
    lo = np.searchsorted(freqs, edges[:-1])
    hi = np.searchsorted(freqs, edges[1:])
    counts = hi - lo
    sums = cumulative[hi] - cumulative[lo]
    nearest = power[np.clip(np.rint(grid_hz / freqs[1]).astype(int), 0, len(power) - 1)]
    return np.asarray(np.where(counts > 0, sums / np.maximum(counts, 1), nearest))


def spectral_ratio_db(
    reference_power: np.ndarray, candidate_power: np.ndarray, floor_db: float = 80.0
) -> tuple[np.ndarray, np.ndarray]:
    """10 log10(candidate / reference) per band, and weights (0 where either is below floor).

    EQ is linear and time-invariant, so the ratio of long-term spectra cancels the song
    and leaves |H|^2. Bands more than ``floor_db`` below the loudest band of either
    signal carry no information about H and get weight 0.
    """
    tiny = np.finfo(np.float64).tiny
    ref_db = 10.0 * np.log10(np.maximum(reference_power, tiny))
    cand_db = 10.0 * np.log10(np.maximum(candidate_power, tiny))
    usable = (ref_db > ref_db.max() - floor_db) & (cand_db > cand_db.max() - floor_db)
    return np.asarray(cand_db - ref_db), usable.astype(np.float64)
