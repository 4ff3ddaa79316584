"""The full metric set of one recording: loudness, peaks, spectrum and stereo image."""

from __future__ import annotations

import math
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from earwitness.analysis.metrics import _exact
from earwitness.analysis.metrics import _spectral as sp
from earwitness.analysis.metrics._dynamics import (
    ClipRuns,
    DrMeter,
    crest_factor_db,
    spectral_tilt,
)
from earwitness.analysis.metrics._io import (
    AudioData,
    AudioInfo,
    audio_info,
    decoded_to_disk,
    open_frames,
    read_audio,
)
from earwitness.analysis.metrics._layout import layout_weights
from earwitness.analysis.metrics._loudness import (
    BLOCK_HOP_SEGMENTS,
    LRA_CONVENTIONS,
    MOMENTARY_SEGMENTS,
    SEGMENT_S,
    SHORT_TERM_SEGMENTS,
    LoudnessResult,
    loudness,
)
from earwitness.analysis.metrics._stereo import StereoResult, stereo_measures, width_db
from earwitness.errors import BadInputError

__all__ = ["EXTENDED_KEYS", "METRIC_KEYS", "measure_audio", "measure_file", "spectra"]

# The keys of `earwitness audio measure --json`, in this order.
METRIC_KEYS = (
    "integrated_lufs",
    "momentary_max_lufs",
    "short_term_max_lufs",
    "lra_lu",
    "true_peak_dbtp",
    "sample_peak_dbfs",
    "plr_db",
    "crest_factor_db",
    "spectral_centroid_hz",
    "low_end_share_60hz",
    "stereo_correlation",
    "stereo_width_db",
    "duration_s",
    "sample_rate",
    "channels",
    "channel_layout",
    "bands_third_octave",
)
# Further measures, shown with --full and always stored in a study.
EXTENDED_KEYS = (
    "lra_convention",
    "lra_low_lufs",
    "lra_high_lufs",
    "psr_min_db",
    "low_end_share_120hz",
    "air_share_10khz",
    "stereo_negative_share",
    "stereo_width_bands_db",
    "clipped_samples",
    "intersample_overs",
    "intersample_overs_per_minute",
    "true_peak_channels_dbtp",
    "clip_runs",
    "clip_run_samples",
    "dr",
    "dr_db",
    "dr_channels_db",
    "spectral_tilt_db_per_octave",
    "psr_distribution_db",
    "dual_mono",
    "warnings",
)
TOOL_VERSION = "audio-2"  # audio-2: channel layouts from the container, DR, clip runs...


def spectra(audio: AudioData) -> tuple[sp.Spectrum, sp.Spectrum | None, sp.Spectrum | None]:
    """Long-term spectra: all channels (per-channel mean power), mid and side.

    For stereo the total is mid + side power, since |L|^2 + |R|^2 = 2(|M|^2 + |S|^2).
    """
    samples, rate = audio.samples, audio.sample_rate
    pair = audio.layout.front_pair
    if audio.channels == 1 or pair is None:
        used = [c for c in range(audio.channels) if audio.weights[c] > 0] or [0]
        power = sum(sp.long_term_spectrum(samples[:, c], rate).power for c in used) / len(used)
        base = sp.long_term_spectrum(samples[:, used[0]], rate)
        return sp.Spectrum(base.frequencies, np.asarray(power), base.frames), None, None
    left, right = pair
    mid_spectrum, side_spectrum = sp.mid_side_spectra(samples[:, left], samples[:, right], rate)
    if audio.channels == 2:
        total = mid_spectrum.power + side_spectrum.power
    else:
        weights = audio.weights
        used = [c for c in range(audio.channels) if weights[c] > 0]
        total = sum(sp.long_term_spectrum(samples[:, c], rate).power for c in used) / len(used)
    combined = sp.Spectrum(mid_spectrum.frequencies, np.asarray(total), mid_spectrum.frames)
    return combined, mid_spectrum, side_spectrum


def _spectral_measures(audio: AudioData) -> dict[str, Any]:
    total, mid, side = spectra(audio)
    return _spectral_from(total, mid, side, audio.sample_rate)


def _spectral_from(
    total: sp.Spectrum, mid: sp.Spectrum | None, side: sp.Spectrum | None, rate: int
) -> dict[str, Any]:
    widths: dict[str, float | None] | None = None
    if mid is not None and side is not None:
        centres = np.array(sp.THIRD_OCTAVE_CENTRES)
        mid_bands = sp.band_powers(mid, centres, 3)
        side_bands = sp.band_powers(side, centres, 3)
        _, highs = sp.band_edges(centres, 3)
        widths = {
            sp._label(nominal): width_db(float(m), float(s))
            if high <= total.frequencies[-1]
            else None
            for nominal, m, s, high in zip(
                sp.THIRD_OCTAVE_NOMINAL, mid_bands, side_bands, highs, strict=True
            )
        }
    return {
        "spectral_centroid_hz": sp.spectral_centroid(total),
        "low_end_share_60hz": sp.share_between(total, 0.0, 60.0),
        "low_end_share_120hz": sp.share_between(total, 0.0, 120.0),
        "air_share_10khz": sp.share_between(total, 10000.0, rate / 2.0),
        "bands_third_octave": sp.third_octave_bands(total),
        "stereo_width_bands_db": widths,
        "_total": total,
    }


