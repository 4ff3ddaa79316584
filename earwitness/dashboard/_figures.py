"""Plotly figures of the dashboard's tables. Every label from the study is HTML-escaped
(Plotly renders a subset of HTML in labels and hover text)."""

from __future__ import annotations

import hashlib
import html
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from earwitness.dashboard._stats import MIN_N

__all__ = [
    "colour",
    "effect_sizes",
    "empty",
    "eq_curves",
    "heatmap",
    "likert",
    "listening_box",
    "listening_means",
    "master_metric",
    "preference",
    "proportions",
    "quality_scatter",
    "register_services",
    "stance",
    "stance_trend",
    "stated_vs_blind",
    "stereo_width",
    "tonal_balance",
]

_LAYOUT: dict[str, Any] = {
    "template": "plotly_white",
    "margin": {"l": 10, "r": 10, "t": 50, "b": 10},
}


# One colour per user group and per service, the same in every chart and under any filter
# (Okabe & Ito 2008 colour-blind-safe hues for the groups; services from another palette).
GROUP_COLOURS = {
    "amateur": "#E69F00",
    "pro-am": "#56B4E9",
    "professional": "#009E73",
    "unknown": "#999999",
}
VERSION_COLOURS = {"human": "#222222", "mix": "#AAAAAA", "reference": "#222222",
                   "hidden reference": "#222222", "anchor 3.5 kHz": "#B0B0B0",
                   "anchor 7 kHz": "#777777"}  # fmt: skip
SERVICE_PALETTE = ("#636EFA", "#EF553B", "#AB63FA", "#D62728", "#19D3F3", "#FF6692",
                   "#8C564B", "#B6E880", "#FF97FF", "#1F77B4", "#FECB52", "#7F7F7F")  # fmt: skip
_SERVICES: dict[str, str] = {}
SMALL_N_COLOUR = "rgba(150,150,150,0.45)"


def register_services(names: list[str]) -> None:
    """Fix each of the study's services to a palette colour, in the study's order (every
    service, not the filtered ones, so a filter never moves a colour)."""
    for number, name in enumerate(names):
        _SERVICES.setdefault(str(name), SERVICE_PALETTE[number % len(SERVICE_PALETTE)])


def colour(name: Any) -> str:
    """The colour of a user group, a service or a version kind, wherever it is drawn."""
    key = str(name)
    if key in GROUP_COLOURS:
        return GROUP_COLOURS[key]
    if key in VERSION_COLOURS:
        return VERSION_COLOURS[key]
    if key not in _SERVICES:  # a name the study did not list: a stable pick by its hash
        digest = int(hashlib.blake2b(key.encode(), digest_size=2).hexdigest(), 16)
        return SERVICE_PALETTE[digest % len(SERVICE_PALETTE)]
    return _SERVICES[key]


def _e(value: Any) -> str:
    return html.escape("" if value is None else str(value))


def _figure(title: str, **layout: Any) -> go.Figure:
    figure = go.Figure()
    figure.update_layout(title=_e(title), **{**_LAYOUT, **layout})
    return figure


def empty(title: str, message: str) -> go.Figure:
    figure = _figure(title)
    figure.add_annotation(
        text=_e(message), showarrow=False, x=0.5, y=0.5, xref="paper", yref="paper"
    )
    figure.update_xaxes(visible=False)
    figure.update_yaxes(visible=False)
    return figure


def _greyed(frame: pd.DataFrame, normal: str) -> list[str] | str:
    """Each point's colour: ``normal``, or grey where the cell has fewer than MIN_N units."""
    if "small_n" not in frame:
        return normal
    return [SMALL_N_COLOUR if small else normal for small in frame["small_n"].astype(bool)]


def _err(frame: pd.DataFrame, value: str, low: str, high: str) -> dict[str, Any]:
    v = frame[value].astype(float)
    return {
        "type": "data",
        "symmetric": False,
        "array": (frame[high].astype(float) - v).clip(lower=0).fillna(0).tolist(),
        "arrayminus": (v - frame[low].astype(float)).clip(lower=0).fillna(0).tolist(),
    }


# --- voices ------------------------------------------------------------------------------


