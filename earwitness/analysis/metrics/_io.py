"""Reading audio files: WAV, FLAC, AIFF, OGG and MP3 through libsndfile (soundfile).

Every file is decoded to 32-bit float at its own sample rate; a file that is empty,
truncated, holds NaN or Inf, or that libsndfile cannot read raises one
:class:`~earwitness.errors.BadInputError` naming the file.

Each channel's speaker comes from the container (``_layout``: WAVE channel mask, FLAC
and Vorbis/Opus orders), and its BS.1770 weight from the speaker.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf

from earwitness.analysis.metrics._layout import (
    ChannelLayout,
    default_layout,
    layout_weights,
    read_layout,
)
from earwitness.errors import BadInputError

__all__ = [
    "SUPPORTED_FORMATS",
    "AudioData",
    "AudioInfo",
    "audio_info",
    "channel_weights",
    "check_block",
    "check_complete",
    "read_audio",
    "sha256_file",
]

SUPPORTED_FORMATS = ("WAV", "WAVEX", "RF64", "W64", "FLAC", "AIFF", "OGG", "MP3")

_TRUNCATION_MARKS = ("(should be", "> file length", "lacks an end-of-stream", "lost sync")


@dataclass(frozen=True)
class AudioInfo:
    """What a file's header says about it."""

    path: Path
    format: str
    subtype: str
    sample_rate: int
    channels: int
    frames: int
    layout: ChannelLayout | None = None

    @property
    def duration_s(self) -> float:
        return self.frames / self.sample_rate

    @property
    def channel_layout(self) -> ChannelLayout:
        return self.layout or default_layout(self.channels)


@dataclass(frozen=True)
class AudioData:
    """Decoded audio: ``samples`` is float32 of shape (frames, channels)."""

    samples: np.ndarray
    sample_rate: int
    info: AudioInfo

    @property
    def channels(self) -> int:
        return int(self.samples.shape[1])

    @property
    def frames(self) -> int:
        return int(self.samples.shape[0])

    @property
    def duration_s(self) -> float:
        return self.frames / self.sample_rate

    @property
    def layout(self) -> ChannelLayout:
        layout = self.info.channel_layout
        return layout if len(layout.speakers) == self.channels else default_layout(self.channels)

    @property
    def weights(self) -> np.ndarray:
        return np.asarray(layout_weights(self.layout.speakers), dtype=np.float64)


def channel_weights(channels: int) -> np.ndarray:
    """BS.1770 weights G_i of the default (WAVE) layout for a channel count."""
    return np.asarray(layout_weights(default_layout(channels).speakers), dtype=np.float64)


def audio_info(path: str | Path) -> AudioInfo:
    """Read a file's header, or fail with one line naming the file."""
    path = Path(path)
    _check_nonempty(path)
    try:
        info = sf.info(str(path))
    except sf.SoundFileError as exc:
        raise BadInputError(
            f"unsupported or unreadable audio file ({_reason(exc)})", file=path
        ) from None
    if info.format not in SUPPORTED_FORMATS:
        raise BadInputError(
            f"unsupported audio format {info.format}: use WAV, FLAC, AIFF, OGG or MP3", file=path
        )
    layout = read_layout(path, info.format, info.subtype, info.channels)
    return AudioInfo(
        path, info.format, info.subtype, info.samplerate, info.channels, info.frames, layout
    )


def read_audio(path: str | Path) -> AudioData:
    """Decode a whole file to float32, checking it is complete and finite."""
    info = audio_info(path)
    try:
        with sf.SoundFile(str(info.path)) as handle:
            log = handle.extra_info
            samples = handle.read(dtype="float32", always_2d=True)
    except sf.SoundFileError as exc:
        raise BadInputError(f"cannot decode audio ({_reason(exc)})", file=info.path) from None
    if any(mark in log for mark in _TRUNCATION_MARKS) or len(samples) < info.frames:
        raise BadInputError(
            "the file is truncated: its header promises more audio than it holds", file=info.path
        )
    if len(samples) == 0:
        raise BadInputError("the file holds no audio samples", file=info.path)
    if not math.isfinite(float(np.sum(samples, dtype=np.float64))):  # NaN and Inf propagate
        raise BadInputError("the audio holds NaN or infinite sample values", file=info.path)
    return AudioData(np.ascontiguousarray(samples), info.sample_rate, info)


def check_block(block: np.ndarray, info: AudioInfo) -> None:
    """Refuse a decoded block holding NaN or Inf (they propagate through the sum)."""
    if not math.isfinite(float(np.sum(block, dtype=np.float64))):
        raise BadInputError("the audio holds NaN or infinite sample values", file=info.path)


def check_complete(handle: sf.SoundFile, frames_read: int, info: AudioInfo) -> None:
    """Refuse a file that held fewer frames than its header promised, or none."""
    if any(mark in handle.extra_info for mark in _TRUNCATION_MARKS) or frames_read < info.frames:
        raise BadInputError(
            "the file is truncated: its header promises more audio than it holds", file=info.path
        )
    if frames_read == 0:
        raise BadInputError("the file holds no audio samples", file=info.path)


def sha256_file(path: str | Path) -> str:
    digest = hashlib.sha256()
    with Path(path).open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _check_nonempty(path: Path) -> None:
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise BadInputError("no such file", file=path) from None
    if path.is_dir():
        raise BadInputError("is a folder, not an audio file", file=path)
    if size == 0:
        raise BadInputError("the file is empty (0 bytes)", file=path)


def _reason(exc: Exception) -> str:
    text = str(exc).split(":", 1)[-1].strip() if ":" in str(exc) else str(exc)
    return text.splitlines()[0].rstrip(".") if text else type(exc).__name__
