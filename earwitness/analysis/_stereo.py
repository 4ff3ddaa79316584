"""Stereo image: L/R correlation in 400 ms blocks and side/mid energy.

Correlation is the phase-correlation-meter coefficient sum(L*R)/sqrt(sum(L^2) sum(R^2))
over non-overlapping 400 ms blocks (the momentary window of EBU R 128), as in the
correlation meters of IEC 60268-18; blocks where either channel is below -70 dBFS RMS
are left out. Width is the ratio of side to mid energy, M = (L+R)/2, S = (L-R)/2, in dB:
0 dB means as much side as mid, -inf a mono signal.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["StereoResult", "block_correlation", "mid_side", "stereo_measures"]

BLOCK_S = 0.4
_SILENT_MEAN_SQUARE = 10.0 ** (-70.0 / 10.0)


@dataclass(frozen=True)
class StereoResult:
    correlation_mean: float | None
    correlation_negative_share: float | None
    width_db: float | None


def mid_side(samples: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    left, right = samples[:, 0], samples[:, 1]
    return (left + right) * np.float32(0.5), (left - right) * np.float32(0.5)


def block_correlation(left: np.ndarray, right: np.ndarray, sample_rate: float) -> np.ndarray:
    """Correlation coefficient of each full 400 ms block that is not silent."""
    size = round(BLOCK_S * sample_rate)
    count = len(left) // size
    if count == 0:
        return np.zeros(0)
    shaped_l = left[: count * size].reshape(count, size).astype(np.float64)
    shaped_r = right[: count * size].reshape(count, size).astype(np.float64)
    lr = np.einsum("ij,ij->i", shaped_l, shaped_r)
    ll = np.einsum("ij,ij->i", shaped_l, shaped_l)
    rr = np.einsum("ij,ij->i", shaped_r, shaped_r)
    audible = (ll / size > _SILENT_MEAN_SQUARE) & (rr / size > _SILENT_MEAN_SQUARE)
    return np.asarray(lr[audible] / np.sqrt(ll[audible] * rr[audible]))


def width_db(mid_energy: float, side_energy: float) -> float | None:
    if mid_energy <= 0 or side_energy <= 0:
        return None
    return float(10.0 * np.log10(side_energy / mid_energy))


def stereo_measures(samples: np.ndarray, sample_rate: float) -> StereoResult:
    """Correlation mean, share of blocks below 0, and overall width of channels 1 and 2."""
    if samples.shape[1] < 2:
        return StereoResult(None, None, None)
    correlations = block_correlation(samples[:, 0], samples[:, 1], sample_rate)
    mid, side = mid_side(samples)
    mid_energy = float(np.dot(mid.astype(np.float64), mid))
    side_energy = float(np.dot(side.astype(np.float64), side))
    if len(correlations) == 0:
        return StereoResult(None, None, width_db(mid_energy, side_energy))
    return StereoResult(
        correlation_mean=float(correlations.mean()),
        correlation_negative_share=float(np.mean(correlations < 0)),
        width_db=width_db(mid_energy, side_energy),
    )
