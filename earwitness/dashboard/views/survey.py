"""Survey: group comparisons as interactive figures."""

from __future__ import annotations

import streamlit as st

from earwitness.dashboard import _data
from earwitness.dashboard import _figures as fig
from earwitness.dashboard._context import banner, filters, load, md, show_figure, show_table


def render() -> None:
    st.title("Survey")
    banner("survey")
    f = filters()
    report = load("survey_report", f)
    if report is None:
        if load("survey_respondents"):
            chosen = ", ".join(f.groups) or "the chosen filters"
            st.info(
                f"No survey respondent in {md(chosen)}: the survey has answers from other groups."
            )
        else:
            st.info("No survey yet: import one with `earwitness import survey`.")
        return
    st.caption(
        "The survey follows the user-group filter; source, dates, service and song do not "
        "apply to it."
    )
    groups = " · ".join(f"{group} {n}" for group, n in report.groups.items())
    st.caption(md(report.title) + " · respondents: " + md(groups))
    for warning in report.warnings:
        st.warning(md(warning))
    items = [i for i in report.items if i["type"] != "text"]
    labels = [f"{i['code']}: {i['text']}" for i in items]
    if items:
        first = next((n for n, i in enumerate(items) if i["type"] == "likert"), 0)
        choice = st.selectbox("Item", labels, index=first, key="q_item")
        item = items[labels.index(choice)]
        if item["type"] == "likert":
            show_figure(fig.likert(report, item), "q_likert")
        proportions = _data.survey_proportions(report)
        show_figure(fig.proportions(proportions, item["code"]), "q_props")
    results = report.results_frame()
    show_figure(fig.effect_sizes(results), "q_effects")
    show_table(report.summary_frame(), "q_results")


if __name__ == "__main__":  # run by st.navigation as a page script
    render()
