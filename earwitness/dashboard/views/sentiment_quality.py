"""Sentiment × quality: what each group says about a service against what listeners hear
and what its masters measure."""

from __future__ import annotations

import streamlit as st

from earwitness.dashboard import _data
from earwitness.dashboard import _figures as fig
from earwitness.dashboard._context import (
    banner,
    filters,
    load,
    md,
    show_figure,
    show_table,
    stance_provenance_note,
)


def _picked(event: object) -> tuple[str, str] | None:
    points = getattr(getattr(event, "selection", None), "points", None) or []
    for point in points:
        custom = point.get("customdata") if isinstance(point, dict) else None
        if custom:
            return str(custom[0]), str(custom[1])
    return None


def render() -> None:
    st.title("Sentiment × quality")
    banner("text", "audio", "services", "listening")
    f = filters()
    c1, c2 = st.columns(2)
    quality = c1.radio(
        "Perceived quality", list(_data.QUALITY_MEASURES),
        format_func=_data.QUALITY_MEASURES.__getitem__, key="sq_quality",
    )  # fmt: skip
    measure = c2.selectbox(
        "Measured", list(_data.AUDIO_MEASURES),
        format_func=_data.AUDIO_MEASURES.__getitem__, key="sq_measure",
    )  # fmt: skip
    frame = load("sentiment_quality", f, quality)
    st.caption(
        "Stance per unit: people's label where coders gave one, else the machine's. "
        "Where that comes from, per service:"
    )
    stance_provenance_note("sq_provenance")
    left, right = st.columns(2)
    with left:
        event = show_figure(
            fig.quality_scatter(
                frame, "quality", _data.QUALITY_MEASURES[quality],
                missing="No listening test yet: perceived quality appears once one has ratings."
                if load("listening_ratings").empty else "No ratings of these services.",
            ),
            "sq_quality_fig", on_select="rerun", selection_mode="points",
        )  # fmt: skip
        if quality == "preference":
            st.caption(md(_data.preference_note(load("listening_ratings"))))
    with right:
        show_figure(
            fig.quality_scatter(frame, measure, _data.AUDIO_MEASURES[measure], ci=False),
            "sq_measure_fig",
        )
    st.subheader("Rank correlations across services")
    st.caption(
        "Spearman's rho between each service's net stance (all groups) and the measure, with "
        "a 95 % bootstrap interval over services. No p-values: with a handful of services a "
        "test says little; the interval shows how little."
    )
    show_table(_data.rank_correlations(frame), "sq_rho")
    show_table(frame, "sq_table")
    st.subheader("Evidence behind a point")
    if not frame.empty:
        picked = _picked(event)
        services = sorted(set(frame["service"]))
        groups = sorted(set(frame["user_group"].dropna()))
        if picked and picked != st.session_state.get("sq_picked"):
            st.session_state["sq_picked"] = picked  # a click on a point picks its evidence
            if picked[0] in services:
                st.session_state["sq_service"] = picked[0]
            if picked[1] in groups:
                st.session_state["sq_group"] = picked[1]
        s1, s2 = st.columns(2)
        service = s1.selectbox("Service", services, key="sq_service")
        group = s2.selectbox("User group", groups, key="sq_group")
        st.markdown("**What they said**")
        show_table(load("stance_evidence", f, service, group), "sq_said")
        st.markdown("**What listeners heard**")
        ratings = load("listening_ratings_of", f)
        if len(ratings):
            ratings = ratings[(ratings["service"] == service) & (ratings["user_group"] == group)]
        show_table(ratings, "sq_heard")
        st.markdown("**What the masters measure**")
        metrics = load("master_metrics", f)
        show_table(metrics[metrics["service"] == service], "sq_measured")
    st.subheader("Stated versus blind")
    answers = load("survey_numeric")
    items = sorted(set(answers["item"])) if len(answers) else []
    if items:
        item = st.selectbox("Survey item", items, key="sq_item")
        stated = load("stated_vs_blind", f, item)
        show_figure(fig.stated_vs_blind(stated, item), "sq_stated")
        show_table(stated, "sq_stated_table")
    else:
        st.info("No numeric survey answers yet.")


if __name__ == "__main__":  # run by st.navigation as a page script
    render()
