"""Statistics for comparing questionnaire answers across user groups.

Every test returns a :class:`TestResult` that names the test, its n, its statistic and
an effect size: a p-value never travels alone. Sources:

* Kruskal & Wallis (1952); ε² = H / ((n² − 1) / (n + 1)) from Tomczak & Tomczak (2014),
  "The need to report effect size estimates revisited", Trends in Sport Sciences 21(1).
* Mann & Whitney (1947); rank-biserial r = 2·U₁/(n₁n₂) − 1 (Kerby 2014, "The simple
  difference formula", Comprehensive Psychology 3); Holm (1979) step-down correction.
* Pearson's chi-square with Cramér's V = √(χ² / (n·(min(r, c) − 1))) (Cramér 1946);
  when expected counts are small (any < 1 or more than 20 % < 5, Cochran 1954) Fisher's
  exact test for 2×2 tables, else a seeded Monte Carlo permutation test with
  p = (b + 1)/(R + 1) (Phipson & Smyth 2010).
* Cronbach (1951) alpha with the Feldt (1965) F-distribution interval
  (Feldt, Woodruff & Salih 1987, eq. 8).
* Wilson (1927) score interval for a proportion (Newcombe 1998, method 3).
* Proportional-odds (ordinal logistic) regression, McCullagh (1980), fitted with
  statsmodels' ``OrderedModel``; effect sizes are odds ratios. Complete or quasi-complete
  separation (Albert & Anderson 1984: a predictor's groups do not overlap on the
  outcome) makes the maximum-likelihood odds ratio infinite: it is reported, not fitted.

Effect-size intervals and magnitude labels (``magnitude``):

* rank-biserial r = 2A − 1 with A the Vargha–Delaney (2000) A (the AUC); its 95 % CI
  from the Hanley & McNeil (1982) standard error of A; labels from Vargha & Delaney
  (2000): A's distance from 0.5 below 0.06 negligible, 0.06 small, 0.14 medium, 0.21 large;
* ε² with a seeded percentile bootstrap CI (Efron & Tibshirani 1993, 2000 resamples within
  groups); labels as for η² (Cohen 1988): 0.01 small, 0.06 medium, 0.14 large;
* Cramér's V with a CI from the noncentral χ² distribution (Smithson 2003, ch. 4);
  labels from Rea & Parker (1992): below .10 negligible, .10 weak, .20 moderate,
  .40 relatively strong, .60 strong, .80 very strong;
* odds ratios (symmetric in 1/OR) labelled after Chen, Cohen & Chen (2010): 1.68 small,
  3.47 medium, 6.71 large.
"""

from __future__ import annotations

import math
import warnings as warnings_module
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from itertools import combinations
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from earwitness.intervals import wilson_interval

__all__ = [
    "MIN_GROUP_N",
    "TestResult",
    "chi_square",
    "cronbach_alpha",
    "holm",
    "kruskal_wallis",
    "mann_whitney",
    "ordinal_regression",
    "pairwise_mann_whitney",
    "wilson_interval",
]

MIN_GROUP_N = 5  # below this a group's result is flagged as unreliable
PERMUTATIONS = 9999
BOOTSTRAP = 2000


@dataclass
class TestResult:
    """One test: what it was, on how many, its statistic, p-value and effect size."""

    test: str
    n: int
    statistic: float | None
    p: float | None
    effect_size: float | None
    effect_name: str
    df: float | None = None
    p_method: str = "asymptotic"
    p_adjusted: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    comparison: str = ""
    magnitude: str = ""
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _small_group_warnings(groups: Mapping[str, Sequence[float] | np.ndarray]) -> list[str]:
    return [
        f"group {name!r} has only {len(values)} answers (fewer than {MIN_GROUP_N}): "
        "read its result with care"
        for name, values in groups.items()
        if len(values) < MIN_GROUP_N
    ]


