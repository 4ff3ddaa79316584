"""Fixtures for the survey tests: the shared Qualtrics exports and a table dumper."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from earwitness.store import Store, schema

FIXTURES = Path(__file__).with_name("fixtures")
EXAMPLE_INSTRUMENT = (
    Path(__file__).resolve().parents[2] / "data" / "instruments" / "ai-mastering-adoption.yaml"
)


@pytest.fixture
def qualtrics_csv(shared_dir: Path) -> Path:
    return shared_dir / "fixtures" / "survey" / "qualtrics-sample.csv"


@pytest.fixture
def qualtrics_legacy_csv(shared_dir: Path) -> Path:
    return shared_dir / "fixtures" / "survey" / "qualtrics-sample-legacy.csv"


def dump_database(store: Store) -> str:
    """Every row of every table of the study, as text."""
    lines = []
    with store.connect() as connection:
        for table in schema.metadata.sorted_tables:
            for row in connection.execute(sa.select(table)):
                lines.append(f"{table.name}: {tuple(row)!r}")
        lines.extend(
            f"alembic: {row!r}"
            for row in connection.exec_driver_sql("SELECT * FROM alembic_version")
        )
    return "\n".join(lines)
