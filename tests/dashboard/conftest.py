"""A filled study on each backend, with listening ratings in the listening module's columns.

The filled study has no real audio to build a listening test from, so its ratings come from
``builders.ratings_frame`` (SIMULATED, in the columns of
``earwitness.analysis.listening.ratings_frame``), given to the dashboard in place of the
module's readers; the browser test and tests/demo run the real module on the demo study.
"""

from __future__ import annotations

import pytest

from earwitness.dashboard import _data
from earwitness.study import Study
from tests.dashboard.builders import fill_study, listening_stand_in


@pytest.fixture
def fake_listening(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_data, "listening", listening_stand_in())


@pytest.fixture
def filled(any_study: Study, fake_listening: None, monkeypatch: pytest.MonkeyPatch) -> Study:
    fill_study(any_study)
    monkeypatch.setenv("EARWITNESS_STUDY", str(any_study.root))
    return any_study
