"""Sums, means and order statistics of long series in bounded memory, bit for bit as
numpy computes them on the whole array.

The series a long file's results come from (the 10 Hz momentary and short-term
loudness, DR's 3 s blocks, stereo's 400 ms sums, PSR per second) live on disk past
``_series.SPILL_SEGMENTS`` (see ``_series``). What is computed from them is computed
here from a *stream*: a function that yields the selected values chunk by chunk, in
order, reading at most ``CHUNK`` values of the series at a time.

* **Sums and means** reproduce numpy's pairwise summation (``np.add.reduce`` on a
  contiguous float64 array: runs of at most 128 values summed with 8 accumulators, longer
  ones split at n/2 rounded down to a multiple of 8). The same split is made here down to
  runs of at most ``LEAF`` values, which numpy then sums itself, so the result is the
  same bits as the whole array's sum (checked in ``tests/analysis/test_exact.py``).
* **Order statistics** (EBU Tech 3342's 10th and 95th percentiles of the gated
  short-term loudness, "Loudness Range: A measure to supplement EBU R 128 loudness
  normalization", 2016, §2; libebur128's; DR's loudest 20 % of blocks; PSR's
  percentiles) are found exactly by a radix selection over the values' order-preserving
  64-bit keys: each pass counts the next 8 bits among the values that share the bits
  found so far (at most eight passes), and once the candidates fit in ``LEAF`` values
  they are gathered and partitioned. No histogram approximation: the value returned is
  the one ``np.sort(values)[rank]`` gives.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np

__all__ = [
    "CHUNK",
    "LEAF",
    "Stream",
    "count",
    "pairwise_sum",
    "percentiles",
    "select",
    "sorted_range",
    "sorted_sum",
    "stream_of",
    "stream_sum",
]

CHUNK = 1 << 16  # values read from a series at a time
LEAF = 1 << 16  # values held at once by a sum or a selection (at least 129)

Stream = Callable[[], Iterator[np.ndarray]]

_SIGN = np.uint64(1 << 63)
_DIGIT_BITS = 8  # 256 counts a pass, at most 8 passes


def stream_of(
    series: Any,
    keep: Callable[[np.ndarray], np.ndarray] | None = None,
    transform: Callable[[np.ndarray], np.ndarray] | None = None,
    step: int = 1,
    length: int | None = None,
    offset: int = 0,
) -> Stream:
    """Chunks of ``series[offset:length:step]`` (read by ranges of whole steps: with
    ``step`` channels, ``offset`` picks one channel of interleaved values), each filtered
    by ``keep`` (a mask of the values) and then mapped by ``transform`` (elementwise)."""
    total = len(series) if length is None else length
    size = max(step, CHUNK // step * step)

    def chunks() -> Iterator[np.ndarray]:
        for start in range(0, total, size):
            values = np.asarray(series[start : min(total, start + size)])[offset::step]
            if keep is not None:
                values = values[keep(values)]
            yield transform(values) if transform is not None else values

    return chunks


def count(stream: Stream) -> int:
    return sum(len(values) for values in stream())


def pairwise_sum(n: int, leaf: Callable[[int, int], np.ndarray]) -> float:
    """``np.add.reduce`` of n float64 values, ``leaf(a, b)`` giving values a..b-1 (as a
    contiguous float64 array), asked for in increasing order."""
    return _pairwise(0, n, leaf, max(LEAF, 129)) if n else 0.0


def _pairwise(start: int, size: int, leaf: Callable[[int, int], np.ndarray], limit: int) -> float:
    # a module function, not a closure over itself: no reference cycle keeps the
    # stream's last chunk alive until the garbage collector runs
    if size <= limit:
        return float(np.add.reduce(np.ascontiguousarray(leaf(start, start + size))))
    half = size // 2
    half -= half % 8
    return _pairwise(start, half, leaf, limit) + _pairwise(start + half, size - half, leaf, limit)


def stream_sum(stream: Stream, n: int | None = None) -> float:
    """The pairwise sum of every value of ``stream`` in order (n: their count, if known)."""
    n = count(stream) if n is None else n
    cursor = _Cursor(stream)
    return pairwise_sum(n, cursor.take)


class _Cursor:
    """Values a..b-1 of a stream, asked for in increasing, adjoining ranges."""

    def __init__(self, stream: Stream) -> None:
        self._chunks = stream()
        self._held = np.zeros(0)
        self._position = 0

    def take(self, start: int, stop: int) -> np.ndarray:
        if start != self._position:
            raise ValueError("ranges must be asked for in order")
        parts, have = [self._held], len(self._held)
        while have < stop - start:
            values = next(self._chunks)
            parts.append(values)
            have += len(values)
        held = np.concatenate(parts) if len(parts) > 1 else parts[0]
        self._held, self._position = held[stop - start :], stop
        return held[: stop - start]


def _keys(values: np.ndarray) -> np.ndarray:
    """Order-preserving unsigned keys of float64 values (negative: all bits flipped)."""
    bits = np.ascontiguousarray(values, dtype=np.float64).view(np.uint64)
    return np.where(bits & _SIGN, ~bits, bits | _SIGN)


def _value(key: int) -> float:
    bits = key & ~(1 << 63) if key >> 63 else ~key & ((1 << 64) - 1)
    return float(np.array([bits], dtype=np.uint64).view(np.float64)[0])


def select(stream: Stream, rank: int) -> float:
    """The value at ``rank`` (from 0) of the stream's values in ascending order."""
    prefix, found, remaining = 0, 0, rank
    while found < 64:
        shift = 64 - found - _DIGIT_BITS
        counts = np.zeros(1 << _DIGIT_BITS, dtype=np.int64)
        for values in stream():
            keys = _keys(values)
            if found:
                keys = keys[(keys >> np.uint64(64 - found)) == np.uint64(prefix)]
            counts += np.bincount(
                ((keys >> np.uint64(shift)) & np.uint64(0xFF)).astype(np.intp),
                minlength=1 << _DIGIT_BITS,
            )
        below = np.cumsum(counts)
        digit = int(np.searchsorted(below, remaining, side="right"))
        if digit >= len(counts):
            raise IndexError(rank)
        remaining -= int(below[digit - 1]) if digit else 0
        prefix, found = (prefix << _DIGIT_BITS) | digit, found + _DIGIT_BITS
        if found < 64 and counts[digit] <= max(LEAF, 129):
            return _gathered(stream, prefix, found, remaining)
    return _value(prefix)