def heatmap(matrix: pd.DataFrame, value: str = "share", unit: str = "participant") -> go.Figure:
    """Code × user group; columns labelled with their N; a cell's customdata is its code id."""
    title = f"Codes by user group ({unit}s coded; share of the group's N)"
    if matrix.empty:
        return empty(title, "No coded passages match the filters.")
    totals = matrix.groupby("user_group")["n"].first()
    groups = list(dict.fromkeys(matrix["user_group"]))
    columns = [f"{_e(g)} (N={int(totals[g])})" for g in groups]
    codes = list(dict.fromkeys(matrix["code"]))
    grid = matrix.pivot_table(index="code", columns="user_group", values=value, aggfunc="first")
    grid = grid.reindex(index=codes, columns=groups)
    counts = matrix.pivot_table(index="code", columns="user_group", values="count", aggfunc="first")
    counts = counts.reindex(index=codes, columns=groups).fillna(0).astype(int)
    ids = matrix.drop_duplicates("code").set_index("code")["code_id"].reindex(codes)
    custom = np.array([[[int(ids[c]), g] for g in groups] for c in codes], dtype=object)
    figure = _figure(title, height=max(350, 22 * len(codes) + 120))
    figure.add_heatmap(
        z=grid.to_numpy(dtype=float),
        x=columns,
        y=[_e(c) for c in codes],
        text=counts.to_numpy(),
        texttemplate="%{text}",
        customdata=custom,
        colorscale="Blues",
        zmin=0,
        zmax=1 if value == "share" else None,
        hoverinfo="skip",
        colorbar={"title": "share" if value == "share" else "count"},
    )
    # Streamlit selects points, not heatmap cells: an invisible marker on every cell makes a
    # click select the cell (its customdata names the code and the group).
    cells_x = [column for _ in codes for column in columns]
    cells_y = [_e(c) for c in codes for _ in columns]
    values = grid.to_numpy(dtype=float).ravel()
    numbers = counts.to_numpy().ravel()
    figure.add_scatter(
        x=cells_x, y=cells_y, mode="markers", showlegend=False,
        marker={"size": 18, "symbol": "square", "color": "rgba(0,0,0,0)"},
        customdata=custom.reshape(-1, 2),
        text=[f"{v:.2f} ({n})" if v == v else f"0 ({n})"
              for v, n in zip(values, numbers, strict=True)],
        hovertemplate="%{y}<br>%{x}<br>%{text}<br>click for the quotes<extra></extra>",
    )  # fmt: skip
    figure.update_yaxes(autorange="reversed")
    return figure


# --- stance ------------------------------------------------------------------------------


def stance(frame: pd.DataFrame) -> go.Figure:
    title = (
        "Net stance toward each service by user group (participant as unit, 95 % CI; "
        f"grey: fewer than {MIN_N} participants)"
    )
    if frame.empty:
        return empty(
            title, "No stance toward any service yet: run `earwitness code stance detect`."
        )
    figure = _figure(
        title, height=max(350, 60 * frame["service"].nunique() + 150), scattermode="group",
        scattergap=0.4,
    )  # fmt: skip
    for group, cell in frame.groupby("user_group", sort=False):
        figure.add_scatter(
            x=cell["net_stance"],
            y=[_e(x) for x in cell["service"]],
            error_x=_err(cell, "net_stance", "net_ci_low", "net_ci_high"),
            mode="markers",
            orientation="h",
            name=_e(group),
            marker={"color": _greyed(cell, colour(group)), "size": 10},
            error_x_color=colour(group),
            text=[f"N={n}" for n in cell["participants"]],
            hovertemplate="%{y}: %{x:.2f} (%{text})<extra>%{fullData.name}</extra>",
        )
    figure.add_vline(x=0, line_dash="dot", line_color="grey")
    figure.update_xaxes(range=[-1.05, 1.05], title="net stance: (positive − negative) / mentions")
    return figure


def stance_trend(frame: pd.DataFrame) -> go.Figure:
    title = f"Net stance over time (mentions as unit, 95 % CI; grey: fewer than {MIN_N})"
    if frame.empty:
        return empty(title, "No dated stance mentions match the filters.")
    figure = _figure(title)
    for service, cell in frame.groupby("service"):
        figure.add_scatter(
            x=cell["month"], y=cell["net_stance"], mode="lines+markers", name=_e(service),
            line_color=colour(service), marker_color=_greyed(cell, colour(service)),
            error_y=_err(cell, "net_stance", "net_ci_low", "net_ci_high")
            if "net_ci_low" in cell else None,
            text=[f"n={n}" for n in cell["mentions"]],
            hovertemplate="%{x}: %{y:.2f} (%{text})<extra>%{fullData.name}</extra>",
        )  # fmt: skip
    figure.update_yaxes(range=[-1.05, 1.05], title="net stance")
    return figure


