"""Writing a study as REFI-QDA 1.0: a ``.qdc`` codebook or a whole ``.qdpx`` project.

The project is streamed: document texts go to ``Sources/<guid>.txt`` (UTF-8, no BOM) one
at a time, then ``project.qde`` is written element by element with ``lxml.etree.xmlfile``
while codings are read from the store in document order, so a large study never sits in
memory at once. Offsets are code points, as the standard says. The archive is written
beside the target and moved into place only when complete.

What goes out: every coder as a User, the code tree, every document as a TextSource
(with the description and variables it was imported with),
human codings and accepted machine suggestions (proposed or rejected suggestions are not
codings), notes, and cases: the study's cases with their variables, plus one case per
participant who wrote a document, named by pseudonym, with the variable ``user_group``;
annotations as Notes holding their own PlainTextSelection (as QualCoder writes them), the
study's sets as <Sets>, and the imported project description as <Description>.
Each coding becomes one PlainTextSelection (its description is the memo, its name the
first words of the coded text) holding one Coding that keeps the coding's guid.
"""

from __future__ import annotations

import re
import uuid
import zipfile
from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping
from contextlib import nullcontext
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from lxml import etree
from sqlalchemy.engine import Connection

from earwitness import __version__
from earwitness.code.refi._codes import compose_description
from earwitness.errors import EarwitnessError
from earwitness.files import atomic_output
from earwitness.progress import ProgressReporter
from earwitness.store import Store
from earwitness.store.schema import (
    case_documents,
    cases,
    coders,
    codes,
    codings,
    documents,
    notes,
    participants,
    set_members,
    sets,
    utcnow,
)

__all__ = [
    "CODEBOOK_NS",
    "PROJECT_NS",
    "ExportSummary",
    "ProgressFactory",
    "export_qdc",
    "export_qdpx",
]

PROJECT_NS = "urn:QDA-XML:project:1.0"
CODEBOOK_NS = "urn:QDA-XML:codebook:1.0"
_GUID_NAMESPACE = uuid.UUID("5d1f9a8e-2b7c-4c3e-9f61-726566697161")
_GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_COLOR = re.compile(r"^#(?:[0-9A-Fa-f]{6}|[0-9A-Fa-f]{3})$")
# Characters XML 1.0 forbids (C0 controls except tab, LF, CR; lone surrogates; U+FFFE/F).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_SPACE = re.compile(r"\s+")
_QUOTE_CHARS = 80
_STREAM_ROWS = 2000

# Called with a description and a total; ProgressReporter itself fits.
ProgressFactory = Callable[[str, float], ProgressReporter]


@dataclass
class ExportSummary:
    """What an export wrote."""

    file: str
    codes: int
    sources: int
    codings: int
    coders: int
    notes: int
    cases: int
    bytes: int

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _guid(value: str, kind: str = "") -> str:
    value = value.strip().strip("{}")
    return value if _GUID.match(value) else str(uuid.uuid5(_GUID_NAMESPACE, f"{kind}:{value}"))


def _derived(kind: str, value: str) -> str:
    return str(uuid.uuid5(_GUID_NAMESPACE, f"{kind}:{value}"))


def _xml(text: str | None) -> str:
    return _NOT_XML.sub("\ufffd", text or "")


