"""Dynamics measures mastering studies report: TT DR, clipping runs, spectral tilt.

* **DR** (the "TT Dynamic Range" of the Pleasurize Music Foundation's DR Meter, used in
  loudness-war studies, e.g. Vickers, "The loudness war: background, speculation and
  recommendations", AES 129th Convention, 2010): per channel, the file is cut into
  3 s blocks; each block's RMS is sqrt(2 * mean(x^2)) (so a full-scale sine reads
  0 dB), its peak max|x|; the RMS of the loudest 20 % of blocks (by RMS, at least one)
  is compared with the second-highest block peak: DR_c = 20 log10(peak_2nd / RMS_20%).
  DR is the mean over channels, also given rounded as the meter shows it. Only whole
  3 s blocks count; a file shorter than one block has no DR.
* **Clipping runs**: a run of at least 3 consecutive equal samples in one channel at or
  above -1 dBFS; the criterion of Audacity's "Find Clipping" (3 consecutive samples),
  applied to equal values near full scale rather than to 1.0, so a master that was
  clipped and then normalised to -0.1 dBFS is still found. A low-frequency sine at a
  high level can repeat a sample value at its crest and count too.
* **Spectral tilt**: the least-squares slope, in dB per octave, of the long-term power
  spectral density against log2 frequency, over 1/3-octave bands from 50 Hz to 16 kHz
  (band power over band width): white noise 0, pink noise -3.01 dB/octave.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from earwitness.analysis.metrics import _exact
from earwitness.analysis.metrics import _spectral as sp
from earwitness.analysis.metrics._series import Series

__all__ = ["ClipRuns", "DrMeter", "spectral_tilt"]

DR_BLOCK_S = 3.0
DR_LOUDEST = 0.2
CLIP_RUN = 3
CLIP_LEVEL = 10.0 ** (-1.0 / 20.0)
TILT_BAND_HZ = (50.0, 16000.0)


class DrMeter:
    """Per-3-s-block sums of squares and peaks per channel, fed consecutive samples.

    Given the file's ``frames``, the blocks' values go into series of that many blocks
    (on disk with ``spill``, as the caller decides for a long file, see ``_series``), and
    the results are computed from them in chunks (``_exact``), the same bits as from
    arrays.
    """

    def __init__(
        self, sample_rate: float, channels: int, frames: int | None = None, *, spill: bool = False
    ) -> None:
        self.size = round(DR_BLOCK_S * sample_rate)
        self.channels = channels
        self.buffer = np.zeros((0, channels), dtype=np.float32)
        self.blocks = 0
        # (blocks, channels) in C order, flat; grown in memory when frames is unknown
        self.squares: Series | None = None
        self.peaks: Series | None = None
        self._grown: list[tuple[np.ndarray, np.ndarray]] = []
        if frames is not None:
            total = frames // self.size * channels
            self.squares, self.peaks = Series(total, spill=spill), Series(total, spill=spill)

    def feed(self, samples: np.ndarray) -> None:
        """The next (frames, channels) samples; planar ones (``np.asfortranarray``) are
        reduced in place, interleaved ones are copied a channel at a time."""
        buffer = np.concatenate([self.buffer, samples]) if len(self.buffer) else samples
        whole = len(buffer) // self.size
        if whole:
            squares = np.empty((whole, buffer.shape[1]))
            peaks = np.empty((whole, buffer.shape[1]))
            for channel in range(buffer.shape[1]):  # every reduction over contiguous samples
                blocks = buffer[: whole * self.size, channel].reshape(whole, self.size)
                np.maximum(blocks.max(axis=1), -blocks.min(axis=1), out=peaks[:, channel])
                squares[:, channel] = np.einsum("bs,bs->b", blocks, blocks, dtype=np.float64)
            self._store(squares, peaks)
        self.buffer = buffer[whole * self.size :].copy(order="K")

    def _store(self, squares: np.ndarray, peaks: np.ndarray) -> None:
        first, self.blocks = self.blocks, self.blocks + len(squares)
        if self.squares is None or self.peaks is None:
            self._grown.append((squares, peaks))
            return
        span = slice(first * self.channels, self.blocks * self.channels)
        self.squares[span], self.peaks[span] = squares.ravel(), peaks.ravel()

    def _series(self) -> tuple[Series, Series]:
        if self.squares is None or self.peaks is None:
            parts = self._grown
            self.squares, self.peaks = (
                Series.wrap(np.concatenate([p[i] for p in parts]).ravel() if parts
                            else np.zeros(0))
                for i in range(2)
            )  # fmt: skip
            self._grown = []
        return self.squares, self.peaks

    def mean_square(self) -> float:
        """Mean square of every sample fed, over all channels (the crest factor's)."""
        squares, _ = self._series()
        count = self.blocks * self.size * self.channels + self.buffer.size
        tail = float(np.einsum("ij,ij->", self.buffer, self.buffer, dtype=np.float64))
        total = _exact.stream_sum(_exact.stream_of(squares, length=self.blocks * self.channels))
        return (total + tail) / count if count else 0.0

    def result(self) -> tuple[float | None, list[float | None]]:
        """(DR, mean over channels; each channel's DR) in dB; None without a whole block."""
        if not self.blocks:
            return None, []
        squares, peaks = self._series()
        n = self.blocks
        count = max(1, round(DR_LOUDEST * n))
        per_channel: list[float | None] = []
        for channel in range(self.channels):
            rms = self._column(squares, channel, self._rms)
            # the mean of the squares of the loudest ``count`` RMS values, as numpy sums
            # np.sort(rms)[::-1][:count] ** 2
            loudest = _exact.sorted_sum(rms, 0, count, n, descending=True, transform=np.square)
            top_rms = math.sqrt(loudest / count)
            ordered = self._column(peaks, channel)
            second = _exact.select(ordered, n - 2 if n > 1 else 0)
            per_channel.append(
                20.0 * math.log10(second / top_rms) if top_rms > 0 and second > 0 else None
            )
        valid = [value for value in per_channel if value is not None]
        return (float(np.mean(valid)) if valid else None), per_channel

    def _rms(self, squares: np.ndarray) -> np.ndarray:
        return np.sqrt(2.0 * squares / self.size)

    def _column(self, series: Series, channel: int, transform: Any = None) -> _exact.Stream:
        """One channel's values of a flat (blocks, channels) series, chunk by chunk."""
        return _exact.stream_of(
            series, transform=transform, step=self.channels, offset=channel,
            length=self.blocks * self.channels,
        )  # fmt: skip


def crest_factor_db(peak_dbfs: float | None, mean_square: float) -> float | None:
    """Sample peak over RMS in dB; None for silence or without a peak."""
    if peak_dbfs is None or mean_square <= 0:
        return None
    return peak_dbfs - 10.0 * math.log10(mean_square)


class ClipRuns:
    """Runs of >= CLIP_RUN equal samples at or above CLIP_LEVEL, per channel, streamed."""

    def __init__(self, channels: int) -> None:
        self.runs = 0
        self.samples = 0
        self._value = np.full(channels, np.nan)  # value of the run open at the block's end
        self._length = np.zeros(channels, dtype=np.int64)

    def feed(self, samples: np.ndarray) -> None:
        for channel in range(samples.shape[1]):
            self._channel(channel, samples[:, channel])

    def _channel(self, channel: int, x: np.ndarray) -> None:
        """Runs among the samples at or above CLIP_LEVEL only (few in most music)."""
        hot = np.flatnonzero(np.abs(x) >= CLIP_LEVEL)
        carried = int(self._length[channel])
        if len(hot) == 0:
            self._close(carried)
            self._length[channel] = 0
            return
        values = x[hot]
        first_joins = carried > 0 and hot[0] == 0 and values[0] == self._value[channel]
        joins = np.concatenate([[first_joins], (np.diff(hot) == 1) & (values[1:] == values[:-1])])
        starts = np.flatnonzero(~joins)
        touches_end = bool(hot[-1] == len(x) - 1)
        if first_joins:
            head = carried + int(starts[0] if len(starts) else len(hot))
            if len(starts) == 0 and touches_end:
                self._length[channel] = head
                return
            self._close(head)
        else:
            self._close(carried)
        lengths = np.diff(np.append(starts, len(hot)))
        closed = lengths[:-1] if touches_end else lengths
        long_runs = closed[closed >= CLIP_RUN]
        self.runs += len(long_runs)
        self.samples += int(long_runs.sum())
        self._length[channel] = int(lengths[-1]) if touches_end and len(lengths) else 0
        self._value[channel] = values[-1]

    def _close(self, length: int) -> None:
        if length >= CLIP_RUN:
            self.runs += 1
            self.samples += int(length)

    def finish(self) -> tuple[int, int]:
        """(runs, samples in runs) once the last block is fed."""
        for channel in range(len(self._length)):
            self._close(int(self._length[channel]))
            self._length[channel] = 0
        return self.runs, self.samples


def spectral_tilt(spectrum: sp.Spectrum) -> float | None:
    """Slope (dB/octave) of band PSD against log2 frequency, 50 Hz to 16 kHz."""
    low, high = TILT_BAND_HZ
    high = min(high, float(spectrum.frequencies[-1]) / 2.0 ** (1.0 / 6.0))
    centres = sp.fractional_octave_centres(3, low, high)
    lows, highs = sp.band_edges(centres, 3)
    powers = sp.band_powers(spectrum, centres, 3)
    density = powers / (highs - lows)
    keep = density > 0
    if keep.sum() < 3:
        return None
    slope = np.polyfit(np.log2(centres[keep]), 10.0 * np.log10(density[keep]), 1)[0]
    return float(slope)
