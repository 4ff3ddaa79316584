"""Channel layouts read from the container, and BS.1770 channel weights per layout.

Where each format says what its channels are:

* WAV / RF64 with WAVE_FORMAT_EXTENSIBLE: ``dwChannelMask``, speakers in the order of
  their mask bits (Microsoft, "Multiple channel audio data and WAVE files", 2017).
  Without a mask (plain PCM, or a zero mask) three or more channels are ambiguous:
  the default mask order is assumed and a warning given.
* FLAC: the ``WAVEFORMATEXTENSIBLE_CHANNEL_MASK`` Vorbis comment if present, else the
  default orders the FLAC format defines for 1-8 channels (RFC 9639 §9.1.3).
* Ogg Vorbis: the Vorbis I order for 1-8 channels (Vorbis I specification §4.3.9),
  e.g. 5.1 is L, C, R, Ls, Rs, LFE. Ogg Opus: mapping family 0 (mono, stereo) and
  1 (the Vorbis order, RFC 7845 §5.1.1.2); family 255 and others are ambiguous.
* AIFF / AIFF-C: 1-3 channels per the AIFF 1.3 specification (L, R, C); its 4- and
  6-channel orders are not unique (quad or L, C, R, S; L, Lc, C, R, Rc, S) and
  5, 7 or 8 are undefined: the WAVE default order is assumed and a warning given.
* MP3: mono or stereo only.

Weights follow ITU-R BS.1770-4/5, Tables 3 and 4: 1.41 for loudspeakers at an azimuth
of 60-120 degrees and an elevation under 30 degrees, 1.0 for the others, LFE excluded.
The surrounds of 4.0 (quad), 5.0 and 5.1 stand at about 110 degrees (ITU-R BS.775) in
whichever mask bits a file uses (back or side), so they weigh 1.41; when a layout has
both side and back pairs (7.1, BS.2051 System I) the sides are at 90 and the backs at
135-150 degrees, so only the sides weigh 1.41. (ffmpeg's ebur128 weighs every back
and side channel 1.41, so it reads the back pair of 7.1 1.5 dB hotter.)
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

__all__ = [
    "WAVE_SPEAKERS",
    "ChannelLayout",
    "default_layout",
    "layout_weights",
    "read_layout",
]

# dwChannelMask bits, in order (ksmedia.h SPEAKER_*).
WAVE_SPEAKERS = (
    "FL", "FR", "FC", "LFE", "BL", "BR", "FLC", "FRC", "BC", "SL", "SR",
    "TC", "TFL", "TFC", "TFR", "TBL", "TBC", "TBR",
)  # fmt: skip
_SURROUND = 1.41

# RFC 9639 §9.1.3: FLAC's channel orders when no mask is given (also WAVE's defaults).
_FLAC_ORDERS: dict[int, tuple[str, ...]] = {
    1: ("FC",),
    2: ("FL", "FR"),
    3: ("FL", "FR", "FC"),
    4: ("FL", "FR", "BL", "BR"),
    5: ("FL", "FR", "FC", "BL", "BR"),
    6: ("FL", "FR", "FC", "LFE", "BL", "BR"),
    7: ("FL", "FR", "FC", "LFE", "BC", "SL", "SR"),
    8: ("FL", "FR", "FC", "LFE", "BL", "BR", "SL", "SR"),
}
# Vorbis I §4.3.9 (and Opus mapping family 1, RFC 7845 §5.1.1.2).
_VORBIS_ORDERS: dict[int, tuple[str, ...]] = {
    1: ("FC",),
    2: ("FL", "FR"),
    3: ("FL", "FC", "FR"),
    4: ("FL", "FR", "BL", "BR"),
    5: ("FL", "FC", "FR", "BL", "BR"),
    6: ("FL", "FC", "FR", "BL", "BR", "LFE"),
    7: ("FL", "FC", "FR", "SL", "SR", "BC", "LFE"),
    8: ("FL", "FC", "FR", "SL", "SR", "BL", "BR", "LFE"),
}
_NAMES = {
    ("FC",): "mono",
    ("FL", "FR"): "stereo",
    ("FL", "FR", "FC"): "3.0",
    ("FL", "FR", "BL", "BR"): "quad",
    ("FL", "FR", "SL", "SR"): "quad(side)",
    ("FL", "FR", "FC", "BC"): "4.0",
    ("FL", "FR", "FC", "BL", "BR"): "5.0",
    ("FL", "FR", "FC", "SL", "SR"): "5.0(side)",
    ("FL", "FR", "FC", "LFE", "BL", "BR"): "5.1",
    ("FL", "FR", "FC", "LFE", "SL", "SR"): "5.1(side)",
    ("FL", "FR", "FC", "LFE", "BC", "SL", "SR"): "6.1",
    ("FL", "FR", "FC", "LFE", "BL", "BR", "SL", "SR"): "7.1",
}


@dataclass(frozen=True)
class ChannelLayout:
    """The speaker of each channel, in file order, and how sure we are of it."""

    speakers: tuple[str, ...]
    source: str
    warning: str | None = None

    @property
    def name(self) -> str:
        canonical = tuple(sorted(self.speakers, key=_rank))
        return _NAMES.get(canonical, " ".join(self.speakers))

    def index(self, speaker: str) -> int | None:
        return self.speakers.index(speaker) if speaker in self.speakers else None

    @property
    def front_pair(self) -> tuple[int, int] | None:
        """Indices of the front left and right channels (stereo measures), if any."""
        left, right = self.index("FL"), self.index("FR")
        return (left, right) if left is not None and right is not None else None


def _rank(speaker: str) -> int:
    return WAVE_SPEAKERS.index(speaker) if speaker in WAVE_SPEAKERS else len(WAVE_SPEAKERS)


def layout_weights(speakers: tuple[str, ...]) -> tuple[float, ...]:
    """BS.1770-4 Table 3/4 weight of each channel (see the module docstring)."""
    has_sides = "SL" in speakers or "SR" in speakers
    weights = []
    for speaker in speakers:
        if speaker == "LFE":
            weights.append(0.0)
        elif speaker in ("SL", "SR") or (speaker in ("BL", "BR") and not has_sides):
            weights.append(_SURROUND)
        else:  # front, centre, back centre, top (elevation >= 30 degrees), unknown
            weights.append(1.0)
    return tuple(weights)


def default_layout(
    channels: int, source: str = "channel count", warn: bool = False
) -> ChannelLayout:
    """The WAVE/FLAC default order for ``channels``; a warning when it is only a guess."""
    if channels in _FLAC_ORDERS:
        speakers = _FLAC_ORDERS[channels]
    else:
        speakers = tuple(f"UNKNOWN{i + 1}" for i in range(channels))
    warning = None
    if warn and channels > 2:
        warning = (
            f"{source}: the channel layout is ambiguous; assumed "
            f"{' '.join(speakers)} (WAVE default order)"
        )
    return ChannelLayout(speakers, "default" if not warn else "assumed", warning)


def _from_mask(mask: int, channels: int, source: str) -> ChannelLayout | None:
    speakers = tuple(name for bit, name in enumerate(WAVE_SPEAKERS) if mask >> bit & 1)
    if mask and len(speakers) == channels:
        return ChannelLayout(speakers, source)
    if mask and len(speakers) > channels:  # more bits than channels: the first ones apply
        return ChannelLayout(
            speakers[:channels],
            source,
            f"{source} names {len(speakers)} speakers for {channels} channels; used the first",
        )
    return None


def read_layout(path: Path, container: str, subtype: str, channels: int) -> ChannelLayout:
    """The layout ``path`` declares, or the documented default, with a warning if unsure."""
    if channels <= 2:
        return default_layout(channels)
    try:
        with path.open("rb") as handle:
            if container in ("WAV", "WAVEX", "RF64"):
                return _wave_layout(handle, channels)
            if container == "FLAC":
                return _flac_layout(handle, channels)
            if container == "OGG":
                return _ogg_layout(handle, subtype, channels)
            if container == "AIFF" and channels == 3:
                return ChannelLayout(("FL", "FR", "FC"), "AIFF order")
    except (OSError, struct.error, ValueError):
        pass
    return default_layout(channels, f"{container} file", warn=True)


def _wave_layout(handle: BinaryIO, channels: int) -> ChannelLayout:
    handle.seek(12)
    while True:
        header = handle.read(8)
        if len(header) < 8:
            break
        chunk_id, size = header[:4], struct.unpack("<I", header[4:])[0]
        if chunk_id == b"fmt ":
            fmt = handle.read(size)
            tag = struct.unpack("<H", fmt[:2])[0]
            if tag == 0xFFFE and len(fmt) >= 24:
                mask = struct.unpack("<I", fmt[20:24])[0]
                layout = _from_mask(mask, channels, "WAVE_FORMAT_EXTENSIBLE channel mask")
                if layout is not None:
                    return layout
                return default_layout(channels, "WAV file with a zero channel mask", warn=True)
            return default_layout(channels, "WAV file without a channel mask", warn=True)
        handle.seek(size + (size & 1), 1)
    return default_layout(channels, "WAV file", warn=True)


def _flac_layout(handle: BinaryIO, channels: int) -> ChannelLayout:
    if handle.read(4) != b"fLaC":
        return default_layout(channels, "FLAC file", warn=True)
    last = False
    while not last:
        header = handle.read(4)
        if len(header) < 4:
            break
        last, kind = bool(header[0] & 0x80), header[0] & 0x7F
        size = int.from_bytes(header[1:], "big")
        if kind != 4:
            handle.seek(size, 1)
            continue
        mask = _comment_mask(handle.read(size))
        if mask is not None:
            layout = _from_mask(mask, channels, "WAVEFORMATEXTENSIBLE_CHANNEL_MASK")
            if layout is not None:
                return layout
        break
    if channels in _FLAC_ORDERS:
        return ChannelLayout(_FLAC_ORDERS[channels], "FLAC default order")
    return default_layout(channels, "FLAC file", warn=True)


def _comment_mask(block: bytes) -> int | None:
    """WAVEFORMATEXTENSIBLE_CHANNEL_MASK from a Vorbis comment block, if present."""
    vendor = struct.unpack("<I", block[:4])[0]
    offset = 4 + vendor
    count = struct.unpack("<I", block[offset : offset + 4])[0]
    offset += 4
    for _ in range(count):
        length = struct.unpack("<I", block[offset : offset + 4])[0]
        text = block[offset + 4 : offset + 4 + length].decode("utf-8", "replace")
        offset += 4 + length
        name, _, value = text.partition("=")
        if name.upper() == "WAVEFORMATEXTENSIBLE_CHANNEL_MASK":
            return int(value.strip(), 0)
    return None


def _ogg_layout(handle: BinaryIO, subtype: str, channels: int) -> ChannelLayout:
    page = handle.read(4096)
    if page[:4] != b"OggS":
        return default_layout(channels, "Ogg file", warn=True)
    segments = page[26]
    packet = page[27 + segments :]
    if packet.startswith(b"\x01vorbis"):
        if channels in _VORBIS_ORDERS:
            return ChannelLayout(_VORBIS_ORDERS[channels], "Vorbis channel order")
        return default_layout(channels, "Ogg Vorbis with more than 8 channels", warn=True)
    if packet.startswith(b"OpusHead"):
        family = packet[18]
        if family == 1 and channels in _VORBIS_ORDERS:
            return ChannelLayout(_VORBIS_ORDERS[channels], "Opus mapping family 1")
        return default_layout(channels, f"Ogg Opus with mapping family {family}", warn=True)
    if packet.startswith(b"\x7fFLAC") and channels in _FLAC_ORDERS:  # Ogg FLAC: defaults
        return ChannelLayout(_FLAC_ORDERS[channels], "FLAC default order")
    return default_layout(channels, f"Ogg {subtype}", warn=True)
