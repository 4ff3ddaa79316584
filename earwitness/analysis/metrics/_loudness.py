"""Loudness and peaks per ITU-R BS.1770-4/5 and EBU R 128 (Tech 3341, Tech 3342).

* K-weighting: the BS.1770 pre-filter (high shelf) and RLB filter (high pass), derived
  for any sample rate from their analog prototypes by the bilinear transform. The
  prototype parameters are those fitted to the 48 kHz coefficients of BS.1770 Table 1
  and 2 (libebur128; B. De Man, "Evaluation of implementations of the EBU R128
  loudness measurement", AES 145th Convention, 2018); at 48 kHz they reproduce the
  published coefficients to 1e-8.
* Energy is accumulated in 10 ms segments; momentary (400 ms) and short-term (3 s)
  windows slide by 10 ms for their maxima (Tech 3341 cases 10 to 14 require
  sub-100 ms alignment), gating blocks advance by 100 ms (75 % overlap, BS.1770-4 §2.8).
* Integrated loudness: absolute gate -70 LUFS, relative gate -10 LU (BS.1770-4 eq. 4-7).
* Loudness range: short-term values at 10 Hz, absolute gate -70 LUFS, relative gate
  -20 LU, 10th to 95th percentile (EBU Tech 3342).
* True peak: 4x oversampling with the 48-tap polyphase FIR of BS.1770-4 Annex 2,
  computed only where an exact bound says it can change a result (``_truepeak``).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from earwitness.analysis.metrics import _exact
from earwitness.analysis.metrics._blockfilter import BlockFilter
from earwitness.analysis.metrics._io import channel_weights
from earwitness.analysis.metrics._series import SegmentBounds, Series, as_series, spills
from earwitness.analysis.metrics._truepeak import TRUE_PEAK_PHASES, TruePeakMeter

__all__ = [
    "ABSOLUTE_GATE_LUFS",
    "LRA_CONVENTIONS",
    "TRUE_PEAK_PHASES",
    "LoudnessResult",
    "integrated_loudness",
    "k_weighting_coefficients",
    "loudness",
    "loudness_range",
    "true_peak",
]

ABSOLUTE_GATE_LUFS = -70.0
RELATIVE_GATE_LU = -10.0
LRA_RELATIVE_GATE_LU = -20.0
SEGMENT_S = 0.01
MOMENTARY_SEGMENTS = 40
SHORT_TERM_SEGMENTS = 300
BLOCK_HOP_SEGMENTS = 10
OVERSAMPLING = 4
_OFFSET = -0.691
_CHUNK = 1 << 18


@dataclass(frozen=True)
class LoudnessResult:
    """Loudness and peak measures of one signal; levels in LUFS, dBFS or dBTP.

    A measure that the signal is too short or too quiet to define is None.
    ``momentary`` and ``short_term`` are the 10 Hz series (LUFS, -inf in silence)
    whose windows end at ``times_s`` + window length: arrays, or for a file of more
    than ``SPILL_SEGMENTS`` segments a :class:`Series` on disk (read it by ranges).
    """

    integrated_lufs: float | None
    momentary_max_lufs: float | None
    short_term_max_lufs: float | None
    lra_lu: float | None
    lra_low_lufs: float | None
    lra_high_lufs: float | None
    true_peak_dbtp: float | None
    sample_peak_dbfs: float | None
    plr_db: float | None
    psr_min_db: float | None
    clipped_samples: int
    intersample_overs: int
    momentary: np.ndarray | Series = field(repr=False)
    short_term: np.ndarray | Series = field(repr=False)
    channel_true_peaks_dbtp: tuple[float | None, ...] = ()
    psr_percentiles_db: dict[str, float] | None = None


def k_weighting_coefficients(sample_rate: float) -> tuple[np.ndarray, np.ndarray]:
    """The two K-weighting biquads at ``sample_rate``, as a stacked (b, a) pair of shape (2, 3).

    Bilinear transform of the analog high shelf (f0 1681.97 Hz, +4.0 dB, Q 0.7072) and
    high pass (f0 38.135 Hz, Q 0.5003) that BS.1770's 48 kHz filters were designed from.
    """
    f0, gain_db, q = 1681.974450955533, 3.999843853973347, 0.7071752369554196
    k = math.tan(math.pi * f0 / sample_rate)
    vh = 10.0 ** (gain_db / 20.0)
    vb = vh**0.4996667741545416
    a0 = 1.0 + k / q + k * k
    shelf_b = [
        (vh + vb * k / q + k * k) / a0,
        2.0 * (k * k - vh) / a0,
        (vh - vb * k / q + k * k) / a0,
    ]
    shelf_a = [1.0, 2.0 * (k * k - 1.0) / a0, (1.0 - k / q + k * k) / a0]
    f0, q = 38.13547087602444, 0.5003270373238773
    k = math.tan(math.pi * f0 / sample_rate)
    a0 = 1.0 + k / q + k * k
    highpass_b = [1.0, -2.0, 1.0]
    highpass_a = [1.0, 2.0 * (k * k - 1.0) / a0, (1.0 - k / q + k * k) / a0]
    return np.array([shelf_b, highpass_b]), np.array([shelf_a, highpass_a])


def _segment_grid(frames: int, sample_rate: float) -> SegmentBounds:
    length = sample_rate * SEGMENT_S
    return SegmentBounds(int(frames // length), length)


def _segment_bounds(frames: int, sample_rate: float) -> np.ndarray:
    return _segment_grid(frames, sample_rate).array()


class EnergyMeter:
    """Channel-weighted K-filtered energy per 10 ms segment, fed consecutive samples.

    The filters run in float64 over chunks of ``_CHUNK`` frames on one fixed grid,
    carrying their state, so a file fed in blocks of any size gives the same values
    as the whole file at once (numpy matrix products, see ``_blockfilter``).
    """

    def __init__(self, frames: int, sample_rate: float, weights: np.ndarray) -> None:
        self.grid = _segment_grid(frames, sample_rate)
        self.cumulative = Series(len(self.grid))  # energy summed to each bound
        self._used = int(self.grid[-1]) if len(self.grid) >= 2 else 0
        sections = np.hstack(k_weighting_coefficients(sample_rate))
        self._weights = weights
        self._channels = [c for c in range(len(weights)) if weights[c] > 0]
        self._filter = BlockFilter(sections)  # every used channel, each with its own state
        self._received, self._done, self._running = 0, 0, 0.0
        self._pending: list[np.ndarray] = []

    def feed(self, samples: np.ndarray) -> None:
        """The next frames, shaped (frames, channels); frames past the last segment are ignored."""
        take = samples[: max(0, self._used - self._received)]
        self._received += len(samples)
        if len(take) == 0:
            return
        if self._pending:
            self._pending.append(take)
            take = np.concatenate(self._pending)
            self._pending = []
        whole = len(take) if self._done + len(take) >= self._used else len(take) // _CHUNK * _CHUNK
        for start in range(0, whole, _CHUNK):
            self._chunk(take[start : min(whole, start + _CHUNK)])
        if whole < len(take):
            self._pending.append(take[whole:])

    def _chunk(self, chunk: np.ndarray) -> None:
        start, bounds = self._done, self.grid
        stop = start + len(chunk)
        used = self._channels
        filtered = self._filter.channels(chunk if len(used) == chunk.shape[1] else chunk[:, used])
        filtered *= filtered
        power = self._weights[used] @ filtered
        first = bounds.searchsorted(start + 1, side="left")
        last = bounds.searchsorted(stop, side="right")
        ends = np.asarray(bounds[first:last]) - start  # the bounds in this chunk, 1..len
        if len(ends):  # sums between the bounds, then their running sum (not cumsum of all)
            pieces = np.add.reduceat(power, np.concatenate([[0], ends[:-1]]))
            pieces[-1] = power[ends[-2] if len(ends) > 1 else 0 : ends[-1]].sum()
            pieces[0] += self._running
            running_sum = np.cumsum(pieces)
            self.cumulative[first:last] = running_sum
            self._running = float(running_sum[-1]) + float(power[ends[-1] :].sum())
        else:
            self._running += float(power.sum())
        self._done = stop

    @property
    def bounds(self) -> np.ndarray:
        return self.grid.array()

    @property
    def energies(self) -> np.ndarray:
        return np.diff(self.cumulative.array()) if len(self.grid) >= 2 else np.zeros(0)


def segment_energies(
    samples: np.ndarray, sample_rate: float, weights: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Channel-weighted K-filtered energy per 10 ms segment, and the segment bounds."""
    weights = channel_weights(samples.shape[1]) if weights is None else weights
    meter = EnergyMeter(samples.shape[0], sample_rate, weights)
    meter.feed(samples)
    return meter.energies, meter.bounds


