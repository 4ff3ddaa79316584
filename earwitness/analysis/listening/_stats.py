"""Statistics of listening tests.

* Descriptives per condition and item: median and interquartile range, mean with a
  percentile bootstrap 95 % CI (Efron & Tibshirani 1993, ch. 13), as BS.1534-3 §9.2
  asks for means with confidence intervals alongside the distribution.
* Friedman's test over blocks (assessor x item) then pairwise Wilcoxon signed-rank
  tests with Holm's step-down correction (Holm 1979); effect size: the matched-pairs
  rank-biserial correlation (Kerby 2014).
* The paired permutation (randomisation) test of the difference of medians that
  BS.1534-3 Attachment 3 to Annex 1 describes for non-normal scores: the sign of each
  paired difference is flipped at random, the median difference recomputed.
* A/B: exact binomial test per pair (ties excluded); Bradley-Terry strengths (Bradley &
  Terry 1952) by maximum likelihood as a logistic model without intercept, with Wald
  95 % CIs; ABX: one-sided exact binomial test per listener (H0: guessing, p = 1/2).
"""

from __future__ import annotations

import itertools
import math
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

__all__ = [
    "abx_by_listener",
    "binomial_pairs",
    "bootstrap_ci",
    "bradley_terry",
    "describe",
    "friedman_wilcoxon",
    "holm",
    "mixed_model",
    "permutation_median_test",
    "rank_biserial",
]


def bootstrap_ci(
    values: np.ndarray, *, n_boot: int = 2000, seed: int = 0, level: float = 0.95
) -> tuple[float, float]:
    """Percentile bootstrap CI of the mean."""
    values = np.asarray(values, dtype=float)
    if len(values) < 2:
        return (math.nan, math.nan)
    rng = np.random.default_rng(seed)
    means = rng.choice(values, size=(n_boot, len(values)), replace=True).mean(axis=1)
    alpha = (1.0 - level) / 2.0
    return float(np.quantile(means, alpha)), float(np.quantile(means, 1.0 - alpha))


def describe(frame: pd.DataFrame, by: list[str], *, seed: int = 0) -> list[dict[str, Any]]:
    """n, median, quartiles, IQR, mean and its bootstrap 95 % CI for each group of ``by``."""
    rows = []
    for key, group in frame.dropna(subset=["score"]).groupby(by, dropna=False):
        scores = group["score"].to_numpy(dtype=float)
        q1, median, q3 = np.quantile(scores, [0.25, 0.5, 0.75])
        low, high = bootstrap_ci(scores, seed=seed)
        names = key if isinstance(key, tuple) else (key,)
        rows.append(
            {
                **dict(zip(by, names, strict=True)),
                "n": len(scores),
                "median": float(median),
                "q1": float(q1),
                "q3": float(q3),
                "iqr": float(q3 - q1),
                "mean": float(scores.mean()),
                "ci_low": low,
                "ci_high": high,
            }
        )
    return rows


def holm(p_values: list[float]) -> list[float]:
    """Holm's step-down adjusted p-values, in the input order."""
    m = len(p_values)
    order = np.argsort(p_values)
    adjusted = np.empty(m)
    running = 0.0
    for rank, index in enumerate(order):
        running = max(running, min(1.0, (m - rank) * p_values[index]))
        adjusted[index] = running
    return [float(p) for p in adjusted]


def rank_biserial(differences: np.ndarray) -> float:
    """Matched-pairs rank-biserial r = (T+ - T-) / (T+ + T-), zero differences dropped."""
    d = np.asarray(differences, dtype=float)
    d = d[d != 0]
    if not len(d):
        return 0.0
    ranks = stats.rankdata(np.abs(d))
    plus, minus = ranks[d > 0].sum(), ranks[d < 0].sum()
    return float((plus - minus) / (plus + minus))


def permutation_median_test(
    a: np.ndarray, b: np.ndarray, *, n_perm: int = 10000, seed: int = 0
) -> dict[str, float]:
    """Paired randomisation test of median(a - b): two-sided p by random sign flips.

    With ten pairs or fewer, every one of the 2^n sign patterns is enumerated (exact).
    """
    d = np.asarray(a, dtype=float) - np.asarray(b, dtype=float)
    observed = float(np.median(d))
    n = len(d)
    if n <= 10:
        signs = np.array(list(itertools.product((1.0, -1.0), repeat=n)))
    else:
        signs = np.random.default_rng(seed).choice((1.0, -1.0), size=(n_perm, n))
    medians = np.median(signs * d, axis=1)
    extreme = np.abs(medians) >= abs(observed) - 1e-12
    p = float(extreme.mean()) if n <= 10 else float((extreme.sum() + 1) / (len(signs) + 1))
    return {"median_difference": observed, "p": p, "exact": n <= 10}


