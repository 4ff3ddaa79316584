"""Compressed files as services deliver them, encoded by Debian's ffmpeg CLI at run time
from the real recordings in the shared audio, and decoded by us through PyAV.

Each format is checked against ffmpeg's own decode (``ffmpeg -i F -f f32le -``) sample
for sample: the same number of frames (so encoder delay, LAME's header, MP4 edit lists
and Opus pre-skip are handled alike) and values within 1e-6. Not bit-exact because
PyAV bundles a newer FFmpeg than Debian's 5.1, whose float decoders (AAC, Opus) may pick
other SIMD paths and round differently; the differences measured are 0 (MP3, Vorbis)
to 1.2e-7 (AAC), one float32 step at full scale, far below what any metric resolves.
"""

from __future__ import annotations

import contextlib
import shutil
import subprocess
import warnings
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from earwitness.analysis.metrics import measure_file, read_audio
from earwitness.errors import BadInputError
from tests.analysis.ffmpeg import ebur128_summary

pytestmark = pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="needs ffmpeg")
TOLERANCE = 1e-6
SECONDS = 20
ENCODINGS = {  # name: ffmpeg output options, suffix
    "mp3_vbr_no_xing": (("-c:a", "libmp3lame", "-q:a", "2", "-write_xing", "0"), "mp3"),
    "mp3_cbr_no_xing": (("-c:a", "libmp3lame", "-b:a", "192k", "-write_xing", "0"), "mp3"),
    "mp3_vbr_lame": (("-c:a", "libmp3lame", "-q:a", "2"), "mp3"),
    "aac_m4a": (("-c:a", "aac", "-b:a", "192k"), "m4a"),
    "aac_m4a_faststart": (("-c:a", "aac", "-b:a", "192k", "-movflags", "+faststart"), "m4a"),
    "opus_stereo": (("-c:a", "libopus", "-b:a", "128k"), "opus"),
    "vorbis_stereo": (("-c:a", "libvorbis", "-q:a", "5"), "ogg"),
    "opus_51": (("-af", "pan=5.1|FL=c0|FR=c1|FC=0.5*c0+0.5*c1|LFE=0.2*c0|BL=0.6*c0|BR=0.3*c1",
                 "-c:a", "libopus", "-b:a", "384k", "-mapping_family", "1"), "opus"),
    "vorbis_51": (("-af", "pan=5.1|FL=c0|FR=c1|FC=0.5*c0+0.5*c1|LFE=0.2*c0|BL=0.6*c0|BR=0.3*c1",
                   "-c:a", "libvorbis", "-q:a", "5"), "ogg"),
}  # fmt: skip


def _ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-y", "-nostdin", "-v", "error", *args], check=True)


def _ffmpeg_decode(path: Path, channels: int) -> np.ndarray:
    raw = subprocess.run(
        ["ffmpeg", "-nostdin", "-v", "error", "-i", str(path), "-f", "f32le", "-"],
        capture_output=True, check=True,
    ).stdout  # fmt: skip
    return np.frombuffer(raw, dtype="<f4").reshape(-1, channels)


