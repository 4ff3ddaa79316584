"""Human coding: apply and remove codes on segments or character spans, import, retrieve.

A coding is a code applied by a named coder to ``[start, end)`` of a document's text
(Unicode code points, end exclusive), with an optional memo. Coding never edits the
document: it only points into its text. A coding on exactly a segment's span is linked
to that segment.

Coding guids are uuid5 of (document guid, code guid, coder guid, start, end) in
:data:`CODING_NAMESPACE`, so the same coding imported twice is the same coding.
"""

from __future__ import annotations

import csv
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from earwitness.code._codebook import CodeIndex
from earwitness.errors import BadInputError, EarwitnessError
from earwitness.store import Store, ensure_coder, insert_ignoring_conflicts
from earwitness.store.schema import (
    coders,
    codes,
    codings,
    documents,
    participants,
    segments,
    sources,
)

__all__ = [
    "CODING_NAMESPACE",
    "CSV_COLUMNS",
    "Span",
    "apply_code",
    "coding_guid",
    "import_codings_csv",
    "remove_code",
    "resolve_document",
    "retrieve_segments",
]

CODING_NAMESPACE = uuid.UUID("3b0f6c1e-8d0c-5a43-9d3e-636f64696e67")
VISIBLE_STATUSES = ("applied", "accepted")
CSV_COLUMNS = ("document", "code", "coder", "segment", "start", "end", "memo", "text")


@dataclass(frozen=True)
class Span:
    """Where a coding goes: a document and a span, with the segment it matches if any."""

    document_id: int
    document_guid: str
    start: int
    end: int
    segment_id: int | None


def coding_guid(document_guid: str, code_guid: str, coder_guid: str, start: int, end: int) -> str:
    key = f"{document_guid}|{code_guid}|{coder_guid}|{start}|{end}"
    return str(uuid.uuid5(CODING_NAMESPACE, key))


def resolve_document(connection: Connection, reference: str | int) -> tuple[int, str, str]:
    """(id, guid, text) of the document named by an id, a guid or ``platform:native_id``."""
    text = str(reference).strip()
    if text.isdigit():
        condition = documents.c.id == int(text)
    elif _is_uuid(text):
        condition = documents.c.guid == str(uuid.UUID(text))
    elif ":" in text:
        platform, native_id = text.split(":", 1)
        condition = (documents.c.platform == platform) & (documents.c.native_id == native_id)
    else:
        raise BadInputError(
            f"document {text!r}: give its id, its guid or platform:native_id", field="document"
        )
    row = connection.execute(
        sa.select(documents.c.id, documents.c.guid, documents.c.text).where(condition)
    ).first()
    if row is None:
        raise BadInputError(f"no document {text!r} in the study", field="document")
    return int(row.id), str(row.guid), str(row.text)


def _is_uuid(text: str) -> bool:
    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return True


def locate(
    connection: Connection,
    *,
    segment: int | None = None,
    document: str | int | None = None,
    start: int | None = None,
    end: int | None = None,
) -> Span:
    """The span to code: a segment, or a document with ``start`` and ``end``."""
    if segment is not None:
        if document is not None or start is not None or end is not None:
            raise BadInputError("give a segment, or a document with start and end; not both")
        row = connection.execute(
            sa.select(segments.c.document_id, segments.c.start, segments.c.end).where(
                segments.c.id == segment
            )
        ).first()
        if row is None:
            raise BadInputError(f"no segment {segment} in the study", field="segment")
        document_id, guid, _ = resolve_document(connection, int(row.document_id))
        return Span(document_id, guid, int(row.start), int(row.end), segment)
    if document is None or start is None or end is None:
        raise BadInputError("give a segment, or a document with start and end")
    document_id, guid, text = resolve_document(connection, document)
    if not 0 <= start < end <= len(text):
        raise BadInputError(
            f"span [{start}, {end}) is not inside the document's {len(text)} characters "
            "(offsets are code points, end exclusive)",
            field="start",
        )
    found = connection.execute(
        sa.select(segments.c.id)
        .where(
            segments.c.document_id == document_id, segments.c.start == start, segments.c.end == end
        )
        .order_by(segments.c.id)
    ).first()
    return Span(document_id, guid, start, end, int(found.id) if found else None)


def _coder(connection: Connection, name: str) -> tuple[int, str]:
    name = (name or "").strip()
    if not name:
        raise BadInputError("a coding needs a named coder", field="coder")
    coder_id = ensure_coder(connection, name)
    guid = connection.execute(sa.select(coders.c.guid).where(coders.c.id == coder_id)).scalar()
    return coder_id, str(guid)


def _codable(connection: Connection, code_id: int) -> str:
    row = connection.execute(
        sa.select(codes.c.guid, codes.c.codable, codes.c.name).where(codes.c.id == code_id)
    ).one()
    if not row.codable:
        raise BadInputError(f"code {row.name!r} is not codable (it groups other codes)")
    return str(row.guid)


