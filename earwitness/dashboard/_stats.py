"""Intervals and rank correlations for the dashboard, on small samples.

* Wilson (1927) score interval for proportions (:func:`earwitness.intervals.wilson_interval`).
* Means of bounded values (net stance in [-1, 1], scores in [0, 100]) at small n
  (:data:`SMALL_N` or fewer): the Wilson interval of the mean rescaled to [0, 1]. A variable
  in [0, 1] with mean p has variance at most p(1 - p) (Bhatia & Davis 2000, "A better bound
  on the variance", Amer. Math. Monthly 107:353-357), the binomial variance, so the interval
  is at least as wide as a binomial one and never collapses to zero width when a few values
  agree (a percentile bootstrap of two equal values has width 0).
* Percentile bootstrap intervals (Efron & Tibshirani 1993, ch. 13) for means and for
  Spearman's rank correlation across services; with few services no p-value is given,
  as a test on five points says little (the interval shows how little).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from scipy import stats

from earwitness.intervals import wilson_interval

__all__ = [
    "MIN_N",
    "SMALL_N",
    "bootstrap_mean",
    "bounded_mean_interval",
    "mean_interval",
    "spearman_bootstrap",
    "wilson",
    "wilson_share",
]

N_BOOT = 2000
LARGE_N = 400
SMALL_N = 10  # up to here a bounded mean's interval is Wilson's (conservative); bootstrap above
MIN_N = 5  # cells with fewer units are shown greyed out (and flagged in tables)


def wilson(successes: int, n: int) -> tuple[float | None, float | None]:
    if n <= 0:
        return None, None
    low, high = wilson_interval(int(successes), int(n))
    return float(low), float(high)


def bootstrap_mean(
    values: npt.ArrayLike, *, seed: int = 0, n_boot: int = N_BOOT, confidence: float = 0.95
) -> tuple[float | None, float | None, float | None]:
    """Mean and its percentile bootstrap interval (None when there are fewer than 2 values)."""
    x = np.asarray(values, dtype=float)
    x = x[np.isfinite(x)]
    if len(x) == 0:
        return None, None, None
    mean = float(x.mean())
    if len(x) < 2:
        return mean, None, None
    rng = np.random.default_rng(seed)
    boot = x[rng.integers(0, len(x), size=(n_boot, len(x)))].mean(axis=1)
    tail = (1 - confidence) / 2 * 100
    low, high = np.percentile(boot, [tail, 100 - tail])
    return mean, float(low), float(high)


def mean_interval(
    values: npt.ArrayLike, *, seed: int = 0
) -> tuple[float | None, float | None, float | None]:
    """Mean and 95 % interval: percentile bootstrap up to LARGE_N values; above it the
    normal-theory interval mean ± 1.96 s/√n, which the bootstrap converges to (Efron &
    Tibshirani 1993, ch. 13) and which costs nothing on a large study."""
    x = np.asarray(values, dtype=float)
    x = x[np.isfinite(x)]
    if len(x) <= LARGE_N:
        return bootstrap_mean(x, seed=seed)
    mean = float(x.mean())
    half = 1.959964 * float(x.std(ddof=1)) / np.sqrt(len(x))
    return mean, mean - half, mean + half


def bounded_mean_interval(
    values: npt.ArrayLike, low: float, high: float, *, seed: int = 0
) -> tuple[float | None, float | None, float | None]:
    """Mean and 95 % interval of values bounded in [low, high]: up to SMALL_N values the
    Wilson interval of the rescaled mean (see the module's note), above it
    :func:`mean_interval` (bootstrap, then normal theory above LARGE_N)."""
    x = np.asarray(values, dtype=float)
    x = x[np.isfinite(x)]
    if len(x) == 0:
        return None, None, None
    if len(x) > SMALL_N:
        return mean_interval(x, seed=seed)
    width = high - low
    share = float(np.clip((x - low) / width, 0, 1).mean())
    w_low, w_high = wilson_share(share, len(x))
    mean = float(x.mean())  # the min/max only absorb rounding at the bounds
    return mean, min(low + w_low * width, mean), max(low + w_high * width, mean)


def wilson_share(p: float, n: int) -> tuple[float, float]:
    """Wilson (1927) score interval for an observed share ``p`` of ``n`` (not necessarily a
    whole count of successes), clipped to [0, 1]."""
    return wilson_interval(p * n, n)


def spearman_bootstrap(
    x: npt.ArrayLike, y: npt.ArrayLike, *, seed: int = 0, n_boot: int = N_BOOT
) -> dict[str, float | int | None]:
    """Spearman's rho across paired points with a percentile bootstrap 95 % interval."""
    a, b = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    keep = np.isfinite(a) & np.isfinite(b)
    a, b = a[keep], b[keep]
    n = len(a)
    if n < 3 or np.ptp(a) == 0 or np.ptp(b) == 0:
        return {"rho": None, "ci_low": None, "ci_high": None, "n": n}
    rho = float(stats.spearmanr(a, b).statistic)
    rng = np.random.default_rng(seed)
    pick = rng.integers(0, n, size=(n_boot, n))
    ra = stats.rankdata(a[pick], axis=1)
    rb = stats.rankdata(b[pick], axis=1)
    ra -= ra.mean(axis=1, keepdims=True)
    rb -= rb.mean(axis=1, keepdims=True)
    denominator = np.sqrt((ra**2).sum(axis=1) * (rb**2).sum(axis=1))
    valid = denominator > 0
    draws = (ra * rb).sum(axis=1)[valid] / denominator[valid]
    if len(draws) < 20:
        return {"rho": rho, "ci_low": None, "ci_high": None, "n": n}
    low, high = np.percentile(draws, [2.5, 97.5])
    return {"rho": rho, "ci_low": float(low), "ci_high": float(high), "n": n}
