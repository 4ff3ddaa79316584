"""Stereo image: L/R correlation in 400 ms blocks and side/mid energy.

Correlation is the phase-correlation-meter coefficient sum(L*R)/sqrt(sum(L^2) sum(R^2))
over non-overlapping 400 ms blocks (the momentary window of EBU R 128), as in the
correlation meters of IEC 60268-18; blocks where either channel is below -70 dBFS RMS
are left out. Width is the ratio of side to mid energy, M = (L+R)/2, S = (L-R)/2, in dB:
0 dB means as much side as mid, -inf a mono signal.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from earwitness.analysis.metrics import _exact
from earwitness.analysis.metrics._series import Series, as_series

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


def _block_sums(
    left: np.ndarray, right: np.ndarray, size: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-block sums of L*R, L*L and R*R, in float64, a few blocks at a time."""
    count = len(left) // size
    sums = np.zeros((3, count))
    step = max(1, (1 << 18) // size)
    for first in range(0, count, step):
        last = min(count, first + step)
        l_blocks = left[first * size : last * size].reshape(-1, size).astype(np.float64)
        r_blocks = right[first * size : last * size].reshape(-1, size).astype(np.float64)
        sums[0, first:last] = np.einsum("ij,ij->i", l_blocks, r_blocks)
        sums[1, first:last] = np.einsum("ij,ij->i", l_blocks, l_blocks)
        sums[2, first:last] = np.einsum("ij,ij->i", r_blocks, r_blocks)
    return sums[0], sums[1], sums[2]


def block_correlation(left: np.ndarray, right: np.ndarray, sample_rate: float) -> np.ndarray:
    """Correlation coefficient of each full 400 ms block that is not silent."""
    size = round(BLOCK_S * sample_rate)
    lr, ll, rr = _block_sums(left, right, size)
    audible = (ll / size > _SILENT_MEAN_SQUARE) & (rr / size > _SILENT_MEAN_SQUARE)
    return np.asarray(lr[audible] / np.sqrt(ll[audible] * rr[audible]))


def width_db(mid_energy: float, side_energy: float) -> float | None:
    if mid_energy <= 1e-30 * max(side_energy, 1.0) or side_energy <= 1e-30 * max(mid_energy, 1.0):
        return None
    return float(10.0 * np.log10(side_energy / mid_energy))


def stereo_measures(samples: np.ndarray, sample_rate: float) -> StereoResult:
    """Correlation mean, share of blocks below 0, and overall width of channels 1 and 2.

    Mid and side energies come from the same block sums: 4M^2 = L^2 + 2LR + R^2 and
    4S^2 = L^2 - 2LR + R^2, so no mid or side signal is built.
    """
    if samples.shape[1] < 2:
        return StereoResult(None, None, None)
    size = round(BLOCK_S * sample_rate)
    left, right = samples[:, 0], samples[:, 1]
    lr, ll, rr = _block_sums(left, right, size)
    return result_from_sums(lr, ll, rr, left[len(lr) * size :], right[len(lr) * size :], size)


def result_from_sums(
    lr: np.ndarray | Series,
    ll: np.ndarray | Series,
    rr: np.ndarray | Series,
    tail_left: np.ndarray,
    tail_right: np.ndarray,
    size: int,
) -> StereoResult:
    """The stereo measures from per-block sums and the samples after the last block.

    The sums may be series on disk (a long file's): they are read in chunks and summed
    as numpy sums the whole arrays (``_exact``), so the results are the same bits.
    """
    tail_l = tail_left.astype(np.float64)
    tail_r = tail_right.astype(np.float64)
    lr, ll, rr = as_series(lr), as_series(ll), as_series(rr)
    sum_lr = _total(lr) + float(tail_l @ tail_r)
    sum_ll = _total(ll) + float(tail_l @ tail_l)
    sum_rr = _total(rr) + float(tail_r @ tail_r)
    width = width_db((sum_ll + 2 * sum_lr + sum_rr) / 4, (sum_ll - 2 * sum_lr + sum_rr) / 4)
    correlations = _correlations(lr, ll, rr, size)
    n = _exact.count(correlations)
    if n == 0:
        return StereoResult(None, None, width)
    negative = sum(int(np.count_nonzero(c < 0)) for c in correlations())
    return StereoResult(
        correlation_mean=_exact.stream_sum(correlations, n) / n,
        correlation_negative_share=negative / n,
        width_db=width,
    )


def _total(sums: Series) -> float:
    return _exact.stream_sum(_exact.stream_of(sums))


def _correlations(lr: Series, ll: Series, rr: Series, size: int) -> _exact.Stream:
    """The correlation of each audible block, chunk by chunk."""

    def chunks() -> Iterator[np.ndarray]:
        for start in range(0, len(lr), _exact.CHUNK):
            stop = min(len(lr), start + _exact.CHUNK)
            block_lr, block_ll, block_rr = lr[start:stop], ll[start:stop], rr[start:stop]
            audible = (block_ll / size > _SILENT_MEAN_SQUARE) & (
                block_rr / size > _SILENT_MEAN_SQUARE
            )
            yield block_lr[audible] / np.sqrt(block_ll[audible] * block_rr[audible])

    return chunks
