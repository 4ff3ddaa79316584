"""Sessions: one listener's run of a test, its plan, its answers and its event log.

Blind by construction: a session's plan maps opaque random tokens (fresh for every
session, and different for the reference and the hidden reference) to stimulus ids.
Only tokens, slot letters and the design leave the server; labels, services, file
names and sha256s never do. The trial order and the order of stimuli within a trial
are drawn from a per-session seed that the session records.
"""

from __future__ import annotations

import json
import math
import random
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from earwitness.analysis.listening._limits import ServerLimits
from earwitness.errors import BadInputError
from earwitness.privacy import pseudonym
from earwitness.store import Store, ensure_participant, set_user_group
from earwitness.store import schema as s
from earwitness.study import Study

__all__ = [
    "AnswerError",
    "Session",
    "add_events",
    "load_session",
    "new_session",
    "public_state",
    "record_answer",
    "set_crowd_id",
]

MAX_EVENTS = 500
EVENT_KINDS = frozenset(
    {
        "stage",
        "play",
        "stop",
        "switch",
        "loop",
        "slider",
        "volume",
        "choice",
        "tag",
        "headphone",
        "visibility",
        "error",
    }
)
AB_CHOICES = ("A", "B", "none")


class AnswerError(Exception):
    """A request the session refuses: ``status`` is the HTTP status to answer with."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}


@dataclass
class Session:
    id: int
    test_id: int
    token: str
    design: str
    plan: dict[str, Any]
    progress: int
    status: str
    simulated: bool
    completion_code: str | None
    config: dict[str, Any]


def _token() -> str:
    return secrets.token_urlsafe(16)


def _slot_plan(
    design: str, trial_id: int, stimuli: list[int], rng: random.Random
) -> dict[str, Any]:
    if design == "mushra":
        ref, rest = stimuli[0], stimuli[1:]
        roles = ["hidden_reference"] + ["condition"] * (len(rest) - 2) + ["anchor35", "anchor70"]
        slots = [{"token": _token(), "stimulus": ref, "role": "hidden_reference"}]
        slots += [
            {"token": _token(), "stimulus": st, "role": r}
            for st, r in zip(rest, roles[1:], strict=True)
        ]
        rng.shuffle(slots)
        return {
            "trial": trial_id,
            "reference": {"token": _token(), "stimulus": ref},
            "slots": slots,
        }
    if design == "mushra-noref":
        slots = [{"token": _token(), "stimulus": st, "role": "condition"} for st in stimuli]
        rng.shuffle(slots)
        return {"trial": trial_id, "slots": slots}
    slots = [{"token": _token(), "stimulus": st, "role": "condition"} for st in stimuli]
    plan: dict[str, Any] = {"trial": trial_id, "slots": slots}
    if design == "abx":
        plan["x"] = {"token": _token(), "is": rng.choice("AB")}
    return plan


def _roles(connection: Connection, ids: Sequence[int]) -> dict[int, str]:
    st = s.listening_stimuli
    return dict(connection.execute(sa.select(st.c.id, st.c.role).where(st.c.id.in_(ids))).all())


def new_session(
    store: Store,
    study: Study | None,
    test: str,
    *,
    participant: str | None = None,
    group: str | None = None,
    crowd_id: str | None = None,
    simulated: bool = False,
    seed: int | None = None,
) -> str:
    """Create a session of ``test``; its token. ``participant`` ties it to a study pseudonym."""
    seed = secrets.randbits(48) if seed is None else seed
    rng = random.Random(seed)
    token = _token()
    with store.transaction() as connection:
        test_id, design = _test(connection, test)
        trials = connection.execute(
            sa.select(s.listening_trials.c.id, s.listening_trials.c.stimuli)
            .where(s.listening_trials.c.test_id == test_id)
            .order_by(s.listening_trials.c.position)
        ).all()
        order = list(trials)
        rng.shuffle(order)
        plan = {"trials": [_slot_plan(design, int(tid), list(ids), rng) for tid, ids in order]}
        participant_id = _participant(connection, study, participant, token, group)
        connection.execute(
            s.listening_sessions.insert().values(
                test_id=test_id,
                participant_id=participant_id,
                token=token,
                seed=seed,
                plan=plan,
                crowd_id=crowd_id,
                completion_code=secrets.token_hex(4).upper(),
                status="open",
                progress=0,
                simulated=simulated,
            )
        )
    return token


def _test(connection: Connection, name: str) -> tuple[int, str]:
    row = connection.execute(
        sa.select(s.listening_tests.c.id, s.listening_tests.c.design).where(
            s.listening_tests.c.name == name
        )
    ).first()
    if row is None:
        raise BadInputError(f"no listening test named {name!r}", field="TEST")
    return int(row[0]), str(row[1])


def _participant(
    connection: Connection, study: Study | None, given: str | None, token: str, group: str | None
) -> int:
    if given is not None:
        found = connection.scalar(
            sa.select(s.participants.c.id).where(s.participants.c.pseudonym == given)
        )
        if found is None:
            raise BadInputError(
                f"no study participant with pseudonym {given!r}", field="--participant"
            )
        return int(found)
    # a new listener's handle is random; the study key (or a one-off key) makes it a pseudonym
    key = study.key() if study is not None else secrets.token_bytes(32)
    participant_id = ensure_participant(
        connection, pseudonym(f"listener:{token}", key), kind="listener"
    )
    if group is not None:
        set_user_group(connection, participant_id, group, method="listening-test")
    return participant_id


def load_session(connection: Connection, token: str) -> Session:
    se, t = s.listening_sessions, s.listening_tests
    row = connection.execute(
        sa.select(
            se.c.id,
            se.c.test_id,
            se.c.token,
            t.c.design,
            se.c.plan,
            se.c.progress,
            se.c.status,
            se.c.simulated,
            se.c.completion_code,
            t.c.config,
        )
        .select_from(se.join(t, se.c.test_id == t.c.id))
        .where(se.c.token == token)
    ).first()
    if row is None:
        raise AnswerError(404, "unknown session")
    return Session(*row)  # type: ignore[call-arg]


def public_state(session: Session) -> dict[str, Any]:
    """What the page may know: design, counts, progress, and the current trial's tokens."""
    trials = session.plan["trials"]
    state: dict[str, Any] = {
        "design": session.design,
        "trials": len(trials),
        "progress": session.progress,
        "complete": session.status == "complete",
        "headphone_check": bool(session.config.get("headphone_check")),
        "excerpt_s": session.config.get("excerpt_s"),
    }
    if session.status == "complete":
        state["completion_code"] = session.completion_code
    else:
        state["trial"] = trial_view(session, session.progress)
        state["training"] = trial_view(session, 0)
    return state


