"""Export to REFI-QDA validates against the 1.0 schemas, and round trips keep everything.

The small study here is written for the tests (illustrative posts, not collected data).
"""

from __future__ import annotations

import uuid
import zipfile
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from lxml import etree

from earwitness.code.refi._exchange import export_qdc, export_qdpx, import_qdc, import_qdpx
from earwitness.store import Store, ensure_coder, ensure_participant, set_user_group
from earwitness.store.records import DocumentRecord, upsert_document
from earwitness.store.schema import (
    case_documents,
    cases,
    coders,
    codes,
    codings,
    documents,
    notes,
    set_members,
    sets,
)
from earwitness.study import Study, init_study

# Illustrative texts written for these tests: an emoji outside the BMP, accents, CRLF.
TEXTS = {
    "post-1": "LANDR made it loud 🔊 but harsh.\r\nI wish it had more knobs.",
    "post-2": "Ozone's assistant is a starting point, née a crutch. 🎚️ Control matters.",
    "post-3": "Too expensive for me.",
}


@pytest.fixture
def schemas(shared_dir: Path) -> dict[str, etree.XMLSchema]:
    folder = shared_dir / "fixtures" / "refi-qda"
    return {
        name: etree.XMLSchema(etree.parse(str(folder / f"{name}.xsd")))
        for name in ("Project", "Codebook")
    }


def _code(connection: Any, name: str, parent: int | None, **values: Any) -> int:
    result = connection.execute(
        codes.insert().values(
            guid=str(uuid.uuid4()), name=name, parent_id=parent, extra={}, **values
        )
    )
    return int(result.inserted_primary_key[0])


def _coding(
    connection: Any, document: int, span: tuple[int, int], code: int, coder: int, **kw: Any
) -> int:
    result = connection.execute(
        codings.insert().values(
            guid=str(uuid.uuid4()),
            document_id=document,
            start=span[0],
            end=span[1],
            code_id=code,
            coder_id=coder,
            **kw,
        )
    )
    return int(result.inserted_primary_key[0])


def build_study(store: Store) -> None:
    """Codes with criteria and examples, three posts, two coders, memos, notes, cases."""
    with store.transaction() as connection:
        quality = _code(connection, "Quality", None, codable=False, color="#1F77B4")
        harsh = _code(
            connection,
            "Harsh",
            quality,
            definition="The master is heard as harsh.",
            inclusion="Harsh, brittle, over-compressed.",
            exclusion="Complaints about the mix.",
            examples=[{"quote": "it was harsh on the hats", "illustrative": True}],
        )
        control = _code(connection, "Wants control", None, definition="Asks for knobs.")
        ids = {}
        for group, (native_id, text) in zip(
            ("amateur", "professional", "amateur"), TEXTS.items(), strict=True
        ):
            participant = ensure_participant(connection, f"p_{native_id}")
            set_user_group(connection, participant, group, method="test")
            ids[native_id], _ = upsert_document(
                connection,
                DocumentRecord("forum", native_id, text, participant_id=participant),
            )
        ana, ben = ensure_coder(connection, "ana"), ensure_coder(connection, "ben")
        text = TEXTS["post-1"]
        harsh_span = (text.index("harsh"), text.index("harsh") + 5)
        knobs_span = (text.index("I wish"), len(text))
        first = _coding(connection, ids["post-1"], harsh_span, harsh, ana, memo="hi-hats")
        _coding(connection, ids["post-1"], knobs_span, control, ben)
        _coding(connection, ids["post-2"], (52, 68), control, ana)
        _coding(connection, ids["post-3"], (0, 3), control, ben, origin="model", status="proposed")
        note_rows = [
            ("memo", "project", None, "Project memo", ana),
            (None, "code", harsh, "Watch this", None),
            (None, "coding", first, "Why", None),
        ]
        for name, target_type, target_id, note_text, author in note_rows:
            connection.execute(
                notes.insert().values(
                    guid=str(uuid.uuid4()),
                    name=name,
                    target_type=target_type,
                    target_id=target_id,
                    text=note_text,
                    author_id=author,
                )
            )
        case = connection.execute(
            cases.insert().values(
                guid=str(uuid.uuid4()), name="interviewee A", variables={"age": 31, "paid": True}
            )
        ).inserted_primary_key[0]
        connection.execute(case_documents.insert().values(case_id=case, document_id=ids["post-3"]))


