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
  statsmodels' ``OrderedModel``; effect sizes are odds ratios.
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


def kruskal_wallis(groups: Mapping[str, Sequence[float]]) -> TestResult:
    """Kruskal–Wallis H across groups, with ε² (Tomczak & Tomczak 2014)."""
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
    return TestResult(
        "Kruskal-Wallis",
        n,
        float(h),
        float(p),
        epsilon2,
        "epsilon-squared",
        df=len(samples) - 1,
        warnings=warnings,
    )


def mann_whitney(x: Sequence[float], y: Sequence[float]) -> TestResult:
    """Two-sided Mann–Whitney U with the rank-biserial correlation (Kerby 2014).

    r > 0 means the first sample tends to be larger. scipy picks the exact p-value for
    small samples without ties, else the normal approximation with tie correction.
    """
    a, b = np.asarray(x, float), np.asarray(y, float)
    n = len(a) + len(b)
    if not len(a) or not len(b):
        return TestResult("Mann-Whitney U", n, None, None, None, "rank-biserial r")
    result = stats.mannwhitneyu(a, b, alternative="two-sided", method="auto")
    u1 = float(result.statistic)
    r = 2 * u1 / (len(a) * len(b)) - 1
    exact = len(a) <= 8 and len(b) <= 8 and len(np.unique(np.r_[a, b])) == n
    return TestResult(
        "Mann-Whitney U",
        n,
        u1,
        float(result.pvalue),
        r,
        "rank-biserial r",
        p_method="exact" if exact else "normal approximation",
    )


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
    result = TestResult("chi-square", n, float(chi2), float(p), v, "Cramér's V", df=float(dof))
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


def wilson_interval(successes: int, n: int, *, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson (1927) score interval for a binomial proportion."""
    if n == 0:
        return (math.nan, math.nan)
    z = float(stats.norm.ppf(1 - (1 - confidence) / 2))
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return (max(0.0, centre - half), min(1.0, centre + half))


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
    model = OrderedModel(y.to_numpy(), exog, distr="logit")
    with np.errstate(all="ignore"), warnings_module.catch_warnings():
        warnings_module.simplefilter("ignore")
        fit = model.fit(method="bfgs", disp=False, maxiter=2000)
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
    conf = fit.conf_int()
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
                warnings=list(warnings),
            )
        )
    return results


def _null_loglik(y: pd.Series) -> float:
    counts = y.value_counts().to_numpy(float)
    counts = counts[counts > 0]
    return float((counts * np.log(counts / counts.sum())).sum())