# --- survey ------------------------------------------------------------------------------

_DIVERGING = ["#b2182b", "#ef8a62", "#fddbc7", "#d9d9d9", "#d1e5f0", "#67a9cf", "#2166ac"]


def likert(report: Any, item: dict[str, Any]) -> go.Figure:
    """Diverging stacked bars of one Likert item, one bar per group, in percent."""
    rows = [r for r in report.distributions if r["item"] == item["code"] and "percent" in r]
    frame = pd.DataFrame(rows)
    title = f"{item['code']}: {item['text']}"
    if frame.empty:
        return empty(title, "No answers.")
    options: list[str] = item["options"]
    neutral = item["neutral"]
    k = len(options)
    colours = [_DIVERGING[round(i * (len(_DIVERGING) - 1) / max(k - 1, 1))] for i in range(k)]
    groups = [g for g in report.groups if (frame["group"] == g).any()]
    labels = [f"{_e(g)} (n={report.groups[g]})" for g in groups]
    middle = neutral if neutral is not None else k / 2 - 0.5
    figure = _figure(title, barmode="relative", height=120 + 45 * len(groups))
    for i, option in enumerate(options):
        found = frame[frame["answer"] == option].set_index("group")["percent"]
        values = [float(found.get(g, 0.0) or 0.0) for g in groups]
        if i == middle:
            for sign, show in ((-1, True), (1, False)):
                figure.add_bar(y=labels, x=[sign * v / 2 for v in values], orientation="h",
                               name=_e(option), marker_color=colours[i], showlegend=show,
                               legendgroup=str(i))  # fmt: skip
            continue
        sign = -1 if i < middle else 1
        figure.add_bar(y=labels, x=[sign * v for v in values], orientation="h",
                       name=_e(option), marker_color=colours[i])  # fmt: skip
    figure.update_xaxes(title="% of the group (disagree left, agree right)")
    return figure


def proportions(frame: pd.DataFrame, item: str) -> go.Figure:
    rows = frame[frame["item"] == item]
    title = f"{item}: share per group (Wilson 95 % CI)"
    if rows.empty:
        return empty(title, "No answers.")
    figure = _figure(title, barmode="group")
    for group, cell in rows.groupby("group", sort=False):
        figure.add_bar(x=[_e(a) for a in cell["answer"]], y=cell["share"], name=_e(group),
                       marker_color=colour(group),
                       error_y=_err(cell, "share", "ci_low", "ci_high"))  # fmt: skip
    figure.update_yaxes(range=[0, 1], title="share")
    return figure


def effect_sizes(results: pd.DataFrame) -> go.Figure:
    title = "Group differences: effect sizes"
    rows = results[results["effect_size"].notna()] if len(results) else results
    if rows.empty:
        return empty(title, "No group comparison (two groups with answers are needed).")
    figure = _figure(title, height=max(300, 24 * len(rows) + 120))
    for name, cell in rows.groupby("effect_name", sort=False):
        labels = [
            f"{_e(i)} · {_e(c)}" for i, c in zip(cell["item"], cell["comparison"], strict=True)
        ]
        figure.add_scatter(
            x=cell["effect_size"], y=labels, mode="markers", name=_e(name),
            hovertemplate="%{y}: %{x:.2f}<extra>%{fullData.name}</extra>",
        )  # fmt: skip
    figure.add_vline(x=0, line_dash="dot", line_color="grey")
    return figure


# --- masters -----------------------------------------------------------------------------


