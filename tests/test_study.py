from __future__ import annotations

from pathlib import Path

import pytest

from earwitness.errors import EarwitnessError, StudyNotFoundError
from earwitness.study import Study, find_study, init_study


def test_explicit_folder_beats_the_environment_which_beats_the_cwd(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    a, b, c = (init_study(tmp_path / name) for name in "abc")
    monkeypatch.chdir(c.root)
    assert find_study().root == c.root
    monkeypatch.setenv("EARWITNESS_STUDY", str(b.root))
    assert find_study().root == b.root
    assert find_study(a.root).root == a.root


def test_a_folder_without_a_study_is_refused(tmp_path: Path) -> None:
    with pytest.raises(StudyNotFoundError, match="not a study"):
        find_study(tmp_path)
    with pytest.raises(StudyNotFoundError, match="no study found"):
        find_study(start=tmp_path)


def test_malformed_settings_are_one_clear_error(study: Study) -> None:
    study.config_path.write_text("keep_raw = maybe\n")
    with pytest.raises(EarwitnessError, match="malformed TOML"):
        Study.load(study.root)
    study.config_path.write_text('keep_raw = "no"\n')
    with pytest.raises(EarwitnessError, match="'keep_raw' must be bool"):
        Study.load(study.root)


def test_the_database_url_can_come_from_the_environment(
    study: Study, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert study.db_url.endswith("study.db")
    monkeypatch.setenv("EARWITNESS_DB_URL", "postgresql://team@127.0.0.1/shared")
    assert study.db_url == "postgresql://team@127.0.0.1/shared"


def test_the_key_is_secret_and_stable(study: Study) -> None:
    key = study.key()
    assert len(key) == 32 and key == Study.load(study.root).key()
    assert "secret.key" in (study.root / ".gitignore").read_text()
