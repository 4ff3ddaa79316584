"""Reading a REFI-QDA project (``.qdpx``) or codebook (``.qdc``) into plain records.

Nothing here touches the store: the whole file is read, checked and anchored first, so
that a bad file is refused before anything is written. Elements are matched by local
name, so files that omit or misspell the ``urn:QDA-XML`` namespace still read.

Text is kept exactly as the file has it, with one exception: a leading byte-order mark
is dropped (it is an encoding signature, not text; NVivo 12 does not count it in its
offsets). Line ends stay as they are (NVivo writes CRLF and counts both characters),
so offsets keep pointing at the same characters and the text exports back unchanged.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import Any

from lxml import etree

from earwitness.code.refi._safezip import SafeArchive, parse_xml
from earwitness.errors import BadInputError

__all__ = [
    "RefiCase",
    "RefiCode",
    "RefiCoding",
    "RefiNote",
    "RefiProject",
    "RefiSelection",
    "RefiSet",
    "RefiSource",
    "decode_text",
    "normalise_guid",
    "read_codebook",
    "read_codebook_file",
    "read_project",
]

MAX_CODEBOOK_BYTES = 64 * 1024 * 1024


@dataclass
class RefiCode:
    guid: str
    name: str
    parent: str | None
    description: str
    color: str | None
    codable: bool
    position: int
    notes: list[str] = field(default_factory=list)


@dataclass
class RefiCoding:
    guid: str
    code: str
    user: str | None
    created_at: datetime | None
    notes: list[str] = field(default_factory=list)


@dataclass
class RefiSelection:
    guid: str
    source: str
    start: int
    end: int
    name: str
    user: str | None
    memo: str
    codings: list[RefiCoding]
    whole_source: bool = False
    notes: list[str] = field(default_factory=list)


@dataclass
class RefiSource:
    guid: str
    name: str
    text: str
    description: str
    variables: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


@dataclass
class RefiNote:
    """A note; ``start``/``end`` (in the file's offset unit) when it is an annotation that
    carries its own PlainTextSelection, as QualCoder writes annotations."""

    guid: str
    name: str
    text: str
    user: str | None
    created_at: datetime | None
    description: str = ""
    start: int | None = None
    end: int | None = None


@dataclass
class RefiSet:
    """A REFI-QDA <Set>: a named group of sources, codes and notes (MAXQDA's sets)."""

    guid: str
    name: str
    description: str
    sources: list[str] = field(default_factory=list)
    codes: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass
class RefiCase:
    guid: str
    name: str
    description: str
    variables: dict[str, Any]
    sources: list[str]


@dataclass
class RefiProject:
    name: str
    origin: str
    users: dict[str, str]
    codes: list[RefiCode]
    sources: list[RefiSource]
    selections: list[RefiSelection]
    notes: list[RefiNote]
    cases: list[RefiCase]
    project_notes: list[str]
    skipped_sources: list[dict[str, str]]
    description: str = ""
    sets: list[RefiSet] = field(default_factory=list)


def _local(element: etree._Element) -> str:
    tag = element.tag
    return tag.rpartition("}")[2] if isinstance(tag, str) else ""


def _children(element: etree._Element, name: str) -> list[etree._Element]:
    return [child for child in element if _local(child) == name]


def _child(element: etree._Element, name: str) -> etree._Element | None:
    for child in element:
        if _local(child) == name:
            return child
    return None


def _text_of(element: etree._Element, name: str) -> str:
    found = _child(element, name)
    return (found.text or "") if found is not None else ""


def normalise_guid(value: str | None) -> str | None:
    if not value:
        return None
    return value.strip().strip("{}").lower()


def _required_guid(element: etree._Element, attribute: str, file: str | Path) -> str:
    guid = normalise_guid(element.get(attribute))
    if not guid:
        raise BadInputError(
            f"<{_local(element)}> without {attribute} (line {element.sourceline})", file=file
        )
    return guid


def _int(element: etree._Element, attribute: str, file: str | Path) -> int:
    value = element.get(attribute)
    try:
        return int(value or "")
    except ValueError:
        raise BadInputError(
            f"<{_local(element)}> {attribute}={value!r} is not an integer "
            f"(line {element.sourceline})",
            file=file,
        ) from None


def _datetime(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def _note_refs(element: etree._Element) -> list[str]:
    return [
        guid
        for ref in _children(element, "NoteRef")
        if (guid := normalise_guid(ref.get("targetGUID")))
    ]


def decode_text(data: bytes, *, file: str | Path) -> str:
    """Plain text of a source: UTF-8 (or UTF-16 with its BOM), byte-order mark dropped."""
    try:
        if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            return data.decode("utf-16")
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise BadInputError(
            f"source text is not UTF-8 (byte {exc.start}); REFI-QDA requires UTF-8", file=file
        ) from None


# --- codebook ---------------------------------------------------------------------------


def read_codes(codes_element: etree._Element, file: str | Path) -> list[RefiCode]:
    """The code tree under a <Codes> element, parents before children."""
    found: list[RefiCode] = []
    seen: set[str] = set()

    def walk(element: etree._Element, parent: str | None) -> None:
        for position, code in enumerate(_children(element, "Code")):
            guid = _required_guid(code, "guid", file)
            if guid in seen:
                raise BadInputError(
                    f"code guid {guid} appears twice (line {code.sourceline})", file=file
                )
            seen.add(guid)
            name = code.get("name") or ""
            if not name.strip() or len(name) > 255:
                raise BadInputError(
                    f"code {guid} needs a name of 1 to 255 characters (line {code.sourceline})",
                    file=file,
                )
            found.append(
                RefiCode(
                    guid=guid,
                    name=name,
                    parent=parent,
                    description=_text_of(code, "Description"),
                    color=code.get("color"),
                    codable=(code.get("isCodable") or "true").strip().lower() in ("true", "1"),
                    position=position,
                    notes=_note_refs(code),
                )
            )
            walk(code, guid)

    walk(codes_element, None)
    return found


def read_codebook_file(path: str | Path) -> list[RefiCode]:
    """The codes of a ``.qdc`` codebook file (a ``<CodeBook>`` XML document)."""
    return read_codebook(path)[0]


def read_codebook(path: str | Path) -> tuple[list[RefiCode], list[RefiSet]]:
    """The codes and sets of a ``.qdc`` codebook file. ATLAS.ti writes its code groups as
    ``<Sets>`` of ``<MemberCode>`` (the REFI-QDA Codebook schema allows them)."""
    path = Path(path)
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise BadInputError(f"cannot read: {exc.strerror}", file=path) from None
    if size > MAX_CODEBOOK_BYTES:
        raise BadInputError(f"refused: {size:,} bytes is too large for a codebook", file=path)
    root = parse_xml(path.read_bytes(), file=path)
    if _local(root) != "CodeBook":
        raise BadInputError(f"expected a <CodeBook> document, found <{_local(root)}>", file=path)
    codes = _child(root, "Codes")
    return (read_codes(codes, path) if codes is not None else []), _read_sets(root, path)


# --- project ----------------------------------------------------------------------------


def _find_project_member(archive: SafeArchive) -> str:
    candidates = [
        name for name in archive.names() if "/" not in name and name.lower().endswith(".qde")
    ]
    if len(candidates) != 1:
        raise BadInputError(
            f"a .qdpx holds exactly one project .qde at its root; found {len(candidates)}",
            file=archive.path,
        )
    return candidates[0]


def _source_member(archive: SafeArchive, plain_path: str) -> str | None:
    scheme, _, rest = plain_path.partition("://")
    if not rest:
        scheme, rest = "internal", plain_path
    if scheme.lower() != "internal":
        return None
    return archive.find(str(PurePosixPath("Sources") / rest.lstrip("/")))


def _read_value(value: etree._Element) -> Any:
    for element in value:
        kind = _local(element)
        text = (element.text or "").strip()
        if kind == "TextValue":
            return element.text or ""
        if kind == "BooleanValue":
            return text.lower() in ("true", "1")
        if kind == "IntegerValue":
            try:
                return int(text)
            except ValueError:
                return text
        if kind == "FloatValue":
            try:
                return float(text)
            except ValueError:
                return text
        if kind in ("DateValue", "DateTimeValue"):
            return text
    return None


def _variables(element: etree._Element, names: dict[str, str]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for value in _children(element, "VariableValue"):
        ref = _child(value, "VariableRef")
        guid = normalise_guid(ref.get("targetGUID")) if ref is not None else None
        if guid:
            values[names.get(guid, guid)] = _read_value(value)
    return values


def _codings(element: etree._Element, file: str | Path) -> list[RefiCoding]:
    found = []
    for coding in _children(element, "Coding"):
        ref = _child(coding, "CodeRef")
        code = normalise_guid(ref.get("targetGUID")) if ref is not None else None
        if not code:
            raise BadInputError(f"<Coding> without a CodeRef (line {coding.sourceline})", file=file)
        found.append(
            RefiCoding(
                guid=_required_guid(coding, "guid", file),
                code=code,
                user=normalise_guid(coding.get("creatingUser")),
                created_at=_datetime(coding.get("creationDateTime")),
                notes=_note_refs(coding),
            )
        )
    return found


def _read_sources(
    root: etree._Element, archive: SafeArchive, variable_names: dict[str, str], file: Path
) -> tuple[list[RefiSource], list[RefiSelection], list[dict[str, str]]]:
    sources: list[RefiSource] = []
    selections: list[RefiSelection] = []
    skipped: list[dict[str, str]] = []
    container = _child(root, "Sources")
    for element in container if container is not None else []:
        kind = _local(element)
        if not kind:
            continue
        guid = _required_guid(element, "guid", file)
        name = element.get("name") or ""
        lost = str(len(element.findall(".//{*}Coding")))
        if kind != "TextSource":
            reason = f"{kind} is not text"
            skipped.append({"guid": guid, "name": name, "reason": reason, "codings": lost})
            continue
        content = _child(element, "PlainTextContent")
        if content is not None:
            text = content.text or ""
        else:
            member = _source_member(archive, element.get("plainTextPath") or "")
            if member is None:
                reason = "its plain text is not inside the archive"
                skipped.append({"guid": guid, "name": name, "reason": reason, "codings": lost})
                continue
            text = decode_text(archive.read(member), file=f"{file}:{member}")
        sources.append(
            RefiSource(
                guid=guid,
                name=name,
                text=text,
                description=_text_of(element, "Description"),
                variables=_variables(element, variable_names),
                notes=_note_refs(element),
            )
        )
        for selection in _children(element, "PlainTextSelection"):
            selections.append(
                RefiSelection(
                    guid=_required_guid(selection, "guid", file),
                    source=guid,
                    start=_int(selection, "startPosition", file),
                    end=_int(selection, "endPosition", file),
                    name=selection.get("name") or "",
                    user=normalise_guid(selection.get("creatingUser")),
                    memo=_text_of(selection, "Description"),
                    codings=_codings(selection, file),
                    notes=_note_refs(selection),
                )
            )
        whole = _codings(element, file)
        if whole:
            selections.append(
                RefiSelection(
                    guid=guid,
                    source=guid,
                    start=0,
                    end=0,
                    name="",
                    user=None,
                    memo="",
                    codings=whole,
                    whole_source=True,
                )
            )
    return sources, selections, skipped


def _read_notes(root: etree._Element, archive: SafeArchive, file: Path) -> list[RefiNote]:
    """Notes with their text inline or in the archive (``plainTextPath``, as QualCoder
    exports journals), and the span of annotations that carry a PlainTextSelection."""
    container = _child(root, "Notes")
    notes = []
    for note in _children(container, "Note") if container is not None else []:
        guid = _required_guid(note, "guid", file)
        content = _child(note, "PlainTextContent")
        text = (content.text or "") if content is not None else ""
        path = note.get("plainTextPath")
        if content is None and path:
            member = _source_member(archive, path)
            if member is None:
                raise BadInputError(
                    f"note {guid} names {path!r}, which is not in the archive "
                    f"(line {note.sourceline})",
                    file=file,
                )
            text = decode_text(archive.read(member), file=f"{file}:{member}")
        selection = _child(note, "PlainTextSelection")
        notes.append(
            RefiNote(
                guid=guid,
                name=note.get("name") or "",
                text=text,
                user=normalise_guid(note.get("creatingUser") or note.get("modifyingUser")),
                created_at=_datetime(note.get("creationDateTime")),
                description=_text_of(note, "Description"),
                start=_int(selection, "startPosition", file) if selection is not None else None,
                end=_int(selection, "endPosition", file) if selection is not None else None,
            )
        )
    return notes


def _refs(element: etree._Element, name: str) -> list[str]:
    """Member guids: ``targetGUID`` in a project; the Codebook schema's ``<MemberCode>``
    names its code with ``guid`` instead."""
    return [
        guid
        for ref in _children(element, name)
        if (guid := normalise_guid(ref.get("targetGUID") or ref.get("guid")))
    ]


def _read_sets(root: etree._Element, file: Path) -> list[RefiSet]:
    container = _child(root, "Sets")
    return [
        RefiSet(
            guid=_required_guid(element, "guid", file),
            name=element.get("name") or "",
            description=_text_of(element, "Description"),
            sources=_refs(element, "MemberSource"),
            codes=_refs(element, "MemberCode"),
            notes=_refs(element, "MemberNote"),
        )
        for element in (_children(container, "Set") if container is not None else [])
    ]


def _read_cases(root: etree._Element, names: dict[str, str], file: Path) -> list[RefiCase]:
    container = _child(root, "Cases")
    cases = []
    for case in _children(container, "Case") if container is not None else []:
        guid = _required_guid(case, "guid", file)
        cases.append(
            RefiCase(
                guid=guid,
                name=case.get("name") or f"case {guid[:8]}",
                description=_text_of(case, "Description"),
                variables=_variables(case, names),
                sources=[
                    target
                    for ref in _children(case, "SourceRef")
                    if (target := normalise_guid(ref.get("targetGUID")))
                ],
            )
        )
    return cases


def read_project(path: str | Path) -> RefiProject:
    """Read a whole ``.qdpx`` (refusing unsafe archives and XML) into records."""
    path = Path(path)
    with SafeArchive(path) as archive:
        member = _find_project_member(archive)
        root = parse_xml(archive.read(member), file=f"{path}:{member}")
        if _local(root) != "Project":
            raise BadInputError(f"expected a <Project>, found <{_local(root)}>", file=path)
        users = {
            guid: user.get("name") or user.get("id") or f"user {guid[:8]}"
            for users in _children(root, "Users")
            for user in _children(users, "User")
            if (guid := _required_guid(user, "guid", path))
        }
        codebook = _child(root, "CodeBook")
        codes_element = _child(codebook, "Codes") if codebook is not None else None
        codes = read_codes(codes_element, path) if codes_element is not None else []
        variables = _child(root, "Variables")
        variable_names = {
            guid: variable.get("name") or guid
            for variable in (_children(variables, "Variable") if variables is not None else [])
            if (guid := _required_guid(variable, "guid", path))
        }
        sources, selections, skipped = _read_sources(root, archive, variable_names, path)
        project_notes = _read_notes(root, archive, path)
    return RefiProject(
        name=root.get("name") or path.stem,
        origin=root.get("origin") or "",
        users=users,
        codes=codes,
        sources=sources,
        selections=selections,
        notes=project_notes,
        cases=_read_cases(root, variable_names, path),
        project_notes=_note_refs(root),
        skipped_sources=skipped,
        description=_text_of(root, "Description"),
        sets=_read_sets(root, path),
    )