def master_metric(frame: pd.DataFrame, metric: str, label: str) -> go.Figure:
    title = f"{label} per song and version"
    if frame.empty or frame[metric].isna().all():
        return empty(title, "No measured masters: run `earwitness audio measure`.")
    figure = _figure(title)
    version = frame["service"].where(frame["kind"] == "ai", frame["kind"])
    for name, cell in frame.assign(version=version).groupby("version", sort=False):
        figure.add_scatter(x=[_e(s) for s in cell["song"]], y=cell[metric], mode="markers",
                           name=_e(name), marker={"size": 10, "color": colour(name)},
                           text=[_e(x) for x in cell["label"]],
                           hovertemplate="%{x} %{text}: %{y:.2f}<extra></extra>")  # fmt: skip
    figure.update_yaxes(title=_e(label))
    return figure


def tonal_balance(frame: pd.DataFrame) -> go.Figure:
    title = "Tonal balance, AI − human (1/3 octave, loudness-matched): median and IQR over songs"
    if frame.empty:
        return empty(title, "Needs a human and an AI master of the same song, measured.")
    figure = _figure(title)
    for service, cell in frame.groupby("service"):
        cell = cell.sort_values("band_hz")
        x = cell["band_hz"].tolist()
        figure.add_scatter(x=x + x[::-1], y=cell["q3_db"].tolist() + cell["q1_db"].tolist()[::-1],
                           fill="toself", opacity=0.2, line={"width": 0}, showlegend=False,
                           fillcolor=colour(service),
                           name=_e(service), hoverinfo="skip")  # fmt: skip
        figure.add_scatter(
            x=x, y=cell["median_db"], mode="lines", name=_e(service), line_color=colour(service)
        )
    figure.add_hline(y=0, line_dash="dot", line_color="grey")
    figure.update_xaxes(type="log", title="Hz")
    figure.update_yaxes(title="dB (AI − human)")
    return figure


MAX_CURVES = 24


def eq_curves(frame: pd.DataFrame) -> go.Figure:
    """Each master's EQ curve against the mix; with many songs, the median per service."""
    title = "EQ curves against the mix (`earwitness audio compare`)"
    if frame.empty:
        return empty(title, "No comparisons: run `earwitness audio compare --song SONG`.")
    figure = _figure(title)
    if frame.groupby(["song", "label"]).ngroups <= MAX_CURVES:
        for (song, label), cell in frame.groupby(["song", "label"]):
            figure.add_scatter(x=cell["hz"], y=cell["gain_db"], mode="lines",
                               name=f"{_e(song)} / {_e(label)}")  # fmt: skip
    else:
        figure.update_layout(title=_e(title + ": median over songs (filter songs for each)"))
        median = frame.groupby(["service", "hz"])["gain_db"].median().reset_index()
        for service, rows in median.groupby("service"):
            figure.add_scatter(
                x=rows["hz"],
                y=rows["gain_db"],
                mode="lines",
                name=_e(service),
                line_color=colour(service),
            )
    figure.update_xaxes(type="log", title="Hz")
    figure.update_yaxes(title="gain (dB)")
    return figure


def stereo_width(frame: pd.DataFrame) -> go.Figure:
    title = "Stereo width per band (side/mid, median over songs)"
    if frame.empty:
        return empty(title, "No stereo masters measured.")
    figure = _figure(title)
    for version, cell in frame.groupby("version"):
        cell = cell.sort_values("band_hz")
        figure.add_scatter(
            x=cell["band_hz"],
            y=cell["width_db"],
            mode="lines",
            name=_e(version),
            line_color=colour(version),
        )
    figure.update_xaxes(type="log", title="Hz")
    figure.update_yaxes(title="side − mid (dB)")
    return figure


# --- listening ---------------------------------------------------------------------------


def listening_box(ratings: pd.DataFrame, conditions: pd.Series) -> go.Figure:
    title = "Scores per condition by listener group"
    if ratings.empty or ratings["score"].isna().all():
        return empty(title, "No scored ratings.")
    figure = _figure(title, boxmode="group")
    for group, cell in ratings.assign(condition=conditions).groupby("user_group", sort=False):
        figure.add_box(
            x=[_e(c) for c in cell["condition"]],
            y=cell["score"],
            name=_e(group),
            marker_color=colour(group),
        )
    figure.update_yaxes(title="score")
    return figure


def listening_means(summary: pd.DataFrame) -> go.Figure:
    title = "Mean score, 95 % CI (Wilson up to 10 ratings, bootstrap above)"
    if summary.empty:
        return empty(title, "No scored ratings.")
    figure = _figure(title)
    for group, cell in summary.groupby("user_group", sort=False):
        figure.add_scatter(
            x=[_e(c) for c in cell["condition"]], y=cell["mean"], mode="markers",
            name=_e(group), error_y=_err(cell, "mean", "ci_low", "ci_high"),
            marker_color=colour(group),
        )  # fmt: skip
    return figure