@pytest.fixture(scope="module")
def coded(shared_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("coded")
    source = sorted((shared_dir / "audio").glob("*.ogg"))[0]  # a real 44.1 kHz stereo piece
    wav = folder / "source.wav"
    _ffmpeg("-ss", "10", "-t", str(SECONDS), "-i", str(source), "-c:a", "pcm_s16le", str(wav))
    paths = {"wav": wav}
    for name, (options, suffix) in ENCODINGS.items():
        paths[name] = folder / f"{name}.{suffix}"
        _ffmpeg("-i", str(wav), *options, str(paths[name]))
    return paths


@pytest.mark.parametrize("name", list(ENCODINGS))
def test_samples_equal_ffmpeg_decode(coded: dict[str, Path], name: str) -> None:
    audio = read_audio(coded[name])
    reference = _ffmpeg_decode(coded[name], audio.channels)
    assert audio.samples.shape == reference.shape  # encoder delay handled as ffmpeg does
    assert np.abs(audio.samples - reference).max() <= TOLERANCE
    assert audio.sample_rate == (48000 if "opus" in name else 44100)


@pytest.mark.parametrize("name", ["mp3_vbr_no_xing", "mp3_cbr_no_xing", "aac_m4a", "opus_stereo"])
def test_measured_whole_and_as_ffmpeg(coded: dict[str, Path], name: str) -> None:
    ours = measure_file(coded[name])
    assert ours["duration_s"] == pytest.approx(SECONDS, abs=0.06)  # delay/padding only
    reference = ebur128_summary(coded[name])
    assert abs(ours["integrated_lufs"] - reference["integrated_lufs"]) < 0.1
    assert abs(ours["true_peak_dbtp"] - reference["true_peak_dbtp"]) < 0.2


def test_vbr_mp3_without_xing_is_measured_whole_with_a_warning(coded: dict[str, Path]) -> None:
    """libsndfile measured 13.8 s of 20 s of such a file, silently, or called it truncated."""
    ours = measure_file(coded["mp3_vbr_no_xing"])
    with_header = measure_file(coded["mp3_vbr_lame"])
    # the same audio; without the header 1105 samples of encoder delay stay in (as ffmpeg)
    assert abs(ours["integrated_lufs"] - with_header["integrated_lufs"]) < 0.05
    assert any("Xing" in w and "decoded to the end" in w for w in ours["warnings"])
    assert with_header["warnings"] == []
    cbr = measure_file(coded["mp3_cbr_no_xing"])  # its bit-rate estimate is right: no warning
    assert cbr["warnings"] == []


@pytest.mark.parametrize("name", ["opus_51", "vorbis_51"])
def test_surround_layout_from_the_container(coded: dict[str, Path], name: str) -> None:
    ours = measure_file(coded[name])
    assert ours["channel_layout"] == "5.1" and ours["warnings"] == []
    reference = ebur128_summary(coded[name])["integrated_lufs"]
    assert abs(ours["integrated_lufs"] - reference) < 0.1


def _refused(path: Path, *parts: str) -> str:
    with pytest.raises(BadInputError) as caught:
        measure_file(path)
    text = str(caught.value)
    assert str(path) in text and "\n" not in text
    for part in parts:
        assert part in text, text
    return text


def _seconds_in(text: str, after: str) -> float:
    return float(text.split(after, 1)[1].split(" s", 1)[0])


def test_corrupt_mp3_frame_names_its_time(coded: dict[str, Path], tmp_path: Path) -> None:
    data = bytearray(coded["mp3_cbr_no_xing"].read_bytes())
    at = len(data) // 2  # CBR: the middle of the file is the middle of the audio
    for index in range(at, at + 3000, 7):
        data[index] ^= 0x5A
    bad = tmp_path / "corrupt.mp3"
    bad.write_bytes(bytes(data))
    text = _refused(bad, "corrupt frame at", "mp3float")
    assert abs(_seconds_in(text, "corrupt frame at ") - SECONDS / 2) < 0.5


def test_lost_ogg_page_is_refused_with_its_time(coded: dict[str, Path], tmp_path: Path) -> None:
    data = bytearray(coded["opus_stereo"].read_bytes())
    at = len(data) // 2
    for index in range(at, at + 3000, 7):
        data[index] ^= 0x5A
    bad = tmp_path / "corrupt.opus"
    bad.write_bytes(bytes(data))
    text = _refused(bad, "corrupt data at", "missing", "CRC mismatch")
    assert 5 < _seconds_in(text, "corrupt data at ") < 15


@pytest.mark.parametrize(
    ("name", "parts"),
    [("mp3_vbr_lame", ("decoded", "header states 20.0 s")),
     ("opus_stereo", ("no end-of-stream page",)),
     ("aac_m4a", ("moov atom not found",)),
     ("aac_m4a_faststart", ("truncated: the file ends inside the frame at",))],
)  # fmt: skip
def test_truncated_files_say_so(
    coded: dict[str, Path], tmp_path: Path, name: str, parts: tuple[str, ...]
) -> None:
    data = coded[name].read_bytes()
    cut = tmp_path / f"cut{coded[name].suffix}"
    cut.write_bytes(data[: len(data) // 2])
    _refused(cut, *parts)


def test_no_decoder_chatter_on_stderr(
    coded: dict[str, Path], tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    data = bytearray(coded["mp3_vbr_lame"].read_bytes())
    cut = tmp_path / "cut.mp3"  # its Xing header now promises twice the audio
    cut.write_bytes(bytes(data[: len(data) // 2]))
    for path in (cut, coded["mp3_vbr_no_xing"], coded["opus_51"]):
        with contextlib.suppress(BadInputError):
            measure_file(path)
    assert capfd.readouterr().err == ""


def test_infinite_samples_one_line_and_no_numpy_warning(tmp_path: Path) -> None:
    samples = np.zeros((44100, 2), dtype=np.float32)
    samples[100, 0], samples[200, 1] = np.inf, -np.inf  # +Inf + -Inf is NaN in the sum
    path = tmp_path / "inf.wav"
    sf.write(path, samples, 44100, subtype="FLOAT")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _refused(path, "NaN or infinite")


def test_long_compressed_file_streams_with_equal_results(coded: dict[str, Path]) -> None:
    """Past the block size a compressed file is decoded once to a temporary float32 file
    and measured block by block; the results equal the in-memory measurement."""
    path = coded["mp3_vbr_lame"]
    whole = measure_file(path)
    streamed = measure_file(path, block_frames=1 << 18)
    for key in ("integrated_lufs", "lra_lu", "true_peak_dbtp", "short_term_max_lufs",
                "crest_factor_db", "stereo_correlation", "duration_s"):  # fmt: skip
        assert streamed[key] == pytest.approx(whole[key], rel=1e-9, abs=1e-9), key
