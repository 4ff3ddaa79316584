"""Serialising the dashboard's tables and figures for download (offline, no study writes)."""

from __future__ import annotations

import html
import io
from collections.abc import Callable, Mapping

import pandas as pd
import plotly.graph_objects as go

from earwitness.dashboard import _figures as fig
from earwitness.store.exports import neutralise_formulas

__all__ = [
    "FIGURE_TABLES",
    "TABLE_AREAS",
    "Labels",
    "figure_builders",
    "figures",
    "labelled",
    "to_csv",
    "to_html",
    "to_parquet",
]

# Which kinds of data each exported table is made of (the simulated flags that apply to it).
_TEXT, _SURVEY, _AUDIO, _SERVICES, _LISTENING = "text", "survey", "audio", "services", "listening"
TABLE_AREAS: dict[str, tuple[str, ...]] = {
    "services": (_SERVICES,),
    "codes_by_group_participants": (_TEXT,),
    "codes_by_group_segments": (_TEXT,),
    "cooccurrence": (_TEXT,),
    "stance_by_service_group": (_TEXT, _SERVICES),
    "stance_trend": (_TEXT, _SERVICES),
    "survey_proportions": (_SURVEY,),
    "survey_results": (_SURVEY,),
    "master_metrics": (_AUDIO, _SERVICES),
    "tonal_balance": (_AUDIO, _SERVICES),
    "eq_curves": (_AUDIO, _SERVICES),
    "stereo_width_bands": (_AUDIO, _SERVICES),
    "preset_audit": (_AUDIO, _SERVICES),
    "service_audio_summary": (_AUDIO, _SERVICES),
    "listening_ratings": (_LISTENING, _SERVICES),
    "listening_summary": (_LISTENING, _SERVICES),
    "preference_rates": (_LISTENING, _SERVICES),
    "sentiment_quality": (_TEXT, _AUDIO, _SERVICES, _LISTENING),
    "rank_correlations": (_TEXT, _AUDIO, _SERVICES, _LISTENING),
    "vanka_table1": (_TEXT, _SERVICES),
    "vanka_table2": (_TEXT,),
}
_AREA_WORDS = {
    _TEXT: "posts and interviews",
    _SURVEY: "survey answers",
    _AUDIO: "synthetic audio",
    _SERVICES: "fictional services",
    _LISTENING: "simulated listeners",
}
FIGURE_TABLES = {
    "codes_by_group": "codes_by_group_participants",
    "stance": "stance_by_service_group",
    "stance_trend": "stance_trend",
    "tonal_balance": "tonal_balance",
    "eq_curves": "eq_curves",
    "stereo_width": "stereo_width_bands",
    "listening_means": "listening_summary",
    "preference": "preference_rates",
    "sentiment_quality": "sentiment_quality",
    "masters_integrated_lufs": "master_metrics",
    "masters_plr_db": "master_metrics",
}


class Labels:
    """What every export says about its data: which of it is simulated (the study's flags,
    ``_data.simulated_areas``) and where the stance figures come from, per service
    (``_data.stance_provenance``: the rule of ``earwitness.code.assist.provenance``)."""

    def __init__(self, simulated: dict[str, bool], provenance: pd.DataFrame) -> None:
        self.simulated = simulated
        self.provenance: dict[str, str] = (
            dict(zip(provenance["service"], provenance["provenance"], strict=True))
            if len(provenance)
            else {}
        )

    def data_label(self, table: str) -> str:
        areas = [a for a in TABLE_AREAS.get(table, tuple(_AREA_WORDS)) if self.simulated.get(a)]
        if not areas:
            return "as collected (nothing marked simulated)"
        return "SIMULATED: " + ", ".join(_AREA_WORDS[a] for a in areas)

    def stance_summary(self) -> str:
        if not self.provenance:
            return "no stance"
        return "; ".join(f"{service}: {how}" for service, how in sorted(self.provenance.items()))

    def stance_of(self, service: object) -> str:
        if service is None or service != service:  # None or NaN: not a service's row
            return self.stance_summary()
        return self.provenance.get(str(service), "no stance for this service")

    def caption(self, table: str) -> str:
        return f"{self.data_label(table)} · stance provenance: {self.stance_summary()}"


def labelled(frame: pd.DataFrame, table: str, labels: Labels) -> pd.DataFrame:
    """``frame`` with two columns every export carries: ``data_label`` (SIMULATED and of
    what, or as collected) and ``stance_provenance`` (human / machine validated / machine
    unvalidated, per the row's service, else for every service)."""
    out = frame.copy()
    out["data_label"] = labels.data_label(table)
    if "service" in out.columns:
        out["stance_provenance"] = [labels.stance_of(x) for x in out["service"]]
    else:
        out["stance_provenance"] = labels.stance_summary()
    return out


def to_csv(frame: pd.DataFrame) -> bytes:
    return neutralise_formulas(frame).to_csv(index=False).encode("utf-8")


def to_parquet(frame: pd.DataFrame) -> bytes:
    buffer = io.BytesIO()
    clean = frame.copy()
    for column in clean.columns:  # mixed object columns (e.g. None and text) as text
        if clean[column].dtype == object:
            clean[column] = clean[column].map(lambda v: None if v is None else str(v))
    clean.to_parquet(buffer, index=False)
    return buffer.getvalue()


def to_html(figure: go.Figure, caption: str = "") -> bytes:
    """A standalone HTML page with plotly.js inside: it opens with no network. ``caption``
    (its data label and stance provenance) goes under the title, in the figure itself, so
    that a saved image carries it too."""
    if caption:
        figure = go.Figure(figure)
        title = figure.layout.title.text or ""
        figure.update_layout(
            title=f"{title}<br><sup>{html.escape(caption)}</sup>",
            margin={"t": 90},
        )
    return figure.to_html(include_plotlyjs=True, full_html=True).encode("utf-8")


def figure_builders(tables: Mapping[str, pd.DataFrame]) -> dict[str, Callable[[], go.Figure]]:
    """How to rebuild each page's main figure from the export tables (each table read
    when its figure is built)."""
    return {
        "codes_by_group": lambda: fig.heatmap(tables["codes_by_group_participants"]),
        "stance": lambda: fig.stance(tables["stance_by_service_group"]),
        "stance_trend": lambda: fig.stance_trend(tables["stance_trend"]),
        "tonal_balance": lambda: fig.tonal_balance(tables["tonal_balance"]),
        "eq_curves": lambda: fig.eq_curves(tables["eq_curves"]),
        "stereo_width": lambda: fig.stereo_width(tables["stereo_width_bands"]),
        "listening_means": lambda: fig.listening_means(tables["listening_summary"]),
        "preference": lambda: fig.preference(tables["preference_rates"]),
        "sentiment_quality": lambda: fig.quality_scatter(
            tables["sentiment_quality"], "quality", "blind preference over human"
        ),
        "masters_integrated_lufs": lambda: fig.master_metric(
            tables["master_metrics"], "integrated_lufs", "I"
        ),
        "masters_plr_db": lambda: fig.master_metric(tables["master_metrics"], "plr_db", "PLR"),
    }


def figures(tables: Mapping[str, pd.DataFrame]) -> dict[str, go.Figure]:
    """Every export figure, built now."""
    return {name: build() for name, build in figure_builders(tables).items()}