def snapshot(store: Store) -> dict[str, Any]:
    """Codes, texts and spans, keyed by guid, as comparable plain data."""
    with store.connect() as connection:
        code_rows = {row.id: row for row in connection.execute(sa.select(codes))}
        coder_names = dict(connection.execute(sa.select(coders.c.id, coders.c.name)).all())
        doc_rows = {row.id: row for row in connection.execute(sa.select(documents))}
        coding_rows = list(connection.execute(sa.select(codings)))
    return {
        "codes": {
            row.guid: (
                row.name,
                code_rows[row.parent_id].guid if row.parent_id else None,
                row.definition,
                row.inclusion,
                row.exclusion,
                row.examples,
                row.color,
                row.codable,
            )
            for row in code_rows.values()
        },
        "texts": {row.guid: row.text for row in doc_rows.values()},
        "spans": {
            row.guid: (
                doc_rows[row.document_id].guid,
                row.start,
                row.end,
                code_rows[row.code_id].guid,
                coder_names.get(row.coder_id),
                row.memo,
            )
            for row in coding_rows
            if row.origin == "human"
        },
    }


def _fresh(tmp_path: Path, name: str) -> Study:
    return init_study(tmp_path / name, name=name)


def test_project_export_validates_against_the_refi_schema(
    store: Store, tmp_path: Path, schemas: dict[str, etree.XMLSchema]
) -> None:
    build_study(store)
    summary = export_qdpx(store, tmp_path / "out.qdpx")

    assert (summary.codes, summary.sources, summary.codings, summary.coders) == (3, 3, 3, 2)
    assert summary.notes == 3 and summary.cases == 4  # one study case + three participants
    with zipfile.ZipFile(tmp_path / "out.qdpx") as archive:
        project = etree.fromstring(archive.read("project.qde"))
        schemas["Project"].assertValid(project)
        sources = project.findall(".//{urn:QDA-XML:project:1.0}TextSource")
        for source in sources:
            member = source.get("plainTextPath").removeprefix("internal://")
            text = archive.read(f"Sources/{member}").decode("utf-8")
            assert text in TEXTS.values()
    groups = project.findall(".//{urn:QDA-XML:project:1.0}TextValue")
    assert sorted(value.text for value in groups) == ["amateur", "amateur", "professional"]


def test_codebook_export_validates_and_imports_back(
    store: Store, tmp_path: Path, schemas: dict[str, etree.XMLSchema]
) -> None:
    build_study(store)
    assert export_qdc(store, tmp_path / "book.qdc") == 3
    schemas["Codebook"].assertValid(etree.parse(str(tmp_path / "book.qdc")))

    other = _fresh(tmp_path, "other").open_store()
    with other:
        assert import_qdc(other, tmp_path / "book.qdc") == 3
        assert snapshot(other)["codes"] == snapshot(store)["codes"]


def test_round_trip_keeps_codes_texts_and_spans(store: Store, tmp_path: Path) -> None:
    build_study(store)
    export_qdpx(store, tmp_path / "a.qdpx")
    with _fresh(tmp_path, "b").open_store() as second:
        summary = import_qdpx(second, tmp_path / "a.qdpx")
        assert summary.offset_unit.startswith("Unicode code points")
        assert summary.unanchored == [] and summary.codings == 3
        export_qdpx(second, tmp_path / "b.qdpx")
        with _fresh(tmp_path, "c").open_store() as third:
            import_qdpx(third, tmp_path / "b.qdpx")
            original, once, twice = snapshot(store), snapshot(second), snapshot(third)
    assert once == original
    assert twice == original
    assert len(original["spans"]) == 3  # the proposed machine suggestion is not a coding


def test_nvivo_round_trip_keeps_codes_texts_and_spans(
    shared_dir: Path, store: Store, tmp_path: Path, schemas: dict[str, etree.XMLSchema]
) -> None:
    import_qdpx(store, shared_dir / "fixtures" / "refi-qda" / "nvivo12-oltas0517.qdpx")
    export_qdpx(store, tmp_path / "again.qdpx")
    with zipfile.ZipFile(tmp_path / "again.qdpx") as archive:
        schemas["Project"].assertValid(etree.fromstring(archive.read("project.qde")))
    with _fresh(tmp_path, "b").open_store() as second:
        summary = import_qdpx(second, tmp_path / "again.qdpx")
        assert summary.codings == 303 and summary.unanchored == []
        assert snapshot(second) == snapshot(store)


