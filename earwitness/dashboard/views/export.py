"""Export: every table as CSV or Parquet, every figure as standalone HTML (offline)."""

from __future__ import annotations

from collections.abc import Callable

import plotly.graph_objects as go
import streamlit as st

from earwitness.dashboard import _bundle, _data
from earwitness.dashboard._context import banner, facts, filters, load, md, store, study


def render() -> None:
    st.title("Export")
    banner("text", "survey", "audio", "services", "listening")
    st.caption(
        "Downloads only, built when clicked: nothing is computed until then and nothing is "
        "written to the study. Figures embed plotly.js, so they open offline. CSV cells that a "
        "spreadsheet would run as formulas are neutralised."
    )
    tables = _data.ExportTables(store(), filters(), facts=facts())
    labels = _bundle.Labels(load("simulated_areas", study().name), load("stance_provenance"))
    st.caption(
        "Every table carries `data_label` (what of it is SIMULATED) and `stance_provenance` "
        "(human / machine validated / machine unvalidated) columns; every figure carries both "
        "under its title. Here: " + md(labels.caption("sentiment_quality"))
    )
    st.subheader("Tables")
    for name in tables:
        c1, c2, c3 = st.columns([3, 1, 1])
        c1.write(name)
        c2.download_button(
            "CSV", _table(tables, name, labels, _bundle.to_csv), f"{name}.csv", "text/csv",
            key=f"x_{name}_csv", on_click="ignore",
        )  # fmt: skip
        c3.download_button(
            "Parquet", _table(tables, name, labels, _bundle.to_parquet), f"{name}.parquet",
            "application/octet-stream", key=f"x_{name}_pq", on_click="ignore",
        )  # fmt: skip
    st.subheader("Figures")
    for name, build in _bundle.figure_builders(tables).items():
        c1, c2 = st.columns([4, 1])
        c1.write(name)
        caption = labels.caption(_bundle.FIGURE_TABLES.get(name, name))
        c2.download_button(
            "HTML", _figure(build, caption), f"{name}.html", "text/html",
            key=f"x_{name}_html", on_click="ignore",
        )  # fmt: skip


def _figure(build: Callable[[], go.Figure], caption: str) -> Callable[[], bytes]:
    return lambda: _bundle.to_html(build(), caption)


def _table(
    tables: _data.ExportTables, name: str, labels: _bundle.Labels, write: Callable[..., bytes]
) -> Callable[[], bytes]:
    return lambda: write(_bundle.labelled(tables[name], name, labels))


if __name__ == "__main__":  # run by st.navigation as a page script
    render()
