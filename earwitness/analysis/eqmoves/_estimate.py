"""``estimate_moves``: the EQ operations that take one master to another, and what separates
them that is not EQ (sample rate, band limiting, dynamics: see ``_nonlinear``)."""

from __future__ import annotations

from dataclasses import replace
from functools import partial
from pathlib import Path

import numpy as np

from earwitness.analysis.eqmoves._decoder import MIN_GAIN_DB, EqMovesResult, decode_free
from earwitness.analysis.eqmoves._features import LOG_GRID_HZ, long_term_power, to_mono
from earwitness.analysis.eqmoves._nonlinear import (
    align,
    band_weights,
    coherent_ratio_db,
    common_rate,
    detect_lowpass,
    fast_gain,
    gain_envelope,
    incoherent_share,
    undo_gain,
)
from earwitness.analysis.eqmoves._operations import apply_operations
from earwitness.analysis.metrics import AudioData, read_audio

__all__ = ["estimate_moves", "spectral_ratio"]

Audio = AudioData | str | Path | tuple[np.ndarray, float]

_MIN_CORRELATION = 0.5  # below this the two files are not one recording in time: no dynamics
_DYNAMICS_PASSES = 2
_RESAMPLED_TOP = 0.85
# moves under 1 dB are not told from a limiter's or codec's footprint (``_nonlinear``): used
# when the files are not linearly related (a limiter found, or this share of incoherent bands)
_NONLINEAR_MIN_GAIN_DB = 1.0
_INCOHERENT_SHARE = 0.1


def _load(audio: Audio) -> tuple[np.ndarray, float]:
    if isinstance(audio, AudioData):
        return to_mono(audio.samples), float(audio.sample_rate)
    if isinstance(audio, tuple):
        return to_mono(audio[0]), float(audio[1])
    data = read_audio(audio)
    return to_mono(data.samples), float(data.sample_rate)


def _db(power: np.ndarray) -> np.ndarray:
    return np.asarray(10.0 * np.log10(np.maximum(power, np.finfo(np.float64).tiny)))


def spectral_ratio(
    reference: Audio, candidate: Audio, grid_hz: np.ndarray = LOG_GRID_HZ
) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """(grid, ratio dB, weights, sample rate) of candidate over reference, mono mixdowns at
    the lower of their rates; bands above a detected codec low-pass get weight 0."""
    (ref, ref_rate), (cand, cand_rate) = _load(reference), _load(candidate)
    ref, cand, rate = common_rate(ref, ref_rate, cand, cand_rate)
    grid, ratio, weights, _ = _ratio(ref, cand, rate, grid_hz, ref_rate != cand_rate)
    return grid, ratio, weights, rate


def _ratio(
    ref: np.ndarray, cand: np.ndarray, rate: float, grid_hz: np.ndarray, resampled: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray, float | None]:
    """Grid, power ratio (dB), weights and any band limit. After a change of rate the top
    of the spectrum is shaped by the resamplers' anti-alias filters, not by the master:
    the grid stops at ``_RESAMPLED_TOP`` of the Nyquist frequency."""
    top = (_RESAMPLED_TOP if resampled else 0.98) * rate / 2
    grid = grid_hz[grid_hz < top]
    ref_db, cand_db = _db(long_term_power(ref, rate, grid)), _db(long_term_power(cand, rate, grid))
    ratio = cand_db - ref_db
    weights = band_weights(ref_db, cand_db)
    lowpass = detect_lowpass(grid, ratio, weights)
    if lowpass is not None:
        weights = np.where(grid >= lowpass * 2.0 ** (-1 / 3), 0.0, weights)
    return grid, ratio, weights, lowpass


def estimate_moves(
    reference: Audio, candidate: Audio, *, max_operations: int = 10
) -> EqMovesResult:
    """The peaking operations (any gain, centre, width) and overall gain from reference
    to candidate, each with a confidence; ``count`` is the rating (fewer is closer) and
    ``residual_db_rms`` the part of the spectral difference they do not explain.

    What is not EQ is modelled and reported beside the operations: ``lowpass_hz`` (a codec's
    band limit, left out of the fit) and ``dynamics_db`` (the spread of a level-dependent
    broadband gain, such as a limiter's, taken out before decoding). When the two are not
    linearly related (a limiter, a codec), moves under 1 dB are not reported, since such
    processing leaves a spectral footprint of that size; otherwise under 0.5 dB. Both are
    mixed to mono and brought to one sample rate; they need not be time-aligned (dynamics
    are modelled only when they are one recording in time, at any lag within 1 s).
    """
    (ref, ref_rate), (cand, cand_rate) = _load(reference), _load(candidate)
    ref, cand, rate = common_rate(ref, ref_rate, cand, cand_rate)
    grid, ratio, weights, lowpass = _ratio(ref, cand, rate, LOG_GRID_HZ, ref_rate != cand_rate)
    lag, correlation = align(ref, cand, rate)
    if correlation < _MIN_CORRELATION:  # not one recording in time: the power ratio only
        result = decode_free(ratio, weights, grid, rate, max_operations=max_operations)
        return replace(result, lowpass_hz=lowpass)
    ratio, coherent = coherent_ratio_db(ref, cand, lag, rate, grid)
    linear = incoherent_share(weights, coherent) < _INCOHERENT_SHARE
    floor = MIN_GAIN_DB if linear else _NONLINEAR_MIN_GAIN_DB
    decode = partial(decode_free, freqs_hz=grid, sample_rate=rate, max_operations=max_operations)
    result = decode(ratio, weights * coherent, min_gain_db=floor)
    dynamics = 0.0
    for _ in range(_DYNAMICS_PASSES):
        shaped = _shaped(ref, rate, result)
        envelope = gain_envelope(shaped, cand, lag)
        if envelope is None:
            break
        frame_gain, dynamics = envelope
        gain = fast_gain(shaped, cand, lag, rate, frame_gain)
        ratio, coherent = coherent_ratio_db(ref * gain, cand, lag, rate, grid)
        result = decode(ratio, weights * coherent, min_gain_db=_NONLINEAR_MIN_GAIN_DB)
    if dynamics > 0:  # the EQ is now close enough to fit the gain to the sample and undo it
        unlimited = undo_gain(_shaped(ref, rate, result), cand, lag)
        ratio, coherent = coherent_ratio_db(ref, unlimited, lag, rate, grid)
        result = decode(ratio, weights * coherent, min_gain_db=_NONLINEAR_MIN_GAIN_DB)
    return replace(result, lowpass_hz=lowpass, dynamics_db=dynamics)


def _shaped(ref: np.ndarray, rate: float, result: EqMovesResult) -> np.ndarray:
    """The reference after the operations and overall gain decoded so far."""
    return apply_operations(ref, rate, result.operations) * 10 ** (result.overall_gain_db / 20)
