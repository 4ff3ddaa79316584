"""Fixtures for the survey tests: the shared Qualtrics exports and a table dumper."""

from __future__ import annotations

from pathlib import Path

import pytest

from earwitness.resources import STARTER_INSTRUMENT, data_path

FIXTURES = Path(__file__).with_name("fixtures")
EXAMPLE_INSTRUMENT = data_path("instruments", STARTER_INSTRUMENT)


@pytest.fixture
def qualtrics_csv(shared_dir: Path) -> Path:
    return shared_dir / "fixtures" / "survey" / "qualtrics-sample.csv"


@pytest.fixture
def qualtrics_legacy_csv(shared_dir: Path) -> Path:
    return shared_dir / "fixtures" / "survey" / "qualtrics-sample-legacy.csv"
