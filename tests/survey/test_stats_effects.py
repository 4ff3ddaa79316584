"""Separation, truthful p methods, the grouping item and negative alpha (issue 14),
against published values and identities."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from earwitness.survey import build_report, instrument_from_dict
from earwitness.survey._report import SurveyData
from earwitness.survey._stats import (
    cronbach_alpha,
    mann_whitney,
    ordinal_regression,
)

AGREE = ["Strongly disagree", "Disagree", "Neutral", "Agree", "Strongly agree"]


# --- ordinal regression under separation ----------------------------------------------------


def test_complete_separation_at_n_22_is_reported_not_raised() -> None:
    # 11 amateurs answer 1-2, 11 professionals 4-5: the groups do not overlap.
    outcome = [1, 1, 2, 2, 1, 2, 1, 2, 2, 1, 1, 4, 5, 4, 5, 5, 4, 4, 5, 5, 4, 5]
    results = ordinal_regression(outcome, pd.DataFrame({"pro": [0] * 11 + [1] * 11}))
    model, pro = results
    assert pro.comparison == "pro"
    assert pro.effect_size is None and pro.p is None
    assert any("complete separation" in w for w in pro.warnings)
    assert any("separation" in w for w in model.warnings)


def test_quasi_complete_separation_is_reported_too() -> None:
    outcome = [1, 2, 2, 3, 1, 2, 3, 3, 2, 1, 3, 4, 5, 4, 5, 3, 4, 5, 4, 5]
    results = ordinal_regression(outcome, pd.DataFrame({"pro": [0] * 11 + [1] * 9}))
    assert any("quasi-complete separation" in w for w in results[1].warnings)


def _data(answers: dict[str, list[tuple[str, str, float | None]]], groups: dict[str, str]):  # type: ignore[no-untyped-def]
    rows = [
        {
            "respondent": r,
            "group": groups[r],
            "item": item,
            "value": label,
            "value_num": num,
            "label": label,
        }
        for item, values in answers.items()
        for r, label, num in values
    ]
    return pd.DataFrame(rows)


def _instrument(with_rule: bool):  # type: ignore[no-untyped-def]
    data = {
        "name": "sep",
        "items": [
            {"code": "paid", "type": "single", "options": ["No", "Yes"]},
            {"code": "q", "type": "likert", "anchors": AGREE},
        ],
    }
    if with_rule:
        data["groups"] = {
            "variables": {"paid": "paid"},
            "rules": [
                {"group": "professional", "when": 'paid == "Yes"'},
                {"group": "amateur", "when": 'paid == "No"'},
            ],
        }
    return instrument_from_dict(data)


def _separated_study() -> SurveyData:
    ids = [f"r{i:02d}" for i in range(22)]
    groups = {r: "amateur" if i < 11 else "professional" for i, r in enumerate(ids)}
    scores = [1, 1, 2, 2, 1, 2, 1, 2, 2, 1, 1, 4, 5, 4, 5, 5, 4, 4, 5, 5, 4, 5]
    answers = {
        "paid": [(r, "No" if i < 11 else "Yes", float(i >= 11) + 1) for i, r in enumerate(ids)],
        "q": [(r, AGREE[int(s) - 1], float(s)) for r, s in zip(ids, scores, strict=True)],
    }
    return SurveyData(_instrument(with_rule=True), _data(answers, groups))


def test_report_with_ordinal_carries_on_past_separation() -> None:
    report = build_report(_separated_study(), ordinal=True)
    ordinal = [r for r in report.results if r["test"] == "ordinal logistic regression"]
    assert ordinal and all(r["effect_size"] is None for r in ordinal)
    assert all("separation" in r["warnings"] for r in ordinal)
    assert any(r["test"] == "Kruskal-Wallis" and r["item"] == "q" for r in report.results)


def test_the_item_the_group_rule_reads_is_not_tested_against_its_groups() -> None:
    report = build_report(_separated_study())
    assert not [r for r in report.results if r["item"] == "paid"]
    assert any("'paid' defines the groups" in w for w in report.warnings)
    assert any(d["item"] == "paid" for d in report.distributions)  # still described


# --- Mann-Whitney p method ---------------------------------------------------------------------


def test_mann_whitney_names_the_exact_p_it_computed() -> None:
    # R's ?wilcox.test example: 10 and 5 values, no ties: the p-value is exact (scipy
    # computes it exactly when either sample has at most 8 values).
    x = [0.80, 0.83, 1.89, 1.04, 1.45, 1.38, 1.91, 1.64, 0.73, 1.46]
    y = [1.15, 0.88, 0.90, 0.74, 1.21]
    result = mann_whitney(x, y)
    assert result.p_method == "exact"
    exact = stats.mannwhitneyu(x, y, method="exact").pvalue
    assert result.p == pytest.approx(exact, abs=1e-12)
    tied = mann_whitney([1, 2, 2, 3, 4], [2, 3, 5, 5, 6, 7, 8, 9, 9])
    assert tied.p_method.startswith("normal approximation")
    assert tied.p == pytest.approx(
        stats.mannwhitneyu([1, 2, 2, 3, 4], [2, 3, 5, 5, 6, 7, 8, 9, 9], method="asymptotic").pvalue
    )


# --- negative alpha ------------------------------------------------------------------------------


def test_negative_alpha_carries_its_note() -> None:
    items = np.array([[1, 5], [2, 4], [3, 3], [4, 2], [5, 1], [2, 5], [4, 1]], float)
    result = cronbach_alpha(items)
    assert result.effect_size is not None and result.effect_size < 0
    assert any("do not covary" in w for w in result.warnings)
    assert not any("do not covary" in w for w in cronbach_alpha(items[:, [0, 0]]).warnings)
