"""Effect-size intervals and magnitude labels (issue 14), against published thresholds
and identities."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from earwitness.survey._stats import (
    _V_LABELS,
    _auc_interval,
    _cramers_v_interval,
    _h_statistic,
    _label,
    _odds_ratio_label,
    _vargha_delaney_label,
    chi_square,
    kruskal_wallis,
    mann_whitney,
)

# --- effect-size intervals and labels ---------------------------------------------------------


def test_auc_interval_at_one_half_is_the_mann_whitney_null_variance() -> None:
    # Hanley & McNeil (1982): at A = 0.5 their variance equals the exact null variance of
    # U / (n1 n2), (n1 + n2 + 1) / (12 n1 n2) (Mann & Whitney 1947).
    for n1, n2 in ((10, 10), (5, 12), (30, 7)):
        low, high = _auc_interval(0.5, n1, n2)
        se = np.sqrt((n1 + n2 + 1) / (12 * n1 * n2))
        assert (high - low) / 2 == pytest.approx(stats.norm.ppf(0.975) * se, rel=1e-12)


def test_mann_whitney_r_has_a_ci_and_a_vargha_delaney_label() -> None:
    x = [0.80, 0.83, 1.89, 1.04, 1.45, 1.38, 1.91, 1.64, 0.73, 1.46]
    y = [1.15, 0.88, 0.90, 0.74, 1.21]
    result = mann_whitney(x, y)
    assert result.ci_low < result.effect_size < result.ci_high  # type: ignore[operator]
    # U = 35 of n1 n2 = 50: A = 0.70, |A - .5| = .20, between medium (.14) and large (.21)
    assert result.magnitude == "medium"


@pytest.mark.parametrize(
    ("auc", "label"),
    [
        (0.5, "negligible"),
        (0.55, "negligible"),
        (0.56, "small"),
        (0.44, "small"),
        (0.64, "medium"),
        (0.36, "medium"),
        (0.71, "large"),
        (0.29, "large"),
        (1.0, "large"),
    ],
)
def test_vargha_delaney_thresholds(auc: float, label: str) -> None:
    # Vargha & Delaney (2000, p. 106): A = .56 small, .64 medium, .71 large.
    assert _vargha_delaney_label(auc) == label


@pytest.mark.parametrize(
    ("v", "label"),
    [
        (0.05, "negligible"),
        (0.10, "weak"),
        (0.25, "moderate"),
        (0.45, "relatively strong"),
        (0.65, "strong"),
        (0.9, "very strong"),
    ],
)
def test_rea_parker_labels_for_cramers_v(v: float, label: str) -> None:
    assert _label(v, _V_LABELS) == label


def test_odds_ratio_labels_are_symmetric() -> None:
    # Chen, Cohen & Chen (2010): OR 1.68, 3.47 and 6.71 are small, medium and large.
    assert _odds_ratio_label(1.5) == "negligible"
    assert _odds_ratio_label(2.0) == _odds_ratio_label(0.5) == "small"
    assert _odds_ratio_label(4.0) == _odds_ratio_label(0.25) == "medium"
    assert _odds_ratio_label(7.0) == "large"


def test_cramers_v_interval_inverts_the_noncentral_chi_square() -> None:
    # Agresti's party identification table (the chi_square test's worked example).
    observed = [[762, 327, 468], [484, 239, 477]]
    chi2, _, dof, _ = stats.chi2_contingency(np.array(observed), correction=False)
    n = int(np.sum(observed))
    low, high = _cramers_v_interval(float(chi2), int(dof), n, 1)
    v = np.sqrt(chi2 / n)
    assert low < v < high
    lam_low, lam_high = low**2 * n - dof, high**2 * n - dof
    assert stats.ncx2.cdf(chi2, dof, lam_low) == pytest.approx(0.975, abs=1e-6)
    assert stats.ncx2.cdf(chi2, dof, lam_high) == pytest.approx(0.025, abs=1e-6)


def test_chi_square_result_carries_v_interval_and_label() -> None:
    rows = ["a"] * 30 + ["b"] * 30
    cols = ["x"] * 25 + ["y"] * 5 + ["x"] * 10 + ["y"] * 20
    result = chi_square(rows, cols)
    assert result.ci_low < result.effect_size < result.ci_high  # type: ignore[operator]
    # chi2 = 60 (25*20 - 5*10)^2 / (30*30*35*25) = 15.43, V = sqrt(15.43 / 60) = 0.507
    assert result.effect_size == pytest.approx(0.5071, abs=1e-4)
    assert result.magnitude == "relatively strong"


def test_vectorised_h_matches_scipy_kruskal() -> None:
    rng = np.random.default_rng(3)
    samples = [rng.integers(1, 6, size=n).astype(float) for n in (7, 9, 12)]
    values = np.concatenate(samples)[None, :]
    groups = np.concatenate([np.full(len(s), i) for i, s in enumerate(samples)])
    h = _h_statistic(stats.rankdata(values, axis=1), groups, 3)[0]
    assert h == pytest.approx(stats.kruskal(*samples).statistic, rel=1e-12)


def test_epsilon_squared_has_a_seeded_bootstrap_interval_and_label() -> None:
    groups = {
        "a": [1, 2, 2, 3, 1, 2, 3, 2],
        "b": [3, 4, 3, 5, 4, 4, 3, 5],
        "c": [2, 3, 3, 4, 2, 3, 4, 3],
    }
    first, again = kruskal_wallis(groups, seed=7), kruskal_wallis(groups, seed=7)
    assert (first.ci_low, first.ci_high) == (again.ci_low, again.ci_high)
    assert first.ci_low <= first.effect_size <= first.ci_high  # type: ignore[operator]
    assert first.magnitude == "large"  # epsilon^2 well above .14 (Cohen 1988)