def kruskal_wallis(groups: Mapping[str, Sequence[float]], *, seed: int = 0) -> TestResult:
    """Kruskal–Wallis H across groups, with ε² (Tomczak & Tomczak 2014) and its
    bootstrap CI (seeded)."""
    samples = {k: np.asarray(v, float) for k, v in groups.items() if len(v)}
    n = int(sum(len(v) for v in samples.values()))
    warnings = _small_group_warnings(samples)
    if len(samples) < 2 or n < 3 or len(np.unique(np.concatenate(list(samples.values())))) < 2:
        return TestResult(
            "Kruskal-Wallis",
            n,
            None,
            None,
            None,
            "epsilon-squared",
            warnings=[*warnings, "not enough groups or variation to test"],
        )
    h, p = stats.kruskal(*samples.values())
    epsilon2 = float(h) * (n + 1) / (n**2 - 1)
    low, high = _epsilon2_interval(list(samples.values()), seed)
    return TestResult(
        "Kruskal-Wallis",
        n,
        float(h),
        float(p),
        epsilon2,
        "epsilon-squared",
        df=len(samples) - 1,
        ci_low=low,
        ci_high=high,
        magnitude=_label(epsilon2, _ETA2_LABELS),
        warnings=warnings,
    )


def _h_statistic(ranks: np.ndarray, groups: np.ndarray, k: int) -> np.ndarray:
    """Kruskal–Wallis H of each row of ``ranks`` (tie-corrected, Kruskal & Wallis 1952)."""
    n = ranks.shape[1]
    sums = np.stack([ranks[:, groups == g].sum(axis=1) for g in range(k)], axis=1)
    sizes = np.bincount(groups, minlength=k)
    h = 12 / (n * (n + 1)) * (sums**2 / sizes).sum(axis=1) - 3 * (n + 1)
    sorted_ranks = np.sort(ranks, axis=1)
    ties = np.zeros(len(ranks))
    for row, values in enumerate(sorted_ranks):
        _, counts = np.unique(values, return_counts=True)
        ties[row] = (counts**3 - counts).sum()
    correction = 1 - ties / (n**3 - n)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(correction > 0, h / correction, 0.0)


def _epsilon2_interval(
    samples: list[np.ndarray], seed: int, resamples: int = BOOTSTRAP
) -> tuple[float | None, float | None]:
    """Percentile bootstrap 95 % CI of ε², resampling within each group."""
    rng = np.random.default_rng(seed)
    drawn = [rng.choice(s, size=(resamples, len(s)), replace=True) for s in samples]
    values = np.concatenate(drawn, axis=1)
    groups = np.concatenate([np.full(len(s), i) for i, s in enumerate(samples)])
    n = values.shape[1]
    h = _h_statistic(stats.rankdata(values, axis=1), groups, len(samples))
    epsilon2 = h * (n + 1) / (n**2 - 1)
    low, high = np.percentile(epsilon2, [2.5, 97.5])
    return float(max(low, 0.0)), float(min(high, 1.0))


def mann_whitney(x: Sequence[float], y: Sequence[float]) -> TestResult:
    """Two-sided Mann–Whitney U with the rank-biserial correlation (Kerby 2014).

    r > 0 means the first sample tends to be larger. The exact p-value is used when
    either sample has at most 8 answers and there are no ties (scipy's own rule), else
    the normal approximation with tie correction; ``p_method`` names the one used.
    """
    a, b = np.asarray(x, float), np.asarray(y, float)
    n = len(a) + len(b)
    if not len(a) or not len(b):
        return TestResult("Mann-Whitney U", n, None, None, None, "rank-biserial r")
    ties = len(np.unique(np.r_[a, b])) < n
    exact = (len(a) <= 8 or len(b) <= 8) and not ties
    method = "exact" if exact else "asymptotic"
    result = stats.mannwhitneyu(a, b, alternative="two-sided", method=method)
    u1 = float(result.statistic)
    auc = u1 / (len(a) * len(b))  # the Vargha–Delaney A
    low, high = _auc_interval(auc, len(a), len(b))
    return TestResult(
        "Mann-Whitney U",
        n,
        u1,
        float(result.pvalue),
        2 * auc - 1,
        "rank-biserial r",
        p_method="exact" if exact else "normal approximation, tie-corrected",
        ci_low=2 * low - 1,
        ci_high=2 * high - 1,
        magnitude=_vargha_delaney_label(auc),
    )


def _auc_interval(auc: float, n1: int, n2: int, confidence: float = 0.95) -> tuple[float, float]:
    """Wald interval of A with the Hanley & McNeil (1982, eq. 2) standard error."""
    q1, q2 = auc / (2 - auc), 2 * auc * auc / (1 + auc)
    variance = (auc * (1 - auc) + (n1 - 1) * (q1 - auc * auc) + (n2 - 1) * (q2 - auc * auc)) / (
        n1 * n2
    )
    z = float(stats.norm.ppf(1 - (1 - confidence) / 2))
    half = z * math.sqrt(max(variance, 0.0))
    return max(0.0, auc - half), min(1.0, auc + half)


