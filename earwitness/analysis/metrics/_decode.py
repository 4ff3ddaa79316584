"""Decoding compressed audio (MP3, AAC/M4A, Ogg Opus and Vorbis) with FFmpeg via PyAV.

PyAV's wheels bundle FFmpeg's libraries, so the decoders (and their handling of encoder
delay: LAME's header, MP4 edit lists, Opus pre-skip) are FFmpeg's own: the samples equal
``ffmpeg -i FILE -f f32le -`` (``tests/analysis/test_decode.py``). FFmpeg's log stays
off (PyAV's default), so nothing reaches stderr; its last error message is read from
the exception instead.

A file is never measured in part without a word: decoding stops with one line at the
first frame the decoder rejects ("corrupt frame at 12.3 s"); a stream that ends more
than ``SHORTFALL_FRAMES`` before the length its container states is refused as
truncated; an MP3 without a Xing, Info or VBRI header has no stated length (only an
estimate from the first frames' bit rate), so it is decoded to its end and a warning
says so when the estimate was wrong.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

from earwitness.analysis.metrics._layout import ChannelLayout, default_layout
from earwitness.errors import BadInputError

__all__ = ["SHORTFALL_FRAMES", "Probe", "decode_blocks", "length_warning", "probe"]

SHORTFALL_FRAMES = 4096  # more than Opus pre-skip (312) or an MP3/AAC frame (1152/1024)
_FORMATS = {"mp3": "MP3", "ogg": "OGG", "mov,mp4,m4a,3gp,3g2,mj2": "MP4", "aac": "AAC"}
_BLOCK_FRAMES = 1 << 16
_INT_SCALE = {"s16": 2.0**15, "s16p": 2.0**15, "s32": 2.0**31, "s32p": 2.0**31}


@dataclass(frozen=True)
class Probe:
    """What the container says: format, codec, rate, channels, layout and length."""

    format: str
    codec: str
    sample_rate: int
    channels: int
    frames: int  # stated length in frames (an estimate when ``exact`` is False)
    exact: bool
    layout: ChannelLayout


def probe(path: Path) -> Probe:
    """Open ``path`` with FFmpeg's demuxers, or fail with one line saying why."""
    with _captured(), _open(path) as container:
        stream = _audio_stream(container, path)
        return _probe_stream(container, stream, path)


@contextmanager
def _captured() -> Iterator[list[Any]]:
    """FFmpeg's messages (errors only) into a list, never onto stderr; the level must be
    set for exceptions to carry FFmpeg's last message ("Header missing")."""
    import av.logging

    previous = av.logging.get_level()
    av.logging.set_level(av.logging.ERROR)
    try:
        with av.logging.Capture(True) as logs:
            yield logs
    finally:
        av.logging.set_level(previous)


def decode_blocks(path: Path, stated: Probe) -> Iterator[np.ndarray]:
    """Float32 blocks of shape (frames, channels), in order, for the whole file; each
    block is valid until the next is asked for (one buffer, filled frame by frame).

    Raises BadInputError at a frame the decoder rejects, or at the end when the stream
    fell short of the length the container states.
    """
    import av

    start: float | None = None
    buffer = np.empty((_BLOCK_FRAMES, stated.channels), dtype=np.float32)
    fill = 0
    progress = [0]  # frames decoded so far, read by _packets for its message
    with _captured() as logs, _open(path) as container:
        stream = _audio_stream(container, path)
        context = stream.codec_context
        for packet in _packets(container, stream, stated, path, progress):
            try:
                frames = context.decode(packet)
            except av.error.FFmpegError as exc:
                message = _corrupt(packet, progress[0], stated, exc, path.stat().st_size)
                raise BadInputError(message, file=path) from None
            for frame in frames:
                start = _check_gap(frame, start, progress[0], stated, logs, path)
                if fill + frame.samples > len(buffer):
                    yield buffer[:fill]
                    fill = 0
                    if frame.samples > len(buffer):
                        buffer = np.empty((frame.samples, stated.channels), dtype=np.float32)
                _fill(buffer[fill : fill + frame.samples], frame)
                fill += frame.samples
                progress[0] += frame.samples
    if fill:
        yield buffer[:fill]
    decoded = progress[0]
    if decoded == 0:
        raise BadInputError("the file holds no audio samples", file=path)
    if stated.exact and decoded < stated.frames - SHORTFALL_FRAMES:
        rate = stated.sample_rate
        raise BadInputError(
            f"truncated or corrupt: decoded {decoded / rate:.1f} s of audio but the "
            f"{stated.format} header states {stated.frames / rate:.1f} s{_logged(logs)}",
            file=path,
        )


