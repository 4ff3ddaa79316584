"""Would a stance classifier trained on all of earwitness's bundled labelled units be a
better out-of-the-box default than the target-centred rules? (issue 22)

REAL, LABELLED DATA: every bundled stance set (``data/stance-dev.csv``, ``stance-test.csv``,
``stance-heldout-dev.csv``, ``stance-heldout-test.csv``, ``stance-v3-dev.csv``,
``stance-v3-test.csv``). All of them have been read and the rules were tuned on part of
them, so here they are all development data: the figures are development figures.

Units of the same text × tool are kept once (the first file's label). Units whose tool the
default gazetteer does not find are left out (``stance detect`` only ever scores found
mentions) and counted. Cross-validation is grouped by source URL across files (the first
two files share 8 URLs): leave one source out, so every method is scored on every unit by
a model that saw no unit of its source. Per method: accuracy, Cohen's kappa with a 95 %
percentile bootstrap interval resampling sources (``earwitness.provenance``), negative
recall. Methods, all on the same folds:

* always neutral, and the rules (``target-rules-3``; no training);
* ``lr-rules``: the existing classifier, frozen all-MiniLM-L6-v2 embedding of the
  target-marked window (L2-normalised, as the study's Embedder stores it) + the rule
  features, class-balanced multinomial logistic regression, C = 1;
* ``lr-embed``: the same without the rule features;
* ``lr-rules-nested``: the existing classifier with C chosen inside each training fold by
  an inner 5-fold grouped CV (kappa, grid 0.01-100), so the choice never sees the held-out
  source (Varma & Simon 2006, BMC Bioinformatics 7:91).

``--test PATH`` instead fits ``lr-rules`` on all bundled units and scores PATH once (the
rules and always-neutral beside it); nothing else is run.

Run: python benchmarks/stance_bundled_cv.py [--json OUT] [--boot 2000] [--test PATH]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from sklearn.model_selection import GroupKFold, LeaveOneGroupOut

from earwitness.code.assist._devset import DevUnit, _unit_text, read_devset
from earwitness.code.assist._stance import Gazetteer, StanceClassifier
from earwitness.code.assist._stance_learn import (
    STANCES,
    StanceUnitText,
    marked_window,
    rule_features,
    unit_rule_stance,
)
from earwitness.code.assist._target_stance import RULES_MODEL_ID
from earwitness.provenance import assess_agreement, cohen_kappa_labels

DATA = Path(__file__).resolve().parents[1] / "data"
BUNDLED = (
    "stance-dev.csv",
    "stance-test.csv",
    "stance-heldout-dev.csv",
    "stance-heldout-test.csv",
    "stance-v3-dev.csv",
    "stance-v3-test.csv",
)
C_GRID = (0.01, 0.1, 1.0, 10.0, 100.0)
Array = npt.NDArray[np.float64]


def load_units(
    paths: Sequence[Path], origins: list[str] | None = None
) -> tuple[list[StanceUnitText], list[str], list[str], dict[str, int]]:
    """Deduplicated units (text × tool) with a found mention, their labels and sources
    (and, into ``origins``, the file each came from)."""
    gazetteer = Gazetteer()
    seen: dict[tuple[str, str], str] = {}
    units, labels, sources = [], [], []
    counts = {"rows": 0, "duplicates": 0, "conflicting": 0, "missed": 0}
    for path in paths:
        for row in read_devset(path):
            counts["rows"] += 1
            key = (row.text.strip(), row.tool)
            if key in seen:
                counts["duplicates"] += 1
                counts["conflicting"] += seen[key] != row.stance
                continue
            seen[key] = row.stance
            text = _unit_text(row, gazetteer.find)
            if text is None:
                counts["missed"] += 1
                continue
            units.append(text)
            labels.append(row.stance)
            sources.append(row.source)
            if origins is not None:
                origins.append(path.name)
    return units, labels, sources, counts


def encoder() -> Callable[[list[str]], Array]:
    from earwitness.code.assist._embeddings import load_model, resolve_model

    model = load_model(resolve_model().location, "cpu")
    return lambda texts: np.asarray(
        model.encode(texts, normalize_embeddings=True, batch_size=32), dtype=np.float64
    )


def features(units: Sequence[StanceUnitText], encode: Callable[[list[str]], Array]) -> Array:
    return np.hstack([encode([marked_window(u) for u in units]), rule_features(units)])


def _kappa(truth: Sequence[str], guess: Sequence[str]) -> float:
    """Cohen's kappa as the product computes it (the statistic the intervals resample);
    0 where it is undefined (one label only)."""
    value = cohen_kappa_labels(guess, truth)
    return 0.0 if math.isnan(value) else value


def nested_c(X: Array, y: npt.NDArray[Any], groups: npt.NDArray[Any]) -> float:
    """The C of the grid with the best pooled inner-CV kappa (ties: the smaller C)."""
    inner = GroupKFold(n_splits=min(5, len(set(groups.tolist()))))
    best, best_c = -2.0, C_GRID[0]
    for c in C_GRID:
        guess = np.empty(len(y), dtype=object)
        for train, test in inner.split(X, groups=groups):
            if len(set(y[train].tolist())) < 2:
                guess[test] = "neutral"
                continue
            guess[test] = StanceClassifier(C=c).fit(X[train], y[train]).predict(X[test])
        score = _kappa(y.tolist(), guess.tolist())
        if score > best + 1e-9:
            best, best_c = score, c
    return best_c


def cross_validate(X: Array, labels: list[str], sources: list[str]) -> dict[str, list[str]]:
    """Each learned variant's held-out stance per unit, leaving one source out."""
    y, groups = np.asarray(labels, dtype=object), np.asarray(sources, dtype=object)
    embed = X[:, : X.shape[1] - len(STANCES) - 1]  # drop the rule features
    out = {name: ["neutral"] * len(y) for name in ("lr-rules", "lr-embed", "lr-rules-nested")}
    chosen: list[float] = []
    for train, test in LeaveOneGroupOut().split(X, groups=groups):
        fitted = StanceClassifier().fit(X[train], y[train])
        _put(out["lr-rules"], test, fitted.predict(X[test]))
        fitted = StanceClassifier().fit(embed[train], y[train])
        _put(out["lr-embed"], test, fitted.predict(embed[test]))
        c = nested_c(X[train], y[train], groups[train])
        chosen.append(c)
        fitted = StanceClassifier(C=c).fit(X[train], y[train])
        _put(out["lr-rules-nested"], test, fitted.predict(X[test]))
    values, counts = np.unique(chosen, return_counts=True)
    print("nested C chosen per fold:", dict(zip(values.tolist(), counts.tolist(), strict=True)))
    return out


