"""Collected items and the writer every collector shares.

A collector turns responses into :class:`CollectedItem` objects and hands them, one page
at a time, to an :class:`ItemWriter`. The writer makes them private (keyed pseudonyms,
masked text), archives the raw responses, records provenance and stores the page's
items together with the collection cursor in ONE transaction. A collection killed at
any point therefore resumes from the last committed page: no gaps, no duplicates.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from earwitness.errors import EarwitnessError
from earwitness.groups import EVIDENCE_KEY, Evidence, evidence_rows
from earwitness.privacy import (
    KnownHandles,
    Masker,
    NameMask,
    handle_tokens,
    pseudonym,
    redact_url,
    study_name_masker,
)
from earwitness.store import DocumentRecord, RawArchive, insert_ignoring_conflicts, record_source
from earwitness.store.records import (
    DELETED_MARKERS,
    Outcome,
    ensure_participants,
    rewrite_documents,
    upsert_documents,
)
from earwitness.store.schema import (
    collection_cursors,
    collection_seen,
    documents,
    group_evidence,
    participants,
    utcnow,
)

if TYPE_CHECKING:
    from earwitness.store import Store
    from earwitness.study import Study

__all__ = ["CollectedItem", "ItemWriter", "RawResponse", "RunSummary", "mask_items"]


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
    undated: int = 0  # posts whose date could not be read
    ambiguous_dates: int = 0  # numeric dates read month first by assumption
    pages_missed: int = 0  # thread pages a "Page X of N" announced but not collected
    posts_missed: int = 0  # posts a topic listed but the server did not give
    warnings: list[str] = field(default_factory=list)

    def count(self, outcome: Outcome) -> None:
        setattr(self, outcome, getattr(self, outcome) + 1)

    def warn(self, message: str) -> None:
        """Record something the researcher must know (the command prints it)."""
        self.warnings.append(message)

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
            {"measure": "undated", "value": self.undated},
        ]
        optional = (
            ("dates read month first (ambiguous)", self.ambiguous_dates),
            ("thread pages not collected", self.pages_missed),
            ("posts not collected", self.posts_missed),
        )
        rows.extend({"measure": name, "value": value} for name, value in optional if value)
        rows.extend({"measure": "capped", "value": listing} for listing in self.capped)
        rows.extend({"measure": "warning", "value": message} for message in self.warnings)
        return rows


_ABSENT_AUTHORS = {"", "[deleted]", "[removed]"}


def present_author(author: str | None) -> bool:
    """Whether an item names an author (not absent, deleted or removed)."""
    return author is not None and author.strip() not in _ABSENT_AUTHORS


class _Slot(int):
    """Where a staged string goes back in a nested ``extra`` value."""


def _map_leaves(value: Any, leaf: type, function: Callable[[Any], Any]) -> Any:
    if isinstance(value, leaf):
        return function(value)
    if isinstance(value, dict):
        return {key: _map_leaves(item, leaf, function) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_map_leaves(item, leaf, function) for item in value]
    return value


def mask_items(
    items: Sequence[CollectedItem], *, masker: Masker, handles: KnownHandles, names: NameMask
) -> list[CollectedItem]:
    """Items with personal data masked, known handles replaced by pseudonyms, then person
    names masked, in text, title, quote, flair and ``extra``; profile links and handles
    in the URL. The named-entity model sees every text of the items in one batch."""
    staged: list[str] = []

    def stage(text: str) -> _Slot:
        staged.append(handles.replace(masker.mask(text)))
        return _Slot(len(staged) - 1)

    plans = [
        (
            stage(item.text),
            None if item.title is None else stage(item.title),
            None if item.quoted is None else stage(item.quoted),
            stage(item.flair) if item.flair else None,
            _map_leaves(dict(item.extra), str, stage),
        )
        for item in items
    ]
    done = names.mask_many(staged)
    out = []
    for item, (text, title, quoted, flair, extra) in zip(items, plans, strict=True):
        out.append(
            dataclasses.replace(
                item,
                text=done[text],
                title=None if title is None else done[title],
                quoted=None if quoted is None else done[quoted],
                flair=None if flair is None else done[flair],
                url=handles.replace(Masker.mask_profile_urls(item.url)) if item.url else item.url,
                extra=_map_leaves(extra, _Slot, lambda slot: done[slot]),
            )
        )
    return out


class ItemWriter:
    """Writes pages of collected items for one (source, query) with its cursor.

    Each :meth:`write_page` is one transaction: raw archive pointers, source rows,
    participants (keyed pseudonyms), documents (masked text, deduplicated on
    (platform, native id)), group evidence, the ids seen and the cursor state.

    ``track_seen=False`` suits sources whose cursor is a position (dump files): the
    set of ids seen is then neither stored nor held in memory.

    Every author handle seen by this writer is replaced by its pseudonym wherever it
    appears in stored text, titles, quotes, URLs and ``extra`` values, and profile URLs
    are masked in all of them. A handle first seen after a document that names it was
    written (a reply naming a later poster) is replaced in that document too, on the page
    that brings the handle: the writer keeps, in memory only, which words each document
    of this run holds. Handles are known per run: a document written by an earlier run
    is rewritten when it is collected again. Writers of one run (several files) share
    ``handles``. The pseudonyms of handles new to the study are kept in the cursor state
    until the run's last page has swept them from earlier documents, so an interrupted
    run that is resumed sweeps them too.
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
        handles: KnownHandles | None = None,
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
        self._name_mask: NameMask | None = None
        self._archive = RawArchive(study.raw_dir, enabled=study.keep_raw)
        self._cursor_id: int | None = None
        self._generation = 0
        self._state: dict[str, Any] = {}
        self._done = False
        self._seen: set[str] = set()
        self._words: dict[str, set[int]] = {}  # word -> ids of this run's documents
        self._load()
        self._authors_before = _author_pseudonyms(store)
        if handles is None:
            handles = KnownHandles(self._key, self._authors_before)
        self._handles = handles
        # pseudonyms of handles new to the study, to sweep from earlier documents
        pending = self._state.pop(_SWEEP, {})
        self._to_sweep: set[str] = set(pending.get("pseudonyms", []))
        self._sweep_names: set[str] = set()  # their plain forms, met in this process
        self._platforms: set[str] = set(pending.get("platforms", []))

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

    @property
    def handles(self) -> KnownHandles:
        """The handles this run knows (share them with the other writers of the run)."""
        return self._handles

    def resume_state(self) -> dict[str, Any]:
        """The cursor state saved by the last committed page (``{}`` if new)."""
        return dict(self._state)

    def seen(self, native_id: str) -> bool:
        """Whether this item was already written under this cursor."""
        return native_id in self._seen

    def is_done(self) -> bool:
        """Whether the cursor is finished (after the sweep an interrupted run left)."""
        if self._done and self._to_sweep:
            self._sweep_earlier_runs()
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
        masked: bool = False,
        evidence: Sequence[Sequence[Evidence] | None] | None = None,
    ) -> None:
        """Store one page of items, its responses and the cursor state, all or nothing.

        ``provenance`` describes a page that has no HTTP response (a dump file's lines):
        ``url``, ``native_id``, ``content_sha256`` and ``extra`` for its source row.
        ``masked`` items went through :func:`mask_items` already (on a worker); only the
        handles this run met since are replaced in them. ``evidence`` is what
        ``find_group_evidence`` found in each masked item (None: not searched); it is
        searched again in an item whose text or flair that replacement changed.
        """
        pointers = [self._archive_response(response) for response in responses]
        new_ids = (
            [i.native_id for i in items if i.native_id not in self._seen] if self.track_seen else []
        )
        handles = self._page_handles(items)
        new_handles = [name for name in map(self._handles.add, handles) if name is not None]
        fresh = [n for n in new_handles if pseudonym(n, self._key) not in self._authors_before]
        sweep = self._to_sweep | {pseudonym(name, self._key) for name in fresh}
        platforms = self._platforms | {item.platform for item in items}
        saved = dict(state)
        if sweep:
            saved[_SWEEP] = {"pseudonyms": sorted(sweep), "platforms": sorted(platforms)}
        with self.store.transaction() as connection:
            # The cursor first: a second import of the same file and query waits here for
            # the first one's page, then finds the cursor moved and writes nothing.
            cursor_id = self._save_cursor(connection, saved, done)
            source_ids = self._record_sources(connection, responses, pointers, provenance)
            if not masked:
                items = mask_items(
                    items, masker=self._masker, handles=self._handles, names=self._names
                )
            else:
                replaced = [self._replace_handles(item) for item in items]
                if evidence is not None:
                    evidence = [
                        found if (new.text, new.flair) == (old.text, old.flair) else None
                        for old, new, found in zip(items, replaced, evidence, strict=True)
                    ]
                items = replaced
            self._write_items(
                connection,
                items,
                handles,
                new_handles,
                source_ids[0] if source_ids else None,
                evidence or [None] * len(items),
            )
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
        self._to_sweep = sweep
        self._platforms = platforms
        self._sweep_names.update(fresh)
        if done and self._to_sweep:
            self._sweep_earlier_runs()

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

    @property
    def _names(self) -> NameMask:
        """The study's person-name masker, loaded at the first page that needs it."""
        if self._name_mask is None:
            self._name_mask = study_name_masker(self.study, self.store)
        return self._name_mask

    def _page_handles(self, items: Sequence[CollectedItem]) -> dict[str, str]:
        return {
            author: pseudonym(author, self._key)
            for author in dict.fromkeys(item.author for item in items)
            if author is not None and present_author(author)
        }

    def _replace_handles(self, item: CollectedItem) -> CollectedItem:
        """Handles this run knows replaced in an item masked elsewhere."""
        replace = self._handles.replace
        return dataclasses.replace(
            item,
            text=replace(item.text),
            title=None if item.title is None else replace(item.title),
            quoted=None if item.quoted is None else replace(item.quoted),
            flair=replace(item.flair) if item.flair else item.flair,
            url=replace(item.url) if item.url else item.url,
            extra=_map_leaves(dict(item.extra), str, replace),
        )

    def _mask_extra(self, value: Any) -> Any:
        """Known handles replaced in an ``extra`` value read back from the store."""
        return _map_leaves(value, str, self._handles.replace)

    def _write_items(
        self,
        connection: Connection,
        items: Sequence[CollectedItem],
        handles: Mapping[str, str],
        new_handles: Sequence[str],
        source_id: int | None,
        evidence: Sequence[Sequence[Evidence] | None],
    ) -> None:
        """Participants, documents and group evidence of a page of masked items, a few
        statements each."""
        participant_ids = ensure_participants(connection, handles.values())
        records = [
            DocumentRecord(
                platform=item.platform,
                native_id=item.native_id,
                text=item.text,
                kind=item.kind,
                parent_native_id=item.parent_native_id,
                thread_native_id=item.thread_native_id,
                participant_id=participant_ids[handles[item.author]]
                if item.author is not None and item.author in handles
                else None,
                source_id=source_id,
                title=item.title,
                quoted=item.quoted,
                url=item.url,
                score=item.score,
                authored_at=item.authored_at,
                edited_at=item.edited_at,
                extra=item.extra,
            )
            for item in items
        ]
        written = upsert_documents(connection, records)
        self._rewrite_earlier(connection, new_handles)
        if self.track_seen:
            self._remember_words(records, [document_id for document_id, _ in written])
        rows: list[dict[str, Any]] = []
        for item, record, (document_id, outcome), found in zip(
            items, records, written, evidence, strict=True
        ):
            self.summary.count(outcome)
            if record.participant_id is not None and record.text.strip() not in DELETED_MARKERS:
                rows += evidence_rows(
                    record.participant_id, document_id, record.text, flair=item.flair, found=found
                )
        self.store.upsert(connection, group_evidence, rows, key=EVIDENCE_KEY)

    def _remember_words(self, records: Sequence[DocumentRecord], ids: Sequence[int]) -> None:
        for record, document_id in zip(records, ids, strict=True):
            parts = [record.text, record.title or "", record.quoted or "", record.url or ""]
            parts.extend(_strings(record.extra))
            for word in handle_tokens("\n".join(parts)):
                self._words.setdefault(word, set()).add(document_id)

    def _rewrite_earlier(self, connection: Connection, new_handles: Sequence[str]) -> None:
        """Replace handles seen only now in this run's documents written before."""
        ids: set[int] = set()
        for name in new_handles:
            ids |= self._words.get(name.split()[0], set())
        if ids:
            self._rewrite(connection, _documents_by_id(connection, sorted(ids)))

    def _sweep_earlier_runs(self) -> None:
        """Replace the handles new to the study in every document of its platforms, and
        forget them in the cursor in the same transaction."""
        names = {name.split()[0] for name in self._sweep_names}
        # handles a killed run met, known here by their pseudonyms only
        unnamed = self._to_sweep - {pseudonym(name, self._key) for name in self._sweep_names}

        def names_one(row: sa.Row) -> bool:
            words = _row_words(row)
            if words & names:
                return True
            return bool(unnamed) and any(self._handles.handle(w) in unnamed for w in words)

        last = 0
        with self.store.transaction() as connection:
            while True:
                rows = _documents_after(connection, self._platforms, last)
                if not rows:
                    break
                last = rows[-1].id
                self._rewrite(connection, [r for r in rows if names_one(r)])
            self._save_cursor(connection, self._state, self._done)
        self._generation += 1
        self._to_sweep = set()
        self._sweep_names.clear()

    def _rewrite(self, connection: Connection, found: Sequence[sa.Row]) -> None:
        rows = []
        for row in found:
            values = {
                "text": self._handles.replace(row.text),
                "quoted": self._handles.replace(row.quoted) if row.quoted else row.quoted,
                "title": self._handles.replace(row.title) if row.title else row.title,
                "url": self._handles.replace(row.url) if row.url else row.url,
                "extra": self._mask_extra(row.extra) if row.extra else row.extra,
            }
            if any(values[name] != getattr(row, name) for name in values):
                rows.append({"id": row.id, **values})
        rewrite_documents(connection, rows)

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


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [text for item in value.values() for text in _strings(item)]
    if isinstance(value, list | tuple):
        return [text for item in value for text in _strings(item)]
    return []


