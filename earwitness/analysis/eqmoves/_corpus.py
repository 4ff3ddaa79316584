"""An open rock corpus: seeded multi-instrument MIDI songs rendered with FluidSynth.

Each song draws its tempo (100-160 BPM, rock tempos), key, chord progression and
instruments (General MIDI: drums, bass, one or two guitars, keys, a lead) from its own
seed, so the corpus is reproducible from (seed, index) alone. Rendering uses the
``fluidsynth`` command line and a General MIDI soundfont (Debian's fluid-soundfont-gm,
FluidR3_GM.sf2, MIT licence).
"""

from __future__ import annotations

import math
import shutil
import subprocess
from pathlib import Path

import numpy as np

from earwitness.analysis.eqmoves._midi import MidiTrack, midi_bytes
from earwitness.errors import EarwitnessError

__all__ = ["DEFAULT_SOUNDFONT", "render_midi", "rock_song_midi"]

DEFAULT_SOUNDFONT = Path("/usr/share/sounds/sf2/FluidR3_GM.sf2")
_TPB = 480
_PROGRESSIONS = (  # scale degrees (semitones above the key) of one chord per bar
    (0, 7, 9, 5),
    (0, 5, 7, 5),
    (9, 5, 0, 7),
    (0, 10, 5, 0),
    (0, 3, 10, 5),
    (0, 5, 10, 7),
)
_BASS = (33, 34, 35, 38)
_GUITAR = (29, 30, 27, 25, 28)
_KEYS = (0, 16, 18, 4, 48, 89, 2)
_LEAD = (30, 29, 81, 56, 65, 73, 80, 66)
_PENTATONIC = (0, 3, 5, 7, 10)


