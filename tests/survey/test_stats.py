"""The statistics, against published worked examples and hand-known values."""

from __future__ import annotations

import math
from itertools import combinations

import numpy as np
import pandas as pd
import pytest

from earwitness.survey._stats import (
    chi_square,
    cronbach_alpha,
    holm,
    kruskal_wallis,
    mann_whitney,
    ordinal_regression,
    pairwise_mann_whitney,
    wilson_interval,
)


def test_kruskal_wallis_hollander_wolfe_example() -> None:
    # Hollander & Wolfe (1973), p. 116, mucociliary efficiency; the example of R's
    # ?kruskal.test: "Kruskal-Wallis chi-squared = 0.77143, df = 2, p-value = 0.68".
    result = kruskal_wallis(
        {
            "normal": [2.9, 3.0, 2.5, 2.6, 3.2],
            "obstructive": [3.8, 2.7, 4.0, 2.4],
            "asbestosis": [2.8, 3.4, 3.7, 2.2, 2.0],
        }
    )
    assert result.statistic == pytest.approx(0.77143, abs=5e-5)
    assert result.df == 2
    assert result.p == pytest.approx(0.68, abs=0.005)
    # Tomczak & Tomczak (2014): epsilon^2 = H / ((n^2 - 1) / (n + 1)) = H / (n - 1), n = 14.
    assert result.effect_size == pytest.approx(0.77143 / 13, abs=1e-5)
    assert result.effect_name == "epsilon-squared"
    assert result.n == 14
    assert any("only 4 answers" in w for w in result.warnings)


def test_mann_whitney_r_documentation_example() -> None:
    # R's ?wilcox.test: wilcox.test(x, y, alternative = "g") gives W = 35, p = 0.1272
    # (exact); the two-sided exact p-value is twice that.
    x = [0.80, 0.83, 1.89, 1.04, 1.45, 1.38, 1.91, 1.64, 0.73, 1.46]
    y = [1.15, 0.88, 0.90, 0.74, 1.21]
    result = mann_whitney(x, y)
    assert result.statistic == 35
    assert result.p == pytest.approx(2 * 0.1272, abs=2e-4)
    # Kerby (2014): r = 2 U / (n1 n2) - 1 = 70 / 50 - 1.
    assert result.effect_size == pytest.approx(0.4)
    assert mann_whitney(y, x).effect_size == pytest.approx(-0.4)


def test_holm_adjustment_by_hand() -> None:
    # Holm (1979): sorted p 0.01, 0.03, 0.04 times 3, 2, 1 -> 0.03, 0.06, max(0.06, 0.04).
    assert holm([0.01, 0.04, 0.03]) == pytest.approx([0.03, 0.06, 0.06])
    assert holm([0.5, 0.6]) == pytest.approx([1.0, 1.0])


def test_pairwise_tests_are_holm_corrected() -> None:
    groups = {"a": [1, 2, 2, 3, 1, 2], "b": [3, 4, 4, 5, 5, 4], "c": [2, 3, 3, 2, 4, 3]}
    results = pairwise_mann_whitney(groups)
    assert [r.comparison for r in results] == ["a vs b", "a vs c", "b vs c"]
    assert [r.p_adjusted for r in results] == pytest.approx(holm([r.p for r in results]))
    assert all(r.effect_size is not None for r in results)


def test_chi_square_agresti_party_identification() -> None:
    # Agresti (2007), p. 39; R's ?chisq.test: X-squared = 30.07, df = 2, p = 2.954e-07.
    table = {
        ("F", "Democrat"): 762,
        ("F", "Independent"): 327,
        ("F", "Republican"): 468,
        ("M", "Democrat"): 484,
        ("M", "Independent"): 239,
        ("M", "Republican"): 477,
    }
    rows = [r for (r, _), k in table.items() for _ in range(k)]
    columns = [c for (_, c), k in table.items() for _ in range(k)]
    result = chi_square(rows, columns)
    assert result.statistic == pytest.approx(30.07, abs=0.005)
    assert result.df == 2
    assert result.p == pytest.approx(2.954e-07, rel=1e-3)
    assert result.effect_size == pytest.approx(math.sqrt(30.0701 / 2757), abs=1e-4)
    assert result.p_method == "asymptotic"


def test_small_2x2_uses_fisher_exact_tea_tasting() -> None:
    # Fisher's tea-tasting experiment, R's ?fisher.test: two-sided p-value = 0.4857.
    rows = ["milk"] * 4 + ["tea"] * 4
    columns = ["milk", "milk", "milk", "tea", "milk", "tea", "tea", "tea"]
    result = chi_square(rows, columns)
    assert result.p_method == "Fisher exact"
    assert result.p == pytest.approx(0.4857, abs=1e-4)
    assert result.effect_size == pytest.approx(0.5)  # phi = (9 - 1) / 16


