"""Codebook editing in place: add, edit (rename, definitions, colour), move and merge codes.

Each change is one transaction: the codes are written by the codebook's own writer
(:func:`write_codes`, keeping every code's guid), and the change is recorded in
``codebook_changes`` with the whole codebook after it, as ``codebook export`` writes it
(its version history). An edit carries the fields the page read; if another coder changed
them meanwhile, it is refused.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from earwitness.code._codebook import (
    _COLOR,
    Code,
    Codebook,
    dump_codebook_yaml,
    read_codebook,
    write_codes,
)
from earwitness.code.workbench._write import ConflictError
from earwitness.errors import BadInputError
from earwitness.store import Store, ensure_coder
from earwitness.store.schema import codebook_changes, codes, codings, notes, set_members

__all__ = [
    "EDITABLE",
    "add_code",
    "codebook_history",
    "edit_code",
    "merge_codes",
    "move_code",
    "record_change",
]

EDITABLE = ("name", "definition", "inclusion", "exclusion", "color")


def _find(codebook: Codebook, guid: str) -> Code:
    for code in codebook:
        if code.guid == guid:
            return code
    raise BadInputError(f"no code {guid} in the codebook", field="code")


def _color(value: Any) -> str | None:
    """A colour as the codebook's YAML takes it (``#rrggbb``), or None for the default."""
    if not value:
        return None
    if not isinstance(value, str) or not _COLOR.match(value):
        raise BadInputError(f'colour must look like "#1f77b4", not {value!r}', field="color")
    return value.lower()


def _name(value: Any) -> str:
    name = " ".join(str(value or "").split())
    if not name or len(name) > 255:
        raise BadInputError("a code's name is 1 to 255 characters", field="name")
    return name


def record_change(connection: Connection, coder: str, action: str, detail: dict[str, Any]) -> int:
    result = connection.execute(
        codebook_changes.insert().values(
            coder_id=ensure_coder(connection, coder),
            action=action,
            detail=detail,
            codebook=dump_codebook_yaml(read_codebook(connection)),
        )
    )
    key = result.inserted_primary_key
    assert key is not None
    return int(key[0])


def _lock_codes(connection: Connection) -> Codebook:
    """The codebook, with its rows locked (PostgreSQL) so edits are serialised."""
    connection.execute(sa.select(codes.c.id).with_for_update()).all()
    return read_codebook(connection)


def _repath(codebook: Codebook, old: tuple[str, ...], new: tuple[str, ...]) -> Codebook:
    """Move the code at ``old`` (and its descendants) to ``new``; refuse a clash or a cycle."""
    if new[: len(old)] == old and len(new) > len(old):
        raise BadInputError("a code cannot be moved under itself or its own subcodes")
    if any(c.path == new for c in codebook) and new != old:
        raise BadInputError(f"there is a code {'/'.join(new)!r} already", field="name")
    moved = [
        replace(c, path=new + c.path[len(old) :], explicit_guid=c.guid)
        if c.path[: len(old)] == old
        else c
        for c in codebook
    ]
    return Codebook(codes=_parents_first(moved), name=codebook.name)


def _parents_first(found: list[Code]) -> list[Code]:
    ordered: list[Code] = []

    def visit(path: tuple[str, ...]) -> None:
        for code in found:
            if code.parent_path == path:
                ordered.append(code)
                visit(code.path)

    visit(())
    return ordered


def add_code(
    store: Store, coder: str, parent_guid: str | None, fields: dict[str, Any]
) -> tuple[str, int]:
    """Add a code under ``parent_guid`` (top level when None); return its guid and version."""
    with store.transaction() as connection:
        codebook = _lock_codes(connection)
        parent = _find(codebook, parent_guid).path if parent_guid else ()
        path = (*parent, _name(fields.get("name")))
        if any(c.path == path for c in codebook):
            raise BadInputError(f"there is a code {'/'.join(path)!r} already", field="name")
        new = Code(
            path=path,
            definition=str(fields.get("definition") or ""),
            inclusion=str(fields.get("inclusion") or ""),
            exclusion=str(fields.get("exclusion") or ""),
            color=_color(fields.get("color")),
            codable=bool(fields.get("codable", True)),
        )
        write_codes(connection, Codebook(codes=_parents_first([*codebook.codes, new])))
        version = record_change(connection, coder, "add", {"code": new.guid, "path": list(path)})
    return new.guid, version


