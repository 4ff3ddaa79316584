"""A damaged, truncated or full study database: one line that says what happened, what
SQLite's integrity check found and what to do; never an internal error."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import pytest
import sqlalchemy as sa

from earwitness.collect._dumps import DumpFilter, import_dump
from earwitness.errors import EarwitnessError
from earwitness.store import schema
from earwitness.study import Study, init_study
from tests.code.conftest import add_documents
from tests.helpers import fill_up, invoke_cli, run_cli, small_filesystem

COMMANDS = (
    ["status"],
    ["export", "documents"],
    ["db", "upgrade"],
    ["code", "segment"],
    ["collect", "dump", "{dump}"],
)


def _error_line(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.startswith("earwitness")]
    assert len(lines) == 1 and lines[0].startswith("earwitness: error: "), stderr
    assert "internal error" not in stderr and "Traceback" not in stderr, stderr
    return lines[0]


def _run_each(study: Study, dump: Path) -> list[str]:
    lines = []
    for command in COMMANDS:
        args = [part.replace("{dump}", str(dump)) for part in command]
        result = invoke_cli("--study", str(study.root), *args)
        assert result.code == 2, (command, result.stderr)
        lines.append(_error_line(result.stderr))
    return lines


@pytest.fixture
def dump(shared_dir: Path) -> Path:
    return next((shared_dir / "fixtures" / "pushshift").glob("RS_*.zst"))


def _study_with_documents(root: Path) -> Study:
    study = init_study(root)
    with study.open_store() as store:
        add_documents(store)
    with sqlite3.connect(study.root / "study.db") as connection:  # all of it in the file
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return study


def _scribble(database: Path, needle: bytes, junk: bytes) -> None:
    """Overwrite the bytes of ``needle`` in the file: a scribbled page, text not UTF-8."""
    data = bytearray(database.read_bytes())
    at = data.find(needle)
    assert at > 0, "the text to scribble over is not in the file"
    data[at : at + len(junk)] = junk
    database.write_bytes(bytes(data))


def test_a_scribbled_schema_version_is_named_damaged_with_the_integrity_check(
    tmp_path: Path, dump: Path
) -> None:
    study = _study_with_documents(tmp_path / "study")
    database = study.root / "study.db"
    with sqlite3.connect(database) as connection:
        version = connection.execute("SELECT version_num FROM alembic_version").fetchone()[0]
    _scribble(database, version.encode(), b"\xff\xfe\xfd\xfc"[: len(version)])
    before = database.read_bytes()
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as connection:
        checks = [row[0] for row in connection.execute("PRAGMA integrity_check")]
    for line in _run_each(study, dump):
        assert "study database is damaged" in line
        assert "not UTF-8" in line
        assert f"SQLite integrity check: {len(checks)} problem(s): {checks[0]}" in line
        assert "restore study.db from a backup" in line and ".recover" in line
        assert "\ufffd" not in line and "\\xff" not in line  # never the damaged bytes
    assert database.read_bytes() == before


def test_a_scribbled_document_is_named_damaged_not_an_internal_error(
    tmp_path: Path,
) -> None:
    study = _study_with_documents(tmp_path / "study")
    database = study.root / "study.db"
    _scribble(database, b"Too expensive for me.", b"\xc3\x28\xa0\xa1\xe2\x28\xa1")
    result = invoke_cli("--study", str(study.root), "export", "documents")
    assert result.code == 2
    line = _error_line(result.stderr)
    assert "damaged" in line and "integrity check" in line
    assert "Too" not in line  # no collected text in the message


def test_scribbled_pages_give_the_integrity_check_s_result(tmp_path: Path) -> None:
    study = _study_with_documents(tmp_path / "study")
    database = study.root / "study.db"
    with sqlite3.connect(database) as connection:
        root = connection.execute(
            "SELECT rootpage FROM sqlite_master WHERE name = 'documents'"
        ).fetchone()[0]
    data = bytearray(database.read_bytes())
    start = (root - 1) * 4096 + 8  # the documents' cell pointers now point off the page
    data[start : start + 6] = b"\x0f\xf0\x0f\xf8\x0f\xfc"
    database.write_bytes(bytes(data))
    try:
        with sqlite3.connect(database) as connection:
            rows = [row[0] for row in connection.execute("PRAGMA integrity_check")]
        expected = f"{len(rows)} problem(s): {' '.join(rows[0].split())}"
    except sqlite3.DatabaseError as exc:
        expected = f"cannot run ({exc})"
    for command in (["export", "documents"], ["code", "segment"]):
        result = invoke_cli("--study", str(study.root), *command)
        line = _error_line(result.stderr)
        assert result.code == 2
        assert "study database is damaged" in line and "restore study.db" in line
        assert f"SQLite integrity check: {expected}" in line


def test_a_zero_byte_database_is_refused_as_truncated(tmp_path: Path, dump: Path) -> None:
    study = _study_with_documents(tmp_path / "study")
    database = study.root / "study.db"
    database.write_bytes(b"")
    for command in (*COMMANDS, ["code", "agreement"]):
        args = [part.replace("{dump}", str(dump)) for part in command]
        result = invoke_cli("--study", str(study.root), *args)
        assert result.code == 2, (command, result.stdout, result.stderr)
        line = _error_line(result.stderr)
        assert "empty (0 bytes)" in line and "truncated" in line and "backup" in line
        assert database.stat().st_size == 0
    assert "upgrades" not in result.stdout


def test_init_with_a_new_empty_sqlite_file_still_works(tmp_path: Path) -> None:
    empty = tmp_path / "team.db"
    empty.touch()
    result = run_cli("init", str(tmp_path / "study"), "--db", f"sqlite:///{empty}")
    assert result.code == 0, result.stderr
    assert empty.stat().st_size > 0


def test_a_full_disk_during_a_dump_says_what_was_stored_and_resumes(
    tmp_path: Path, shared_dir: Path
) -> None:
    rc = next((shared_dir / "fixtures" / "pushshift").glob("RC_*.zst"))  # 769 real comments
    with small_filesystem(tmp_path / "fs", "8m") as fs:
        study = init_study(fs / "study")
        filler = fill_up(fs, leave=700_000)
        with study.open_store() as store:
            with pytest.raises(EarwitnessError) as raised:
                import_dump(study, store, rc, dump_filter=DumpFilter.build(), page_items=50)
            with store.connect() as connection:
                stored = connection.scalar(sa.select(sa.func.count()).select_from(schema.documents))
        message = str(raised.value)
        assert "disk holding the study database is full" in message
        assert "nothing was written" not in message
        assert stored and stored % 50 == 0, "whole pages, committed before the disk filled"
        assert f"{stored} items of {rc.name} were stored" in message
        assert "run the same command again to resume" in message
        filler.unlink()
        os.sync()
        with study.open_store() as store:
            summary = import_dump(study, store, rc, dump_filter=DumpFilter.build(), page_items=50)
            with store.connect() as connection:
                total = connection.scalar(sa.select(sa.func.count()).select_from(schema.documents))
        assert summary.new == total - stored  # resumed: only the rest is new
        assert total >= 700
