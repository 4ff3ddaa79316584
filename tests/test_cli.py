"""The core commands, run as a user runs them: `python -m earwitness …` in a subprocess."""

from __future__ import annotations

import json
import os
import sqlite3
import stat
from pathlib import Path

import pandas as pd
import pytest

from earwitness.store import Store
from tests.helpers import run_cli


def test_init_makes_the_study_folder(tmp_path: Path) -> None:
    result = run_cli("init", str(tmp_path / "s"), "--name", "Adoption 2026")
    assert result.code == 0, result.stderr
    root = tmp_path / "s"
    for name in ("earwitness.toml", "study.db", "raw", "audio", "exports", "secret.key"):
        assert (root / name).exists(), name
    assert stat.S_IMODE(os.stat(root / "secret.key").st_mode) == 0o600
    config = (root / "earwitness.toml").read_text()
    assert 'name = "Adoption 2026"' in config
    with Store.open(f"sqlite:///{root / 'study.db'}", check_schema=False) as store:
        assert f'schema_version = "{store.head_version()}"' in config
    assert "created_at" in config


def test_init_refuses_an_existing_study(tmp_path: Path) -> None:
    assert run_cli("init", str(tmp_path / "s")).code == 0
    again = run_cli("init", str(tmp_path / "s"))
    assert again.code == 2
    assert "already exists" in again.stderr


def test_status_finds_the_study_from_a_subfolder_and_reports_json(tmp_path: Path) -> None:
    run_cli("init", str(tmp_path / "s"))
    (tmp_path / "s" / "notes" / "deep").mkdir(parents=True)
    result = run_cli("status", "--json", cwd=tmp_path / "s" / "notes" / "deep")
    assert result.code == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["backend"] == "SQLite"
    assert report["schema_version"] == report["schema_head"]
    assert report["counts"]["documents"] == 0
    assert Path(report["study"]) == (tmp_path / "s").resolve()


def test_the_study_environment_variable_is_honoured(tmp_path: Path) -> None:
    run_cli("init", str(tmp_path / "s"))
    result = run_cli(
        "status", "--json", cwd=tmp_path, env={"EARWITNESS_STUDY": str(tmp_path / "s")}
    )
    assert result.code == 0, result.stderr


@pytest.mark.parametrize("fmt", ["csv", "jsonl", "parquet"])
def test_export_of_an_empty_kind_writes_its_columns(tmp_path: Path, fmt: str) -> None:
    run_cli("init", str(tmp_path / "s"))
    out = tmp_path / f"codings.{fmt}"
    result = run_cli(
        "--study", str(tmp_path / "s"), "export", "codings", "--format", fmt, "--out", str(out)
    )
    assert result.code == 0, result.stderr
    if fmt == "csv":
        frame = pd.read_csv(out)
        assert {"code_name", "coded_text", "author_pseudonym"} <= set(frame.columns)
    elif fmt == "parquet":
        frame = pd.read_parquet(out)
        assert "coded_text" in frame.columns
    else:
        assert out.read_text() == ""
    assert "Wrote 0 codings rows" in result.stdout


def test_export_neutralises_spreadsheet_formulas(study_with_formula: Path, tmp_path: Path) -> None:
    out = tmp_path / "docs.csv"
    result = run_cli("--study", str(study_with_formula), "export", "documents", "--out", str(out))
    assert result.code == 0, result.stderr
    text = pd.read_csv(out)["text"].iloc[0]
    assert text == '\'=HYPERLINK("http://evil.example")'


@pytest.fixture
def study_with_formula(tmp_path: Path) -> Path:
    from earwitness.store import DocumentRecord, upsert_document
    from earwitness.study import init_study

    study = init_study(tmp_path / "f")
    with study.open_store() as store, store.transaction() as connection:
        upsert_document(
            connection, DocumentRecord("reddit", "t1_f", '=HYPERLINK("http://evil.example")')
        )
    return study.root


