"""Answers as one tidy table: one row per answer, with what it was an answer about."""

from __future__ import annotations

from typing import Any

import pandas as pd
import sqlalchemy as sa

from earwitness.services import ServiceIndex
from earwitness.store import Store
from earwitness.store import schema as s

__all__ = ["FRAME_COLUMNS", "answers_frame", "events_frame"]

FRAME_COLUMNS = [
    "test",
    "design",
    "session",
    "participant",
    "user_group",
    "trial",
    "presented",
    "song",
    "version_label",
    "service",
    "role",
    "versus_label",
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
    a, se, t, tr = s.listening_answers, s.listening_sessions, s.listening_tests, s.listening_trials
    st, versus, item = s.listening_stimuli, s.listening_stimuli.alias("vs"), s.listening_items
    v, vv, p = s.song_versions, s.song_versions.alias("vv"), s.participants
    query = (
        sa.select(
            t.c.name.label("test"),
            t.c.design,
            se.c.token.label("session"),
            p.c.pseudonym.label("participant"),
            p.c.user_group,
            tr.c.position.label("trial"),
            a.c.presented,
            s.songs.c.name.label("song"),
            v.c.label.label("version_label"),
            a.c.slot_role.label("role"),
            vv.c.label.label("versus_label"),
            a.c.score,
            a.c.choice.label("answer"),
            a.c.tags,
            a.c.answered_at,
            a.c.simulated,
        )
        .select_from(
            a.join(se, a.c.session_id == se.c.id)
            .join(t, se.c.test_id == t.c.id)
            .join(tr, a.c.trial_id == tr.c.id)
            .join(item, tr.c.item_id == item.c.id)
            .join(s.songs, item.c.song_id == s.songs.c.id)
            .join(st, a.c.stimulus_id == st.c.id)
            .join(v, st.c.version_id == v.c.id)
            .outerjoin(versus, a.c.versus_stimulus_id == versus.c.id)
            .outerjoin(vv, versus.c.version_id == vv.c.id)
            .outerjoin(p, se.c.participant_id == p.c.id)
        )
        .order_by(a.c.id)
    )
    if test is not None:
        query = query.where(t.c.name == test)
    with store.connect() as connection:
        result = connection.execute(query)
        frame = pd.DataFrame(result.fetchall(), columns=list(result.keys()))
    services = ServiceIndex.load(store)
    frame["service"] = [_service(label, services) for label in frame["version_label"]]
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
