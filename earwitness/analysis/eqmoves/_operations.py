"""EQ operations: one peaking boost or cut, and applying a set of them to audio."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from scipy.signal import sosfilt

from earwitness.analysis.eqmoves._biquad import peaking_coefficients, peaking_response_db
from earwitness.errors import BadInputError

__all__ = ["EqOperation", "apply_operations", "operations_response_db"]


@dataclass(frozen=True)
class EqOperation:
    """A peaking boost (gain > 0) or cut (gain < 0), ``width_oct`` octaves wide."""

    freq_hz: float
    gain_db: float
    width_oct: float
    confidence: float = 1.0

    def as_dict(self) -> dict[str, Any]:
        return {k: float(v) for k, v in asdict(self).items()}


def _check(operation: EqOperation, sample_rate: float) -> None:
    if not 0.0 < operation.freq_hz < sample_rate / 2.0:
        raise BadInputError(
            f"EQ centre {operation.freq_hz} Hz is outside (0, {sample_rate / 2.0:g}) Hz"
        )
    if not operation.width_oct > 0.0:
        raise BadInputError(f"EQ width {operation.width_oct} octaves is not positive")


def apply_operations(
    samples: np.ndarray, sample_rate: float, operations: Sequence[EqOperation]
) -> np.ndarray:
    """Filter ``samples`` (frames, or frames x channels) through every operation in series."""
    data = np.asarray(samples, dtype=np.float64)
    if not operations:
        return data.copy()
    sections = []
    for operation in operations:
        _check(operation, sample_rate)
        b, a = peaking_coefficients(
            operation.freq_hz, operation.gain_db, operation.width_oct, sample_rate
        )
        sections.append(np.concatenate([b, a]))
    return np.asarray(sosfilt(np.array(sections), data, axis=0))


def operations_response_db(
    operations: Sequence[EqOperation], freqs_hz: np.ndarray, sample_rate: float
) -> np.ndarray:
    """The set's magnitude response in dB: the sum of each operation's dB response."""
    freqs = np.asarray(freqs_hz, dtype=np.float64)
    if not operations:
        return np.zeros_like(freqs)
    responses = peaking_response_db(
        freqs,
        np.array([o.freq_hz for o in operations]),
        np.array([o.gain_db for o in operations]),
        np.array([o.width_oct for o in operations]),
        sample_rate,
    )
    return np.asarray(responses.sum(axis=0))
