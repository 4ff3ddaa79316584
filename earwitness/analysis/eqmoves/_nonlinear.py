"""What separates two masters but is not EQ, so that it is not counted as an EQ move.

* **Sample rate.** Both signals are brought to the lower of their rates by polyphase
  resampling (``scipy.signal.resample_poly``, Kaiser-windowed FIR) before any spectrum is
  taken; otherwise the two Welch estimates resolve the lowest bands differently.
* **Band limiting.** A codec's low-pass (MP3 encoders cut at 16-20 kHz) makes the ratio
  fall tens of dB at the top of the spectrum, far more than any peaking move; the bands
  from a third of an octave below the cut-off are left out and the cut-off is reported as
  ``lowpass_hz``.
* **Noise floor.** A band counts fully only while both signals are within
  ``FULL_WEIGHT_DB`` of their loudest band, and not at all below ``FLOOR_DB``: at bands
  where a recording has (almost) no energy the ratio measures codec noise or dither, not
  an equaliser.
* **Dynamics.** A limiter or a single-band compressor is a broadband gain that varies in
  time with the level, y(t) = g(t) x(t). Its long-term spectrum differs from x's wherever
  loud and quiet passages differ in spectrum (Sum_t g_t^2 P_t(f) / Sum_t P_t(f)), which a
  decoder would otherwise read as EQ. :func:`gain_envelope` estimates g(t) frame by frame
  from the aligned signals (after the EQ found so far); applying it to the reference makes
  a reference that already carries the dynamics, and only the remaining difference is
  decoded as EQ. A frame of 512 samples is longer than a limiter's attack (ffmpeg's
  alimiter: 5 ms), so :func:`fast_gain` measures g again in frames of 256 samples on the
  band above 1 kHz, where such a frame still spans several cycles and a low move not yet
  found cannot enter it. The frame gains are multiplied into the reference, h * (g x),
  which is close to g (h * x) only where g varies slowly against the EQ's impulse response:
  not for a low move under a 5 ms attack. Once these passes have brought the EQ close,
  :func:`undo_gain` fits g to the sample against the reference after that EQ and divides
  it out of the candidate, which undoes g (h * x) exactly, and the EQ is decoded once more.
  ``dynamics_db`` reports how much more the loud frames are turned down than the others
  (dB: the slope of gain on level over the level's range, or the loudest 5 % of frames'
  reduction below the median, whichever is larger).
* **Footprint.** Neither a limiter nor a codec is undone exactly: a limiter's gain is known
  only as well as the EQ it is measured against, and a codec's quantiser drops what it
  masks, so the spectrum keeps a footprint of up to half a decibel. When the two files are
  not linearly related (a limiter found, or :func:`incoherent_share` over a tenth), moves
  under 1 dB are not reported.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.linalg import solveh_banded
from scipy.signal import butter, correlate, fftconvolve, resample_poly, sosfiltfilt

__all__ = [
    "FLOOR_DB",
    "FULL_WEIGHT_DB",
    "align",
    "band_weights",
    "coherent_ratio_db",
    "common_rate",
    "detect_lowpass",
    "fast_gain",
    "gain_envelope",
    "incoherent_share",
    "undo_gain",
]

FULL_WEIGHT_DB = 70.0
FLOOR_DB = 90.0
_LOWPASS_DROP_DB = 10.0
_COHERENT_SNR = 20.0
_NOISE_FLOOR_SNR = 2.0
_BIASED_SNR = 4.0
_SPREAD_SPAN = 3
_LEVEL_TOLERANCE_DB = 0.5
_FRAME = 512
_HOP = 128
_FAST_FRAME = 256
_FAST_HOP = 64
_FAST_BAND_HZ = 1000.0
_FAST_WITHIN_DB = 40.0
_MIN_SPREAD_DB = 0.5  # why this bar: gain_envelope
_KNOT = 16
_KNOT_SMOOTHING = 1e-3
_LEAST_GAIN = 0.02
_BLOCK = 1 << 16
_LAG_REACH = 128


def common_rate(
    reference: np.ndarray, ref_rate: float, candidate: np.ndarray, cand_rate: float
) -> tuple[np.ndarray, np.ndarray, float]:
    """Both signals at the lower of the two rates."""
    rate = min(ref_rate, cand_rate)
    return _resample(reference, ref_rate, rate), _resample(candidate, cand_rate, rate), rate


def _resample(x: np.ndarray, rate: float, target: float) -> np.ndarray:
    if rate == target:
        return x
    up, down = round(target), round(rate)
    common = math.gcd(up, down)
    return np.asarray(resample_poly(x, up // common, down // common))


def band_weights(ref_db: np.ndarray, cand_db: np.ndarray) -> np.ndarray:
    """1 where both bands are within FULL_WEIGHT_DB of their loudest band, falling linearly
    (in dB) to 0 at FLOOR_DB below it."""
    depth = np.maximum(ref_db.max() - ref_db, cand_db.max() - cand_db)
    return np.asarray(np.clip((FLOOR_DB - depth) / (FLOOR_DB - FULL_WEIGHT_DB), 0.0, 1.0))


def coherent_ratio_db(
    reference: np.ndarray, candidate: np.ndarray, lag: int, rate: float, grid_hz: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """|H1(f)|^2 in dB per band, H1 = S_xy / S_xx: the transfer-function estimator that is
    unbiased by noise added to the output (Bendat & Piersol, *Random Data*, 4th ed., sec.
    9.1.4), here the quantisation noise of a codec on the candidate.

    Welch estimates (Hann, 65536 points, 75 % overlap, as :func:`long_term_power`) on the
    aligned overlap of the two signals; per band, sum |S_xy| / sum S_xx over its bins (the
    magnitude per bin, so a fractional-sample delay does not cancel within a band).

    Also returns each band's weight from its coherence g^2 = |S_xy|^2 / (S_xx S_yy): the
    H1 estimate's error variance grows as (1 - g^2) / g^2 (ibid., sec. 9.2.3), so a band
    counts in proportion to g^2 / (1 - g^2), in full from ``_COHERENT_SNR``. An equaliser
    keeps g^2 at 1; codec noise and the distortion a fast limiter adds to low notes lower it.
    A codec's noise is not independent of its input, though: what the quantiser rounds to
    zero takes part of the shared signal with it, so H1 reads low where coherence is low
    (MP3 cases of the dev draws of benchmarks/bench_eqmoves_robust.py, median error by
    g^2 / (1 - g^2): -0.3 dB at 4-10, -0.5 dB at 2-4, -1.6 dB at 1-2). Below
    ``_BIASED_SNR`` a band's weight is scaled down further, linearly to 0 at
    ``_NOISE_FLOOR_SNR``: enough to place a deep cut whose own bands fall under the
    codec's noise, too little for their bias to set its depth.

    An equaliser is the same at every level; a limiter's products are not. The ratio is also
    taken separately over the louder and the quieter half of the frames (by the reference's
    level), and a band's weight is divided by 1 + v / (0.5 dB)^2, v the variance of the full
    estimate implied by the two halves' difference (its square / 4, averaged over the band
    and three bands either side): bands where the two halves disagree, from level-dependent
    processing or from too few FFT bins (one bin per band at 20-40 Hz), count less.
    """
    ref, cand = _overlap(reference, candidate, lag)
    n_fft = min(65536, 1 << int(np.floor(np.log2(max(len(ref), 256)))))
    window = np.hanning(n_fft + 1)[:-1]
    frames_x = np.lib.stride_tricks.sliding_window_view(ref, n_fft)[:: n_fft // 4]
    frames_y = np.lib.stride_tricks.sliding_window_view(cand, n_fft)[:: n_fft // 4]
    levels = np.concatenate(
        [(frames_x[s : s + 32] ** 2) @ window**2 for s in range(0, len(frames_x), 32)]
    )
    loud = levels > np.median(levels)
    halves = np.zeros((2, 3, n_fft // 2 + 1), complex)  # quiet, loud x (xx, yy, xy)
    for start in range(0, len(frames_x), 32):  # bounded memory for long files
        x = np.fft.rfft(frames_x[start : start + 32] * window, axis=1)
        y = np.fft.rfft(frames_y[start : start + 32] * window, axis=1)
        for half, frames in enumerate((~loud[start : start + 32], loud[start : start + 32])):
            halves[half, 0] += (np.abs(x[frames]) ** 2).sum(0)
            halves[half, 1] += (np.abs(y[frames]) ** 2).sum(0)
            halves[half, 2] += (np.conj(x[frames]) * y[frames]).sum(0)
    xx, yy, xy = halves.sum(0)
    ratio, coherence = _h1(xy, xx.real, yy.real, rate, n_fft, grid_hz)
    snr = coherence / (1.0 - coherence)
    ramp = np.clip((snr - _NOISE_FLOOR_SNR) / (_BIASED_SNR - _NOISE_FLOOR_SNR), 0.0, 1.0)
    weights = np.minimum(snr / _COHERENT_SNR, 1.0) * ramp
    if loud.any() and (~loud).any():
        quiet_db, loud_db = (
            _h1(h[2], h[0].real, h[1].real, rate, n_fft, grid_hz)[0] for h in halves
        )
        spread = _smooth((loud_db - quiet_db) ** 2, _SPREAD_SPAN) / (2 * _SPREAD_SPAN + 1) / 4
        weights = weights / (1.0 + spread / _LEVEL_TOLERANCE_DB**2)
    return ratio, np.asarray(weights)


def incoherent_share(energy_weights: np.ndarray, coherent_weights: np.ndarray) -> float:
    """Share of the bands where both signals carry energy (weight >= 0.5) whose coherence
    weight is under 0.5."""
    energetic = energy_weights >= 0.5
    return float((coherent_weights[energetic] < 0.5).mean()) if energetic.any() else 0.0


def _h1(
    xy: np.ndarray, xx: np.ndarray, yy: np.ndarray, rate: float, n_fft: int, grid_hz: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    cross, auto_x, auto_y = (_band_sums(v, rate, n_fft, grid_hz) for v in (np.abs(xy), xx, yy))
    tiny = np.finfo(np.float64).tiny
    ratio = 20 * np.log10(np.maximum(cross, tiny) / np.maximum(auto_x, tiny))
    coherence = np.clip(cross**2 / np.maximum(auto_x * auto_y, tiny), 0.0, 1.0 - 1e-12)
    return np.asarray(ratio), np.asarray(coherence)


def _smooth(band_values: np.ndarray, span: int) -> np.ndarray:
    """Sum of each band's values with ``span`` bands either side (edges: what there is)."""
    cumulative = np.concatenate([[0.0], np.cumsum(band_values)])
    index = np.arange(len(band_values))
    lo, hi = np.clip(index - span, 0, None), np.clip(index + span + 1, None, len(band_values))
    return np.asarray(cumulative[hi] - cumulative[lo])