def trial_view(session: Session, index: int) -> dict[str, Any]:
    plan = session.plan["trials"][index]
    view: dict[str, Any] = {"index": index, "slots": [slot["token"] for slot in plan["slots"]]}
    if "reference" in plan:
        view["reference"] = plan["reference"]["token"]
    if "x" in plan:
        view["x"] = plan["x"]["token"]
    return view


def stimulus_for(session: Session, token: str) -> int:
    """The stimulus id behind a token of this session (any trial)."""
    for trial in session.plan["trials"]:
        for slot in trial["slots"]:
            if slot["token"] == token:
                return int(slot["stimulus"])
        if trial.get("reference", {}).get("token") == token:
            return int(trial["reference"]["stimulus"])
        if trial.get("x", {}).get("token") == token:
            return int(trial["slots"]["AB".index(trial["x"]["is"])]["stimulus"])
    raise AnswerError(404, "unknown stimulus")


def _trial_number(answer: dict[str, Any]) -> int:
    trial = answer.get("trial")
    if isinstance(trial, bool) or not isinstance(trial, int) or trial < 0:
        raise AnswerError(422, "trial is a whole number from 0 (not a boolean or a decimal)")
    return trial


def _check_shape(design: str, answer: dict[str, Any]) -> None:
    """Types and ranges that do not depend on the trial: checked before the order."""
    _trial_number(answer)
    if design in ("mushra", "mushra-noref"):
        ratings = answer.get("ratings")
        if not isinstance(ratings, dict) or not ratings:
            raise AnswerError(422, "ratings map each stimulus token to a score")
        for score in ratings.values():
            if (
                isinstance(score, bool)
                or not isinstance(score, int | float)
                or not 0 <= score <= 100
            ):
                raise AnswerError(422, "scores are numbers from 0 to 100")
        return
    allowed = AB_CHOICES if design == "ab" else ("A", "B")
    if answer.get("choice") not in allowed:
        raise AnswerError(422, f"choice must be one of {', '.join(allowed)}")
    tags = answer.get("tags", [])
    if (
        not isinstance(tags, list)
        or len(tags) > 20
        or not all(isinstance(t, str) and 0 < len(t) <= 40 for t in tags)
    ):
        raise AnswerError(422, "tags are up to 20 short strings")


def _rows(session: Session, plan: dict[str, Any], answer: dict[str, Any]) -> list[dict[str, Any]]:
    base = {
        "session_id": session.id,
        "trial_id": plan["trial"],
        "presented": session.progress,
        "simulated": session.simulated,
    }
    slots = plan["slots"]
    if session.design in ("mushra", "mushra-noref"):
        ratings = answer["ratings"]
        if set(ratings) != {slot["token"] for slot in slots}:
            raise AnswerError(422, "rate every stimulus of the trial, and only those")
        return [
            {
                **base,
                "stimulus_id": slot["stimulus"],
                "slot_role": slot["role"],
                "score": float(ratings[slot["token"]]),
                "tags": [],
            }
            for slot in slots
        ]
    choice = answer["choice"]
    score = None
    if session.design == "abx":
        score = 1.0 if choice == plan["x"]["is"] else 0.0
    return [
        {
            **base,
            "stimulus_id": slots[0]["stimulus"],
            "versus_stimulus_id": slots[1]["stimulus"],
            "slot_role": "condition",
            "choice": choice,
            "tags": answer.get("tags", []),
            "score": score,
        }
    ]


