"""Fixtures for the survey tests: the shared Qualtrics exports and a table dumper."""

from __future__ import annotations

from pathlib import Path

import pytest

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
