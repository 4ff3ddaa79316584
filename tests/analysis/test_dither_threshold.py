"""The identical-vs-re-dithered threshold follows from the bit depth and the dither.

Two independent TPDF re-dithers of one master to 16 bits differ by noise of power
2 x D^2/4 (D = 2^-15): -93.3 dBFS (Lipshitz, Wannamaker & Vanderkooy, JAES 1992). The
masters here are a real recording re-dithered with numpy (simulated service renders).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from earwitness.analysis.metrics import read_audio
from earwitness.analysis.metrics._audit import consistency, dither_floor_dbfs

RECORDING = "Kevin_MacLeod_-_Vibe_Ace.ogg"


def _redither(master: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """TPDF dither of 2 LSB peak to peak, then rounding to 16-bit integers."""
    lsb = 2.0**-15
    dither = (rng.uniform(-0.5, 0.5, master.shape) + rng.uniform(-0.5, 0.5, master.shape)) * lsb
    return np.clip(np.round((master + dither) / lsb), -32768, 32767).astype(np.int16)


@pytest.fixture(scope="module")
def renders(shared_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("dither")
    x, rate = sf.read(shared_dir / "audio" / RECORDING, dtype="float64", always_2d=True)
    master = 0.9 * x[: rate * 15] / np.abs(x[: rate * 15]).max()
    rng = np.random.default_rng(7)
    paths = {name: folder / f"{name}.wav" for name in ("first", "second", "bright")}
    sf.write(paths["first"], _redither(master, rng), rate, subtype="PCM_16")
    sf.write(paths["second"], _redither(master, rng), rate, subtype="PCM_16")
    bright = master.copy()
    bright[1:] += 0.02 * np.diff(master, axis=0)  # a slight treble lift: another master
    sf.write(paths["bright"], _redither(bright, rng), rate, subtype="PCM_16")
    return paths


def test_dither_floors_follow_the_theory() -> None:
    assert dither_floor_dbfs(16, "none", copies=1) == pytest.approx(-101.1, abs=0.05)
    assert dither_floor_dbfs(16, "tpdf", copies=1) == pytest.approx(-96.33, abs=0.01)
    assert dither_floor_dbfs(16, "tpdf") == pytest.approx(-93.32, abs=0.01)  # 3 dB more
    assert dither_floor_dbfs(24, "tpdf") - dither_floor_dbfs(16, "tpdf") == pytest.approx(
        -20 * math.log10(256)
    )


def test_simulated_redither_noise_matches_the_floor() -> None:
    rng = np.random.default_rng(3)
    master = 0.3 * np.sin(np.linspace(0, 2000 * np.pi, 400_000)) + 0.01 * rng.standard_normal(
        400_000
    )
    difference = (_redither(master, rng).astype(np.float64) - _redither(master, rng)) * 2.0**-15
    measured = 10 * math.log10(float(np.mean(difference**2)))
    assert measured == pytest.approx(dither_floor_dbfs(16, "tpdf"), abs=0.1)


def test_two_redithers_of_one_master_are_identical(renders: dict[str, Path]) -> None:
    first, second = read_audio(renders["first"]), read_audio(renders["second"])
    result = consistency(first, second)
    assert result["verdict"] == "identical", result
    assert not result["bit_identical"]
    # the residual is the predicted floor relative to the programme, within 1 dB
    programme = 10 * math.log10(float(np.mean(first.samples.astype(np.float64) ** 2)))
    assert result["residual_db"] == pytest.approx(dither_floor_dbfs(16) - programme, abs=1.0)
    assert result["residual_db"] > -90.0  # what the old fixed threshold called near-identical
    assert "16-bit TPDF" in result["identical_basis"]


def test_another_master_is_not_identical(renders: dict[str, Path]) -> None:
    result = consistency(read_audio(renders["first"]), read_audio(renders["bright"]))
    assert result["verdict"] == "near-identical", result
