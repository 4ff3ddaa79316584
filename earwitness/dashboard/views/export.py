"""Export: every table as CSV or Parquet, every figure as standalone HTML (offline)."""

from __future__ import annotations

import streamlit as st

from earwitness.dashboard import _bundle
from earwitness.dashboard._context import banner, filters, load


def render() -> None:
    st.title("Export")
    banner("text", "survey", "audio", "services", "listening")
    st.caption(
        "Downloads only: nothing is written to the study. Figures embed plotly.js, so they open "
        "offline. CSV cells that a spreadsheet would run as formulas are neutralised."
    )
    f = filters()
    tables = load("bundle_tables", f)
    st.subheader("Tables")
    for name, frame in tables.items():
        c1, c2, c3 = st.columns([3, 1, 1])
        c1.write(f"{name} ({len(frame)} rows)")
        c2.download_button(
            "CSV", _bundle.to_csv(frame), f"{name}.csv", "text/csv", key=f"x_{name}_csv"
        )
        c3.download_button(
            "Parquet", _bundle.to_parquet(frame), f"{name}.parquet",
            "application/octet-stream", key=f"x_{name}_pq",
        )  # fmt: skip
    st.subheader("Figures")
    for name, figure in _bundle.figures(tables).items():
        c1, c2 = st.columns([4, 1])
        c1.write(name)
        c2.download_button(
            "HTML", _bundle.to_html(figure), f"{name}.html", "text/html", key=f"x_{name}_html"
        )


if __name__ == "__main__":  # run by st.navigation as a page script
    render()
