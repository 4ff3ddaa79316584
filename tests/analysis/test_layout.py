"""Channel layouts from the container, checked on files that ffmpeg encodes.

The 5.1 signal is built from the shared recordings (each speaker a different piece at
a different level, so a wrong order or weight changes the reading); ffmpeg encodes it
to WAVE_FORMAT_EXTENSIBLE, FLAC, Ogg Vorbis, Ogg Opus (mapping family 1) and AIFF.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from earwitness.analysis.metrics import integrated_loudness, measure_file, read_audio
from earwitness.analysis.metrics._io import channel_weights
from earwitness.analysis.metrics._layout import layout_weights
from tests.analysis.ffmpeg import ebur128_summary

pytestmark = pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="needs ffmpeg")
RATE = 48000
VORBIS_51 = ("FL", "FC", "FR", "BL", "BR", "LFE")  # Vorbis I §4.3.9, as stored
LEVELS_DB = (-6.0, -12.0, -3.0, -6.0, -16.0, -9.0)  # FL FR FC LFE BL BR (ffmpeg "5.1")


def _ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-y", "-v", "error", *args], check=True)


@pytest.fixture(scope="module")
def surround(shared_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("surround")
    pieces = sorted((shared_dir / "audio").glob("*.ogg"))
    columns = []
    for index, level in enumerate(LEVELS_DB):
        x, rate = sf.read(pieces[index % len(pieces)], dtype="float32", always_2d=True)
        column = np.resize(x[rate * index :, index % 2], 22050 * 8)  # loops a short piece
        columns.append(10.0 ** (level / 20.0) * column)
    raw = folder / "source.f32"
    np.stack(columns, axis=1).astype("<f4").tofile(raw)
    source = ["-f", "f32le", "-ar", "22050", "-ac", "6", "-channel_layout", "5.1", "-i", str(raw),
              "-ar", str(RATE)]  # fmt: skip
    files = {
        "wav": ("-c:a", "pcm_s24le"),
        "flac": ("-c:a", "flac"),
        "ogg": ("-c:a", "libvorbis", "-q:a", "6"),
        "opus": ("-c:a", "libopus", "-b:a", "384k", "-mapping_family", "1"),
    }
    paths = {}
    for suffix, codec in files.items():
        paths[suffix] = folder / f"s51.{suffix}"
        _ffmpeg(*source, *codec, str(paths[suffix]))
    for suffix in ("ogg", "opus"):  # the same audio as WAV, as ffmpeg decodes and orders it
        paths[f"{suffix}.wav"] = folder / f"s51-{suffix}.wav"
        _ffmpeg("-i", str(paths[suffix]), "-c:a", "pcm_f32le", str(paths[f"{suffix}.wav"]))
    return paths


@pytest.mark.parametrize("codec", ["ogg", "opus"])
def test_vorbis_order_reads_as_the_same_audio_as_wav(surround: dict[str, Path], codec: str) -> None:
    coded = measure_file(surround[codec])
    as_wav = measure_file(surround[f"{codec}.wav"])
    assert coded["channel_layout"] == as_wav["channel_layout"] == "5.1"
    assert coded["warnings"] == []
    assert abs(coded["integrated_lufs"] - as_wav["integrated_lufs"]) < 0.05
    assert abs(coded["stereo_correlation"] - as_wav["stereo_correlation"]) < 0.01
    reference = ebur128_summary(surround[codec])["integrated_lufs"]
    assert abs(coded["integrated_lufs"] - reference) < 0.1
    # FFmpeg's decoder hands the channels over in its own order (FL FR FC LFE BL BR),
    # sample for sample as the CLI writes them; the file's own Vorbis order would weigh
    # the wrong channels, so the test can fail
    audio, wav = read_audio(surround[codec]), read_audio(surround[f"{codec}.wav"])
    assert np.abs(audio.samples - wav.samples).max() <= 1e-6
    assert list(audio.weights) == list(channel_weights(6))
    in_file_order = integrated_loudness(audio.samples, RATE, np.array(layout_weights(VORBIS_51)))
    assert in_file_order is not None and abs(in_file_order - as_wav["integrated_lufs"]) > 0.1


@pytest.mark.parametrize("suffix", ["wav", "flac"])
def test_lossless_51_matches_ffmpeg(surround: dict[str, Path], suffix: str) -> None:
    ours = measure_file(surround[suffix])
    assert ours["channel_layout"] == "5.1" and ours["warnings"] == []
    assert abs(ours["integrated_lufs"] - ebur128_summary(surround[suffix])["integrated_lufs"]) < 0.1


def _independent_lufs(x: np.ndarray, weights: list[float]) -> float:
    """BS.1770 without gating, for a steady signal: K-filter with scipy, weight, sum."""
    from scipy import signal

    from earwitness.analysis.metrics import k_weighting_coefficients

    b, a = k_weighting_coefficients(RATE)
    sos = np.hstack([b, a])
    filtered = signal.sosfilt(sos, x.astype(np.float64), axis=0)[RATE:]  # settle 1 s
    return -0.691 + 10.0 * np.log10(float((filtered**2).mean(axis=0) @ np.array(weights)))


def test_71_extensible_mask_weights_sides_not_backs(tmp_path: Path) -> None:
    """7.1 (FL FR FC LFE BL BR SL SR): BS.1770-4 Table 4 weighs 1.41 only the sides."""
    rng = np.random.default_rng(71)
    levels = np.array([-20.0, -22.0, -18.0, -10.0, -24.0, -26.0, -21.0, -23.0])
    x = (10.0 ** (levels / 20.0) * rng.standard_normal((RATE * 6, 8))).astype(np.float32)
    raw = tmp_path / "s71.f32"
    x.astype("<f4").tofile(raw)
    _ffmpeg("-f", "f32le", "-ar", str(RATE), "-ac", "8", "-channel_layout", "7.1", "-i", str(raw),
            "-c:a", "pcm_f32le", str(tmp_path / "m.wav"))  # fmt: skip
    ours = measure_file(tmp_path / "m.wav")
    assert ours["channel_layout"] == "7.1" and ours["warnings"] == []
    expected = _independent_lufs(x, [1, 1, 1, 0, 1, 1, 1.41, 1.41])
    assert abs(ours["integrated_lufs"] - expected) < 0.02
    assert layout_weights(("FL", "FR", "FC", "LFE", "BL", "BR")) == (1, 1, 1, 0, 1.41, 1.41)
    assert layout_weights(("FL", "FR", "BL", "BR")) == (1, 1, 1.41, 1.41)  # quad


def test_flac_channel_mask_comment(tmp_path: Path) -> None:
    """A FLAC whose WAVEFORMATEXTENSIBLE_CHANNEL_MASK says 4.0 (FL FR FC BC), not quad."""
    rng = np.random.default_rng(4)
    x = (0.05 * rng.standard_normal((RATE * 4, 4))).astype(np.float32)
    x[:, 3] *= 3.0  # a loud back centre: weight 1.0 as 4.0, 1.41 as quad's BR
    plain = tmp_path / "q.flac"
    sf.write(plain, x, RATE, subtype="PCM_24")
    tagged = tmp_path / "c40.flac"
    _ffmpeg("-i", str(plain), "-c:a", "flac", "-metadata",
            "WAVEFORMATEXTENSIBLE_CHANNEL_MASK=0x0107", str(tagged))  # fmt: skip
    as_quad, as_40 = measure_file(plain), measure_file(tagged)
    assert as_quad["channel_layout"] == "quad" and as_40["channel_layout"] == "4.0"
    assert abs(as_40["integrated_lufs"] - _independent_lufs(x, [1, 1, 1, 1])) < 0.02
    assert abs(as_quad["integrated_lufs"] - _independent_lufs(x, [1, 1, 1.41, 1.41])) < 0.02


@pytest.mark.parametrize(("fmt", "subtype"), [("WAV", "PCM_16"), ("AIFF", "PCM_16")])
def test_ambiguous_layouts_warn(tmp_path: Path, fmt: str, subtype: str) -> None:
    x = 0.1 * np.random.default_rng(6).standard_normal((RATE, 6))
    path = tmp_path / f"six.{fmt.lower()}"
    sf.write(path, x, RATE, subtype=subtype, format=fmt)  # plain PCM: no channel mask
    report = measure_file(path)
    assert report["channel_layout"] == "5.1"
    assert len(report["warnings"]) == 1 and "ambiguous" in report["warnings"][0]
