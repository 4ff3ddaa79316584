"""The earwitness dashboard: ``earwitness dashboard`` runs ``streamlit run`` on this file.

A router only: the sidebar's filters, then the page chosen in the navigation. Every page is
a thin layout in ``views/``; its data and figures come from tested functions.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from earwitness.dashboard._context import sidebar_filters

VIEWS = Path(__file__).with_name("views")
st.set_page_config(page_title="earwitness", layout="wide")
PAGES = [
    st.Page(VIEWS / "overview.py", title="Overview", url_path="overview", default=True),
    st.Page(VIEWS / "voices.py", title="Voices", url_path="voices"),
    st.Page(VIEWS / "stance.py", title="Stance", url_path="stance"),
    st.Page(VIEWS / "survey.py", title="Survey", url_path="survey"),
    st.Page(VIEWS / "masters.py", title="Masters", url_path="masters"),
    st.Page(VIEWS / "listening.py", title="Listening", url_path="listening"),
    st.Page(
        VIEWS / "sentiment_quality.py", title="Sentiment × quality", url_path="sentiment-quality"
    ),
    st.Page(VIEWS / "export.py", title="Export", url_path="export"),
]
page = st.navigation(PAGES)
sidebar_filters()
page.run()
