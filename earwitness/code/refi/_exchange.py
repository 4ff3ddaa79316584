"""REFI-QDA exchange: codebooks (``.qdc``) and whole projects (``.qdpx``).

REFI-QDA 1.0 (https://www.qdasoftware.org) is the exchange standard of NVivo, ATLAS.ti,
MAXQDA, QualCoder and others. earwitness's store is shaped after it (see
:mod:`earwitness.store.schema`), so import and export are serialisation:

* Users ↔ ``coders``; a coding whose user the file never declares is kept under an
  *undeclared coder* (``coders.declared = False``) and the summary says so;
* CodeBook/Code ↔ ``codes`` (guids kept; the description carries definition, inclusion,
  exclusion and examples, see :mod:`earwitness.code.refi._codes`);
* TextSource ↔ ``documents`` (imported ones get platform ``refi-qda``, the source's guid
  as guid and native id, and their plain text from ``Sources/``);
* PlainTextSelection + Coding ↔ ``codings`` (one row per Coding; the selection's
  description is the memo; the coder is the selection's ``creatingUser``, else the
  Coding's: NVivo 12 writes the exporting user into every Coding);
* Notes ↔ ``notes`` (text inline or, as QualCoder writes journals, in the archive at
  ``plainTextPath``); an annotation (a note whose own PlainTextSelection gives the span,
  as QualCoder writes them, or a note on a selection without codings) keeps its span
  in ``notes.start``/``notes.end``; the project's Description is the note of target
  type ``description``;
* Cases with Variables and SourceRefs ↔ ``cases``/``case_documents``; source
  Description and VariableValues ↔ ``documents.extra["refi"]``;
* Sets (MemberSource, MemberCode, MemberNote) ↔ ``sets``/``set_members``.

Offsets are detected per file and converted to code points (:mod:`._offsets`).

**Imported text is kept byte-exact (only a leading BOM is dropped), not masked.** A
``.qdpx`` is the researcher's own project, already under their ethics protocol, and its
selections point at exact offsets: masking would move them, and the text would no longer
match what NVivo or MAXQDA hold when the project goes back. Pseudonymise in the source
tool, or before collection, if the project needs it; text that earwitness collects itself
is masked at collection as always.

Every import runs in one transaction after the whole file has been read and checked: a
bad or malicious file writes nothing.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Iterable, Sequence
from contextlib import nullcontext
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from earwitness.code.refi._anchor import Anchored, anchor_selections
from earwitness.code.refi._codes import inserted_id, write_codes
from earwitness.code.refi._offsets import OffsetMap, OffsetUnit
from earwitness.code.refi._read import (
    RefiProject,
    RefiSet,
    read_codebook,
    read_project,
)
from earwitness.code.refi._write import ExportSummary, ProgressFactory, export_qdc, export_qdpx
from earwitness.errors import BadInputError
from earwitness.privacy import sha256_text
from earwitness.progress import ProgressReporter
from earwitness.store import Store
from earwitness.store.records import ensure_coder
from earwitness.store.schema import (
    case_documents,
    cases,
    coders,
    codings,
    documents,
    notes,
    participants,
    set_members,
    sets,
)

__all__ = [
    "IMPORT_PLATFORM",
    "ExportSummary",
    "ImportSummary",
    "ProgressFactory",
    "export_qdc",
    "export_qdpx",
    "import_qdc",
    "import_qdc_with_sets",
    "import_qdpx",
]

IMPORT_PLATFORM = "refi-qda"
_DESCRIPTION_GUIDS = uuid.UUID("0d3c8f2e-7a51-4f0e-9a3b-6465736372ff")
_IN_CHUNKS = 500
_INSERT_BATCH = 5000


@dataclass
class ImportSummary:
    """What an import read, added and could not place."""

    file: str
    origin: str
    offset_unit: str
    codes: int = 0
    codes_new: int = 0
    sources: int = 0
    sources_new: int = 0
    codings: int = 0
    codings_new: int = 0
    notes: int = 0
    annotations: int = 0
    cases: int = 0
    sets: int = 0
    coders: list[dict[str, Any]] = field(default_factory=list)
    undeclared_coders: list[dict[str, Any]] = field(default_factory=list)
    unanchored: list[dict[str, Any]] = field(default_factory=list)
    relocated: int = 0
    skipped_sources: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def import_qdc(store: Store, path: str | Path) -> int:
    """Add or update the codes of a REFI-QDA codebook file; return how many it holds."""
    return import_qdc_with_sets(store, path)[0]


def import_qdc_with_sets(store: Store, path: str | Path) -> tuple[int, int]:
    """Add or update the codes and sets (ATLAS.ti's code groups) of a codebook file, in one
    transaction; return how many codes and sets it holds."""
    refi_codes, refi_sets = read_codebook(path)
    with store.transaction() as connection:
        code_ids, _new = write_codes(connection, refi_codes)
        _insert_sets(connection, refi_sets, {}, code_ids)
    return len(refi_codes), len(refi_sets)


def _existing(connection: Connection, column: sa.Column[Any], values: Sequence[str]) -> set[str]:
    found: set[str] = set()
    for i in range(0, len(values), _IN_CHUNKS):
        rows = connection.execute(sa.select(column).where(column.in_(values[i : i + _IN_CHUNKS])))
        found.update(str(value) for value in rows.scalars())
    return found


def _ids_by_guid(connection: Connection, table: sa.Table, guids: Sequence[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for i in range(0, len(guids), _IN_CHUNKS):
        rows = connection.execute(
            sa.select(table.c.guid, table.c.id).where(table.c.guid.in_(guids[i : i + _IN_CHUNKS]))
        )
        found.update({str(guid): int(row_id) for guid, row_id in rows})
    return found


def _coder_ids(
    connection: Connection, project: RefiProject, used: Iterable[str]
) -> tuple[dict[str, int], dict[str, str]]:
    """Coder ids by user guid; undeclared users become undeclared coders."""
    ids: dict[str, int] = {}
    names: dict[str, str] = {}
    wanted = dict(project.users)
    undeclared = sorted(set(used) - set(wanted))
    for guid in undeclared:
        wanted[guid] = f"undeclared coder {guid[:8]}"
    for guid, name in wanted.items():
        row = connection.execute(
            sa.select(coders.c.id, coders.c.name).where(coders.c.guid == guid)
        ).first()
        if row is not None:
            ids[guid], names[guid] = int(row.id), str(row.name)
            continue
        ids[guid] = ensure_coder(connection, name, declared=guid in project.users, guid=guid)
        names[guid] = name
    return ids, names


def _document_ids(
    connection: Connection, project: RefiProject, file: Path
) -> tuple[dict[str, int], int]:
    ids: dict[str, int] = {}
    by_guid = {source.guid: source for source in project.sources}
    guids = list(by_guid)
    for i in range(0, len(guids), _IN_CHUNKS):
        rows = connection.execute(
            sa.select(documents.c.guid, documents.c.id, documents.c.text).where(
                documents.c.guid.in_(guids[i : i + _IN_CHUNKS])
            )
        )
        for guid, document_id, text in rows:
            source = by_guid[str(guid)]
            if text != source.text:
                raise BadInputError(
                    f"source {source.name!r} ({guid}) is already in the study with a different "
                    "text; its codings could not be placed safely; nothing was imported",
                    file=file,
                )
            ids[str(guid)] = int(document_id)
    new_rows: list[dict[str, Any]] = []
    for source in project.sources:
        if source.guid in ids:
            continue
        extra: dict[str, Any] = {"refi": {"origin": project.origin, "project": project.name}}
        if source.description:
            extra["refi"]["description"] = source.description
        if source.variables:
            extra["refi"]["variables"] = source.variables
        new_rows.append(
            {
                "guid": source.guid,
                "platform": IMPORT_PLATFORM,
                "native_id": source.guid,
                "kind": "document",
                "title": source.name,
                "text": source.text,
                "text_sha256": sha256_text(source.text),
                "status": "active",
                "extra": extra,
            }
        )
    for i in range(0, len(new_rows), _INSERT_BATCH):
        connection.execute(documents.insert(), new_rows[i : i + _INSERT_BATCH])
    ids.update(_ids_by_guid(connection, documents, [row["guid"] for row in new_rows]))
    return ids, len(new_rows)


def _coder_of(anchor: Anchored, coding_user: str | None) -> str | None:
    return anchor.selection.user or coding_user


def _insert_codings(
    connection: Connection,
    anchored: Sequence[Anchored],
    code_ids: dict[str, int],
    document_ids: dict[str, int],
    coder_ids: dict[str, int],
    progress: ProgressReporter | None,
) -> tuple[int, dict[str, int], list[dict[str, Any]]]:
    guids = [coding.guid for anchor in anchored for coding in anchor.selection.codings]
    known = _existing(connection, codings.c.guid, guids)
    rows: list[dict[str, Any]] = []
    missing_codes: list[dict[str, Any]] = []
    new = 0
    for anchor in anchored:
        for coding in anchor.selection.codings:
            if coding.code not in code_ids:
                missing_codes.append(
                    {
                        "selection": anchor.selection.guid,
                        "start": anchor.selection.start,
                        "end": anchor.selection.end,
                        "codings": 1,
                        "reason": f"its code {coding.code} is not in the codebook",
                    }
                )
                continue
            if coding.guid in known:
                continue
            known.add(coding.guid)
            user = _coder_of(anchor, coding.user)
            rows.append(
                {
                    "guid": coding.guid,
                    "document_id": document_ids[anchor.selection.source],
                    "start": anchor.start,
                    "end": anchor.end,
                    "code_id": code_ids[coding.code],
                    "coder_id": coder_ids.get(user) if user else None,
                    "origin": "human",
                    "status": "applied",
                    "memo": anchor.selection.memo or None,
                    **({"created_at": coding.created_at} if coding.created_at else {}),
                }
            )
            if len(rows) >= _INSERT_BATCH:
                new += _flush(connection, rows, progress)
    new += _flush(connection, rows, progress)
    noted = [
        a.selection.codings[0].guid for a in anchored if a.selection.notes and a.selection.codings
    ]
    first_coding = _ids_by_guid(connection, codings, noted)
    return new, first_coding, missing_codes


def _flush(
    connection: Connection, rows: list[dict[str, Any]], progress: ProgressReporter | None
) -> int:
    if not rows:
        return 0
    plain = [row for row in rows if "created_at" not in row]
    dated = [row for row in rows if "created_at" in row]
    for batch in (plain, dated):
        if batch:
            connection.execute(codings.insert(), batch)
    count = len(rows)
    rows.clear()
    if progress is not None:
        progress.advance(count)
    return count


NoteTarget = tuple[str, int | None, int | None, int | None]  # type, id, start, end


def _note_targets(
    project: RefiProject,
    anchored: Sequence[Anchored],
    code_ids: dict[str, int],
    document_ids: dict[str, int],
    coding_ids: dict[str, int],
    unit: OffsetUnit,
) -> tuple[dict[str, NoteTarget], list[dict[str, Any]]]:
    """Where each note belongs; an annotation keeps its span, in code points.

    An annotation is a note referenced by a source whose own PlainTextSelection gives
    the span (QualCoder), or a note referenced by a selection that holds no Coding.
    """
    targets: dict[str, NoteTarget] = {}
    lost: list[dict[str, Any]] = []
    spans = {note.guid: (note.start, note.end) for note in project.notes}
    for guid in project.project_notes:
        targets.setdefault(guid, ("project", None, None, None))
    for code in project.codes:
        for guid in code.notes:
            targets.setdefault(guid, ("code", code_ids.get(code.guid), None, None))
    for source in project.sources:
        offsets = OffsetMap(source.text, unit)
        for guid in source.notes:
            start, end = spans.get(guid, (None, None))
            if start is not None and end is not None:
                start, end = offsets.to_code_point(start), offsets.to_code_point(end)
                if start is None or end is None or end < start:
                    reason = "its span falls outside the text; kept on the whole document"
                    lost.append({"note": guid, "source": source.name, "reason": reason})
                    start = end = None
            targets.setdefault(guid, ("document", document_ids.get(source.guid), start, end))
    for anchor in anchored:
        first = anchor.selection.codings[0].guid if anchor.selection.codings else ""
        for guid in anchor.selection.notes:
            if first:
                targets.setdefault(guid, ("coding", coding_ids.get(first), None, None))
            else:
                document = document_ids.get(anchor.selection.source)
                targets.setdefault(guid, ("document", document, anchor.start, anchor.end))
    return targets, lost


def _insert_notes(
    connection: Connection,
    project: RefiProject,
    targets: dict[str, NoteTarget],
    coder_ids: dict[str, int],
) -> None:
    known = _existing(connection, notes.c.guid, [note.guid for note in project.notes])
    for note in project.notes:
        if note.guid in known:
            continue
        target_type, target_id, start, end = targets.get(note.guid, ("project", None, None, None))
        connection.execute(
            notes.insert().values(
                guid=note.guid,
                name=note.name or None,
                target_type=target_type,
                target_id=target_id,
                text=note.text,
                author_id=coder_ids.get(note.user) if note.user else None,
                start=start,
                end=end,
                **({"created_at": note.created_at} if note.created_at else {}),
            )
        )
    if project.description:
        _insert_description(connection, project)


def _insert_description(connection: Connection, project: RefiProject) -> None:
    """The project's <Description>, kept as the note of target type ``description``."""
    guid = str(uuid.uuid5(_DESCRIPTION_GUIDS, f"{project.name}\n{project.description}"))
    if _existing(connection, notes.c.guid, [guid]):
        return
    connection.execute(
        notes.insert().values(
            guid=guid, name=project.name[:255] or None, target_type="description",
            text=project.description,
        )
    )  # fmt: skip


def _insert_sets(
    connection: Connection,
    refi_sets: list[RefiSet],
    document_ids: dict[str, int],
    code_ids: dict[str, int],
) -> None:
    """Each <Set> and its members that the study holds (members are found by guid)."""
    note_ids = _ids_by_guid(connection, notes, [g for item in refi_sets for g in item.notes])
    known = _ids_by_guid(connection, sets, [item.guid for item in refi_sets])
    for item in refi_sets:
        set_id = known.get(item.guid)
        if set_id is None:
            set_id = inserted_id(
                connection.execute(
                    sets.insert().values(
                        guid=item.guid, name=item.name[:255] or f"set {item.guid[:8]}",
                        description=item.description or None,
                    )
                )
            )  # fmt: skip
        members = [
            {"set_id": set_id, "member_type": kind, "member_id": ids[guid]}
            for kind, guids, ids in (
                ("document", item.sources, document_ids),
                ("code", item.codes, code_ids),
                ("note", item.notes, note_ids),
            )
            for guid in dict.fromkeys(guids)
            if guid in ids
        ]
        if members:
            _upsert_members(connection, members)


def _upsert_members(connection: Connection, members: list[dict[str, Any]]) -> None:
    set_id = members[0]["set_id"]
    existing = {
        (str(kind), int(member))
        for kind, member in connection.execute(
            sa.select(set_members.c.member_type, set_members.c.member_id).where(
                set_members.c.set_id == set_id
            )
        )
    }
    new = [m for m in members if (m["member_type"], m["member_id"]) not in existing]
    if new:
        connection.execute(set_members.insert(), new)


def _insert_cases(
    store: Store, connection: Connection, project: RefiProject, document_ids: dict[str, int]
) -> None:
    known = _existing(connection, cases.c.guid, [case.guid for case in project.cases])
    for case in project.cases:
        if case.guid in known:
            case_id = connection.execute(
                sa.select(cases.c.id).where(cases.c.guid == case.guid)
            ).scalar_one()
        else:
            participant_id = connection.execute(
                sa.select(participants.c.id).where(participants.c.pseudonym == case.name)
            ).scalar()
            case_id = inserted_id(
                connection.execute(
                    cases.insert().values(
                        guid=case.guid,
                        name=case.name[:255],
                        description=case.description or None,
                        participant_id=participant_id,
                        variables=case.variables,
                    )
                )
            )
        links = [
            {"case_id": case_id, "document_id": document_ids[guid]}
            for guid in case.sources
            if guid in document_ids
        ]
        store.upsert(connection, case_documents, links, key=("case_id", "document_id"))


def import_qdpx(
    store: Store, path: str | Path, *, progress: ProgressFactory | None = None
) -> ImportSummary:
    """Import a REFI-QDA project; see the module docstring for what goes where.

    ``progress`` (e.g. :class:`earwitness.progress.ProgressReporter`) is called with a
    description and a total once the file has been read and checked.
    """
    path = Path(path)
    project = read_project(path)
    choice, anchored, unanchored = anchor_selections(project)
    used_users = {
        user
        for anchor in anchored
        for coding in anchor.selection.codings
        if (user := _coder_of(anchor, coding.user))
    }
    used_users.update(note.user for note in project.notes if note.user)
    total = sum(len(anchor.selection.codings) for anchor in anchored)
    with store.transaction() as connection:
        coder_ids, coder_names = _coder_ids(connection, project, used_users)
        code_ids, codes_new = write_codes(connection, project.codes)
        document_ids, sources_new = _document_ids(connection, project, path)
        with progress("Importing codings", total) if progress else nullcontext() as reporter:
            codings_new, coding_ids, missing = _insert_codings(
                connection, anchored, code_ids, document_ids, coder_ids, reporter
            )
        targets, lost_spans = _note_targets(
            project, anchored, code_ids, document_ids, coding_ids, choice.unit
        )
        _insert_notes(connection, project, targets, coder_ids)
        _insert_cases(store, connection, project, document_ids)
        _insert_sets(connection, project.sets, document_ids, code_ids)
    per_coder: Counter[str] = Counter(
        _coder_of(anchor, coding.user) or ""
        for anchor in anchored
        for coding in anchor.selection.codings
        if coding.code in code_ids
    )
    coder_rows = [
        {
            "name": coder_names.get(guid, "(none)"),
            "guid": guid or None,
            "declared": guid in project.users,
            "codings": count,
        }
        for guid, count in sorted(per_coder.items(), key=lambda item: -item[1])
    ]
    return ImportSummary(
        file=str(path),
        origin=project.origin,
        offset_unit=choice.unit.label,
        codes=len(project.codes),
        codes_new=codes_new,
        sources=len(project.sources),
        sources_new=sources_new,
        codings=sum(per_coder.values()),
        codings_new=codings_new,
        notes=len(project.notes),
        annotations=sum(1 for target in targets.values() if target[2] is not None),
        cases=len(project.cases),
        sets=len(project.sets),
        coders=coder_rows,
        undeclared_coders=[row for row in coder_rows if row["guid"] and not row["declared"]],
        unanchored=unanchored + missing + lost_spans,
        relocated=sum(anchor.relocated for anchor in anchored),
        skipped_sources=project.skipped_sources,
    )