def test_permutation_p_value_matches_full_enumeration() -> None:
    # 2 x 3 table with small expected counts: the exact permutation p-value is the share
    # of all 12! / (6! 3! 3!) = 18480 distinct label arrangements whose chi-square is at
    # least the observed one; the seeded Monte Carlo estimate must come close.
    rows = ["amateur"] * 6 + ["professional"] * 6
    columns = ["LANDR"] * 4 + ["Ozone"] * 2 + ["LANDR"] * 2 + ["Ozone"] * 1 + ["none"] * 3
    observed = chi_square(rows, columns, seed=7, permutations=4000)
    assert observed.p_method.startswith("permutation")
    assert observed.p == chi_square(rows, columns, seed=7, permutations=4000).p
    row_codes = np.array([0] * 6 + [1] * 6)
    at_least = total = 0
    for landr in combinations(range(12), 6):
        rest = [i for i in range(12) if i not in landr]
        for ozone in combinations(rest, 3):
            labels = np.full(12, 2)
            labels[list(landr)] = 0
            labels[list(ozone)] = 1
            table = np.zeros((2, 3))
            np.add.at(table, (row_codes, labels), 1)
            expected = table.sum(1, keepdims=True) * table.sum(0, keepdims=True) / 12
            statistic = (((table - expected) ** 2) / expected).sum()
            at_least += statistic >= observed.statistic - 1e-9
            total += 1
    assert total == 18480
    assert observed.p == pytest.approx(at_least / total, abs=0.015)
    assert observed.effect_name == "Cramér's V" and observed.effect_size is not None


def test_cronbach_alpha_by_hand_with_feldt_interval() -> None:
    # Four respondents, three items. Item variances (ddof=1): 2.25, 1.6667, 0.25;
    # totals 6, 9, 12, 11 with variance 7. alpha = 3/2 * (1 - 4.1667/7) = 0.6071.
    data = np.array([[1, 2, 3], [2, 3, 4], [4, 5, 3], [4, 4, 3]])
    item_var = data.var(axis=0, ddof=1)
    assert item_var.sum() == pytest.approx(2.25 + 1.6667 + 0.25, abs=1e-3)
    result = cronbach_alpha(data)
    expected = 1.5 * (1 - (2.25 + 5 / 3 + 0.25) / np.var([6, 9, 12, 11], ddof=1))
    assert result.statistic == pytest.approx(expected)
    assert result.statistic == pytest.approx(0.6071, abs=1e-4)
    # Feldt (1965): CI = 1 - (1 - alpha) F(1 - g/2; n-1, (n-1)(k-1)), here F(.975; 3, 6).
    assert result.ci_low == pytest.approx(1 - (1 - expected) * 6.5988, abs=1e-3)
    assert result.ci_high == pytest.approx(1 - (1 - expected) * (1 / 14.7347), abs=1e-3)
    assert cronbach_alpha(np.column_stack([data[:, 0]] * 3)).statistic == pytest.approx(1.0)


@pytest.mark.parametrize(
    ("successes", "n", "low", "high"),
    # Newcombe (1998), Statistics in Medicine 17, Table I, method 3 (Wilson score).
    [
        (81, 263, 0.2553, 0.3662),
        (15, 148, 0.0624, 0.1605),
        (0, 20, 0.0, 0.1611),
        (1, 29, 0.0061, 0.1718),
    ],
)
def test_wilson_interval_newcombe_table(successes: int, n: int, low: float, high: float) -> None:
    assert wilson_interval(successes, n) == pytest.approx((low, high), abs=1e-4)


def test_ordinal_regression_reduces_to_the_log_odds_ratio() -> None:
    # With two outcome categories the proportional-odds model is a logistic regression,
    # whose coefficient for a binary predictor is the log odds ratio ln(ad / bc).
    a, b, c, d = 12, 8, 5, 15  # professional: 12 high, 8 low; others: 5 high, 15 low
    outcome = [2] * a + [1] * b + [2] * c + [1] * d
    professional = [1] * (a + b) + [0] * (c + d)
    results = ordinal_regression(outcome, pd.DataFrame({"professional": professional}))
    model, effect = results
    assert effect.comparison == "professional"
    assert effect.effect_size == pytest.approx((a * d) / (b * c), rel=1e-3)
    assert effect.effect_name == "odds ratio"
    assert effect.ci_low < effect.effect_size < effect.ci_high
    assert model.effect_name == "McFadden pseudo-R2" and model.effect_size > 0
    assert model.n == 40