def measure_audio(
    audio: AudioData,
    *,
    lra_convention: str = "tech3342",
    dual_mono: bool = False,
    psr_distribution: bool = False,
    series: bool = False,
) -> dict[str, Any]:
    """Every metric of decoded audio, keyed as in METRIC_KEYS then EXTENDED_KEYS.

    ``lra_convention``: ``tech3342`` (3 s values at 10 Hz) or ``libebur128`` (one per
    second). ``dual_mono``: a mono file counts as played on two loudspeakers (weight 2,
    +3.01 dB; libebur128's EBUR128_DUAL_MONO, ffmpeg's ``ebur128=dualmono``).
    ``psr_distribution`` adds PSR percentiles (interpolates more), ``series`` the
    momentary and short-term loudness at 10 Hz.
    """
    _check_convention(lra_convention)
    weights = _weights(audio.info, dual_mono)
    with ThreadPoolExecutor(max_workers=1) as pool:
        spectral_job = pool.submit(_spectral_measures, audio)
        level: LoudnessResult = loudness(
            audio.samples, audio.sample_rate, weights, lra_convention,
            psr_distribution=psr_distribution,
        )  # fmt: skip
        pair = audio.layout.front_pair
        front = audio.samples[:, list(pair)] if pair and audio.channels > 2 else audio.samples
        stereo = stereo_measures(front, audio.sample_rate)
        dr, clips = DrMeter(audio.sample_rate, audio.channels), ClipRuns(audio.channels)
        dr.feed(audio.samples)
        crest = crest_factor_db(level.sample_peak_dbfs, dr.mean_square())
        clips.feed(audio.samples)
        spectral = spectral_job.result()
    extras = _Extras(lra_convention, dual_mono, series, dr.result(), clips.finish())
    return _assemble(level, stereo, crest, spectral, audio.info, audio.frames, extras)


def _assemble(
    level: LoudnessResult,
    stereo: StereoResult | None,
    crest: float | None,
    spectral: dict[str, Any],
    info: AudioInfo,
    frames: int,
    extras: _Extras,
) -> dict[str, Any]:
    layout = info.channel_layout
    minutes = frames / info.sample_rate / 60.0
    dr, dr_channels = extras.dr
    stereo = stereo or StereoResult(None, None, None)
    values: dict[str, Any] = {
        "integrated_lufs": level.integrated_lufs,
        "momentary_max_lufs": level.momentary_max_lufs,
        "short_term_max_lufs": level.short_term_max_lufs,
        "lra_lu": level.lra_lu,
        "true_peak_dbtp": level.true_peak_dbtp,
        "sample_peak_dbfs": level.sample_peak_dbfs,
        "plr_db": level.plr_db,
        "crest_factor_db": crest,
        "stereo_correlation": stereo.correlation_mean,
        "stereo_width_db": stereo.width_db,
        "duration_s": frames / info.sample_rate,
        "sample_rate": info.sample_rate,
        "channels": info.channels,
        "channel_layout": layout.name,
        "warnings": [*([layout.warning] if layout.warning else []), *info.warnings],
        "lra_convention": extras.lra_convention,
        "dual_mono": extras.dual_mono and info.channels == 1,
        "dr": round(dr) if dr is not None else None,
        "dr_db": dr,
        "dr_channels_db": dr_channels,
        "true_peak_channels_dbtp": list(level.channel_true_peaks_dbtp),
        "intersample_overs_per_minute": level.intersample_overs / minutes if minutes else None,
        "clip_runs": extras.clip_runs[0],
        "clip_run_samples": extras.clip_runs[1],
        "spectral_tilt_db_per_octave": spectral_tilt(spectral["_total"]),
        "psr_distribution_db": level.psr_percentiles_db,
        "lra_low_lufs": level.lra_low_lufs,
        "lra_high_lufs": level.lra_high_lufs,
        "psr_min_db": level.psr_min_db,
        "stereo_negative_share": stereo.correlation_negative_share,
        "clipped_samples": level.clipped_samples,
        "intersample_overs": level.intersample_overs,
        **spectral,
    }
    result = {key: values[key] for key in (*METRIC_KEYS, *EXTENDED_KEYS)}
    if extras.series:
        result["loudness_series"] = _series(level)
    return result


@dataclass(frozen=True)
class _Extras:
    lra_convention: str
    dual_mono: bool
    series: bool
    dr: tuple[float | None, list[float | None]]
    clip_runs: tuple[int, int]


