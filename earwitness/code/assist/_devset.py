"""Scoring the stance methods on a labelled development set of real texts.

The set is a CSV of units (``text``, ``tool``, ``stance``; optional ``author_group``,
``source_url``): the shipped one is ``data/stance-dev.csv`` (see ``data/README.md``).
Mentions are found by the default gazetteer, so a tool it misses counts as a wrong
answer ("missed"). Methods: always-neutral (the baseline every figure is set against),
VADER on the whole text, the target-centred rules, and optionally the learned model
(target-marked MiniLM embeddings + rule features, held out by source so no source is
both trained and tested on).
"""

from __future__ import annotations

import csv
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from sklearn.metrics import cohen_kappa_score

from earwitness.code.assist._provenance import assess_agreement
from earwitness.code.assist._stance_learn import (
    STANCES,
    StanceUnitText,
    marked_window,
    rule_features,
    unit_rule_stance,
)
from earwitness.code.assist._target_stance import RULES_MODEL_ID
from earwitness.errors import BadInputError

__all__ = ["DevUnit", "evaluate_devset", "predict_devset", "read_devset"]

MISSED = "missed"


@dataclass(frozen=True)
class DevUnit:
    text: str
    tool: str
    stance: str
    author_group: str
    source: str


def read_devset(path: Path) -> list[DevUnit]:
    """The labelled units of a development-set CSV."""
    with path.open(newline="", encoding="utf-8-sig") as handle:
        rows = list(csv.DictReader(handle))
    if not rows or not {"text", "tool", "stance"} <= set(rows[0]):
        raise BadInputError(f"{path.name} needs the columns text, tool, stance")
    units = []
    for number, row in enumerate(rows, 2):
        if row["stance"] not in STANCES:
            raise BadInputError(f"{path.name} line {number}: unknown stance {row['stance']!r}")
        units.append(
            DevUnit(
                row["text"],
                row["tool"],
                row["stance"],
                (row.get("author_group") or "unknown").strip() or "unknown",
                (row.get("source_url") or str(number)).strip(),
            )
        )
    return units


def _unit_text(unit: DevUnit, find: Callable[[str], list[tuple[str, str, int, int]]]) -> Any:
    found = find(unit.text)
    spans = tuple((s, e) for tool, _, s, e in found if tool == unit.tool)
    others = tuple((s, e) for tool, _, s, e in found if tool != unit.tool)
    return StanceUnitText(unit.text, spans, others) if spans else None


def predict_devset(
    units: Sequence[DevUnit],
    *,
    encode: Callable[[list[str]], Any] | None = None,
    train: Sequence[DevUnit] = (),
    seed: int = 0,
    fewshot: Any = None,
) -> dict[str, list[str]]:
    """Each method's stance for each unit ("missed" where no mention was found).

    With ``encode``, the learned model too: trained on ``train`` and tested on ``units``
    when a training set is given, else held out by source within ``units``. With
    ``fewshot`` (a loaded sentence-transformers model), the few-shot model likewise.
    """
    from earwitness.code.assist._stance import Gazetteer, vader_stance

    gazetteer = Gazetteer()
    texts = [_unit_text(unit, gazetteer.find) for unit in units]
    found = [i for i, t in enumerate(texts) if t is not None]
    rules = [MISSED] * len(units)
    vader = [MISSED] * len(units)
    for i, (stance, _) in zip(found, [unit_rule_stance(texts[i]) for i in found], strict=True):
        rules[i] = stance
    for i, (stance, _) in zip(found, vader_stance([units[i].text for i in found]), strict=True):
        vader[i] = stance
    predictions = {
        "always-neutral": ["neutral"] * len(units),
        "vader": vader,
        RULES_MODEL_ID: rules,
    }
    if encode is not None and found:
        chosen = [texts[i] for i in found]
        features = _features(chosen, encode)
        learned = [MISSED] * len(units)
        if train:
            held = _trained_on(train, features, encode, gazetteer.find)
            name = "target-logreg (trained on the training set)"
        else:
            labels = [units[i].stance for i in found]
            held = _held_out(features, labels, [units[i].source for i in found], seed)
            name = "target-logreg (held out by source)"
        for i, stance in zip(found, held, strict=True):
            learned[i] = stance
        predictions[name] = learned
    if fewshot is not None and found:
        predictions.update(_fewshot(units, texts, found, fewshot, train, gazetteer.find, seed))
    return predictions


