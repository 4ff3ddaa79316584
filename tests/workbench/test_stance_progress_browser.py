"""The count a coder sees in the stance queue ("You labelled n units") never goes back to
what the server read before their latest label: answers that carry the count can arrive
out of order (a queue refill or the figures after a retraining run, asked for before a
label was stored, answered after it). Playwright holds such an answer, fetched from the
real server, until a later label has been shown, then lets it through."""

from __future__ import annotations

from typing import Any

import pytest

from earwitness.code.assist import detect_stance

PROGRESS = "document.getElementById('stance-progress').textContent"
QUEUE_LENGTH = f"+{PROGRESS}.match(/(\\d+) in the queue/)[1]"


class Held:
    """Answers to matching requests, fetched at once and delivered only when released."""

    def __init__(self) -> None:
        self.routes: list[tuple[Any, Any]] = []

    def __call__(self, route: Any) -> None:
        self.routes.append((route, route.fetch()))

    def wait(self, page: Any, seconds: float = 120.0) -> None:
        """Until a request is held (route handlers run while Playwright is called)."""
        for _ in range(int(seconds * 20)):
            if self.routes:
                return
            page.wait_for_timeout(50)
        raise AssertionError("no request to hold")

    def release_first(self) -> None:
        route, response = self.routes[0]
        route.fulfill(response=response)


def press_while_saving(page: Any, endpoint: str, box: str) -> Held:
    """Label by key 1 in ``box`` with the answer from ``endpoint`` held; while it is held,
    press skip, undo and another label, and wait for the page to refuse them; then let
    the answer through. The held requests, to count."""
    held = Held()
    page.route(f"**/api/{endpoint}", held)
    page.focus(box)
    page.keyboard.press("1")
    held.wait(page)
    for key in ("s", "u", "2"):
        page.keyboard.press(key)
    page.wait_for_selector("#status:has-text('Still saving the last label')")
    held.release_first()
    return held


def _shows(page: Any, labelled: int) -> None:
    page.wait_for_function(f"(n) => {PROGRESS}.startsWith('You labelled ' + n + ' ')", arg=labelled)


def _queue_length(page: Any) -> int:
    return int(page.evaluate(QUEUE_LENGTH))


def _open_queue(wb_study: Any, serve: Any, browser: Any, **config: Any) -> tuple[Any, list[str]]:
    """The stance queue of coder ana in a new page, its units shown; and the page's errors."""
    store, _ = wb_study
    detect_stance(store, method="rules")
    served = serve(store, "ana", **config)
    # Playwright polls a string predicate that is not true at once through eval, which the
    # workbench's Content-Security-Policy (no 'unsafe-eval') refuses
    page = browser.new_page(viewport={"width": 1280, "height": 800}, bypass_csp=True)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    served.open(page, "/#/stance")
    page.wait_for_selector("#unit .stance-keys")
    return page, errors


@pytest.mark.parametrize("any_study", ["sqlite"], indirect=True)
def test_a_refill_read_before_a_label_does_not_take_the_count_back(
    wb_study, serve, browser
) -> None:
    page, errors = _open_queue(wb_study, serve, browser)
    held = Held()
    page.route(lambda url: "/api/stance?" in url, held)  # every refill from now on
    page.focus("#unit")
    while _queue_length(page) >= 5:  # skipping to the last four units asks for more
        page.keyboard.press("s")
    held.wait(page)

    page.keyboard.press("1")
    _shows(page, 1)
    before = _queue_length(page)
    held.release_first()  # read when ana had labelled nothing
    page.wait_for_function(f"(n) => {QUEUE_LENGTH} > n", arg=before)
    assert page.evaluate(PROGRESS).startswith("You labelled 1 "), page.evaluate(PROGRESS)
    assert not errors, errors


@pytest.mark.parametrize("any_study", ["sqlite"], indirect=True)
def test_the_figures_after_a_retraining_run_do_not_take_the_count_back(
    wb_study, serve, browser
) -> None:
    page, errors = _open_queue(wb_study, serve, browser, retrain_batch=1)
    held = Held()
    page.route("**/api/stance-figures", held)  # every later one stays held
    page.focus("#unit")
    page.keyboard.press("1")
    _shows(page, 1)
    held.wait(page)  # the run the first label started ended; the page asked for its figures

    page.keyboard.press("2")
    _shows(page, 2)
    held.release_first()  # read when ana had labelled one unit
    page.wait_for_selector("#stance-provenance tr:has-text('1 by ana')")
    assert page.evaluate(PROGRESS).startswith("You labelled 2 "), page.evaluate(PROGRESS)
    assert not errors, errors


@pytest.mark.parametrize("any_study", ["sqlite"], indirect=True)
def test_keys_pressed_while_a_label_is_saved_leave_the_queue_alone(
    wb_study, serve, browser
) -> None:
    page, errors = _open_queue(wb_study, serve, browser)
    first, second = page.evaluate(
        "S.stance.queue.slice(0, 2).map((u) => u.segment_id + '|' + u.tool)"
    )
    held = press_while_saving(page, "stance-label", "#unit")
    _shows(page, 1)
    shown = page.evaluate("S.stance.queue[0].segment_id + '|' + S.stance.queue[0].tool")
    assert shown == second, (first, second, shown)
    assert len(held.routes) == 1  # the second label was never sent
    page.unroute("**/api/stance-label")
    page.keyboard.press("u")
    _shows(page, 0)
    assert page.evaluate("S.stance.queue[0].segment_id + '|' + S.stance.queue[0].tool") == first
    assert not errors, errors
