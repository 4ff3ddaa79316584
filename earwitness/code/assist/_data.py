"""Reading what machine assistance works on: segments with their text, codes, human codings."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from earwitness.code._segment import UNIT_KINDS
from earwitness.errors import EarwitnessError
from earwitness.store.schema import codes, codings, documents, participants, segments

__all__ = [
    "CodeInfo",
    "SegmentText",
    "example_texts",
    "human_labels",
    "load_codes",
    "load_segments",
]


@dataclass(frozen=True)
class SegmentText:
    """A segment with the text it covers and who wrote it."""

    id: int
    document_id: int
    start: int
    end: int
    kind: str
    text: str
    platform: str
    participant_id: int | None
    user_group: str
    authored_at: datetime | None


@dataclass(frozen=True)
class CodeInfo:
    id: int
    name: str
    definition: str
    inclusion: str
    examples: tuple[str, ...]


def load_segments(
    connection: Connection,
    *,
    kinds: Sequence[str] | None = None,
    segment_ids: Iterable[int] | None = None,
) -> list[SegmentText]:
    """Segments of active documents with their text, in a stable order.

    By default only the unit kinds (turn, post, sentence), which cover each document's
    text once; paragraphs would repeat their sentences.
    """
    query = (
        sa.select(
            segments.c.id,
            segments.c.document_id,
            segments.c.start,
            segments.c.end,
            segments.c.kind,
            documents.c.text,
            documents.c.platform,
            documents.c.participant_id,
            documents.c.authored_at,
            participants.c.user_group,
        )
        .join(documents, documents.c.id == segments.c.document_id)
        .outerjoin(participants, participants.c.id == documents.c.participant_id)
        .where(documents.c.status == "active")
        .order_by(segments.c.document_id, segments.c.start, segments.c.id)
    )
    if segment_ids is None:
        query = query.where(segments.c.kind.in_(list(kinds or UNIT_KINDS)))
    else:
        query = query.where(segments.c.id.in_(list(segment_ids)))
    return [
        SegmentText(
            id=row.id,
            document_id=row.document_id,
            start=row.start,
            end=row.end,
            kind=row.kind,
            text=row.text[row.start : row.end],
            platform=row.platform,
            participant_id=row.participant_id,
            user_group=row.user_group or "unknown",
            authored_at=row.authored_at,
        )
        for row in connection.execute(query)
    ]


def load_codes(connection: Connection, names: Sequence[str] | None = None) -> list[CodeInfo]:
    """Codable codes (all, or those named), with their definitions and example quotes."""
    query = sa.select(codes).where(codes.c.codable.is_(True)).order_by(codes.c.position, codes.c.id)
    found = [
        CodeInfo(
            id=row.id,
            name=row.name,
            definition=row.definition or "",
            inclusion=row.inclusion or "",
            examples=tuple(example_texts(row.examples)),
        )
        for row in connection.execute(query)
    ]
    if not names:
        return found
    by_name = {code.name.casefold(): code for code in found}
    unknown = [name for name in names if name.casefold() not in by_name]
    if unknown:
        raise EarwitnessError(f"no codable code named {', '.join(map(repr, unknown))}")
    return [by_name[name.casefold()] for name in names]


def example_texts(examples: Any) -> list[str]:
    """Example quotes as text, whether stored as strings or as {"text"/"quote": ...}."""
    texts: list[str] = []
    for example in examples or []:
        if isinstance(example, str):
            text = example
        elif isinstance(example, dict):
            text = str(example.get("text") or example.get("quote") or "")
        else:
            continue
        if text.strip():
            texts.append(text.strip())
    return texts


@dataclass(frozen=True)
class HumanLabels:
    """Which human coder applied which code to which segment, and who read which document.

    A coder who coded anything in a document has read all of it, so a segment of that
    document without the code counts as that coder's "not this code".
    """

    applied: dict[int, dict[int, set[int]]]  # code -> segment -> coders
    readers: dict[int, set[int]]  # document -> coders

    def coders_of(self, segment: SegmentText) -> set[int]:
        return self.readers.get(segment.document_id, set())

    def decision(self, code_id: int, segment_id: int, coder_id: int) -> bool:
        return coder_id in self.applied.get(code_id, {}).get(segment_id, set())

    def positives(self, code_id: int) -> set[int]:
        return set(self.applied.get(code_id, {}))


def human_labels(connection: Connection, segment_list: Sequence[SegmentText]) -> HumanLabels:
    """Human codings mapped onto ``segment_list``: by segment id, or by overlapping span."""
    by_document: dict[int, list[SegmentText]] = defaultdict(list)
    for segment in segment_list:
        by_document[segment.document_id].append(segment)
    ids = {segment.id for segment in segment_list}
    applied: dict[int, dict[int, set[int]]] = defaultdict(lambda: defaultdict(set))
    readers: dict[int, set[int]] = defaultdict(set)
    rows = connection.execute(
        sa.select(
            codings.c.document_id,
            codings.c.segment_id,
            codings.c.start,
            codings.c.end,
            codings.c.code_id,
            codings.c.coder_id,
        ).where(codings.c.origin == "human", codings.c.status == "applied")
    )
    for row in rows:
        coder = row.coder_id if row.coder_id is not None else -1
        if row.document_id not in by_document:
            continue
        readers[row.document_id].add(coder)
        if row.segment_id in ids:
            applied[row.code_id][row.segment_id].add(coder)
            continue
        for segment in by_document[row.document_id]:
            if segment.start < row.end and row.start < segment.end:
                applied[row.code_id][segment.id].add(coder)
    return HumanLabels(
        {code: dict(segs) for code, segs in applied.items()},
        {d: set(c) for d, c in readers.items()},
    )
