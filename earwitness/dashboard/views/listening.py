"""Listening: scores per condition by listener group, preference rates, screening."""

from __future__ import annotations

import streamlit as st

from earwitness.analysis import listening
from earwitness.dashboard import _data
from earwitness.dashboard import _figures as fig
from earwitness.dashboard._context import banner, filters, load, md, show_figure, show_table


def render() -> None:
    st.title("Listening")
    banner("listening", "audio", "services")
    f = filters()
    ratings = load("listening_ratings")
    if ratings.empty:
        st.info(
            "No listening test yet. When a blind, loudness-matched listening test has ratings, "
            "this page shows its scores, preference rates and screening."
        )
        return
    tests = sorted(set(ratings["test"]))
    test = st.selectbox("Test", tests, key="l_test")
    rows = _data.filtered_ratings(ratings[ratings["test"] == test], f)
    kept = rows[~rows["excluded"].fillna(False).astype(bool)]
    st.caption(
        f"{kept['participant'].nunique()} listeners kept, "
        f"{rows[rows['excluded'].fillna(False).astype(bool)]['participant'].nunique()} excluded"
    )
    show_figure(fig.listening_box(kept, _data.condition_labels(kept)), "l_box")
    summary = _data.rating_summary(rows)
    show_figure(fig.listening_means(summary), "l_means")
    show_table(summary, "l_summary")
    caveat = listening.preference_caveats(rows).get(test)
    if caveat:
        st.warning(f"Blind preference over human: not from this test. {md(caveat)}.")
    else:
        prefs = _data.preference_rates(rows)
        show_figure(fig.preference(prefs), "l_pref")
        st.caption(md(f"Blind preference: {listening.PREFERENCE_RATE_RULE}."))
        show_table(prefs, "l_pref_table")
    st.subheader("Screening")
    st.caption("The screening report covers every assessor of the test; the filters do not apply.")
    report = load("listening_screening", test)
    st.caption(md(report.get("rules", "")) + " · sessions by short id (never their link)")
    show_table(_data.screening_table(report), "l_screening")
    with st.expander("The screening report as JSON"):
        st.json(report, expanded=False)


if __name__ == "__main__":  # run by st.navigation as a page script
    render()