def test_purge_raw_deletes_the_archive(tmp_path: Path) -> None:
    from earwitness.store import RawArchive

    run_cli("init", str(tmp_path / "s"))
    RawArchive(tmp_path / "s" / "raw").append("reddit", url="u", status=200, headers={}, body="{}")
    result = run_cli("--study", str(tmp_path / "s"), "purge-raw", "--yes")
    assert result.code == 0, result.stderr
    assert list((tmp_path / "s" / "raw").rglob("*.gz")) == []


def _one_clear_line(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, stderr
    assert "Traceback" not in stderr
    return lines[0]


def test_a_missing_study_is_one_clear_line(tmp_path: Path) -> None:
    result = run_cli("status", cwd=tmp_path)
    assert result.code == 2
    assert "no study found" in _one_clear_line(result.stderr)


def test_an_unknown_export_kind_is_one_clear_line(tmp_path: Path) -> None:
    run_cli("init", str(tmp_path / "s"))
    result = run_cli("--study", str(tmp_path / "s"), "export", "everything")
    assert result.code == 2
    line = _one_clear_line(result.stderr)
    assert "unknown export kind 'everything'" in line and "codings" in line


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("not a url", "malformed database URL"),
        ("mysql://root@localhost/x", "unsupported database 'mysql'"),
        ("postgresql://user:hunter2@127.0.0.1:5432", "must name a database"),
    ],
)
def test_a_malformed_database_url_is_one_clear_line(tmp_path: Path, url: str, message: str) -> None:
    result = run_cli("init", str(tmp_path / "s"), "--db", url)
    assert result.code == 2
    line = _one_clear_line(result.stderr)
    assert message in line
    assert "hunter2" not in result.stderr
    assert not (tmp_path / "s").exists()


def test_a_locked_database_is_one_clear_line(tmp_path: Path) -> None:
    run_cli("init", str(tmp_path / "s"))
    holder = sqlite3.connect(tmp_path / "s" / "study.db", isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        (tmp_path / "s" / "raw" / "x").mkdir()
        result = run_cli("--study", str(tmp_path / "s"), "purge-raw", "--yes")
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert result.code == 2
    assert "locked by another process" in _one_clear_line(result.stderr)


def test_debug_shows_the_traceback(tmp_path: Path) -> None:
    result = run_cli("--debug", "status", cwd=tmp_path)
    assert result.code == 2
    assert "Traceback" in result.stderr


def test_an_old_schema_names_the_upgrade_command(tmp_path: Path) -> None:
    import shutil

    fixture = Path(__file__).parent / "fixtures" / "studies" / "v0001"
    shutil.copytree(fixture, tmp_path / "old")
    refused = run_cli("--study", str(tmp_path / "old"), "export", "documents")
    assert refused.code == 2
    assert "earwitness db upgrade" in _one_clear_line(refused.stderr)
    status = run_cli("--study", str(tmp_path / "old"), "status", "--json")
    assert json.loads(status.stdout)["schema_up_to_date"] is False
    upgraded = run_cli("--study", str(tmp_path / "old"), "db", "upgrade")
    assert upgraded.code == 0, upgraded.stderr
    assert "from 0001 to" in upgraded.stdout
    exported = run_cli("--study", str(tmp_path / "old"), "export", "documents", "--format", "jsonl")
    assert exported.code == 0, exported.stderr
    rows = [
        json.loads(line)
        for line in (tmp_path / "old" / "exports" / "documents.jsonl").read_text().splitlines()
    ]
    assert len(rows) == 1 and rows[0]["platform"] == "reddit"


def test_a_study_on_postgresql(tmp_path: Path, pg_url: str) -> None:
    result = run_cli("init", str(tmp_path / "team"), "--db", pg_url)
    assert result.code == 0, result.stderr
    status = json.loads(run_cli("--study", str(tmp_path / "team"), "status", "--json").stdout)
    assert status["backend"] == "PostgreSQL"
    assert status["schema_up_to_date"] is True
    assert not (tmp_path / "team" / "study.db").exists()


def test_python_dash_m_and_version() -> None:
    result = run_cli("--version")
    assert result.code == 0 and "earwitness" in result.stdout
