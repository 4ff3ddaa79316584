"""Stance toward each service by user group, with intervals, its trend and its evidence."""

from __future__ import annotations

import streamlit as st

from earwitness.dashboard import _figures as fig
from earwitness.dashboard._context import (
    banner,
    filters,
    load,
    show_figure,
    show_table,
    stance_provenance_note,
)


def render() -> None:
    st.title("Stance")
    banner("text", "services")
    f = filters()
    frame = load("stance_by_service_group", f)
    stance_provenance_note("s_provenance")
    show_figure(fig.stance(frame), "s_stance")
    st.caption(
        "Each participant's net stance is (positive − negative) / their mentions of the service; "
        "a cell is the mean over its participants with a 95 % interval: Wilson's (1927) on the "
        "mean rescaled to [0, 1] up to 10 participants, a percentile bootstrap (participants "
        "resampled) above. The positive share is the share of participants leaning positive, "
        "with a Wilson interval. Cells of fewer than 5 participants are grey (`small_n`)."
    )
    show_table(frame, "s_table")
    show_figure(fig.stance_trend(load("stance_trend", f)), "s_trend")
    if not frame.empty:
        st.subheader("Evidence")
        c1, c2 = st.columns(2)
        service = c1.selectbox("Service", sorted(set(frame["service"])), key="s_service")
        group = c2.selectbox(
            "User group", ["(all groups)", *sorted(set(frame["user_group"]))], key="s_group"
        )
        show_table(
            load("stance_evidence", f, service, None if group == "(all groups)" else group),
            "s_evidence",
        )


if __name__ == "__main__":  # run by st.navigation as a page script
    render()
