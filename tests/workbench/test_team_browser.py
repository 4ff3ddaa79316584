"""Two coders at once on a shared PostgreSQL study, each in a real browser context with their
own workbench: both codings are kept, and a stale edit is refused with a clear message."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from earwitness.code import apply_code
from earwitness.store.schema import coders, codings, notes
from earwitness.study import find_study
from tests.workbench.test_browser import ARGS, CHROMIUM, playwright_api, select_text


@pytest.mark.parametrize("any_study", ["postgresql"], indirect=True)
def test_two_coders_at_once_lose_nothing_and_stale_edits_are_refused(
    wb_study, any_study, serve, tmp_path: Path
) -> None:
    store, ids = wb_study
    apply_code(store, "Harsh", coder="ana", document=ids["u1"], start=0, end=10)
    with find_study(any_study.root).open_store() as second_store:  # ben's own process
        ana_server, ben_server = serve(store, "ana"), serve(second_store, "ben")
        with playwright_api.sync_playwright() as p:
            browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
            ana = browser.new_context(
                viewport={"width": 1280, "height": 800}, bypass_csp=True
            ).new_page()
            ana2 = browser.new_context(
                viewport={"width": 1280, "height": 800}, bypass_csp=True
            ).new_page()
            ben = browser.new_context(
                viewport={"width": 820, "height": 1180}, bypass_csp=True
            ).new_page()
            for page, server in ((ana, ana_server), (ana2, ana_server), (ben, ben_server)):
                server.open(page, f"/#/doc/{ids['u1']}")
                page.wait_for_selector("#text span")
            # both code the same document at the same moment
            for page, code in ((ana, "Wants knobs"), (ben, "Cost")):
                select_text(page, "hats")
                page.click(f"#code-list li:has-text('{code}')")
            for page in (ana, ben):
                page.wait_for_selector("#status:has-text('Applied')")
            # both write the document memo from the same reading: the second is refused
            ana.fill("#doc-memo", "ana's memo")
            ben.fill("#doc-memo", "ben's memo")
            ana.click("#doc-memo + button")
            ana.wait_for_selector("#status:has-text('Memo saved')")
            ben.click("#doc-memo + button")
            ben.wait_for_selector("#alert:has-text('changed by another coder')")
            ben.wait_for_function(  # reloaded with theirs
                "document.getElementById('doc-memo').value === \"ana's memo\""
            )
            ben.screenshot(path=str(tmp_path / "tablet-conflict.png"))
            # one coder in two windows: a removal, then a stale adjustment
            ana.locator("#codings li[data-id]", has_text="[0, 10)").locator("text=Remove").click()
            ana.wait_for_selector("#status:has-text('Coding removed')")
            select_text(ana2, "LANDR")
            ana2.locator("#codings li[data-id]", has_text="[0, 10)").locator(
                "text=Adjust to selection"
            ).click()
            ana2.wait_for_selector("#alert:has-text('changed by another coder')")
            browser.close()
    with store.connect() as connection:
        kept = connection.execute(
            sa.select(coders.c.name, codings.c.start, codings.c.end)
            .join(coders, coders.c.id == codings.c.coder_id)
            .order_by(coders.c.name)
        ).all()
        memos = connection.scalars(sa.select(notes.c.text)).all()
    spans = [(r.name, r.end - r.start) for r in kept]
    assert spans == [("ana", 4), ("ben", 4)]  # the removed coding stayed removed
    assert memos == ["ana's memo"]
    assert (tmp_path / "tablet-conflict.png").stat().st_size > 10_000
    shots = Path(__file__).parent.parent.parent / ".screens"
    if shots.is_dir():
        (shots / "tablet-conflict.png").write_bytes((tmp_path / "tablet-conflict.png").read_bytes())