def _window_loudness(
    energies: np.ndarray, bounds: np.ndarray, width: int, hop: int = 1
) -> np.ndarray:
    """Loudness (LUFS) of windows of ``width`` segments, advancing by ``hop`` segments.

    Built in place from strided slices (no index arrays): on long files these series are
    what memory grows with.
    """
    if len(energies) < width:
        return np.zeros(0)
    cumulative = np.empty(len(energies) + 1)
    cumulative[0] = 0.0
    np.cumsum(energies, out=cumulative[1:])
    energy = cumulative[width::hop] - cumulative[: len(cumulative) - width : hop]
    del cumulative
    return _as_lufs(energy, bounds[width::hop] - bounds[: len(bounds) - width : hop])


def _as_lufs(energy: np.ndarray, samples: np.ndarray) -> np.ndarray:
    """Window energies over their sample counts as LUFS, in place in ``energy``."""
    np.maximum(energy, 0.0, out=energy)
    energy /= samples
    with np.errstate(divide="ignore"):
        np.log10(energy, out=energy)
    energy *= 10.0
    energy += _OFFSET
    return energy


def _power(lufs: np.ndarray) -> np.ndarray:
    return 10.0 ** ((lufs - _OFFSET) / 10.0)


def _to_lufs(power: float) -> float:
    return _OFFSET + 10.0 * math.log10(power) if power > 0 else -math.inf


