"""A real NVivo 12 export (UTF-16 offsets, CRLF as two) opened in the workbench: the spans
the page highlights are the text NVivo meant. The file holds public handles, so nothing
of its text is copied into the test: each span is compared with an independent reading."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from earwitness.code.refi import import_qdpx
from earwitness.store.schema import codings
from tests.code.test_refi_nvivo import _nvivo_spans
from tests.workbench.test_browser import ARGS, CHROMIUM, playwright_api


def test_nvivo_spans_are_highlighted_on_the_text_nvivo_meant(
    shared_dir: Path, study, serve
) -> None:
    path = shared_dir / "fixtures" / "refi-qda" / "nvivo12-oltas_teszt.qdpx"
    expected = _nvivo_spans(path)
    with study.open_store() as store:
        import_qdpx(store, path)
        with store.connect() as connection:
            guids = dict(connection.execute(sa.select(codings.c.id, codings.c.guid)).all())
            stored_starts = dict(
                connection.execute(sa.select(codings.c.guid, codings.c.start)).all()
            )
            documents = sorted(set(connection.scalars(sa.select(codings.c.document_id).distinct())))
        served = serve(store, "reader")
        seen: dict[str, str] = {}
        with playwright_api.sync_playwright() as p:
            browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
            page = browser.new_page(bypass_csp=True)
            page.on("pageerror", lambda exc: pytest.fail(str(exc)))
            for document in documents:
                page.goto(f"{served.url}/#/doc/{document}")
                page.wait_for_function(
                    f"typeof S !== 'undefined' && S.doc && S.doc.id === {document}"
                )
                spans = page.evaluate(
                    "S.doc.codings.map(c => [c.id,"
                    " S.doc.text.slice(S.maps.c2u[c.start], S.maps.c2u[c.end])])"
                )
                for coding_id, text in spans:
                    seen[guids[coding_id]] = text
                assert page.locator("#text mark").count() > 0
            browser.close()
    assert seen.keys() == expected.keys()
    assert [g for g, text in expected.items() if seen[g] != text] == []
    # the conversion mattered: most spans start where NVivo's UTF-16 count is not ours
    nvivo_starts = _nvivo_starts(path)
    moved = [g for g, start in stored_starts.items() if start != nvivo_starts[g]]
    assert len(expected) == 330 and len(moved) > 300


def _nvivo_starts(path: Path) -> dict[str, int]:
    import zipfile

    from lxml import etree

    ns = {"q": "urn:QDA-XML:project:1.0"}
    starts = {}
    with zipfile.ZipFile(path) as archive:
        root = etree.fromstring(archive.read("project.qde"))
        for selection in root.iterfind(".//q:PlainTextSelection", ns):
            for coding in selection.iterfind("q:Coding", ns):
                starts[coding.get("guid")] = int(selection.get("startPosition"))
    return starts
