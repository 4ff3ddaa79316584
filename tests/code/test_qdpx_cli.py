"""`earwitness code import-qdpx` and `export-qdpx`: summaries as tables and as JSON."""

from __future__ import annotations

import json
import re
import zipfile
from pathlib import Path

from click.testing import CliRunner

from earwitness.cli import cli
from earwitness.study import Study


def _run(study: Study, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["--study", str(study.root), "code", *args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result.exit_code, result.stdout


def test_import_reports_coders_and_unit_as_json(study: Study, shared_dir: Path) -> None:
    path = shared_dir / "fixtures" / "refi-qda" / "nvivo12-oltas0517.qdpx"
    code, out = _run(study, "import-qdpx", str(path), "--json")
    report = json.loads(out)
    assert code == 0
    assert (report["codes"], report["codings"], report["codings_new"]) == (152, 303, 303)
    assert report["offset_unit"].startswith("UTF-16")
    assert sorted(c["codings"] for c in report["coders"]) == [6, 297]
    assert report["undeclared_coders"] == [] and report["unanchored"] == []


def test_import_table_warns_about_undeclared_coders(
    study: Study, shared_dir: Path, tmp_path: Path
) -> None:
    source = shared_dir / "fixtures" / "refi-qda" / "nvivo12-oltas_teszt.qdpx"
    path = tmp_path / "undeclared.qdpx"
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(path, "w") as new:
        for info in old.infolist():
            data = old.read(info)
            if info.filename == "project.qde":
                data = re.sub(rb'<User guid="83405960[^>]*/>', b"", data)
            new.writestr(info, data)
    result = CliRunner().invoke(cli, ["--study", str(study.root), "code", "import-qdpx", str(path)])
    assert result.exit_code == 0
    assert "undeclared coders" in result.stdout
    assert "27 codings by user 83405960" in result.stderr


def test_export_writes_a_project_and_summarises_it(study: Study, tmp_path: Path) -> None:
    target = tmp_path / "out.qdpx"
    code, out = _run(study, "export-qdpx", str(target), "--json")
    assert code == 0 and zipfile.is_zipfile(target)
    assert json.loads(out)["file"] == str(target)