def gated_integrated(block_lufs: np.ndarray | Series) -> float | None:
    """BS.1770-4 gating over 400 ms block loudnesses: -70 LUFS, then -10 LU relative.

    A series longer than ``_exact.LEAF`` is read in chunks; its power means are summed
    as numpy sums the whole array (``_exact``), so the result is the same bits.
    """
    if len(block_lufs) > _exact.LEAF:
        return _gated_chunked(as_series(block_lufs))
    block_lufs = np.asarray(block_lufs[0 : len(block_lufs)])
    above = block_lufs[block_lufs > ABSOLUTE_GATE_LUFS]
    if len(above) == 0:
        return None
    relative = _to_lufs(float(_power(above).mean())) + RELATIVE_GATE_LU
    gated = above[above > relative]
    return _to_lufs(float(_power(gated).mean()))


def _power_mean(series: Series, gate: float, step: int = 1) -> tuple[float, int]:
    """The mean power of the values above ``gate`` (``_power(above).mean()``), and their count."""
    stream = _exact.stream_of(series, lambda v: v > gate, _power, step=step)
    n = _exact.count(stream)
    return (_exact.stream_sum(stream, n) / n if n else math.nan), n


def _gated_chunked(block_lufs: Series) -> float | None:
    mean, n = _power_mean(block_lufs, ABSOLUTE_GATE_LUFS)
    if n == 0:
        return None
    relative = _to_lufs(mean) + RELATIVE_GATE_LU
    # above[above > relative] is the values above both gates, in order
    return _to_lufs(_power_mean(block_lufs, max(relative, ABSOLUTE_GATE_LUFS))[0])


LRA_CONVENTIONS = ("tech3342", "libebur128")