def _band_sums(values: np.ndarray, rate: float, n_fft: int, grid_hz: np.ndarray) -> np.ndarray:
    """Sum of ``values`` over the FFT bins of each band (as :func:`long_term_power` bands)."""
    freqs = np.fft.rfftfreq(n_fft, 1.0 / rate)
    step = np.log2(grid_hz[1] / grid_hz[0]) if len(grid_hz) > 1 else 1.0
    edges = np.concatenate([grid_hz * 2.0 ** (-step / 2), [grid_hz[-1] * 2.0 ** (step / 2)]])
    lo, hi = np.searchsorted(freqs, edges[:-1]), np.searchsorted(freqs, edges[1:])
    nearest = np.clip(np.rint(grid_hz / freqs[1]).astype(int), 0, len(freqs) - 1)
    empty = hi <= lo  # a band narrower than one bin takes the nearest bin
    lo, hi = np.where(empty, nearest, lo), np.where(empty, nearest + 1, hi)
    cumulative = np.concatenate([[0.0], np.cumsum(values)])
    return np.asarray(cumulative[hi] - cumulative[lo])


def detect_lowpass(freqs_hz: np.ndarray, ratio_db: np.ndarray, weights: np.ndarray) -> float | None:
    """The frequency above which one signal is band-limited, or None.

    Relative to the median ratio of 200 Hz-5 kHz, the ratio must stay more than
    ``_LOWPASS_DROP_DB`` away (either sign: the reference may be the encoded one) in every
    band from some frequency to the top of the spectrum; the cut-off is where it last
    crosses 3 dB on the way there.
    """
    mid = (freqs_hz >= 200.0) & (freqs_hz <= 5000.0) & (weights > 0)
    if not mid.any():
        return None
    deviation = np.abs(ratio_db - np.median(ratio_db[mid]))
    top = len(freqs_hz)
    while top > 0 and weights[top - 1] == 0:
        top -= 1
    start = top
    while start > 0 and deviation[start - 1] > _LOWPASS_DROP_DB:
        start -= 1
    if start == top or freqs_hz[start] < 4000.0:
        return None
    while start > 0 and deviation[start - 1] > 3.0:
        start -= 1
    return float(freqs_hz[start])


