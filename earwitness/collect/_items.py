"""Collected items and the writer every collector shares.

A collector turns responses into :class:`CollectedItem` objects and hands them, one page
at a time, to an :class:`ItemWriter`. The writer makes them private (keyed pseudonyms,
masked text), archives the raw responses, records provenance and stores the page's
items together with the collection cursor in ONE transaction. A collection killed at
any point therefore resumes from the last committed page: no gaps, no duplicates.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from earwitness.collect._evidence import EVIDENCE_KEY, evidence_rows
from earwitness.errors import EarwitnessError
from earwitness.privacy import Masker, pseudonym, redact_url
from earwitness.store import DocumentRecord, RawArchive, insert_ignoring_conflicts, record_source
from earwitness.store.records import (
    DELETED_MARKERS,
    Outcome,
    ensure_participants,
    upsert_documents,
)
from earwitness.store.schema import collection_cursors, collection_seen, group_evidence, utcnow

if TYPE_CHECKING:
    from earwitness.store import Store
    from earwitness.study import Study

__all__ = ["CollectedItem", "ItemWriter", "RawResponse", "RunSummary"]


@dataclass
class CollectedItem:
    """One post, comment or reply as collected: raw text and handle, not yet private."""

    platform: str
    native_id: str
    kind: str
    text: str
    author: str | None
    thread_native_id: str | None = None
    parent_native_id: str | None = None
    title: str | None = None
    quoted: str | None = None
    url: str | None = None
    score: int | None = None
    authored_at: datetime | None = None
    edited_at: datetime | None = None
    flair: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class RawResponse:
    """One HTTP response (or one batch of dump lines) to archive as received."""

    url: str
    status: int
    headers: Mapping[str, str]
    body: str | bytes


@dataclass
class RunSummary:
    """What a collection run did, for the summary table and the JSON report."""

    new: int = 0
    updated: int = 0
    deleted: int = 0
    unchanged: int = 0
    skipped_seen: int = 0
    requests: int = 0
    wait_s: float = 0.0
    capped: list[str] = field(default_factory=list)

    def count(self, outcome: Outcome) -> None:
        setattr(self, outcome, getattr(self, outcome) + 1)

    @property
    def items(self) -> int:
        return self.new + self.updated + self.deleted + self.unchanged

    def as_rows(self) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = [
            {"measure": "new", "value": self.new},
            {"measure": "updated", "value": self.updated},
            {"measure": "deleted", "value": self.deleted},
            {"measure": "unchanged", "value": self.unchanged},
            {"measure": "already seen (resumed)", "value": self.skipped_seen},
            {"measure": "requests", "value": self.requests},
            {"measure": "rate-limit wait (s)", "value": round(self.wait_s, 1)},
            {"measure": "listings at the ~1000 cap", "value": len(self.capped)},
        ]
        rows.extend({"measure": "capped", "value": listing} for listing in self.capped)
        return rows


_ABSENT_AUTHORS = {"", "[deleted]", "[removed]"}


class ItemWriter:
    """Writes pages of collected items for one (source, query) with its cursor.

    Each :meth:`write_page` is one transaction: raw archive pointers, source rows,
    participants (keyed pseudonyms), documents (masked text, deduplicated on
    (platform, native id)), group evidence, the ids seen and the cursor state.

    ``track_seen=False`` suits sources whose cursor is a position (dump files): the
    set of ids seen is then neither stored nor held in memory.
    """

    def __init__(
        self,
        study: Study,
        store: Store,
        *,
        source: str,
        query_key: str,
        query: str | None = None,
        summary: RunSummary | None = None,
        track_seen: bool = True,
    ) -> None:
        self.study = study
        self.store = store
        self.source = source
        self.query_key = query_key
        self.query = query
        self.summary = summary if summary is not None else RunSummary()
        self.track_seen = track_seen
        self._key = study.key()
        self._masker = Masker(self._key)
        self._archive = RawArchive(study.raw_dir, enabled=study.keep_raw)
        self._cursor_id: int | None = None
        self._generation = 0
        self._state: dict[str, Any] = {}
        self._done = False
        self._seen: set[str] = set()
        self._load()

    def _load(self) -> None:
        with self.store.connect() as connection:
            row = connection.execute(
                sa.select(
                    collection_cursors.c.id,
                    collection_cursors.c.state,
                    collection_cursors.c.done,
                    collection_cursors.c.generation,
                ).where(
                    collection_cursors.c.source == self.source,
                    collection_cursors.c.query_key == self.query_key,
                )
            ).first()
            if row is None:
                return
            self._cursor_id = int(row.id)
            self._generation = int(row.generation)
            self._state = dict(row.state or {})
            self._done = bool(row.done)
            if not self.track_seen:
                return
            self._seen = set(
                connection.execute(
                    sa.select(collection_seen.c.native_id).where(
                        collection_seen.c.cursor_id == self._cursor_id
                    )
                ).scalars()
            )

    def resume_state(self) -> dict[str, Any]:
        """The cursor state saved by the last committed page (``{}`` if new)."""
        return dict(self._state)

    def seen(self, native_id: str) -> bool:
        """Whether this item was already written under this cursor."""
        return native_id in self._seen

    def is_done(self) -> bool:
        return self._done

    def reset_pass(self, keep: Sequence[str] = ()) -> None:
        """Start a new pass over a finished cursor: forget the ids seen, keep ``keep``."""
        state = {name: self._state[name] for name in keep if name in self._state}
        with self.store.transaction() as connection:
            if self._cursor_id is not None:
                connection.execute(
                    collection_seen.delete().where(collection_seen.c.cursor_id == self._cursor_id)
                )
            self._cursor_id = self._save_cursor(connection, state, False)
        self._generation += 1
        self._state, self._done, self._seen = state, False, set()

    def reset(self) -> None:
        """Forget this cursor so the next run starts from the beginning (items stay)."""
        with self.store.transaction() as connection:
            if self._cursor_id is not None:
                connection.execute(
                    collection_seen.delete().where(collection_seen.c.cursor_id == self._cursor_id)
                )
                connection.execute(
                    collection_cursors.delete().where(collection_cursors.c.id == self._cursor_id)
                )
        self._cursor_id, self._state, self._done, self._seen = None, {}, False, set()
        self._generation = 0

    def write_page(
        self,
        items: Sequence[CollectedItem],
        *,
        responses: Sequence[RawResponse] = (),
        state: Mapping[str, Any],
        done: bool = False,
        provenance: Mapping[str, Any] | None = None,
    ) -> None:
        """Store one page of items, its responses and the cursor state, all or nothing.

        ``provenance`` describes a page that has no HTTP response (a dump file's lines):
        ``url``, ``native_id``, ``content_sha256`` and ``extra`` for its source row.
        """
        pointers = [self._archive_response(response) for response in responses]
        new_ids = (
            [i.native_id for i in items if i.native_id not in self._seen] if self.track_seen else []
        )
        with self.store.transaction() as connection:
            # The cursor first: a second import of the same file and query waits here for
            # the first one's page, then finds the cursor moved and writes nothing.
            cursor_id = self._save_cursor(connection, state, done)
            source_ids = self._record_sources(connection, responses, pointers, provenance)
            self._write_items(connection, items, source_ids[0] if source_ids else None)
            if new_ids:
                self.store.upsert(
                    connection,
                    collection_seen,
                    [{"cursor_id": cursor_id, "native_id": n} for n in dict.fromkeys(new_ids)],
                    key=("cursor_id", "native_id"),
                )
        self._cursor_id = cursor_id
        self._generation += 1
        self._state = dict(state)
        self._done = done
        self._seen.update(new_ids)

    def _archive_response(self, response: RawResponse) -> str | None:
        return self._archive.append(
            self.source,
            url=response.url,
            status=response.status,
            headers=response.headers,
            body=response.body,
            extra={"query_key": self.query_key},
        )

    def _record_sources(
        self,
        connection: Connection,
        responses: Sequence[RawResponse],
        pointers: Sequence[str | None],
        provenance: Mapping[str, Any] | None,
    ) -> list[int]:
        fetched_at = utcnow()
        ids = [
            record_source(
                connection,
                self.source,
                url=redact_url(response.url),
                query=self.query,
                raw_pointer=pointer,
                content_sha256=_sha256(response.body),
                fetched_at=fetched_at,
                extra={"status": response.status, "query_key": self.query_key},
            )
            for response, pointer in zip(responses, pointers, strict=True)
        ]
        if provenance is not None:
            ids.append(
                record_source(
                    connection,
                    self.source,
                    url=provenance.get("url"),
                    native_id=provenance.get("native_id"),
                    query=self.query,
                    content_sha256=provenance.get("content_sha256"),
                    fetched_at=fetched_at,
                    extra={"query_key": self.query_key, **dict(provenance.get("extra") or {})},
                )
            )
        return ids

    def _write_items(
        self, connection: Connection, items: Sequence[CollectedItem], source_id: int | None
    ) -> None:
        """Participants, documents and group evidence of a page, a few statements each."""
        handles = {
            author: pseudonym(author, self._key)
            for author in dict.fromkeys(item.author for item in items)
            if author is not None and author.strip() not in _ABSENT_AUTHORS
        }
        participant_ids = ensure_participants(connection, handles.values())
        mask = self._masker.mask
        records = [
            DocumentRecord(
                platform=item.platform,
                native_id=item.native_id,
                text=mask(item.text),
                kind=item.kind,
                parent_native_id=item.parent_native_id,
                thread_native_id=item.thread_native_id,
                participant_id=participant_ids[handles[item.author]]
                if item.author in handles
                else None,
                source_id=source_id,
                title=mask(item.title) if item.title is not None else None,
                quoted=mask(item.quoted) if item.quoted is not None else None,
                url=item.url,
                score=item.score,
                authored_at=item.authored_at,
                edited_at=item.edited_at,
                extra=dict(item.extra),
            )
            for item in items
        ]
        evidence: list[dict[str, Any]] = []
        written = upsert_documents(connection, records)
        for item, record, (document_id, outcome) in zip(items, records, written, strict=True):
            self.summary.count(outcome)
            if record.participant_id is not None and record.text.strip() not in DELETED_MARKERS:
                flair = mask(item.flair) if item.flair else None
                evidence.extend(
                    evidence_rows(record.participant_id, document_id, record.text, flair=flair)
                )
        self.store.upsert(connection, group_evidence, evidence, key=EVIDENCE_KEY)

    def _save_cursor(self, connection: Connection, state: Mapping[str, Any], done: bool) -> int:
        """Advance the cursor from the generation this writer saw, or refuse: another
        process moved it (optimistic check; its row lock serialises the two)."""
        values = {"state": dict(state), "done": done, "updated_at": utcnow()}
        c = collection_cursors.c
        if self._cursor_id is not None:
            moved = connection.execute(
                collection_cursors.update()
                .where(c.id == self._cursor_id, c.generation == self._generation)
                .values(generation=c.generation + 1, **values)
            ).rowcount
            if not moved:
                raise _concurrent_run()
            return self._cursor_id
        inserted = connection.execute(
            insert_ignoring_conflicts(connection, collection_cursors)
            .values(source=self.source, query_key=self.query_key, generation=1, **values)
            .returning(c.id)
        ).scalar()
        if inserted is None:
            raise _concurrent_run()
        self._generation = 0
        return int(inserted)


def _concurrent_run() -> EarwitnessError:
    return EarwitnessError(
        "another run of this same collection or import (same source, file or query) wrote "
        "to it meanwhile, so this one stopped without writing its page: wait for the other "
        "run to finish, then run again to resume"
    )


def _sha256(body: str | bytes) -> str:
    data = body.encode("utf-8") if isinstance(body, str) else body
    return hashlib.sha256(data).hexdigest()
