"""The HTML report's layout: legends clear of the axis title, readable colours, and the
question text once per item in the results table (checked by eye in headless Chromium
too; see docs/survey.md)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from earwitness.study import Study
from earwitness.survey import build_report, import_file, load_instrument, load_responses
from earwitness.survey._plots import _diverging_colours, likert_figure, write_html_report

from .conftest import EXAMPLE_INSTRUMENT, FIXTURES


@pytest.fixture
def report(study: Study):  # type: ignore[no-untyped-def]
    with study.open_store() as store:
        import_file(
            store,
            FIXTURES / "msforms-adoption.xlsx",
            study.key(),
            instrument=load_instrument(EXAMPLE_INSTRUMENT),
        )
        with store.connect() as connection:
            data = load_responses(connection)
    return build_report(data)


def _luminance(colour: str) -> float:
    """WCAG 2.1 relative luminance of an sRGB colour."""
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def _contrast(a: str, b: str) -> float:
    high, low = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


@pytest.mark.parametrize("k", [4, 5, 7])
def test_agree_and_disagree_colours_stand_out_against_white(k: int) -> None:
    colours = _diverging_colours(k)
    half = k // 2
    agree, disagree = colours[-half:], colours[:half]
    # WCAG 2.1 non-text contrast (1.4.11) asks 3:1 for graphics; the palest step may
    # be lighter, but no category is near-white and the extremes are dark.
    assert all(_contrast(c, "#ffffff") >= 1.9 for c in agree + disagree)
    assert _contrast(agree[-1], "#ffffff") >= 4.5 and _contrast(disagree[0], "#ffffff") >= 4.5
    assert len(set(colours)) == k


def test_likert_legend_sits_below_the_axis_title(report) -> None:  # type: ignore[no-untyped-def]
    item = next(i for i in report.items if i["type"] == "likert")
    layout = likert_figure(report, item).layout
    assert layout.legend.yref == "container" and layout.legend.y == 0
    assert layout.legend.yanchor == "bottom"
    assert layout.margin.b >= 100  # room for ticks, the axis title, then the legend


def test_results_table_shows_each_question_text_once(report, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "report.html"
    write_html_report(report, path)
    page = path.read_text(encoding="utf-8")
    table = page[page.index("<table class='results'>") :]
    table = table[: table.index("</table>")]
    for item in report.items:
        rows = [r for r in report.results if r["item"] == item["code"]]
        if len(rows) > 1:
            text = re.escape(item["text"].replace("'", "&#x27;"))
            assert len(re.findall(text, table)) == 1, item["code"]