def lra_from_short_term(
    short_term: np.ndarray | Series, convention: str = "tech3342"
) -> tuple[float, float, float] | None:
    """Loudness range (LRA, low, high) from the 3 s loudness values at 10 Hz.

    ``tech3342``: every 10 Hz value, gated above -70 LUFS and above -20 LU under their
    power mean, 10th and 95th percentiles by nearest rank (EBU Tech 3342).
    ``libebur128``: one 3 s block per second (the first ending at 3 s), as libebur128
    adds them (``short_term_frame_counter`` reset to 20 x 100 ms after each 30 x 100 ms
    block; ebur128/ebur128.c, jiixyj/libebur128 1.2), gated at >= -70 LUFS and >= the
    relative gate, percentile indices floor((n - 1) p + 0.5) of the sorted energies
    (``ebur128_loudness_range_multiple``, non-histogram mode).

    A series longer than ``_exact.LEAF`` is read in chunks: the percentiles are exact
    order statistics found by selection (``_exact.select``), not a histogram's.
    """
    if len(short_term) > _exact.LEAF:
        return _lra_chunked(as_series(short_term), convention)
    short_term = np.asarray(short_term[0 : len(short_term)])
    if convention == "libebur128":
        return _lra_libebur128(short_term[::10])
    above = short_term[short_term > ABSOLUTE_GATE_LUFS]
    if len(above) == 0:
        return None
    relative = _to_lufs(float(_power(above).mean())) + LRA_RELATIVE_GATE_LU
    gated = np.sort(above[above > relative])
    low = float(gated[round((len(gated) - 1) * 0.10)])
    high = float(gated[round((len(gated) - 1) * 0.95)])
    return high - low, low, high


def _lra_libebur128(blocks: np.ndarray) -> tuple[float, float, float] | None:
    energies = np.sort(_power(blocks[blocks >= ABSOLUTE_GATE_LUFS]))
    if len(energies) == 0:
        return None
    gated = energies[energies >= 10.0 ** (LRA_RELATIVE_GATE_LU / 10.0) * energies.mean()]
    if len(gated) == 0:
        return None
    low = _to_lufs(float(gated[math.floor((len(gated) - 1) * 0.1 + 0.5)]))
    high = _to_lufs(float(gated[math.floor((len(gated) - 1) * 0.95 + 0.5)]))
    return high - low, low, high


def _lra_chunked(short_term: Series, convention: str) -> tuple[float, float, float] | None:
    """``lra_from_short_term`` read in chunks, the same values bit for bit."""
    if convention == "libebur128":
        return _lra_libebur128_chunked(short_term)
    mean, n = _power_mean(short_term, ABSOLUTE_GATE_LUFS)
    if n == 0:
        return None
    relative = _to_lufs(mean) + LRA_RELATIVE_GATE_LU
    gate = max(relative, ABSOLUTE_GATE_LUFS)
    gated = _exact.stream_of(short_term, lambda v: v > gate)
    m = _exact.count(gated)
    # Tech 3342 §2: the 10th and 95th percentiles of the gated short-term loudness
    low = _exact.select(gated, round((m - 1) * 0.10))
    high = _exact.select(gated, round((m - 1) * 0.95))
    return high - low, low, high


def _lra_libebur128_chunked(short_term: Series) -> tuple[float, float, float] | None:
    energies = _exact.stream_of(short_term, lambda v: v >= ABSOLUTE_GATE_LUFS, _power, step=10)
    n = _exact.count(energies)
    if n == 0:
        return None
    mean = _exact.sorted_sum(energies, 0, n, n) / n  # energies.mean() of the sorted array
    floor = 10.0 ** (LRA_RELATIVE_GATE_LU / 10.0) * mean
    start = sum(int(np.count_nonzero(e < floor)) for e in energies())  # gated: a suffix
    m = n - start
    if m == 0:
        return None
    low = _to_lufs(_exact.select(energies, start + math.floor((m - 1) * 0.1 + 0.5)))
    high = _to_lufs(_exact.select(energies, start + math.floor((m - 1) * 0.95 + 0.5)))
    return high - low, low, high


