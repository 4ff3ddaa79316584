"""Writing the records every area shares: sources, participants, documents, coders.

The deduplication rule for collected items lives here, once: a document's key is
(platform, native id). Collecting it again updates its score and edited text in
place; a later ``[deleted]`` or ``[removed]`` marks its status and keeps the text
collected earlier.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from earwitness import __version__
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
    "record_source",
    "set_user_group",
    "upsert_document",
]

DELETED_MARKERS = {"[deleted]": "deleted", "[removed]": "removed"}
Outcome = Literal["new", "updated", "unchanged", "deleted"]

# A namespace for document guids, so the same item gets the same REFI-QDA guid everywhere.
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
    found = connection.execute(
        sa.select(participants.c.id).where(participants.c.pseudonym == pseudonym)
    ).scalar()
    if found is not None:
        return int(found)
    result = connection.execute(
        participants.insert().values(pseudonym=pseudonym, kind=kind, extra={})
    )
    return _new_id(result)


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
    """The id of the coder with this name, created if new."""
    found = connection.execute(sa.select(coders.c.id).where(coders.c.name == name)).scalar()
    if found is not None:
        return int(found)
    result = connection.execute(
        coders.insert().values(
            name=name, declared=declared, guid=guid or str(uuid.uuid4()), extra={}
        )
    )
    return _new_id(result)


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
    existing = connection.execute(
        sa.select(documents.c.id, documents.c.text, documents.c.score, documents.c.status).where(
            documents.c.platform == record.platform, documents.c.native_id == record.native_id
        )
    ).first()
    deleted_as = DELETED_MARKERS.get(record.text.strip())
    if existing is None:
        values = _document_values(record)
        if deleted_as:
            values["status"] = deleted_as
        result = connection.execute(documents.insert().values(**values))
        return _new_id(result), "deleted" if deleted_as else "new"
    document_id = int(existing.id)
    if deleted_as:
        if existing.status == deleted_as:
            return document_id, "unchanged"
        connection.execute(
            documents.update()
            .where(documents.c.id == document_id)
            .values(status=deleted_as, score=record.score, updated_at=utcnow())
        )
        return document_id, "deleted"
    if existing.text == record.text and existing.score == record.score:
        return document_id, "unchanged"
    connection.execute(
        documents.update()
        .where(documents.c.id == document_id)
        .values(
            text=record.text,
            text_sha256=sha256_text(record.text),
            score=record.score,
            edited_at=record.edited_at,
            source_id=record.source_id,
            updated_at=utcnow(),
        )
    )
    return document_id, "updated"


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