def _drums(rng: np.random.Generator, bars: int, volume: int) -> MidiTrack:
    track = MidiTrack(9)
    track.control(0, 7, volume)
    eighth = _TPB // 2
    ride = rng.random() < 0.3
    for bar in range(bars):
        start = bar * 4 * _TPB
        if bar % 8 == 0:
            track.note(start, eighth, 49, 110)
        for step in range(8):
            tick = start + step * eighth
            track.note(tick, eighth // 2, 51 if ride else 42, int(rng.integers(60, 95)))
            if step in (0, 4) or (step == 5 and rng.random() < 0.4):
                track.note(tick, eighth // 2, 36, int(rng.integers(95, 120)))
            if step in (2, 6):
                track.note(tick, eighth // 2, 38, int(rng.integers(95, 125)))
        if bar % 8 == 7:
            for step, tom in enumerate((50, 48, 45, 41)):
                track.note(start + 3 * _TPB + step * (_TPB // 4), _TPB // 4, tom, 100)
    return track


def _bass(rng: np.random.Generator, chords: list[int], key: int, volume: int) -> MidiTrack:
    track = MidiTrack(0)
    track.program(int(rng.choice(_BASS)))
    track.control(0, 7, volume)
    pattern = rng.choice(["eighths", "quarters", "octaves"])
    for bar, chord in enumerate(chords):
        root = 28 + (key + chord) % 12
        for step in range(8 if pattern != "quarters" else 4):
            length = _TPB // 2 if pattern != "quarters" else _TPB
            pitch = root + 12 if pattern == "octaves" and step % 2 else root
            track.note(
                bar * 4 * _TPB + step * length, length - 20, pitch, int(rng.integers(85, 115))
            )
    return track


def _guitar(
    rng: np.random.Generator, chords: list[int], key: int, channel: int, volume: int, pan: int
) -> MidiTrack:
    track = MidiTrack(channel)
    track.program(int(rng.choice(_GUITAR)))
    track.control(0, 7, volume)
    track.control(0, 10, pan)
    sustained = rng.random() < 0.35
    for bar, chord in enumerate(chords):
        root = 40 + (key + chord) % 12
        voicing = (root, root + 7, root + 12)
        hits = [(0, 4 * _TPB)] if sustained else [(s * _TPB // 2, _TPB // 2 - 30) for s in range(8)]
        for offset, length in hits:
            velocity = int(rng.integers(80, 115))
            for pitch in voicing:
                track.note(bar * 4 * _TPB + offset, length, pitch, velocity)
    return track


def _keys(rng: np.random.Generator, chords: list[int], key: int, volume: int) -> MidiTrack:
    track = MidiTrack(2)
    track.program(int(rng.choice(_KEYS)))
    track.control(0, 7, volume)
    track.control(0, 10, int(rng.integers(30, 98)))
    minor = rng.random() < 0.4
    for bar, chord in enumerate(chords):
        root = 60 + (key + chord) % 12
        third = 3 if minor and chord in (0, 9) else 4
        for beat in (0, 2):
            for pitch in (root, root + third, root + 7):
                track.note(bar * 4 * _TPB + beat * _TPB, 2 * _TPB - 40, pitch, 70)
    return track


def _lead(rng: np.random.Generator, bars: int, key: int, volume: int) -> MidiTrack:
    track = MidiTrack(3)
    track.program(int(rng.choice(_LEAD)))
    track.control(0, 7, volume)
    degree = 5
    tick, end = 2 * 4 * _TPB, bars * 4 * _TPB
    while tick < end:
        length = int(rng.choice([_TPB // 2, _TPB, _TPB, 2 * _TPB]))
        degree = int(np.clip(degree + rng.integers(-2, 3), 0, 11))
        octave, step = divmod(degree, 5)
        if rng.random() > 0.15:
            pitch = 64 + key % 12 + 12 * octave + _PENTATONIC[step]
            track.note(tick, length - 20, pitch, int(rng.integers(80, 120)))
        tick += length
    return track


def rock_song_midi(seed: int, duration_s: float = 64.0) -> bytes:
    """A reproducible rock song of at least ``duration_s`` seconds as MIDI bytes."""
    rng = np.random.default_rng(seed)
    tempo = float(rng.integers(100, 161))
    bars = math.ceil(duration_s / (4 * 60.0 / tempo)) + 1
    key = int(rng.integers(0, 12))
    verse, chorus = (_PROGRESSIONS[i] for i in rng.choice(len(_PROGRESSIONS), 2, replace=False))
    chords = [(verse if (bar // 8) % 2 == 0 else chorus)[bar % 4] for bar in range(bars)]

    def level() -> int:
        return int(rng.integers(70, 120))

    tracks = [
        _drums(rng, bars, level()),
        _bass(rng, chords, key, level()),
        _guitar(rng, chords, key, 1, level(), int(rng.integers(10, 50))),
    ]
    if rng.random() < 0.6:
        tracks.append(_guitar(rng, chords, key, 4, level(), int(rng.integers(78, 118))))
    if rng.random() < 0.8:
        tracks.append(_keys(rng, chords, key, level()))
    tracks.append(_lead(rng, bars, key, level()))
    return midi_bytes(tracks, _TPB, tempo)


def render_midi(
    midi_path: Path, wav_path: Path, soundfont: Path = DEFAULT_SOUNDFONT, sample_rate: int = 44100
) -> Path:
    """Render ``midi_path`` to a WAV file with the fluidsynth command line (fast render)."""
    executable = shutil.which("fluidsynth")
    if executable is None:
        raise EarwitnessError("fluidsynth is not installed (Debian: apt-get install fluidsynth)")
    if not soundfont.is_file():
        raise EarwitnessError(
            f"soundfont {soundfont} is missing (Debian: apt-get install fluid-soundfont-gm)"
        )
    command = [
        executable,
        "-ni",
        "-q",
        "-g",
        "0.35",
        "-r",
        str(sample_rate),
        "-T",
        "wav",
        "-F",
        str(wav_path),
        str(soundfont),
        str(midi_path),
    ]
    completed = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
    if completed.returncode != 0 or not wav_path.is_file():
        raise EarwitnessError(f"fluidsynth failed on {midi_path}: {completed.stderr.strip()[:200]}")
    return wav_path