def align(reference: np.ndarray, candidate: np.ndarray, rate: float) -> tuple[int, float]:
    """Lag (samples, candidate later when positive) and normalised correlation at that lag,
    searched within +-1 s by FFT cross-correlation."""
    n = min(len(reference), len(candidate))
    if n < _FRAME:
        return 0, 0.0
    correlation = fftconvolve(candidate[:n], reference[:n][::-1], mode="full")
    centre = n - 1
    reach = min(int(rate), n - 1)
    window = correlation[centre - reach : centre + reach + 1]
    lag = int(np.argmax(np.abs(window))) - reach
    norm = math.sqrt(float(reference[:n] @ reference[:n]) * float(candidate[:n] @ candidate[:n]))
    return lag, float(abs(window[lag + reach]) / norm) if norm > 0 else 0.0


def _frame_energy(x: np.ndarray, frame: int = _FRAME, hop: int = _HOP) -> np.ndarray:
    frames = np.lib.stride_tricks.sliding_window_view(x, frame)[::hop]
    window = np.hanning(frame) ** 2
    return np.asarray(frames**2 @ window)


def _frame_centres(count: int, lag: int, frame: int = _FRAME, hop: int = _HOP) -> np.ndarray:
    """Centres of ``count`` frames of the overlap, in the reference's own sample positions
    (the overlap starts at -lag)."""
    return np.arange(count) * hop + frame / 2 + max(-lag, 0)