def _timestamp(value: datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value else None


def _element(ns: str, tag: str, attributes: Mapping[str, Any] | None = None) -> etree._Element:
    element = etree.Element(f"{{{ns}}}{tag}", nsmap={None: ns})
    for key, value in (attributes or {}).items():
        if value is not None:
            element.set(key, _xml(str(value)))
    return element


def _sub(
    parent: etree._Element, tag: str, attributes: Mapping[str, Any] | None = None
) -> etree._Element:
    element = etree.SubElement(parent, f"{{{etree.QName(parent).namespace}}}{tag}")
    for key, value in (attributes or {}).items():
        if value is not None:
            element.set(key, _xml(str(value)))
    return element


def _text_element(tag: str, text: str) -> etree._Element:
    element = _element(PROJECT_NS, tag)
    element.text = _xml(text)
    return element


def _text_child(parent: etree._Element, tag: str, text: str) -> None:
    _sub(parent, tag).text = _xml(text)


# --- codebook ---------------------------------------------------------------------------


def _code_rows(connection: Connection) -> list[sa.Row[Any]]:
    return list(
        connection.execute(
            sa.select(codes).order_by(codes.c.parent_id.is_not(None), codes.c.position, codes.c.id)
        )
    )


def _codes_element(
    ns: str, rows: list[sa.Row[Any]], code_notes: Mapping[int, list[str]] | None = None
) -> etree._Element:
    children: dict[int | None, list[sa.Row[Any]]] = defaultdict(list)
    known = {row.id for row in rows}
    for row in rows:
        children[row.parent_id if row.parent_id in known else None].append(row)
    root = _element(ns, "Codes")

    def add(parent: etree._Element, parent_id: int | None, depth: int) -> None:
        for row in sorted(children.get(parent_id, []), key=lambda r: (r.position, r.id)):
            color = row.color if row.color and _COLOR.match(row.color) else None
            element = _sub(
                parent,
                "Code",
                {
                    "guid": _guid(row.guid, "code"),
                    "name": row.name,
                    "isCodable": "true" if row.codable else "false",
                    "color": color,
                },
            )
            description = compose_description(
                row.definition, row.inclusion, row.exclusion, list(row.examples or [])
            )
            if description:
                _text_child(element, "Description", description)
            for note_guid in (code_notes or {}).get(row.id, []):
                _sub(element, "NoteRef", {"targetGUID": note_guid})
            add(element, row.id, depth + 1)

    add(root, None, 0)
    return root


def export_qdc(store: Store, path: str | Path) -> int:
    """Write the study's codebook as a REFI-QDA ``.qdc`` file; return the number of codes."""
    with store.connect() as connection:
        rows = _code_rows(connection)
    if not rows:
        raise EarwitnessError("the study has no codes to export")
    root = _element(CODEBOOK_NS, "CodeBook", {"origin": f"earwitness {__version__}"})
    root.append(_codes_element(CODEBOOK_NS, rows))
    _atomic_write(Path(path), etree.tostring(root, xml_declaration=True, encoding="utf-8"))
    return len(rows)


def _atomic_write(path: Path, data: bytes) -> None:
    with atomic_output(path) as temporary:
        temporary.write_bytes(data)


# --- project ----------------------------------------------------------------------------


@dataclass
class _Case:
    guid: str
    name: str
    description: str | None
    variables: dict[str, Any]
    documents: list[str]


def _variable_type(values: list[Any]) -> str:
    present = [value for value in values if value is not None]
    if present and all(isinstance(value, bool) for value in present):
        return "Boolean"
    if present and all(isinstance(v, int) and not isinstance(v, bool) for v in present):
        return "Integer"
    if present and all(isinstance(v, int | float) and not isinstance(v, bool) for v in present):
        return "Float"
    return "Text"


def _collect_cases(connection: Connection, document_guids: Mapping[int, str]) -> list[_Case]:
    linked: dict[int, list[str]] = defaultdict(list)
    for case_id, document_id in connection.execute(sa.select(case_documents)):
        if document_id in document_guids:
            linked[case_id].append(document_guids[document_id])
    by_participant: dict[int, list[str]] = defaultdict(list)
    for document_id, participant_id in connection.execute(
        sa.select(documents.c.id, documents.c.participant_id).where(
            documents.c.participant_id.is_not(None)
        )
    ):
        by_participant[participant_id].append(document_guids[document_id])
    people = {
        row.id: row
        for row in connection.execute(
            sa.select(participants.c.id, participants.c.pseudonym, participants.c.user_group)
        )
    }
    found: list[_Case] = []
    covered: set[int] = set()
    for row in connection.execute(sa.select(cases).order_by(cases.c.id)):
        variables = dict(row.variables or {})
        sources = list(linked.get(row.id, []))
        if row.participant_id in people:
            covered.add(row.participant_id)
            variables.setdefault("user_group", people[row.participant_id].user_group)
            sources += [g for g in by_participant.get(row.participant_id, []) if g not in sources]
        found.append(_Case(_guid(row.guid, "case"), row.name, row.description, variables, sources))
    for participant_id, sources in by_participant.items():
        if participant_id in covered or participant_id not in people:
            continue
        person = people[participant_id]
        found.append(
            _Case(
                _derived("participant", person.pseudonym),
                person.pseudonym,
                None,
                {"user_group": person.user_group},
                sources,
            )
        )
    return found


def _value_element(parent: etree._Element, variable_guid: str, kind: str, value: Any) -> None:
    holder = _sub(parent, "VariableValue")
    _sub(holder, "VariableRef", {"targetGUID": variable_guid})
    if value is None:
        return
    if kind == "Boolean":
        _text_child(holder, "BooleanValue", "true" if value else "false")
    elif kind == "Integer":
        _text_child(holder, "IntegerValue", str(value))
    elif kind == "Float":
        _text_child(holder, "FloatValue", repr(float(value)))
    else:
        _text_child(holder, "TextValue", str(value))


@dataclass
class _Variables:
    guids: dict[str, str]
    kinds: dict[str, str]


def _cases_elements(
    found: list[_Case], document_variables: Mapping[int, Mapping[str, Any]]
) -> tuple[etree._Element | None, etree._Element | None, _Variables]:
    """<Variables> (of cases and of documents, e.g. MAXQDA's document variables) and <Cases>."""
    values: dict[str, list[Any]] = defaultdict(list)
    for case in found:
        for name, value in case.variables.items():
            values[name].append(value)
    for variables_of in document_variables.values():
        for name, value in variables_of.items():
            values[name].append(value)
    kinds = {name: _variable_type(seen) for name, seen in values.items()}
    guids = {name: _derived("variable", name) for name in values}
    declared = _Variables(guids, kinds)
    variables = None
    if values:
        variables = _element(PROJECT_NS, "Variables")
        for name in values:
            _sub(
                variables,
                "Variable",
                {"guid": guids[name], "name": name, "typeOfVariable": kinds[name]},
            )
    if not found:
        return variables, None, declared
    container = _element(PROJECT_NS, "Cases")
    for case in found:
        element = _sub(container, "Case", {"guid": case.guid, "name": case.name})
        if case.description:
            _text_child(element, "Description", case.description)
        for name, value in case.variables.items():
            _value_element(element, guids[name], kinds[name], value)
        for document_guid in case.documents:
            _sub(element, "SourceRef", {"targetGUID": document_guid})
    return variables, container, declared


def _notes_by_target(
    connection: Connection,
) -> tuple[list[sa.Row[Any]], dict[tuple[str, int], list[str]], list[str]]:
    rows = list(connection.execute(sa.select(notes).order_by(notes.c.id)))
    targets: dict[tuple[str, int], list[str]] = defaultdict(list)
    project_level: list[str] = []
    for row in rows:
        guid = _guid(row.guid, "note")
        if row.target_type == "description":
            continue
        if row.target_type in ("code", "document", "coding") and row.target_id is not None:
            targets[(row.target_type, row.target_id)].append(guid)
        else:
            project_level.append(guid)
    return rows, targets, project_level


def _notes_element(rows: list[sa.Row[Any]], coder_guids: Mapping[int, str]) -> etree._Element:
    container = _element(PROJECT_NS, "Notes")
    for row in rows:
        if row.target_type == "description":
            continue
        note = _sub(
            container,
            "Note",
            {
                "guid": _guid(row.guid, "note"),
                "name": row.name,
                "creatingUser": coder_guids.get(row.author_id) if row.author_id else None,
                "creationDateTime": _timestamp(row.created_at),
            },
        )
        _text_child(note, "PlainTextContent", row.text or "")
        if row.start is not None and row.end is not None:  # an annotation: its span, as QualCoder
            _sub(
                note,
                "PlainTextSelection",
                {"guid": _derived("annotation", row.guid), "startPosition": row.start,
                 "endPosition": row.end},
            )  # fmt: skip
    return container


def _sets_element(connection: Connection, context: _Context) -> etree._Element | None:
    """<Sets>: each set with its member codes, sources and notes, in the schema's order."""
    rows = list(connection.execute(sa.select(sets).order_by(sets.c.id)))
    if not rows:
        return None
    members: dict[int, dict[str, list[int]]] = defaultdict(lambda: defaultdict(list))
    for set_id, kind, member_id in connection.execute(
        sa.select(set_members.c.set_id, set_members.c.member_type, set_members.c.member_id)
    ):
        members[set_id][kind].append(member_id)
    note_guids = {
        row.id: _guid(row.guid, "note")
        for row in connection.execute(sa.select(notes.c.id, notes.c.guid))
    }
    container = _element(PROJECT_NS, "Sets")
    for row in rows:
        element = _sub(container, "Set", {"guid": _guid(row.guid, "set"), "name": row.name})
        if row.description:
            _text_child(element, "Description", row.description)
        for tag, kind, guids in (
            ("MemberCode", "code", context.code_guids),
            ("MemberSource", "document", context.document_guids),
            ("MemberNote", "note", note_guids),
        ):
            for member_id in sorted(members[row.id][kind]):
                if member_id in guids:
                    _sub(element, tag, {"targetGUID": guids[member_id]})
    return container


def _quote(text: str) -> str:
    flat = _SPACE.sub(" ", text).strip()
    return flat if len(flat) <= _QUOTE_CHARS else flat[: _QUOTE_CHARS - 1].rstrip() + "…"


def _exported_codings() -> sa.Select[Any]:
    return (
        sa.select(
            codings.c.id,
            codings.c.guid,
            codings.c.document_id,
            codings.c.start,
            codings.c.end,
            codings.c.code_id,
            codings.c.coder_id,
            codings.c.memo,
            codings.c.created_at,
        )
        .where(sa.or_(codings.c.origin == "human", codings.c.status == "accepted"))
        .order_by(codings.c.document_id, codings.c.start, codings.c.id)
    )


def _document_rows(connection: Connection, with_text: bool) -> Iterator[sa.Row[Any]]:
    columns = [documents.c.id, documents.c.guid, documents.c.title, documents.c.platform]
    columns += [documents.c.native_id, documents.c.created_at, documents.c.extra]
    if with_text:
        columns.append(documents.c.text)
    result = connection.execution_options(yield_per=_STREAM_ROWS).execute(
        sa.select(*columns).order_by(documents.c.id)
    )
    yield from result


def _source_element(
    document: sa.Row[Any],
    text: str,
    rows: list[sa.Row[Any]],
    context: _Context,
) -> etree._Element:
    guid = context.document_guids[document.id]
    source = _element(
        PROJECT_NS,
        "TextSource",
        {
            "guid": guid,
            "name": document.title or f"{document.platform} {document.native_id}",
            "plainTextPath": f"internal://{guid}.txt",
            "creationDateTime": _timestamp(document.created_at),
        },
    )
    refi = _refi_extra(document.extra)
    if refi.get("description"):
        _text_child(source, "Description", str(refi["description"]))
    for row in rows:
        if not 0 <= row.start <= row.end <= len(text):
            context.skipped += 1
            continue
        selection = _sub(
            source,
            "PlainTextSelection",
            {
                "guid": _derived("selection", row.guid),
                "name": _quote(text[row.start : row.end]),
                "startPosition": row.start,
                "endPosition": row.end,
                "creatingUser": context.coder_guids.get(row.coder_id),
                "creationDateTime": _timestamp(row.created_at),
            },
        )
        if row.memo:
            _text_child(selection, "Description", row.memo)
        coding = _sub(
            selection,
            "Coding",
            {
                "guid": _guid(row.guid, "coding"),
                "creatingUser": context.coder_guids.get(row.coder_id),
                "creationDateTime": _timestamp(row.created_at),
            },
        )
        _sub(coding, "CodeRef", {"targetGUID": context.code_guids[row.code_id]})
        for note_guid in context.notes.get(("coding", row.id), []):
            _sub(selection, "NoteRef", {"targetGUID": note_guid})
        context.codings += 1
    for note_guid in context.notes.get(("document", document.id), []):
        _sub(source, "NoteRef", {"targetGUID": note_guid})
    for name, value in (refi.get("variables") or {}).items():
        if name in context.variables.guids:
            kind = context.variables.kinds[name]
            _value_element(source, context.variables.guids[name], kind, value)
    return source


def _refi_extra(extra: Any) -> dict[str, Any]:
    """What an imported source kept from its REFI-QDA project: description, variables."""
    refi = extra.get("refi") if isinstance(extra, dict) else None
    return refi if isinstance(refi, dict) else {}


@dataclass
class _Context:
    document_guids: dict[int, str]
    coder_guids: dict[int, str]
    code_guids: dict[int, str]
    notes: dict[tuple[str, int], list[str]]
    variables: _Variables
    codings: int = 0
    skipped: int = 0


def _codings_by_document(connection: Connection) -> Iterator[tuple[int, list[sa.Row[Any]]]]:
    current: int | None = None
    batch: list[sa.Row[Any]] = []
    result = connection.execution_options(yield_per=_STREAM_ROWS).execute(_exported_codings())
    for row in result:
        if row.document_id != current:
            if current is not None:
                yield current, batch
            current, batch = row.document_id, []
        batch.append(row)
    if current is not None:
        yield current, batch


def _write_sources(
    documents_connection: Connection,
    codings_connection: Connection,
    xf: Any,
    context: _Context,
    progress: ProgressReporter | None,
) -> None:
    pending = _codings_by_document(codings_connection)
    upcoming = next(pending, None)
    with xf.element(f"{{{PROJECT_NS}}}Sources"):
        for document in _document_rows(documents_connection, with_text=True):
            rows: list[sa.Row[Any]] = []
            if upcoming is not None and upcoming[0] == document.id:
                rows = upcoming[1]
                upcoming = next(pending, None)
            xf.write(_source_element(document, document.text, rows, context))
            if progress is not None:
                progress.advance(1, codings=context.codings)


def export_qdpx(
    store: Store,
    path: str | Path,
    *,
    name: str = "earwitness study",
    progress: ProgressFactory | None = None,
) -> ExportSummary:
    """Write the whole study as a REFI-QDA ``.qdpx`` project; see the module docstring."""
    path = Path(path)
    with atomic_output(path) as temporary:  # refuses a symlink, device or folder target
        summary = _write_project(store, temporary, name, progress)
    summary.file = str(path)
    return summary


def _write_project(
    store: Store, target: Path, name: str, progress: ProgressFactory | None
) -> ExportSummary:
    with store.connect() as connection, store.connect() as second:
        coder_rows = list(connection.execute(sa.select(coders).order_by(coders.c.id)))
        coder_guids = {row.id: _guid(row.guid, "coder") for row in coder_rows}
        code_rows = _code_rows(connection)
        code_guids = {row.id: _guid(row.guid, "code") for row in code_rows}
        note_rows, note_targets, project_notes = _notes_by_target(connection)
        document_guids = {
            row.id: _guid(row.guid, "document")
            for row in connection.execute(sa.select(documents.c.id, documents.c.guid))
        }
        found_cases = _collect_cases(connection, document_guids)
        document_variables = {
            document_id: variables
            for document_id, extra in connection.execute(
                sa.select(documents.c.id, documents.c.extra)
            )
            if (variables := _refi_extra(extra).get("variables"))
        }
        variables, cases_element, declared = _cases_elements(found_cases, document_variables)
        context = _Context(document_guids, coder_guids, code_guids, note_targets, declared)
        description = connection.scalar(
            sa.select(notes.c.text).where(notes.c.target_type == "description").order_by(notes.c.id)
        )
        with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for document in _document_rows(connection, with_text=True):
                archive.writestr(
                    f"Sources/{document_guids[document.id]}.txt", document.text.encode("utf-8")
                )
            with (
                archive.open("project.qde", "w", force_zip64=True) as stream,
                etree.xmlfile(stream, encoding="utf-8") as xf,
            ):
                xf.write_declaration()
                attributes = {
                    "name": _xml(name),
                    "origin": f"earwitness {__version__}",
                    "creationDateTime": _timestamp(utcnow()),
                }
                with xf.element(f"{{{PROJECT_NS}}}Project", attributes, nsmap={None: PROJECT_NS}):
                    if coder_rows:
                        users = _element(PROJECT_NS, "Users")
                        for row in coder_rows:
                            _sub(users, "User", {"guid": coder_guids[row.id], "name": row.name})
                        xf.write(users)
                    if code_rows:
                        code_notes: dict[int, list[str]] = {
                            target_id: guids
                            for (kind, target_id), guids in note_targets.items()
                            if kind == "code"
                        }
                        codebook = _element(PROJECT_NS, "CodeBook")
                        codebook.append(_codes_element(PROJECT_NS, code_rows, code_notes))
                        xf.write(codebook)
                    for element in (variables, cases_element):
                        if element is not None:
                            xf.write(element)
                    if document_guids:
                        with (
                            progress("Exporting sources", len(document_guids))
                            if progress
                            else nullcontext()
                        ) as reporter:
                            _write_sources(connection, second, xf, context, reporter)
                    if any(row.target_type != "description" for row in note_rows):
                        xf.write(_notes_element(note_rows, coder_guids))
                    sets_element = _sets_element(connection, context)
                    if sets_element is not None:
                        xf.write(sets_element)
                    if description:
                        xf.write(_text_element("Description", description))
                    for note_guid in project_notes:
                        xf.write(_element(PROJECT_NS, "NoteRef", {"targetGUID": note_guid}))
    return ExportSummary(
        file=str(target),
        codes=len(code_rows),
        sources=len(document_guids),
        codings=context.codings,
        coders=len(coder_rows),
        notes=sum(1 for row in note_rows if row.target_type != "description"),
        cases=len(found_cases),
        bytes=target.stat().st_size,
    )