_ETA2_LABELS = ((0.14, "large"), (0.06, "medium"), (0.01, "small"), (0.0, "negligible"))
_V_LABELS = (
    (0.80, "very strong"),
    (0.60, "strong"),
    (0.40, "relatively strong"),
    (0.20, "moderate"),
    (0.10, "weak"),
    (0.0, "negligible"),
)
_OR_LABELS = ((6.71, "large"), (3.47, "medium"), (1.68, "small"), (0.0, "negligible"))
_AUC_LABELS = ((0.21, "large"), (0.14, "medium"), (0.06, "small"), (0.0, "negligible"))


def _label(value: float | None, thresholds: tuple[tuple[float, str], ...]) -> str:
    if value is None or value != value:
        return ""
    return next(name for cut, name in thresholds if value >= cut)


def _vargha_delaney_label(auc: float) -> str:
    """Vargha & Delaney (2000): A = .56, .64, .71 (distance .06, .14, .21 from .5)."""
    return _label(round(abs(auc - 0.5), 10), _AUC_LABELS)


def _odds_ratio_label(odds_ratio: float) -> str:
    return _label(max(odds_ratio, 1 / odds_ratio) if odds_ratio > 0 else None, _OR_LABELS)


def holm(p_values: Sequence[float]) -> list[float]:
    """Holm (1979) step-down adjusted p-values, in the input order."""
    m = len(p_values)
    order = sorted(range(m), key=lambda i: p_values[i])
    adjusted = [0.0] * m
    running = 0.0
    for rank, index in enumerate(order):
        running = max(running, min(1.0, (m - rank) * p_values[index]))
        adjusted[index] = running
    return adjusted


def pairwise_mann_whitney(groups: Mapping[str, Sequence[float]]) -> list[TestResult]:
    """Mann–Whitney U for every pair of groups, Holm-corrected across the pairs."""
    results = []
    for first, second in combinations([k for k, v in groups.items() if len(v)], 2):
        result = mann_whitney(groups[first], groups[second])
        result.comparison = f"{first} vs {second}"
        result.warnings = _small_group_warnings({first: groups[first], second: groups[second]})
        results.append(result)
    tested = [r for r in results if r.p is not None]
    for result, adjusted in zip(tested, holm([r.p for r in tested]), strict=True):  # type: ignore[misc]
        result.p_adjusted = adjusted
    return results


def chi_square(
    rows: Sequence[str], columns: Sequence[str], *, seed: int = 0, permutations: int = PERMUTATIONS
) -> TestResult:
    """Chi-square test of independence of two labelled variables, with Cramér's V.

    ``rows`` and ``columns`` hold one label per respondent. With small expected counts
    the p-value comes from Fisher's exact test (2×2) or a seeded permutation test.
    """
    table = pd.crosstab(pd.Series(rows, name="row"), pd.Series(columns, name="column"))
    n = int(table.to_numpy().sum())
    if table.shape[0] < 2 or table.shape[1] < 2:
        return TestResult(
            "chi-square",
            n,
            None,
            None,
            None,
            "Cramér's V",
            warnings=["fewer than two groups or two answers: nothing to test"],
        )
    observed = table.to_numpy()
    chi2, p, dof, expected = stats.chi2_contingency(observed, correction=False)
    v = math.sqrt(chi2 / (n * (min(observed.shape) - 1)))
    low, high = _cramers_v_interval(float(chi2), int(dof), n, min(observed.shape) - 1)
    result = TestResult(
        "chi-square",
        n,
        float(chi2),
        float(p),
        v,
        "Cramér's V",
        df=float(dof),
        ci_low=low,
        ci_high=high,
        magnitude=_label(v, _V_LABELS),
    )
    small = (expected < 1).any() or (expected < 5).mean() > 0.2
    if small:
        result.warnings.append("small expected counts: p-value from an exact/permutation test")
        if observed.shape == (2, 2):
            result.p = float(stats.fisher_exact(observed).pvalue)
            result.p_method = "Fisher exact"
        else:
            result.p = _permutation_p(rows, columns, float(chi2), seed, permutations)
            result.p_method = f"permutation ({permutations}, seed {seed})"
    return result