def _blocks(frame: pd.DataFrame, condition: str) -> pd.DataFrame:
    """Assessor x item blocks (rows) by condition (columns), complete blocks only."""
    wide = frame.pivot_table(
        index=["session", "trial"], columns=condition, values="score", aggfunc="mean"
    )
    return wide.dropna()


def friedman_wilcoxon(
    frame: pd.DataFrame, condition: str = "condition", *, seed: int = 0
) -> dict[str, Any]:
    """Friedman over complete blocks, then pairwise Wilcoxon with Holm, effect sizes and the
    permutation test of medians."""
    wide = _blocks(frame, condition)
    result: dict[str, Any] = {"blocks": len(wide), "conditions": list(map(str, wide.columns))}
    if wide.shape[1] < 3 or len(wide) < 2:
        result["friedman"] = None
    else:
        statistic, p = stats.friedmanchisquare(*(wide[c].to_numpy() for c in wide.columns))
        k, n = wide.shape[1], len(wide)
        result["friedman"] = {
            "chi2": float(statistic),
            "df": k - 1,
            "p": float(p),
            "kendall_w": float(statistic / (n * (k - 1))),
        }
    pairs: list[dict[str, Any]] = []
    for first, second in itertools.combinations(wide.columns, 2):
        d = (wide[first] - wide[second]).to_numpy()
        if np.all(d == 0):
            p = 1.0
        else:
            p = float(stats.wilcoxon(wide[first], wide[second], zero_method="wilcox").pvalue)
        perm = permutation_median_test(wide[first].to_numpy(), wide[second].to_numpy(), seed=seed)
        pairs.append(
            {
                "a": str(first),
                "b": str(second),
                "n": len(d),
                "median_difference": float(np.median(d)),
                "wilcoxon_p": p,
                "rank_biserial": rank_biserial(d),
                "permutation_p": perm["p"],
                "permutation_exact": perm["exact"],
            }
        )
    for pair, adjusted in zip(pairs, holm([float(p["wilcoxon_p"]) for p in pairs]), strict=True):
        pair["wilcoxon_p_holm"] = adjusted
    result["pairs"] = pairs
    return result


def mixed_model(frame: pd.DataFrame, condition: str = "condition") -> dict[str, Any]:
    """``score ~ condition * group + (1|listener) + (1|item)`` (statsmodels MixedLM)."""
    data = frame.dropna(subset=["score"]).rename(columns={condition: "cond"})
    data = data.assign(group=data["user_group"].fillna("unknown"))
    listeners, groups = data["participant"].nunique(), data["group"].nunique()
    if listeners < 4 or data["cond"].nunique() < 2:
        return {"fitted": False, "reason": "needs at least 4 listeners and 2 conditions"}
    formulas = ["score ~ C(cond) * C(group)", "score ~ C(cond) + C(group)"] if groups > 1 else []
    formulas.append("score ~ C(cond)")
    items = {"item": "0 + C(song)"} if data["song"].nunique() > 1 else None
    fit, formula, reason = _fit_first(data, formulas, items)
    if fit is None:
        return {"fitted": False, "reason": reason}
    table = pd.DataFrame(
        {"estimate": fit.fe_params, "se": fit.bse_fe, "p": fit.pvalues[fit.fe_params.index]}
    )
    return {
        "fitted": True,
        "formula": formula + " + (1|listener)" + (" + (1|item)" if items else ""),
        "interaction": "*" in formula,
        "converged": bool(fit.converged),
        "listeners": listeners,
        "groups": groups,
        "fixed_effects": [
            {"term": str(t), **{k: float(v) for k, v in row.items()}} for t, row in table.iterrows()
        ],
        "listener_variance": float(fit.cov_re.to_numpy()[0, 0]) if fit.cov_re.size else None,
        "item_variance": float(fit.vcomp[0]) if len(fit.vcomp) else None,
        "residual_variance": float(fit.scale),
    }


