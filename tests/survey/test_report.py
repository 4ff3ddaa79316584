"""The report: tests by group, effect sizes beside every p-value, plots and HTML."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from earwitness.cli import cli
from earwitness.errors import EarwitnessError
from earwitness.study import Study
from earwitness.survey import build_report, import_file, load_instrument, load_responses
from earwitness.survey._plots import likert_figure, multi_select_figure, write_html_report
from earwitness.survey._stats import kruskal_wallis

from .conftest import EXAMPLE_INSTRUMENT, FIXTURES


@pytest.fixture
def imported(study: Study) -> Study:
    with study.open_store() as store:
        import_file(
            store,
            FIXTURES / "msforms-adoption.xlsx",
            study.key(),
            instrument=load_instrument(EXAMPLE_INSTRUMENT),
        )
    return study


def _report(study: Study, **options: object):  # type: ignore[no-untyped-def]
    with study.open_store() as store, store.connect() as connection:
        data = load_responses(connection)
    return data, build_report(data, **options)  # type: ignore[arg-type]


def test_every_p_value_has_an_effect_size_and_n(imported: Study) -> None:
    _, report = _report(imported, ordinal=True, covariates=["years"])
    assert report.groups == {"amateur": 12, "pro-am": 10, "professional": 8}
    tests = {r["test"] for r in report.results}
    assert {
        "Kruskal-Wallis",
        "Mann-Whitney U",
        "chi-square",
        "Cronbach's alpha",
        "ordinal logistic regression",
    } <= tests
    for row in report.results:
        assert row["n"] > 0 and row["test"] and row["effect_name"]
        if row["p"] is not None:
            assert row["effect_size"] is not None


def test_kruskal_wallis_rows_match_the_stored_answers(imported: Study) -> None:
    data, report = _report(imported)
    answers = data.responses[data.responses["item"] == "trust1"]
    groups = {
        g: answers.loc[answers["group"] == g, "value_num"].tolist()
        for g in ("amateur", "pro-am", "professional")
    }
    expected = kruskal_wallis(groups)
    row = next(r for r in report.results if r["item"] == "trust1" and r["test"] == "Kruskal-Wallis")
    assert row["statistic"] == pytest.approx(expected.statistic)
    assert row["effect_size"] == pytest.approx(expected.effect_size)
    pairs = [r for r in report.results if r["item"] == "trust1" and r["test"] == "Mann-Whitney U"]
    assert len(pairs) == 3 and all(r["p_adjusted"] >= r["p"] for r in pairs)


def test_scale_alpha_flips_reverse_coded_items(imported: Study) -> None:
    data, report = _report(imported)
    from earwitness.survey._report import scale_scores
    from earwitness.survey._stats import cronbach_alpha

    instrument = data.instrument
    scale = instrument.scales[0]
    frame = data.responses.assign(by=data.responses["group"])
    flipped = scale_scores(instrument, scale, frame).dropna()
    raw = (
        frame[frame["item"].isin(scale.items)]
        .pivot_table(index="respondent", columns="item", values="value_num")
        .dropna()
    )
    assert np.allclose(flipped["trust3"], 6 - raw.loc[flipped.index, "trust3"])
    row = next(
        r
        for r in report.results
        if r["item"] == "scale:trust" and r["comparison"] == "all respondents"
    )
    assert row["statistic"] == pytest.approx(cronbach_alpha(flipped).statistic)
    assert row["ci_low"] < row["statistic"] < row["ci_high"]
    assert cronbach_alpha(raw).statistic < row["statistic"]  # unflipped items disagree


def test_multi_select_proportions_carry_wilson_intervals(imported: Study) -> None:
    _, report = _report(imported)
    rows = [d for d in report.distributions if d["item"] == "tools" and d["answer"] == "LANDR"]
    assert {r["group"] for r in rows} == set(report.groups)
    for row in rows:
        assert row["ci_low"] <= row["percent"] <= row["ci_high"]
        assert row["n"] == report.groups[row["group"]]


def test_small_groups_are_warned(imported: Study) -> None:
    _, report = _report(imported, by="role")
    assert any("fewer than 5" in w for w in report.warnings)
    assert "Professional musician or producer" in report.groups


def test_diverging_bars_split_the_neutral_category(imported: Study) -> None:
    _, report = _report(imported)
    item = next(i for i in report.items if i["code"] == "threat")
    figure = likert_figure(report, item)
    by_name: dict[str, list[float]] = {}
    for trace in figure.data:
        by_name.setdefault(trace.name, []).append(list(trace.x))
    neutral = by_name["Neither agree nor disagree"]
    assert len(neutral) == 2
    assert np.allclose(neutral[0], [-v for v in neutral[1]])
    assert all(v <= 0 for v in by_name["Strongly disagree"][0])
    assert all(v >= 0 for v in by_name["Strongly agree"][0])
    for group_index in range(len(report.groups)):
        total = sum(abs(x[group_index]) for xs in by_name.values() for x in xs)
        assert total == pytest.approx(100.0)


def test_html_is_standalone_and_escaped(imported: Study, tmp_path: Path) -> None:
    _, report = _report(imported)
    report.items[0]["text"] = "<script>alert(1)</script>"
    report.warnings.append("<b>bold</b>")
    out = tmp_path / "report.html"
    write_html_report(report, out)
    page = out.read_text(encoding="utf-8")
    assert "<script>alert(1)</script>" not in page and "&lt;b&gt;bold&lt;/b&gt;" in page
    assert "plotly.js v" in page  # the library is inlined: no network needed
    assert 'src="http' not in page
    assert "illustrative" in page
    tools = next(i for i in report.items if i["code"] == "tools")
    figure = multi_select_figure(report, tools)
    assert all(trace.error_y.array is not None for trace in figure.data)


def test_report_command_json_csv_html(imported: Study, tmp_path: Path) -> None:
    runner = CliRunner()
    base = ["--study", str(imported.root), "survey", "report"]
    result = runner.invoke(cli, [*base, "--json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    assert payload["illustrative"] is True and payload["groups"]["amateur"] == 12
    out = tmp_path / "results.csv"
    result = runner.invoke(cli, [*base, "--csv", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_text().startswith("item,item_text,test,comparison,n,")
    html_out = tmp_path / "r.html"
    result = runner.invoke(cli, [*base, "--html", str(html_out)])
    assert result.exit_code == 0 and html_out.stat().st_size > 100_000
    result = runner.invoke(cli, [*base, "--by", "reasons"])
    assert result.exit_code != 0
    assert isinstance(result.exception, EarwitnessError)
    assert str(result.exception).startswith("--by 'reasons': compare by a single-choice item")


def test_import_and_infer_commands(study: Study, tmp_path: Path) -> None:
    runner = CliRunner()
    draft = tmp_path / "draft.yaml"
    result = runner.invoke(
        cli,
        [
            "survey",
            "instrument",
            "--infer",
            str(FIXTURES / "gforms-adoption.csv"),
            "--out",
            str(draft),
        ],
    )
    assert result.exit_code == 0, result.output
    text = draft.read_text(encoding="utf-8")
    assert "#   Email address: e-mail" in text
    assert load_instrument(draft).item("which_ai_mixing_or_mastering_tools_have").type == "multi"
    result = runner.invoke(
        cli,
        [
            "--study",
            str(study.root),
            "import",
            "survey",
            str(FIXTURES / "gforms-adoption.csv"),
            "--instrument",
            str(EXAMPLE_INSTRUMENT),
            "--format",
            "gforms",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "Imported 24 respondents" in result.output
    assert "left out personal columns: Email address" in result.output
