"""Plots of a survey report (Plotly) and its standalone HTML page.

Likert items are drawn as diverging stacked bars (Robbins & Heiberger 2011, "Plotting
Likert and other rating scales"): disagreement to the left of zero, agreement to the
right, and the neutral category split in half across zero. Multi-select items are
drawn as proportions per option and group with their Wilson intervals. All text from
the study is HTML-escaped before Plotly or the page sees it.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

import pandas as pd
import plotly.graph_objects as go

from earwitness.files import write_text_atomic
from earwitness.survey._report import SurveyReport

__all__ = ["likert_figure", "multi_select_figure", "report_figures", "write_html_report"]

_GROUP_COLOURS = ("#4477aa", "#ee6677", "#228833", "#ccbb44", "#66ccee", "#aa3377", "#bbbbbb")


def _e(text: Any) -> str:
    return html.escape(str(text), quote=True)


def _diverging_colours(k: int) -> list[str]:
    negative = ["#b2182b", "#d6604d", "#f4a582", "#fddbc7"]
    positive = ["#d1e5f0", "#92c5de", "#4393c3", "#2166ac"]
    half = k // 2
    colours = negative[len(negative) - half :] + (["#e0e0e0"] if k % 2 else [])
    return colours + positive[:half]


def likert_figure(report: SurveyReport, item: dict[str, Any]) -> go.Figure:
    """Diverging stacked bars of one Likert item, one bar per group, in percent."""
    rows = report.distributions_frame()
    rows = rows[rows["item"] == item["code"]]
    groups = [g for g in report.groups if (rows["group"] == g).any()]
    options: list[str] = item["options"]
    neutral: int | None = item["neutral"]
    colours = _diverging_colours(len(options))
    labels = [f"{_e(g)} (n={report.groups[g]})" for g in groups]

    def percents(option: str) -> list[float]:
        found = rows[rows["answer"] == option].set_index("group")["percent"]
        return [float(found.get(g, 0.0) or 0.0) for g in groups]

    figure = go.Figure()
    below = range(neutral if neutral is not None else len(options) // 2)
    above = range((neutral + 1) if neutral is not None else len(options) // 2, len(options))
    if neutral is not None:
        half = [p / 2 for p in percents(options[neutral])]
        for sign, show in ((-1, True), (1, False)):
            figure.add_bar(
                y=labels,
                x=[sign * p for p in half],
                orientation="h",
                name=_e(options[neutral]),
                legendgroup="neutral",
                showlegend=show,
                marker_color=colours[neutral],
                legendrank=neutral,
                customdata=[2 * p for p in half],
                hovertemplate="%{y}: %{customdata:.1f}%<extra>" + _e(options[neutral]) + "</extra>",
            )
    for index in [*reversed(below), *above]:
        values = percents(options[index])
        sign = -1 if index in below else 1
        figure.add_bar(
            y=labels,
            x=[sign * v for v in values],
            orientation="h",
            name=_e(options[index]),
            marker_color=colours[index],
            legendrank=index,
            customdata=values,
            hovertemplate="%{y}: %{customdata:.1f}%<extra>" + _e(options[index]) + "</extra>",
        )
    figure.update_layout(
        barmode="relative",
        title=_e(item["text"]),
        xaxis={
            "title": "% of respondents (neutral split across 0)",
            "range": [-100, 100],
            "zeroline": True,
            "zerolinewidth": 2,
        },
        legend={"orientation": "h", "traceorder": "normal"},
        height=180 + 40 * len(groups),
    )
    return figure


def multi_select_figure(report: SurveyReport, item: dict[str, Any]) -> go.Figure:
    """Share of each group choosing each option, with Wilson 95 % intervals."""
    rows = report.distributions_frame()
    rows = rows[rows["item"] == item["code"]]
    figure = go.Figure()
    for number, group in enumerate(report.groups):
        mine = rows[(rows["group"] == group) & (rows["n"] > 0)]
        if mine.empty:
            continue
        figure.add_bar(
            x=[_e(a) for a in mine["answer"]],
            y=mine["percent"],
            name=f"{_e(group)} (n={int(mine['n'].max())})",
            marker_color=_GROUP_COLOURS[number % len(_GROUP_COLOURS)],
            error_y={
                "type": "data",
                "symmetric": False,
                "array": (mine["ci_high"] - mine["percent"]).tolist(),
                "arrayminus": (mine["percent"] - mine["ci_low"]).tolist(),
            },
        )
    figure.update_layout(
        barmode="group",
        title=_e(item["text"]),
        yaxis={"title": "% choosing (Wilson 95% CI)", "range": [0, 100]},
    )
    return figure


def report_figures(report: SurveyReport) -> list[tuple[dict[str, Any], go.Figure]]:
    figures = []
    for item in report.items:
        if item["type"] == "likert":
            figures.append((item, likert_figure(report, item)))
        elif item["type"] == "multi":
            figures.append((item, multi_select_figure(report, item)))
    return figures


def _table(frame: pd.DataFrame) -> str:
    return frame.to_html(index=False, escape=True, na_rep="", float_format=lambda v: f"{v:.4g}")


def write_html_report(report: SurveyReport, path: Path) -> None:
    """One self-contained HTML page (plotly.js inlined): plots, results, warnings."""
    parts = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>{_e(report.title)}</title>",
        "<style>body{font-family:system-ui,sans-serif;margin:2em;max-width:75em}"
        "table{border-collapse:collapse;font-size:.85em}td,th{border:1px solid #ccc;"
        "padding:.2em .4em}.warn{color:#8a4b00}.banner{background:#fff3cd;padding:.5em}</style>",
        "</head><body>",
        f"<h1>{_e(report.title)}</h1>",
    ]
    if report.illustrative:
        parts.append(
            "<p class='banner'>The instrument is marked <strong>illustrative</strong>: "
            "it is an example, not a validated questionnaire.</p>"
        )
    groups = ", ".join(f"{_e(g)}: {n}" for g, n in report.groups.items())
    parts.append(f"<p>Respondents by {_e(report.by)}: {groups}</p>")
    parts.extend(f"<p class='warn'>Warning: {_e(w)}</p>" for w in report.warnings)
    first = True
    for item, figure in report_figures(report):
        parts.append(f"<h2>{_e(item['code'])}</h2>")
        parts.append(figure.to_html(full_html=False, include_plotlyjs=first))
        first = False
    parts.append("<h2>Tests and effect sizes</h2>")
    parts.append(_table(report.results_frame()))
    parts.append("<h2>Distributions</h2>")
    parts.append(_table(report.distributions_frame()))
    parts.append("</body></html>")
    write_text_atomic(path, "\n".join(parts))