def _cramers_v_interval(
    chi2: float, df: int, n: int, k: int, confidence: float = 0.95
) -> tuple[float, float]:
    """CI of V by inverting the noncentral χ² CDF in its noncentrality λ (Smithson 2003):
    V = √((λ + df) / (n·k)) at each bound, λ = 0 when the bound is below zero."""
    from scipy.optimize import brentq

    def bound(target: float) -> float:
        def gap(lam: float) -> float:
            return float(stats.ncx2.cdf(chi2, df, lam)) - target

        if gap(1e-9) < 0:
            return 0.0
        upper = max(10.0, 2 * chi2)
        while gap(upper) > 0:
            upper *= 2
        return float(brentq(gap, 1e-9, upper))

    alpha = 1 - confidence
    lam_low, lam_high = bound(1 - alpha / 2), bound(alpha / 2)

    def v(lam: float) -> float:
        return min(1.0, math.sqrt((lam + df) / (n * k))) if lam > 0 else 0.0

    return v(lam_low), v(lam_high)


def _permutation_p(
    rows: Sequence[str], columns: Sequence[str], chi2: float, seed: int, permutations: int
) -> float:
    row_codes, row_levels = pd.factorize(pd.Series(rows))
    col_codes, col_levels = pd.factorize(pd.Series(columns))
    r, c = len(row_levels), len(col_levels)
    rng = np.random.default_rng(seed)
    at_least = 0
    for start in range(0, permutations, 1000):
        batch = min(1000, permutations - start)
        shuffled = rng.permuted(np.tile(col_codes, (batch, 1)), axis=1)
        cells = row_codes * c + shuffled + (np.arange(batch) * r * c)[:, None]
        observed = np.bincount(cells.ravel(), minlength=batch * r * c).reshape(batch, r, c)
        expected = observed.sum(2, keepdims=True) * observed.sum(1, keepdims=True) / len(rows)
        with np.errstate(divide="ignore", invalid="ignore"):
            terms = np.where(expected > 0, (observed - expected) ** 2 / expected, 0.0)
        at_least += int((terms.sum(axis=(1, 2)) >= chi2 - 1e-9).sum())
    return (at_least + 1) / (permutations + 1)


def cronbach_alpha(items: np.ndarray | pd.DataFrame, *, confidence: float = 0.95) -> TestResult:
    """Cronbach's alpha of a respondents × items matrix (complete rows only), with the
    Feldt (1965) confidence interval."""
    matrix = pd.DataFrame(items).dropna().to_numpy(float)
    n, k = matrix.shape if matrix.ndim == 2 else (0, 0)
    if n < 3 or k < 2:
        return TestResult(
            "Cronbach's alpha",
            n,
            None,
            None,
            None,
            "alpha",
            warnings=["need at least 3 complete respondents and 2 items"],
        )
    item_variances = matrix.var(axis=0, ddof=1).sum()
    total_variance = matrix.sum(axis=1).var(ddof=1)
    if total_variance == 0:
        return TestResult(
            "Cronbach's alpha",
            n,
            None,
            None,
            None,
            "alpha",
            warnings=["every respondent has the same total: alpha is undefined"],
        )
    alpha = k / (k - 1) * (1 - item_variances / total_variance)
    gamma = 1 - confidence
    df1, df2 = n - 1, (n - 1) * (k - 1)
    low = 1 - (1 - alpha) * stats.f.ppf(1 - gamma / 2, df1, df2)
    high = 1 - (1 - alpha) * stats.f.ppf(gamma / 2, df1, df2)
    warnings = [f"only {n} complete respondents"] if n < 30 else []
    if alpha < 0:
        warnings.append(
            "alpha is negative: the items do not covary positively (check reverse-coded "
            "items); alpha says nothing about this scale's reliability"
        )
    return TestResult(
        "Cronbach's alpha",
        n,
        float(alpha),
        None,
        float(alpha),
        "alpha",
        ci_low=float(low),
        ci_high=float(high),
        p_method="Feldt (1965) interval",
        warnings=warnings,
    )


