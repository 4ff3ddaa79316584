"""Notes in the archive, annotations, document memos, variables, the project description
and sets: imported, written back by export-qdpx, and valid against the REFI-QDA schema.

The project is constructed (not a tool's file) in the shapes QualCoder's own exporter
and importer document (ccbogel/QualCoder src/qualcoder/refi.py at c3204641, 2026-08:
journals as ``<Note plainTextPath>`` with the text in ``sources/<guid>.txt`` written as
UTF-8 with BOM; annotations as a Note holding PlainTextContent and its own
PlainTextSelection, referenced from the TextSource; MAXQDA-style ``<Set>`` with
Description and MemberSource, upper-case guids). Its texts are illustrative.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
import sqlalchemy as sa
from lxml import etree

from earwitness.code.refi._exchange import export_qdpx, import_qdpx
from earwitness.store import Store
from earwitness.store.schema import documents, notes, set_members, sets
from earwitness.study import init_study

NS = "urn:QDA-XML:project:1.0"
USER = "5c94bc9e-db8c-4f1d-9cd6-e900c7440860"
SOURCE_A = "631251CC-9FB4-4131-BEA8-35947084C409"
SOURCE_B = "9DDD19C4-168C-4103-BBAD-08D4BD10A145"
JOURNAL = "4691a8a0-d67c-4dcc-91d6-e9075dc230cc"
ANNOTATION = "0f758eeb-d61d-4e91-b250-79861c3869a6"
CODE = "a0b1c2d3-0000-4000-8000-000000000001"
VARIABLE = "a0b1c2d3-0000-4000-8000-0000000000aa"
TEXT_A = "The AI master 🔊 was loud. I kept the mix and paid an engineer instead."
TEXT_B = "Presets save time when the deadline is tomorrow."
JOURNAL_TEXT = "Day 3: two participants compare LANDR with an engineer.\r\nFollow up on cost."
ANNOTATED = "paid an engineer"
START, END = TEXT_A.index(ANNOTATED), TEXT_A.index(ANNOTATED) + len(ANNOTATED)

PROJECT = f"""<?xml version="1.0" encoding="utf-8"?>
<Project xmlns="{NS}" name="interviews" origin="QualCoder 3.6">
<Users><User guid="{USER}" name="ana"/></Users>
<CodeBook><Codes><Code guid="{CODE}" name="Cost" isCodable="true"/></Codes></CodeBook>
<Variables><Variable guid="{VARIABLE}" name="genre" typeOfVariable="Text"/></Variables>
<Sources>
<TextSource guid="{SOURCE_A}" name="interview 1" plainTextPath="internal://{SOURCE_A}.txt"
 creatingUser="{USER}" creationDateTime="2024-05-02T10:00:00Z">
<Description>Recorded by phone; noisy line</Description>
<PlainTextSelection guid="11111111-2222-4333-8444-555555555555" startPosition="0"
 endPosition="15" creatingUser="{USER}">
<Coding guid="11111111-2222-4333-8444-666666666666" creatingUser="{USER}">
<CodeRef targetGUID="{CODE}"/></Coding></PlainTextSelection>
<NoteRef targetGUID="{ANNOTATION}"/>
<VariableValue><VariableRef targetGUID="{VARIABLE}"/><TextValue>hip hop</TextValue>
</VariableValue>
</TextSource>
<TextSource guid="{SOURCE_B}" name="interview 2" plainTextPath="internal://{SOURCE_B}.txt"/>
</Sources>
<Notes>
<Note guid="{JOURNAL}" creatingUser="{USER}" creationDateTime="2024-05-03T09:00:00Z"
 name="Assignment Progress Memo"  plainTextPath="internal://{JOURNAL}.txt" >
<Description /></Note>
<Note guid="{ANNOTATION}" creatingUser="{USER}" creationDateTime="2024-05-03T09:30:00Z" >
<PlainTextContent>Why an engineer and not another service?</PlainTextContent>
<PlainTextSelection guid="d61907b2-d0d4-48dc-b8b7-5e4f7ae5faa6" startPosition="{START}"
 endPosition="{END}" />