def edit_code(
    store: Store, coder: str, guid: str, expected: dict[str, Any], fields: dict[str, Any]
) -> int:
    """Rename a code or change its definition, inclusion, exclusion or colour; return the
    version. ``expected`` holds the fields as the page read them."""
    with store.transaction() as connection:
        codebook = _lock_codes(connection)
        code = _find(codebook, guid)
        for field in EDITABLE:
            if field in expected and (expected[field] or "") != (getattr(code, field) or ""):
                raise ConflictError(
                    f"code {code.name!r} was changed by another coder since you opened the "
                    "codebook; theirs is kept and your edit was not written. The codebook has "
                    "been reloaded: look, then edit again."
                )
        changed = {f: fields[f] for f in EDITABLE if f in fields}
        name = _name(changed.pop("name", code.name))
        codebook = _repath(codebook, code.path, (*code.parent_path, name))
        values: dict[str, Any] = {
            k: _color(v) if k == "color" else str(v or "") for k, v in changed.items()
        }
        updated = [replace(c, **values) if c.guid == guid else c for c in codebook]
        write_codes(connection, Codebook(codes=updated))
        detail = {"code": guid, "path": [*code.parent_path, name], "fields": sorted(fields)}
        return record_change(connection, coder, "edit", detail)


def move_code(store: Store, coder: str, guid: str, parent_guid: str | None) -> int:
    """Move a code (with its subcodes) under ``parent_guid``, or to the top level."""
    with store.transaction() as connection:
        codebook = _lock_codes(connection)
        code = _find(codebook, guid)
        parent = _find(codebook, parent_guid).path if parent_guid else ()
        write_codes(connection, _repath(codebook, code.path, (*parent, code.name)))
        return record_change(
            connection, coder, "move", {"code": guid, "path": [*parent, code.name],
                                        "from": list(code.parent_path)}
        )  # fmt: skip


def merge_codes(
    store: Store, coder: str, source_guid: str, target_guid: str, definition: str | None
) -> int:
    """Merge ``source`` into ``target``: its codings, subcodes and memos go to the target,
    a coding the target already has on the same span by the same coder is dropped, and the
    source code is deleted. ``definition`` replaces the target's when given."""
    if source_guid == target_guid:
        raise BadInputError("merge a code into another code")
    with store.transaction() as connection:
        codebook = _lock_codes(connection)
        source, target = _find(codebook, source_guid), _find(codebook, target_guid)
        if target.path[: len(source.path)] == source.path:
            raise BadInputError("a code cannot be merged into its own subcode")
        moved = codebook
        for child in [c for c in codebook if c.parent_path == source.path]:
            moved = _repath(moved, child.path, (*target.path, child.name))
        if definition is not None:
            moved = Codebook(
                codes=[replace(c, definition=definition) if c.guid == target_guid else c
                       for c in moved]
            )  # fmt: skip
        write_codes(connection, moved)
        ids = dict(
            connection.execute(
                sa.select(codes.c.guid, codes.c.id).where(
                    codes.c.guid.in_([source_guid, target_guid])
                )
            ).all()
        )
        _move_codings(connection, ids[source_guid], ids[target_guid])
        connection.execute(
            notes.update()
            .where(notes.c.target_type == "code", notes.c.target_id == ids[source_guid])
            .values(target_id=ids[target_guid])
        )
        connection.execute(
            set_members.delete().where(
                set_members.c.member_type == "code", set_members.c.member_id == ids[source_guid]
            )
        )
        connection.execute(codes.delete().where(codes.c.id == ids[source_guid]))
        return record_change(
            connection, coder, "merge", {"from": source_guid, "into": target_guid,
                                         "path": list(source.path)}
        )  # fmt: skip


def _move_codings(connection: Connection, source: int, target: int) -> None:
    target_rows = {
        (r.document_id, r.start, r.end, r.coder_id, r.origin)
        for r in connection.execute(
            sa.select(codings.c.document_id, codings.c.start, codings.c.end, codings.c.coder_id,
                      codings.c.origin).where(codings.c.code_id == target)
        )
    }  # fmt: skip
    drop: list[int] = []
    keep: list[int] = []
    for r in connection.execute(
        sa.select(codings.c.id, codings.c.document_id, codings.c.start, codings.c.end,
                  codings.c.coder_id, codings.c.origin).where(codings.c.code_id == source)
    ):  # fmt: skip
        key = (r.document_id, r.start, r.end, r.coder_id, r.origin)
        (drop if key in target_rows else keep).append(int(r.id))
    if drop:
        connection.execute(codings.delete().where(codings.c.id.in_(drop)))
    if keep:
        connection.execute(codings.update().where(codings.c.id.in_(keep)).values(code_id=target))


def codebook_history(connection: Connection, limit: int = 50) -> list[dict[str, Any]]:
    """The latest codebook changes, newest first."""
    from earwitness.store.schema import coders

    rows = connection.execute(
        sa.select(codebook_changes.c.id, codebook_changes.c.action, codebook_changes.c.detail,
                  codebook_changes.c.created_at, coders.c.name)
        .outerjoin(coders, coders.c.id == codebook_changes.c.coder_id)
        .order_by(codebook_changes.c.id.desc())
        .limit(limit)
    )  # fmt: skip
    return [
        {"version": int(r.id), "action": r.action, "detail": r.detail, "coder": r.name or "",
         "at": r.created_at.isoformat() if r.created_at else ""}
        for r in rows
    ]  # fmt: skip
