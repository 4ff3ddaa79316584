"""The user-group queue: authors with self-descriptions, labelled by keys in Chromium,
stored as the groups' manual overrides that `groups validate` reads."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from earwitness.groups import MANUAL, evidence_rows
from earwitness.store import DocumentRecord, ensure_participant
from earwitness.store.records import upsert_document
from earwitness.store.schema import group_evidence, participants
from tests.workbench.test_api import client
from tests.workbench.test_browser import ARGS, CHROMIUM, playwright_api
from tests.workbench.test_stance_progress_browser import press_while_saving

SELF = {
    "p_wbself1": "I've been a professional mastering engineer for 15 years. LANDR is fine.",
    "p_wbself2": "I am just a hobbyist, I make beats in my bedroom <b>for fun</b>.",
    "p_wbself3": "I mix records for a living, mostly indie bands.",
}


def add_authors(store) -> None:
    with store.transaction() as connection:
        for pseudonym, text in SELF.items():
            author = ensure_participant(connection, pseudonym)
            document, _ = upsert_document(
                connection,
                DocumentRecord(platform="forum", native_id=pseudonym, text=text,
                               participant_id=author),
            )  # fmt: skip
            rows = evidence_rows(author, document, text)
            assert rows, text  # the rules find a self-description in each
            connection.execute(group_evidence.insert(), rows)


@pytest.mark.parametrize("any_study", ["sqlite"], indirect=True)
def test_authors_are_labelled_by_keys_as_manual_overrides(wb_study, serve) -> None:
    store, _ = wb_study
    add_authors(store)
    queued = client(store, "ana").get("/api/groups", params={"n": 10}).json()["authors"]
    assert sorted(a["pseudonym"] for a in queued) == sorted(SELF)
    first = next(a for a in queued if a["pseudonym"] == "p_wbself1")
    assert any("professional mastering engineer" in e["quote"] for e in first["evidence"])
    served = serve(store, "ana")
    with playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 800}, bypass_csp=True)
        page.goto(f"{served.url}/#/groups")
        page.wait_for_selector("#author mark")
        assert page.locator("#author b").count() == 0  # markup stays text
        order = []
        for key in ("3", "1", "2"):
            order.append(page.inner_text("#author .tool").removeprefix("Author: "))
            page.keyboard.press(key)
            page.wait_for_function(
                "(n) => document.getElementById('group-progress').textContent"
                ".startsWith('You labelled ' + n + ' ')",
                arg=len(order),
            )
        page.keyboard.press("u")  # the third label is taken back
        page.wait_for_function(
            "document.getElementById('group-progress').textContent.startsWith('You labelled 2 ')"
        )
        shots = Path(__file__).parent.parent.parent / ".screens"
        if shots.is_dir():
            page.screenshot(path=str(shots / "groups.png"))
        browser.close()
    with store.connect() as connection:
        rows = dict(
            connection.execute(
                sa.select(participants.c.pseudonym, participants.c.user_group).where(
                    participants.c.group_method == MANUAL
                )
            ).all()
        )
    assert rows == {order[0]: "professional", order[1]: "amateur"}


def test_the_queue_draws_rare_groups_first(study) -> None:
    from earwitness.code.workbench import next_authors

    with study.open_store() as store:
        add_authors(store)
        queued = [a["pseudonym"] for a in next_authors(store, 3, seed=0)]
        # few labels: round-robin over the rules' groups, the rarest (one amateur) first
        assert queued[0] == "p_wbself2" and sorted(queued) == sorted(SELF)
        assert all(a["evidence"] for a in next_authors(store, 3, seed=0))


@pytest.mark.parametrize("any_study", ["sqlite"], indirect=True)
def test_keys_pressed_while_an_author_is_saved_leave_the_queue_alone(
    wb_study, serve, browser
) -> None:
    store, _ = wb_study
    add_authors(store)
    served = serve(store, "ana")
    page = browser.new_page(viewport={"width": 1280, "height": 800}, bypass_csp=True)
    page.goto(f"{served.url}/#/groups")
    page.wait_for_selector("#author mark")
    first, second = page.evaluate("S.groups.queue.slice(0, 2).map((a) => a.pseudonym)")
    held = press_while_saving(page, "group-label", "#author")
    page.wait_for_function(
        "document.getElementById('group-progress').textContent.startsWith('You labelled 1 ')"
    )
    assert page.evaluate("S.groups.queue[0].pseudonym") == second, first
    assert len(held.routes) == 1  # the second label was never sent
