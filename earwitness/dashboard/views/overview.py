"""Overview: what the study holds, where it came from, and which of it is simulated."""

from __future__ import annotations

import streamlit as st

from earwitness.dashboard._context import banner, filters, load, md, show_table, study


def render() -> None:
    current = study()
    st.title("Overview")
    st.caption(f"Study: {md(current.name)}")
    banner("text", "survey", "audio", "services", "listening")
    info = load("overview", filters(), {"created_at": current.settings.get("created_at", "")})
    counts = info["counts"]
    columns = st.columns(6)
    for column, (label, value) in zip(
        columns,
        [
            ("Documents", counts["documents"]),
            ("Participants", counts["participants"]),
            ("Codings", counts["codings"]),
            ("Survey respondents", info["respondents"]),
            ("Songs", counts["songs"]),
            ("Listening ratings", counts["ratings"]),
        ],
        strict=True,
    ):
        column.metric(label, f"{value:,}")
    st.caption(md(info["filters"]))
    left, right = st.columns(2)
    with left:
        st.subheader("Documents by source, kind and user group")
        show_table(info["documents"], "ov_documents")
        st.subheader("Participants by kind and user group")
        show_table(info["participants"], "ov_participants")
        st.subheader("Codings")
        show_table(info["codings"], "ov_codings")
    with right:
        st.subheader("Songs and versions")
        show_table(info["versions"], "ov_versions")
        st.subheader("Listening tests: sessions and exclusions")
        if info["listening"].empty:
            st.info("No listening test yet.")
        else:
            show_table(info["listening"], "ov_listening")
        st.subheader("Provenance")
        show_table(info["sources"], "ov_sources")
        st.caption(
            f"Created {md(current.settings.get('created_at', ''))} · schema "
            f"{md(current.settings.get('schema_version', ''))} · read-only view"
        )
    st.subheader("Services (one identity for text and audio)")
    show_table(load("services_frame"), "ov_services")


if __name__ == "__main__":  # run by st.navigation as a page script
    render()
