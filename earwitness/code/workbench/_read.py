"""What the workbench shows: the document list, one document with its codings, the codebook.

Only pseudonyms leave the store (``participants.pseudonym``); the page renders every text
with ``textContent``. Offsets are code points, as the store and REFI-QDA export count.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from earwitness.code._codebook import read_codebook
from earwitness.errors import BadInputError
from earwitness.store.schema import (
    UNIT_KINDS,
    coders,
    codes,
    codings,
    document_status,
    documents,
    notes,
    participants,
    segments,
)

__all__ = ["PAGE", "codebook_tree", "document_view", "list_documents", "progress"]

PAGE = 200
VISIBLE = ("applied", "accepted")
# Tableau 10: a code without its own colour gets one from here, by its id.
PALETTE = ("#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f",
           "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac")  # fmt: skip


def _coder_id(connection: Connection, name: str) -> int | None:
    found = connection.scalar(sa.select(coders.c.id).where(coders.c.name == name))
    return None if found is None else int(found)


def codebook_tree(connection: Connection) -> list[dict[str, Any]]:
    """The codes parents first, each with its path, depth, colour and memo."""
    rows = {int(r.id): r for r in connection.execute(sa.select(codes))}
    by_guid = {str(r.guid): i for i, r in rows.items()}
    memos = _notes(connection, "code")
    tree = []
    for code in read_codebook(connection):
        code_id = by_guid[code.guid]
        row = rows[code_id]
        tree.append(
            {
                "id": code_id,
                "guid": code.guid,
                "name": code.name,
                "path": "/".join(code.path),
                "parent": None if row.parent_id is None else int(row.parent_id),
                "depth": len(code.path) - 1,
                "color": code.color or PALETTE[code_id % len(PALETTE)],
                "codable": code.codable,
                "definition": code.definition,
                "inclusion": code.inclusion,
                "exclusion": code.exclusion,
                "memo": memos.get(code_id),
            }
        )
    return tree


def _notes(
    connection: Connection, target_type: str, target_id: int | None = None
) -> dict[int, Any]:
    """The first note of each target (the one the workbench edits), by target id."""
    query = sa.select(notes.c.id, notes.c.target_id, notes.c.text).where(
        notes.c.target_type == target_type, notes.c.target_id.is_not(None)
    )
    if target_id is not None:
        query = query.where(notes.c.target_id == target_id)
    found: dict[int, Any] = {}
    for row in connection.execute(query.order_by(notes.c.id)):
        found.setdefault(int(row.target_id), {"id": int(row.id), "text": row.text})
    return found


def _filtered(
    coder_id: int | None,
    *,
    platform: str | None,
    kind: str | None,
    group: str | None,
    coded: str | None,
    code: int | None,
    search: str | None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> sa.Select[Any]:
    human = sa.select(codings.c.document_id).where(codings.c.status.in_(VISIBLE))
    query = sa.select(documents.c.id).outerjoin(
        participants, participants.c.id == documents.c.participant_id
    )
    if platform:
        query = query.where(documents.c.platform == platform)
    if kind:
        query = query.where(documents.c.kind == kind)
    if group:
        query = query.where(sa.func.coalesce(participants.c.user_group, "unknown") == group)
    if coded == "coded":
        query = query.where(documents.c.id.in_(human))
    elif coded == "uncoded":
        query = query.where(documents.c.id.not_in(human))
    elif coded == "mine":
        query = query.where(documents.c.id.in_(human.where(codings.c.coder_id == coder_id)))
    if code is not None:
        query = query.where(documents.c.id.in_(human.where(codings.c.code_id == code)))
    if since is not None:
        query = query.where(documents.c.authored_at >= since)
    if until is not None:
        query = query.where(documents.c.authored_at < until)
    if search:
        needle = search.strip().lower()
        query = query.where(
            sa.or_(
                sa.func.lower(documents.c.text).contains(needle, autoescape=True),
                sa.func.lower(sa.func.coalesce(documents.c.title, "")).contains(
                    needle, autoescape=True
                ),
            )
        )
    return query


def list_documents(
    connection: Connection,
    coder: str,
    *,
    platform: str | None = None,
    kind: str | None = None,
    group: str | None = None,
    coded: str | None = None,
    code: int | None = None,
    search: str | None = None,
    since: str | None = None,
    until: str | None = None,
    offset: int = 0,
) -> dict[str, Any]:
    """One page of documents matching the filters, with this coder's codings and done mark.

    ``since`` and ``until`` are ISO dates (UTC), ``until`` inclusive."""
    if coded not in (None, "", "coded", "uncoded", "mine"):
        raise BadInputError(f"coded must be coded, uncoded or mine, not {coded!r}", field="coded")
    coder_id = _coder_id(connection, coder)
    ids = _filtered(
        coder_id, platform=platform, kind=kind, group=group, coded=coded, code=code,
        search=search, since=_day(since, "since"), until=_day(until, "until", next_day=True),
    ).subquery()  # fmt: skip
    total = connection.scalar(sa.select(sa.func.count()).select_from(ids))
    mine = (
        sa.select(codings.c.document_id, sa.func.count().label("n"))
        .where(codings.c.coder_id == coder_id, codings.c.status.in_(VISIBLE))
        .group_by(codings.c.document_id)
        .subquery()
    )
    done = sa.select(document_status.c.document_id).where(document_status.c.coder_id == coder_id)
    query = (
        sa.select(
            documents.c.id,
            documents.c.platform,
            documents.c.native_id,
            documents.c.kind,
            documents.c.title,
            sa.func.substr(documents.c.text, 1, 160).label("preview"),
            sa.func.length(documents.c.text).label("chars"),
            participants.c.pseudonym,
            participants.c.user_group,
            sa.func.coalesce(mine.c.n, 0).label("mine"),
            documents.c.id.in_(done).label("done"),
        )
        .join(ids, ids.c.id == documents.c.id)
        .outerjoin(participants, participants.c.id == documents.c.participant_id)
        .outerjoin(mine, mine.c.document_id == documents.c.id)
        .order_by(documents.c.id)
        .limit(PAGE)
        .offset(max(0, offset))
    )
    rows = [
        {
            "id": int(r.id),
            "platform": r.platform,
            "native_id": r.native_id,
            "kind": r.kind,
            "title": r.title or "",
            "preview": r.preview or "",
            "chars": int(r.chars or 0),
            "pseudonym": r.pseudonym or "",
            "user_group": r.user_group or "unknown",
            "mine": int(r.mine),
            "done": bool(r.done),
        }
        for r in connection.execute(query)
    ]
    return {"total": int(total or 0), "offset": offset, "page": PAGE, "documents": rows}


def _day(value: str | None, field: str, *, next_day: bool = False) -> datetime | None:
    if not value:
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise BadInputError(f"{field}: {value!r} is not a date (YYYY-MM-DD)", field=field) from None
    start = datetime(day.year, day.month, day.day, tzinfo=UTC)
    return start + timedelta(days=1) if next_day else start


def filter_options(connection: Connection) -> dict[str, list[str]]:
    """The values the list's filters offer."""

    def distinct(column: sa.ColumnElement[Any]) -> list[str]:
        return sorted(str(v) for v in connection.scalars(sa.select(column).distinct()) if v)

    return {
        "platform": distinct(documents.c.platform),
        "kind": distinct(documents.c.kind),
        "group": distinct(participants.c.user_group),
    }


