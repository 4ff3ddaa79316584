"""True peak per ITU-R BS.1770-4 Annex 2, interpolated only where it can change a result.

The 4x interpolator is the order-48 polyphase FIR of Annex 2: phase p gives
y_p[o] = sum_k h_p[k] x[o - k] for o = 0 .. n + 10 (x is zero outside the signal), and
the values at o = j + 5 (the filter's delay) lie between samples j - 1 and j.

Skipping is exact. By the triangle inequality |y_p[o]| <= G * max|x[o - 11 .. o]| with
G = max_p sum_k |h_p[k]| (2.02), so a stretch whose bound does not exceed a level
cannot hold an interpolated value above it: stretches bounded by the sample peak
cannot raise the true peak, stretches bounded by 1.0 hold no inter-sample over, and a
10 ms segment bounded below a threshold the caller gives cannot hold a value above
it. The stretches are the 10 ms loudness segments (plus the filter's head and tail).

Phases 3 and 2 are phases 0 and 1 reversed, so y0 +- y3 and y1 +- y2 come from six
sums and six differences of mirrored samples, and max(|y0|, |y3|) = (|y0 + y3| +
|y0 - y3|) / 2: half the multiplications of four separate convolutions.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["HISTORY", "LOOKAHEAD", "TRUE_PEAK_PHASES", "TruePeakMeter"]

# BS.1770-4 Annex 2: the order-48, 4-phase interpolating FIR, one row per phase.
TRUE_PEAK_PHASES = np.array(
    [
        [0.0017089843750, 0.0109863281250, -0.0196533203125, 0.0332031250000,
         -0.0594482421875, 0.1373291015625, 0.9721679687500, -0.1022949218750,
         0.0476074218750, -0.0266113281250, 0.0148925781250, -0.0083007812500],
        [-0.0291748046875, 0.0292968750000, -0.0517578125000, 0.0891113281250,
         -0.1665039062500, 0.4650878906250, 0.7797851562500, -0.2003173828125,
         0.1015625000000, -0.0582275390625, 0.0330810546875, -0.0189208984375],
        [-0.0189208984375, 0.0330810546875, -0.0582275390625, 0.1015625000000,
         -0.2003173828125, 0.7797851562500, 0.4650878906250, -0.1665039062500,
         0.0891113281250, -0.0517578125000, 0.0292968750000, -0.0291748046875],
        [-0.0083007812500, 0.0148925781250, -0.0266113281250, 0.0476074218750,
         -0.1022949218750, 0.9721679687500, 0.1373291015625, -0.0594482421875,
         0.0332031250000, -0.0196533203125, 0.0109863281250, 0.0017089843750],
    ]
)  # fmt: skip
TAPS = TRUE_PEAK_PHASES.shape[1]
DELAY = (TAPS - 1) // 2
HALF = TAPS // 2
HISTORY = TAPS + DELAY - 1  # samples before a block that its first stretch reads (16)
LOOKAHEAD = DELAY  # samples after a block that its last stretch reads (5)
# The bound's gain, raised by far more than float32 rounding of a 12-term sum can add.
BOUND_GAIN = float(np.abs(TRUE_PEAK_PHASES).sum(axis=1).max()) * (1.0 + 1e-5)
_FULL_SCALE = 1.0 - 2.0**-15  # a 16-bit full-scale sample
_ROWS = 128  # stretches interpolated together


def _mirror_coefficients() -> np.ndarray:
    """Rows: y0+y3 and y1+y2 from sums, y0-y3 and y1-y2 from differences of mirrored taps."""
    head, mirrored = TRUE_PEAK_PHASES[:2, :HALF], TRUE_PEAK_PHASES[:2, : HALF - 1 : -1]
    return np.vstack([head + mirrored, head - mirrored]).astype(np.float32)


_MIRRORED = _mirror_coefficients()


def interpolate_rows(windows: np.ndarray, width: int) -> tuple[np.ndarray, np.ndarray]:
    """Max |y_p| and count of |y_p| > 1 (over all phases) for each row of ``windows``.

    Row r holds x[o_r - 11 .. o_r + width) and yields outputs o_r .. o_r + width - 1,
    shape (rows, width): (max over phases, number of phases above 1.0).
    """
    rows = len(windows)
    acc = np.zeros((4, rows, width), dtype=np.float32)
    pair = np.empty((rows, width), dtype=np.float32)
    term = np.empty((rows, width), dtype=np.float32)
    for k in range(HALF):
        recent, early = windows[:, TAPS - 1 - k :][:, :width], windows[:, k : k + width]
        np.add(recent, early, out=pair)
        for row in (0, 1):
            np.multiply(pair, _MIRRORED[row, k], out=term)
            acc[row] += term
        np.subtract(recent, early, out=pair)
        for row in (2, 3):
            np.multiply(pair, _MIRRORED[row, k], out=term)
            acc[row] += term
    absolute = np.abs(acc)
    peak = absolute[0] + absolute[2]
    np.maximum(peak, absolute[1] + absolute[3], out=peak)
    peak *= 0.5
    overs = np.zeros((rows, width), dtype=np.int8)
    if peak.max(initial=0.0) > 1.0:  # count each phase: |a + b| and |a - b| exceed 2
        for total, difference in ((acc[0], acc[2]), (acc[1], acc[3])):
            overs += np.abs(total + difference) > 2.0
            overs += np.abs(total - difference) > 2.0
    return peak, overs


class _Channel:
    """One channel's stretches, their bounds, and the interpolated results so far."""

    def __init__(self, x: np.ndarray, bounds: np.ndarray) -> None:
        n = len(x)
        # stretches in output space: the head, one per segment, then the tail
        self.lo = np.concatenate([[0], bounds + DELAY]).astype(np.int64)
        self.hi = np.concatenate([bounds + DELAY, [n + TAPS - 1]]).astype(np.int64)
        points = np.clip(np.stack([bounds - HALF, bounds, bounds + DELAY], axis=1).ravel(), 0, n)
        points = np.append(points, n)
        highs = np.maximum.reduceat(x, np.minimum(points[:-1], n - 1))
        lows = np.minimum.reduceat(x, np.minimum(points[:-1], n - 1))
        pieces = np.maximum(highs, -lows).astype(np.float64)
        pieces[points[:-1] == points[1:]] = 0.0
        # piece 3s: [b_s - 6, b_s), 3s + 1: [b_s, b_s + 5), 3s + 2: [b_s + 5, b_s+1 - 6)
        count = len(bounds) - 1
        self.lower = np.zeros(count + 2)  # sample peak of each segment's own samples
        self.upper = np.empty(count + 2)  # bound of each stretch's interpolated values
        if count:
            self.lower[1:-1] = np.maximum.reduce([pieces[i : i + 3 * count : 3] for i in (1, 2, 3)])
            self.upper[1:-1] = np.maximum.reduce([pieces[i : i + 3 * count : 3] for i in range(5)])
        self.upper[0] = max(pieces[0], pieces[1])
        self.upper[-1] = pieces[3 * count :].max()
        self.upper *= BOUND_GAIN
        self.sample_peak = float(pieces.max(initial=0.0))
        self.x = x
        self.peak = np.full(count + 2, -1.0)  # interpolated max per stretch; -1: not yet
        self.overs = np.zeros(count + 2, dtype=np.int64)

    def evaluate(self, wanted: np.ndarray) -> None:
        """Interpolate the wanted stretches that are not interpolated yet."""
        todo = np.flatnonzero(wanted & (self.peak < 0))
        n = len(self.x)
        for first in range(0, len(todo), _ROWS):
            rows = todo[first : first + _ROWS]
            lo, hi = self.lo[rows], self.hi[rows]
            width = int((hi - lo).max())
            index = lo[:, None] + np.arange(-(TAPS - 1), width)[None, :]
            outside = (index < 0) | (index >= n)
            windows = self.x[np.clip(index, 0, n - 1)]
            if outside.any():
                windows[outside] = 0.0
            peak, overs = interpolate_rows(windows, width)
            beyond = np.arange(width)[None, :] >= (hi - lo)[:, None]
            peak[beyond] = 0.0
            overs[beyond] = 0
            self.peak[rows] = peak.max(axis=1)
            self.overs[rows] = overs.sum(axis=1, dtype=np.int64)


