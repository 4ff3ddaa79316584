"""Streamlit glue: the study, its read-only store, cached data, filters and banners.

Pages call :func:`load` with the name of a function in :mod:`earwitness.dashboard._data`;
the result is cached keyed on the study's state token (:func:`_data.study_state`) and the
filters, so a page re-renders from memory until the study changes.
"""

from __future__ import annotations

import os
import re
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd
import plotly.graph_objects as go
import streamlit as st
from sqlalchemy.engine import make_url

from earwitness.dashboard import _data
from earwitness.dashboard._facts import Facts
from earwitness.dashboard._figures import register_services
from earwitness.dashboard._filters import Filters
from earwitness.store import Store
from earwitness.study import Study, find_study

__all__ = [
    "banner",
    "facts",
    "filters",
    "load",
    "md",
    "show_figure",
    "show_table",
    "sidebar_filters",
    "stance_provenance_note",
    "store",
    "study",
]

_AREA_WORDS = {
    "text": "posts and interviews",
    "survey": "survey answers",
    "audio": "audio (synthetic masters)",
    "services": "service names (fictional)",
    "listening": "listening-test ratings (simulated listeners)",
}


def md(text: Any) -> str:
    """Text from the study, escaped for Streamlit markdown (no links, images or emphasis)."""
    return re.sub(r"([\\`*_{}\[\]()#+\-.!|<>~$:])", r"\\\1", str(text))


def study() -> Study:
    return find_study(os.environ.get("EARWITNESS_STUDY"))


@st.cache_resource(show_spinner=False)
def _store(url: str) -> Store:
    return Store.open(url, read_only=True, untouched=True)


def store() -> Store:
    return _store(study().db_url)


def _db_path() -> Path | None:
    url = make_url(study().db_url)
    return Path(url.database) if url.get_backend_name() == "sqlite" and url.database else None


@st.cache_data(ttl=2, show_spinner=False)
def _state(url: str) -> str:
    return _data.study_state(_store(url), _db_path())


@st.cache_resource(show_spinner=False, max_entries=1)
def _facts(url: str, state: str) -> Facts:
    """The study's filterable rows, read once per state (the newest only)."""
    return Facts.read(_store(url))


@st.cache_data(show_spinner=False, max_entries=512)
def _cached(name: str, url: str, state: str, key: str, _args: tuple[Any, ...]) -> Any:
    function = getattr(_data, name)
    if name in _data.FROM_FACTS:
        return function(_store(url), *_args, facts=_facts(url, state))
    return function(_store(url), *_args)


def facts() -> Facts:
    """The study's filterable rows (:class:`Facts`), read once per study state."""
    url = study().db_url
    return _facts(url, _state(url))


def load(name: str, *args: Any) -> Any:
    """``_data.<name>(store, *args)``, cached until the study changes."""
    url = study().db_url
    return _cached(name, url, _state(url), repr(args), args)


def filters() -> Filters:
    found = st.session_state.get("_filters")
    return found if isinstance(found, Filters) else Filters()


def sidebar_filters() -> Filters:
    """The sidebar's filters (source, date range, user group, service, song)."""
    options = load("filter_options")
    register_services(options["services"])  # one colour per service, whatever the filters
    bar = st.sidebar
    bar.header("Filters")
    platforms = bar.multiselect("Source", options["platforms"], key="f_platforms")
    start: date | None = None
    end: date | None = None
    if options["first"] is not None:
        picked = bar.date_input(
            "Date range",
            value=(options["first"], options["last"]),
            min_value=options["first"],
            max_value=options["last"],
            key="f_dates",
        )
        if isinstance(picked, tuple | list) and len(picked) == 2:
            start, end = picked[0], picked[1]
            if (start, end) == (options["first"], options["last"]):
                start = end = None  # the whole range: keep undated documents too
    groups = bar.multiselect("User group", options["groups"], key="f_groups")
    services = bar.multiselect("Service", options["services"], key="f_services")
    songs = bar.multiselect("Song", options["songs"], key="f_songs")
    chosen = Filters(
        platforms=tuple(platforms),
        start=start,
        end=end,
        groups=tuple(groups),
        services=tuple(services),
        songs=tuple(songs),
    )
    st.session_state["_filters"] = chosen
    return chosen


def banner(*areas: str) -> None:
    """A warning on every page that shows simulated, synthetic or fictional data."""
    flags = load("simulated_areas", study().name)
    shown = [_AREA_WORDS[a] for a in areas if flags.get(a)]
    if shown:
        st.warning(
            "SIMULATED DATA: this page shows simulated or fictional "
            + ", ".join(shown)
            + ". The figures show what earwitness does, not what musicians think or what any "
            "real service does.",
            icon="⚠️",
        )


def stance_provenance_note(key: str) -> None:
    """Say where the stance figures come from; warn where they are unvalidated machine output."""
    frame = load("stance_provenance")
    if frame.empty:
        return
    unvalidated = frame[frame["provenance"] == "machine unvalidated"]["service"].tolist()
    if unvalidated:
        st.warning(
            "Machine stance, not validated against people, for: "
            + ", ".join(md(name) for name in unvalidated)
            + ". Either too few of that service's own units are labelled by people, or the "
            "machine's agreement with them is too low (the table below gives kappa and its "
            "interval). Label a sample (`earwitness code stance sample`) before reading these "
            "as findings; see docs/code-assist.md for the rule and the measured accuracy.",
            icon="⚠️",
        )
    with st.expander("Where the stance figures come from"):
        show_table(frame, key)


def show_table(frame: pd.DataFrame, key: str, **kwargs: Any) -> None:
    """A table, its text shown as cell values (never interpreted as markdown or HTML); rows
    of cells with fewer than MIN_N units (``small_n``) greyed out."""
    if "small_n" in frame.columns and len(frame) and frame["small_n"].astype(bool).any():
        frame = frame.reset_index(drop=True)
        small = frame["small_n"].astype(bool).to_numpy()
        styled = frame.style.apply(
            lambda row: ["color: #9a9a9a" if small[row.name] else "" for _ in row], axis=1
        )
        st.dataframe(styled, hide_index=True, key=key, **kwargs)
        return
    st.dataframe(frame, hide_index=True, key=key, **kwargs)


def show_figure(figure: go.Figure, key: str, **kwargs: Any) -> Any:
    return st.plotly_chart(figure, key=key, **kwargs)
