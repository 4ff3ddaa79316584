"""Audio in a study (SQLite and PostgreSQL) and the `earwitness audio` commands."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import sqlalchemy as sa
from click.testing import CliRunner
from scipy import signal

from earwitness.cli import cli
from earwitness.store import schema as s
from earwitness.study import Study

RECORDING = "Kevin_MacLeod_-_Vibe_Ace.ogg"


@pytest.fixture(scope="module")
def versions(shared_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A mix and three 'masters' made from 8 s of a real recording (synthetic masters)."""
    folder = tmp_path_factory.mktemp("versions")
    x, rate = sf.read(shared_dir / "audio" / RECORDING, dtype="float32", always_2d=True)
    x = x[: 8 * rate]
    b, a = signal.butter(2, 3000 / (rate / 2), "high")
    bright = np.clip(0.8 * (x + 0.5 * signal.lfilter(b, a, x, axis=0)), -1, 1)
    paths = {"mix": folder / "mix.wav", "human": folder / "human.flac",
             "ai": folder / "ai.wav", "ai2": folder / "ai2.wav"}  # fmt: skip
    sf.write(paths["mix"], 0.5 * x, rate, subtype="FLOAT")
    sf.write(paths["human"], 0.9 * x, rate, subtype="PCM_24")
    sf.write(paths["ai"], bright, rate, subtype="FLOAT")
    sf.write(paths["ai2"], bright, rate, subtype="FLOAT")
    return paths


def _run(study: Study, *args: str) -> str:
    result = CliRunner().invoke(cli, ["--study", str(study.root), "audio", *args])
    assert result.exit_code == 0, result.output
    return result.stdout


def test_add_measure_compare_in_a_study(any_study: Study, versions: dict[str, Path]) -> None:
    _run(any_study, "add", "--song", "vibe", "--version", "mix", str(versions["mix"]))
    _run(any_study, "add", "--song", "vibe", "--version", "human", str(versions["human"]))
    _run(any_study, "add", "--song", "vibe", "--version", "ai:landr:warm", str(versions["ai"]))
    again = json.loads(
        _run(
            any_study,
            "add",
            "--song",
            "vibe",
            "--version",
            "ai:landr:warm",
            str(versions["ai"]),
            "--json",
        )
    )
    assert (any_study.root / again["path"]).is_file() and again["stored"] is True

    measured = json.loads(_run(any_study, "measure", "--json", "--workers", "2"))
    assert len(measured) == 3
    assert (
        "Every audio file"
        in CliRunner().invoke(cli, ["--study", str(any_study.root), "audio", "measure"]).output
    )  # cached by sha256: nothing left to measure

    compared = json.loads(_run(any_study, "compare", "--song", "vibe", "--json"))
    pairs = {(r["version"], r["reference"]) for r in compared}
    assert pairs == {("mix", "human"), ("ai:landr:warm", "human"), ("human", "mix"),
                     ("ai:landr:warm", "mix")}  # fmt: skip
    human_vs_mix = next(r for r in compared if r["version"] == "human" and r["reference"] == "mix")
    assert human_vs_mix["deltas"]["gain_db"] == pytest.approx(20 * np.log10(0.9 / 0.5), abs=0.02)
    assert human_vs_mix["null_test"]["residual_db"] < -60
    ai_vs_mix = next(
        r for r in compared if r["version"].startswith("ai") and r["reference"] == "mix"
    )
    assert ai_vs_mix["deltas"]["bands_third_octave"]["8000"] > 2.0  # brighter treble
    assert "ai_minus_human_db" in ai_vs_mix
    assert human_vs_mix["eq_moves"]["count"] == 0  # a pure gain change: no EQ move
    assert human_vs_mix["eq_moves"]["overall_gain_db"] == pytest.approx(5.1055, abs=0.01)
    assert ai_vs_mix["eq_moves"]["count"] >= 1  # the added treble is an EQ move

    with any_study.open_store() as store, store.connect() as connection:
        assert connection.scalar(sa.select(sa.func.count()).select_from(s.audio_files)) == 3
        assert connection.scalar(sa.select(sa.func.count()).select_from(s.audio_comparisons)) == 4
        lufs = connection.scalar(
            sa.select(sa.func.count()).where(s.audio_metrics.c.name == "integrated_lufs")
        )
        assert lufs == 3
    presets = json.loads(_run(any_study, "presets", "--service", "landr", "--json"))
    assert presets["distinct_curves"] == 1


def test_reference_storage_keeps_files_in_place(study: Study, versions: dict[str, Path]) -> None:
    study.settings["audio_storage"] = "reference"
    study.save_settings()
    added = json.loads(
        _run(study, "add", "--song", "x", "--version", "mix", str(versions["mix"]), "--json")
    )
    assert added["stored"] is False and added["path"] == str(versions["mix"].resolve())
    assert not any((study.root / "audio").iterdir())


def test_measure_plain_files_without_a_study(versions: dict[str, Path], tmp_path: Path) -> None:
    runner = CliRunner()
    single = runner.invoke(cli, ["audio", "measure", str(versions["mix"]), "--json"])
    assert single.exit_code == 0, single.output
    report = json.loads(single.stdout)
    assert list(report) == [
        "integrated_lufs", "momentary_max_lufs", "short_term_max_lufs", "lra_lu",
        "true_peak_dbtp", "sample_peak_dbfs", "plr_db", "crest_factor_db",
        "spectral_centroid_hz", "low_end_share_60hz", "stereo_correlation", "stereo_width_db",
        "duration_s", "sample_rate", "channels", "channel_layout", "bands_third_octave",
    ]  # fmt: skip
    several = runner.invoke(
        cli, ["audio", "measure", str(versions["human"]), str(versions["mix"]), "--json"]
    )
    listed = json.loads(several.stdout)
    assert [round(r["integrated_lufs"] - listed[1]["integrated_lufs"], 1) for r in listed] == [
        round(20 * np.log10(0.9 / 0.5), 1), 0.0,
    ]  # fmt: skip
    csv = runner.invoke(cli, ["audio", "measure", str(versions["mix"]), "--csv"])
    assert csv.output.splitlines()[0].startswith("file,integrated_lufs")


def test_bad_input_is_one_line_and_exit_2(tmp_path: Path, study: Study) -> None:
    broken = tmp_path / "broken.wav"
    broken.write_bytes(b"RIFF")
    earwitness = Path(sys.executable).with_name("earwitness")
    result = subprocess.run(
        [str(earwitness), "audio", "measure", str(broken)], capture_output=True, text=True
    )
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and str(broken) in result.stderr
    bad_version = subprocess.run(
        [str(earwitness), "--study", str(study.root), "audio", "add", "--song", "x",
         "--version", "ai", str(broken)],
        capture_output=True, text=True,
    )  # fmt: skip
    assert bad_version.returncode == 2 and "ai:SERVICE" in bad_version.stderr