def _pair_keys(frame: pd.DataFrame) -> list[str]:
    """An order-free key per row's two versions (joined by a unit separator)."""
    return [
        "\x1f".join(sorted((str(a), str(b))))
        for a, b in zip(frame["version_label"], frame["versus_label"], strict=True)
    ]


def _fit_first(data: pd.DataFrame, formulas: list[str], items: dict[str, str] | None) -> Any:
    """The first formula (and optimiser) that fits; falls back from the interaction model
    when the data cannot identify it (few listeners per group, one item)."""
    import warnings

    import statsmodels.formula.api as smf

    reason = ""
    for formula in formulas:
        for method in ("lbfgs", "powell"):
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    model = smf.mixedlm(formula, data, groups=data["participant"], vc_formula=items)
                    fit = model.fit(reml=True, method=method)
            except (ValueError, np.linalg.LinAlgError) as exc:
                reason = str(exc).splitlines()[0]
                continue
            if np.all(np.isfinite(fit.bse_fe)):
                return fit, formula, None
            reason = "standard errors not finite"
    return None, None, reason


def binomial_pairs(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Per unordered pair of versions: wins each way, no-preference count, two-sided binomial p."""
    rows = []
    keyed = frame.assign(pair=_pair_keys(frame))
    for pair, group in keyed.groupby("pair"):
        first, second = str(pair).split("\x1f")
        wins_first = int((group["choice"] == first).sum())
        wins_second = int((group["choice"] == second).sum())
        ties = int((group["choice"] == "none").sum())
        n = wins_first + wins_second
        p = float(stats.binomtest(wins_first, n, 0.5).pvalue) if n else math.nan
        rows.append(
            {
                "a": first,
                "b": second,
                "a_wins": wins_first,
                "b_wins": wins_second,
                "no_preference": ties,
                "p": p,
                "a_share": wins_first / n if n else math.nan,
            }
        )
    return rows


def bradley_terry(frame: pd.DataFrame) -> dict[str, Any]:
    """Bradley-Terry log-strengths (first version fixed at 0) with Wald 95 % CIs."""
    decided = frame[frame["choice"].isin(set(frame["version_label"]) | set(frame["versus_label"]))]
    items = sorted(set(decided["version_label"]) | set(decided["versus_label"]))
    if len(items) < 2 or not len(decided):
        return {"fitted": False, "reason": "needs decided choices between at least 2 versions"}
    index = {name: i for i, name in enumerate(items)}
    x = np.zeros((len(decided), len(items)))
    y = np.zeros(len(decided))
    for row, (a, b, choice) in enumerate(
        zip(decided["version_label"], decided["versus_label"], decided["choice"], strict=True)
    ):
        x[row, index[a]], x[row, index[b]] = 1.0, -1.0
        y[row] = 1.0 if choice == a else 0.0
    import warnings

    import statsmodels.api as sm

    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            fit = sm.GLM(y, x[:, 1:], family=sm.families.Binomial()).fit()
    except (ValueError, np.linalg.LinAlgError) as exc:
        return {"fitted": False, "reason": str(exc).splitlines()[0]}
    separated = any("separation" in str(w.message).lower() for w in caught)
    strengths = [{"version": items[0], "log_strength": 0.0, "ci_low": 0.0, "ci_high": 0.0}]
    ci = fit.conf_int()
    for i, name in enumerate(items[1:]):
        strengths.append(
            {
                "version": name,
                "log_strength": float(fit.params[i]),
                "ci_low": float(ci[i, 0]),
                "ci_high": float(ci[i, 1]),
            }
        )
    return {
        "fitted": True,
        "baseline": items[0],
        "strengths": strengths,
        "separated": separated,  # a version always or never chosen: strengths unbounded
    }


def abx_by_listener(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Per listener: trials, correct answers, one-sided binomial p against guessing."""
    rows = []
    for (session, participant), group in frame.groupby(["session", "participant"], dropna=False):
        n, correct = len(group), int((group["score"] == 1.0).sum())
        p = float(stats.binomtest(correct, n, 0.5, alternative="greater").pvalue)
        rows.append(
            {
                "session": session,
                "participant": participant,
                "trials": n,
                "correct": correct,
                "p": p,
            }
        )
    return rows
