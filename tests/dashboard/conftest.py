"""A filled study on each backend, with the listening-test module stood in for."""

from __future__ import annotations

import sys
from collections.abc import Iterator

import pytest

from earwitness.study import Study
from tests.dashboard.builders import fill_study, install_fake_listening


@pytest.fixture
def fake_listening() -> Iterator[None]:
    saved = sys.modules.get("earwitness.analysis.listening")
    install_fake_listening()
    yield
    if saved is None:
        sys.modules.pop("earwitness.analysis.listening", None)
    else:
        sys.modules["earwitness.analysis.listening"] = saved


@pytest.fixture
def filled(any_study: Study, fake_listening: None, monkeypatch: pytest.MonkeyPatch) -> Study:
    fill_study(any_study)
    monkeypatch.setenv("EARWITNESS_STUDY", str(any_study.root))
    return any_study