def _put(target: list[str], index: npt.NDArray[Any], values: npt.NDArray[Any]) -> None:
    for i, v in zip(index, values, strict=True):
        target[int(i)] = str(v)


def score(truth: list[str], guess: list[str], sources: list[str], boot: int) -> dict[str, Any]:
    bounds = assess_agreement(guess, truth, sources, n_boot=boot)
    negatives = [g for t, g in zip(truth, guess, strict=True) if t == "negative"]
    hits = sum(t == g for t, g in zip(truth, guess, strict=True))
    return {
        "n": len(truth),
        "accuracy": round(hits / len(truth), 4),
        "kappa": round(_kappa(truth, guess), 4),
        "kappa_ci_low": bounds.kappa_low,
        "kappa_ci_high": bounds.kappa_high,
        "negative_hits": negatives.count("negative"),
        "negatives": len(negatives),
    }


def _print(rows: dict[str, dict[str, Any]]) -> None:
    print("| method | accuracy | Cohen's κ [95 % CI by source] | negative recall |")
    print("|---|---|---|---|")
    for name, r in rows.items():
        print(
            f"| {name} | {r['accuracy']:.2f} | {r['kappa']:.2f} "
            f"[{r['kappa_ci_low']}, {r['kappa_ci_high']}] | "
            f"{r['negative_hits']} of {r['negatives']} |"
        )


def run_cv(boot: int) -> dict[str, Any]:
    origins: list[str] = []
    units, labels, sources, counts = load_units([DATA / name for name in BUNDLED], origins)
    print(counts, "kept", len(units), "units from", len(set(sources)), "sources")
    print("labels:", {s: labels.count(s) for s in sorted(set(labels))})
    X = features(units, encoder())
    predictions = {
        "always-neutral": ["neutral"] * len(units),
        RULES_MODEL_ID: [unit_rule_stance(u)[0] for u in units],
        **cross_validate(X, labels, sources),
    }
    rows = {name: score(labels, guess, sources, boot) for name, guess in predictions.items()}
    rules = predictions[RULES_MODEL_ID]
    same = {n: sum(a == b for a, b in zip(g, rules, strict=True)) for n, g in predictions.items()}
    print("answers identical to the rules':", same)
    # the rules were tuned on the *-dev files: the *-test files show the untuned part
    subsets = {}
    for part in ("dev", "test"):
        keep = [i for i, o in enumerate(origins) if o.endswith(f"-{part}.csv")]
        subsets[part] = {
            name: score(
                [labels[i] for i in keep], [g[i] for i in keep], [sources[i] for i in keep], boot
            )
            for name, g in predictions.items()
        }
        print(f"units from the *-{part} files only ({len(keep)}):")
        _print(subsets[part])
    return {
        "counts": counts,
        "units": len(units),
        "sources": len(set(sources)),
        "rows": rows,
        "same_as_rules": same,
        "subsets": subsets,
    }


def run_test(path: Path, boot: int) -> dict[str, Any]:
    """Fit ``lr-rules`` on all bundled units, score ``path`` once."""
    units, labels, _, counts = load_units([DATA / name for name in BUNDLED])
    encode = encoder()
    fitted = StanceClassifier().fit(features(units, encode), labels)
    test_rows: list[DevUnit] = read_devset(path)
    gazetteer = Gazetteer()
    texts = [_unit_text(row, gazetteer.find) for row in test_rows]
    found = [i for i, t in enumerate(texts) if t is not None]
    truth = [row.stance for row in test_rows]
    sources = [row.source for row in test_rows]
    learned, rules = ["missed"] * len(truth), ["missed"] * len(truth)
    kept = [t for t in texts if t is not None]
    if kept:
        _put(learned, np.asarray(found), fitted.predict(features(kept, encode)))
        for i, t in zip(found, kept, strict=True):
            rules[i] = unit_rule_stance(t)[0]
    predictions = {"always-neutral": ["neutral"] * len(truth), RULES_MODEL_ID: rules}
    predictions["lr-rules (all bundled units)"] = learned
    rows = {name: score(truth, guess, sources, boot) for name, guess in predictions.items()}
    return {"train": counts, "test": str(path), "missed": len(truth) - len(found), "rows": rows}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--boot", type=int, default=2000)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--test", type=Path, help="fit on all bundled units, score this CSV")
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    import torch

    torch.set_num_threads(args.threads)
    start = time.perf_counter()
    result = run_test(args.test, args.boot) if args.test else run_cv(args.boot)
    result["seconds"] = round(time.perf_counter() - start, 1)
    result["loadavg"] = os.getloadavg()
    result["peak_rss_mib"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    _print(result["rows"])
    print({k: result[k] for k in ("seconds", "loadavg", "peak_rss_mib")})
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
