"""Export: every table as CSV or Parquet, every figure as standalone HTML (offline)."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

import plotly.graph_objects as go
import streamlit as st

from earwitness.dashboard import _bundle, _data
from earwitness.dashboard._context import banner, filters, load, md, study


def render() -> None:
    st.title("Export")
    banner("text", "survey", "audio", "services", "listening")
    st.caption(
        "Downloads only, built when clicked: nothing is written to the study. Figures embed "
        "plotly.js, so they open offline. CSV cells that a spreadsheet would run as formulas "
        "are neutralised."
    )
    f = filters()
    tables = {name: load(function, *args) for name, function, args in _data.export_specs(f)}
    tables.update(_data.derived_tables(tables))
    labels = _bundle.Labels(load("simulated_areas", study().name), load("stance_provenance"))
    st.caption(
        "Every table carries `data_label` (what of it is SIMULATED) and `stance_provenance` "
        "(human / machine validated / machine unvalidated) columns; every figure carries both "
        "under its title. Here: " + md(labels.caption("sentiment_quality"))
    )
    st.subheader("Tables")
    for name, raw in tables.items():
        frame = _bundle.labelled(raw, name, labels)
        c1, c2, c3 = st.columns([3, 1, 1])
        c1.write(f"{name} ({len(frame)} rows)")
        c2.download_button(
            "CSV", partial(_bundle.to_csv, frame), f"{name}.csv", "text/csv",
            key=f"x_{name}_csv", on_click="ignore",
        )  # fmt: skip
        c3.download_button(
            "Parquet", partial(_bundle.to_parquet, frame), f"{name}.parquet",
            "application/octet-stream", key=f"x_{name}_pq", on_click="ignore",
        )  # fmt: skip
    st.subheader("Figures")
    for name, build in _bundle.figure_builders(tables).items():
        c1, c2 = st.columns([4, 1])
        c1.write(name)
        caption = labels.caption(_bundle.FIGURE_TABLES.get(name, name))
        c2.download_button(
            "HTML", partial(_html, build, caption), f"{name}.html", "text/html",
            key=f"x_{name}_html", on_click="ignore",
        )  # fmt: skip


def _html(build: Callable[[], go.Figure], caption: str) -> bytes:
    return _bundle.to_html(build(), caption)


if __name__ == "__main__":  # run by st.navigation as a page script
    render()