def _gathered(stream: Stream, prefix: int, found: int, rank: int) -> float:
    """The value at ``rank`` among the values whose keys start with ``prefix``."""
    parts = []
    for values in stream():
        keys = _keys(values)
        parts.append(values[(keys >> np.uint64(64 - found)) == np.uint64(prefix)])
    candidates = np.concatenate(parts)
    return float(np.partition(candidates, rank)[rank])


def sorted_range(stream: Stream, start: int, stop: int) -> np.ndarray:
    """``np.sort(values)[start:stop]`` of the stream's values, holding about stop - start."""
    if stop <= start:
        return np.zeros(0)
    low, high = select(stream, start), select(stream, stop - 1)
    if low == high:
        return np.full(stop - start, low)
    below, at_low, between = 0, 0, []
    for values in stream():
        below += int(np.count_nonzero(values < low))
        at_low += int(np.count_nonzero(values == low))
        between.append(values[(values > low) & (values < high)])
    middle = np.sort(np.concatenate(between)) if between else np.zeros(0)
    lows = min(below + at_low, stop) - start
    highs = stop - start - lows - len(middle)
    return np.concatenate([np.full(lows, low), middle, np.full(highs, high)])


def sorted_sum(
    stream: Stream, start: int, stop: int, n: int, *, descending: bool = False,
    transform: Callable[[np.ndarray], np.ndarray] | None = None,
) -> float:  # fmt: skip
    """The pairwise sum of ``transform(s[start:stop])``, s the n values of ``stream``
    sorted ascending (or descending), as numpy sums that slice."""

    def leaf(a: int, b: int) -> np.ndarray:
        if descending:
            values = sorted_range(stream, n - (start + b), n - (start + a))[::-1]
        else:
            values = sorted_range(stream, start + a, start + b)
        return transform(values) if transform is not None else values

    return pairwise_sum(stop - start, leaf)


def percentiles(stream: Stream, n: int, q: Sequence[float]) -> list[float]:
    """``np.percentile(values, q)`` (method "linear") of the n values of ``stream``."""
    quantiles = np.true_divide(np.asanyarray(q), 100)
    virtual = (n - 1) * quantiles
    previous = np.floor(virtual)
    following = previous + 1
    previous_index = np.where(virtual >= n - 1, n - 1, previous).astype(np.intp)
    following_index = np.where(virtual >= n - 1, n - 1, following).astype(np.intp)
    gamma = np.asanyarray(virtual - previous)
    result = []
    for low_rank, high_rank, t in zip(previous_index, following_index, gamma, strict=True):
        a = np.float64(select(stream, int(low_rank)))
        b = a if high_rank == low_rank else np.float64(select(stream, int(high_rank)))
        diff = b - a
        value = b - diff * (1 - t) if t >= 0.5 else a + diff * t
        result.append(float(value))
    return result