def _weights(info: AudioInfo, dual_mono: bool) -> np.ndarray:
    if dual_mono and info.channels == 1:
        return np.array([2.0])  # both loudspeakers carry the one channel
    return np.asarray(layout_weights(info.channel_layout.speakers), dtype=np.float64)


def _series(level: LoudnessResult) -> dict[str, Any]:
    """Momentary (400 ms) and short-term (3 s) loudness every 100 ms; window k ends at
    first_end_s + k * hop_s. -inf (digital silence) is null."""

    def values(series: Any) -> list[float | None]:
        out: list[float | None] = []
        for chunk in _exact.stream_of(series)():  # by ranges: a long file's is on disk
            out.extend(float(v) if math.isfinite(v) else None for v in chunk.tolist())
        return out

    return {
        "hop_s": BLOCK_HOP_SEGMENTS * SEGMENT_S,
        "momentary_first_end_s": MOMENTARY_SEGMENTS * SEGMENT_S,
        "short_term_first_end_s": SHORT_TERM_SEGMENTS * SEGMENT_S,
        "momentary_lufs": values(level.momentary),
        "short_term_lufs": values(level.short_term),
    }


def measure_file(
    path: str | Path,
    *,
    full: bool = True,
    block_frames: int | None = None,
    lra_convention: str = "tech3342",
    dual_mono: bool = False,
    psr_distribution: bool = False,
    series: bool = False,
) -> dict[str, Any]:
    """Read and measure one file; ``full=False`` keeps only METRIC_KEYS.

    A file longer than ``block_frames`` (default: 2^20 samples over its channels, see
    ``_streaming.block_frames_for``) is measured block by block with the same results,
    so memory does not grow with its length.
    """
    from earwitness.analysis.metrics._threads import one_blas_thread

    _check_convention(lra_convention)
    options: dict[str, Any] = {
        "lra_convention": lra_convention, "dual_mono": dual_mono,
        "psr_distribution": psr_distribution, "series": series,
    }  # fmt: skip
    with one_blas_thread():
        metrics = _measure_path(path, block_frames, options)
    if full:
        return metrics
    return {key: metrics[key] for key in (*METRIC_KEYS, "loudness_series") if key in metrics}


def _measure_path(
    path: str | Path, block_frames: int | None, options: dict[str, Any]
) -> dict[str, Any]:
    from earwitness.analysis.metrics import _streaming

    info = audio_info(path)
    block = block_frames or _streaming.block_frames_for(info.channels)
    if info.frames <= block and (info.decoder == "soundfile" or info.length_exact):
        return measure_audio(read_audio(path), **options)
    with decoded_to_disk(info) as decoded:  # compressed: decoded once, then read back
        if decoded.frames <= block:
            return measure_audio(_read_decoded(decoded), **options)
        return _measure_streamed(decoded, block, **options)


def _read_decoded(info: AudioInfo) -> AudioData:
    with open_frames(info) as handle:
        samples = handle.read(dtype="float32", always_2d=True)
    return AudioData(samples, info.sample_rate, info)


def _check_convention(convention: str) -> None:
    if convention not in LRA_CONVENTIONS:
        raise BadInputError(
            f"LRA convention {convention!r} is not one of {', '.join(LRA_CONVENTIONS)}",
            field="--lra",
        )


def _measure_streamed(
    info: AudioInfo,
    block: int,
    *,
    lra_convention: str,
    dual_mono: bool,
    psr_distribution: bool,
    series: bool,
) -> dict[str, Any]:
    import soundfile as sf

    from earwitness.analysis.metrics._streaming import measure_streamed

    try:
        parts = measure_streamed(
            info, block, lra_convention, weights=_weights(info, dual_mono),
            psr_distribution=psr_distribution,
        )  # fmt: skip
    except sf.SoundFileError as exc:
        raise BadInputError(f"cannot decode audio ({exc})", file=info.path) from None
    level = parts["level"]
    channel_spectra, mid_side = parts["channel_spectra"], parts["mid_side"]
    if mid_side is not None and info.channels == 2:
        mid, side = mid_side
        total = sp.Spectrum(mid.frequencies, mid.power + side.power, mid.frames)
    else:
        mid, side = mid_side if mid_side is not None else (None, None)
        powers = list(channel_spectra.values())
        base = powers[0]
        total = sp.Spectrum(
            base.frequencies, np.asarray(sum(p.power for p in powers) / len(powers)), base.frames
        )
    spectral = _spectral_from(total, mid, side, info.sample_rate)
    frames = info.frames
    crest = parts["crest_factor_db"]
    extras = _Extras(lra_convention, dual_mono, series, parts["dr"], parts["clip_runs"])
    return _assemble(level, parts["stereo"], crest, spectral, info, frames, extras)