def gain_envelope(
    shaped_reference: np.ndarray, candidate: np.ndarray, lag: int
) -> tuple[np.ndarray, float] | None:
    """Per-sample broadband gain g taking ``shaped_reference`` (the reference after the EQ
    found so far) to the aligned candidate, and how much more it turns loud frames down, in
    dB (positive for a limiter or compressor): the larger of the slope of frame gain (dB)
    on frame level (dB) times the level's 5-95 % range, and the median gain less that of
    the loudest 5 % of frames (a light limiter touches only those, and the slope over all
    frames hides it). None below ``_MIN_SPREAD_DB``: gain that wanders without following
    the level is codec noise or an EQ not yet found, not dynamics. A first pass that has
    read a limiter as broad moves leaves only part of its fall (0.7-0.85 dB where the plain
    reference shows 2 dB), so the bar sits between that and the most an EQ, codec or
    resampler has left (0.26 dB, after a first pass that merged two moves).

    Frames of 512 samples every 128; frames more than 50 dB below the loudest frame carry
    too little energy to estimate a gain and take the median gain.
    """
    ref, cand = _overlap(shaped_reference, candidate, lag)
    if len(ref) < 4 * _FRAME:
        return None
    e_ref, e_cand = _frame_energy(ref), _frame_energy(cand)
    loud = e_ref > e_ref.max() * 10 ** (-50 / 10)
    gain_db = np.full(len(e_ref), 0.0)
    gain_db[loud] = 10 * np.log10(np.maximum(e_cand[loud], 1e-30) / e_ref[loud])
    median = float(np.median(gain_db[loud]))
    gain_db[~loud] = median
    strong = e_ref > e_ref.max() * 10 ** (-30 / 10)
    level = 10 * np.log10(e_ref[strong])
    slope = np.polyfit(level, gain_db[strong], 1)[0] if np.ptp(level) > 0 else 0.0
    quiet, loud_level = np.percentile(level, [5, 95])
    spread = float(-slope * (loud_level - quiet))
    loudest = gain_db[strong][level >= loud_level]
    dynamics = max(spread, median - float(np.median(loudest)))
    if dynamics < _MIN_SPREAD_DB:
        return None
    centres = _frame_centres(len(gain_db), lag)
    samples = np.interp(np.arange(len(shaped_reference)), centres, gain_db)
    return np.asarray(10 ** ((samples - median) / 20)), dynamics


