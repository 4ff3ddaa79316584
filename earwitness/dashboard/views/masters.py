"""Masters: loudness and dynamics per song, tonal balance, EQ curves, stereo width, audits."""

from __future__ import annotations

import streamlit as st

from earwitness.dashboard import _data
from earwitness.dashboard import _figures as fig
from earwitness.dashboard._context import banner, filters, load, show_figure, show_table


def render() -> None:
    st.title("Masters")
    banner("audio", "services")
    f = filters()
    metrics = load("master_metrics", f)
    names = list(_data.MASTER_METRICS)
    metric = st.selectbox(
        "Metric", names, format_func=_data.MASTER_METRICS.__getitem__, key="m_metric"
    )
    show_figure(fig.master_metric(metrics, metric, _data.MASTER_METRICS[metric]), "m_metric_fig")
    show_table(metrics, "m_metrics")
    show_figure(fig.tonal_balance(load("tonal_balance", f)), "m_balance")
    show_figure(fig.eq_curves(load("eq_curves", f)), "m_eq")
    show_figure(fig.stereo_width(load("stereo_width_bands", f)), "m_width")
    st.subheader("Consistency and preset audit (from stored EQ curves)")
    show_table(load("preset_audit", f), "m_audit")
    st.subheader("Per service, median over songs, against the human master")
    show_table(load("service_audio_summary", f), "m_summary")


if __name__ == "__main__":  # run by st.navigation as a page script
    render()
