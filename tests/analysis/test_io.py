from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from earwitness.analysis import read_audio
from earwitness.analysis.metrics._io import channel_weights
from earwitness.errors import BadInputError


def _tone(rate: int = 44100, channels: int = 2, seconds: float = 1.0) -> np.ndarray:
    t = np.arange(round(rate * seconds)) / rate
    x = 0.25 * np.sin(2 * np.pi * 440 * t)
    return np.repeat(x[:, None], channels, axis=1)


@pytest.mark.parametrize(
    ("fmt", "subtype", "ext"),
    [("WAV", "PCM_16", "wav"), ("WAV", "PCM_24", "wav"), ("WAV", "FLOAT", "wav"),
     ("FLAC", "PCM_24", "flac"), ("AIFF", "PCM_16", "aiff"), ("OGG", "VORBIS", "ogg"),
     ("MP3", "MPEG_LAYER_III", "mp3")],
)  # fmt: skip
def test_reads_every_format(tmp_path: Path, fmt: str, subtype: str, ext: str) -> None:
    path = tmp_path / f"tone.{ext}"
    sf.write(path, _tone(), 44100, format=fmt, subtype=subtype)
    audio = read_audio(path)
    assert audio.sample_rate == 44100 and audio.channels == 2
    assert audio.samples.dtype == np.float32
    assert np.abs(audio.samples).max() == pytest.approx(0.25, abs=0.02)


@pytest.mark.parametrize(("rate", "channels"), [(8000, 1), (96000, 2), (48000, 6)])
def test_any_rate_and_layout(tmp_path: Path, rate: int, channels: int) -> None:
    path = tmp_path / "x.wav"
    sf.write(path, _tone(rate, channels, 0.5), rate)
    audio = read_audio(path)
    assert (audio.sample_rate, audio.channels) == (rate, channels)


def test_weights_follow_bs1770() -> None:
    assert list(channel_weights(6)) == [1.0, 1.0, 1.0, 0.0, 1.41, 1.41]
    assert list(channel_weights(4)) == [1.0, 1.0, 1.41, 1.41]  # quad: FL FR BL BR


def _fails(path: Path, message: str) -> None:
    with pytest.raises(BadInputError) as caught:
        read_audio(path)
    text = str(caught.value)
    assert str(path) in text and message in text and "\n" not in text


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.wav"
    path.write_bytes(b"")
    _fails(path, "empty")


def test_unsupported_file(tmp_path: Path) -> None:
    path = tmp_path / "notes.wav"
    path.write_text("not audio at all " * 50)
    _fails(path, "unsupported or unreadable")


@pytest.mark.parametrize(("fmt", "ext"), [("WAV", "wav"), ("AIFF", "aiff"), ("FLAC", "flac"),
                                          ("MP3", "mp3")])  # fmt: skip
def test_truncated_file(tmp_path: Path, fmt: str, ext: str) -> None:
    whole, cut = tmp_path / f"whole.{ext}", tmp_path / f"cut.{ext}"
    sf.write(whole, _tone(), 44100, format=fmt)
    data = whole.read_bytes()
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(BadInputError) as caught:
        read_audio(cut)
    assert str(cut) in str(caught.value)


def test_nan_and_inf(tmp_path: Path) -> None:
    for bad in (np.nan, np.inf):
        samples = _tone().astype(np.float32)
        samples[100, 0] = bad
        path = tmp_path / "bad.wav"
        sf.write(path, samples, 44100, subtype="FLOAT")
        _fails(path, "NaN or infinite")


def test_zero_frames(tmp_path: Path) -> None:
    path = tmp_path / "none.wav"
    sf.write(path, np.zeros((0, 2)), 44100)
    _fails(path, "no audio")


def test_missing_file(tmp_path: Path) -> None:
    _fails(tmp_path / "nowhere.wav", "no such file")
