"""Reading audio files: WAV, FLAC and AIFF through libsndfile (soundfile); MP3,
AAC/M4A, Ogg Opus and Vorbis through FFmpeg's decoders (PyAV, ``_decode``).

Every file is decoded to 32-bit float at its own sample rate; a file that is empty,
truncated, corrupt, holds NaN or Inf, or that neither library can read raises one
:class:`~earwitness.errors.BadInputError` naming the file.

Each channel's speaker comes from the container (``_layout``: WAVE channel mask, FLAC
order; FFmpeg's layout for the compressed formats), and its BS.1770 weight from the
speaker.
"""

from __future__ import annotations

import hashlib
import math
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

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
    "decoded_to_disk",
    "open_frames",
    "read_audio",
    "sha256_file",
]

SUPPORTED_FORMATS = ("WAV", "WAVEX", "RF64", "W64", "FLAC", "AIFF", "OGG", "MP3", "MP4", "AAC")
_SOUNDFILE_FORMATS = ("WAV", "WAVEX", "RF64", "W64", "FLAC", "AIFF")  # faster than FFmpeg
_GROW_FRAMES = 1 << 20

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
    decoder: str = "soundfile"  # or "ffmpeg"
    length_exact: bool = True  # False: ``frames`` is FFmpeg's bit-rate estimate (MP3)
    warnings: tuple[str, ...] = ()
    raw: Path | None = None  # the decoded float32 samples, when spilled to disk

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
    if not _lossless_container(path):  # libsndfile's mpg123 would print on stderr
        return _ffmpeg_info(path)
    try:
        info = sf.info(str(path))
    except sf.SoundFileError:
        return _ffmpeg_info(path)
    if info.format not in _SOUNDFILE_FORMATS:
        return _ffmpeg_info(path)
    layout = read_layout(path, info.format, info.subtype, info.channels)
    return AudioInfo(
        path, info.format, info.subtype, info.samplerate, info.channels, info.frames, layout
    )


def _lossless_container(path: Path) -> bool:
    """WAV, RF64, W64, AIFF or FLAC, by their first bytes."""
    with path.open("rb") as handle:
        head = handle.read(12)
    return head[:4] in (b"RIFF", b"RIFX", b"RF64", b"BW64", b"riff", b"fLaC") or (
        head[:4] == b"FORM" and head[8:12] in (b"AIFF", b"AIFC")
    )


def _ffmpeg_info(path: Path) -> AudioInfo:
    from earwitness.analysis.metrics._decode import probe

    stated = probe(path)
    return AudioInfo(
        path, stated.format, stated.codec, stated.sample_rate, stated.channels, stated.frames,
        stated.layout, "ffmpeg", stated.exact,
    )  # fmt: skip


def _stated(info: AudioInfo) -> Any:
    from earwitness.analysis.metrics._decode import Probe

    return Probe(info.format, info.subtype, info.sample_rate, info.channels, info.frames,
                 info.length_exact, info.channel_layout)  # fmt: skip


def _ffmpeg_blocks(info: AudioInfo) -> Iterator[np.ndarray]:
    from earwitness.analysis.metrics._decode import decode_blocks

    return decode_blocks(info.path, _stated(info))


def _decoded_info(info: AudioInfo, frames: int, raw: Path | None = None) -> AudioInfo:
    from earwitness.analysis.metrics._decode import length_warning

    warning = length_warning(_stated(info), frames)
    warnings = (*info.warnings, warning) if warning else info.warnings
    return replace(info, frames=frames, warnings=warnings, raw=raw)


def _read_ffmpeg(info: AudioInfo) -> AudioData:
    samples = np.empty((max(info.frames, 1) + _GROW_FRAMES, info.channels), dtype=np.float32)
    filled = 0
    for block in _ffmpeg_blocks(info):
        if filled + len(block) > len(samples):
            grown = np.empty((2 * len(samples) + len(block), info.channels), dtype=np.float32)
            grown[:filled] = samples[:filled]
            samples = grown
        samples[filled : filled + len(block)] = block
        filled += len(block)
    samples = samples[:filled]
    check_block(samples, info)
    return AudioData(samples, info.sample_rate, _decoded_info(info, filled))


@contextmanager
def decoded_to_disk(info: AudioInfo) -> Iterator[AudioInfo]:
    """Decode a compressed file once into a temporary float32 file (memory stays at one
    decoded frame), for the block-by-block measurement to read and re-read exactly."""
    if info.decoder != "ffmpeg":
        yield info
        return
    with tempfile.TemporaryDirectory(prefix="earwitness-") as folder:
        raw = Path(folder) / "decoded.f32"
        frames = 0
        with raw.open("wb") as out:
            for block in _ffmpeg_blocks(info):
                check_block(block, info)
                block.astype("<f4", copy=False).tofile(out)
                frames += len(block)
        yield _decoded_info(info, frames, raw)


def open_frames(info: AudioInfo) -> sf.SoundFile:
    """A soundfile handle on the file, or on its decoded samples (``decoded_to_disk``)."""
    if info.raw is None:
        return sf.SoundFile(str(info.path))
    return sf.SoundFile(
        str(info.raw), samplerate=info.sample_rate, channels=info.channels,
        subtype="FLOAT", endian="LITTLE", format="RAW",
    )  # fmt: skip


def read_audio(path: str | Path) -> AudioData:
    """Decode a whole file to float32, checking it is complete and finite."""
    info = audio_info(path)
    if info.decoder == "ffmpeg":
        return _read_ffmpeg(info)
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
    check_block(samples, info)
    return AudioData(np.ascontiguousarray(samples), info.sample_rate, info)


def check_block(block: np.ndarray, info: AudioInfo) -> None:
    """Refuse a decoded block holding NaN or Inf (they propagate through the sum; +Inf
    and -Inf make NaN, which numpy would warn about)."""
    with np.errstate(invalid="ignore", over="ignore"):
        total = float(np.sum(block, dtype=np.float64))
    if not math.isfinite(total):
        raise BadInputError("the audio holds NaN or infinite sample values", file=info.path)


def check_complete(handle: sf.SoundFile, frames_read: int, info: AudioInfo) -> None:
    """Refuse a file that held fewer frames than its header promised, or none."""
    truncated = info.raw is None and any(mark in handle.extra_info for mark in _TRUNCATION_MARKS)
    if truncated or frames_read < info.frames:
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