def ordinal_regression(
    outcome: Sequence[float],
    predictors: pd.DataFrame,
) -> list[TestResult]:
    """Proportional-odds logistic regression of an ordinal outcome (McCullagh 1980).

    ``predictors`` holds numeric columns (dummy-code groups before). Returns one
    result per predictor: its odds ratio with 95 % CI and Wald p-value, and a first
    row with McFadden's pseudo-R² for the whole model.
    """
    from statsmodels.miscmodels.ordinal_model import OrderedModel

    frame = predictors.copy()
    frame["_y"] = list(outcome)
    frame = frame.dropna()
    n = len(frame)
    levels = sorted(frame["_y"].unique())
    if n < 10 or len(levels) < 2:
        return [
            TestResult(
                "ordinal logistic regression",
                n,
                None,
                None,
                None,
                "odds ratio",
                warnings=["need at least 10 complete answers in two or more categories"],
            )
        ]
    y = pd.Series(pd.Categorical(frame.pop("_y"), categories=levels, ordered=True))
    exog = frame.loc[:, frame.std(ddof=0) > 0].astype(float)
    separated = _separation(y.cat.codes.to_numpy(), exog)
    if separated:
        return _not_estimable(n, list(exog.columns), separated)
    model = OrderedModel(y.to_numpy(), exog, distr="logit")
    try:
        with np.errstate(all="ignore"), warnings_module.catch_warnings():
            warnings_module.simplefilter("ignore")
            fit = model.fit(method="bfgs", disp=False, maxiter=2000)
        conf = fit.conf_int()
        diverged = [
            str(name)
            for name in exog.columns
            if not np.isfinite(conf.loc[name]).all() or abs(float(fit.params[name])) > _MAX_LOG_OR
        ]
    except (OverflowError, np.linalg.LinAlgError, ValueError) as exc:
        return _not_estimable(n, list(exog.columns), f"the fit failed ({exc})")
    if diverged:
        return _not_estimable(
            n,
            list(exog.columns),
            f"quasi-complete separation: the estimate of {', '.join(diverged)} diverges",
        )
    null_llf = _null_loglik(y)
    pseudo_r2 = 1 - fit.llf / null_llf if null_llf else None
    lr = max(0.0, 2 * (float(fit.llf) - null_llf))
    warnings = [] if fit.mle_retvals.get("converged", True) else ["the fit did not converge"]
    results = [
        TestResult(
            "ordinal logistic regression",
            n,
            lr,
            float(stats.chi2.sf(lr, exog.shape[1])),
            pseudo_r2,
            "McFadden pseudo-R2",
            df=float(exog.shape[1]),
            p_method="likelihood ratio",
            comparison="model",
            warnings=warnings,
        )
    ]
    for name in exog.columns:
        coefficient = float(fit.params[name])
        results.append(
            TestResult(
                "ordinal logistic regression",
                n,
                coefficient,
                float(fit.pvalues[name]),
                math.exp(coefficient),
                "odds ratio",
                p_method="Wald",
                ci_low=math.exp(float(conf.loc[name, 0])),
                ci_high=math.exp(float(conf.loc[name, 1])),
                comparison=str(name),
                magnitude=_odds_ratio_label(math.exp(coefficient)),
                warnings=list(warnings),
            )
        )
    return results


_MAX_LOG_OR = 15.0  # |log OR| beyond this (OR > 3 million) is a diverging estimate


def _separation(codes: np.ndarray, exog: pd.DataFrame) -> str:
    """Complete or quasi-complete separation by a 0/1 predictor (Albert & Anderson 1984):
    every outcome with the predictor set lies at or above (or below) every outcome
    without it, so the likelihood grows without bound as the odds ratio does."""
    for name in exog.columns:
        column = exog[name].to_numpy()
        if not set(np.unique(column)) <= {0.0, 1.0}:
            continue
        on, off = codes[column == 1], codes[column == 0]
        if not len(on) or not len(off):
            continue
        if on.min() >= off.max() or off.min() >= on.max():
            kind = "complete" if on.min() > off.max() or off.min() > on.max() else "quasi-complete"
            return (
                f"{kind} separation: the answers with {name} do not overlap those without "
                "it, so its odds ratio is infinite and cannot be estimated; report the "
                "distributions instead"
            )
    return ""


def _not_estimable(n: int, predictors: list[str], why: str) -> list[TestResult]:
    model = TestResult(
        "ordinal logistic regression",
        n,
        None,
        None,
        None,
        "McFadden pseudo-R2",
        comparison="model",
        warnings=[why],
    )
    return [model] + [
        TestResult(
            "ordinal logistic regression",
            n,
            None,
            None,
            None,
            "odds ratio",
            comparison=name,
            warnings=[why],
        )
        for name in predictors
    ]


def _null_loglik(y: pd.Series) -> float:
    counts = y.value_counts().to_numpy(float)
    counts = counts[counts > 0]
    return float((counts * np.log(counts / counts.sum())).sum())