</Note>
</Notes>
<Sets>
<Set name="Document group 1" guid="46467993-B426-49DD-9707-B5958EBA9870">
<Description>Memo to document group</Description>
<MemberSource targetGUID="{SOURCE_A}"/>
<MemberSource targetGUID="{SOURCE_B}"/>
</Set>
</Sets>
<Description>Interviews with producers about AI mastering (illustrative)</Description>
</Project>
"""


@pytest.fixture
def qualcoder_like(tmp_path: Path) -> Path:
    path = tmp_path / "qualcoder.qdpx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("project.qde", PROJECT.encode("utf-8"))
        archive.writestr(f"sources/{SOURCE_A}.txt", TEXT_A.encode("utf-8"))
        archive.writestr(f"sources/{SOURCE_B}.txt", TEXT_B.encode("utf-8"))
        archive.writestr(f"sources/{JOURNAL}.txt", JOURNAL_TEXT.encode("utf-8-sig"))
    return path


@pytest.fixture
def schema(shared_dir: Path) -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(shared_dir / "fixtures/refi-qda/Project.xsd")))


def test_the_constructed_file_is_valid_refi(qualcoder_like: Path, schema: etree.XMLSchema) -> None:
    with zipfile.ZipFile(qualcoder_like) as archive:
        schema.assertValid(etree.fromstring(archive.read("project.qde")))


def _notes(store: Store) -> dict[str, tuple[str, str, int | None, int | None]]:
    with store.connect() as connection:
        rows = connection.execute(sa.select(notes, documents.c.title).outerjoin(
            documents, (notes.c.target_type == "document") & (notes.c.target_id == documents.c.id)
        ))  # fmt: skip
        return {row.name or row.target_type: (row.target_type, row.text, row.start, row.end)
                for row in rows}  # fmt: skip


def test_a_journal_note_reads_its_text_from_the_archive(store: Store, qualcoder_like: Path) -> None:
    import_qdpx(store, qualcoder_like)
    journal = _notes(store)["Assignment Progress Memo"]
    assert journal[1] == JOURNAL_TEXT  # BOM dropped, CRLF kept


def test_an_annotation_keeps_its_span(store: Store, qualcoder_like: Path) -> None:
    summary = import_qdpx(store, qualcoder_like)
    assert summary.annotations == 1 and summary.unanchored == []
    with store.connect() as connection:
        row = connection.execute(sa.select(notes).where(notes.c.start.is_not(None))).one()
        text = connection.scalar(sa.select(documents.c.text).where(documents.c.id == row.target_id))
    assert row.target_type == "document"
    assert text[row.start : row.end] == ANNOTATED  # code points, past the emoji


def _sets(store: Store) -> dict[str, tuple[str | None, list[str]]]:
    with store.connect() as connection:
        found = {}
        for row in connection.execute(sa.select(sets)):
            titles = connection.scalars(
                sa.select(documents.c.title)
                .join(set_members, set_members.c.member_id == documents.c.id)
                .where(set_members.c.set_id == row.id, set_members.c.member_type == "document")
                .order_by(documents.c.title)
            )
            found[row.name] = (row.description, list(titles))
        return found


def test_document_sets_are_imported(store: Store, qualcoder_like: Path) -> None:
    summary = import_qdpx(store, qualcoder_like)
    assert summary.sets == 1
    assert _sets(store) == {
        "Document group 1": ("Memo to document group", ["interview 1", "interview 2"])
    }


def test_round_trip_keeps_memos_variables_description_annotations_and_sets(
    store: Store, qualcoder_like: Path, tmp_path: Path, schema: etree.XMLSchema
) -> None:
    import_qdpx(store, qualcoder_like)
    export_qdpx(store, tmp_path / "out.qdpx", name="interviews")
    with zipfile.ZipFile(tmp_path / "out.qdpx") as archive:
        project = etree.fromstring(archive.read("project.qde"))
    schema.assertValid(project)
    source = project.find(f".//{{{NS}}}TextSource[@name='interview 1']")
    assert source.findtext(f"{{{NS}}}Description") == "Recorded by phone; noisy line"
    assert source.findtext(f".//{{{NS}}}TextValue") == "hip hop"
    assert project.findtext(f"{{{NS}}}Description") == (
        "Interviews with producers about AI mastering (illustrative)"
    )
    assert len(project.findall(f"{{{NS}}}Sets/{{{NS}}}Set/{{{NS}}}MemberSource")) == 2
    second = init_study(tmp_path / "second", name="second").open_store()
    with second:
        import_qdpx(second, tmp_path / "out.qdpx")
        assert _notes(second) == _notes(store)
        assert _sets(second) == _sets(store)
        with second.connect() as connection, store.connect() as first:
            query = sa.select(documents.c.title, documents.c.extra).order_by(documents.c.title)
            kept = [
                (
                    t,
                    (e or {}).get("refi", {}).get("description"),
                    (e or {}).get("refi", {}).get("variables"),
                )
                for t, e in first.execute(query)
            ]
            again = [
                (
                    t,
                    (e or {}).get("refi", {}).get("description"),
                    (e or {}).get("refi", {}).get("variables"),
                )
                for t, e in connection.execute(query)
            ]
    assert again == kept
    assert kept[0] == ("interview 1", "Recorded by phone; noisy line", {"genre": "hip hop"})


def test_the_docs_say_what_each_tool_exports_and_what_is_verified(shared_dir: Path) -> None:
    """docs/code-qdpx.md: Taguette exports codebooks only; only NVivo is verified on real
    files, and those files are the ones the suite reads."""
    page = (Path(__file__).resolve().parents[2] / "docs" / "code-qdpx.md").read_text()
    rows = {
        line.split("|")[1].strip(): line
        for line in page.splitlines()
        if line.startswith("| ") and line.count("|") == 5
    }
    assert "codebooks only" in rows["Taguette"] and "UTF-8" not in rows["Taguette"]
    real = [tool for tool, line in rows.items() if "**real files**" in line]
    assert real == ["NVivo 12 (12.6, Windows)"]
    assert len(list((shared_dir / "fixtures" / "refi-qda").glob("nvivo12-*.qdpx"))) == 2
    for tool in ("QualCoder (3.x)", "MAXQDA", "ATLAS.ti"):
        assert "constructed" in rows[tool]
