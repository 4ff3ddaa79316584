"""Evaluation: user groups on REAL public self-descriptions (``data/groups-eval.csv``).

Authors' texts are read as the collectors would (``find_group_evidence``) and grouped by
author; every figure is per author. Two methods, scored on the **test** split only:

* ``rules``: the transparent voting rules (``rule_assignment``);
* ``learned``: ``GroupModel`` fitted on the **dev** split's labelled authors.

``--dev-cv`` instead reports, on the dev split alone, leave-one-site-out cross-validation
of the learned model at several abstention thresholds (how the default was chosen; the
test split plays no part in it).

Per group: recall and precision with Wilson 95 % intervals (Wilson 1927); macro recall
over amateur, pro-am and professional; coverage (share of the group-bearing authors given
any group).

Run: PYTHONPATH=. .venv/bin/python benchmarks/bench_groups_eval.py [--dev-cv] [--json]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
from collections import defaultdict
from pathlib import Path
from typing import Any

from earwitness.groups import (
    GROUPS,
    UNKNOWN,
    AuthorEvidence,
    GroupModel,
    author_evidence,
    rule_assignment,
)
from earwitness.intervals import wilson_interval

DATA = Path(__file__).resolve().parents[1] / "data" / "groups-eval.csv"


def load(split: str) -> tuple[list[AuthorEvidence], list[str], list[str]]:
    """Authors of one split: their evidence, their (one) label and their site."""
    texts: dict[str, list[str]] = defaultdict(list)
    labels: dict[str, str] = {}
    sites: dict[str, str] = {}
    with DATA.open(newline="") as handle:
        for row in csv.DictReader(handle):
            if row["split"] != split:
                continue
            texts[row["author"]].append(row["text"])
            labels[row["author"]] = row["group"]
            sites[row["author"]] = row["site"]
    names = sorted(texts)
    return (
        [author_evidence(texts[a]) for a in names],
        [labels[a] for a in names],
        [sites[a] for a in names],
    )


def rules(authors: list[AuthorEvidence]) -> list[str]:
    return [rule_assignment(list(a.evidence))[0] for a in authors]


def scores(human: list[str], machine: list[str]) -> dict[str, Any]:
    rows: dict[str, Any] = {}
    recalls = []
    for group in GROUPS:
        people = sum(h == group for h in human)
        said = sum(m == group for m in machine)
        both = sum(h == m == group for h, m in zip(human, machine, strict=True))
        recall = both / people if people else None
        if recall is not None:
            recalls.append(recall)
        rows[group] = {
            "manual": people,
            "assigned": said,
            "agree": both,
            "recall": _r(recall),
            "recall_ci": [_r(v) for v in wilson_interval(both, people)] if people else None,
            "precision": _r(both / said) if said else None,
            "precision_ci": [_r(v) for v in wilson_interval(both, said)] if said else None,
        }
    grouped = [m for h, m in zip(human, machine, strict=True) if h in GROUPS]
    wrongly = sum(h == UNKNOWN and m != UNKNOWN for h, m in zip(human, machine, strict=True))
    rows["all"] = {
        "authors": len(human),
        "macro_recall": _r(sum(recalls) / len(recalls)) if recalls else None,
        "coverage": _r(sum(m != UNKNOWN for m in grouped) / len(grouped)) if grouped else None,
        "unknown_given_a_group": f"{wrongly} of {sum(h == UNKNOWN for h in human)}",
    }
    return rows


def _r(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


def dev_cv(thresholds: list[float]) -> dict[str, Any]:
    authors, labels, sites = load("dev")
    found: dict[str, Any] = {}
    for threshold in thresholds:
        machine = [UNKNOWN] * len(authors)
        for site in sorted(set(sites)):
            train = [i for i, s in enumerate(sites) if s != site]
            held = [i for i, s in enumerate(sites) if s == site]
            model = GroupModel(threshold=threshold).fit(
                [authors[i] for i in train], [labels[i] for i in train]
            )
            for i, group in zip(held, model.predict([authors[i] for i in held]), strict=True):
                machine[i] = group
        found[str(threshold)] = scores(labels, machine)
    found["rules"] = scores(labels, rules(authors))
    return found


def test_split() -> dict[str, Any]:
    dev_authors, dev_labels, _ = load("dev")
    authors, labels, _ = load("test")
    model = GroupModel().fit(dev_authors, dev_labels)
    return {
        "rules": scores(labels, rules(authors)),
        "learned": scores(labels, model.predict(authors)),
        "learned_threshold": model.threshold,
        "loadavg": os.getloadavg(),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--dev-cv", action="store_true")
    args = parser.parse_args()
    result = dev_cv([0.35, 0.4, 0.5, 0.6, 0.7]) if args.dev_cv else test_split()
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