def _apply(
    connection: Connection,
    span: Span,
    code_id: int,
    coder_name: str,
    memo: str | None,
) -> tuple[int, bool]:
    code_guid = _codable(connection, code_id)
    coder_id, coder_guid = _coder(connection, coder_name)
    guid = coding_guid(span.document_guid, code_guid, coder_guid, span.start, span.end)
    existing = _stored(connection, guid)
    if existing is None:
        # ON CONFLICT DO NOTHING: the same coding applied by another process at the same
        # moment is one coding, not an error (PostgreSQL); its memo is then checked below.
        inserted = connection.execute(
            insert_ignoring_conflicts(connection, codings)
            .values(
                guid=guid,
                document_id=span.document_id,
                segment_id=span.segment_id,
                start=span.start,
                end=span.end,
                code_id=code_id,
                coder_id=coder_id,
                origin="human",
                status="applied",
                memo=memo,
            )
            .returning(codings.c.id)
        ).scalar()
        if inserted is not None:
            return int(inserted), True
        existing = _stored(connection, guid)
        assert existing is not None
        if memo is not None and existing.memo not in (None, memo):
            raise _memo_conflict(int(existing.id))
    if memo is not None and memo != existing.memo:
        _replace_memo(connection, int(existing.id), prior=existing.memo, memo=memo)
    return int(existing.id), False


def _stored(connection: Connection, guid: str) -> Any:
    return connection.execute(
        sa.select(codings.c.id, codings.c.memo).where(codings.c.guid == guid)
    ).first()


def _replace_memo(connection: Connection, coding_id: int, *, prior: str | None, memo: str) -> None:
    """Replace a memo only if it is still the one read (optimistic check): a memo that
    another process changed meanwhile is kept, and this edit is refused."""
    changed = connection.execute(
        codings.update()
        .where(codings.c.id == coding_id, codings.c.memo.is_not_distinct_from(prior))
        .values(memo=memo)
    ).rowcount
    if not changed:
        raise _memo_conflict(coding_id)


def _memo_conflict(coding_id: int) -> EarwitnessError:
    return EarwitnessError(
        f"coding {coding_id}: its memo was changed by another coder while this edit was "
        "written; theirs is kept and yours was not written: read it with `earwitness code "
        "retrieve`, then run again to replace it"
    )


def apply_code(
    store: Store,
    code: str,
    *,
    coder: str,
    segment: int | None = None,
    document: str | int | None = None,
    start: int | None = None,
    end: int | None = None,
    memo: str | None = None,
) -> tuple[int, bool]:
    """Apply ``code`` (a guid, path or unique name); return (coding id, whether it is new)."""

    def work(connection: Connection) -> tuple[int, bool]:
        code_id = CodeIndex(connection).resolve(code)
        span = locate(connection, segment=segment, document=document, start=start, end=end)
        return _apply(connection, span, code_id, coder, memo)

    return store.retrying(work)


def remove_code(
    store: Store,
    code: str,
    *,
    coder: str,
    segment: int | None = None,
    document: str | int | None = None,
    start: int | None = None,
    end: int | None = None,
) -> int:
    """Remove this coder's coding of ``code`` on exactly this span; return how many went."""
    with store.transaction() as connection:
        code_id = CodeIndex(connection).resolve(code)
        span = locate(connection, segment=segment, document=document, start=start, end=end)
        coder_id = connection.execute(
            sa.select(coders.c.id).where(coders.c.name == coder.strip())
        ).scalar()
        if coder_id is None:
            raise BadInputError(f"no coder {coder!r} in the study", field="coder")
        removed = connection.execute(
            codings.delete().where(
                codings.c.document_id == span.document_id,
                codings.c.code_id == code_id,
                codings.c.coder_id == coder_id,
                codings.c.start == span.start,
                codings.c.end == span.end,
                codings.c.origin == "human",
            )
        ).rowcount
    if not removed:
        raise BadInputError(
            f"coder {coder!r} has no coding of {code!r} on [{span.start}, {span.end}) "
            f"of document {span.document_id}"
        )
    return int(removed)


# --- CSV --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CodingImport:
    rows: int
    new: int
    existing: int


def import_codings_csv(store: Store, path: Path, *, coder: str | None = None) -> CodingImport:
    """Import codings from a CSV file, all or nothing.

    Columns: ``document`` (id, guid or platform:native_id), ``code`` (guid, path or
    unique name), ``coder`` (unless ``coder`` is given), then either ``segment`` (an id)
    or ``start`` and ``end`` (code points, end exclusive); optional ``memo``, and
    optional ``text``, which must equal the coded text and so catches offsets counted
    in another unit. Errors name the row (the header is row 1) and the column.
    """
    new = existing = rows = 0
    with store.transaction() as connection:
        index = CodeIndex(connection)
        for number, record in _csv_rows(path, coder_given=coder is not None):
            rows += 1
            try:
                new_coding = _import_row(connection, index, record, coder)
            except BadInputError as exc:
                raise BadInputError(
                    exc.message, file=path, row=number, field=exc.field or _field_of(exc.message)
                ) from None
            new, existing = new + new_coding, existing + (not new_coding)
    return CodingImport(rows, new, existing)


def _field_of(message: str) -> str | None:
    if message.startswith("no code") or "code name" in message or "not codable" in message:
        return "code"
    return None


