"""`--study DIR` and `--db URL` are accepted after a command's name as well as before it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from earwitness.study import Study, init_study
from tests.helpers import invoke_cli


@pytest.fixture
def study(tmp_path: Path) -> Study:
    return init_study(tmp_path / "study")


def test_status_takes_study_after_the_command_name(study: Study, tmp_path: Path) -> None:
    before = invoke_cli("--study", str(study.root), "status", "--json", cwd=tmp_path)
    after = invoke_cli("status", "--json", "--study", str(study.root), cwd=tmp_path)
    assert before.code == after.code == 0, after.stderr
    assert json.loads(after.stdout) == json.loads(before.stdout)


@pytest.mark.parametrize(
    "command",
    [
        ["dashboard", "--study", "{missing}"],
        ["code", "agreement", "--study", "{missing}"],
        ["code", "--study", "{missing}", "codebook", "show"],
        ["export", "documents", "--study", "{missing}"],
        ["db", "upgrade", "--study", "{missing}"],
        ["listen", "report", "t", "--study", "{missing}"],
        ["audio", "measure", "--study", "{missing}"],
        ["groups", "--study", "{missing}", "coverage"],
        ["services", "--study", "{missing}"],
    ],
)
def test_every_command_takes_study_after_its_name(command: list[str], tmp_path: Path) -> None:
    missing = tmp_path / "no-study-here"
    missing.mkdir()
    result = invoke_cli(*(part.replace("{missing}", str(missing)) for part in command))
    assert "No such option" not in result.stderr
    assert result.code == 2, result.stderr
    assert f"{missing}: not a study" in result.stderr  # the folder named after the command


def test_a_later_study_wins_over_an_earlier_one(study: Study, tmp_path: Path) -> None:
    other = tmp_path / "other"
    other.mkdir()
    result = invoke_cli("--study", str(other), "status", "--json", "--study", str(study.root))
    assert result.code == 0, result.stderr
    assert json.loads(result.stdout)["study"] == str(study.root)


def test_db_after_the_command_name_opens_that_database(study: Study, tmp_path: Path) -> None:
    second = init_study(tmp_path / "second")
    url = f"sqlite:///{second.root / 'study.db'}"
    after = invoke_cli("status", "--json", "--study", str(study.root), "--db", url)
    before = invoke_cli("--db", url, "--study", str(study.root), "status", "--json")
    for result in (after, before):
        assert result.code == 0, result.stderr
        assert str(second.root / "study.db") in json.loads(result.stdout)["database"]
    assert 'db_url = ""' in (study.root / "earwitness.toml").read_text()  # never saved


def test_init_keeps_its_own_db_option(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'elsewhere.db'}"
    result = invoke_cli("init", str(tmp_path / "study"), "--db", url)
    assert result.code == 0, result.stderr
    assert (tmp_path / "elsewhere.db").stat().st_size > 0
    assert not (tmp_path / "study" / "study.db").exists()
