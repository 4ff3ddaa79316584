"""Screening and statistics against worked examples computed here by hand or enumeration."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd
import pytest

from earwitness.analysis.listening._screening import post_screening
from earwitness.analysis.listening._stats import (
    abx_by_listener,
    binomial_pairs,
    bradley_terry,
    friedman_wilcoxon,
    holm,
    permutation_median_test,
    rank_biserial,
)


def _mushra(hidden: dict[str, list[float]], anchor: dict[str, list[float]]) -> pd.DataFrame:
    rows = []
    for session in hidden:
        for item, (h, a) in enumerate(zip(hidden[session], anchor[session], strict=True)):
            rows += [
                {
                    "session": session,
                    "participant": session,
                    "trial": item,
                    "role": "hidden_reference",
                    "score": h,
                },
                {
                    "session": session,
                    "participant": session,
                    "trial": item,
                    "role": "anchor70",
                    "score": a,
                },
            ]
    return pd.DataFrame(rows)


def test_one_hidden_reference_slip_in_ten_items_does_not_exclude_two_do() -> None:
    good = [100.0] * 10
    frame = _mushra(
        {"one": [85.0] + [100.0] * 9, "two": [85.0, 80.0] + [100.0] * 8, "ok": good},
        {"one": [40.0] * 10, "two": [40.0] * 10, "ok": [40.0] * 10},
    )
    result = post_screening(frame)
    assert result["one"]["hidden_reference_below_90"] == 1 and not result["one"]["excluded"]
    assert result["two"]["excluded"] and result["two"]["rule"] == "hidden_reference"
    assert not result["ok"]["excluded"]


def test_mid_anchor_rule_exempts_items_where_more_than_a_quarter_rate_it_high() -> None:
    sessions = [f"s{i}" for i in range(8)]
    anchor = {s: [40.0] * 10 for s in sessions}
    for s in sessions[:3]:  # 3 of 8 = 37.5 % > 25 % rate item 0 high: item 0 is exempt
        anchor[s][0] = 95.0
    anchor["s0"][1] = 95.0  # s0: items 0 (exempt) and 1 -> 1 of 10 counts: kept
    anchor["s7"][2], anchor["s7"][3] = 95.0, 96.0  # 2 of 10 = 20 % > 15 %: excluded
    frame = _mushra({s: [100.0] * 10 for s in sessions}, anchor)
    result = post_screening(frame)
    assert result["s0"]["mid_anchor_above_90"] == 1 and not result["s0"]["excluded"]
    assert result["s7"]["excluded"] and result["s7"]["rule"] == "mid_anchor"
    assert result["s1"]["anchor_items_exempt"] == 1


def test_holm_worked_example() -> None:
    # sorted p: 0.01*3 = 0.03; 0.03*2 = 0.06; 0.04*1 = 0.04 -> max with previous = 0.06
    assert holm([0.01, 0.04, 0.03]) == pytest.approx([0.03, 0.06, 0.06])


def test_friedman_matches_the_textbook_formula_without_ties() -> None:
    rng = np.random.default_rng(3)
    n, k = 9, 4
    scores = rng.permutation(np.arange(n * k)).reshape(n, k).astype(float)
    rows = [
        {"session": f"s{i}", "trial": 0, "condition": f"c{j}", "score": scores[i, j]}
        for i in range(n)
        for j in range(k)
    ]
    result = friedman_wilcoxon(pd.DataFrame(rows), "condition")
    ranks = np.argsort(np.argsort(scores, axis=1), axis=1) + 1.0
    r = ranks.sum(axis=0)
    chi2 = 12.0 / (n * k * (k + 1)) * (r**2).sum() - 3.0 * n * (k + 1)
    assert result["friedman"]["chi2"] == pytest.approx(chi2)
    assert result["friedman"]["df"] == k - 1
    assert len(result["pairs"]) == 6
    assert all(p["wilcoxon_p_holm"] >= p["wilcoxon_p"] for p in result["pairs"])


def test_wilcoxon_exact_p_by_enumeration() -> None:
    a = np.array([80.0, 72, 90, 65, 88, 70, 95])
    b = np.array([70.0, 75, 60, 60, 70, 50, 81])
    d = a - b
    rows = [
        {"session": f"s{i}", "trial": 0, "condition": c, "score": v}
        for i in range(len(a))
        for c, v in (("a", a[i]), ("b", b[i]))
    ]
    pair = friedman_wilcoxon(pd.DataFrame(rows), "condition")["pairs"][0]
    ranks = np.argsort(np.argsort(np.abs(d))) + 1.0
    observed = min(ranks[d > 0].sum(), ranks[d < 0].sum())
    sums = [
        sum(r for r, s in zip(ranks, signs, strict=True) if s > 0)
        for signs in itertools.product((1, -1), repeat=len(d))
    ]
    total = ranks.sum()
    p = np.mean([min(t, total - t) <= observed for t in sums])
    assert pair["wilcoxon_p"] == pytest.approx(p)
    assert pair["rank_biserial"] == pytest.approx((ranks[d > 0].sum() - ranks[d < 0].sum()) / total)


def test_rank_biserial_is_one_when_every_difference_is_positive() -> None:
    assert rank_biserial(np.array([1.0, 2.0, 0.0, 5.0])) == 1.0


def test_permutation_test_of_medians_is_exact_for_small_samples() -> None:
    a, b = np.array([5.0, 6, 7, 8]), np.array([1.0, 2, 3, 4])  # all differences 4
    result = permutation_median_test(a, b)
    # the median of four signed 4s is ±4 when at least three signs agree (1 + 4 + 4 + 1
    # patterns) and 0 when two and two: 10 of 16 patterns are as extreme
    assert result["exact"] and result["p"] == pytest.approx(10 / 16)
    assert result["median_difference"] == 4.0


def _ab(rows: list[tuple[str, str, str]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["version_label", "versus_label", "choice"])


def test_binomial_pair_nine_of_ten() -> None:
    frame = _ab([("x", "y", "x")] * 9 + [("y", "x", "y"), ("x", "y", "none")])
    (pair,) = binomial_pairs(frame)
    assert (pair["a_wins"], pair["b_wins"], pair["no_preference"]) == (9, 1, 1)
    assert pair["p"] == pytest.approx(22 / 1024)  # 2 * (C(10,9) + C(10,10)) / 2^10


def test_bradley_terry_two_items_is_the_log_odds() -> None:
    frame = _ab([("a", "b", "a")] * 7 + [("a", "b", "b")] * 3)
    result = bradley_terry(frame)
    strengths = {s["version"]: s["log_strength"] for s in result["strengths"]}
    assert strengths["b"] - strengths["a"] == pytest.approx(math.log(3 / 7), abs=1e-6)


def test_abx_one_sided_binomial() -> None:
    frame = pd.DataFrame(
        {"session": ["s"] * 10, "participant": ["p"] * 10, "score": [1.0] * 8 + [0.0] * 2}
    )
    (row,) = abx_by_listener(frame)
    assert row["correct"] == 8 and row["p"] == pytest.approx(56 / 1024)  # (45+10+1)/1024
