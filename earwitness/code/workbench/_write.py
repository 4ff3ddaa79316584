"""The workbench's writes: each action is one transaction, through the code area's functions.

Edits to a coding or a memo carry what the page last read (``expected``/``prior``); the
write happens only if the row still holds it (an optimistic check), so a coder never
overwrites another coder's change without seeing it: the edit is refused with
:class:`ConflictError` and the page reloads the document.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from earwitness.code._codebook import Code, Codebook, read_codebook, write_codes
from earwitness.code._coding import _apply, _replace_memo, apply_code, locate
from earwitness.errors import BadInputError, EarwitnessError
from earwitness.store import Store, ensure_coder, insert_ignoring_conflicts
from earwitness.store.schema import (
    coders,
    codes,
    coding_resolutions,
    codings,
    document_status,
    documents,
    notes,
)

__all__ = [
    "NOTE_TARGETS",
    "ConflictError",
    "Expected",
    "adjust_coding",
    "apply_span",
    "in_vivo",
    "mark_done",
    "remove_coding",
    "resolve_disagreement",
    "set_coding_memo",
    "set_note",
]

NOTE_TARGETS = {"document": documents, "code": codes}


class ConflictError(EarwitnessError):
    """Another coder changed the row since this page read it; nothing was written."""


@dataclass(frozen=True)
class Expected:
    """What the page last read of a coding: its span and memo."""

    start: int
    end: int
    memo: str | None

    @classmethod
    def of(cls, data: Any) -> Expected:
        if not isinstance(data, dict):
            raise BadInputError("expected: give the coding's start, end and memo as read")
        try:
            return cls(int(data["start"]), int(data["end"]), data.get("memo"))
        except (KeyError, TypeError, ValueError):
            raise BadInputError("expected: start and end are whole numbers") from None


def _changed(what: str) -> ConflictError:
    return ConflictError(
        f"{what} was changed by another coder since you opened this document; theirs is "
        "kept and your edit was not written. The document has been reloaded: look, then "
        "edit again."
    )


def apply_span(
    store: Store, coder: str, document_id: int, start: int, end: int, code_guid: str
) -> int:
    """Apply a code to ``[start, end)``; return the coding's id (the same span twice is one)."""
    coding_id, _ = apply_code(
        store, code_guid, coder=coder, document=document_id, start=start, end=end
    )
    return coding_id


def _own(connection: Connection, coder: str, coding_id: int, expected: Expected) -> Any:
    """Lock the coder's coding as the page read it, or refuse."""
    row = connection.execute(
        sa.select(codings.c.id, codings.c.document_id, codings.c.code_id, coders.c.name)
        .outerjoin(coders, coders.c.id == codings.c.coder_id)
        .where(codings.c.id == coding_id)
        .with_for_update(of=codings)
    ).first()
    if row is None:
        raise _changed(f"coding {coding_id}")
    if row.name != coder:
        raise BadInputError(f"coding {coding_id} is {row.name}'s; only its coder changes it")
    same = connection.execute(
        sa.select(codings.c.id).where(
            codings.c.id == coding_id,
            codings.c.start == expected.start,
            codings.c.end == expected.end,
            codings.c.memo.is_not_distinct_from(expected.memo),
        )
    ).first()
    if same is None:
        raise _changed(f"coding {coding_id}")
    return row


def remove_coding(store: Store, coder: str, coding_id: int, expected: Expected) -> None:
    """Remove the coder's own coding, if it is still as the page read it."""
    with store.transaction() as connection:
        _own(connection, coder, coding_id, expected)
        connection.execute(codings.delete().where(codings.c.id == coding_id))


def adjust_coding(
    store: Store, coder: str, coding_id: int, expected: Expected, start: int, end: int
) -> int:
    """Move the coder's coding to ``[start, end)`` (a new coding; its memo goes with it)."""
    with store.transaction() as connection:
        row = _own(connection, coder, coding_id, expected)
        connection.execute(codings.delete().where(codings.c.id == coding_id))
        span = locate(connection, document=int(row.document_id), start=start, end=end)
        new_id, _ = _apply(connection, span, int(row.code_id), coder, expected.memo)
    return new_id


def set_coding_memo(store: Store, coder: str, coding_id: int, prior: str | None, memo: str) -> None:
    """Replace a coding's memo if it still is ``prior`` (the code area's optimistic check)."""
    with store.transaction() as connection:
        _own(connection, coder, coding_id, Expected(*_span(connection, coding_id), prior))
        try:
            _replace_memo(connection, coding_id, prior=prior, memo=memo)
        except EarwitnessError:
            raise _changed(f"the memo of coding {coding_id}") from None


def _span(connection: Connection, coding_id: int) -> tuple[int, int]:
    row = connection.execute(
        sa.select(codings.c.start, codings.c.end).where(codings.c.id == coding_id)
    ).first()
    if row is None:
        raise _changed(f"coding {coding_id}")
    return int(row.start), int(row.end)


