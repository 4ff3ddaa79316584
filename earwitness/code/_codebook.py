"""The codebook: hierarchical codes (theme, code, subcode), authored in YAML.

A code has a name, a definition, inclusion and exclusion criteria, example quotes, a
colour, a ``codable`` flag (themes that only group codes are usually not codable) and a
stable guid. The guid is a UUID version 5 of the code's path (its name and its
ancestors' names), so exporting, re-importing and exporting again keeps it:

    guid = uuid5(CODE_NAMESPACE, json.dumps([theme, code, subcode], ensure_ascii=False,
                                            separators=(",", ":")))

A guid given explicitly (``guid:`` in YAML, or from a REFI-QDA file) is kept instead.

YAML authoring format (``docs/code.md`` shows a full example)::

    codebook:                  # optional: name and description of the codebook
      name: AI mastering adoption
      description: Starting point; adapt it to your study.
    codes:
      - name: Perceived quality          # a theme
        codable: false
        color: "#1f77b4"
        children:
          - name: Sounds finished          # a code
            definition: ...
            inclusion: ...
            exclusion: ...
            examples:
              - quote: "It came back loud and clear."
                illustrative: true         # written for the codebook, not a real quote
      - name: Too loud                     # a code placed by reference to its parent
        parent: Perceived quality          # a name, or the full path as a list

Sibling names must be unique; every ``parent`` must name a code in the file; a parent
chain must not loop. Errors name the line of the YAML file.

Example quotes are stored as ``{"quote": str, "illustrative": bool}`` in ``codes.examples``.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import sqlalchemy as sa
import yaml
from sqlalchemy.engine import Connection

from earwitness.errors import BadInputError
from earwitness.store import Store
from earwitness.store.schema import codes as codes_table

__all__ = [
    "CODE_NAMESPACE",
    "Code",
    "CodeIndex",
    "Codebook",
    "CodebookWrite",
    "code_guid",
    "dump_codebook_yaml",
    "find_code",
    "load_codebook_yaml",
    "parse_codebook_yaml",
    "read_codebook",
    "write_codebook",
]

CODE_NAMESPACE = uuid.UUID("77e3126a-b28d-511c-aead-ca0d3e54cda3")
"""uuid5(NAMESPACE_URL, "https://earwitness.invalid/refi-qda/code"): fixed forever."""

_COLOR = re.compile(r"^#[0-9A-Fa-f]{6}$")
_CODE_KEYS = {
    "name",
    "parent",
    "definition",
    "inclusion",
    "exclusion",
    "examples",
    "color",
    "colour",
    "codable",
    "guid",
    "children",
}
_TOP_KEYS = {"codebook", "codes"}


def code_guid(path: Sequence[str]) -> str:
    """The stable guid of the code at ``path`` (its ancestors' names, then its own)."""
    if not path or any(not isinstance(part, str) or not part for part in path):
        raise ValueError("a code path is a non-empty sequence of non-empty names")
    key = json.dumps(list(path), ensure_ascii=False, separators=(",", ":"))
    return str(uuid.uuid5(CODE_NAMESPACE, key))


@dataclass
class Code:
    """One code of the codebook; ``path`` ends with its own name."""

    path: tuple[str, ...]
    definition: str = ""
    inclusion: str = ""
    exclusion: str = ""
    examples: list[dict[str, Any]] = field(default_factory=list)
    color: str | None = None
    codable: bool = True
    explicit_guid: str | None = None
    line: int | None = None

    @property
    def name(self) -> str:
        return self.path[-1]

    @property
    def parent_path(self) -> tuple[str, ...]:
        return self.path[:-1]

    @property
    def guid(self) -> str:
        return self.explicit_guid or code_guid(self.path)

    @property
    def level(self) -> str:
        return ("theme", "code", "subcode")[min(len(self.path), 3) - 1]


@dataclass
class Codebook:
    """Codes in order, every parent before its children."""

    codes: list[Code]
    name: str = ""
    description: str = ""

    def __iter__(self) -> Iterator[Code]:
        return iter(self.codes)

    def __len__(self) -> int:
        return len(self.codes)

    def children(self, path: tuple[str, ...]) -> list[Code]:
        return [code for code in self.codes if code.parent_path == path]


# --- YAML -----------------------------------------------------------------------------------


_LINE = object()  # the key, which no YAML document can use, holding a mapping's line


class _LineLoader(yaml.SafeLoader):
    """A safe loader that records each mapping's line and refuses duplicate keys."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[Any, int] = {}
        for key_node, _value in node.value:
            key = self.construct_object(key_node, deep=True)
            line = key_node.start_mark.line + 1
            if isinstance(key, str) and key in seen:
                raise BadInputError(
                    f"line {line}: key {key!r} appears twice (first on line {seen[key]})"
                )
            if isinstance(key, str):
                seen[key] = line
        mapping = super().construct_mapping(node, deep=deep)
        mapping[_LINE] = node.start_mark.line + 1
        return mapping


def _line(mapping: dict[Any, Any]) -> int:
    return int(mapping.get(_LINE, 0))


def load_codebook_yaml(path: Path) -> Codebook:
    """Read and check a YAML codebook; errors name the file and the line."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise BadInputError("no such file", file=path) from None
    except UnicodeDecodeError:
        raise BadInputError("not UTF-8 text", file=path) from None
    try:
        return parse_codebook_yaml(text)
    except BadInputError as exc:
        raise BadInputError(exc.message, file=path) from None


def parse_codebook_yaml(text: str) -> Codebook:
    try:
        document = yaml.load(text, Loader=_LineLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.reader.ReaderError as exc:  # a control character such as NUL
        line = text.count("\n", 0, max(exc.position, 0)) + 1
        raise BadInputError(
            f"line {line}: the file holds the control character #x{exc.character:04x}, "
            "which YAML does not allow; remove it"
            if isinstance(exc.character, int)
            else f"line {line}: the file holds a character YAML does not allow"
        ) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f"line {mark.line + 1}: " if mark is not None else ""
        problem = " ".join(str(exc.problem or "").split())
        raise BadInputError(f"{where}malformed YAML: {problem}") from None
    except yaml.YAMLError as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise BadInputError(f"malformed YAML: {first}") from None
    if not isinstance(document, dict) or not isinstance(document.get("codes"), list):
        raise BadInputError("a codebook is a mapping with a 'codes:' list")
    _refuse_unknown_keys(document, _TOP_KEYS, "the codebook file")
    header = document.get("codebook") or {}
    if not isinstance(header, dict):
        raise BadInputError(f"line {_line(document)}: 'codebook:' must be a mapping")
    entries = list(_flatten(document["codes"], parent=None))
    codes = _resolve(entries)
    return Codebook(
        codes=codes,
        name=str(header.get("name") or ""),
        description=str(header.get("description") or ""),
    )


def _refuse_unknown_keys(mapping: dict[Any, Any], allowed: set[str], what: str) -> None:
    unknown = [k for k in mapping if k is not _LINE and k not in allowed]
    if unknown:
        raise BadInputError(
            f"line {_line(mapping)}: unknown key {unknown[0]!r} in {what} "
            f"(allowed: {', '.join(sorted(allowed))})"
        )


@dataclass
class _Entry:
    raw: dict[Any, Any]
    name: str
    nested_parent: _Entry | None
    parent_ref: tuple[str, ...] | None
    line: int


def _flatten(items: Any, parent: _Entry | None) -> Iterator[_Entry]:
    if not isinstance(items, list):
        line = _line(parent.raw) if parent else 0
        raise BadInputError(f"line {line}: 'children:' must be a list of codes")
    for item in items:
        if not isinstance(item, dict):
            where = f"line {_line(parent.raw)}: " if parent else ""
            raise BadInputError(f"{where}each code must be a mapping with at least a 'name'")
        line = _line(item)
        _refuse_unknown_keys(item, _CODE_KEYS, "a code")
        name = item.get("name")
        if not isinstance(name, str) or not name.strip():
            raise BadInputError(f"line {line}: a code needs a non-empty 'name'")
        parent_ref = _parent_ref(item.get("parent"), line)
        if parent_ref is not None and parent is not None:
            raise BadInputError(
                f"line {line}: code {name!r} is nested under {parent.name!r} and also names "
                "a 'parent'; use one or the other"
            )
        entry = _Entry(item, name.strip(), parent, parent_ref, line)
        yield entry
        if "children" in item:
            yield from _flatten(item["children"], entry)


def _parent_ref(value: Any, line: int) -> tuple[str, ...] | None:
    if value is None:
        return None
    if isinstance(value, str) and value.strip():
        return (value.strip(),)
    if isinstance(value, list) and value and all(isinstance(v, str) and v for v in value):
        return tuple(v.strip() for v in value)
    raise BadInputError(f"line {line}: 'parent' must be a code's name or its path as a list")


def _resolve(entries: list[_Entry]) -> list[Code]:
    by_name: dict[str, list[_Entry]] = {}
    for entry in entries:
        by_name.setdefault(entry.name, []).append(entry)
    paths: dict[int, tuple[str, ...]] = {}

    def path_of(entry: _Entry, visiting: tuple[_Entry, ...] = ()) -> tuple[str, ...]:
        if id(entry) in paths:
            return paths[id(entry)]
        if any(entry is seen for seen in visiting):
            loop = [*visiting[[e is entry for e in visiting].index(True) :], entry]
            chain = " -> ".join(f"{e.name!r} (line {e.line})" for e in loop)
            raise BadInputError(
                f"line {loop[0].line}: the parents of code {loop[0].name!r} form a cycle: {chain}"
            )
        parent = _parent_of(entry, by_name, lambda e: path_of(e, (*visiting, entry)))
        path = (
            (entry.name,) if parent is None else (*path_of(parent, (*visiting, entry)), entry.name)
        )
        paths[id(entry)] = path
        return path

    for entry in entries:
        path_of(entry)
    siblings: dict[tuple[str, ...], _Entry] = {}
    for entry in sorted(entries, key=lambda e: e.line):
        path = paths[id(entry)]
        if path in siblings:
            raise BadInputError(
                f"line {entry.line}: duplicate code name {entry.name!r} under "
                f"{_describe_parent(path)} (first on line {siblings[path].line})"
            )
        siblings[path] = entry
    codes = [_code(entry, paths[id(entry)]) for entry in _parents_first(entries, paths)]
    _refuse_shared_guids(codes)
    return codes


def _refuse_shared_guids(codes: list[Code]) -> None:
    """Every code needs its own guid: an explicit ``guid:`` that repeats another code's
    (explicit or derived from its path) would make the second overwrite the first."""
    first: dict[str, Code] = {}
    for code in sorted(codes, key=lambda c: c.line or 0):
        earlier = first.get(code.guid)
        if earlier is not None:
            raise BadInputError(
                f"line {code.line}: code {code.name!r} has the guid {code.guid} of code "
                f"{earlier.name!r} on line {earlier.line}; give each code its own guid "
                "(or none: it is then derived from the code's path)"
            )
        first[code.guid] = code


def _parent_of(
    entry: _Entry,
    by_name: dict[str, list[_Entry]],
    path_of: Callable[[_Entry], tuple[str, ...]],
) -> _Entry | None:
    if entry.parent_ref is None:
        return entry.nested_parent
    ref = entry.parent_ref
    candidates = by_name.get(ref[-1], [])
    if len(ref) > 1:
        candidates = [c for c in candidates if path_of(c) == ref]
    if not candidates:
        raise BadInputError(
            f"line {entry.line}: code {entry.name!r} names an unknown parent {' / '.join(ref)!r}"
        )
    if len(candidates) > 1:
        lines = ", ".join(str(c.line) for c in candidates)
        raise BadInputError(
            f"line {entry.line}: parent {ref[-1]!r} of {entry.name!r} is ambiguous (codes on "
            f"lines {lines}); give its full path as a list"
        )
    return candidates[0]


def _describe_parent(path: tuple[str, ...]) -> str:
    return f"{' / '.join(path[:-1])!r}" if len(path) > 1 else "the top level"


def _parents_first(entries: list[_Entry], paths: dict[int, tuple[str, ...]]) -> list[_Entry]:
    """Keep the file's order among siblings, and put every parent before its children."""
    children: dict[tuple[str, ...], list[_Entry]] = {}
    for entry in entries:
        children.setdefault(paths[id(entry)][:-1], []).append(entry)
    result: list[_Entry] = []

    def visit(path: tuple[str, ...]) -> None:
        for child in children.get(path, []):
            result.append(child)
            visit(paths[id(child)])

    visit(())
    return result


def _text(raw: dict[Any, Any], key: str, line: int) -> str:
    value = raw.get(key, "")
    if value is None:
        return ""
    if not isinstance(value, str | int | float):
        raise BadInputError(f"line {line}: {key!r} must be text")
    return str(value).strip()


def _code(entry: _Entry, path: tuple[str, ...]) -> Code:
    raw, line = entry.raw, entry.line
    color = raw.get("color", raw.get("colour"))
    if color is not None and (not isinstance(color, str) or not _COLOR.match(color)):
        raise BadInputError(f'line {line}: colour must look like "#1f77b4", not {color!r}')
    codable = raw.get("codable", True)
    if not isinstance(codable, bool):
        raise BadInputError(f"line {line}: 'codable' must be true or false")
    guid = raw.get("guid")
    if guid is not None:
        try:
            guid = str(uuid.UUID(str(guid)))
        except ValueError:
            raise BadInputError(f"line {line}: 'guid' is not a UUID: {guid!r}") from None
    return Code(
        path=path,
        definition=_text(raw, "definition", line),
        inclusion=_text(raw, "inclusion", line),
        exclusion=_text(raw, "exclusion", line),
        examples=_examples(raw.get("examples"), line),
        color=color.lower() if color else None,
        codable=codable,
        explicit_guid=guid,
        line=line,
    )


def _examples(value: Any, line: int) -> list[dict[str, Any]]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise BadInputError(f"line {line}: 'examples' must be a list")
    examples = []
    for item in value:
        if isinstance(item, str):
            examples.append({"quote": item.strip(), "illustrative": False})
        elif isinstance(item, dict) and isinstance(item.get("quote"), str):
            _refuse_unknown_keys(item, {"quote", "illustrative"}, "an example")
            illustrative = item.get("illustrative", False)
            if not isinstance(illustrative, bool):
                raise BadInputError(f"line {_line(item)}: 'illustrative' must be true or false")
            examples.append({"quote": item["quote"].strip(), "illustrative": illustrative})
        else:
            raise BadInputError(
                f"line {line}: each example is a quote, or a mapping with 'quote' and "
                "'illustrative'"
            )
    return examples


def dump_codebook_yaml(codebook: Codebook) -> str:
    """The codebook in the YAML authoring format, nested by ``children``."""

    def as_mapping(code: Code) -> dict[str, Any]:
        item: dict[str, Any] = {"name": code.name}
        if code.explicit_guid and code.explicit_guid != code_guid(code.path):
            item["guid"] = code.explicit_guid
        for key in ("definition", "inclusion", "exclusion"):
            if getattr(code, key):
                item[key] = getattr(code, key)
        if code.examples:
            item["examples"] = [dict(example) for example in code.examples]
        if code.color:
            item["color"] = code.color
        if not code.codable:
            item["codable"] = False
        children = codebook.children(code.path)
        if children:
            item["children"] = [as_mapping(child) for child in children]
        return item

    document: dict[str, Any] = {}
    if codebook.name or codebook.description:
        document["codebook"] = {"name": codebook.name, "description": codebook.description}
    document["codes"] = [as_mapping(code) for code in codebook.children(())]
    return yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=96)


# --- the store ------------------------------------------------------------------------------


@dataclass(frozen=True)
class CodebookWrite:
    new: int
    updated: int
    unchanged: int

    @property
    def total(self) -> int:
        return self.new + self.updated + self.unchanged


def write_codebook(store: Store, codebook: Codebook, *, origin: str = "human") -> CodebookWrite:
    """Write every code in one transaction; a code already there (same guid) is updated.

    Codes in the study but not in ``codebook`` are kept: codings may point at them.
    """
    with store.transaction() as connection:
        return write_codes(connection, codebook, origin=origin)


def write_codes(
    connection: Connection, codebook: Codebook, *, origin: str = "human"
) -> CodebookWrite:
    """:func:`write_codebook` inside the caller's transaction."""
    new = updated = unchanged = 0
    ids = {
        row.guid: int(row.id)
        for row in connection.execute(sa.select(codes_table.c.guid, codes_table.c.id))
    }
    guid_of = {code.path: code.guid for code in codebook}
    positions: dict[tuple[str, ...], int] = {}
    for code in codebook:
        position = positions.get(code.parent_path, 0)
        positions[code.parent_path] = position + 1
        values = {
            "name": code.name,
            "parent_id": _parent_id(code, guid_of, ids),
            "definition": code.definition,
            "inclusion": code.inclusion,
            "exclusion": code.exclusion,
            "examples": code.examples,
            "color": code.color,
            "codable": code.codable,
            "position": position,
        }
        existing = ids.get(code.guid)
        if existing is None:
            result = connection.execute(
                codes_table.insert().values(guid=code.guid, origin=origin, extra={}, **values)
            )
            key = result.inserted_primary_key
            assert key is not None
            ids[code.guid] = int(key[0])
            new += 1
        elif _differs(connection, existing, values):
            connection.execute(
                codes_table.update().where(codes_table.c.id == existing).values(**values)
            )
            updated += 1
        else:
            unchanged += 1
    return CodebookWrite(new, updated, unchanged)


def _parent_id(code: Code, guid_of: dict[tuple[str, ...], str], ids: dict[str, int]) -> int | None:
    if not code.parent_path:
        return None
    guid = guid_of.get(code.parent_path) or code_guid(code.parent_path)
    if guid not in ids:
        raise BadInputError(
            f"code {'/'.join(code.path)!r}: its parent {'/'.join(code.parent_path)!r} is "
            "neither in the codebook nor in the study"
        )
    return ids[guid]


def _differs(connection: Connection, code_id: int, values: dict[str, Any]) -> bool:
    columns = [codes_table.c[name] for name in values]
    row = connection.execute(sa.select(*columns).where(codes_table.c.id == code_id)).one()
    return any(getattr(row, name) != value for name, value in values.items())


def read_codebook(connection: Connection) -> Codebook:
    """The study's codebook, parents first, siblings in their stored order."""
    rows = connection.execute(
        sa.select(codes_table).order_by(codes_table.c.position, codes_table.c.id)
    ).all()
    by_id = {int(row.id): row for row in rows}
    paths: dict[int, tuple[str, ...]] = {}

    def path_of(code_id: int, seen: frozenset[int] = frozenset()) -> tuple[str, ...]:
        if code_id in paths:
            return paths[code_id]
        row = by_id[code_id]
        parent = row.parent_id
        if parent is None or parent in seen or parent not in by_id:
            path: tuple[str, ...] = (row.name,)
        else:
            path = (*path_of(int(parent), seen | {code_id}), row.name)
        paths[code_id] = path
        return path

    codes = [
        Code(
            path=path_of(int(row.id)),
            definition=row.definition or "",
            inclusion=row.inclusion or "",
            exclusion=row.exclusion or "",
            examples=list(row.examples or []),
            color=row.color,
            codable=bool(row.codable),
            explicit_guid=row.guid,
        )
        for row in rows
    ]
    codebook = Codebook(codes=codes)
    ordered: list[Code] = []

    def visit(path: tuple[str, ...]) -> None:
        for child in codebook.children(path):
            ordered.append(child)
            visit(child.path)

    visit(())
    return replace(codebook, codes=ordered)


class CodeIndex:
    """Resolves references to codes: a guid, a path "Theme/Code", or a unique name."""

    def __init__(self, connection: Connection) -> None:
        self.codebook = read_codebook(connection)
        self._ids = {
            row.guid: int(row.id)
            for row in connection.execute(sa.select(codes_table.c.guid, codes_table.c.id))
        }
        self._by_path = {code.path: code for code in self.codebook}
        self._by_name: dict[str, list[Code]] = {}
        for code in self.codebook:
            self._by_name.setdefault(code.name, []).append(code)

    def resolve(self, reference: str) -> int:
        """A guid, the path as ``codebook show`` prints it ("Theme/Code", names holding
        ``/`` included), a path with spaces around the ``/``, or a unique name."""
        reference = reference.strip()
        if reference in self._ids:
            return self._ids[reference]
        shown = [c for c in self.codebook if "/".join(c.path) == reference]
        if len(shown) == 1:
            return self._ids[shown[0].guid]
        if len(shown) > 1:
            guids = "; ".join(c.guid for c in shown)
            raise BadInputError(
                f"{reference!r} names {len(shown)} codes (a name holds '/'); give its guid: {guids}"
            )
        path = tuple(part.strip() for part in reference.split("/"))
        if path in self._by_path:
            return self._ids[self._by_path[path].guid]
        match = self._by_name.get(reference, [])
        if not match:
            raise BadInputError(f"no code {reference!r} in the codebook")
        if len(match) > 1:
            options = "; ".join("/".join(c.path) for c in match)
            raise BadInputError(f"code name {reference!r} is ambiguous; give its path: {options}")
        return self._ids[match[0].guid]

    def path(self, code_id: int) -> tuple[str, ...]:
        guid = next(g for g, i in self._ids.items() if i == code_id)
        return next(c.path for c in self.codebook if c.guid == guid)

    def paths(self) -> dict[int, str]:
        """Every code id with its path written "Theme/Code/Subcode"."""
        return {self._ids[c.guid]: "/".join(c.path) for c in self.codebook}


def find_code(connection: Connection, reference: str) -> int:
    """The id of the code named by ``reference``: a guid, a path "Theme/Code", or a name."""
    return CodeIndex(connection).resolve(reference)
