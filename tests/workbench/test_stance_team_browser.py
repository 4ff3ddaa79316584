"""Two coders sign in with their tokens to one workbench on a shared PostgreSQL study, label
the same stance units blind, see their kappa in the queue and resolve a disagreement."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from earwitness.code.workbench import add_token
from earwitness.provenance import cohen_kappa_labels
from earwitness.store.schema import coders, stance_resolutions, tool_mentions


def _save(tmp_path: Path, page, name: str) -> None:
    page.screenshot(path=str(tmp_path / name), full_page=True)
    assert (tmp_path / name).stat().st_size > 10_000
    shots = Path(__file__).parent.parent.parent / ".screens"
    if shots.is_dir():
        (shots / name).write_bytes((tmp_path / name).read_bytes())


def _label_by_keys(page, keys: str) -> None:
    for i, key in enumerate(keys, 1):
        page.wait_for_selector("#unit .stance-keys")
        page.keyboard.press(key)
        page.wait_for_function(
            "(n) => document.getElementById('stance-progress').textContent"
            ".startsWith('You labelled ' + n + ' ')",
            arg=i,
        )


@pytest.mark.parametrize("any_study", ["postgresql"], indirect=True)
def test_two_coders_label_blind_and_resolve_in_the_browser(
    wb_study, serve, browser, tmp_path: Path
) -> None:
    from earwitness.code.assist import detect_stance

    store, _ = wb_study
    detect_stance(store, method="rules")
    served = serve(store, "ana", double_share=0.5, retrain_batch=4)
    errors: list[str] = []
    pages = []
    for _ in range(2):
        # bypass_csp: Playwright polls a predicate not true at once through eval, which
        # the workbench's CSP refuses (as in test_stance_progress_browser.py)
        context = browser.new_context(viewport={"width": 1280, "height": 800}, bypass_csp=True)
        page = context.new_page()
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        pages.append(page)
    ana, ben = pages
    ana.goto(f"{served.url}/#/stance")
    ana.wait_for_selector("#sign-in")
    ana.fill("#token", "ewt_not-a-token")
    ana.click("#sign-in button[type=submit]")
    ana.wait_for_selector("#alert:has-text('not valid')")
    _save(tmp_path, ana, "sign-in.png")
    ana.fill("#token", served.token)
    ana.click("#sign-in button[type=submit]")
    ana.wait_for_selector("#who:has-text('Coder: ana')")
    _label_by_keys(ana, "1212")  # positive, negative, positive, negative
    ana.wait_for_selector("#stance-training:has-text('Stance model retrained')")
    ben.goto(f"{served.url}/#/stance")
    ben.fill("#token", add_token(store, "ben"))
    ben.click("#sign-in button[type=submit]")
    ben.wait_for_selector("#who:has-text('Coder: ben')")
    ben.wait_for_selector("#stance-pairs:has-text('No unit labelled by two coders yet')")
    _label_by_keys(ben, "1211")  # ana's four units come first, without her labels
    with store.connect() as connection:
        labels: dict[str, dict[int, str]] = {}
        for name, segment, stance in connection.execute(
            sa.select(coders.c.name, tool_mentions.c.segment_id, tool_mentions.c.stance)
            .join(coders, coders.c.id == tool_mentions.c.coder_id)
            .where(tool_mentions.c.origin == "human")
            .distinct()
        ):
            labels.setdefault(name, {})[segment] = stance
    assert set(labels["ben"]) == set(labels["ana"])  # the same four units, doubled
    shared = sorted(labels["ana"])
    anas, bens = [labels["ana"][s] for s in shared], [labels["ben"][s] for s in shared]
    kappa = cohen_kappa_labels(anas, bens)
    ben.click("#nav-documents")
    ben.click("#nav-stance")  # the figures after the batch
    row = ben.locator('#stance-pairs tr[data-pair="ana|ben"]')
    row.wait_for()
    cells = row.locator("td").all_inner_texts()
    assert cells[:3] == ["4", "3", f"{kappa:.2f}"] and cells[4] == "1"
    assert kappa == pytest.approx(0.5)  # observed 3/4, chance 1/2
    row.get_by_role("button", name="Disagreements of ana and ben").click()
    items = ben.locator("#stance-disagreements article")
    items.first.wait_for()
    assert items.count() == 1
    shown = items.first.inner_text()
    assert "ana: negative" in shown and "ben: positive" in shown
    items.first.get_by_role("button", name="mixed").click()
    ben.wait_for_selector("#stance-disagreements article:has-text('resolved as mixed by ben')")
    ben.wait_for_function(
        "() => document.querySelector('#stance-pairs tr[data-pair=\"ana|ben\"] td:nth-child(6)')"
        ".textContent === '0'"
    )
    _save(tmp_path, ben, "stance-double.png")
    with store.connect() as connection:
        resolution = connection.execute(
            sa.select(stance_resolutions.c.stance, coders.c.name).join(
                coders, coders.c.id == stance_resolutions.c.adjudicator_id
            )
        ).one()
    assert tuple(resolution) == ("mixed", "ben")
    assert not errors, errors
