"""Machine proposals inline in the reading view: accepted or rejected with one key, stored
as `code review` stores them (an accept is the coder's own coding)."""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa

from earwitness.store.schema import coders, codes, codings
from tests.workbench.test_browser import ARGS, CHROMIUM, playwright_api


def propose(store, document: int, spans: list[tuple[int, int]], code: str) -> list[int]:
    """Pending suggestions as `earwitness code suggest` stores them (origin model)."""
    ids = []
    with store.transaction() as connection:
        code_id = connection.scalar(sa.select(codes.c.id).where(codes.c.name == code))
        for start, end in spans:
            result = connection.execute(
                codings.insert().values(
                    guid=str(uuid.uuid4()), document_id=document, start=start, end=end,
                    code_id=code_id, origin="model", status="proposed", score=0.8,
                    model_id="test-model", rationale="similar to coded segments",
                )
            )  # fmt: skip
            ids.append(int(result.inserted_primary_key[0]))
    return ids


@pytest.mark.parametrize("any_study", ["sqlite"], indirect=True)
def test_proposals_are_accepted_and_rejected_by_key(wb_study, serve) -> None:
    store, ids = wb_study
    first, second = propose(store, ids["p00"], [(0, 7), (8, 13)], "Sounds finished")
    served = serve(store, "ana")
    with playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 800}, bypass_csp=True)
        page.goto(f"{served.url}/#/doc/{ids['p00']}")
        page.wait_for_selector("#proposals li")
        assert page.locator("#text span.proposal").count() == 2
        page.focus(f"#proposals li[data-id='{first}']")
        page.keyboard.press("a")
        page.wait_for_function("document.querySelectorAll('#proposals li').length === 1")
        page.focus(f"#proposals li[data-id='{second}']")
        page.keyboard.press("r")
        page.wait_for_function("!document.getElementById('proposals')")
        assert page.locator("#codings li[data-id]").count() == 1
        browser.close()
    with store.connect() as connection:
        statuses = dict(
            connection.execute(
                sa.select(codings.c.id, codings.c.status).where(codings.c.origin == "model")
            ).all()
        )
        human = connection.execute(
            sa.select(codings.c.start, codings.c.end, coders.c.name)
            .join(coders, coders.c.id == codings.c.coder_id)
            .where(codings.c.origin == "human")
        ).all()
    assert statuses == {first: "accepted", second: "rejected"}
    assert [(r.start, r.end, r.name) for r in human] == [(0, 7, "ana")]
