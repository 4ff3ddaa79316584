"""Every page and every filter of the dashboard, through Streamlit's AppTest, on SQLite and
PostgreSQL studies."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from earwitness.dashboard import APP_PATH
from earwitness.study import Study
from tests.dashboard.builders import HOSTILE

PAGES = {
    "overview": ("Overview", 0),
    "voices": ("Voices", 1),
    "stance": ("Stance", 2),
    "survey": ("Survey", 2),
    "masters": ("Masters", 4),
    "listening": ("Listening", 3),
    "sentiment_quality": ("Sentiment × quality", 3),
    "export": ("Export", 0),
}


def _open(page: str) -> AppTest:
    app = AppTest.from_file(str(APP_PATH), default_timeout=120)
    app.run()
    if page != "overview":
        app.switch_page(f"views/{page}.py").run()
    return app


def _charts(app: AppTest) -> list[dict]:
    import json

    return [json.loads(chart.proto.spec) for chart in app.get("plotly_chart")]


def _table(app: AppTest, *columns: str, without: str = "") -> pd.DataFrame:
    """The first table on the page holding ``columns`` (AppTest does not expose table keys)."""
    for frame in app.dataframe:
        value = frame.value
        if set(columns) <= set(value.columns) and without not in value.columns:
            return value
    raise AssertionError(f"no table with {columns}")


def _check(app: AppTest, page: str) -> None:
    title, charts = PAGES[page]
    assert not app.exception, [e.value for e in app.exception]
    assert [t.value for t in app.title] == [title]
    assert any("SIMULATED DATA" in w.value for w in app.warning), f"{page}: no simulated banner"
    found = _charts(app)
    assert len(found) >= charts
    for spec in found:
        assert spec["data"], f"{page}: a chart without traces"
    for element in (*app.markdown, *app.caption):
        assert "<script>" not in element.value


@pytest.mark.parametrize("page", list(PAGES))
def test_every_page_renders_its_charts_and_the_simulated_banner(filled: Study, page: str) -> None:
    _check(_open(page), page)


def test_the_quotes_behind_a_cell_are_pseudonymised_and_shown_as_cell_text(filled: Study) -> None:
    app = _open("voices")
    app.selectbox(key="v_code").set_value("Release-ready result").run()
    quotes = _table(app, "quote")
    assert len(quotes) > 0
    assert set(quotes["pseudonym"].str[:2]) == {"p_"}
    assert HOSTILE not in set(quotes["pseudonym"])
    app.radio(key="v_unit").set_value("segment").run()
    assert not app.exception


def test_the_sidebar_filters_narrow_every_page(filled: Study) -> None:
    app = _open("stance")
    everyone = _table(app, "net_stance", "positive_share")
    app.sidebar.multiselect(key="f_groups").set_value(["amateur"]).run()
    amateurs = _table(app, "net_stance", "positive_share")
    assert set(everyone["user_group"]) > {"amateur"} and set(amateurs["user_group"]) == {"amateur"}
    app.sidebar.multiselect(key="f_services").set_value(["LANDR"]).run()
    assert set(_table(app, "net_stance", "positive_share")["service"]) == {"LANDR"}
    app.sidebar.multiselect(key="f_platforms").set_value(["interview"]).run()
    assert (
        _table(app, "net_stance", "positive_share")["mentions"].sum() < amateurs["mentions"].sum()
    )
    app.sidebar.date_input(key="f_dates").set_value((date(2025, 1, 1), date(2025, 1, 10))).run()
    assert not app.exception
    app.switch_page("views/masters.py").run()
    app.sidebar.multiselect(key="f_songs").set_value(["SYNTHETIC song 1"]).run()
    metrics = _table(app, "integrated_lufs", "label")
    assert set(metrics["song"]) == {"SYNTHETIC song 1"}
    assert set(metrics["service"].dropna()) == {"LANDR"}
    for page in PAGES:
        app.switch_page(f"views/{page}.py").run()
        assert not app.exception, (page, [e.value for e in app.exception])


def test_sentiment_quality_measures_and_evidence(filled: Study) -> None:
    app = _open("sentiment_quality")
    app.radio(key="sq_quality").set_value("score").run()
    app.selectbox(key="sq_measure").set_value("delta_lufs").run()
    app.selectbox(key="sq_service").set_value("Aurelia Master").run()
    assert not app.exception
    said = _table(app, "passage")
    assert len(said) and set(said["tool"]) == {"Aurelia Master"}
    table = _table(app, "net_stance", "quality")
    assert {"net_stance", "quality", "rms_curve_db"} <= set(table.columns)
    assert table["quality"].notna().any()
    app.selectbox(key="sq_item").set_value("trust1").run()
    stated = _table(app, "stated", "blind_preference")
    assert len(stated) > 0 and stated["blind_preference"].between(0, 1).all()


def test_the_listening_page_says_when_there_is_no_test(
    any_study: Study, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EARWITNESS_STUDY", str(any_study.root))
    app = _open("listening")
    assert not app.exception
    assert any("No listening test yet" in i.value for i in app.info)
    for page in PAGES:
        app.switch_page(f"views/{page}.py").run()
        assert not app.exception, (page, [e.value for e in app.exception])


def _metric(app: AppTest, label: str) -> int:
    return int(next(m for m in app.metric if m.label == label).value.replace(",", ""))


def test_the_overview_counts_follow_the_filters(filled: Study) -> None:
    app = _open("overview")
    everything = {label: _metric(app, label) for label in ("Documents", "Codings", "Songs")}
    app.sidebar.multiselect(key="f_groups").set_value(["amateur"]).run()
    assert _metric(app, "Documents") < everything["Documents"]
    assert _metric(app, "Codings") < everything["Codings"]
    app.sidebar.multiselect(key="f_songs").set_value(["SYNTHETIC song 1"]).run()
    assert _metric(app, "Songs") == 1 < everything["Songs"]
    assert any("Every count follows the filters" in c.value for c in app.caption)


def test_the_evidence_follows_the_service_filter(filled: Study) -> None:
    app = _open("sentiment_quality")
    app.sidebar.multiselect(key="f_services").set_value(["eMastered"]).run()
    assert not app.exception
    assert list(app.selectbox(key="sq_service").options) == ["eMastered"]
    heard = _table(app, "score", "role", without="net_stance")
    assert len(heard) and set(heard["service"].dropna()) == {"eMastered"}
    assert set(_table(app, "net_stance", "quality")["service"]) == {"eMastered"}


def test_a_survey_with_no_answer_from_the_chosen_group_says_so(filled: Study) -> None:
    import sqlalchemy as sa

    from earwitness.store import schema as s

    with filled.open_store() as store, store.transaction() as c:  # an author, no respondent
        c.execute(sa.insert(s.participants).values(
            pseudonym="p_unknown000", user_group="unknown", group_method="test", kind="author"
        ))  # fmt: skip
    app = _open("survey")
    app.sidebar.multiselect(key="f_groups").set_value(["unknown"]).run()
    assert not app.exception
    assert not any("No survey yet" in i.value for i in app.info)
    assert any("No survey respondent in unknown" in i.value for i in app.info)
    app.sidebar.multiselect(key="f_groups").set_value(["amateur", "unknown"]).run()
    assert not app.info and any("respondents: amateur" in c.value for c in app.caption)


def _trace_colours(app: AppTest) -> dict[str, set[str]]:
    """Each legend name's colours (marker or line) over every chart on the page."""
    found: dict[str, set[str]] = {}
    for spec in _charts(app):
        for trace in spec["data"]:
            name = trace.get("name")
            shown = (trace.get("marker") or {}).get("color") or (trace.get("line") or {}).get(
                "color"
            )
            shape_key = trace.get("x") == [None]  # a legend entry for a marker shape only
            if name and isinstance(shown, str) and not shape_key:
                found.setdefault(name, set()).add(shown)
    return found