def preference(frame: pd.DataFrame) -> go.Figure:
    title = "Blind preference of AI over human masters (ties left out, Wilson 95 % CI)"
    if frame.empty:
        return empty(title, "No blind comparisons of an AI master with the human master.")
    figure = _figure(title, barmode="group")
    for group, cell in frame.groupby("user_group", sort=False):
        figure.add_bar(x=[_e(s) for s in cell["service"]], y=cell["rate"], name=_e(group),
                       marker_color=colour(group),
                       error_y=_err(cell, "rate", "ci_low", "ci_high"),
                       text=_preference_counts(cell), textposition="none",
                       hovertemplate="%{x}: %{y:.2f} (AI preferred in %{text})")  # fmt: skip
    figure.add_hline(y=0.5, line_dash="dot", line_color="grey")
    figure.update_yaxes(range=[0, 1], title="preference rate")
    return figure


def _preference_counts(cell: pd.DataFrame) -> list[str]:
    return [
        f"{a} of {d}, {t} tied"
        for a, d, t in zip(cell["ai_preferred"], cell["decided"], cell["ties"], strict=True)
    ]


# --- sentiment × quality ----------------------------------------------------------------


_SYMBOLS = ["circle", "square", "diamond", "triangle-up", "x", "star"]


def quality_scatter(
    frame: pd.DataFrame,
    y: str,
    y_label: str,
    ci: bool = True,
    missing: str = "Needs stance and this measure for at least one service.",
) -> go.Figure:
    """One point per (service, user group): net stance (x, CI) against ``y``.

    Colour is the service, the marker's shape the user group."""
    title = f"Stance vs {y_label}"
    rows = frame[frame["net_stance"].notna() & frame[y].notna()] if len(frame) else frame
    if rows.empty:
        return empty(title, missing)
    figure = _figure(title, height=480, legend={"orientation": "h", "y": -0.25})
    groups = list(dict.fromkeys(rows["user_group"]))
    for service, cell in rows.groupby("service"):
        figure.add_scatter(
            x=cell["net_stance"],
            y=cell[y],
            mode="markers",
            name=_e(service),
            marker={
                "size": 12,
                "color": colour(service),
                "symbol": [_SYMBOLS[groups.index(g) % 6] for g in cell["user_group"]],
            },
            error_x=_err(cell, "net_stance", "net_ci_low", "net_ci_high"),
            error_y=_err(cell, y, "quality_ci_low", "quality_ci_high") if ci else None,
            customdata=np.stack([cell["service"].map(_e), cell["user_group"].map(_e)], axis=1),
            hovertemplate="%{customdata[0]} / %{customdata[1]}<br>stance %{x:.2f}, "
            + "%{y:.2f}<extra></extra>",
        )
    for number, group in enumerate(groups):  # a legend entry per shape
        figure.add_scatter(
            x=[None], y=[None], mode="markers", name=_e(group),
            marker={"size": 10, "color": "grey", "symbol": _SYMBOLS[number % 6]},
        )  # fmt: skip
    figure.update_xaxes(title="net stance (participant as unit)", range=[-1.05, 1.05])
    figure.update_yaxes(title=_e(y_label))
    return figure


def stated_vs_blind(frame: pd.DataFrame, item: str) -> go.Figure:
    title = f"Stated ({item}) versus blind preference for AI masters"
    if frame.empty:
        return empty(title, "No participant both answered the survey and took a listening test.")
    figure = _figure(title)
    for group, cell in frame.groupby("user_group", sort=False):
        figure.add_scatter(x=cell["stated"], y=cell["blind_preference"], mode="markers",
                           name=_e(group), marker_color=colour(group),
                           text=[_e(p) for p in cell["participant"]],
                           hovertemplate="%{text}: %{x} / %{y:.2f}<extra></extra>")  # fmt: skip
    figure.update_xaxes(title=f"stated: {_e(item)}")
    figure.update_yaxes(title="blind preference rate", range=[-0.05, 1.05])
    return figure