def test_cases_and_notes_come_back(store: Store, tmp_path: Path) -> None:
    build_study(store)
    export_qdpx(store, tmp_path / "a.qdpx")
    with _fresh(tmp_path, "b").open_store() as second:
        import_qdpx(second, tmp_path / "a.qdpx")
        with second.connect() as connection:
            found = {row.name: row.variables for row in connection.execute(sa.select(cases))}
            targets = sorted(
                (row.target_type, row.text) for row in connection.execute(sa.select(notes))
            )
    assert found["interviewee A"] == {"age": 31, "paid": True}
    assert found["p_post-2"] == {"user_group": "professional"}
    assert targets == [("code", "Watch this"), ("coding", "Why"), ("project", "Project memo")]


def test_export_replaces_the_target_only_when_complete(store: Store, tmp_path: Path) -> None:
    build_study(store)
    target = tmp_path / "out.qdpx"
    target.write_bytes(b"previous")
    export_qdpx(store, target)
    assert zipfile.is_zipfile(target)
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".out")] == []


ATLAS_QDC = """<?xml version="1.0" encoding="utf-8"?>
<CodeBook xmlns="urn:QDA-XML:codebook:1.0" origin="ATLAS.ti Windows 23.2.1">
  <Codes>
    <Code guid="1b0f3b8e-3c1e-4f3c-9a55-0c6f2d1a0001" name="quality: loudness" isCodable="true"
          color="#ff8800"/>
    <Code guid="1b0f3b8e-3c1e-4f3c-9a55-0c6f2d1a0002" name="quality: tonal balance"
          isCodable="true" color="#ff8800"/>
    <Code guid="1b0f3b8e-3c1e-4f3c-9a55-0c6f2d1a0003" name="trust: black box" isCodable="true"
          color="#3366cc"/>
  </Codes>
  <Sets>
    <Set guid="7d2a9c41-0b7e-4c0e-8f4b-5a1e2c3d0001" name="Perceived quality">
      <Description>Code group: how the master sounds</Description>
      <MemberCode guid="1b0f3b8e-3c1e-4f3c-9a55-0c6f2d1a0001"/>
      <MemberCode guid="1b0f3b8e-3c1e-4f3c-9a55-0c6f2d1a0002"/>
    </Set>
    <Set guid="7d2a9c41-0b7e-4c0e-8f4b-5a1e2c3d0002" name="Trust">
      <MemberCode guid="1b0f3b8e-3c1e-4f3c-9a55-0c6f2d1a0003"/>
    </Set>
  </Sets>
</CodeBook>
"""


def test_atlas_ti_code_groups_become_sets_on_codebook_import(
    study: Study, tmp_path: Path, schemas: dict[str, etree.XMLSchema]
) -> None:
    """ATLAS.ti exports code groups as <Sets> of <MemberCode> in its .qdc. Written here by
    hand in the REFI-QDA 1.0 Codebook schema's shape (whose <MemberCode> names the code by
    ``guid``, not ``targetGUID`` as in projects); the schema validates it. No real
    ATLAS.ti codebook file was available to verify against."""
    from click.testing import CliRunner

    from earwitness.cli import cli

    path = tmp_path / "atlas-codebook.qdc"
    path.write_text(ATLAS_QDC, encoding="utf-8")
    schemas["Codebook"].assertValid(etree.parse(str(path)))
    command = ["--study", str(study.root), "code", "codebook", "import", str(path)]
    result = CliRunner().invoke(cli, command)
    assert result.exit_code == 0, result.output
    assert "Imported 3 codes and 2 code groups (as sets)" in result.output
    with study.open_store() as store, store.connect() as connection:
        groups = connection.execute(
            sa.select(sets.c.name, codes.c.name)
            .join(set_members, set_members.c.set_id == sets.c.id)
            .join(codes, codes.c.id == set_members.c.member_id)
            .where(set_members.c.member_type == "code")
            .order_by(sets.c.name, codes.c.name)
        ).all()
    assert [tuple(row) for row in groups] == [
        ("Perceived quality", "quality: loudness"),
        ("Perceived quality", "quality: tonal balance"),
        ("Trust", "trust: black box"),
    ]
    result = CliRunner().invoke(cli, command)  # again: nothing doubled
    with study.open_store() as store, store.connect() as connection:
        assert connection.execute(sa.select(sa.func.count()).select_from(set_members)).scalar() == 3
