"""Answers as one tidy table: one row per answer, with what it was an answer about."""

from __future__ import annotations

from typing import Any

import pandas as pd
import sqlalchemy as sa

from earwitness.services import ServiceIndex
from earwitness.store import Store
from earwitness.store import schema as s
from earwitness.store.exports import listening_answers_query

__all__ = ["FRAME_COLUMNS", "answers_frame", "events_frame"]

FRAME_COLUMNS = [
    "answer_id",
    "test",
    "design",
    "session",
    "participant",
    "user_group",
    "trial",
    "presented",
    "song",
    "version_label",
    "version_kind",
    "service",
    "role",
    "versus_label",
    "versus_kind",
    "versus_service",
    "score",
    "choice",
    "answer",
    "tags",
    "answered_at",
    "simulated",
    "excluded",
    "exclusion_rule",
]


def _service(label: Any, services: ServiceIndex) -> str | None:
    """The canonical service of an ``ai:SERVICE[:SETTING]`` label (the study's services),
    else the label's SERVICE part as written."""
    if isinstance(label, str) and label.startswith("ai:"):
        return services.of_label(label) or label.split(":")[1]
    return None


def answers_frame(store: Store, test: str | None = None) -> pd.DataFrame:
    """Answers without screening columns (see :func:`ratings_frame`)."""
    with store.connect() as connection:
        result = connection.execute(listening_answers_query(test))
        frame = pd.DataFrame(result.fetchall(), columns=list(result.keys()))
    frame = frame.rename(columns={"choice": "answer"})
    services = ServiceIndex.load(store)
    frame["service"] = [_service(label, services) for label in frame["version_label"]]
    frame["versus_service"] = [_service(label, services) for label in frame["versus_label"]]
    frame["score"] = pd.to_numeric(frame["score"], errors="coerce").astype(float)
    frame["simulated"] = frame["simulated"].astype(bool)
    frame["choice"] = [_choice(row) for row in frame.itertuples(index=False)]
    frame["excluded"] = False
    frame["exclusion_rule"] = None
    return frame[[c for c in FRAME_COLUMNS if c in frame.columns]]


def _choice(row: Any) -> str | None:
    """ab: the chosen version's label or ``none``; abx: what X was judged to be (A or B)."""
    if row.design == "ab":
        return {"A": row.version_label, "B": row.versus_label, "none": "none"}.get(row.answer)
    if row.design == "abx":
        return str(row.answer) if row.answer is not None else None
    return None


def events_frame(store: Store, test: str) -> pd.DataFrame:
    """The event log of a test's sessions: session, kind, trial position, detail, client time."""
    e, se, t = s.listening_events, s.listening_sessions, s.listening_tests
    query = (
        sa.select(
            se.c.token.label("session"), e.c.kind, e.c.trial_id, e.c.detail, e.c.client_ms, e.c.at
        )
        .select_from(e.join(se, e.c.session_id == se.c.id).join(t, se.c.test_id == t.c.id))
        .where(t.c.name == test)
        .order_by(e.c.id)
    )
    with store.connect() as connection:
        result = connection.execute(query)
        return pd.DataFrame(result.fetchall(), columns=list(result.keys()))
