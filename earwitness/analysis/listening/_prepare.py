"""Preparing the stimuli of one test item: the same excerpt of every version, matched.

For one song: read every selected version, bring it to the test's sample rate and
channel count, align it to the reference by cross-correlation (the comparison code's
:func:`~earwitness.analysis.metrics.align`), cut the same excerpt, fade it, and measure
it. Gains are applied later, once the common target of the whole test is known.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from earwitness.analysis.listening import _signal as sig
from earwitness.analysis.metrics import AudioData, align, integrated_loudness, true_peak
from earwitness.errors import BadInputError, EarwitnessError

__all__ = ["Excerpt", "PreparedStimulus", "anchors", "cut_excerpts", "finish", "residual_db"]

LOUDNESS_TOLERANCE_LU = 0.1


@dataclass
class Excerpt:
    """One version's faded excerpt, before gain."""

    version_id: int
    label: str
    role: str
    source_sha256: str
    samples: np.ndarray
    manifest: dict[str, Any] = field(default_factory=dict)

    @property
    def loudness(self) -> float:
        return float(self.manifest["loudness_before_lufs"])

    @property
    def plr(self) -> float:
        return float(self.manifest["true_peak_before_dbtp"]) - self.loudness


@dataclass
class PreparedStimulus:
    version_id: int
    role: str
    wav: bytes
    manifest: dict[str, Any]
    samples: np.ndarray = field(repr=False, default_factory=lambda: np.zeros((0, 1)))


def residual_db(stimulus: np.ndarray, reference: np.ndarray) -> float | None:
    """Residual energy of two matched, aligned stimuli relative to the reference, dB."""
    residual = float(np.sum((stimulus - reference) ** 2))
    energy = float(np.sum(reference**2))
    if energy <= 0:
        return None
    return 10.0 * math.log10(residual / energy) if residual > 0 else None


def _mono(samples: np.ndarray) -> np.ndarray:
    return np.asarray(samples.mean(axis=1), dtype=np.float64)


def _conform(audio: AudioData, rate: int, channels: int) -> np.ndarray:
    samples = sig.to_rate(audio.samples.astype(np.float64), audio.sample_rate, rate)
    if samples.shape[1] == channels:
        return samples
    if samples.shape[1] == 1:
        return np.repeat(samples, channels, axis=1)
    raise BadInputError(
        f"a {samples.shape[1]}-channel version cannot join a {channels}-channel test",
        file=audio.info.path,
    )


def _measure(samples: np.ndarray, rate: int, file: Any) -> tuple[float, float]:
    loudness = integrated_loudness(samples, rate)
    if loudness is None:
        raise BadInputError("the excerpt is silent (below the -70 LUFS gate)", file=file)
    return float(loudness), float(true_peak(samples))


def cut_excerpts(
    versions: list[tuple[int, str, str, str, AudioData]],
    *,
    rate: int,
    channels: int,
    excerpt_s: float,
    start: float | None,
    fade_ms: float,
) -> tuple[float, list[Excerpt]]:
    """The aligned, faded excerpt of every version; the first version is the reference.

    ``versions`` holds (version id, label, role, source sha256, audio). Returns the
    excerpt start in the reference (s) and the excerpts.
    """
    conformed = [_conform(audio, rate, channels) for *_, audio in versions]
    reference = conformed[0]
    frames = round(excerpt_s * rate)
    lags = [0.0] + [align(_mono(x), _mono(reference), rate) for x in conformed[1:]]
    if start is None:  # the loudest excerpt that every aligned version covers
        lowest = max(-round(lag) for lag in lags)
        highest = min(len(x) - frames - round(lag) for x, lag in zip(conformed, lags, strict=True))
        begin = sig.loudest_start(reference, rate, excerpt_s, lowest=lowest, highest=highest)
    else:
        begin = start
    first = round(begin * rate)
    if first < 0 or first + frames > len(reference):
        raise BadInputError(
            f"the excerpt {begin:.2f}-{begin + excerpt_s:.2f} s lies outside the reference "
            f"({len(reference) / rate:.2f} s)",
            field="--start",
        )
    excerpts = []
    for (version_id, label, role, digest, audio), samples, lag in zip(
        versions, conformed, lags, strict=True
    ):
        offset = first + round(lag)
        if offset < 0 or offset + frames > len(samples):
            raise BadInputError(
                f"version {label} does not cover the excerpt after alignment (lag {lag:.1f} "
                "samples): choose another --start or a shorter --excerpt-s",
                file=audio.info.path,
            )
        cut = sig.apply_fades(samples[offset : offset + frames], rate, fade_ms)
        loudness, peak = _measure(cut, rate, audio.info.path)
        manifest = {
            "source_version": label,
            "source_sha256": digest,
            "source_sample_rate": audio.sample_rate,
            "source_channels": audio.channels,
            "excerpt_start_s": offset / rate,
            "excerpt_end_s": (offset + frames) / rate,
            "reference_start_s": first / rate,
            "lag_samples": lag,
            "lag_applied": round(lag),
            "fade_ms": fade_ms,
            "loudness_before_lufs": loudness,
            "true_peak_before_dbtp": peak,
        }
        excerpts.append(Excerpt(version_id, label, role, digest, cut.astype(np.float32), manifest))
    return first / rate, excerpts


