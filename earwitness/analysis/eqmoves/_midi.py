"""A minimal Standard MIDI File writer (SMF format 1), enough for generated songs.

Follows the MIDI 1.0 "Standard MIDI Files" specification: an MThd chunk, then one MTrk
chunk per track of delta-timed events (variable-length quantities), each track ending
with the End of Track meta event.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

__all__ = ["MidiTrack", "midi_bytes"]


def _vlq(value: int) -> bytes:
    """Variable-length quantity: 7 bits a byte, most significant first, high bit = more."""
    out = [value & 0x7F]
    value >>= 7
    while value:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    return bytes(reversed(out))


@dataclass
class MidiTrack:
    """Events at absolute tick times; notes are added as on/off pairs."""

    channel: int
    events: list[tuple[int, int, bytes]] = field(default_factory=list)  # (tick, order, data)

    def program(self, program: int) -> None:
        self.events.append((0, 0, bytes([0xC0 | self.channel, program & 0x7F])))

    def control(self, tick: int, number: int, value: int) -> None:
        self.events.append((tick, 1, bytes([0xB0 | self.channel, number, value & 0x7F])))

    def note(self, start: int, length: int, pitch: int, velocity: int) -> None:
        pitch = max(0, min(127, pitch))
        velocity = max(1, min(127, velocity))
        self.events.append((start, 3, bytes([0x90 | self.channel, pitch, velocity])))
        self.events.append((start + max(1, length), 2, bytes([0x80 | self.channel, pitch, 0])))

    def chunk(self) -> bytes:
        body = bytearray()
        now = 0
        for tick, _, data in sorted(self.events, key=lambda e: (e[0], e[1])):
            body += _vlq(tick - now) + data
            now = tick
        body += b"\x00\xff\x2f\x00"
        return b"MTrk" + struct.pack(">I", len(body)) + bytes(body)


def midi_bytes(tracks: list[MidiTrack], ticks_per_beat: int, tempo_bpm: float) -> bytes:
    """A format-1 file: a tempo track, then ``tracks``."""
    microseconds = round(60_000_000 / tempo_bpm)
    tempo = b"\x00\xff\x51\x03" + microseconds.to_bytes(3, "big")
    meter = b"\x00\xff\x58\x04\x04\x02\x18\x08"  # 4/4
    conductor = tempo + meter + b"\x00\xff\x2f\x00"
    header = b"MThd" + struct.pack(">IHHH", 6, 1, len(tracks) + 1, ticks_per_beat)
    first = b"MTrk" + struct.pack(">I", len(conductor)) + conductor
    return header + first + b"".join(t.chunk() for t in tracks)
