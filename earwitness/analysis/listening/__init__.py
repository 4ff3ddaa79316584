"""earwitness.analysis.listening: blind, loudness-matched listening tests.

Build a test from the study's registered song versions (``create_test``): the same
excerpt of every version, aligned, matched by gain alone to one loudness target, faded,
in one PCM format, with ITU-R BS.1534-3 anchors for MUSHRA. Run it in the browser
(``earwitness listen serve``), blind by construction; screen assessors (BS.1534-3
post-screening and a behavioural screen) and analyse the answers (``listening_report``).
Simulated listeners (``simulate_listeners``) are flagged simulated in every row.
"""

from __future__ import annotations

from earwitness.analysis.listening._create import create_test, list_tests
from earwitness.analysis.listening._frame import FRAME_COLUMNS
from earwitness.analysis.listening._report import (
    listening_report,
    ratings_frame,
    screening_report,
)
from earwitness.analysis.listening._sessions import new_session, record_answer
from earwitness.analysis.listening._simulate import simulate_listeners

__all__ = [
    "FRAME_COLUMNS",
    "create_test",
    "list_tests",
    "listening_report",
    "new_session",
    "ratings_frame",
    "record_answer",
    "screening_report",
    "simulate_listeners",
]