def test_a_group_and_a_service_keep_one_colour_everywhere(filled: Study) -> None:
    seen: dict[str, set[str]] = {}
    app = _open("overview")
    for groups in ([], ["professional", "pro-am"], ["pro-am"]):
        app.sidebar.multiselect(key="f_groups").set_value(groups).run()
        for page in ("stance", "listening", "masters", "sentiment_quality"):
            app.switch_page(f"views/{page}.py").run()
            assert not app.exception, page
            for name, colours in _trace_colours(app).items():
                seen.setdefault(name, set()).update(colours)
    assert {"amateur", "pro-am", "professional", "LANDR", "eMastered"} <= set(seen)
    assert {name: colours for name, colours in seen.items() if len(colours) > 1} == {}


def test_the_screening_is_a_table_with_the_json_behind_an_expander(filled: Study) -> None:
    app = _open("listening")
    table = _table(app, "session", "rule", "excluded")
    assert len(table) and table["excluded"].any()
    assert any("JSON" in e.label for e in app.expander)
    means = next(c for c in _charts(app) if c["layout"]["title"]["text"].startswith("Mean"))
    labels = {x for trace in means["data"] for x in trace["x"]}
    assert "anchor35" not in labels and "anchor 3.5 kHz" in labels


def test_the_export_page_computes_nothing_until_a_download_is_asked_for(
    filled: Study, monkeypatch: pytest.MonkeyPatch
) -> None:
    from earwitness.dashboard import _data
    from earwitness.dashboard._filters import Filters

    built: list[str] = []
    specs = _data.export_specs(Filters())
    for name in {function for _, function, _ in specs} - {"services_frame"}:  # Overview's
        monkeypatch.setattr(_data, name, lambda *a, _n=name, **k: built.append(_n))
    app = _open("export")
    assert not app.exception, [e.value for e in app.exception]
    assert built == []
    assert len(app.get("download_button")) > 2 * len(specs)  # every table listed