def set_note(
    store: Store, coder: str, target_type: str, target_id: int, prior: str | None, text: str
) -> int:
    """Write the memo of a document or a code (the study's notes, exported to REFI-QDA).

    The target's row is locked first, so two coders saving at once are serialised, and the
    second is refused unless it read the first's memo.
    """
    table = NOTE_TARGETS.get(target_type)
    if table is None:
        raise BadInputError(f"a memo is on a document or a code, not {target_type!r}")
    with store.transaction() as connection:
        locked = connection.execute(
            sa.select(table.c.id).where(table.c.id == target_id).with_for_update()
        ).first()
        if locked is None:
            raise BadInputError(f"no {target_type} {target_id} in the study")
        current = connection.execute(
            sa.select(notes.c.id, notes.c.text)
            .where(notes.c.target_type == target_type, notes.c.target_id == target_id)
            .order_by(notes.c.id)
        ).first()
        if (current.text if current else "") != (prior or ""):
            raise _changed(f"the memo of this {target_type}")
        author = ensure_coder(connection, coder)
        if current is None:
            result = connection.execute(
                notes.insert().values(
                    guid=str(uuid.uuid4()),
                    name=f"{target_type} memo",
                    target_type=target_type,
                    target_id=target_id,
                    text=text,
                    author_id=author,
                )
            )
            key = result.inserted_primary_key
            assert key is not None
            return int(key[0])
        connection.execute(
            notes.update().where(notes.c.id == current.id).values(text=text, author_id=author)
        )
        return int(current.id)


def mark_done(store: Store, coder: str, document_id: int, done: bool) -> None:
    """Mark the document done (or not done) for this coder."""
    with store.transaction() as connection:
        if (
            connection.scalar(sa.select(documents.c.id).where(documents.c.id == document_id))
            is None
        ):
            raise BadInputError(f"no document {document_id} in the study", field="document")
        coder_id = ensure_coder(connection, coder)
        mine = (document_status.c.document_id == document_id) & (
            document_status.c.coder_id == coder_id
        )
        if done:
            connection.execute(
                insert_ignoring_conflicts(connection, document_status).values(
                    document_id=document_id, coder_id=coder_id
                )
            )
        else:
            connection.execute(document_status.delete().where(mine))


def in_vivo(
    store: Store,
    coder: str,
    document_id: int,
    start: int,
    end: int,
    parent_guid: str | None,
    name: str | None = None,
) -> tuple[str, int]:
    """Create a code named by the selected text (or ``name``) under ``parent_guid`` and apply
    it to the selection, in one transaction; return the code's guid and the coding's id."""
    from earwitness.code.workbench._codebook_edit import record_change

    with store.transaction() as connection:
        text = connection.scalar(sa.select(documents.c.text).where(documents.c.id == document_id))
        if text is None:
            raise BadInputError(f"no document {document_id} in the study", field="document")
        codebook = read_codebook(connection)
        label = " ".join((name or str(text)[start:end]).split())[:120]
        if not label:
            raise BadInputError("an in-vivo code needs some selected text")
        parent: tuple[str, ...] = ()
        if parent_guid:
            found = [c for c in codebook if c.guid == parent_guid]
            if not found:
                raise BadInputError(f"no code {parent_guid} to place the new code under")
            parent = found[0].path
        path = (*parent, label)
        if any(c.path == path for c in codebook):
            raise BadInputError(f"code {'/'.join(path)!r} exists already: apply it instead")
        new = Code(path=path, definition=f'In-vivo code: "{label}".')
        write_codes(connection, Codebook(codes=[*codebook.codes, new]), origin="in-vivo")
        record_change(connection, coder, "add", {"code": new.guid, "path": list(path)})
        code_id = connection.execute(
            sa.select(codes.c.id).where(codes.c.guid == new.guid)
        ).scalar_one()
        span = locate(connection, document=document_id, start=start, end=end)
        coding_id, _ = _apply(connection, span, int(code_id), coder, None)
    return new.guid, coding_id


def resolve_disagreement(
    store: Store,
    adjudicator: str,
    document_id: int,
    code_id: int,
    start: int,
    end: int,
    resolved: Sequence[int],
    memo: str | None = None,
) -> int:
    """Store the adjudicator's resolution as a new coding, linked to the codings it resolves
    (which are kept), in one transaction; return the new coding's id."""
    adjudicator = adjudicator.strip()
    if not adjudicator:
        raise BadInputError("a resolution needs a named adjudicator", field="adjudicator")
    with store.transaction() as connection:
        known = set(
            connection.scalars(
                sa.select(codings.c.id).where(
                    codings.c.id.in_(list(resolved)), codings.c.document_id == document_id
                )
            )
        )
        missing = sorted(set(resolved) - known)
        if missing:
            raise _changed(f"coding {missing[0]}")
        span = locate(connection, document=document_id, start=start, end=end)
        new_id, _ = _apply(connection, span, code_id, adjudicator, memo)
        connection.execute(
            coding_resolutions.insert().values(
                coding_id=new_id,
                adjudicator_id=ensure_coder(connection, adjudicator),
                resolved=sorted(known),
            )
        )
    return new_id