def record_answer(
    store: Store, token: str, answer: dict[str, Any], *, at: datetime | None = None
) -> dict[str, Any]:
    """Write one trial's answer as given, in one transaction; refuse replays and skips."""
    with store.transaction() as connection:
        session = load_session(connection, token)
        _check_shape(session.design, answer)
        if session.status == "complete":
            raise AnswerError(409, "the session is complete")
        if _trial_number(answer) != session.progress:
            raise AnswerError(409, f"expected the answer to trial {session.progress}")
        plan = session.plan["trials"][session.progress]
        rows = _rows(session, plan, answer)
        if at is not None:
            for row in rows:
                row["answered_at"] = at
        connection.execute(s.listening_answers.insert(), rows)
        progress = session.progress + 1
        done = progress == len(session.plan["trials"])
        values: dict[str, Any] = {"progress": progress, "status": "complete" if done else "started"}
        if done:
            values["completed_at"] = at or s.utcnow()
        if session.progress == 0:
            values["started_at"] = at or s.utcnow()
        updated = connection.execute(
            s.listening_sessions.update()
            .where(
                s.listening_sessions.c.id == session.id,
                s.listening_sessions.c.progress == session.progress,
            )
            .values(**values)
        )
        if updated.rowcount != 1:
            raise AnswerError(409, "the answer was already given")
        session.progress, session.status = progress, values["status"]
    return public_state(session)


_CROWD_ID = re.compile(r"^[A-Za-z0-9._-]{1,128}$")


def set_crowd_id(store: Store, token: str, crowd_id: Any) -> bool:
    """Record the crowd-sourcing ID from the link's query string; the first one stays."""
    if not isinstance(crowd_id, str) or not _CROWD_ID.match(crowd_id):
        raise AnswerError(422, "a crowd ID is 1 to 128 letters, digits, dots, dashes or _")
    with store.transaction() as connection:
        session = load_session(connection, token)
        updated = connection.execute(
            s.listening_sessions.update()
            .where(
                s.listening_sessions.c.id == session.id, s.listening_sessions.c.crowd_id.is_(None)
            )
            .values(crowd_id=crowd_id)
        )
    return bool(updated.rowcount)


def _event_rows(session: Session, events: list[Any], simulated: bool) -> list[dict[str, Any]]:
    trials = session.plan["trials"]
    rows = []
    for event in events:
        if not isinstance(event, dict) or event.get("kind") not in EVENT_KINDS:
            raise AnswerError(422, "each event has a known kind")
        index = event.get("trial")
        trial_id = None
        if isinstance(index, int) and not isinstance(index, bool) and 0 <= index < len(trials):
            trial_id = trials[index]["trial"]
        detail = event.get("detail", {})
        client = event.get("t")
        client_ms = None
        if isinstance(client, int | float) and not isinstance(client, bool):
            try:
                client_ms = float(client)
            except OverflowError:
                raise AnswerError(422, "an event's t is a time in milliseconds") from None
            if not math.isfinite(client_ms):
                raise AnswerError(422, "an event's t is a time in milliseconds")
        rows.append(
            {
                "session_id": session.id,
                "trial_id": trial_id,
                "kind": event["kind"],
                "detail": detail if isinstance(detail, dict) else {},
                "client_ms": client_ms,
                "simulated": simulated,
            }
        )
    return rows


def _logged(connection: Connection, session_id: int) -> tuple[int, int]:
    """Events a session has logged and the characters of their detail as JSON."""
    ev, se = s.listening_events, s.listening_sessions
    # lock the session's row (PostgreSQL) so that two batches cannot both pass the bound
    connection.execute(sa.select(se.c.id).where(se.c.id == session_id).with_for_update())
    count, size = connection.execute(
        sa.select(
            sa.func.count(),
            sa.func.coalesce(sa.func.sum(sa.func.length(sa.cast(ev.c.detail, sa.Text))), 0),
        ).where(ev.c.session_id == session_id)
    ).one()
    return int(count), int(size)


def add_events(
    store: Store,
    token: str,
    events: Any,
    *,
    simulated: bool | None = None,
    limits: ServerLimits | None = None,
) -> int:
    """Append a batch of page events (kind, trial index, detail, client time).

    A session logs at most ``limits.events_per_session`` events holding at most
    ``limits.event_bytes_per_session`` characters of detail; a batch past either bound is
    refused whole with 429.
    """
    limits = limits or ServerLimits.from_settings()
    if not isinstance(events, list) or len(events) > MAX_EVENTS:
        raise AnswerError(422, f"events are a list of at most {MAX_EVENTS}")
    with store.transaction() as connection:
        session = load_session(connection, token)
        rows = _event_rows(session, events, session.simulated if simulated is None else simulated)
        if not rows:
            return 0
        count, size = _logged(connection, session.id)
        size += sum(len(json.dumps(row["detail"])) for row in rows)
        if count + len(rows) > limits.events_per_session or size > limits.event_bytes_per_session:
            raise AnswerError(
                429,
                f"this session has logged its {limits.events_per_session} events or "
                f"{limits.event_bytes_per_session} characters of event detail",
            )
        connection.execute(s.listening_events.insert(), rows)
    return len(rows)
