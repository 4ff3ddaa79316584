"""A stance model learned from the study's human labels, on target-marked inputs.

Each unit (a text and the spans of one tool in it) becomes the sentences holding the
mentions, with the tool replaced by the marker ``[TOOL]`` and every other tool by
``[OTHER]``, so the sentence embedding says what is said *about the target* (the
target-marking of Sun et al. 2019, applied to a frozen encoder). The features are that
embedding plus the rule scorer's stance (one-hot) and net valence, so the model starts
from the rules and learns where the study's people disagree with them; a multinomial
logistic regression (class-balanced) is fitted on them.

:func:`learning_curve` reports how held-out accuracy and Cohen's kappa grow with the
number of labelled units (grouped by document so no document is both trained and
tested on).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from sklearn.metrics import cohen_kappa_score
from sklearn.model_selection import GroupKFold

from earwitness.code.assist._target_stance import TargetStance

__all__ = [
    "STANCES",
    "StanceUnitText",
    "combine_stances",
    "learning_curve",
    "marked_window",
    "rule_features",
    "unit_rule_stance",
]

STANCES = ("positive", "negative", "mixed", "neutral")
_SENTENCE = re.compile(r"[^.!?\n]+[.!?]*")


@dataclass(frozen=True)
class StanceUnitText:
    """A text, the spans of the target tool in it, and the spans of other tools."""

    text: str
    spans: tuple[tuple[int, int], ...]
    others: tuple[tuple[int, int], ...] = ()


def combine_stances(stances: Sequence[str]) -> str:
    """One stance for a unit from its mentions' stances: both directions make mixed."""
    found = set(stances) - {"neutral"}
    if not found:
        return "neutral"
    if "mixed" in found or {"positive", "negative"} <= found:
        return "mixed"
    return found.pop()


def unit_rule_stance(unit: StanceUnitText, model: TargetStance | None = None) -> tuple[str, float]:
    """The rule scorer's stance toward the unit's tool, over all of its mentions."""
    model = model or TargetStance()
    every = [*unit.spans, *unit.others]
    found = [model.stance(unit.text, s, e, every) for s, e in unit.spans]
    if not found:
        return "neutral", 0.0
    return combine_stances([s for s, _ in found]), round(sum(v for _, v in found), 4)


def marked_window(unit: StanceUnitText) -> str:
    """The sentences holding the target, tool -> ``[TOOL]``, other tools -> ``[OTHER]``."""
    marks = sorted(
        [(s, e, "[TOOL]") for s, e in unit.spans] + [(s, e, "[OTHER]") for s, e in unit.others]
    )
    text, pieces, last = unit.text, [], 0
    for s, e, mark in marks:
        if s < last:
            continue
        pieces.append(text[last:s])
        pieces.append(mark)
        last = e
    pieces.append(text[last:])
    marked = "".join(pieces)
    kept = [m.group(0).strip() for m in _SENTENCE.finditer(marked) if "[TOOL]" in m.group(0)]
    return " ".join(kept) if kept else marked.strip()


def rule_features(units: Sequence[StanceUnitText]) -> npt.NDArray[np.float64]:
    """One-hot rule stance and squashed net valence for each unit."""
    model = TargetStance()
    rows = []
    for unit in units:
        stance, net = unit_rule_stance(unit, model)
        rows.append([float(stance == s) for s in STANCES] + [float(np.tanh(net / 4))])
    return np.asarray(rows, dtype=np.float64).reshape(len(units), len(STANCES) + 1)


def learning_curve(
    features: npt.NDArray[np.float64],
    labels: Sequence[str],
    groups: Sequence[int],
    fit: Callable[[npt.NDArray[np.float64], list[str]], Any],
    *,
    sizes: Sequence[int] = (10, 20, 40, 80, 160, 320),
    folds: int = 5,
    seed: int = 0,
) -> list[dict[str, Any]]:
    """Held-out accuracy and Cohen's kappa when trained on the first n of each fold's
    training units (shuffled once by ``seed``), for each n in ``sizes`` that fits."""
    y = np.asarray(labels)
    n_folds = min(folds, len(set(groups)))
    if n_folds < 2:
        return []
    splitter = GroupKFold(n_splits=n_folds, shuffle=True, random_state=seed)
    rng = np.random.default_rng(seed)
    rows = []
    for size in sizes:
        predicted: list[str] = []
        truth: list[str] = []
        for train, test in splitter.split(features, groups=groups):
            if size > len(train):
                break
            chosen = rng.permutation(train)[:size]
            if len(set(y[chosen].tolist())) < 2:
                continue
            model = fit(features[chosen], y[chosen].tolist())
            predicted.extend(str(p) for p in model.predict(features[test]))
            truth.extend(y[test].tolist())
        else:
            if truth:
                rows.append(_curve_row(size, truth, predicted))
    return rows


def _curve_row(size: int, truth: list[str], predicted: list[str]) -> dict[str, Any]:
    kappa = cohen_kappa_score(truth, predicted) if len(set(truth) | set(predicted)) > 1 else 0.0
    accuracy = sum(t == p for t, p in zip(truth, predicted, strict=True)) / len(truth)
    return {
        "train_units": size,
        "test_units": len(truth),
        "accuracy": round(accuracy, 4),
        "kappa": round(float(kappa), 4),
    }
