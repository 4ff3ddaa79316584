"""Per-10 ms series of any length in bounded memory: in memory when short, else on disk.

A long file's per-segment values (K-weighted energy sums, sample peaks and true-peak
bounds, the 3 s loudness every 10 ms, PSR thresholds: about 60 bytes per 10 ms
segment) and the coarser series made from them (the 10 Hz momentary and short-term
loudness, DR's 3 s and stereo's 400 ms sums, PSR per second, the blocks read) are the
only part of measuring that grows with its length. Past ``SPILL_SEGMENTS``
segments (about 44 minutes) each series lives in an unnamed temporary file in the
system temp dir (deleted when the series is), read and written by ranges of at most a
chunk, so memory stays bounded at any length. Values go through the file as they are
(float64 bytes), so the results are the same bit for bit (sums and percentiles over
them: ``_exact``).

Segment bounds are computed on demand from their formula rather than stored.
"""

from __future__ import annotations

import os
import tempfile
import weakref
from typing import Any

import numpy as np

__all__ = ["SPILL_SEGMENTS", "SegmentBounds", "Series", "as_series", "spills"]

SPILL_SEGMENTS = 1 << 18  # up to this many values a series stays in memory (2 MiB)
_FILL_CHUNK = 1 << 16


def spills(segments: int) -> bool:
    """Whether a file of ``segments`` 10 ms segments keeps its series on disk."""
    return segments > SPILL_SEGMENTS


class Series:
    """A fixed-length 1-D array read and written by contiguous ranges (``s[a:b]``).

    In memory a read is a view (do not modify it in place); on disk it is a copy.
    """

    def __init__(
        self, length: int, dtype: Any = np.float64, fill: float = 0.0, *, spill: bool | None = None
    ) -> None:
        self.length, self.dtype = length, np.dtype(dtype)
        if spill is None:
            spill = spills(length)
        self._array: np.ndarray | None = None
        self._file: Any = None
        if not spill:
            self._array = np.full(length, fill, dtype=self.dtype)
            return
        # open as long as the series lives: closed (and so deleted) with it
        self._file = tempfile.TemporaryFile(prefix="earwitness-series-", buffering=0)  # noqa: SIM115
        weakref.finalize(self, self._file.close)
        os.ftruncate(self._file.fileno(), length * self.dtype.itemsize)  # zeros
        if fill != 0:
            block = np.full(min(length, _FILL_CHUNK), fill, dtype=self.dtype)
            for start in range(0, length, _FILL_CHUNK):
                self[start : min(length, start + _FILL_CHUNK)] = block[: length - start]

    @classmethod
    def wrap(cls, array: np.ndarray) -> Series:
        """An in-memory series over ``array`` (no copy)."""
        series = cls(0, array.dtype, spill=False)
        series._array, series.length = array, len(array)
        return series

    @property
    def on_disk(self) -> bool:
        return self._file is not None

    def __len__(self) -> int:
        return self.length

    def _range(self, key: slice) -> tuple[int, int]:
        if key.step not in (None, 1):
            raise ValueError("a Series is read by contiguous ranges")
        start, stop, _ = key.indices(self.length)
        return start, max(start, stop)

    def __getitem__(self, key: slice) -> np.ndarray:
        if self._array is not None:
            return self._array[key]
        start, stop = self._range(key)
        out = np.empty(stop - start, dtype=self.dtype)
        _read_at(self._file, out.data.cast("B"), start * self.dtype.itemsize)
        return out

    def __setitem__(self, key: slice, values: Any) -> None:
        if self._array is not None:
            self._array[key] = values
            return
        start, stop = self._range(key)
        data = np.ascontiguousarray(np.broadcast_to(values, (stop - start,)), dtype=self.dtype)
        _write_at(self._file, data.data.cast("B"), start * self.dtype.itemsize)

    def array(self) -> np.ndarray:
        """Every value as one array (whole-file use; a copy when on disk)."""
        return self[0 : self.length]

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
            self._array = np.zeros(0, dtype=self.dtype)
            self.length = 0


def _read_at(file: Any, view: memoryview, offset: int) -> None:
    """Fill ``view`` from ``offset``: positioned reads where the system has them
    (``preadv``: Linux, BSD, macOS), else seek and read (Windows)."""
    done = 0
    while done < len(view):
        if hasattr(os, "preadv"):
            got = os.preadv(file.fileno(), [view[done:]], offset + done)
        else:
            file.seek(offset + done)
            got = file.readinto(view[done:])
        if not got:
            raise OSError("short read from a temporary series file")
        done += got


def _write_at(file: Any, view: memoryview, offset: int) -> None:
    done = 0
    while done < len(view):
        if hasattr(os, "pwrite"):
            done += os.pwrite(file.fileno(), view[done:], offset + done)
        else:
            file.seek(offset + done)
            done += file.write(view[done:])


def as_series(values: np.ndarray | Series) -> Series:
    return values if isinstance(values, Series) else Series.wrap(values)


class SegmentBounds:
    """The bounds round(k * rate * 10 ms), k = 0 .. count, computed when read.

    A read gives the same int64 values as the whole array would (each is the rounded
    product of an exact integer and the same segment length).
    """

    def __init__(self, count: int, length: float) -> None:
        self.count, self.segment_length = count, length

    def __len__(self) -> int:
        return self.count + 1

    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, slice):
            start, stop, step = key.indices(self.count + 1)
            return np.round(np.arange(start, stop, step) * self.segment_length).astype(np.int64)
        index = int(key) + (self.count + 1 if int(key) < 0 else 0)
        if not 0 <= index <= self.count:
            raise IndexError(key)
        return np.int64(np.round(np.arange(index, index + 1) * self.segment_length)[0])

    def searchsorted(self, value: float, side: str = "left") -> int:
        """As ``np.searchsorted`` on the whole array, for one value."""
        guess = int(value // self.segment_length)
        low = min(max(guess - 2, 0), self.count + 1)
        high = min(max(guess + 3, 0), self.count + 1)
        return low + int(np.searchsorted(self[low:high], value, side=side))  # type: ignore[call-overload]

    def array(self) -> np.ndarray:
        return self[0 : self.count + 1]