def _top_percent(values: np.ndarray) -> float:
    """The value 1 % from the top, by rank (np.quantile would import numpy.ma: 0.1 s)."""
    rank = int(0.99 * (len(values) - 1))
    return float(np.partition(values, rank)[rank])


class TruePeakMeter:
    """True peak, inter-sample overs and per-segment true peaks of (frames, channels) audio.

    ``bounds`` are the 10 ms segment boundaries of the loudness measurement. Results
    equal interpolating everything; only stretches whose bound can matter are computed.
    """

    def __init__(
        self,
        samples: np.ndarray,
        bounds: np.ndarray,
        *,
        head: bool = True,
        tail: bool = True,
        own: slice = slice(None),
    ) -> None:
        """``head``/``tail`` False: ``samples`` is a block of a longer signal holding the
        16 samples before ``bounds[0]`` and the 5 after ``bounds[-1]``, whose head and tail
        stretches (computed as if the signal stopped there) belong to its neighbours;
        ``own`` is the block's own samples, where clipped samples are counted."""
        self._channels = [_Channel(samples[:, c], bounds) for c in range(samples.shape[1])]
        for channel in self._channels:
            if not head:
                channel.upper[0] = 0.0
            if not tail:
                channel.upper[-1] = 0.0
        self.sample_peak = max((c.sample_peak for c in self._channels), default=0.0)
        self.clipped = 0
        if self.sample_peak >= _FULL_SCALE:
            self.clipped = sum(
                int(np.count_nonzero(np.abs(samples[own, c]) >= _FULL_SCALE))
                for c in range(samples.shape[1])
            )
        segments = slice(1, len(bounds))
        self.segment_lower = np.max([c.lower[segments] for c in self._channels], axis=0)
        self.segment_upper = np.max([c.upper[segments] for c in self._channels], axis=0)
        self._segments = segments

    def true_peak(self, floor: float | np.ndarray = 0.0) -> tuple[float, int]:
        """(true peak, linear; inter-sample overs above 1.0), exactly; each channel's own
        true peak is in ``channel_peaks``. Stretches that cannot exceed ``floor`` (a peak
        already found elsewhere, per channel or for all) are skipped."""
        floors = np.broadcast_to(np.asarray(floor, dtype=np.float64), (len(self._channels),))
        bests = [max(c.sample_peak, float(f)) for c, f in zip(self._channels, floors, strict=True)]
        for index, channel in enumerate(self._channels):  # the most promising stretches first
            top = channel.upper >= _top_percent(channel.upper)
            channel.evaluate(top & (channel.upper > bests[index]))
            bests[index] = max(bests[index], float(channel.peak.max()))
        for index, channel in enumerate(self._channels):
            channel.evaluate((channel.upper > bests[index]) | (channel.upper > 1.0))
            bests[index] = max(bests[index], float(channel.peak.max()))
        self.channel_peaks = np.array(bests)
        overs = sum(int(c.overs.sum()) for c in self._channels)
        return max(bests, default=0.0), overs

    def segment_peaks(self, threshold: Any) -> np.ndarray:
        """Per-segment true peak, exact wherever it exceeds ``threshold`` (an array, or
        anything read by ranges as one); a value at or below the threshold may be
        reported as low as the segment's sample peak."""
        result = self.segment_lower.copy()
        limit = threshold[0 : len(result)]
        for channel in self._channels:
            wanted = np.zeros(len(channel.upper), dtype=bool)
            wanted[self._segments] = channel.upper[self._segments] > limit
            channel.evaluate(wanted)
            np.maximum(result, channel.peak[self._segments], out=result)
        return result

    @property
    def interpolated_share(self) -> float:
        """Share of stretches interpolated so far (for benchmarks)."""
        done = sum(int(np.count_nonzero(c.peak >= 0)) for c in self._channels)
        return done / max(sum(len(c.peak) for c in self._channels), 1)
