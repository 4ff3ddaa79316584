"""Where a machine-assisted figure comes from: people, a machine checked against people, or
an unchecked machine. One rule for stance rows, group rows, the dashboard and the exports.

A core module (like :mod:`earwitness.privacy`) so that the core ``groups`` package can use
the rule too; the areas and the dashboard reach it as ``earwitness.code.assist.provenance``
and the other names ``earwitness.code.assist`` re-exports.

A machine figure is **validated** only where people labelled at least ``MIN_VALIDATION``
of its own units and the machine's agreement with them (Cohen's kappa, Cohen 1960) has a
95 % bootstrap lower bound of at least ``MIN_LOWER_BOUND``. The interval is the percentile
bootstrap (Efron & Tibshirani 1993, ch. 13) resampling whole documents (or authors), not
units, because units of one document are not independent (cluster bootstrap, Field &
Welsh 2007). Seeded, so a figure is the same on every run.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Hashable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

__all__ = [
    "MIN_LOWER_BOUND",
    "MIN_VALIDATION",
    "Agreement",
    "agreement_flag",
    "assess_agreement",
    "cohen_kappa_labels",
    "curve_labels_needed",
    "labels_needed",
    "provenance",
    "warning_line",
]

MIN_VALIDATION = 20  # people-labelled units of the figure's own before it can be validated
MIN_LOWER_BOUND = 0.4  # 95 % lower bound of kappa; Landis & Koch (1977) call 0.41 "moderate"
DEFAULT_BOOT = 2000

Statistic = Callable[[Sequence[Hashable], Sequence[Hashable]], float]


def provenance(
    all_human: bool,
    n_checked: int,
    agreement: float | None,
    lower_bound: float | None = None,
) -> str:
    """``human`` when people decided every unit; ``machine validated`` when people labelled
    at least ``MIN_VALIDATION`` of the figure's units and the lower bound of the machine's
    agreement with them is at least ``MIN_LOWER_BOUND``; else ``machine unvalidated``.

    Without a ``lower_bound`` a machine figure is never validated, whatever its kappa."""
    if all_human:
        return "human"
    if (
        n_checked >= MIN_VALIDATION
        and agreement is not None
        and lower_bound is not None
        and lower_bound >= MIN_LOWER_BOUND
    ):
        return "machine validated"
    return "machine unvalidated"


def cohen_kappa_labels(first: Sequence[Hashable], second: Sequence[Hashable]) -> float:
    """Cohen's (1960) kappa of two label sequences; NaN when undefined (one label only)."""
    if len(first) != len(second):
        raise ValueError("both label sequences need a value for every unit")
    if not first:
        return math.nan
    labels = sorted(set(first) | set(second), key=repr)
    index = {label: i for i, label in enumerate(labels)}
    table = np.zeros((len(labels), len(labels)))
    np.add.at(table, ([index[a] for a in first], [index[b] for b in second]), 1)
    table /= table.sum()
    observed = float(np.trace(table))
    chance = float(table.sum(axis=1) @ table.sum(axis=0))  # each coder's own marginals
    if chance >= 1.0:
        return math.nan
    return (observed - chance) / (1.0 - chance)


@dataclass(frozen=True)
class Agreement:
    """The machine against people on one figure's units, and what that makes the figure."""

    n: int
    kappa: float | None
    kappa_low: float | None
    kappa_high: float | None
    provenance: str
    flag: str
    more_labels: int | None

    def as_row(self) -> dict[str, Any]:
        return asdict(self)


def assess_agreement(
    machine: Sequence[Hashable],
    human: Sequence[Hashable],
    clusters: Sequence[Hashable],
    *,
    all_human: bool = False,
    statistic: Statistic = cohen_kappa_labels,
    n_boot: int = DEFAULT_BOOT,
    seed: int = 0,
    confidence: float = 0.95,
) -> Agreement:
    """Agreement of ``machine`` with ``human`` on paired units, its bootstrap interval over
    ``clusters`` (the document, or author, of each unit) and the provenance it earns."""
    if not len(machine) == len(human) == len(clusters):
        raise ValueError("machine, human and clusters need one value per unit")
    n = len(machine)
    point = _finite(statistic(machine, human)) if n else None
    low, high = _interval(machine, human, clusters, statistic, n_boot, seed, confidence)
    source = provenance(all_human, n, point, low)
    return Agreement(
        n=n,
        kappa=_round(point),
        kappa_low=_round(low),
        kappa_high=_round(high),
        provenance=source,
        flag=agreement_flag(n, point, low),
        more_labels=labels_needed(n, point, low),
    )