def _csv_rows(path: Path, *, coder_given: bool) -> Iterator[tuple[int, dict[str, str]]]:
    try:
        handle = path.open(encoding="utf-8-sig", newline="")
    except FileNotFoundError:
        raise BadInputError("no such file", file=path) from None
    with handle:
        try:
            reader = csv.DictReader(handle)
            header = [name.strip().lower() for name in reader.fieldnames or []]
            reader.fieldnames = header
            required = {"document", "code"} | (set() if coder_given else {"coder"})
            missing = sorted(required - set(header))
            if missing:
                raise BadInputError(f"missing column(s): {', '.join(missing)}", file=path, row=1)
            if "segment" not in header and not {"start", "end"} <= set(header):
                raise BadInputError(
                    "give a 'segment' column or 'start' and 'end' columns", file=path, row=1
                )
            for record in reader:
                if None in record:
                    raise BadInputError("more cells than columns", file=path, row=reader.line_num)
                if not any((value or "").strip() for value in record.values()):
                    continue
                yield reader.line_num, {k: (v or "").strip() for k, v in record.items()}
        except UnicodeDecodeError:
            raise BadInputError("not UTF-8 text", file=path) from None
        except csv.Error as exc:
            raise BadInputError(f"malformed CSV: {exc}", file=path) from None


def _integer(record: Mapping[str, str], name: str) -> int | None:
    value = record.get(name, "")
    if not value:
        return None
    try:
        return int(value)
    except ValueError:
        raise BadInputError(f"{value!r} is not a whole number", field=name) from None


def _import_row(
    connection: Connection, index: CodeIndex, record: dict[str, str], coder: str | None
) -> bool:
    if not record.get("code"):
        raise BadInputError("empty code", field="code")
    code_id = index.resolve(record["code"])
    segment = _integer(record, "segment")
    start, end = _integer(record, "start"), _integer(record, "end")
    document = record.get("document") or None
    if segment is not None:
        span = locate(connection, segment=segment)
        if document is not None:
            document_id, _, _ = resolve_document(connection, document)
            if document_id != span.document_id:
                raise BadInputError(
                    f"segment {segment} is not in document {document!r}", field="segment"
                )
    else:
        if start is None or end is None:
            raise BadInputError("give a segment, or start and end", field="start")
        span = locate(connection, document=document, start=start, end=end)
    expected = record.get("text")
    if expected:
        text = connection.execute(
            sa.select(documents.c.text).where(documents.c.id == span.document_id)
        ).scalar_one()
        if text[span.start : span.end].strip() != expected.strip():
            raise BadInputError(
                f"the text at [{span.start}, {span.end}) is "
                f"{text[span.start : span.end][:60]!r}, not {expected[:60]!r} (offsets must "
                "count code points)",
                field="text",
            )
    memo = record.get("memo") or None
    _, created = _apply(connection, span, code_id, coder or record.get("coder", ""), memo)
    return created


# --- retrieval --------------------------------------------------------------------------------


def retrieve_segments(
    connection: Connection,
    code: str,
    *,
    include_children: bool = False,
    coder: str | None = None,
) -> list[dict[str, Any]]:
    """The coded segments of a code: text, source, participant's pseudonym and user group.

    Human codings and accepted machine suggestions count; proposals and rejections do not.
    """
    index = CodeIndex(connection)
    code_id = index.resolve(code)
    paths = index.paths()
    wanted = {code_id}
    if include_children:
        prefix = paths[code_id] + "/"
        wanted |= {i for i, p in paths.items() if p.startswith(prefix)}
    query = (
        sa.select(
            codings.c.id,
            codings.c.code_id,
            codings.c.start,
            codings.c.end,
            codings.c.memo,
            codings.c.origin,
            documents.c.id.label("document_id"),
            documents.c.text,
            documents.c.platform,
            documents.c.native_id,
            documents.c.kind.label("document_kind"),
            documents.c.url,
            participants.c.pseudonym,
            participants.c.user_group,
            coders.c.name.label("coder"),
            sources.c.platform.label("source_platform"),
        )
        .join(documents, documents.c.id == codings.c.document_id)
        .outerjoin(participants, participants.c.id == documents.c.participant_id)
        .outerjoin(coders, coders.c.id == codings.c.coder_id)
        .outerjoin(sources, sources.c.id == documents.c.source_id)
        .where(codings.c.code_id.in_(wanted), codings.c.status.in_(VISIBLE_STATUSES))
        .order_by(documents.c.id, codings.c.start, codings.c.end, codings.c.id)
    )
    if coder is not None:
        query = query.where(coders.c.name == coder)
    return [
        {
            "code": paths.get(int(row.code_id), ""),
            "document_id": int(row.document_id),
            "platform": row.platform,
            "native_id": row.native_id,
            "kind": row.document_kind,
            "pseudonym": row.pseudonym or "",
            "user_group": row.user_group or "unknown",
            "start": int(row.start),
            "end": int(row.end),
            "text": row.text[row.start : row.end],
            "coder": row.coder or "",
            "origin": row.origin,
            "memo": row.memo or "",
            "url": row.url or "",
        }
        for row in connection.execute(query)
    ]
