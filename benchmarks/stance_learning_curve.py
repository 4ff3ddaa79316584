"""Learning curve of the learned stance methods on real text, trained on the dev split and
scored on the test split only.

REAL, LABELLED DATA: ``data/stance-dev.csv`` + ``data/stance-heldout-dev.csv`` +
``data/stance-v3-dev.csv`` (the training pool; the rules were tuned on it) and
``data/stance-test.csv`` + ``data/stance-heldout-test.csv`` + ``data/stance-v3-test.csv``
(the test split). ``stance-dev.csv`` and
``stance-test.csv`` share 8 source URLs, so test units from a source in the training pool
are left out: every figure is held out by source, and therefore by document.

For each training size, ``DRAWS`` random subsets of the training pool (seeded, two stances
or more) train each method, which then labels every test unit. Per size and method: the
kappa of the pooled predictions of all draws against the labels, its 95 % percentile
bootstrap interval resampling test sources (``earwitness.provenance.assess_agreement``),
and the range of the draws' own kappas. Baselines in the same run: always-neutral and the
rules (no training), and the frozen-encoder classifier (``target-logreg``), whose fit time
the few-shot fit time is set against.

Run: .venv/bin/python benchmarks/stance_learning_curve.py [--draws 3] [--sizes 10,20,40,82]
[--threads 1]
"""

from __future__ import annotations

import argparse
import os
import resource
import time
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.metrics import cohen_kappa_score

from earwitness.code.assist._devset import _objects, _unit_text, read_devset
from earwitness.code.assist._embeddings import load_model, resolve_model
from earwitness.code.assist._stance import Gazetteer, StanceClassifier
from earwitness.code.assist._stance_fewshot import FewShotStance
from earwitness.code.assist._stance_learn import marked_window, rule_features, unit_rule_stance
from earwitness.code.assist._target_stance import RULES_MODEL_ID
from earwitness.provenance import assess_agreement

DATA = Path(__file__).resolve().parents[1] / "data"
TRAIN = ("stance-dev.csv", "stance-heldout-dev.csv", "stance-v3-dev.csv")
TEST = ("stance-test.csv", "stance-heldout-test.csv", "stance-v3-test.csv")


def _load(names: Sequence[str]) -> tuple[np.ndarray, list[str], list[str]]:
    gazetteer, units, labels, sources = Gazetteer(), [], [], []
    for name in names:
        for row in read_devset(DATA / name):
            text = _unit_text(row, gazetteer.find)
            if text is not None:
                units.append(text)
                labels.append(row.stance)
                sources.append(row.source)
    return _objects(units), labels, sources


def _draws(labels: list[str], size: int, draws: int, seed: int) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    if size >= len(labels):
        return [np.arange(len(labels))]
    found: list[np.ndarray] = []
    while len(found) < draws:
        chosen = rng.permutation(len(labels))[:size]
        if len({labels[i] for i in chosen}) >= 2:
            found.append(chosen)
    return found


def _row(
    size: int,
    method: str,
    truth: list[str],
    runs: list[list[str]],
    sources: list[str],
    seconds: float,
) -> dict[str, Any]:
    pooled_truth = truth * len(runs)
    pooled = [p for run in runs for p in run]
    bounds = assess_agreement(pooled, pooled_truth, sources * len(runs), n_boot=2000)
    kappas = [cohen_kappa_score(truth, run) for run in runs]
    negatives = [p for t, p in zip(pooled_truth, pooled, strict=True) if t == "negative"]
    return {
        "train_units": size,
        "method": method,
        "draws": len(runs),
        "kappa": round(float(cohen_kappa_score(pooled_truth, pooled)), 3),
        "ci": (bounds.kappa_low, bounds.kappa_high),
        "draw_kappas": (round(min(kappas), 3), round(max(kappas), 3)),
        "accuracy": round(
            float(np.mean([t == p for t, p in zip(pooled_truth, pooled, strict=True)])), 3
        ),
        "negative_recall": round(negatives.count("negative") / len(negatives), 3)
        if negatives
        else None,
        "fit_seconds": round(seconds / len(runs), 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--draws", type=int, default=3)
    parser.add_argument("--sizes", default="10,20,40,82")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1, help="torch threads (shared CPU)")
    args = parser.parse_args()
    import torch

    torch.set_num_threads(args.threads)
    train_x, train_y, _ = _load(TRAIN)
    test_x, test_y, test_sources = _load(TEST)
    # stance-dev.csv and stance-test.csv share source URLs: keep only unseen sources
    seen = set(_load(TRAIN)[2])
    kept = [i for i, source in enumerate(test_sources) if source not in seen]
    print(f"test units from a training source, left out: {len(test_y) - len(kept)}")
    test_x = test_x[kept]
    test_y, test_sources = [test_y[i] for i in kept], [test_sources[i] for i in kept]
    encoder = load_model(resolve_model().location, "cpu")

    def embed(units: np.ndarray) -> np.ndarray:
        vectors = encoder.encode([marked_window(u) for u in units], normalize_embeddings=True)
        return np.hstack([np.asarray(vectors), rule_features(list(units))])

    frozen_train, frozen_test = embed(train_x), embed(test_x)
    print(
        f"load average {os.getloadavg()[0]:.1f}; train {len(train_y)} units, test {len(test_y)} "
        f"units from {len(set(test_sources))} sources; truth {Counter(test_y)}"
    )
    rules = [unit_rule_stance(u)[0] for u in test_x]
    print(_row(0, "always-neutral", test_y, [["neutral"] * len(test_y)], test_sources, 0.0))
    print(_row(0, RULES_MODEL_ID, test_y, [rules], test_sources, 0.0))
    methods: dict[str, Callable[[np.ndarray, list[str]], list[str]]] = {
        "target-logreg": lambda idx, y: list(
            StanceClassifier().fit(frozen_train[idx], y).predict(frozen_test)
        ),
        "setfit-logreg": lambda idx, y: list(
            FewShotStance(encoder, random_state=args.seed).fit(train_x[idx], y).predict(test_x)
        ),
    }
    for size in (int(s) for s in args.sizes.split(",")):
        draws = _draws(train_y, size, args.draws, args.seed + size)
        for name, run in methods.items():
            started = time.perf_counter()
            runs = [[str(p) for p in run(idx, [train_y[i] for i in idx])] for idx in draws]
            seconds = time.perf_counter() - started
            print(
                _row(min(size, len(train_y)), name, test_y, runs, test_sources, seconds),
                f"load {os.getloadavg()[0]:.1f}",
                flush=True,
            )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS {peak:.0f} MiB; load average {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