def progress(connection: Connection) -> list[dict[str, Any]]:
    """Per coder: documents with at least one of their codings, and documents marked done."""
    total = int(connection.scalar(sa.select(sa.func.count()).select_from(documents)) or 0)
    coded: dict[str, int] = dict(
        connection.execute(
            sa.select(coders.c.name, sa.func.count(sa.distinct(codings.c.document_id)))
            .join(codings, codings.c.coder_id == coders.c.id)
            .where(codings.c.origin == "human")
            .group_by(coders.c.name)
        ).all()
    )
    done: dict[str, int] = dict(
        connection.execute(
            sa.select(coders.c.name, sa.func.count())
            .join(document_status, document_status.c.coder_id == coders.c.id)
            .group_by(coders.c.name)
        ).all()
    )
    return [
        {
            "coder": name,
            "coded": int(coded.get(name, 0)),
            "done": int(done.get(name, 0)),
            "documents": total,
        }
        for name in sorted(set(coded) | set(done))
    ]


def _done_by(connection: Connection, document_id: int) -> dict[int, str]:
    return {
        int(r.id): str(r.name)
        for r in connection.execute(
            sa.select(coders.c.id, coders.c.name)
            .join(document_status, document_status.c.coder_id == coders.c.id)
            .where(document_status.c.document_id == document_id)
        )
    }