def _packets(
    container: Any, stream: Any, stated: Probe, path: Path, progress: list[int]
) -> Iterator[Any]:
    """The stream's packets; a container the demuxer cannot parse further is refused."""
    import av

    packets = container.demux(stream)
    while True:
        try:
            packet = next(packets)
        except StopIteration:
            return
        except av.error.FFmpegError as exc:
            at = progress[0] / stated.sample_rate
            raise BadInputError(
                f"corrupt data after {at:.1f} s ({_ffmpeg_reason(exc)})", file=path
            ) from None
        yield packet


def _check_gap(
    frame: Any, start: float | None, decoded: int, stated: Probe, logs: list[Any], path: Path
) -> float | None:
    """Refuse a frame whose timestamp jumps past the audio decoded so far (a lost page)."""
    if frame.time is None:
        return start
    if start is None:
        return float(frame.time)
    at = decoded / stated.sample_rate
    missing = float(frame.time) - start - at
    if missing > SHORTFALL_FRAMES / stated.sample_rate:
        raise BadInputError(
            f"corrupt data at {at:.1f} s: {missing:.1f} s of audio missing{_logged(logs)}",
            file=path,
        )
    return start


def _logged(logs: list[Any]) -> str:
    """FFmpeg's first captured error, e.g. " (ogg: CRC mismatch)"."""
    for _level, source, message in logs:
        text = str(message).strip().splitlines()[0].rstrip("!.") if message else ""
        if text:
            return f" ({source}: {text})" if source else f" ({text})"
    return ""


def length_warning(stated: Probe, decoded: int) -> str | None:
    """A warning when an MP3 without a length header was estimated wrong (VBR)."""
    if stated.exact or abs(decoded - stated.frames) <= SHORTFALL_FRAMES:
        return None
    rate = stated.sample_rate
    return (
        f"MP3 without a Xing/LAME or VBRI header (variable bit rate?): its length is "
        f"not stated; decoded to the end, {decoded / rate:.1f} s (the bit-rate estimate "
        f"was {stated.frames / rate:.1f} s); encoder delay not removed"
    )


def _open(path: Path) -> Any:
    import av

    try:
        return av.open(str(path), metadata_errors="ignore")
    except av.error.FFmpegError as exc:
        raise BadInputError(
            f"unsupported or unreadable audio file ({_ffmpeg_reason(exc)})", file=path
        ) from None


def _audio_stream(container: Any, path: Path) -> Any:
    if not container.streams.audio:
        raise BadInputError("the file holds no audio stream", file=path)
    return container.streams.audio[0]


def _probe_stream(container: Any, stream: Any, path: Path) -> Probe:
    kind = _FORMATS.get(container.format.name, container.format.name.upper())
    rate, channels = int(stream.sample_rate or 0), int(stream.channels or 0)
    if rate <= 0 or channels <= 0:
        raise BadInputError("no sample rate or channel count in the header", file=path)
    if stream.duration is not None:
        seconds = float(stream.duration * stream.time_base)
    else:
        seconds = (container.duration or 0) / 1_000_000
    exact = kind != "MP3" or _has_length_header(path)
    if kind == "OGG" and not _ogg_has_end(path):
        raise BadInputError(
            "truncated: the Ogg stream has no end-of-stream page (the file was cut short)",
            file=path,
        )
    layout = _layout(stream, channels)
    return Probe(kind, stream.codec_context.name.upper(), rate, channels,
                 round(seconds * rate), exact, layout)  # fmt: skip


