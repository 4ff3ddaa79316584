"""The dashboard's Listening page in headless Chromium (Debian's, through Playwright's
``executable_path``) shows the blind preference that ``listen report`` gives, on a study
with an A/B test answered by hand, and a warning instead of it for MUSHRA with the human
master as reference. Screenshots go to test-artifacts/listening/ to look at."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from earwitness.analysis.listening import create_test, simulate_listeners
from tests.helpers import invoke_cli, serve_dashboard
from tests.listening.test_preference import _answer_ab

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = (
    Path(
        os.environ.get(
            "EARWITNESS_TEST_ARTIFACTS", Path(__file__).resolve().parents[2] / "test-artifacts"
        )
    )
    / "listening"
)
# the counts each bar of the preference figure carries (its hover text)
BARS = (
    "[...document.querySelectorAll('.js-plotly-plot')].flatMap(p => (p.data || [])"
    ".filter(t => t.type === 'bar').flatMap(t => t.text || []))"
)
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Debian's chromium (.ci/run)"),
]


@pytest.fixture
def server(audio_study: Any) -> Iterator[tuple[str, Any]]:
    study, store = audio_study
    create_test(store, study, "a-b test", "ab", reference="human", start=2.0)
    _answer_ab(store, "a-b test", "amateur", lambda a, b, trial: "A")
    _answer_ab(store, "a-b test", "amateur", lambda a, b, trial: "none" if trial % 3 else "B")
    _answer_ab(store, "a-b test", "professional", lambda a, b, trial: "B")
    create_test(store, study, "mushra human ref", "mushra", reference="human", start=2.0)
    simulate_listeners(store, "mushra human ref", 3, seed=2)
    with serve_dashboard(study.root, attempts=240) as url:
        yield url, study


def _settle(page: Any) -> None:
    page.wait_for_timeout(1000)
    page.locator("[data-testid='stStatusWidget']").wait_for(state="detached", timeout=90_000)
    page.wait_for_timeout(1500)


def test_listening_page_shows_the_reports_preference_and_warns_on_a_human_reference(
    server: tuple[str, Any],
) -> None:
    from playwright.sync_api import sync_playwright

    url, study = server
    report = json.loads(
        invoke_cli("--study", str(study.root), "listen", "report", "a-b test", "--json").stdout
    )
    expected = sorted(
        f"{r['ai_preferred']} of {r['decided']}, {r['ties']} tied"
        for r in report["preference"]["by_service_group"]
    )
    # two services by two groups: the figure has a bar for each (their counts depend on the
    # order each session drew, so two bars may carry the same text)
    assert len(expected) == 4
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    errors: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"],
        )  # fmt: skip
        page = browser.new_page(viewport={"width": 1400, "height": 2600})
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto(f"{url}/listening", wait_until="networkidle")
        page.get_by_role("heading", name="Listening").first.wait_for(timeout=90_000)
        page.wait_for_function(f"() => {BARS}.length > 0", timeout=90_000)
        _settle(page)
        page.screenshot(path=str(ARTIFACTS / "listening-ab.png"), full_page=True)
        assert sorted(page.evaluate(BARS)) == expected
        assert page.get_by_text("ties (no preference, equal scores) are left out").count() == 1
        assert page.locator("[data-testid='stException']").count() == 0
        page.get_by_test_id("stSelectbox").first.click()
        page.get_by_role("option", name="mushra human ref").click()
        _settle(page)
        page.screenshot(path=str(ARTIFACTS / "listening-mushra-human-ref.png"), full_page=True)
        assert page.get_by_text("cannot say whether AI or human masters are better").count() == 1
        assert page.evaluate(BARS) == []
        assert page.locator("[data-testid='stException']").count() == 0
        browser.close()
    assert not errors, errors
