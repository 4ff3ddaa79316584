"""A self-contained HTML report: box plots per condition and the tables, all text escaped."""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import Any

__all__ = ["write_html"]


def _table(rows: list[dict[str, Any]]) -> str:
    if not rows:
        return "<p>(none)</p>"
    head = "".join(f"<th>{html.escape(str(k))}</th>" for k in rows[0])
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(_fmt(v))}</td>" for v in row.values()) + "</tr>"
        for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.3g}" if abs(value) < 0.01 else f"{value:.2f}"
    if isinstance(value, list | dict):
        return json.dumps(value, default=str)
    return "" if value is None else str(value)


def _boxes(rows: list[dict[str, Any]]) -> str:
    """An inline SVG box plot (quartiles, median, mean) per condition on the 0-100 scale."""
    width, row_h, left = 640, 28, 170
    parts = []
    for i, row in enumerate(rows):
        y = 10 + i * row_h

        def x(v: float) -> float:
            return left + (width - left - 10) * v / 100.0

        label = html.escape(str(row.get("condition")))
        parts.append(
            f'<text x="{left - 8}" y="{y + 14}" text-anchor="end">{label}</text>'
            f'<rect x="{x(row["q1"]):.1f}" y="{y + 4}" width="{x(row["q3"]) - x(row["q1"]):.1f}" '
            f'height="16" fill="#cfe0f7" stroke="#1f5fbf"/>'
            f'<line x1="{x(row["median"]):.1f}" x2="{x(row["median"]):.1f}" y1="{y + 4}" '
            f'y2="{y + 20}" stroke="#1d1d1b" stroke-width="2"/>'
            f'<circle cx="{x(row["mean"]):.1f}" cy="{y + 12}" r="3" fill="#a40000"/>'
        )
    height = 20 + len(rows) * row_h
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'font-family="sans-serif" font-size="12">{"".join(parts)}</svg>'
    )


def _preference(section: dict[str, Any]) -> list[str]:
    head = "<h2>Blind preference over the human master</h2>"
    if section["caveat"]:
        return [
            head,
            f"<p><strong>None from this test.</strong> {html.escape(section['caveat'])}.</p>",
        ]
    return [
        head,
        f"<p>{html.escape(section['rule'])}.</p>",
        _table(section["by_service"]),
        "<h3>By listener group</h3>",
        _table(section["by_service_group"]),
    ]


def write_html(report: dict[str, Any], path: Path) -> None:
    simulated = " · SIMULATED" if report["simulated_answers"] else ""
    title = html.escape(f"Listening test {report['test']} ({report['design']}){simulated}")
    sections = [
        f"<h1>{title}</h1>",
        f"<p>{report['sessions']} sessions, {report['answers']} answers "
        f"({report['simulated_answers']} simulated); excluded by post-screening: "
        f"{len(report['excluded_sessions'])}.</p>",
    ]
    if "by_condition" in report:
        sections += [
            "<h2>Scores by condition</h2>",
            _boxes(report["by_condition"]),
            _table(report["by_condition"]),
            "<h2>Pairwise tests</h2>",
            _table(report["tests"]["pairs"]),
        ]
    if "pairs" in report:
        sections += ["<h2>Preferences</h2>", _table(report["pairs"])]
    if "preference" in report:
        sections += _preference(report["preference"])
    if "listeners" in report:
        sections += ["<h2>ABX by listener</h2>", _table(report["listeners"])]
    sections += ["<h2>Screening</h2>", _table(report["screening"]["assessors"])]
    style = (
        "body{font-family:sans-serif;max-width:1100px;margin:2rem auto}"
        "table{border-collapse:collapse;font-size:.85rem}td,th{border:1px solid #ccc;"
        "padding:.2rem .4rem}"
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        f"<!doctype html><meta charset=utf-8><title>{title}</title><style>{style}</style>"
        + "".join(sections),
        encoding="utf-8",
    )
