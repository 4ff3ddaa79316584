"""Bad input: one clear line naming file, row and column; nothing half-imported."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from earwitness.cli import cli, main
from earwitness.errors import BadInputError
from earwitness.store import count_records, export_table, write_table
from earwitness.study import Study
from earwitness.survey import import_file, load_instrument, read_export

from .conftest import EXAMPLE_INSTRUMENT, FIXTURES

GFORMS = FIXTURES / "gforms-adoption.csv"


def _write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def test_cp1252_is_refused_with_row_and_column(tmp_path: Path) -> None:
    text = GFORMS.read_text(encoding="utf-8").replace("Fine for demos", "Fine for démos", 1)
    path = _write(tmp_path, "ansi.csv", text.encode("cp1252"))
    row = next(i for i, line in enumerate(text.splitlines(), 1) if "démos" in line)
    with pytest.raises(BadInputError) as caught:
        read_export(path)
    message = str(caught.value)
    assert message.startswith(f"{path}, row {row}, field 'What would make you trust")
    assert "Windows-1252" in message and "--encoding cp1252" in message
    export = read_export(path, encoding="cp1252")
    assert any("Fine for démos" in cell for row_ in export.cells for cell in row_)


def test_utf16_with_bom_is_read_and_without_bom_refused(tmp_path: Path) -> None:
    text = GFORMS.read_text(encoding="utf-8")
    with_bom = _write(tmp_path, "excel-unicode.csv", text.encode("utf-16"))
    assert read_export(with_bom).n_respondents == 24
    tab = _write(tmp_path, "excel-unicode.txt", text.replace(",", "\t").encode("utf-16"))
    assert read_export(tab, format="gforms").columns[0].code == "Timestamp"
    bare = _write(tmp_path, "bare.csv", text.encode("utf-16-le"))
    with pytest.raises(BadInputError, match="UTF-16 without a byte-order mark"):
        read_export(bare)


def test_utf8_bom_is_stripped(tmp_path: Path) -> None:
    path = _write(tmp_path, "bom.csv", b"\xef\xbb\xbf" + GFORMS.read_bytes())
    assert read_export(path).columns[0].code == "Timestamp"


@pytest.mark.parametrize("data", [b"", b"\xef\xbb\xbf\r\n", b"  \n\n"])
def test_empty_file(tmp_path: Path, data: bytes) -> None:
    path = _write(tmp_path, "empty.csv", data)
    with pytest.raises(BadInputError, match=r"empty.csv: the file is empty"):
        read_export(path)


def test_headers_only(tmp_path: Path) -> None:
    path = _write(tmp_path, "head.csv", GFORMS.read_bytes().split(b"\r\n")[0] + b"\r\n")
    with pytest.raises(BadInputError, match="headers but no responses"):
        read_export(path)


def test_duplicated_and_missing_headers(tmp_path: Path) -> None:
    dup = _write(tmp_path, "dup.csv", b"Timestamp,Q,Q\n2025,a,b\n")
    with pytest.raises(BadInputError) as caught:
        read_export(dup)
    assert str(caught.value) == (
        f"{dup}, row 1, field 'Q': duplicate header 'Q' in columns 2 and 3"
    )
    gap = _write(tmp_path, "gap.csv", b"Timestamp,,Q\n2025,a,b\n")
    with pytest.raises(BadInputError, match=r"gap.csv, row 1: column 2 has no header"):
        read_export(gap)


def test_unknown_layout_asks_for_format(tmp_path: Path) -> None:
    path = _write(tmp_path, "what.csv", b"a,b\n1,2\n")
    with pytest.raises(BadInputError, match="--format"):
        read_export(path)


def test_likert_label_not_in_instrument_and_nothing_half_imported(
    study: Study, tmp_path: Path
) -> None:
    with GFORMS.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    column = rows[0].index("How often do you use AI-assisted mastering on your own releases?")
    rows[7][column] = "Hardly ever"  # file row 8
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    path = _write(tmp_path, "bad-label.csv", buffer.getvalue().encode("utf-8"))
    with study.open_store() as store:
        before = _counts(store)
        with pytest.raises(BadInputError) as caught:
            import_file(store, path, study.key(), instrument=load_instrument(EXAMPLE_INSTRUMENT))
        assert _counts(store) == before
    message = str(caught.value)
    assert message.startswith(
        f"{path}, row 8, field 'How often do you use AI-assisted mastering on your own releases?'"
    )
    assert "'Hardly ever' is not a Likert anchor of item 'usefreq'" in message


def test_a_failure_late_in_the_import_rolls_everything_back(study: Study) -> None:
    instrument = load_instrument(EXAMPLE_INSTRUMENT)
    with study.open_store() as store:
        import_file(store, GFORMS, study.key(), instrument=instrument)
        before = _counts(store)
        with pytest.raises(Exception, match="already imported"):
            import_file(store, GFORMS, study.key(), instrument=instrument)
        assert _counts(store) == before


def _counts(store) -> dict[str, int]:  # type: ignore[no-untyped-def]
    with store.connect() as connection:
        counts = count_records(connection)
        counts["imports"] = connection.execute(
            sa.text("SELECT count(*) FROM survey_imports")
        ).scalar_one()
    return counts


def test_cli_prints_one_line_and_exits_2(study: Study, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    path = _write(tmp_path, "empty.csv", b"")
    with pytest.raises(SystemExit) as exited:
        main(["--study", str(study.root), "import", "survey", str(path)])
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert err.strip() == f"earwitness: error: {path}: the file is empty"


def test_survey_export_csv_neutralises_formulas(study: Study, tmp_path: Path) -> None:
    text = GFORMS.read_text(encoding="utf-8").replace(
        "Fine for demos, never for a client master.", "=HYPERLINK(A1)", 1
    )
    path = _write(tmp_path, "formula.csv", text.encode("utf-8"))
    with study.open_store() as store:
        import_file(store, path, study.key(), instrument=load_instrument(EXAMPLE_INSTRUMENT))
        with store.connect() as connection:
            frame = export_table(connection, "survey")
    out = tmp_path / "survey.csv"
    write_table(frame, out, "csv")
    values = pd.read_csv(out)["value"].astype(str)
    assert not values.str.startswith("=").any()
    assert values.str.startswith("'=HYPERLINK").any()
    report = tmp_path / "report.csv"
    result = CliRunner().invoke(
        cli, ["--study", str(study.root), "survey", "report", "--csv", "--out", str(report)]
    )
    assert result.exit_code == 0, result.output
    cells = pd.read_csv(report, dtype=str).fillna("")
    assert not any(c.startswith(("=", "+", "@")) for c in cells.to_numpy().ravel())
