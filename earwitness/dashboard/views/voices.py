"""Voices: codes by user group, the quotes behind a cell, co-occurrence, Vanka et al. tables."""

from __future__ import annotations

import streamlit as st

from earwitness.dashboard import _data
from earwitness.dashboard import _figures as fig
from earwitness.dashboard._context import banner, filters, load, show_figure, show_table


def _selected(event: object) -> tuple[int, str] | None:
    points = getattr(getattr(event, "selection", None), "points", None) or []
    for point in points:
        custom = point.get("customdata") if isinstance(point, dict) else None
        if custom:
            return int(custom[0]), str(custom[1])
    return None


def render() -> None:
    st.title("Voices")
    banner("text")
    f = filters()
    left, right = st.columns(2)
    unit = left.radio("Count per", ["participant", "segment"], horizontal=True, key="v_unit")
    value = right.radio("Show", ["share", "count"], horizontal=True, key="v_value")
    matrix = load("code_group_matrix", f, unit)
    event = show_figure(
        fig.heatmap(matrix, value, unit), "v_heatmap", on_select="rerun", selection_mode="points"
    )
    st.subheader("The quotes behind a cell")
    if matrix.empty:
        st.info("No coded passages match the filters.")
    else:
        codes = matrix.drop_duplicates("code")
        picked = _selected(event)
        names = codes["code"].tolist()
        ids = codes["code_id"].tolist()
        groups = sorted(set(matrix["user_group"]))
        group_choices = ["(all groups)", *groups]
        if picked and picked != st.session_state.get("v_picked") and picked[0] in ids:
            st.session_state["v_picked"] = picked  # a click on a cell picks its code and group
            st.session_state["v_code"] = names[ids.index(picked[0])]
            st.session_state["v_group"] = picked[1] if picked[1] in groups else group_choices[0]
        c1, c2 = st.columns(2)
        code = c1.selectbox("Code", names, key="v_code")
        group = c2.selectbox("User group", group_choices, key="v_group")
        chosen = ids[names.index(code)]
        show_table(
            load("quotes", f, chosen, None if group == "(all groups)" else group), "v_quotes"
        )
    st.subheader("Co-occurrence (same segment or overlapping passages; documents)")
    show_table(load("cooccurrence", f), "v_cooc")
    st.subheader("Table 1 (after Vanka et al. 2023): use cases, expectations, sentiment")
    st.caption("Top codes per group (participants / N coded); net stance over all services.")
    if unit != "participant":
        matrix = load("code_group_matrix", f, "participant")
    show_table(_data.vanka_table1_from(matrix, load("stance_by_service_group", f)), "v_table1")
    st.subheader("Table 2 (after Vanka et al. 2023): requested functionalities")
    st.caption(
        "* under 25 % of the group's coded participants, ** 25–50 %, *** over 50 % "
        "(participants in brackets)."
    )
    show_table(_data.vanka_table2_from(matrix), "v_table2")


if __name__ == "__main__":  # run by st.navigation as a page script
    render()