def fast_gain(
    shaped_reference: np.ndarray,
    candidate: np.ndarray,
    lag: int,
    rate: float,
    frame_gain: np.ndarray,
) -> np.ndarray:
    """``frame_gain`` (from :func:`gain_envelope`) made to follow a limiter's attack: the
    gain measured again in frames of ``_FAST_FRAME`` samples (5.8 ms at 44.1 kHz, every
    1.5 ms) on both signals high-passed at ``_FAST_BAND_HZ``, brought to the frame gain's
    level by their median difference. Above 1 kHz a frame that short still spans several
    cycles, and a move below it that the EQ found so far has missed cannot enter the gain;
    a move above it is a fixed ratio, which the median takes out. Frames more than
    ``_FAST_WITHIN_DB`` below the band's loudest keep the frame gain."""
    high = butter(4, _FAST_BAND_HZ, "highpass", fs=rate, output="sos")
    ref, cand = _overlap(sosfiltfilt(high, shaped_reference), sosfiltfilt(high, candidate), lag)
    if len(ref) < 4 * _FAST_FRAME:
        return frame_gain
    e_ref = _frame_energy(ref, _FAST_FRAME, _FAST_HOP)
    e_cand = _frame_energy(cand, _FAST_FRAME, _FAST_HOP)
    strong = e_ref > e_ref.max() * 10 ** (-_FAST_WITHIN_DB / 10)
    if not strong.any():
        return frame_gain
    centres = _frame_centres(len(e_ref), lag, _FAST_FRAME, _FAST_HOP)
    at = np.minimum(centres.astype(int), len(frame_gain) - 1)
    gain_db = 20 * np.log10(frame_gain[at])
    measured = 10 * np.log10(np.maximum(e_cand[strong], 1e-30) / e_ref[strong])
    gain_db[strong] = measured - np.median(measured - gain_db[strong])
    samples = np.interp(np.arange(len(frame_gain)), centres, gain_db)
    return np.asarray(10 ** (samples / 20))


def undo_gain(shaped_reference: np.ndarray, candidate: np.ndarray, lag: int) -> np.ndarray:
    """``candidate`` with a limiter's gain divided out, the gain fitted sample-finely
    against ``shaped_reference`` (the reference after the EQ found so far).

    y = g(t) (h * x) is undone exactly only by dividing y by g: multiplying the reference
    by g instead gives h * (g x), which differs where g moves within the impulse response
    of a low move (a limiter's 5 ms attack against a 100 Hz move's tens of milliseconds).
    Division needs g to the sample: the two signals are aligned on their own, near ``lag``
    (:func:`_lag_near`), and g is linear between knots every ``_KNOT`` samples, fitted by
    least squares (:func:`_knot_gain`)."""
    lag = _lag_near(shaped_reference, candidate, lag)
    ref, cand = _overlap(shaped_reference, candidate, lag)
    if len(ref) < 4 * _KNOT:
        return candidate
    gain = _knot_gain(ref, cand)
    out = np.array(candidate, dtype=float)
    start = max(lag, 0)
    out[start : start + len(gain)] = cand / np.clip(gain, _LEAST_GAIN, None)
    return out


