"""Batches: each file's result or error, --keep-going, and studies that never stop at one file."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import sqlalchemy as sa
from click.testing import CliRunner

from earwitness.cli import cli
from earwitness.errors import EarwitnessError
from earwitness.store import schema as s
from earwitness.study import Study


@pytest.fixture(scope="module")
def batch(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """Two good files (simulated noise) around a bad one (a WAV header without data)."""
    folder = tmp_path_factory.mktemp("batch")
    rng = np.random.default_rng(16)
    good_a, bad, good_c = folder / "a.wav", folder / "bad.wav", folder / "c.flac"
    sf.write(good_a, 0.1 * rng.standard_normal((44100 * 2, 2)), 44100)
    bad.write_bytes(b"RIFF\x24\x00\x00\x00WAVEjunkjunk")
    sf.write(good_c, 0.2 * rng.standard_normal((48000 * 2, 1)), 48000)
    return [good_a, bad, good_c]


def _measure(*args: str) -> tuple[int, str, str]:
    """Exit status as `earwitness` gives it: 2 for an EarwitnessError (see cli.main)."""
    result = CliRunner().invoke(cli, ["audio", "measure", *args])
    if isinstance(result.exception, EarwitnessError):
        return result.exception.exit_code, result.stdout, str(result.exception)
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.parametrize("workers", ["1", "2"])
def test_keep_going_reports_every_file_and_exits_1(batch: list[Path], workers: str) -> None:
    code, out, err = _measure(*map(str, batch), "--json", "--keep-going", "--workers", workers)
    assert code == 1, err
    reports = json.loads(out)
    assert [r["file"] for r in reports] == [str(p) for p in batch]
    assert "error" not in reports[0] and "error" not in reports[2]
    assert reports[0]["channels"] == 2 and reports[2]["sample_rate"] == 48000
    assert set(reports[1]) == {"file", "error"}
    assert "bad.wav" in reports[1]["error"]
    assert "1 of 3 files failed" in err


def test_without_keep_going_the_files_before_the_bad_one_are_still_reported(
    batch: list[Path],
) -> None:
    code, out, err = _measure(*map(str, batch), "--json")
    assert code == 2
    reports = json.loads(out)
    assert [r["file"] for r in reports] == [str(p) for p in batch[:2]]
    assert "integrated_lufs" in reports[0] and "error" in reports[1]
    assert "--keep-going" in err


def test_csv_has_an_error_column(batch: list[Path]) -> None:
    code, out, _ = _measure(*map(str, batch), "--csv", "--keep-going")
    assert code == 1
    header, *rows = out.strip().splitlines()
    assert "error" in header.split(",") and "file" in header.split(",")
    assert len(rows) == 3


def test_one_bad_file_does_not_stop_a_study(any_study: Study, batch: list[Path]) -> None:
    runner = CliRunner()
    for name, path in (("a", batch[0]), ("c", batch[2])):
        result = runner.invoke(
            cli, ["--study", str(any_study.root), "audio", "add", "--song", name,
                  "--version", "mix", str(path)],
        )  # fmt: skip
        assert result.exit_code == 0, result.output
    stored = sorted((any_study.root / "audio").glob("*.wav"))
    assert len(stored) == 1
    stored[0].write_bytes(b"RIFF\x24\x00\x00\x00WAVEjunkjunk")  # damaged after it was added
    result = runner.invoke(cli, ["--study", str(any_study.root), "audio", "measure", "--json"])
    assert result.exit_code == 1, result.output
    reports = json.loads(result.stdout)
    assert sorted("error" in r for r in reports) == [False, True]
    store = any_study.open_store()
    try:
        with store.connect() as connection:
            measured = connection.scalar(
                sa.select(sa.func.count(sa.distinct(s.audio_metrics.c.file_id)))
            )
    finally:
        store.close()
    assert measured == 1