def _author_pseudonyms(store: Store) -> set[str]:
    with store.connect() as connection:
        return set(
            connection.execute(
                sa.select(participants.c.pseudonym).where(participants.c.kind == "author")
            ).scalars()
        )


def _row_words(row: sa.Row) -> set[str]:
    parts = [row.text or "", row.quoted or "", row.title or "", row.url or ""]
    return handle_tokens("\n".join([*parts, *_strings(row.extra)]))


_SWEEP_CHUNK = 2000
_SWEEP = "sweep"  # cursor state: pseudonyms to sweep from earlier documents at the end


def _documents_after(connection: Connection, platforms: set[str], last_id: int) -> list[sa.Row]:
    """The next chunk of documents of these platforms, by id."""
    query = sa.select(
        documents.c.id,
        documents.c.text,
        documents.c.quoted,
        documents.c.title,
        documents.c.url,
        documents.c.extra,
    ).where(documents.c.platform.in_(sorted(platforms)), documents.c.id > last_id)
    return list(connection.execute(query.order_by(documents.c.id).limit(_SWEEP_CHUNK)))


def _documents_by_id(connection: Connection, ids: Sequence[int]) -> list[sa.Row]:
    rows: list[sa.Row] = []
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        rows.extend(
            connection.execute(
                sa.select(
                    documents.c.id,
                    documents.c.text,
                    documents.c.quoted,
                    documents.c.title,
                    documents.c.url,
                    documents.c.extra,
                ).where(documents.c.id.in_(chunk))
            )
        )
    return rows


def _concurrent_run() -> EarwitnessError:
    return EarwitnessError(
        "another run of this same collection or import (same source, file or query) wrote "
        "to it meanwhile, so this one stopped without writing its page: wait for the other "
        "run to finish, then run again to resume"
    )


def _sha256(body: str | bytes) -> str:
    data = body.encode("utf-8") if isinstance(body, str) else body
    return hashlib.sha256(data).hexdigest()