def _interval(
    machine: Sequence[Hashable],
    human: Sequence[Hashable],
    clusters: Sequence[Hashable],
    statistic: Statistic,
    n_boot: int,
    seed: int,
    confidence: float,
) -> tuple[float | None, float | None]:
    members: dict[Hashable, list[int]] = {}
    for i, cluster in enumerate(clusters):
        members.setdefault(cluster, []).append(i)
    groups = list(members.values())
    if len(groups) < 2:
        return None, None  # one document: no variation between documents to resample
    rng = np.random.default_rng(seed)
    picks = rng.integers(0, len(groups), size=(n_boot, len(groups)))
    if statistic is cohen_kappa_labels:
        draws = _kappa_draws(machine, human, groups, picks)
    else:
        draws = []
        for pick in picks:
            rows = [i for g in pick for i in groups[g]]
            value = statistic([machine[i] for i in rows], [human[i] for i in rows])
            if not math.isnan(value):
                draws.append(value)
    if len(draws) < n_boot / 2:
        return None, None  # mostly undefined (one label only): no honest interval
    tail = (1 - confidence) / 2 * 100
    low, high = np.percentile(draws, [tail, 100 - tail])
    return float(low), float(high)


def _kappa_draws(
    machine: Sequence[Hashable],
    human: Sequence[Hashable],
    groups: Sequence[Sequence[int]],
    picks: np.ndarray,
) -> list[float]:
    """Cohen's kappa of every bootstrap draw at once: each draw's contingency table is the
    sum of its clusters' tables, weighted by how often the draw picked each cluster."""
    labels = sorted(set(machine) | set(human), key=repr)
    index = {label: i for i, label in enumerate(labels)}
    k = len(labels)
    tables = np.zeros((len(groups), k * k))
    for g, rows in enumerate(groups):
        for i in rows:
            tables[g, index[machine[i]] * k + index[human[i]]] += 1
    counts = np.stack([np.bincount(pick, minlength=len(groups)) for pick in picks])
    joint = (counts @ tables).reshape(len(picks), k, k)
    total = joint.sum(axis=(1, 2))
    observed = np.trace(joint, axis1=1, axis2=2) / total
    chance = np.einsum("bi,bi->b", joint.sum(axis=2), joint.sum(axis=1)) / total**2
    defined = chance < 1.0
    kappa = (observed[defined] - chance[defined]) / (1.0 - chance[defined])
    return [float(v) for v in kappa]


def agreement_flag(n: int, kappa: float | None, low: float | None) -> str:
    """Why a machine figure is not validated, in words; empty when it is."""
    if n < MIN_VALIDATION:
        return f"only {n} units labelled by people (validation needs {MIN_VALIDATION})"
    if kappa is None:
        return "agreement undefined (people or machine used one label only)"
    if kappa < MIN_LOWER_BOUND:
        return f"agreement below {MIN_LOWER_BOUND:g} (kappa {kappa:.2f})"
    if low is None or low < MIN_LOWER_BOUND:
        shown = "undefined" if low is None else f"{low:.2f}"
        return f"95 % lower bound {shown} below {MIN_LOWER_BOUND:g}"
    return ""


def labels_needed(n: int, kappa: float | None, low: float | None) -> int | None:
    """How many more labelled units would bring the lower bound to ``MIN_LOWER_BOUND`` if
    the agreement stayed where it is: the interval's half-width shrinks as 1/sqrt(n), so
    ``n' = n * ((kappa - low) / (kappa - MIN_LOWER_BOUND))**2``. 0 when already there;
    ``None`` when no number of labels would do (kappa itself below the bar, or unknown):
    then the machine, not the sample, has to change. Below ``MIN_VALIDATION`` units the
    point estimate says nothing yet, so the answer is the labels still missing from it."""
    short = max(MIN_VALIDATION - n, 0)
    if kappa is None or short:
        return short or None
    if kappa <= MIN_LOWER_BOUND:
        return None
    if low is None:
        return max(short, 1)
    if low >= MIN_LOWER_BOUND:
        return short
    wanted = n * ((kappa - low) / (kappa - MIN_LOWER_BOUND)) ** 2
    return max(math.ceil(round(wanted, 6)) - n, short, 1)


def curve_labels_needed(
    curve: Sequence[tuple[int, float]], n_now: int, target: float = MIN_LOWER_BOUND
) -> int | None:
    """How many more labelled units the learning curve suggests before kappa reaches
    ``target``: kappa is fitted as ``a + b * ln(n)`` over the curve's (n, kappa) points by
    least squares (a simpler form than the inverse power law of Figueroa et al. 2012,
    "Predicting sample size required for classification performance") and solved for n.
    ``None`` when the curve has fewer than two sizes or does not rise: then labels of
    this kind do not help. An extrapolation, to be read as an order of magnitude."""
    points = [(n, k) for n, k in curve if n > 0 and k is not None and not math.isnan(k)]
    if len({n for n, _ in points}) < 2:
        return None
    x = np.log([n for n, _ in points])
    y = np.array([k for _, k in points])
    slope, intercept = np.polyfit(x, y, 1)
    if slope <= 0:
        return None
    wanted = math.exp((target - intercept) / slope)
    return max(math.ceil(round(wanted, 6)) - n_now, 0)


def warning_line(name: str, flag: str, more_labels: int | None) -> str:
    """One line for standard error: what is below the bar and what would help."""
    if more_labels is None:
        advice = "more labels alone will not lift it: the method has to change"
    elif more_labels == 0:
        advice = "no more labels needed"
    else:
        advice = f"about {more_labels} more labelled units would bring it there if it held"
    return f"warning: {name}: {flag}; {advice}"


def _finite(value: float | None) -> float | None:
    return None if value is None or math.isnan(value) else float(value)


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 4)
