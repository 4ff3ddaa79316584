"""Writing the records every area shares: sources, participants, documents, coders.

The deduplication rule for collected items lives here, once: a document's key is
(platform, native id). Collecting it again updates its score and edited text in
place; a later ``[deleted]`` or ``[removed]`` marks its status and keeps the text
collected earlier.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, NamedTuple

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from earwitness import __version__
from earwitness.errors import EarwitnessError
from earwitness.privacy import sha256_text
from earwitness.store.schema import (
    USER_GROUPS,
    coders,
    documents,
    participants,
    sources,
    utcnow,
)

__all__ = [
    "DELETED_MARKERS",
    "DocumentRecord",
    "Outcome",
    "ensure_coder",
    "ensure_participant",
    "ensure_participants",
    "insert_ignoring_conflicts",
    "insert_survey_responses",
    "record_source",
    "rewrite_documents",
    "set_user_group",
    "upsert_document",
    "upsert_documents",
]

DELETED_MARKERS = {"[deleted]": "deleted", "[removed]": "removed"}
Outcome = Literal["new", "updated", "unchanged", "deleted"]

# A namespace for document guids, so the same item gets the same REFI-QDA guid everywhere.
# Keys per IN (...) lookup: well under SQLite's and PostgreSQL's bound-parameter limits.
_LOOKUP_CHUNK = 500

_DOCUMENT_NAMESPACE = uuid.UUID("0c7b5a52-5d0e-4f1b-9a51-6e6172776974")


@dataclass
class DocumentRecord:
    """One post, comment, transcript turn or answer, already pseudonymised and masked."""

    platform: str
    native_id: str
    text: str
    kind: str = "post"
    parent_native_id: str | None = None
    thread_native_id: str | None = None
    participant_id: int | None = None
    source_id: int | None = None
    title: str | None = None
    quoted: str | None = None
    url: str | None = None
    score: int | None = None
    authored_at: datetime | None = None
    edited_at: datetime | None = None
    speaker_role: str | None = None
    start_s: float | None = None
    end_s: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def guid(self) -> str:
        return str(uuid.uuid5(_DOCUMENT_NAMESPACE, f"{self.platform}:{self.native_id}"))


def _new_id(result: sa.CursorResult[Any]) -> int:
    key = result.inserted_primary_key
    if key is None:
        raise RuntimeError("the database returned no id for a new row")
    return int(key[0])


def ensure_participant(connection: Connection, pseudonym: str, *, kind: str = "author") -> int:
    """The id of the participant with this pseudonym, created if new."""
    return ensure_participants(connection, [pseudonym], kind=kind)[pseudonym]


def ensure_participants(
    connection: Connection, pseudonyms: Iterable[str], *, kind: str = "author"
) -> dict[str, int]:
    """The id of each pseudonym's participant; the new ones are created in one statement."""
    wanted = list(dict.fromkeys(pseudonyms))
    ids: dict[str, int] = {}
    for chunk in _chunked(wanted):
        rows = connection.execute(
            sa.select(participants.c.pseudonym, participants.c.id).where(
                participants.c.pseudonym.in_(chunk)
            )
        )
        ids.update((row.pseudonym, int(row.id)) for row in rows)
    missing = [name for name in wanted if name not in ids]
    if missing:
        # ON CONFLICT DO NOTHING: another process may create the same pseudonym at the
        # same moment (PostgreSQL); then its row is the one found below.
        connection.execute(
            insert_ignoring_conflicts(connection, participants),
            [{"pseudonym": name, "kind": kind, "extra": {}} for name in missing],
        )
        for chunk in _chunked(missing):
            rows = connection.execute(
                sa.select(participants.c.pseudonym, participants.c.id).where(
                    participants.c.pseudonym.in_(chunk)
                )
            )
            ids.update((row.pseudonym, int(row.id)) for row in rows)
    return ids


def insert_ignoring_conflicts(connection: Connection, table: sa.Table) -> Any:
    """``INSERT … ON CONFLICT DO NOTHING`` for this connection's dialect: a row that a
    concurrent writer inserted first is left as it is, not an error."""
    if connection.dialect.name == "postgresql":
        return postgresql.insert(table).on_conflict_do_nothing()
    return sqlite.insert(table).on_conflict_do_nothing()