def document_view(
    connection: Connection, document_id: int, coder: str, *, blind: bool = False
) -> dict[str, Any]:
    """A document's text, author pseudonym, codings and memo.

    In blind mode another coder's codings are left out (and counted in ``hidden``) unless
    both this coder and that coder marked the document done.
    """
    row = connection.execute(
        sa.select(
            documents.c.id,
            documents.c.platform,
            documents.c.native_id,
            documents.c.kind,
            documents.c.title,
            documents.c.text,
            participants.c.pseudonym,
            participants.c.user_group,
        )
        .outerjoin(participants, participants.c.id == documents.c.participant_id)
        .where(documents.c.id == document_id)
    ).first()
    if row is None:
        raise BadInputError(f"no document {document_id} in the study", field="document")
    coder_id = _coder_id(connection, coder)
    done = _done_by(connection, document_id)
    shown, hidden = [], 0
    for coding in connection.execute(
        sa.select(
            codings.c.id,
            codings.c.code_id,
            codings.c.start,
            codings.c.end,
            codings.c.memo,
            codings.c.origin,
            codings.c.coder_id,
            coders.c.name.label("coder"),
        )
        .outerjoin(coders, coders.c.id == codings.c.coder_id)
        .where(
            codings.c.document_id == document_id,
            codings.c.origin == "human",  # an accepted suggestion is its reviewer's coding
            codings.c.status == "applied",
        )
        .order_by(codings.c.start, codings.c.end, codings.c.id)
    ):
        mine = coder_id is not None and coding.coder_id == coder_id
        if blind and not mine and not (coder_id in done and coding.coder_id in done):
            hidden += 1
            continue
        shown.append(
            {
                "id": int(coding.id),
                "code": int(coding.code_id),
                "start": int(coding.start),
                "end": int(coding.end),
                "memo": coding.memo,
                "origin": coding.origin,
                "coder": coding.coder or "",
                "mine": mine,
            }
        )
    return {
        "id": int(row.id),
        "platform": row.platform,
        "native_id": row.native_id,
        "kind": row.kind,
        "title": row.title or "",
        "text": row.text,
        "pseudonym": row.pseudonym or "",
        "user_group": row.user_group or "unknown",
        "codings": shown,
        "hidden": hidden,
        "done": sorted(done.values()),
        "memo": _notes(connection, "document", document_id).get(document_id),
        "proposals": _proposals(connection, document_id),
        "segments": [
            [int(r.start), int(r.end)]
            for r in connection.execute(
                sa.select(segments.c.start, segments.c.end)
                .where(segments.c.document_id == document_id, segments.c.kind.in_(UNIT_KINDS))
                .order_by(segments.c.start, segments.c.end)
            )
        ],
    }


def _proposals(connection: Connection, document_id: int) -> list[dict[str, Any]]:
    """The machine's pending suggestions in the document (``code suggest``)."""
    query = (
        sa.select(codings.c.id, codings.c.code_id, codings.c.start, codings.c.end,
                  codings.c.score, codings.c.model_id)
        .where(codings.c.document_id == document_id, codings.c.origin == "model",
               codings.c.status == "proposed")
        .order_by(codings.c.start, codings.c.end, codings.c.id)
    )  # fmt: skip
    return [
        {"id": int(r.id), "code": int(r.code_id), "start": int(r.start), "end": int(r.end),
         "score": r.score, "model": r.model_id or ""}
        for r in connection.execute(query)
    ]  # fmt: skip
