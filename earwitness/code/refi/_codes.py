"""Codes between the store and REFI-QDA: one ``Description`` carries the whole definition.

REFI-QDA gives a code a name, colour, ``isCodable`` flag and one free-text description.
earwitness codes also have inclusion and exclusion criteria and example quotes, so on
export the description reads::

    <definition>

    Include: <inclusion criteria>

    Exclude: <exclusion criteria>

    Examples:
    - <quote>
    - <quote> (illustrative)

(examples are stored as ``{"quote": str, "illustrative": bool}``), which NVivo,
ATLAS.ti and MAXQDA show as it is, and which :func:`parse_description` splits back on
import. A description from another tool without these headings is the
definition.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from earwitness.code.refi._read import RefiCode
from earwitness.store.schema import codes

__all__ = [
    "CodeFields",
    "compose_description",
    "inserted_id",
    "parse_description",
    "write_codes",
]

_HEADING = re.compile(r"^(Include|Exclude|Examples):[ \t]*", re.MULTILINE)
_ILLUSTRATIVE = " (illustrative)"
_COLOR = re.compile(r"^#(?:[0-9A-Fa-f]{6}|[0-9A-Fa-f]{3})$")
_IN_CHUNKS = 500


@dataclass(frozen=True)
class CodeFields:
    definition: str = ""
    inclusion: str = ""
    exclusion: str = ""
    examples: tuple[dict[str, Any], ...] = ()


def _example_line(example: Any) -> str:
    if isinstance(example, dict):
        quote = str(example.get("quote", "")).strip()
        return quote + (_ILLUSTRATIVE if example.get("illustrative") else "")
    return str(example).strip()


def _example(line: str) -> dict[str, Any]:
    quote = line.strip()[2:].strip()
    illustrative = quote.endswith(_ILLUSTRATIVE)
    if illustrative:
        quote = quote[: -len(_ILLUSTRATIVE)].rstrip()
    return {"quote": quote, "illustrative": illustrative}


def compose_description(
    definition: str, inclusion: str = "", exclusion: str = "", examples: Sequence[Any] = ()
) -> str:
    parts = [definition.strip()] if definition.strip() else []
    if inclusion.strip():
        parts.append(f"Include: {inclusion.strip()}")
    if exclusion.strip():
        parts.append(f"Exclude: {exclusion.strip()}")
    if examples:
        parts.append(
            "Examples:\n" + "\n".join(f"- {_example_line(example)}" for example in examples)
        )
    return "\n\n".join(parts)


def parse_description(description: str) -> CodeFields:
    pieces = _HEADING.split(description)
    fields: dict[str, Any] = {"definition": pieces[0].strip()}
    for heading, body in zip(pieces[1::2], pieces[2::2], strict=True):
        if heading == "Examples":
            fields["examples"] = tuple(
                _example(line) for line in body.splitlines() if line.strip().startswith("- ")
            )
        else:
            fields["inclusion" if heading == "Include" else "exclusion"] = body.strip()
    return CodeFields(**fields)


def inserted_id(result: sa.CursorResult[Any]) -> int:
    key = result.inserted_primary_key
    if key is None:
        raise RuntimeError("the database returned no primary key for an insert")
    return int(key[0])


def _existing(connection: Connection, guids: Sequence[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for i in range(0, len(guids), _IN_CHUNKS):
        chunk = guids[i : i + _IN_CHUNKS]
        rows = connection.execute(
            sa.select(codes.c.guid, codes.c.id).where(codes.c.guid.in_(chunk))
        )
        found.update({str(guid): int(code_id) for guid, code_id in rows})
    return found


def write_codes(
    connection: Connection, refi_codes: Sequence[RefiCode]
) -> tuple[dict[str, int], int]:
    """Insert new codes and update known ones (by guid); return guid→id and the new count.

    ``refi_codes`` lists parents before children, as :func:`read_codes` returns them.
    """
    ids = _existing(connection, [code.guid for code in refi_codes])
    new = 0
    for code in refi_codes:
        fields = parse_description(code.description)
        values = {
            "name": code.name,
            "parent_id": ids.get(code.parent) if code.parent else None,
            "definition": fields.definition,
            "inclusion": fields.inclusion,
            "exclusion": fields.exclusion,
            "examples": list(fields.examples),
            "color": code.color if code.color and _COLOR.match(code.color) else None,
            "codable": code.codable,
            "position": code.position,
        }
        if code.guid in ids:
            connection.execute(codes.update().where(codes.c.id == ids[code.guid]).values(**values))
            continue
        result = connection.execute(
            codes.insert().values(guid=code.guid, origin="human", extra={}, **values)
        )
        ids[code.guid] = inserted_id(result)
        new += 1
    return ids, new