def _chunked(values: Sequence[Any], size: int = _LOOKUP_CHUNK) -> Iterator[Sequence[Any]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _insert_returning_ids(
    connection: Connection, table: sa.Table, rows: list[dict[str, Any]]
) -> list[int]:
    """Insert ``rows`` with one executemany; their new ids, in the order of ``rows``."""
    if not rows:
        return []
    result = connection.execute(
        table.insert().returning(table.c.id, sort_by_parameter_order=True), rows
    )
    return [int(row_id) for row_id in result.scalars()]


def set_user_group(
    connection: Connection,
    participant_id: int,
    group: str,
    *,
    method: str,
    confidence: float | None = None,
) -> None:
    if group not in USER_GROUPS:
        raise ValueError(f"user group must be one of {', '.join(USER_GROUPS)}, not {group!r}")
    connection.execute(
        participants.update()
        .where(participants.c.id == participant_id)
        .values(user_group=group, group_method=method, group_confidence=confidence)
    )


def ensure_coder(
    connection: Connection, name: str, *, declared: bool = True, guid: str | None = None
) -> int:
    """The id of the coder with this name, created if new (concurrent first uses of one
    name by several processes create one coder)."""
    query = sa.select(coders.c.id).where(coders.c.name == name)
    found = connection.execute(query).scalar()
    if found is not None:
        return int(found)
    connection.execute(
        insert_ignoring_conflicts(connection, coders).values(
            name=name, declared=declared, guid=guid or str(uuid.uuid4()), extra={}
        )
    )
    created = connection.execute(query).scalar()
    if created is None:
        raise EarwitnessError(f"coder {name!r}: its guid {guid} already belongs to another coder")
    return int(created)


def record_source(
    connection: Connection,
    platform: str,
    *,
    url: str | None = None,
    native_id: str | None = None,
    query: str | None = None,
    raw_pointer: str | None = None,
    content_sha256: str | None = None,
    fetched_at: datetime | None = None,
    extra: dict[str, Any] | None = None,
) -> int:
    """Record where a batch of items came from; return the source id."""
    result = connection.execute(
        sources.insert().values(
            platform=platform,
            url=url,
            native_id=native_id,
            query=query,
            raw_pointer=raw_pointer,
            content_sha256=content_sha256,
            fetched_at=fetched_at or utcnow(),
            tool_version=__version__,
            extra=extra or {},
        )
    )
    return _new_id(result)


def upsert_document(connection: Connection, record: DocumentRecord) -> tuple[int, Outcome]:
    """Insert or update one document by (platform, native id); say what happened."""
    return upsert_documents(connection, [record])[0]


def upsert_documents(
    connection: Connection, records: Sequence[DocumentRecord]
) -> list[tuple[int, Outcome]]:
    """Insert or update documents by (platform, native id); say what happened to each.

    The result is in the order of ``records`` and is what writing them one at a time
    would give: a key that comes again sees its earlier record. Each run of distinct
    keys costs one lookup, one insert and at most two updates, whatever its length.
    """
    results: list[tuple[int, Outcome]] = []
    run: list[DocumentRecord] = []
    keys: set[tuple[str, str]] = set()
    for record in records:
        key = (record.platform, record.native_id)
        if key in keys:
            results.extend(_upsert_distinct(connection, run))
            run, keys = [], set()
        run.append(record)
        keys.add(key)
    if run:
        results.extend(_upsert_distinct(connection, run))
    return results


def _upsert_distinct(
    connection: Connection, records: Sequence[DocumentRecord]
) -> list[tuple[int, Outcome]]:
    existing = _existing_documents(connection, records)
    results: list[tuple[int, Outcome] | None] = [None] * len(records)
    inserts: list[tuple[int, dict[str, Any]]] = []
    marks: list[dict[str, Any]] = []
    edits: list[dict[str, Any]] = []
    for index, record in enumerate(records):
        found = existing.get((record.platform, record.native_id))
        deleted_as = DELETED_MARKERS.get(record.text.strip())
        if found is None:
            values = _document_values(record)
            values["status"] = deleted_as or "active"
            inserts.append((index, values))
            continue
        document_id = found.id
        if deleted_as:
            if found.status != deleted_as:
                marks.append({"b_id": document_id, "b_status": deleted_as, "b_score": record.score})
            outcome: Outcome = "unchanged" if found.status == deleted_as else "deleted"
        elif found.text == record.text and found.score == record.score:
            outcome = "unchanged"
        else:
            edits.append(_edit_values(document_id, record))
            outcome = "updated"
        results[index] = (document_id, outcome)
    new_ids = _insert_returning_ids(connection, documents, [v for _, v in inserts])
    for (index, values), document_id in zip(inserts, new_ids, strict=True):
        results[index] = (document_id, "new" if values["status"] == "active" else "deleted")
    now = utcnow()
    if marks:
        connection.execute(_MARK_DELETED, [{**row, "b_updated_at": now} for row in marks])
    if edits:
        connection.execute(_EDIT_TEXT, [{**row, "b_updated_at": now} for row in edits])
    return [result for result in results if result is not None]


class _Stored(NamedTuple):
    id: int
    text: str
    score: int | None
    status: str


def _existing_documents(
    connection: Connection, records: Sequence[DocumentRecord]
) -> dict[tuple[str, str], _Stored]:
    by_platform: dict[str, list[str]] = {}
    for record in records:
        by_platform.setdefault(record.platform, []).append(record.native_id)
    found: dict[tuple[str, str], _Stored] = {}
    for platform, native_ids in by_platform.items():
        for chunk in _chunked(native_ids):
            rows = connection.execute(
                sa.select(
                    documents.c.id,
                    documents.c.native_id,
                    documents.c.text,
                    documents.c.score,
                    documents.c.status,
                ).where(documents.c.platform == platform, documents.c.native_id.in_(chunk))
            )
            found.update(
                ((platform, row.native_id), _Stored(int(row.id), row.text, row.score, row.status))
                for row in rows
            )
    return found


def rewrite_documents(connection: Connection, rows: Sequence[Mapping[str, Any]]) -> None:
    """Store re-masked ``text``, ``quoted``, ``title``, ``url`` and ``extra`` by ``id``.

    For privacy rewrites (a handle learnt after the document was written): the text's
    hash follows the text; ``updated_at`` and the edit history are left alone.
    """
    if not rows:
        return
    connection.execute(
        documents.update()
        .where(documents.c.id == sa.bindparam("b_id"))
        .values(
            text=sa.bindparam("b_text"),
            text_sha256=sa.bindparam("b_text_sha256"),
            quoted=sa.bindparam("b_quoted"),
            title=sa.bindparam("b_title"),
            url=sa.bindparam("b_url"),
            extra=sa.bindparam("b_extra"),
        ),
        [
            {
                "b_id": row["id"],
                "b_text": row["text"],
                "b_text_sha256": sha256_text(row["text"]),
                "b_quoted": row["quoted"],
                "b_title": row["title"],
                "b_url": row["url"],
                "b_extra": row["extra"],
            }
            for row in rows
        ],
    )


def _edit_values(document_id: int, record: DocumentRecord) -> dict[str, Any]:
    return {
        "b_id": document_id,
        "b_text": record.text,
        "b_text_sha256": sha256_text(record.text),
        "b_score": record.score,
        "b_edited_at": record.edited_at,
        "b_source_id": record.source_id,
    }


_MARK_DELETED = (
    documents.update()
    .where(documents.c.id == sa.bindparam("b_id"))
    .values(
        status=sa.bindparam("b_status"),
        score=sa.bindparam("b_score"),
        updated_at=sa.bindparam("b_updated_at"),
    )
)
_EDIT_TEXT = (
    documents.update()
    .where(documents.c.id == sa.bindparam("b_id"))
    .values(
        text=sa.bindparam("b_text"),
        text_sha256=sa.bindparam("b_text_sha256"),
        score=sa.bindparam("b_score"),
        edited_at=sa.bindparam("b_edited_at"),
        source_id=sa.bindparam("b_source_id"),
        updated_at=sa.bindparam("b_updated_at"),
    )
)


def _document_values(record: DocumentRecord) -> dict[str, Any]:
    return {
        "guid": record.guid,
        "platform": record.platform,
        "native_id": record.native_id,
        "parent_native_id": record.parent_native_id,
        "thread_native_id": record.thread_native_id,
        "source_id": record.source_id,
        "participant_id": record.participant_id,
        "kind": record.kind,
        "title": record.title,
        "text": record.text,
        "quoted": record.quoted,
        "text_sha256": sha256_text(record.text),
        "url": record.url,
        "score": record.score,
        "authored_at": record.authored_at,
        "edited_at": record.edited_at,
        "speaker_role": record.speaker_role,
        "start_s": record.start_s,
        "end_s": record.end_s,
        "extra": record.extra,
    }


def insert_survey_responses(connection: Connection, rows: Sequence[tuple[Any, ...]]) -> None:
    """Insert answers as (import_id, participant_id, item_id, value, value_num, label) rows.

    One executemany through the driver: these columns need no type processing, and
    SQLAlchemy's per-row parameter handling took as long as the insert itself.
    """
    mark = "?" if connection.dialect.paramstyle == "qmark" else "%s"
    connection.exec_driver_sql(
        "INSERT INTO survey_responses (import_id, participant_id, item_id, value, value_num, "
        f"label) VALUES ({', '.join([mark] * 6)})",
        list(rows),
    )