def _lag_near(reference: np.ndarray, candidate: np.ndarray, lag: int) -> int:
    """The lag within ``_LAG_REACH`` samples of ``lag`` where the two correlate most. A move
    shifts the cross-correlation's peak (on the dev limiter cases the reference after the
    true EQ peaked up to 11 samples, once 64, from the raw reference's), and a gain fitted
    one sample off is no use. Summed over blocks, so memory stays bounded."""
    ref, cand = _overlap(reference, candidate, lag)
    total = np.zeros(2 * _LAG_REACH + 1)
    for start in range(0, len(ref), _BLOCK):
        block = ref[start : start + _BLOCK]
        low = max(start - _LAG_REACH, 0)
        segment = cand[low : start + len(block) + _LAG_REACH]
        full = correlate(segment, block, mode="full", method="fft")
        shifts = np.arange(-_LAG_REACH, _LAG_REACH + 1) + start - low + len(block) - 1
        inside = (shifts >= 0) & (shifts < len(full))
        total[inside] += full[shifts[inside]]
    return lag + int(np.argmax(np.abs(total))) - _LAG_REACH


def _knot_gain(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """g, linear between knots every ``_KNOT`` samples, minimising sum_n (d e)^2 with
    e = y - g x and d the first difference, plus ``_KNOT_SMOOTHING`` (of the mean diagonal)
    times the squared differences of neighbouring knots, which carries g through silence.

    The first difference weights the misfit by 2 sin(pi f / rate), so bands where the EQ
    found so far may still miss a weak low move hardly steer g, while g itself, applied
    before the difference, stays exact (no filter is commuted with g). The normal matrix
    is banded (two off-diagonals), summed over blocks of samples and solved by banded
    Cholesky."""
    n = len(x)
    size = (n - 1) // _KNOT + 2
    upper = np.zeros((3, size))  # upper[2 - o, j + o] holds entry (j, j + o)
    rhs = np.zeros(size)
    for first in range(1, n, _BLOCK):
        _add_normal_block(x, y, np.arange(first, min(first + _BLOCK, n)), upper, rhs)
    smoothing = _KNOT_SMOOTHING * upper[2].mean()
    upper[2] += smoothing * np.r_[1.0, np.full(size - 2, 2.0), 1.0] + 1e-9 * upper[2].mean()
    upper[1, 1:] -= smoothing
    coef = solveh_banded(upper, rhs)
    return np.interp(np.arange(n), np.arange(size) * _KNOT, coef)


def _add_normal_block(
    x: np.ndarray, y: np.ndarray, rows: np.ndarray, upper: np.ndarray, rhs: np.ndarray
) -> None:
    """Rows ``rows`` of the normal equations of :func:`_knot_gain`, added in place. Row n
    of the design matrix is phi(n) - phi(n - 1), phi(n) = x_n times the hat weights of
    its two knots; its target is y_n - y_(n-1)."""
    size = len(rhs)
    terms = []
    for at, sign in ((rows, 1.0), (rows - 1, -1.0)):
        knot, step = np.divmod(at, _KNOT)
        weighted = sign * x[at]
        terms += [(knot, weighted * (1 - step / _KNOT)), (knot + 1, weighted * step / _KNOT)]
    target = y[rows] - y[rows - 1]
    for col_i, val_i in terms:
        rhs += np.bincount(col_i, val_i * target, size)
        for col_j, val_j in terms:
            offset = col_j - col_i
            ok = offset >= 0
            sums = np.bincount(col_i[ok] * 3 + offset[ok], val_i[ok] * val_j[ok], size * 3)
            for o in range(3):
                upper[2 - o, o:] += sums[o::3][: size - o]


def _overlap(
    reference: np.ndarray, candidate: np.ndarray, lag: int
) -> tuple[np.ndarray, np.ndarray]:
    """The parts of both signals that play at the same time, given the lag."""
    if lag >= 0:
        cand = candidate[lag:]
        ref = reference
    else:
        cand = candidate
        ref = reference[-lag:]
    n = min(len(ref), len(cand))
    return ref[:n], cand[:n]