def _layout(stream: Any, channels: int) -> ChannelLayout:
    """FFmpeg's layout (its decoders output its native order, e.g. Vorbis 5.1 reordered
    to FL FR FC LFE BL BR); an unspecified one is ambiguous, as for WAVE without a mask."""
    names = tuple(str(c.name) for c in stream.layout.channels)
    if channels <= 2:
        return default_layout(channels)
    if len(names) == channels and "NONE" not in names and "USR" not in names:
        return ChannelLayout(names, f"{stream.codec_context.name} layout (FFmpeg)")
    return default_layout(channels, f"{stream.codec_context.name} stream", warn=True)


def _fill(out: np.ndarray, frame: Any) -> None:
    """Copy a decoded frame into ``out`` (frames, channels): float planes directly."""
    if frame.format.name == "fltp" and len(frame.planes) == out.shape[1]:
        for channel, plane in enumerate(frame.planes):
            out[:, channel] = np.frombuffer(plane, dtype=np.float32, count=len(out))
    else:
        out[:] = _samples(frame, out.shape[1])


def _samples(frame: Any, channels: int) -> np.ndarray:
    array = frame.to_ndarray()
    name = frame.format.name
    block = array.T if frame.format.is_planar else array.reshape(-1, channels)
    if name in _INT_SCALE:
        return (block / _INT_SCALE[name]).astype(np.float32)
    if name in ("u8", "u8p"):
        return ((block.astype(np.float32) - 128.0) / 128.0).astype(np.float32)
    return np.ascontiguousarray(block, dtype=np.float32)


def _corrupt(packet: Any, decoded: int, stated: Probe, exc: Exception, size: int) -> str:
    if packet.pts is not None and packet.time_base is not None:
        seconds = float(packet.pts * packet.time_base)
    else:
        seconds = decoded / stated.sample_rate
    reason = _ffmpeg_reason(exc)
    if packet.pos is not None and packet.pos >= 0 and packet.pos + packet.size >= size:
        return f"truncated: the file ends inside the frame at {seconds:.1f} s ({reason})"
    return f"corrupt frame at {seconds:.1f} s ({reason})"


def _ffmpeg_reason(exc: Exception) -> str:
    """FFmpeg's own last message ("[mp3float] Header missing") or the error's text."""
    text = str(exc)
    if "last error log:" in text:
        text = text.split("last error log:", 1)[1].strip()
        if text.startswith("[") and "]" in text:
            source, _, message = text[1:].partition("]")
            text = f"{source}: {message.strip()}"
    elif "]" in text:
        text = text.split("]", 1)[1].strip()
    return text.splitlines()[0].rstrip(".") if text else type(exc).__name__


def _has_length_header(path: Path) -> bool:
    """Whether the first MPEG audio frame carries a Xing, Info or VBRI header."""
    with path.open("rb") as handle:
        start = _skip_id3v2(handle)
        handle.seek(start)
        data = handle.read(1 << 16)
    for offset in range(len(data) - 4):
        if data[offset] == 0xFF and data[offset + 1] & 0xE0 == 0xE0 and _valid(data, offset):
            frame = data[offset : offset + 200]
            return any(tag in frame for tag in (b"Xing", b"Info", b"VBRI"))
    return False


def _valid(data: bytes, offset: int) -> bool:
    version, layer = data[offset + 1] >> 3 & 3, data[offset + 1] >> 1 & 3
    bitrate, rate = data[offset + 2] >> 4, data[offset + 2] >> 2 & 3
    return version != 1 and layer != 0 and bitrate not in (0, 15) and rate != 3


def _skip_id3v2(handle: BinaryIO) -> int:
    header = handle.read(10)
    if len(header) == 10 and header[:3] == b"ID3":
        size = 0
        for byte in header[6:10]:
            size = size << 7 | byte & 0x7F
        return 10 + size + (10 if header[5] & 0x10 else 0)
    return 0


def _ogg_has_end(path: Path) -> bool:
    """Whether the last Ogg page sets the end-of-stream flag (RFC 3533 §6)."""
    with path.open("rb") as handle:
        handle.seek(0, 2)
        size = handle.tell()
        handle.seek(max(0, size - (1 << 16)))
        tail = handle.read()
    page = tail[tail.rfind(b"OggS") :] if b"OggS" in tail else b""
    return len(page) > 5 and page[4] == 0 and bool(page[5] & 0x04)
