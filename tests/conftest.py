"""Fixtures every test area shares: studies on SQLite and on a real PostgreSQL server."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from earwitness.store import Store
from earwitness.study import Study, init_study

# No test may reach the network: models and data load from local files.
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
for _name in ("EARWITNESS_STUDY", "EARWITNESS_DB_URL"):
    os.environ.pop(_name, None)

PG_ADMIN_URL = os.environ.get(
    "EARWITNESS_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


def find_shared_dir() -> Path:
    """$EARWITNESS_SHARED if set, else ``shared/`` beside the project (../shared)."""
    configured = os.environ.get("EARWITNESS_SHARED")
    return Path(configured) if configured else Path(__file__).resolve().parents[1].parent / "shared"


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """The real data the tests read (never copied into the repo): see find_shared_dir."""
    path = find_shared_dir()
    if not path.is_dir():
        pytest.fail(
            f"{path} is missing: the tests need the shared fixtures; set EARWITNESS_SHARED "
            "to their folder, or put them in ../shared beside the project"
        )
    return path


@pytest.fixture
def study(tmp_path: Path) -> Study:
    """A new study on SQLite."""
    return init_study(tmp_path / "study", name="test study")


@pytest.fixture
def store(study: Study) -> Iterator[Store]:
    with study.open_store() as opened:
        yield opened


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A new, empty PostgreSQL database on the local server, dropped afterwards."""
    name = f"ew_test_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    except sa.exc.OperationalError as exc:
        pytest.fail(f"PostgreSQL is not reachable at {PG_ADMIN_URL}: {exc}")
    url = sa.engine.make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    yield url
    with admin.connect() as connection:
        connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def any_study(request: pytest.FixtureRequest, tmp_path: Path) -> Study:
    """A new study on each backend: SQLite, then a real PostgreSQL database."""
    if request.param == "sqlite":
        return init_study(tmp_path / "study", name="sqlite study")
    url = request.getfixturevalue("pg_url")
    return init_study(tmp_path / "study", name="postgres study", db_url=url)


@pytest.fixture(scope="session")
def built_demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Any]:
    """The demo study (`earwitness demo DIR --no-serve --no-suggest`) and the command's
    result, built once per test process (it takes 30-45 s) for the modules that only read
    it: the demo's own checks, the terminal tables and the dashboard in Chromium."""
    from click.testing import CliRunner

    from earwitness.cli import cli

    target = tmp_path_factory.mktemp("demo") / "demo-study"
    return target, CliRunner().invoke(cli, ["demo", str(target), "--no-serve", "--no-suggest"])
