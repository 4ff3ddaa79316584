"""The same audio file registered as a version of two songs: the Masters and Export pages
show it under both songs, and ``audio add`` warns when it happens."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import soundfile
import sqlalchemy as sa
from click.testing import CliRunner

from earwitness.cli import cli
from earwitness.store import schema as s
from earwitness.study import Study, init_study
from tests.dashboard.test_app import _open, _table


def test_masters_and_export_show_a_file_shared_by_two_songs(filled: Study) -> None:
    with filled.open_store() as store, store.transaction() as c:
        first, second = c.execute(sa.select(s.songs.c.id).order_by(s.songs.c.id).limit(2)).all()
        human = c.execute(
            sa.select(s.song_versions.c.file_id).where(
                s.song_versions.c.song_id == first[0], s.song_versions.c.kind == "human"
            )
        ).scalar_one()
        c.execute(s.song_versions.insert().values(
            song_id=second[0], file_id=human, kind="ai", service="landr", label="ai:landr:copy",
        ))  # fmt: skip
    for page in ("masters", "export"):
        app = _open(page)
        assert not app.exception, (page, [e.value for e in app.exception])
    metrics = _table(_open("masters"), "integrated_lufs", "label")
    assert "ai:landr:copy" in set(metrics["label"])


def _tone(path: Path, hz: float) -> Path:
    t = np.arange(48000) / 48000
    soundfile.write(path, 0.25 * np.sin(2 * np.pi * hz * t)[:, None].repeat(2, 1), 48000)
    return path


def test_audio_add_warns_when_the_file_is_already_another_songs(tmp_path: Path) -> None:
    study = init_study(tmp_path / "study")
    song_a, song_b = _tone(tmp_path / "a.wav", 440), _tone(tmp_path / "b.wav", 220)
    runner = CliRunner()
    base = ["--study", str(study.root), "audio", "add"]
    first = runner.invoke(cli, [*base, "--song", "first", "--version", "human", str(song_a)])
    assert first.exit_code == 0 and "warning" not in first.output, first.output
    other = runner.invoke(cli, [*base, "--song", "second", "--version", "mix", str(song_b)])
    assert "warning" not in other.output
    again = runner.invoke(cli, [*base, "--song", "second", "--version", "human", str(song_a)])
    assert again.exit_code == 0, again.output
    assert "warning: a.wav: the same audio" in again.output and "'first'" in again.output
