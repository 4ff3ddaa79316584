"""Data safety of what earwitness writes: CSV that every reader splits into the same
rows, and private files (study.db and its WAL, the raw archive) whatever the umask."""

from __future__ import annotations

import io
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from earwitness.store import DocumentRecord, RawArchive, upsert_document
from earwitness.study import Study, init_study
from tests.helpers import run_cli

TEXTS = [
    "a bare carriage return\rsplits naive readers",
    "windows line\r\nend inside",
    "plain\nnewline",
    'a "quoted" word, and a comma',
    "=1+1 looks like a formula",
    "ordinary text",
]


def read_csv_as_r_does(text: str) -> list[list[str]]:
    """A strict reader of R's ``read.csv`` conventions (R Data Import/Export, 2.1; ?scan):
    comma separated, ``"`` quotes, ``""`` a literal quote inside quotes, and a record
    ends at LF, CRLF or a lone CR outside quotes (scan treats all three as end of line).
    Every record must have as many fields as the header; a stray quote is an error."""
    records: list[list[str]] = []
    field: list[str] = []
    record: list[str] = []
    quoted = False
    at_field_start = True
    characters = iter(enumerate(text))
    for index, char in characters:
        if quoted:
            if char == '"':
                if text[index + 1 : index + 2] == '"':
                    field.append('"')
                    next(characters)
                else:
                    quoted = False
            else:
                field.append(char)
        elif char == '"':
            if not at_field_start:
                raise ValueError(f"a quote inside an unquoted field at {index}")
            quoted, at_field_start = True, False
        elif char == ",":
            record.append("".join(field))
            field, at_field_start = [], True
        elif char in "\r\n":
            if char == "\r" and text[index + 1 : index + 2] == "\n":
                next(characters)
            record.append("".join(field))
            records.append(record)
            field, record, at_field_start = [], [], True
        else:
            field.append(char)
            at_field_start = False
    if quoted:
        raise ValueError("the file ends inside a quoted field")
    if field or record:
        record.append("".join(field))
        records.append(record)
    width = len(records[0])
    for number, row in enumerate(records, start=1):
        if len(row) != width:
            raise ValueError(f"record {number} has {len(row)} fields, the header {width}")
    return records


@pytest.fixture
def study_with_texts(study: Study) -> Study:
    with study.open_store() as store, store.transaction() as connection:
        for number, text in enumerate(TEXTS):
            upsert_document(connection, DocumentRecord("forum", f"t{number}", text))
    return study


def test_csv_export_round_trips_through_pandas_and_r_conventions(
    study_with_texts: Study, tmp_path: Path
) -> None:
    out = tmp_path / "documents.csv"
    result = run_cli(
        "--study", str(study_with_texts.root), "export", "documents", "--out", str(out)
    )
    assert result.code == 0, result.stderr
    data = out.read_bytes().decode("utf-8")
    frame = pd.read_csv(io.StringIO(data), keep_default_na=False)
    assert len(frame) == len(TEXTS)
    expected = [("'" + t if t.startswith("=") else t) for t in TEXTS]
    assert list(frame["text"]) == expected
    records = read_csv_as_r_does(data)
    header, rows = records[0], records[1:]
    assert len(rows) == len(TEXTS)
    assert [row[header.index("text")] for row in rows] == expected


def test_report_csv_quotes_carriage_returns_too(capsys: pytest.CaptureFixture[str]) -> None:
    from earwitness.clikit import emit

    emit([{"text": text} for text in TEXTS], as_csv=True)
    rows = read_csv_as_r_does(capsys.readouterr().out)[1:]
    assert [row[0] for row in rows] == [("'" + t if t.startswith("=") else t) for t in TEXTS]


@pytest.fixture
def open_umask() -> Iterator[None]:
    previous = os.umask(0)
    try:
        yield
    finally:
        os.umask(previous)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_private_files_are_private_even_under_umask_000(tmp_path: Path, open_umask: None) -> None:
    study = init_study(tmp_path / "study")
    assert _mode(study.root / "study.db") == 0o600
    assert _mode(study.root / "secret.key") == 0o600
    assert _mode(study.raw_dir) == 0o700
    with study.open_store() as store, store.transaction() as connection:
        upsert_document(connection, DocumentRecord("forum", "x", "text"))
        for suffix in ("-wal", "-shm"):
            sidecar = study.root / f"study.db{suffix}"
            assert sidecar.exists() and _mode(sidecar) == 0o600, suffix
    pointer = RawArchive(study.raw_dir).append(
        "reddit", url="https://example.invalid/r", status=200, headers={}, body="{}"
    )
    assert pointer is not None
    archived = study.root / pointer.rpartition("@")[0]
    assert _mode(archived) == 0o600
    assert _mode(archived.parent) == 0o700
