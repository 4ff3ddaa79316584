"""A real browser on the demo study's dashboard: headless Chromium from Debian, driven by
Playwright (``executable_path``; browsers are never downloaded). Every page must render its
charts with no exception, show no participant's link token anywhere in its HTML, offer no
Deploy button or developer menu, and leave the study folder as it was; screenshots are saved
under test-artifacts/dashboard/ to look at."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from earwitness.study import Study, find_study
from tests.helpers import serve_dashboard

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = (
    Path(
        os.environ.get(
            "EARWITNESS_TEST_ARTIFACTS", Path(__file__).resolve().parents[2] / "test-artifacts"
        )
    )
    / "dashboard"
)
PAGES = {  # url path -> (title, charts at least)
    "": ("Overview", 0),
    "voices": ("Voices", 1),
    "stance": ("Stance", 2),
    "survey": ("Survey", 2),
    "masters": ("Masters", 4),
    "listening": ("Listening", 0),
    "sentiment-quality": ("Sentiment × quality", 2),
    "export": ("Export", 0),
}
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Debian's chromium (.ci/run)"),
]


@pytest.fixture(scope="module")
def demo_study(built_demo: tuple[Path, Any]) -> Study:
    target, built = built_demo  # built once per test process (tests/conftest.py)
    assert built.exit_code == 0, built.output
    return find_study(target)


def _folder(root: Path) -> list[tuple[str, int, int]]:
    """Every file and folder of the study with its size and modification time."""
    return sorted(
        (str(p.relative_to(root)), p.stat().st_size, p.stat().st_mtime_ns)
        for p in [root, *root.rglob("*")]
    )


def _secrets(study: Study) -> set[str]:
    """Every access secret of the study's listening sessions: link tokens, the per-trial
    stimulus tokens of their plans, completion codes."""
    import sqlalchemy as sa

    from earwitness.store import schema as s

    found: set[str] = set()

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                if key == "token" and isinstance(item, str):
                    found.add(item)
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    se = s.listening_sessions
    with study.open_store(read_only=True) as store, store.connect() as connection:
        for token, plan, code in connection.execute(
            sa.select(se.c.token, se.c.plan, se.c.completion_code)
        ):
            found.add(token)
            found.update([code] if code else [])
            walk(plan)
    return found


@pytest.fixture(scope="module")
def server(demo_study: Study) -> Iterator[str]:
    with serve_dashboard(demo_study.root) as url:
        yield url


def test_every_page_renders_its_charts_in_chromium(server: str, demo_study: Study) -> None:
    from playwright.sync_api import sync_playwright

    secrets = _secrets(demo_study)
    assert len(secrets) > 30  # the demo's listening test has sessions
    before = _folder(demo_study.root)
    shutil.rmtree(ARTIFACTS, ignore_errors=True)
    ARTIFACTS.mkdir(parents=True)
    errors: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"],
        )  # fmt: skip
        page = browser.new_page(viewport={"width": 1400, "height": 3000})
        page.on("pageerror", lambda error: errors.append(str(error)))
        for path, (title, charts) in PAGES.items():
            page.goto(f"{server}/{path}", wait_until="networkidle")
            page.get_by_role("heading", name=title).first.wait_for(timeout=60_000)
            page.wait_for_function(
                "n => document.querySelectorAll('.js-plotly-plot .main-svg').length >= n",
                arg=charts, timeout=60_000,
            )  # fmt: skip
            page.wait_for_timeout(1000)
            page.locator("[data-testid='stStatusWidget']").wait_for(
                state="detached", timeout=60_000
            )
            if path == "export":  # its list of downloads comes last
                page.get_by_role("heading", name="Figures").wait_for(timeout=120_000)
            page.wait_for_timeout(1000)  # let the tables and charts paint
            page.screenshot(path=str(ARTIFACTS / f"{path or 'overview'}.png"), full_page=True)
            assert page.locator("[data-testid='stException']").count() == 0, path
            assert page.get_by_text("SIMULATED DATA").count() >= 1, f"{path}: no banner"
            assert page.locator("script:has-text('alert(')").count() == 0
            html = page.content()
            leaked = [token for token in secrets if token in html]
            assert not leaked, f"{path}: {len(leaked)} session secrets in the page"
            assert page.locator("[data-testid='stAppDeployButton']").count() == 0, path
            assert page.locator("[data-testid='stMainMenu']").count() == 0, path
            assert page.get_by_role("button", name="Deploy").count() == 0, path
            if path == "voices":
                _click_a_heatmap_cell(page)
            if path == "listening":
                page.get_by_text("The screening report as JSON").click()
                page.wait_for_timeout(1500)
                page.screenshot(path=str(ARTIFACTS / "listening-json.png"), full_page=True)
                html = page.content()
                assert not [token for token in secrets if token in html], "screening JSON"
        browser.close()
    assert not errors, errors
    assert _folder(demo_study.root) == before  # viewing wrote nothing to the study


def _click_a_heatmap_cell(page: Any) -> None:
    """A click on a code x group cell picks that code for the quotes below the heatmap."""
    codes = [
        label.strip() for label in page.locator(".js-plotly-plot .ytick text").all_text_contents()
    ]
    before = {code: page.get_by_text(code, exact=True).count() for code in codes}
    area = page.locator(".js-plotly-plot .nsewdrag").first.bounding_box()
    # the row of the third code (not the one picked by default), in the first group's column
    row = page.locator(".js-plotly-plot .ytick text").nth(2).bounding_box()
    columns = len(page.locator(".js-plotly-plot .xtick text").all_text_contents())
    page.mouse.click(
        area["x"] + area["width"] / (2 * max(columns, 1)), row["y"] + row["height"] / 2
    )
    page.wait_for_timeout(1000)
    page.locator("[data-testid='stStatusWidget']").wait_for(state="detached", timeout=60_000)
    page.wait_for_timeout(1500)
    page.screenshot(path=str(ARTIFACTS / "voices-cell-clicked.png"), full_page=True)
    after = {code: page.get_by_text(code, exact=True).count() for code in codes}
    picked = [code for code in codes if after[code] > before[code]]
    assert len(picked) == 1, (before, after)


def test_an_export_is_built_when_its_download_is_clicked(server: str, demo_study: Study) -> None:
    """The Export page lists its downloads without computing them; a click builds the table
    (from the store, outside the page's run) with its labels."""
    import io

    import pandas as pd
    from playwright.sync_api import sync_playwright

    from earwitness.dashboard import _data
    from earwitness.dashboard._filters import Filters

    with demo_study.open_store(read_only=True) as store:
        expected = _data.stance_by_service_group(store, Filters())
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1400, "height": 3000})
        page.goto(f"{server}/export", wait_until="networkidle")
        page.get_by_role("heading", name="Figures").wait_for(timeout=120_000)
        row = page.locator("[data-testid='stHorizontalBlock']").filter(
            has_text="stance_by_service_group"
        )
        with page.expect_download(timeout=120_000) as download:
            row.get_by_role("button", name="CSV").first.click()
        body = Path(download.value.path()).read_bytes()
        with page.expect_download(timeout=120_000) as figure:
            page.locator("[data-testid='stHorizontalBlock']").filter(
                has_text="stance_trend"
            ).get_by_role("button", name="HTML").last.click()
        html = Path(figure.value.path()).read_text()
        browser.close()
    table = pd.read_csv(io.BytesIO(body))
    assert len(table) == len(expected) > 0
    assert list(table["participants"]) == list(expected["participants"])
    assert table["data_label"].str.startswith("SIMULATED").all()
    assert table["stance_provenance"].str.contains("machine").all()
    assert "SIMULATED" in html and "plotly" in html
