"""earwitness.analysis.listening: blind, loudness-matched listening tests.

Build a test from the study's registered song versions (``create_test``): the same
excerpt of every version, aligned, matched by gain alone to one loudness target, faded,
in one PCM format, with ITU-R BS.1534-3 anchors for MUSHRA. Run it in the browser
(``earwitness listen serve``), blind by construction; screen assessors (BS.1534-3
post-screening and a behavioural screen) and analyse the answers (``listening_report``).
Blind preference of AI masters over the human master has one computation
(``preference_trials``, ``preference_rates``) behind the report, ``earwitness export
ratings`` (``ratings_export``) and the dashboard.
Simulated listeners (``simulate_listeners``) are flagged simulated in every row.
"""

from __future__ import annotations

from earwitness.analysis.listening._create import create_test, list_tests
from earwitness.analysis.listening._export import ratings_export
from earwitness.analysis.listening._frame import FRAME_COLUMNS
from earwitness.analysis.listening._preference import (
    PREFERENCE_RATE_RULE,
    PREFERENCE_TRIAL_COLUMNS,
    preference_caveats,
    preference_rates,
    preference_trials,
    wilson_interval,
)
from earwitness.analysis.listening._report import (
    listening_report,
    ratings_frame,
    screening_report,
)
from earwitness.analysis.listening._session_ids import session_short_ids, short_session_id
from earwitness.analysis.listening._sessions import new_session, record_answer
from earwitness.analysis.listening._simulate import simulate_listeners

__all__ = [
    "FRAME_COLUMNS",
    "PREFERENCE_RATE_RULE",
    "PREFERENCE_TRIAL_COLUMNS",
    "create_test",
    "list_tests",
    "listening_report",
    "new_session",
    "preference_caveats",
    "preference_rates",
    "preference_trials",
    "ratings_export",
    "ratings_frame",
    "record_answer",
    "screening_report",
    "session_short_ids",
    "short_session_id",
    "simulate_listeners",
    "wilson_interval",
]
