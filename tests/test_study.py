from __future__ import annotations

from pathlib import Path

import pytest

from earwitness.errors import BadInputError, EarwitnessError, StudyNotFoundError
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


def test_a_misspelt_setting_is_refused_with_the_closest_valid_one(study: Study) -> None:
    study.config_path.write_text(study.config_path.read_text() + "host_dealy_s = 2.0\n")
    with pytest.raises(BadInputError) as raised:
        Study.load(study.root)
    message = str(raised.value)
    assert message == (
        f"{study.config_path}: unknown setting 'host_dealy_s'; did you mean 'host_delay_s'? "
        "(`earwitness settings` lists them all)"
    )
    assert "\n" not in message


def test_an_unknown_setting_without_a_close_one_is_refused(study: Study) -> None:
    study.config_path.write_text(study.config_path.read_text() + "zzz = 1\n")
    with pytest.raises(BadInputError, match=r"unknown setting 'zzz'; `earwitness settings` lists"):
        Study.load(study.root)


def test_area_tables_are_known_settings(study: Study) -> None:
    study.config_path.write_text(
        study.config_path.read_text() + '\n[gazetteer]\nLANDR = ["landr", "lander"]\n'
    )
    assert Study.load(study.root).settings["gazetteer"] == {"LANDR": ["landr", "lander"]}
    study.config_path.write_text(study.config_path.read_text() + "\n[gazeteer]\nX = []\n")
    with pytest.raises(BadInputError, match="did you mean 'gazetteer'"):
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