def true_peak(samples: np.ndarray) -> float:
    """Maximum true-peak level over all channels, in dBTP (BS.1770-4 Annex 2)."""
    if samples.ndim == 1:
        samples = samples[:, None]
    peak, _ = TruePeakMeter(samples, np.zeros(1, dtype=np.int64)).true_peak()
    return _db(peak)


def _db(amplitude: float) -> float:
    return 20.0 * math.log10(amplitude) if amplitude > 0 else -math.inf


def _finite(value: float | None) -> float | None:
    return value if value is not None and math.isfinite(value) else None


def loudness(
    samples: np.ndarray,
    sample_rate: float,
    weights: np.ndarray | None = None,
    lra_convention: str = "tech3342",
    *,
    psr_distribution: bool = False,
) -> LoudnessResult:
    """Every loudness and peak measure of float samples shaped (frames, channels).

    ``weights`` are the BS.1770 channel weights (default: the WAVE order's, by count).
    """
    if samples.ndim == 1:
        samples = samples[:, None]
    weights = channel_weights(samples.shape[1]) if weights is None else weights
    energy = EnergyMeter(samples.shape[0], sample_rate, weights)
    energy.feed(samples)
    meter = TruePeakMeter(samples, energy.bounds)
    peak, overs = meter.true_peak()
    return loudness_from(
        energy.cumulative, energy.grid, meter, peak, overs, lra_convention,
        psr_distribution=psr_distribution,
    )  # fmt: skip


def loudness_from(
    cumulative: np.ndarray | Series,
    bounds: Any,
    meter: Any,
    peak: float,
    overs: int,
    lra_convention: str = "tech3342",
    *,
    psr_distribution: bool = False,
) -> LoudnessResult:
    """The measures from the energy summed up to each 10 ms segment bound (an
    ``EnergyMeter``'s ``cumulative``), the bounds, and a peak meter (whole or streamed).

    ``meter`` has ``sample_peak``, ``clipped``, ``segment_lower``, ``segment_upper``
    (arrays or Series) and ``segment_peaks(threshold)`` as :class:`TruePeakMeter`. Every
    per-segment series is worked through in chunks, so a long file's stay on disk.
    """
    sums = _resummed(as_series(cumulative))
    momentary_max, momentary = _levels(sums, bounds, MOMENTARY_SEGMENTS)
    short_fine = Series(max(len(sums) - SHORT_TERM_SEGMENTS, 0))
    short_max, short_term = _levels(sums, bounds, SHORT_TERM_SEGMENTS, short_fine)
    sums.close()
    integrated = gated_integrated(momentary)
    lra = lra_from_short_term(short_term, lra_convention)
    sample_peak, clipped = meter.sample_peak, meter.clipped
    true_peak_db = _db(peak)
    psr = _min_psr(meter, short_fine)
    channel_peaks = getattr(meter, "channel_peaks", ())
    return LoudnessResult(
        integrated_lufs=integrated,
        momentary_max_lufs=momentary_max,
        short_term_max_lufs=short_max,
        lra_lu=lra[0] if lra else None,
        lra_low_lufs=lra[1] if lra else None,
        lra_high_lufs=lra[2] if lra else None,
        true_peak_dbtp=_finite(true_peak_db),
        sample_peak_dbfs=_finite(_db(sample_peak)),
        plr_db=(true_peak_db - integrated)
        if integrated is not None and math.isfinite(true_peak_db)
        else None,
        psr_min_db=psr,
        clipped_samples=clipped,
        intersample_overs=overs,
        momentary=momentary,
        short_term=short_term,
        channel_true_peaks_dbtp=tuple(_finite(_db(float(p))) for p in channel_peaks),
        psr_percentiles_db=_psr_percentiles(meter, short_fine) if psr_distribution else None,
    )


_LEVEL_CHUNK = BLOCK_HOP_SEGMENTS << 13  # windows per pass, a multiple of the 100 ms hop


