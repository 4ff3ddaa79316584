"""Serialising the dashboard's tables and figures for download (offline, no study writes)."""

from __future__ import annotations

import io
from collections.abc import Callable
from functools import partial

import pandas as pd
import plotly.graph_objects as go

from earwitness.dashboard import _figures as fig
from earwitness.store.exports import neutralise_formulas

__all__ = ["figure_builders", "figures", "to_csv", "to_html", "to_parquet"]


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


def to_html(figure: go.Figure) -> bytes:
    """A standalone HTML page with plotly.js inside: it opens with no network."""
    return figure.to_html(include_plotlyjs=True, full_html=True).encode("utf-8")


def figure_builders(tables: dict[str, pd.DataFrame]) -> dict[str, Callable[[], go.Figure]]:
    """How to rebuild each page's main figure from the export tables (built on demand)."""
    metrics = tables["master_metrics"]
    return {
        "codes_by_group": partial(fig.heatmap, tables["codes_by_group_participants"]),
        "stance": partial(fig.stance, tables["stance_by_service_group"]),
        "stance_trend": partial(fig.stance_trend, tables["stance_trend"]),
        "tonal_balance": partial(fig.tonal_balance, tables["tonal_balance"]),
        "eq_curves": partial(fig.eq_curves, tables["eq_curves"]),
        "stereo_width": partial(fig.stereo_width, tables["stereo_width_bands"]),
        "listening_means": partial(fig.listening_means, tables["listening_summary"]),
        "preference": partial(fig.preference, tables["preference_rates"]),
        "sentiment_quality": partial(
            fig.quality_scatter, tables["sentiment_quality"], "quality",
            "blind preference over human",
        ),
        "masters_integrated_lufs": partial(fig.master_metric, metrics, "integrated_lufs", "I"),
        "masters_plr_db": partial(fig.master_metric, metrics, "plr_db", "PLR"),
    }  # fmt: skip


def figures(tables: dict[str, pd.DataFrame]) -> dict[str, go.Figure]:
    """Every export figure, built now."""
    return {name: build() for name, build in figure_builders(tables).items()}
