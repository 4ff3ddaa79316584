"""Measuring a file block by block, so memory is bounded by the block, not the file.

Each measure keeps only running sums or per-10 ms values (about 1/400 of the audio;
past ``_series.SPILL_SEGMENTS`` segments those are in temporary files, see ``_series``):

* loudness: ``EnergyMeter`` carries the K-filter state over a fixed chunk grid, so its
  segment energies equal the whole-file ones bit for bit;
* true peak: each block of whole 10 ms segments is interpolated with the 16 samples
  before it and the 5 after it (``TruePeakMeter`` with ``head``/``tail`` off), so every
  oversampled value is computed from the same samples as in the whole file; the per
  segment bounds are kept, and PSR's few candidate segments are re-read afterwards;
* spectra and stereo sums: frames, 400 ms blocks and sums on the same
  grid as the whole-file code, with the samples between blocks carried over (the crest
  factor comes from the DR meter's sums of squares);

Each block is made planar once (``np.asfortranarray``: every channel contiguous) and the
samples carried between blocks stay so, since every measure reads one channel at a time;
the values are the same, strided reads of interleaved samples cost 2-6 times more.

Results equal :func:`measure_audio` on the whole file (``tests/analysis/test_streaming.py``).
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import numpy as np
import soundfile as sf

from earwitness.analysis.metrics import _exact, _series
from earwitness.analysis.metrics import _spectral as sp
from earwitness.analysis.metrics._dynamics import ClipRuns, DrMeter, crest_factor_db
from earwitness.analysis.metrics._io import AudioInfo, check_block, check_complete, open_frames
from earwitness.analysis.metrics._layout import layout_weights
from earwitness.analysis.metrics._loudness import EnergyMeter, loudness_from
from earwitness.analysis.metrics._series import SegmentBounds, Series
from earwitness.analysis.metrics._truepeak import HISTORY, LOOKAHEAD, TruePeakMeter

__all__ = ["BLOCK_FRAMES", "BLOCK_SAMPLES", "block_frames_for", "measure_streamed"]

# 4 MiB of float32 per block: 2^19 frames of stereo (about 12 s at 44.1 kHz). Every
# measure holds a few copies of the block at once, in two threads, so peak memory
# grows with it (180 s stereo: 123 MiB with 8 MiB blocks, 91 MiB with 4 MiB); larger
# blocks saved no measurable time.
BLOCK_SAMPLES = 1 << 20
BLOCK_FRAMES = BLOCK_SAMPLES // 2


def block_frames_for(channels: int) -> int:
    """Frames per block for ``channels``: BLOCK_SAMPLES samples, at least 2^16 frames."""
    return max(1 << 16, BLOCK_SAMPLES // max(channels, 1))


_REREAD_GAP = 50  # segments: a gap this short is read through rather than sought over
_STEREO_BLOCK_S = 0.4


class _Frames:
    """Mean power spectra of Hann frames (FRAME, hop HOP) of 1 or 2 signals, streamed.

    ``mode`` "mono" frames each signal; "midside" frames (L+R)/2 and (L-R)/2 of a pair.
    Batches of _BATCH frames fall on the same grid as the whole-file functions.
    """

    def __init__(self, mode: str) -> None:
        self.mode = mode
        self.buffer = np.zeros((0, 2 if mode == "midside" else 1), dtype=np.float32)
        self.frames = 0
        self.totals = np.zeros((2 if mode == "midside" else 1, sp.FRAME // 2 + 1))
        self.received = 0
        self.window = np.hanning(sp.FRAME + 1)[:-1].astype(np.float32)
        rows = sp._BATCH if mode == "midside" else 0
        self.work = np.empty((rows, sp.FRAME), dtype=np.float32)

    def feed(self, x: np.ndarray, final: bool = False) -> None:
        self.received += len(x)
        buffer = np.concatenate([self.buffer, x]) if len(self.buffer) else x
        if final and self.received < sp.FRAME:
            pad = np.zeros((sp.FRAME - len(buffer), buffer.shape[1]), dtype=np.float32)
            buffer = np.concatenate([buffer, pad])
        span = (sp._BATCH - 1) * sp.HOP + sp.FRAME
        start = 0
        while len(buffer) - start >= span or (final and len(buffer) - start >= sp.FRAME):
            count = min(sp._BATCH, (len(buffer) - start - sp.FRAME) // sp.HOP + 1)
            self._batch(buffer[start : start + (count - 1) * sp.HOP + sp.FRAME], count)
            start += count * sp.HOP
        self.buffer = buffer[start:].copy(order="K")

    def _batch(self, x: np.ndarray, count: int) -> None:
        from numpy.lib.stride_tricks import sliding_window_view

        views = [
            sliding_window_view(x[:, c], sp.FRAME)[:: sp.HOP][:count] for c in range(x.shape[1])
        ]
        if self.mode == "midside":
            self.totals += sp.mid_side_power(views[0], views[1], self.work)
        else:
            self.totals[0] += sp.power_sum(views[0] * self.window)
        self.frames += count

    def spectra(self, rate: float) -> list[sp.Spectrum]:
        power = self.totals / self.frames
        power[:, 1:-1] *= 2.0
        frequencies = np.fft.rfftfreq(sp.FRAME, 1.0 / rate)
        return [sp.Spectrum(frequencies, row, self.frames) for row in power]


class _Stereo:
    """Per-400 ms sums of L*R, L*L, R*R and the tail, as ``_stereo.stereo_measures``;
    the sums go into series of the file's block count (on disk for long files)."""

    def __init__(self, rate: float, frames: int, spill: bool) -> None:
        from earwitness.analysis.metrics._stereo import _block_sums

        self._sums = _block_sums
        self.size = round(_STEREO_BLOCK_S * rate)
        self.buffer = np.zeros((0, 2), dtype=np.float32)
        self.sums = [Series(frames // self.size, spill=spill) for _ in range(3)]
        self.blocks = 0

    def feed(self, pair: np.ndarray) -> None:
        buffer = np.concatenate([self.buffer, pair]) if len(self.buffer) else pair
        whole = len(buffer) // self.size * self.size
        if whole:
            sums = self._sums(buffer[:whole, 0], buffer[:whole, 1], self.size)
            first, self.blocks = self.blocks, self.blocks + whole // self.size
            for series, values in zip(self.sums, sums, strict=True):
                series[first : self.blocks] = values
        self.buffer = buffer[whole:].copy(order="K")

    def result(self) -> Any:
        from earwitness.analysis.metrics._stereo import result_from_sums

        lr, ll, rr = self.sums
        return result_from_sums(lr, ll, rr, self.buffer[:, 0], self.buffer[:, 1], self.size)


class _StreamedPeaks:
    """True peak over blocks; keeps per-segment bounds and re-reads blocks for PSR."""

    def __init__(
        self, handle: sf.SoundFile, bounds: SegmentBounds, frames: int, block_frames: int
    ) -> None:
        self.handle, self.bounds, self.frames = handle, bounds, frames
        self.sample_peak, self.clipped, self.peak, self.overs = 0.0, 0, 0.0, 0
        self.channel_peaks: np.ndarray = np.zeros(0)
        # 16 bytes per 10 ms segment, filled block by block (on disk for long files)
        self.segment_lower = Series(max(len(bounds) - 1, 0))
        self.segment_upper = Series(max(len(bounds) - 1, 0))
        # the segment each fed range ends at (one a block read: on disk with the rest)
        self.ends = Series(-(-frames // max(block_frames, 1)) + 2, dtype=np.int64,
                           spill=self.segment_lower.on_disk)  # fmt: skip
        self.fed = 0

    def meter(self, x: np.ndarray, first: int, last: int, offset: int) -> TruePeakMeter:
        """The meter of segments first..last-1 from ``x``, which starts at frame ``offset``."""
        is_last = last == len(self.bounds) - 1
        start = int(self.bounds[first])
        own_stop = self.frames if is_last else int(self.bounds[last])
        return TruePeakMeter(
            x, self.bounds[first : last + 1] - offset,
            head=first == 0, tail=is_last, own=slice(start - offset, own_stop - offset),
        )  # fmt: skip

    def feed(self, x: np.ndarray, first: int, last: int, offset: int) -> None:
        meter = self.meter(x, first, last, offset)
        if len(self.channel_peaks) == 0:
            self.channel_peaks = np.zeros(x.shape[1])
        peak, overs = meter.true_peak(self.channel_peaks)
        self.channel_peaks = np.maximum(self.channel_peaks, meter.channel_peaks)
        self.peak = max(self.peak, peak, meter.sample_peak)
        self.overs += overs
        self.sample_peak = max(self.sample_peak, meter.sample_peak)
        self.clipped += meter.clipped
        self.segment_lower[first:last] = meter.segment_lower
        self.segment_upper[first:last] = meter.segment_upper
        self.ends[self.fed : self.fed + 1] = last
        self.fed += 1

    def blocks(self) -> Iterator[tuple[int, int]]:
        """The segment ranges fed, in order."""
        first = 0
        for ends in _exact.stream_of(self.ends, length=self.fed)():
            for last in ends.tolist():
                yield first, last
                first = last

    def segment_peaks(self, threshold: Any) -> Series:
        """As TruePeakMeter.segment_peaks, re-reading only the blocks that need it;
        ``threshold`` is read by ranges (a Series or an array)."""
        result = Series(len(self.segment_lower))
        for first, last in self.blocks():  # block by block, so no read is larger than a block
            values = np.array(self.segment_lower[first:last])
            limit = threshold[first:last]
            wanted = np.flatnonzero(self.segment_upper[first:last] > limit)
            if len(wanted):
                # runs of wanted segments, gaps under _REREAD_GAP read through
                starts = np.concatenate([[0], np.flatnonzero(np.diff(wanted) > _REREAD_GAP) + 1])
                stops = np.concatenate([starts[1:], [len(wanted)]])
                for lo, hi in zip(wanted[starts], wanted[stops - 1] + 1, strict=True):
                    run = slice(int(lo), int(hi))
                    values[run] = self._reread(first + run.start, first + run.stop, limit[run])
            result[first:last] = values
        return result

    def _reread(self, first: int, last: int, threshold: np.ndarray) -> np.ndarray:
        """Segments first..last-1 interpolated from a fresh read of their samples."""
        offset = max(0, int(self.bounds[first]) - HISTORY)
        is_last = last == len(self.bounds) - 1
        stop = self.frames if is_last else min(self.frames, int(self.bounds[last]) + LOOKAHEAD)
        self.handle.seek(offset)
        x = self.handle.read(stop - offset, dtype="float32", always_2d=True)
        return self.meter(x, first, last, offset).segment_peaks(threshold)


def _columns(block: np.ndarray, pair: tuple[int, int]) -> np.ndarray:
    """The pair's two columns, planar; the block itself (no copy) when it is just that pair."""
    if pair == (0, 1) and block.shape[1] == 2:
        return block
    return np.asfortranarray(block[:, list(pair)])


def _feed_spectra(
    block: np.ndarray,
    final: bool,
    pair: tuple[int, int] | None,
    midside: _Frames | None,
    mono: dict[int, _Frames],
) -> None:
    """The spectral part of one block (run beside the loudness and peak part)."""
    if pair is not None and midside is not None:
        midside.feed(_columns(block, pair), final)
    for channel, frames in mono.items():
        frames.feed(block[:, channel : channel + 1], final)


def measure_streamed(
    info: AudioInfo,
    block_frames: int = BLOCK_FRAMES,
    lra_convention: str = "tech3342",
    *,
    weights: np.ndarray | None = None,
    psr_distribution: bool = False,
) -> dict[str, Any]:
    """The loudness, peak, spectral, stereo, crest and dynamics inputs of ``measure_audio``."""
    layout = info.channel_layout
    if weights is None:
        weights = np.asarray(layout_weights(layout.speakers), dtype=np.float64)
    energy = EnergyMeter(info.frames, info.sample_rate, weights)
    bounds = energy.grid
    pair = layout.front_pair if info.channels > 1 else None
    used = [c for c in range(info.channels) if weights[c] > 0] or [0]
    mono = {c: _Frames("mono") for c in used} if pair is None or info.channels > 2 else {}
    midside = _Frames("midside") if pair is not None else None
    spill = _series.spills(bounds.count)
    stereo = _Stereo(info.sample_rate, info.frames, spill) if pair is not None else None
    dr = DrMeter(info.sample_rate, info.channels, info.frames, spill=spill)
    clips = ClipRuns(info.channels)
    pending: Future[None] | None = None
    with open_frames(info) as handle, ThreadPoolExecutor(max_workers=1) as spectral:
        peaks = _StreamedPeaks(handle, bounds, info.frames, block_frames)
        carry = np.zeros((0, info.channels), dtype=np.float32)
        carry_start, position, first = 0, 0, 0
        last_segment = len(bounds) - 1
        while True:
            block = np.asfortranarray(handle.read(block_frames, dtype="float32", always_2d=True))
            check_block(block, info)
            final = len(block) < block_frames or position + len(block) >= info.frames
            position += len(block)
            if pending is not None:
                pending.result()
            pending = spectral.submit(_feed_spectra, block, final, pair, midside, mono)
            energy.feed(block)
            dr.feed(block)
            clips.feed(block)
            if pair is not None and stereo is not None:
                stereo.feed(_columns(block, pair))
            carry = np.concatenate([carry, block]) if len(carry) else block
            # the segments whose samples and 5 following samples have arrived
            last = (
                last_segment
                if final
                else bounds.searchsorted(position - LOOKAHEAD, side="right") - 1
            )
            if last > first or final:
                peaks.feed(carry, first, max(last, first), carry_start)
                keep = max(0, int(bounds[max(last, first)]) - HISTORY) if not final else position
                carry = carry[keep - carry_start :]
                carry_start, first = keep, last
            if final:
                break
        if pending is not None:
            pending.result()
        check_complete(handle, position, info)
        level = loudness_from(
            energy.cumulative, bounds, peaks, peaks.peak, peaks.overs, lra_convention,
            psr_distribution=psr_distribution,
        )  # fmt: skip
    spectra = {c: f.spectra(info.sample_rate)[0] for c, f in mono.items()}
    sides = midside.spectra(info.sample_rate) if midside is not None else None
    return {
        "level": level,
        "stereo": stereo.result() if stereo is not None else None,
        "crest_factor_db": crest_factor_db(level.sample_peak_dbfs, dr.mean_square()),
        "dr": dr.result(),
        "clip_runs": clips.finish(),
        "channel_spectra": spectra,
        "mid_side": sides,
    }
