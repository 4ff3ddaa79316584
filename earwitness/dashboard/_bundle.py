"""Serialising the dashboard's tables and figures for download (offline, no study writes)."""

from __future__ import annotations

import io

import pandas as pd
import plotly.graph_objects as go

from earwitness.dashboard import _figures as fig
from earwitness.store.exports import neutralise_formulas

__all__ = ["figures", "to_csv", "to_html", "to_parquet"]


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


def figures(tables: dict[str, pd.DataFrame]) -> dict[str, go.Figure]:
    """The pages' main figures rebuilt from the export tables."""
    out = {
        "codes_by_group": fig.heatmap(tables["codes_by_group_participants"]),
        "stance": fig.stance(tables["stance_by_service_group"]),
        "stance_trend": fig.stance_trend(tables["stance_trend"]),
        "tonal_balance": fig.tonal_balance(tables["tonal_balance"]),
        "eq_curves": fig.eq_curves(tables["eq_curves"]),
        "stereo_width": fig.stereo_width(tables["stereo_width_bands"]),
        "listening_means": fig.listening_means(tables["listening_summary"]),
        "preference": fig.preference(tables["preference_rates"]),
        "sentiment_quality": fig.quality_scatter(
            tables["sentiment_quality"], "quality", "blind preference over the human master"
        ),
    }
    metrics = tables["master_metrics"]
    for name in ("integrated_lufs", "plr_db"):
        out[f"masters_{name}"] = fig.master_metric(metrics, name, name)
    return out
