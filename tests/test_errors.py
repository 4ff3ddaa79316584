"""Faults of the machine, not of earwitness, each said in one line: what happened, what
to do. Real ones: a full small file system, a read-only mount, a corrupt database."""

from __future__ import annotations

import gzip
import os
from pathlib import Path

import pytest
import sqlalchemy as sa

from earwitness.study import Study, init_study
from tests.code.conftest import add_documents
from tests.helpers import fill_up, make_read_only, run_cli, small_filesystem

ANSWER = "Hello World!"  # a respondent's free-text answer in the Qualtrics sample


def _one_line(stderr: str) -> str:
    """The error: one line, the last (progress lines may come before it), no SQL."""
    lines = stderr.splitlines()
    assert lines and lines[-1].startswith("earwitness: error: "), stderr
    assert [line for line in lines if line.startswith("earwitness")] == lines[-1:], stderr
    assert "internal error" not in stderr and "Traceback" not in stderr, stderr
    assert "INSERT" not in stderr and "SELECT" not in stderr and "[SQL" not in stderr, stderr
    return lines[-1]


def _study_with_documents(root: Path) -> Study:
    study = init_study(root)
    with study.open_store() as store:
        add_documents(store)
    return study


# --- full disk ---------------------------------------------------------------------------


def test_a_survey_import_on_a_full_disk_says_so_without_the_answers(
    tmp_path: Path, shared_dir: Path
) -> None:
    with small_filesystem(tmp_path / "fs", "2m") as fs:
        study = init_study(fs / "study")
        fill_up(fs)
        result = run_cli(
            "--study",
            str(study.root),
            "import",
            "survey",
            str(shared_dir / "fixtures" / "survey" / "qualtrics-sample.csv"),
        )
        assert result.code == 2
        line = _one_line(result.stderr)
        assert "full" in line and "free some space" in line
        assert ANSWER not in line


def test_an_export_on_a_full_disk_keeps_the_earlier_export(tmp_path: Path) -> None:
    study = _study_with_documents(tmp_path / "study")
    with small_filesystem(tmp_path / "fs") as fs:
        target = fs / "documents.csv"
        assert (
            run_cli("--study", str(study.root), "export", "documents", "--out", str(target)).code
            == 0
        )
        good = target.read_bytes()
        with study.open_store() as store:
            add_documents(store, key="a second batch, so the export grows")
        fill_up(fs, leave=0)
        result = run_cli("--study", str(study.root), "export", "documents", "--out", str(target))
        assert result.code == 2
        assert "no space left" in _one_line(result.stderr)
        assert target.read_bytes() == good
        assert sorted(p.name for p in fs.iterdir()) == [".filler", "documents.csv"]


def test_init_on_a_full_disk_leaves_nothing_and_can_be_run_again(tmp_path: Path) -> None:
    with small_filesystem(tmp_path / "fs") as fs:
        filler = fill_up(fs, leave=40_000)
        result = run_cli("init", str(fs / "study"))
        assert result.code == 2
        assert "space" in _one_line(result.stderr) or "full" in result.stderr
        assert sorted(p.name for p in fs.iterdir()) == [".filler"]
        filler.unlink()
        again = run_cli("init", str(fs / "study"))
        assert again.code == 0, again.stderr
        assert run_cli("--study", str(fs / "study"), "status").code == 0


# --- corrupt, missing, newer -------------------------------------------------------------


def test_a_study_db_of_random_bytes_is_named_corrupt(tmp_path: Path) -> None:
    study = init_study(tmp_path / "study")
    (study.root / "study.db").write_bytes(os.urandom(8192))
    for command in (["status"], ["export", "documents"]):
        result = run_cli("--study", str(study.root), *command)
        assert result.code == 2
        assert "restore study.db from a backup" in _one_line(result.stderr)


def test_a_truncated_study_db_is_named_corrupt(tmp_path: Path) -> None:
    study = _study_with_documents(tmp_path / "study")
    database = study.root / "study.db"
    data = database.read_bytes()
    database.write_bytes(data[: len(data) // 3])
    result = run_cli("--study", str(study.root), "export", "documents")
    assert result.code == 2
    assert "corrupt" in _one_line(result.stderr)


def test_a_deleted_study_db_is_refused_not_recreated(tmp_path: Path) -> None:
    study = init_study(tmp_path / "study")
    (study.root / "study.db").unlink()
    for command in (["status"], ["db", "upgrade"]):
        result = run_cli("--study", str(study.root), *command)
        assert result.code == 2
        assert "database is missing" in _one_line(result.stderr)
        assert not (study.root / "study.db").exists()


def test_a_newer_schema_advises_upgrading_earwitness(tmp_path: Path) -> None:
    study = init_study(tmp_path / "study")
    with study.open_store() as store, store.transaction() as connection:
        connection.execute(sa.text("UPDATE alembic_version SET version_num = '9999'"))
    status = run_cli("--study", str(study.root), "status")
    assert "upgrade earwitness" in status.stderr
    assert "db upgrade" not in status.stderr
    upgrade = run_cli("--study", str(study.root), "db", "upgrade")
    assert upgrade.code == 2
    assert "upgrade earwitness" in _one_line(upgrade.stderr)


# --- read-only folder --------------------------------------------------------------------


def test_read_only_commands_work_in_a_read_only_study_folder(tmp_path: Path) -> None:
    with small_filesystem(tmp_path / "fs", "4m") as fs:
        study = _study_with_documents(fs / "study")
        make_read_only(fs)
        status = run_cli("--study", str(study.root), "status", "--json")
        assert status.code == 0, status.stderr
        out = tmp_path / "documents.csv"
        export = run_cli("--study", str(study.root), "export", "documents", "--out", str(out))
        assert export.code == 0, export.stderr
        assert out.read_text().count("forum") >= 2
        inside = run_cli("--study", str(study.root), "export", "documents")  # to exports/
        assert inside.code == 2
        assert "read-only" in _one_line(inside.stderr) and "elsewhere" in inside.stderr
        write = run_cli(
            "--study",
            str(study.root),
            "code",
            "apply",
            "Quality/Harsh",
            "--coder",
            "ana",
            "--document",
            "forum:t1",
            "--start",
            "0",
            "--end",
            "3",
        )
        assert write.code == 2
        assert "read-only" in _one_line(write.stderr)


# --- usage errors and file kinds ---------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ["collect", "dump", "/nonexistent/RC_2023-01.zst"],
        ["import", "survey", "{tmp}"],  # a folder where a file is expected
        ["code", "apply"],
    ],
)
def test_click_usage_errors_are_one_line(args: list[str], tmp_path: Path) -> None:
    study = init_study(tmp_path / "study")
    args = [a.replace("{tmp}", str(tmp_path)) for a in args]
    result = run_cli("--study", str(study.root), *args)
    assert result.code == 2
    assert result.stderr.count("\n") == 1
    assert _one_line(result.stderr).startswith("earwitness: error: ")


@pytest.mark.parametrize("content", ["gzip", "random"])
def test_a_file_named_zst_that_is_not_zstd_says_so(
    content: str, tmp_path: Path, shared_dir: Path
) -> None:
    study = init_study(tmp_path / "study")
    fake = tmp_path / "RC_2023-01.zst"
    if content == "gzip":
        fake.write_bytes(gzip.compress(b'{"id": "abc"}\n'))
    else:
        fake.write_bytes(os.urandom(4096))
    result = run_cli("--study", str(study.root), "collect", "dump", str(fake))
    assert result.code == 2
    line = _one_line(result.stderr)
    assert "not a zstd file" in line and "cut off" not in line