def _resummed(cumulative: Series) -> Series:
    """[0, cumsum(diff(cumulative))]: the running sums ``_window_loudness`` builds from
    the energies, bit for bit (numpy's cumsum adds in order, so a carried sum continues it)."""
    sums = Series(len(cumulative))
    carry = 0.0
    for start in range(0, len(cumulative) - 1, _LEVEL_CHUNK):
        stop = min(len(cumulative) - 1, start + _LEVEL_CHUNK)
        running = np.cumsum(np.concatenate([[carry], np.diff(cumulative[start : stop + 1])]))
        sums[start + 1 : stop + 1] = running[1:]
        carry = float(running[-1])
    return sums


def _levels(
    sums: Series, bounds: Any, width: int, every: Series | None = None
) -> tuple[float | None, np.ndarray | Series]:
    """The maximum loudness of the windows of ``width`` segments (every 10 ms) and every
    10th of them (the 10 Hz series: on disk when the segments' series are, see
    ``_series``); all of them into ``every`` when given."""
    count = max(len(sums) - width, 0)
    tenths = Series(-(-count // BLOCK_HOP_SEGMENTS), spill=spills(len(sums)))
    highest = -math.inf if count else None
    for first in range(0, count, _LEVEL_CHUNK):
        last = min(count, first + _LEVEL_CHUNK)
        part, spans = sums[first : last + width], bounds[first : last + width]
        levels = _as_lufs(part[width:] - part[:-width], spans[width:] - spans[:-width])
        highest = max(highest, float(levels.max()))  # type: ignore[type-var]
        tenths[first // BLOCK_HOP_SEGMENTS : -(-last // BLOCK_HOP_SEGMENTS)] = levels[
            ::BLOCK_HOP_SEGMENTS
        ]
        if every is not None:
            every[first:last] = levels
    series = tenths if tenths.on_disk else tenths.array()
    return (_finite(highest) if highest is not None else None), series


PSR_HOP_SEGMENTS = 100  # one 3 s window per second, as libebur128's short-term blocks


def _psr_percentiles(meter: Any, short_fine: Series) -> dict[str, float] | None:
    """PSR of each 3 s window every second (window true peak minus its short-term
    loudness, windows above -70 LUFS): 10th, 50th and 90th percentile and the count.

    Exact: a window's true peak needs only the segments whose bound exceeds the
    window's largest sample peak, so those are interpolated (and no others).
    """
    if len(short_fine) == 0:
        return None

    def each_second(first: int, loudness: np.ndarray, lowest: np.ndarray, segments: slice) -> Any:
        index = first + np.arange(len(loudness))
        return (index % PSR_HOP_SEGMENTS == 0) & (loudness > ABSOLUTE_GATE_LUFS)

    chosen, threshold, found = _chosen_windows(meter, short_fine, each_second)
    if not found:
        return None
    peaks = as_series(meter.segment_peaks(threshold))
    threshold.close()
    # one value a second at most: on disk when the segments' series are
    psr = Series(-(-len(short_fine) // PSR_HOP_SEGMENTS), spill=spills(len(meter.segment_lower)))
    n = 0
    for _, windows, segments in _window_chunks(len(short_fine)):
        keep = chosen[windows]
        window_peaks = _sliding_max(peaks[segments], SHORT_TERM_SEGMENTS)[keep]
        with np.errstate(divide="ignore"):
            decibels = 20.0 * np.log10(window_peaks.astype(np.float64))
        values = decibels - short_fine[windows][keep]
        values = values[np.isfinite(values)]
        psr[n : n + len(values)] = values
        n += len(values)
    chosen.close()
    if n == 0:
        return None
    if n <= _exact.LEAF:
        p10, p50, p90 = np.percentile(psr[0:n], [10, 50, 90])
    else:  # exact order statistics by selection over the series on disk
        p10, p50, p90 = _exact.percentiles(_exact.stream_of(psr, length=n), n, [10, 50, 90])
    return {"p10": float(p10), "median": float(p50), "p90": float(p90), "windows": n}


def _min_psr(meter: Any, short_fine: Series) -> float | None:
    """Minimum peak-to-short-term-loudness ratio: true peak in each 3 s window minus S.

    Exact without interpolating every window: a window's true peak lies between the
    largest sample peak and the largest bound of its segments, so only windows whose
    lowest possible PSR is under the best guaranteed one can hold the minimum, and in
    those only segments whose bound exceeds the window's sample peak can set its peak.
    """
    if len(short_fine) == 0:
        return None
    lower, upper = as_series(meter.segment_lower), as_series(meter.segment_upper)
    best, likeliest, likeliest_low = math.inf, -1, math.inf
    for first, windows, segments in _window_chunks(len(short_fine)):
        loudness = short_fine[windows]
        lowest = _sliding_max(lower[segments], SHORT_TERM_SEGMENTS)
        sure = (loudness > ABSOLUTE_GATE_LUFS) & (lowest > 0)
        if not sure.any():
            continue
        psr_high = _psr(_sliding_max(upper[segments], SHORT_TERM_SEGMENTS), loudness)
        best = min(best, float(psr_high[sure].min()))
        psr_low = _psr(lowest, loudness)
        index = _argmin_where(psr_low, sure)
        if psr_low[index] < likeliest_low:
            likeliest, likeliest_low = first + index, float(psr_low[index])
    if likeliest >= 0:  # the likeliest window, exactly: a far tighter bound than psr_high
        best = min(best, _window_psr(meter, short_fine, likeliest))

    def within_best(first: int, loudness: np.ndarray, lowest: np.ndarray, segments: slice) -> Any:
        audible = (loudness > ABSOLUTE_GATE_LUFS) & (
            _sliding_max(upper[segments], SHORT_TERM_SEGMENTS) > 0
        )
        return audible & (_psr(lowest.copy(), loudness) <= best + 1e-9)

    candidates, threshold, found = _chosen_windows(meter, short_fine, within_best)
    if not found:
        return None
    segment_peaks = as_series(meter.segment_peaks(threshold))
    threshold.close()
    result = math.inf
    for _, windows, segments in _window_chunks(len(short_fine)):
        window_peaks = _sliding_max(segment_peaks[segments], SHORT_TERM_SEGMENTS)
        keep = candidates[windows] & (window_peaks > 0)
        if keep.any():
            with np.errstate(divide="ignore"):
                psr = 20.0 * np.log10(window_peaks[keep]) - short_fine[windows][keep]
            result = min(result, float(psr.min()))
    return result if result < math.inf else None


_PSR_CHUNK = 1 << 16  # windows per pass: the PSR search's memory does not grow with length


def _window_chunks(count: int) -> Iterator[tuple[int, slice, slice]]:
    """(first window, its windows, the segments they cover) for chunks of _PSR_CHUNK."""
    for first in range(0, count, _PSR_CHUNK):
        last = min(count, first + _PSR_CHUNK)
        yield first, slice(first, last), slice(first, last + SHORT_TERM_SEGMENTS - 1)


def _chosen_windows(
    meter: Any, short_fine: Series, choose: Callable[..., np.ndarray]
) -> tuple[Series, Series, bool]:
    """The windows ``choose(first, loudness, lowest sample peak, segments)`` picks, per
    segment the lowest sample peak among the chosen windows holding it (inf: none), and
    whether any window was chosen."""
    lower = as_series(meter.segment_lower)
    chosen_all = Series(len(short_fine), dtype=bool)
    threshold = Series(len(lower), fill=np.inf)
    edge = np.full(SHORT_TERM_SEGMENTS - 1, -np.inf)
    found = False
    for first, windows, segments in _window_chunks(len(short_fine)):
        lowest = _sliding_max(lower[segments], SHORT_TERM_SEGMENTS)
        chosen = choose(first, short_fine[windows], lowest, segments)
        chosen_all[windows] = chosen
        found = found or bool(chosen.any())
        floor = np.concatenate([edge, -np.where(chosen, lowest, np.inf), edge])
        chunk = -_sliding_max(floor, SHORT_TERM_SEGMENTS)
        threshold[segments] = np.minimum(threshold[segments], chunk)
    return chosen_all, threshold, found


def _psr(peaks: np.ndarray, short_fine: np.ndarray) -> np.ndarray:
    """20 log10(peaks) - short_fine, computed in place in ``peaks``."""
    with np.errstate(divide="ignore", invalid="ignore"):  # silence: -inf - -inf
        np.log10(peaks, out=peaks)
        peaks *= 20.0
        peaks -= short_fine
    return peaks


def _argmin_where(values: np.ndarray, mask: np.ndarray) -> int:
    return int(np.flatnonzero(mask)[np.argmin(values[mask])])


class _SpanThreshold:
    """A threshold of ``floor`` over the segments in ``span`` and inf elsewhere, read by
    ranges as a Series (one window's, without writing a whole series)."""

    def __init__(self, length: int, span: slice, floor: float) -> None:
        self.length, self.span, self.floor = length, span, floor

    def __len__(self) -> int:
        return self.length

    def __getitem__(self, key: slice) -> np.ndarray:
        start, stop, _ = key.indices(self.length)
        out = np.full(max(stop - start, 0), np.inf)
        low, high = max(start, self.span.start), min(stop, self.span.stop)
        out[max(low - start, 0) : max(high - start, 0)] = self.floor
        return out


def _window_psr(meter: Any, short_fine: Series, window: int) -> float:
    """The exact PSR of one 3 s window: only its segments whose bound exceeds its sample
    peak are interpolated (the others cannot raise its true peak)."""
    lower = as_series(meter.segment_lower)
    span = slice(window, window + SHORT_TERM_SEGMENTS)
    floor = float(lower[span].max())
    peaks = as_series(meter.segment_peaks(_SpanThreshold(len(lower), span, floor)))
    peak = max(float(peaks[span].max()), floor)
    return 20.0 * math.log10(peak) - float(short_fine[window : window + 1][0])


def _sliding_max(values: np.ndarray, width: int) -> np.ndarray:
    """Max of every run of ``width`` consecutive values (van Herk/Gil-Werman)."""
    count = len(values) - width + 1
    if count <= 0:
        return np.zeros(0, dtype=values.dtype)
    padded_length = -(-len(values) // width) * width
    padded = np.full(padded_length, -np.inf, dtype=np.float64)
    padded[: len(values)] = values
    blocks = padded.reshape(-1, width)
    suffix = np.maximum.accumulate(blocks[:, ::-1], axis=1)[:, ::-1].ravel()
    np.maximum.accumulate(blocks, axis=1, out=blocks)  # the prefix maxima, in place
    return np.maximum(suffix[:count], padded[width - 1 : width - 1 + count])


def integrated_loudness(
    samples: np.ndarray, sample_rate: float, weights: np.ndarray | None = None
) -> float | None:
    """Gated integrated loudness (LUFS) per BS.1770-4; None below the absolute gate."""
    if samples.ndim == 1:
        samples = samples[:, None]
    energies, bounds = segment_energies(samples, sample_rate, weights)
    blocks = _window_loudness(energies, bounds, MOMENTARY_SEGMENTS, BLOCK_HOP_SEGMENTS)
    return gated_integrated(blocks)


def loudness_range(
    samples: np.ndarray,
    sample_rate: float,
    weights: np.ndarray | None = None,
    convention: str = "tech3342",
) -> float | None:
    """Loudness range (LU) per EBU Tech 3342, or as libebur128 computes it."""
    if samples.ndim == 1:
        samples = samples[:, None]
    energies, bounds = segment_energies(samples, sample_rate, weights)
    short_term = _window_loudness(energies, bounds, SHORT_TERM_SEGMENTS, BLOCK_HOP_SEGMENTS)
    lra = lra_from_short_term(short_term, convention)
    return lra[0] if lra else None
