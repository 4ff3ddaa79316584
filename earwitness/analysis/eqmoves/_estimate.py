"""``estimate_moves``: the EQ operations that take one master to another."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from earwitness.analysis.eqmoves._decoder import EqMovesResult, decode_free
from earwitness.analysis.eqmoves._features import (
    LOG_GRID_HZ,
    long_term_power,
    spectral_ratio_db,
    to_mono,
)
from earwitness.analysis.metrics import AudioData, read_audio

__all__ = ["estimate_moves", "spectral_ratio"]

Audio = AudioData | str | Path | tuple[np.ndarray, float]


def _load(audio: Audio) -> tuple[np.ndarray, float]:
    if isinstance(audio, AudioData):
        return to_mono(audio.samples), float(audio.sample_rate)
    if isinstance(audio, tuple):
        return to_mono(audio[0]), float(audio[1])
    data = read_audio(audio)
    return to_mono(data.samples), float(data.sample_rate)


def spectral_ratio(
    reference: Audio, candidate: Audio, grid_hz: np.ndarray = LOG_GRID_HZ
) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """(grid, ratio dB, weights, sample rate) of candidate over reference, mono mixdowns."""
    ref, ref_rate = _load(reference)
    cand, cand_rate = _load(candidate)
    rate = min(ref_rate, cand_rate)
    grid = grid_hz[grid_hz < 0.49 * rate]
    ratio, weights = spectral_ratio_db(
        long_term_power(ref, ref_rate, grid), long_term_power(cand, cand_rate, grid)
    )
    return grid, ratio, weights, rate


def estimate_moves(
    reference: Audio, candidate: Audio, *, max_operations: int = 10
) -> EqMovesResult:
    """The peaking operations (any gain, centre, width) and overall gain from reference
    to candidate, each with a confidence; ``count`` is the rating (fewer is closer) and
    ``residual_db_rms`` the part of the spectral difference they do not explain.

    Both are mixed to mono; their long-term spectra need not be time-aligned.
    """
    grid, ratio, weights, rate = spectral_ratio(reference, candidate)
    return decode_free(ratio, weights, grid, rate, max_operations=max_operations)
