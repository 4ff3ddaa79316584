"""A limiter's gain, measured where octave bands agree, and undone from the candidate.

A limiter multiplies the signal by one broadband gain that follows the level,
y(t) = g(t) x(t), with attacks of a few milliseconds (ffmpeg's ``alimiter``: 5 ms by
default). :func:`~earwitness.analysis.eqmoves._nonlinear.gain_envelope` measures g over
512-sample frames (11.6 ms at 44.1 kHz), longer than such an attack, so within a frame the
loud notes keep a gain the model does not hold; where a recording has almost no energy of
its own (a solo trumpet below 150 Hz) that remainder swamps the band and hides the EQ
there. Fitting g on finer knots against the candidate alone would absorb whatever EQ is
not found yet, since one broadband gain cannot tell the two apart in one band.

Across bands it can: a broadband gain is the same in every band at a given moment, and an
EQ not found yet, or a band with too little of its own energy, makes one band's gain
differ from the others'. So g is fitted by least squares in each octave band from 200 Hz
up, piecewise linear on knots every 64 samples (1.5 ms at 44.1 kHz), minimising

    sum_t (c_b(t) - g_b(t) r_b(t))^2 + lambda sum_k (g_b,k+1 - g_b,k)^2

for the band-passed reference r_b (after the EQ found so far) and candidate c_b, with
lambda a 10^-4 of the mean energy per knot. At a knot where at least three bands within
30 dB of the strongest agree within 1 dB, g is their median (held within 1.5 dB of the
frame gain, and brought to the frame gain's level by their median difference); elsewhere
the frame gain stands. The candidate is then divided by g, which undoes the limiter
whatever the EQ's impulse response (g (h * x) is not h * (g x) when a low, narrow move rings
as long as g changes), and both signals are weighted by g smoothed over 4096 samples, so
that the loud passages the limiter turned down do not dominate the spectra it compares.

The fit is checked against the limiter's exact gain in
``benchmarks/bench_eqmoves_limiter_bound.py`` (docs/eqmoves.md).
"""

from __future__ import annotations

import numpy as np
from scipy.linalg import solveh_banded
from scipy.ndimage import uniform_filter1d
from scipy.signal import butter, sosfiltfilt

from earwitness.analysis.eqmoves._nonlinear import overlap

__all__ = ["agreed_gain", "undo_gain"]

_KNOT = 64
_LOWEST_BAND_HZ = 200.0
_TOP = 0.45  # of the sample rate: the highest band stops there
_PENALTY = 1e-4  # of the mean energy per knot
_STRONG_DB = 30.0
_AGREE_DB = 1.0
_MIN_BANDS = 3
_HOLD_DB = 1.5
_SMOOTH = 4096


def agreed_gain(
    shaped_reference: np.ndarray,
    candidate: np.ndarray,
    lag: int,
    rate: float,
    frame_gain: np.ndarray,
) -> np.ndarray:
    """The limiter's gain per sample of the reference: ``frame_gain`` (from
    ``gain_envelope``, in the reference's positions) replaced by the bands' median gain at
    the knots where the bands agree (see the module's docstring)."""
    ref, cand = overlap(shaped_reference, candidate, lag)
    gains_db, energy = _band_gains(ref, cand, rate)
    start = max(-lag, 0)
    knots = start + np.arange(gains_db.shape[1]) * _KNOT
    frame_db = 20 * np.log10(frame_gain[np.minimum(knots, len(frame_gain) - 1)])
    agreed, good = _agreement(gains_db, energy)
    if not good.any():
        return frame_gain
    agreed -= float(np.median(agreed[good] - frame_db[good]))
    agreed = np.clip(agreed, frame_db - _HOLD_DB, frame_db + _HOLD_DB)
    knot_db = np.where(good, agreed, frame_db)
    samples_db = np.interp(np.arange(len(frame_gain)), knots, knot_db)
    return np.asarray(10 ** (samples_db / 20))


def undo_gain(
    reference: np.ndarray, candidate: np.ndarray, lag: int, gain: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The reference and the candidate divided by ``gain`` (per sample of the reference),
    both weighted by the gain smoothed over ``_SMOOTH`` samples."""
    smooth = uniform_filter1d(gain, _SMOOTH, mode="nearest")
    # candidate sample j plays with reference sample j - lag
    at = np.clip(np.arange(len(candidate)) - lag, 0, len(gain) - 1)
    undone = candidate / np.maximum(gain[at], 1e-3)
    return reference * smooth, undone * smooth[at]


def _band_gains(ref: np.ndarray, cand: np.ndarray, rate: float) -> tuple[np.ndarray, np.ndarray]:
    """Per octave band, the least-squares gain (dB) and the reference's energy at each knot."""
    gains, energies = [], []
    low = _LOWEST_BAND_HZ
    while low * 1.2 < _TOP * rate:
        high = min(2 * low, _TOP * rate)
        sos = butter(4, [low, high], btype="band", fs=rate, output="sos")
        gain, energy = _knot_gain(sosfiltfilt(sos, ref), sosfiltfilt(sos, cand))
        gains.append(20 * np.log10(np.maximum(np.abs(gain), 1e-6)))
        energies.append(energy)
        low = high
    return np.array(gains), np.array(energies)


def _knot_gain(r: np.ndarray, c: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Piecewise-linear g on knots every ``_KNOT`` samples minimising
    sum (c - g r)^2 + lambda sum (dg)^2: a tridiagonal system (hat functions overlap only
    their neighbours), solved banded; and the diagonal of r's energy per knot."""
    count = len(r) // _KNOT + 2
    position = np.arange(len(r))
    k, w = position // _KNOT, (position % _KNOT) / _KNOT
    rr, rc = r * r, r * c
    diagonal = np.bincount(k, (1 - w) ** 2 * rr, count) + np.bincount(k + 1, w**2 * rr, count)
    upper = np.bincount(k, w * (1 - w) * rr, count)[:-1]
    rhs = np.bincount(k, (1 - w) * rc, count) + np.bincount(k + 1, w * rc, count)
    if not diagonal.any():
        return np.ones(count), diagonal
    penalty = _PENALTY * float(diagonal.mean())
    smoothness = np.full(count, 2.0)
    smoothness[[0, -1]] = 1.0
    banded = np.vstack([np.r_[0.0, upper - penalty], diagonal + penalty * smoothness])
    return solveh_banded(banded, rhs), diagonal


def _agreement(gains_db: np.ndarray, energy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per knot, the median gain of the bands within ``_STRONG_DB`` of the strongest, and
    whether at least ``_MIN_BANDS`` of them lie within ``_AGREE_DB`` of one another."""
    strong = energy >= energy.max(axis=0) * 10 ** (-_STRONG_DB / 10)
    strong &= energy > 0
    masked = np.where(strong, gains_db, np.nan)
    counted = strong.sum(axis=0)
    with np.errstate(all="ignore"):
        spread = np.nanmax(masked, axis=0, initial=-np.inf) - np.nanmin(
            masked, axis=0, initial=np.inf
        )
        median = np.nanmedian(np.where(counted >= 1, masked, 0.0), axis=0)
    good = (counted >= _MIN_BANDS) & (spread < _AGREE_DB)
    return np.where(good, median, 0.0), good
