"""A study made at an older schema keeps opening, with its data, after migrations."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import sqlalchemy as sa

from earwitness.errors import SchemaMismatchError
from earwitness.store import Store, export_table
from earwitness.study import Study, find_study

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "studies"
FIXTURE_VERSIONS = sorted(p.name[1:] for p in FIXTURES.glob("v*") if p.is_dir())


def _copy(version: str, tmp_path: Path) -> Study:
    target = tmp_path / f"v{version}"
    shutil.copytree(FIXTURES / f"v{version}", target)
    return find_study(target)


def test_there_is_a_fixture_study_for_every_schema_revision(tmp_path: Path) -> None:
    with Store.open(f"sqlite:///{tmp_path / 'x.db'}", check_schema=False) as store:
        revisions = set(store.known_versions())
    missing = revisions - set(FIXTURE_VERSIONS)
    assert not missing, f"make fixture studies for {sorted(missing)} with make_fixture_study.py"


@pytest.mark.parametrize("version", FIXTURE_VERSIONS)
def test_an_old_study_is_refused_until_upgraded_then_keeps_its_data(
    version: str, tmp_path: Path
) -> None:
    study = _copy(version, tmp_path)
    with Store.open(study.db_url, check_schema=False) as store:
        head = store.head_version()
        if version != head:
            with pytest.raises(SchemaMismatchError, match="earwitness db upgrade"):
                store.check_schema()
        before, after = store.upgrade()
        assert (before, after) == (version, head)
        store.check_schema()
        with store.connect() as connection:
            codings = export_table(connection, "codings")
            documents = export_table(connection, "documents")
    assert len(documents) == 1
    assert documents.iloc[0]["author_pseudonym"].startswith("p_")
    assert codings.iloc[0]["coded_text"] == "the low end got muddy"
    assert codings.iloc[0]["code_name"] == "Perceived quality"


def test_a_newer_schema_is_refused(study: Study) -> None:
    with study.open_store() as store, store.transaction() as connection:
        connection.execute(sa.text("UPDATE alembic_version SET version_num = '9999'"))
    with pytest.raises(SchemaMismatchError, match="newer than this earwitness"):
        study.open_store()


def test_upgrade_from_the_first_revision_on_postgresql(pg_url: str) -> None:
    with Store.open(pg_url, check_schema=False) as store:
        first = store.known_versions()[-1]
        store.upgrade(first)
        with pytest.raises(SchemaMismatchError, match="older"):
            store.check_schema()
        before, after = store.upgrade()
        assert before == first and after == store.head_version()
        tables = set(sa.inspect(store.engine).get_table_names())
    assert {"documents", "codings", "embeddings", "audio_metrics"} <= tables


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_the_migrations_build_exactly_the_declared_schema(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from earwitness.store.schema import metadata

    url = (
        f"sqlite:///{tmp_path / 'x.db'}"
        if backend == "sqlite"
        else request.getfixturevalue("pg_url")
    )
    with Store.open(url, check_schema=False) as store:
        store.upgrade()
        with store.engine.connect() as connection:
            drift = compare_metadata(MigrationContext.configure(connection), metadata)
    assert drift == [], "schema.py and the migrations disagree: write a migration"
