"""Acceptance: the real NVivo 12 exports in ../shared import completely and on the right text.

The files hold public YouTube handles, so no test copies their text: each check compares
the imported spans with an independent reading of the same file (the UTF-16 slice NVivo
meant), or counts.
"""

from __future__ import annotations

import re
import zipfile
from collections import Counter
from pathlib import Path

import pytest
import sqlalchemy as sa

from earwitness.code.refi._exchange import import_qdpx
from earwitness.store import Store
from earwitness.store.schema import coders, codes, codings, documents
from earwitness.study import Study

NS = {"q": "urn:QDA-XML:project:1.0"}


@pytest.fixture
def refi_dir(shared_dir: Path) -> Path:
    return shared_dir / "fixtures" / "refi-qda"


def _nvivo_spans(path: Path) -> dict[str, str]:
    """Coding guid -> the text NVivo meant: UTF-16 units of the BOM-less text, CRLF as two."""
    from lxml import etree

    spans = {}
    with zipfile.ZipFile(path) as archive:
        root = etree.fromstring(archive.read("project.qde"))
        for source in root.iterfind(".//q:TextSource", NS):
            raw = archive.read(f"Sources/{source.get('guid')}.txt")
            units = raw.decode("utf-8-sig").encode("utf-16-le")
            for selection in source.iterfind("q:PlainTextSelection", NS):
                start = int(selection.get("startPosition")) * 2
                end = int(selection.get("endPosition")) * 2
                for coding in selection.iterfind("q:Coding", NS):
                    spans[coding.get("guid")] = units[start:end].decode("utf-16-le")
    return spans


def _imported_spans(store: Store) -> dict[str, str]:
    with store.connect() as connection:
        rows = connection.execute(
            sa.select(codings.c.guid, codings.c.start, codings.c.end, documents.c.text).join(
                documents, documents.c.id == codings.c.document_id
            )
        )
        return {row.guid: row.text[row.start : row.end] for row in rows}


def test_oltas0517_imports_every_code_and_coding_on_the_right_text(
    refi_dir: Path, store: Store
) -> None:
    path = refi_dir / "nvivo12-oltas0517.qdpx"
    summary = import_qdpx(store, path)

    assert summary.codes == summary.codes_new == 152
    assert summary.codings == summary.codings_new == 303
    assert summary.unanchored == [] and summary.undeclared_coders == []
    assert summary.offset_unit.startswith("UTF-16")
    assert sorted(row["codings"] for row in summary.coders) == [6, 297]
    with store.connect() as connection:
        assert connection.execute(sa.select(sa.func.count()).select_from(codes)).scalar() == 152
        per_coder = Counter(
            connection.execute(
                sa.select(coders.c.name).join(codings, codings.c.coder_id == coders.c.id)
            ).scalars()
        )
    assert sorted(per_coder.values()) == [6, 297]
    expected = _nvivo_spans(path)
    imported = _imported_spans(store)
    assert imported.keys() == expected.keys()
    wrong = [guid for guid, text in expected.items() if imported[guid] != text]
    assert wrong == []


def test_source_text_is_kept_exactly_except_the_bom(refi_dir: Path, store: Store) -> None:
    path = refi_dir / "nvivo12-oltas0517.qdpx"
    import_qdpx(store, path)
    with zipfile.ZipFile(path) as archive, store.connect() as connection:
        for guid, text in connection.execute(sa.select(documents.c.guid, documents.c.text)):
            raw = archive.read(f"Sources/{guid}.txt")
            assert raw.startswith(b"\xef\xbb\xbf") and not text.startswith("\ufeff")
            assert text.encode("utf-8") == raw[3:]
            assert "\r\n" in text
            platform = connection.execute(
                sa.select(documents.c.platform, documents.c.native_id).where(
                    documents.c.guid == guid
                )
            ).one()
            assert tuple(platform) == ("refi-qda", guid)


def test_teszt_imports_330_codings_with_the_third_users_27(refi_dir: Path, store: Store) -> None:
    # The shared README says the 27 added codings reference an undeclared user; the file
    # in fact declares that user (guid 83405960..., name "test_user") under <Users>.
    # So they import under that declared coder; the undeclared case is tested below on
    # the same file with the declaration removed.
    path = refi_dir / "nvivo12-oltas_teszt.qdpx"
    summary = import_qdpx(store, path)

    assert summary.codings == 330 and summary.unanchored == []
    assert sorted(row["codings"] for row in summary.coders) == [6, 27, 297]
    expected = _nvivo_spans(path)
    imported = _imported_spans(store)
    assert {g for g, t in expected.items() if imported.get(g) != t} == set()


def _without_user(source: Path, target: Path, user_guid: str) -> Path:
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w") as new:
        for info in old.infolist():
            data = old.read(info)
            if info.filename == "project.qde":
                text = data.decode("utf-8")
                text, removed = re.subn(rf'<User guid="{user_guid}"[^>]*/>', "", text)
                assert removed == 1
                data = text.encode("utf-8")
            new.writestr(info, data)
    return target


def test_codings_of_an_undeclared_user_are_kept_under_an_undeclared_coder(
    refi_dir: Path, store: Store, tmp_path: Path
) -> None:
    guid = "83405960-94da-495f-8d36-9a3a2efb9202"
    path = _without_user(refi_dir / "nvivo12-oltas_teszt.qdpx", tmp_path / "u.qdpx", guid)
    summary = import_qdpx(store, path)

    assert summary.codings == 330
    assert summary.undeclared_coders == [
        {"name": f"undeclared coder {guid[:8]}", "guid": guid, "declared": False, "codings": 27}
    ]
    with store.connect() as connection:
        row = connection.execute(sa.select(coders).where(coders.c.guid == guid)).one()
        kept = connection.execute(
            sa.select(sa.func.count()).select_from(codings).where(codings.c.coder_id == row.id)
        ).scalar()
    assert row.declared is False and kept == 27


def test_importing_the_same_file_twice_adds_nothing(refi_dir: Path, store: Store) -> None:
    path = refi_dir / "nvivo12-oltas0517.qdpx"
    import_qdpx(store, path)
    again = import_qdpx(store, path)
    assert (again.codes_new, again.sources_new, again.codings_new) == (0, 0, 0)
    assert again.codings == 303


def test_import_on_postgresql(refi_dir: Path, any_study: Study) -> None:
    with any_study.open_store() as store:
        summary = import_qdpx(store, refi_dir / "nvivo12-oltas_teszt.qdpx")
        assert summary.codings_new == 330
        with store.connect() as connection:
            count = connection.execute(sa.select(sa.func.count()).select_from(codings)).scalar()
        assert count == 330
        assert _imported_spans(store) == _nvivo_spans(refi_dir / "nvivo12-oltas_teszt.qdpx")
