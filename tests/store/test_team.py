"""Team mode: a second coder joins a shared study with its key, checked by fingerprint."""

from __future__ import annotations

import hashlib
import hmac
from pathlib import Path

import pytest
import sqlalchemy as sa

from earwitness.errors import EarwitnessError
from earwitness.privacy import pseudonym
from earwitness.store import Store, ensure_participant, key_fingerprint
from earwitness.store.schema import participants, study_meta
from earwitness.study import find_study, init_study, join_study
from tests.helpers import run_cli


def test_init_on_a_database_that_holds_a_study_is_refused(tmp_path: Path, pg_url: str) -> None:
    assert run_cli("init", str(tmp_path / "a"), "--db", pg_url).code == 0
    result = run_cli("init", str(tmp_path / "b"), "--db", pg_url)
    assert result.code == 2
    assert result.stderr.count("\n") == 1
    assert "already holds a study" in result.stderr and "earwitness join" in result.stderr
    assert not (tmp_path / "b").exists()


def test_a_joined_folder_gives_the_same_author_the_same_participant(
    tmp_path: Path, pg_url: str
) -> None:
    first = init_study(tmp_path / "a", db_url=pg_url)
    shared_key = tmp_path / "from-a-colleague.key"  # passed on out of band
    shared_key.write_bytes((first.root / "secret.key").read_bytes())
    result = run_cli("join", str(tmp_path / "b"), "--db", pg_url, "--key-file", str(shared_key))
    assert result.code == 0, result.stderr
    second = find_study(tmp_path / "b")
    assert second.key() == first.key()
    assert (second.root / "secret.key").stat().st_mode & 0o777 == 0o600
    for study in (first, second):
        with study.open_store() as store, store.transaction() as connection:
            ensure_participant(connection, pseudonym("u/SameMixer", study.key()))
    with Store.open(pg_url) as store, store.connect() as connection:
        assert (
            connection.execute(sa.select(sa.func.count()).select_from(participants)).scalar() == 1
        )


def test_join_with_another_key_is_refused_and_leaves_nothing(tmp_path: Path, pg_url: str) -> None:
    init_study(tmp_path / "a", db_url=pg_url)
    wrong = tmp_path / "wrong.key"
    wrong.write_text("ab" * 32 + "\n")
    result = run_cli("join", str(tmp_path / "b"), "--db", pg_url, "--key-file", str(wrong))
    assert result.code == 2
    assert "does not match the study database's key fingerprint" in result.stderr
    assert result.stderr.count("\n") == 1
    assert not (tmp_path / "b").exists()
    missing = run_cli("join", str(tmp_path / "c"), "--db", pg_url)
    assert missing.code == 2 and "--key-file" in missing.stderr


def test_join_refuses_a_database_without_a_study(tmp_path: Path, pg_url: str) -> None:
    key = tmp_path / "k"
    key.write_text("cd" * 32)
    with pytest.raises(EarwitnessError, match="holds no earwitness study"):
        join_study(tmp_path / "b", db_url=pg_url, key_file=key)


def test_the_fingerprint_is_an_hmac_of_a_label_never_the_key(tmp_path: Path) -> None:
    study = init_study(tmp_path / "s")
    key = study.key()
    with study.open_store() as store, store.connect() as connection:
        stored = connection.execute(sa.select(study_meta.c.value)).scalar_one()
    expected = hmac.new(key, b"earwitness key fingerprint v1", hashlib.sha256).hexdigest()
    assert stored == expected == key_fingerprint(key)
    assert key.hex() not in stored


def test_a_folder_whose_key_differs_from_the_database_is_refused(tmp_path: Path) -> None:
    study = init_study(tmp_path / "s")
    (study.root / "secret.key").write_text("ef" * 32 + "\n")
    result = run_cli("--study", str(study.root), "export", "documents")
    assert result.code == 2
    assert "does not match" in result.stderr


def test_db_upgrade_records_the_fingerprint_of_an_older_study(tmp_path: Path, pg_url: str) -> None:
    first = init_study(tmp_path / "a", db_url=pg_url)
    with Store.open(pg_url) as store, store.transaction() as connection:
        connection.execute(study_meta.delete())  # as a study made before fingerprints
    key = tmp_path / "k"
    key.write_bytes((first.root / "secret.key").read_bytes())
    with pytest.raises(EarwitnessError, match="no key fingerprint yet"):
        join_study(tmp_path / "b", db_url=pg_url, key_file=key)
    assert run_cli("--study", str(first.root), "db", "upgrade").code == 0
    joined = join_study(tmp_path / "b", db_url=pg_url, key_file=key)
    assert joined.key() == first.key()


def test_init_with_a_new_or_a_taken_sqlite_file(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    assert run_cli("init", str(tmp_path / "a"), "--db", url).code == 0
    taken = run_cli("init", str(tmp_path / "b"), "--db", url)
    assert taken.code == 2 and "earwitness join" in taken.stderr


def test_join_with_the_key_already_copied_into_the_folder(tmp_path: Path, pg_url: str) -> None:
    first = init_study(tmp_path / "a", db_url=pg_url)
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "secret.key").write_bytes((first.root / "secret.key").read_bytes())
    result = run_cli("join", str(tmp_path / "b"), "--db", pg_url)
    assert result.code == 0, result.stderr
    assert find_study(tmp_path / "b").key() == first.key()
    assert (tmp_path / "b" / "secret.key").stat().st_mode & 0o777 == 0o600