def _fewshot(
    units: Sequence[DevUnit],
    texts: Sequence[Any],
    found: list[int],
    model: Any,
    train: Sequence[DevUnit],
    find: Callable[[str], list[tuple[str, str, int, int]]],
    seed: int,
) -> dict[str, list[str]]:
    from sklearn.model_selection import GroupKFold

    from earwitness.code.assist._stance_fewshot import FEWSHOT_ID, FewShotStance

    X = _objects([texts[i] for i in found])
    predicted = [MISSED] * len(units)
    if train:
        train_texts = [_unit_text(unit, find) for unit in train]
        kept = [i for i, t in enumerate(train_texts) if t is not None]
        fitted = FewShotStance(model, random_state=seed).fit(
            _objects([train_texts[i] for i in kept]), [train[i].stance for i in kept]
        )
        for i, stance in zip(found, fitted.predict(X), strict=True):
            predicted[i] = str(stance)
        return {f"{FEWSHOT_ID} (trained on the training set)": predicted}
    labels = [units[i].stance for i in found]
    sources = [units[i].source for i in found]
    splitter = GroupKFold(n_splits=min(3, len(set(sources))), shuffle=True, random_state=seed)
    for train_rows, test_rows in splitter.split(X, groups=sources):
        y = [labels[i] for i in train_rows]
        if len(set(y)) < 2:
            continue
        fitted = FewShotStance(model, random_state=seed).fit(X[train_rows], y)
        for i, stance in zip(test_rows, fitted.predict(X[test_rows]), strict=True):
            predicted[found[i]] = str(stance)
    return {f"{FEWSHOT_ID} (held out by source)": predicted}


def _objects(items: Sequence[Any]) -> npt.NDArray[Any]:
    array = np.empty(len(items), dtype=object)
    array[:] = list(items)
    return array


def _features(texts: Sequence[Any], encode: Callable[[list[str]], Any]) -> Any:
    return np.hstack(
        [
            np.asarray(encode([marked_window(t) for t in texts]), dtype=np.float64),
            rule_features(texts),
        ]
    )


def _trained_on(
    train: Sequence[DevUnit],
    features: npt.NDArray[np.float64],
    encode: Callable[[list[str]], Any],
    find: Callable[[str], list[tuple[str, str, int, int]]],
) -> list[str]:
    from earwitness.code.assist._stance import StanceClassifier

    texts = [_unit_text(unit, find) for unit in train]
    kept = [i for i, t in enumerate(texts) if t is not None]
    model = StanceClassifier().fit(
        _features([texts[i] for i in kept], encode), [train[i].stance for i in kept]
    )
    return [str(s) for s in model.predict(features)]


def _held_out(
    features: npt.NDArray[np.float64], labels: list[str], sources: list[str], seed: int
) -> list[str]:
    from sklearn.model_selection import GroupKFold

    from earwitness.code.assist._stance import StanceClassifier

    held = ["neutral"] * len(labels)
    folds = min(5, len(set(sources)))
    splitter = GroupKFold(n_splits=folds, shuffle=True, random_state=seed)
    for train, test in splitter.split(features, groups=sources):
        y = [labels[i] for i in train]
        if len(set(y)) < 2:
            continue
        model = StanceClassifier().fit(features[train], y)
        for i, stance in zip(test, model.predict(features[test]), strict=True):
            held[i] = str(stance)
    return held


def evaluate_devset(
    units: Sequence[DevUnit],
    *,
    by: str = "method",
    encode: Callable[[list[str]], Any] | None = None,
    train: Sequence[DevUnit] = (),
    fewshot: Any = None,
) -> list[dict[str, Any]]:
    """Accuracy and Cohen's kappa per method, overall or per tool or author group."""
    predictions = predict_devset(units, encode=encode, train=train, fewshot=fewshot)
    keys: dict[str, list[int]] = defaultdict(list)
    for i, unit in enumerate(units):
        key = {"method": "all", "tool": unit.tool, "group": unit.author_group}[by]
        keys[key].append(i)
    rows = []
    for key in sorted(keys):
        index = keys[key]
        truth = [units[i].stance for i in index]
        sources = [units[i].source for i in index]
        for method, predicted in predictions.items():
            guess = [predicted[i] for i in index]
            rows.append(
                {
                    by if by != "method" else "subset": key,
                    "method": method,
                    **_scores(truth, guess, sources),
                }
            )
    return rows


def _scores(truth: list[str], guess: list[str], sources: list[str]) -> dict[str, Any]:
    accuracy = sum(t == g for t, g in zip(truth, guess, strict=True)) / len(truth)
    kappa = cohen_kappa_score(truth, guess) if len(set(truth) | set(guess)) > 1 else float("nan")
    # the interval resamples sources, as the provenance rule resamples documents
    bounds = assess_agreement(guess, truth, sources, n_boot=1000)
    negatives = [g for t, g in zip(truth, guess, strict=True) if t == "negative"]
    return {
        "n": len(truth),
        "accuracy": round(accuracy, 4),
        "kappa": None if kappa != kappa else round(float(kappa), 4),
        "kappa_ci_low": bounds.kappa_low,
        "kappa_ci_high": bounds.kappa_high,
        "negative_recall": (
            round(negatives.count("negative") / len(negatives), 4) if negatives else None
        ),
        "missed": sum(g == MISSED for g in guess),
        **{f"true_{s}": truth.count(s) for s in STANCES},
    }
