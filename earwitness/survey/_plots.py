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
from earwitness.survey._report import RESULT_COLUMNS, SurveyReport

__all__ = [
    "likert_figure",
    "multi_select_figure",
    "report_figures",
    "results_table",
    "write_html_report",
]

_GROUP_COLOURS = ("#4477aa", "#ee6677", "#228833", "#ccbb44", "#66ccee", "#aa3377", "#bbbbbb")


def _e(text: Any) -> str:
    return html.escape(str(text), quote=True)


# ColorBrewer RdBu, and RdYlBu for seven points (Brewer 2003), the palest classes left
# out so every category reads against white and its neighbours: darkest at the
# extremes, a mid grey for neutral.
_NEGATIVE = {
    1: ["#d6604d"],
    2: ["#b2182b", "#ef8a62"],
    3: ["#a50026", "#d73027", "#f46d43"],
    4: ["#67001f", "#b2182b", "#d6604d", "#f4a582"],
    5: ["#67001f", "#b2182b", "#d6604d", "#ef8a62", "#f4a582"],
}
_POSITIVE = {
    1: ["#4393c3"],
    2: ["#67a9cf", "#2166ac"],
    3: ["#74add1", "#4575b4", "#313695"],
    4: ["#92c5de", "#4393c3", "#2166ac", "#053061"],
    5: ["#92c5de", "#67a9cf", "#4393c3", "#2166ac", "#053061"],
}
_NEUTRAL = "#bdbdbd"


def _diverging_colours(k: int) -> list[str]:
    half = min(k // 2, max(_NEGATIVE))
    colours = _NEGATIVE[half] + ([_NEUTRAL] if k % 2 else []) + _POSITIVE[half]
    return colours + [_NEUTRAL] * (k - len(colours))


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
        title={"text": _e(item["text"]), "y": 0.98, "yanchor": "top", "yref": "container"},
        xaxis={
            "title": {"text": "% of respondents (neutral split across 0)", "standoff": 8},
            "range": [-100, 100],
            "zeroline": True,
            "zerolinewidth": 2,
            "zerolinecolor": "#444444",
        },
        # the legend sits at the foot of the figure, below the axis title, never over it
        legend={
            "orientation": "h",
            "traceorder": "normal",
            "yref": "container",
            "y": 0.0,
            "yanchor": "bottom",
            "x": 0,
            "xanchor": "left",
            "font": {"size": 12},
        },
        margin={"t": 60, "b": 105, "l": 10, "r": 10},
        plot_bgcolor="white",
        height=250 + 40 * len(groups),
    )
    figure.update_yaxes(automargin=True)
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
        title={"text": _e(item["text"]), "y": 0.98, "yanchor": "top", "yref": "container"},
        yaxis={"title": "% choosing (Wilson 95% CI)", "range": [0, 100]},
        legend={
            "orientation": "h",
            "yref": "container",
            "y": 0.0,
            "yanchor": "bottom",
            "x": 0,
            "xanchor": "left",
        },
        margin={"t": 60, "b": 105},
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


def _cell(value: Any) -> str:
    if value is None or (isinstance(value, float) and value != value):
        return ""
    return _e(f"{value:.4g}" if isinstance(value, float) else value)


# the item and its text head each block once; every other result column is a cell
_RESULT_CELLS = tuple(c for c in RESULT_COLUMNS if c not in ("item", "item_text"))


def results_table(report: SurveyReport) -> str:
    """The results, one block of rows per item: its code and question text once, in a
    cell spanning the block, never repeated on every row."""
    head = "".join(f"<th>{_e(c)}</th>" for c in ("item", *_RESULT_CELLS))
    rows: list[str] = []
    results = report.results
    start = 0
    while start < len(results):
        end = start
        while end < len(results) and results[end]["item"] == results[start]["item"]:
            end += 1
        first = results[start]
        label = f"<strong>{_e(first['item'])}</strong>"
        if first["item_text"] and first["item_text"] != first["item"]:
            label += f"<br>{_e(first['item_text'])}"
        for index, row in enumerate(results[start:end]):
            cells = "".join(f"<td>{_cell(row.get(c))}</td>" for c in _RESULT_CELLS)
            lead = f"<td rowspan='{end - start}' class='item'>{label}</td>" if index == 0 else ""
            rows.append(f"<tr>{lead}{cells}</tr>")
        start = end
    return (
        "<table class='results'><thead><tr>"
        + head
        + "</tr></thead><tbody>"
        + "".join(rows)
        + "</tbody></table>"
    )


def write_html_report(report: SurveyReport, path: Path) -> None:
    """One self-contained HTML page (plotly.js inlined): plots, results, warnings."""
    parts = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>{_e(report.title)}</title>",
        "<style>body{font-family:system-ui,sans-serif;margin:2em;max-width:75em}"
        "table{border-collapse:collapse;font-size:.85em}td,th{border:1px solid #ccc;"
        "padding:.2em .4em}.warn{color:#8a4b00}.banner{background:#fff3cd;padding:.5em}"
        "td.item{vertical-align:top;max-width:18em;background:#f6f6f6}</style>",
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
    parts.append("<h2 id='results'>Tests and effect sizes</h2>")
    parts.append(
        "<p>Magnitude labels: rank-biserial r by Vargha &amp; Delaney (2000), ε² as η² by "
        "Cohen (1988), Cramér's V by Rea &amp; Parker (1992), odds ratios by Chen, Cohen "
        "&amp; Chen (2010). CIs are 95 %.</p>"
    )
    parts.append(results_table(report))
    parts.append("<h2>Distributions</h2>")
    parts.append(_table(report.distributions_frame()))
    parts.append("</body></html>")
    write_text_atomic(path, "\n".join(parts))
