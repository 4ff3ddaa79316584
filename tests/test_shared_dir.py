"""The tests find the shared fixtures through $EARWITNESS_SHARED, else ../shared."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import find_shared_dir


def test_the_environment_variable_wins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EARWITNESS_SHARED", str(tmp_path))
    assert find_shared_dir() == tmp_path


def test_without_it_the_folder_beside_the_project(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("EARWITNESS_SHARED", raising=False)
    assert find_shared_dir() == Path(__file__).resolve().parents[1].parent / "shared"