def _gained(samples: np.ndarray, gain_db: float) -> np.ndarray:
    return np.asarray(samples, dtype=np.float64) * 10.0 ** (gain_db / 20.0)


def _quantised(
    samples: np.ndarray, rate: int, target: float | None
) -> tuple[np.ndarray, float, float]:
    """Quantise, re-measure; correct the gain once if the result misses T by > 0.1 LU."""
    codes = sig.quantise(samples)
    loudness, _ = _measure(sig.dequantise(codes), rate, None)
    if target is not None and abs(loudness - target) > LOUDNESS_TOLERANCE_LU:
        codes = sig.quantise(_gained(samples, target - loudness))
    decoded = sig.dequantise(codes)
    loudness, peak = _measure(decoded, rate, None)
    return codes, loudness, peak


def finish(excerpt: Excerpt, rate: int, target: float, *, match: bool = True) -> PreparedStimulus:
    """Apply the gain to ``target``, quantise to PCM and record loudness and peak after."""
    gain = target - excerpt.loudness if match else 0.0
    codes, loudness, peak = _quantised(
        _gained(excerpt.samples, gain), rate, target if match else None
    )
    if match and abs(loudness - target) > LOUDNESS_TOLERANCE_LU:
        raise EarwitnessError(
            f"{excerpt.label}: loudness {loudness:.2f} LUFS after quantisation misses the "
            f"target {target:.2f} by more than {LOUDNESS_TOLERANCE_LU} LU"
        )
    manifest = {
        **excerpt.manifest,
        "role": excerpt.role,
        "gain_db": gain,
        "loudness_after_lufs": loudness,
        "true_peak_after_dbtp": peak,
        "target_lufs": target,
        "sample_rate": rate,
        "frames": int(codes.shape[0]),
        "channels": int(codes.shape[1]),
        "bit_depth": sig.BIT_DEPTH,
    }
    if not math.isfinite(peak):
        manifest["true_peak_after_dbtp"] = None
    return PreparedStimulus(
        excerpt.version_id,
        excerpt.role,
        sig.wav_bytes(codes, rate),
        manifest,
        sig.dequantise(codes),
    )


def anchors(reference: Excerpt, rate: int, target: float) -> list[PreparedStimulus]:
    """BS.1534-3 §5.1 anchors from the matched reference: 3.5 kHz and 7 kHz low-pass."""
    matched = _gained(reference.samples, target - reference.loudness)
    out = []
    for role, cutoff in (("anchor35", 3500.0), ("anchor70", 7000.0)):
        filtered = sig.lowpass(matched, rate, cutoff)
        base = {
            **reference.manifest,
            "anchor_cutoff_hz": cutoff,
            "anchor_filter": "linear-phase Kaiser FIR, 60 dB stop band from 8/7 cut-off",
        }
        loudness, peak = _measure(filtered, rate, None)
        base["loudness_before_lufs"], base["true_peak_before_dbtp"] = loudness, peak
        excerpt = Excerpt(
            reference.version_id, reference.label, role, reference.source_sha256, filtered, base
        )
        prepared = finish(excerpt, rate, target, match=False)
        prepared.manifest["gain_db"] = target - reference.loudness
        out.append(prepared)
    return out
