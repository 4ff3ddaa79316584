"""Simulated listeners, for demos and tests: every row they write is flagged simulated.

A listener's expected score for a condition follows its measured difference from the
item's reference at equal loudness: the residual energy of the matched stimuli,
``D = 10 log10(sum (x - r)^2 / sum r^2)`` dB (recorded in the manifest when the test is
built), mapped by a logistic curve to 0-100 (identical -> 100, D = -12 dB -> 50, so the
differences mastering chains make land in the upper half). The anchors are expected where
BS.1534-3 places them on its scale (the 3.5 kHz anchor "poor", 20; the 7 kHz anchor "fair",
45), since residual energy says little of band limiting on programme with little treble. In
ABX the chance of a right answer rises from 1/2 with the gap in expected score. Each
listener adds a bias and noise whose size
depends on the user group (professionals are the most consistent); one listener in ten
is careless and rates at random, so post-screening has someone to find. Everything is
drawn from ``seed``: the same call writes the same scores.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import sqlalchemy as sa

from earwitness.analysis.listening._sessions import (
    add_events,
    load_session,
    new_session,
    record_answer,
)
from earwitness.errors import BadInputError
from earwitness.groups import GROUPS
from earwitness.store import Store
from earwitness.store import schema as s
from earwitness.study import Study

__all__ = ["simulate_listeners"]

NOISE = {"amateur": 14.0, "pro-am": 9.0, "professional": 5.0, "unknown": 10.0}
CARELESS_SHARE = 0.1
_START = datetime(2026, 1, 1, tzinfo=UTC)


ANCHOR_EXPECTED = {"anchor35": 20.0, "anchor70": 45.0}


def _quality(difference_db: float, role: str | None = None) -> float:
    if role in ANCHOR_EXPECTED:
        return ANCHOR_EXPECTED[role]
    if not math.isfinite(difference_db):
        return 100.0
    return 100.0 / (1.0 + math.exp((difference_db + 12.0) / 3.0))


def _differences(connection: Any, test_id: int, design: str) -> dict[int, tuple[float, str | None]]:
    """Each stimulus's residual against its item's reference (the manifest's measure).

    Only ``mushra`` presents its reference as the best version. In the other designs the
    first version is rated like any other, so it is given the median residual of the
    item's other versions: simulated listeners then favour no version for being first
    (the human master, in a test of AI against human masters).
    """
    st, it = s.listening_stimuli, s.listening_items
    rows = connection.execute(
        sa.select(st.c.id, st.c.item_id, st.c.manifest)
        .select_from(st.join(it, st.c.item_id == it.c.id))
        .where(it.c.test_id == test_id)
    ).all()
    out: dict[int, tuple[float, str | None]] = {}
    firsts: dict[int, int] = {}
    others: dict[int, list[float]] = {}
    for stimulus, item, manifest in rows:
        value = manifest.get("residual_vs_first_db")
        difference = -math.inf if value is None else float(value)
        out[int(stimulus)] = (difference, manifest.get("role"))
        if math.isfinite(difference):
            others.setdefault(item, []).append(difference)
        else:
            firsts[int(stimulus)] = item
    if design != "mushra":
        for stimulus, item in firsts.items():
            if others.get(item):
                out[stimulus] = (float(np.median(others[item])), out[stimulus][1])
    return out


def _answer(
    design: str,
    plan: dict[str, Any],
    listener: dict[str, Any],
    differences: dict[int, tuple[float, str | None]],
    rng: np.random.Generator,
) -> dict[str, Any]:
    def expected(stimulus: int) -> float:
        return _quality(*differences[stimulus]) + listener["bias"]

    if design in ("mushra", "mushra-noref"):
        ratings = {}
        for slot in plan["slots"]:
            if listener["careless"]:
                value = rng.uniform(0, 100)
            else:
                value = expected(slot["stimulus"]) + rng.normal(0, listener["noise"])
            ratings[slot["token"]] = round(float(np.clip(value, 0, 100)), 1)
        return {"ratings": ratings}
    a, b = (slot["stimulus"] for slot in plan["slots"])
    if design == "ab":
        gap = expected(a) - expected(b) + rng.normal(0, listener["noise"])
        if abs(gap) < 2.0:
            return {"choice": "none", "tags": []}
        return {"choice": "A" if gap > 0 else "B", "tags": ["clarity"] if abs(gap) > 10 else []}
    audible = 0.5 + 0.5 * math.tanh(abs(expected(a) - expected(b)) / 15.0)
    right = rng.random() < (0.5 if listener["careless"] else audible)
    x_is = plan["x"]["is"]
    return {"choice": x_is if right else ("B" if x_is == "A" else "A")}


def _events(
    plan: dict[str, Any], index: int, clock: float, excerpt_s: float
) -> list[dict[str, Any]]:
    tokens = [slot["token"] for slot in plan["slots"]]
    events = [{"kind": "play", "trial": index, "t": clock, "detail": {"token": tokens[0]}}]
    step = 1000.0 * excerpt_s / max(1, len(tokens))
    for n, token in enumerate(tokens):
        events.append(
            {"kind": "switch", "trial": index, "t": clock + n * step, "detail": {"token": token}}
        )
    events.append({"kind": "stop", "trial": index, "t": clock + 1000.0 * (excerpt_s + 2.0)})
    return events


def simulate_listeners(
    store: Store,
    test: str,
    n: int,
    *,
    seed: int = 0,
    groups: Sequence[str] = GROUPS,
    study: Study | None = None,
    respondents: int = 0,
) -> int:
    """Write ``n`` complete sessions by simulated listeners; the number of answers written.

    Each listener is a new study participant of kind ``listener`` in one of ``groups``
    (taken in turn); ``study`` is needed only for its key (pseudonyms of new listeners);
    without it the pseudonym is keyed by the session token alone. With ``respondents``,
    that many of the ``n`` sessions (drawn by ``seed``) are tied to the study's survey
    respondents instead, in their user group, so a demo can set what they said against
    what they heard; their sessions and answers are flagged simulated like every other.
    """
    if n < 1 or not groups:
        raise BadInputError("simulate at least one listener in at least one group", field="--n")
    unknown = [g for g in groups if g not in s.USER_GROUPS]
    if unknown:
        raise BadInputError(
            f"unknown user group {unknown[0]!r}; choose from {', '.join(s.USER_GROUPS)}",
            field="groups",
        )
    with store.connect() as connection:
        row = connection.execute(
            sa.select(
                s.listening_tests.c.id, s.listening_tests.c.design, s.listening_tests.c.config
            ).where(s.listening_tests.c.name == test)
        ).first()
        if row is None:
            raise BadInputError(f"no listening test named {test!r}", field="TEST")
        test_id, design, config = int(row[0]), str(row[1]), dict(row[2])
        differences = _differences(connection, test_id, design)
    rng = np.random.default_rng(seed)
    tied = _respondents(store, min(respondents, n), rng)
    written = 0
    for index in range(n):
        group = groups[index % len(groups)]
        person: str | None = None
        if index < len(tied):
            person, group = tied[index][0], tied[index][1] or group
        listener = {
            "bias": float(rng.normal(0, 4)),
            "noise": NOISE.get(group, 10.0),
            "careless": bool(rng.random() < CARELESS_SHARE),
        }
        token = new_session(
            store, study, test, participant=person, group=group, simulated=True,
            seed=int(rng.integers(2**31)),
        )  # fmt: skip
        with store.connect() as connection:
            session = load_session(connection, token)
        at = _START + timedelta(days=index)
        for position, plan in enumerate(session.plan["trials"]):
            clock = position * 60000.0
            add_events(store, token, _events(plan, position, clock, config.get("excerpt_s", 10.0)))
            answer = _answer(design, plan, listener, differences, rng)
            record_answer(
                store, token, {"trial": position, **answer}, at=at + timedelta(minutes=position)
            )
            written += len(plan["slots"]) if design.startswith("mushra") else 1
    return written


def _respondents(
    store: Store, count: int, rng: np.random.Generator
) -> list[tuple[str, str | None]]:
    """``count`` survey respondents (pseudonym, user group), drawn without replacement."""
    if count < 1:
        return []
    p = s.participants
    with store.connect() as connection:
        people = connection.execute(
            sa.select(p.c.pseudonym, p.c.user_group)
            .where(p.c.kind == "respondent")
            .order_by(p.c.id)
        ).all()
    picked = rng.permutation(len(people))[:count]
    return [(str(people[i][0]), people[i][1]) for i in picked]
