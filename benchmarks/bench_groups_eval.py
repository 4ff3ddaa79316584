"""Evaluation: user groups on REAL public self-descriptions (a groups CSV).

Authors' texts are read as the collectors would (``find_group_evidence``) and grouped by
author; every figure is per author. Two methods:

* ``rules``: the transparent voting rules (``rule_assignment``);
* ``learned``: ``GroupModel``.

``data/groups-eval.csv`` is now **development** data (its old test split was read three
times and then tuned on; docs/groups.md). By default every author in it is scored: the
rules as they are (figures on data that was tuned on), the model by leave-one-site-out
cross-validation (fitted on the other sites' authors each time).

``--csv PATH`` scores another groups CSV (same columns) once, with the same table: the
rules as they are, the model fitted on every author of ``--train`` (default
``data/groups-eval.csv``) whose site is not in the scored file. ``--split NAME`` keeps
only the rows of that split (``--split test`` reproduces the old test-split table's
selection, the model then fitted on the dev split).

``--dev-cv`` reports, on the training file, leave-one-site-out cross-validation of the
learned model at several abstention thresholds (how the default is chosen).

Per group: recall and precision with Wilson 95 % intervals (Wilson 1927); macro recall
over amateur, pro-am and professional; coverage (share of the group-bearing authors given
any group). ``--table`` prints markdown rows as in docs/groups.md instead of JSON.

Run: PYTHONPATH=. .venv/bin/python benchmarks/bench_groups_eval.py [--csv PATH] [--split S]
     [--dev-cv] [--table]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from earwitness.groups import (
    DEFAULT_THRESHOLD,
    GROUPS,
    MODEL_NAME,
    UNKNOWN,
    AuthorEvidence,
    GroupModel,
    author_evidence,
    rule_assignment,
)
from earwitness.intervals import wilson_interval

DATA = Path(__file__).resolve().parents[1] / "data" / "groups-eval.csv"
THRESHOLDS = [0.3, 0.35, 0.4, 0.45, 0.5, 0.6]


@dataclass(frozen=True)
class Authors:
    """One CSV's authors (of one split, or all): evidence, label and site."""

    evidence: list[AuthorEvidence]
    labels: list[str]
    sites: list[str]


def load(
    path: Path, split: str | None = None, exclude_sites: frozenset[str] = frozenset()
) -> Authors:
    texts: dict[str, list[str]] = defaultdict(list)
    labels: dict[str, str] = {}
    sites: dict[str, str] = {}
    with path.open(newline="") as handle:
        for row in csv.DictReader(handle):
            if (split is not None and row.get("split") != split) or row["site"] in exclude_sites:
                continue
            texts[row["author"]].append(row["text"])
            labels[row["author"]] = row["group"]
            sites[row["author"]] = row["site"]
    names = sorted(texts)
    return Authors(
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


def site_cv(
    data: Authors, thresholds: list[float] | None = None, **settings: Any
) -> dict[float, list[str]]:
    """Each author predicted, at each threshold, by a model fitted on the other sites'
    authors (one fit per site; the threshold only decides)."""
    thresholds = thresholds or [DEFAULT_THRESHOLD]
    machine = {t: [UNKNOWN] * len(data.labels) for t in thresholds}
    for site in sorted(set(data.sites)):
        train = [i for i, s in enumerate(data.sites) if s != site]
        held = [i for i, s in enumerate(data.sites) if s == site]
        model = GroupModel(**settings).fit(
            [data.evidence[i] for i in train], [data.labels[i] for i in train]
        )
        for threshold in thresholds:
            model.threshold = threshold
            decided = model.predict([data.evidence[i] for i in held])
            for i, group in zip(held, decided, strict=True):
                machine[threshold][i] = group
    return machine


def dev_cv(train: Path, thresholds: list[float]) -> dict[str, Any]:
    data = load(train)
    found: dict[str, Any] = {
        str(t): scores(data.labels, machine) for t, machine in site_cv(data, thresholds).items()
    }
    found["rules"] = scores(data.labels, rules(data.evidence))
    found["loadavg"] = os.getloadavg()
    return found


def evaluate(path: Path, train: Path, split: str | None) -> dict[str, Any]:
    """The rules and the model on one CSV (see the module's docstring)."""
    scored = load(path, split)
    result: dict[str, Any] = {
        "csv": str(path),
        "split": split or "all",
        "rules": scores(scored.labels, rules(scored.evidence)),
    }
    if path.resolve() == train.resolve() and split is None:
        result["learned"] = scores(scored.labels, site_cv(scored)[DEFAULT_THRESHOLD])
        result["learned_basis"] = "leave-one-site-out cross-validation"
    else:
        held = frozenset(scored.sites)
        if path.resolve() == train.resolve():
            # the old dev/test selection: fit on the other split of the same file
            fit_on = load(train, "dev" if split == "test" else None, exclude_sites=held)
        else:
            fit_on = load(train, exclude_sites=held)
        model = GroupModel().fit(fit_on.evidence, fit_on.labels)
        result["learned"] = scores(scored.labels, model.predict(scored.evidence))
        result["learned_basis"] = f"fitted on {len(fit_on.labels)} authors of {train.name}"
    result["learned_model"] = MODEL_NAME
    result["learned_threshold"] = DEFAULT_THRESHOLD
    result["loadavg"] = os.getloadavg()
    return result


def _cell(row: dict[str, Any]) -> str:
    if not row["manual"]:
        return "no authors"
    recall = f"{row['agree']}/{row['manual']} = {row['recall']:.2f}"
    low, high = row["recall_ci"]
    if not row["assigned"]:
        precision = "none"
    elif row["agree"] == row["assigned"]:
        precision = f"{row['agree']}/{row['assigned']}"
    else:
        p_low, p_high = row["precision_ci"]
        precision = (
            f"{row['agree']}/{row['assigned']} = {row['precision']:.2f} [{p_low:.2f}, {p_high:.2f}]"
        )
    return f"{recall} [{low:.2f}, {high:.2f}] ({precision})"


def table(result: dict[str, Any]) -> str:
    """Markdown rows: method, per-group recall (precision), macro recall, coverage."""
    lines = [
        "| method | amateur R (P) | pro-am R (P) | professional R (P) | macro recall | coverage "
        "| unknown authors given a group |",
        "|---|---|---|---|---|---|---|",
    ]
    for method, name in (("rules", "rules"), ("learned", f"learned (`{MODEL_NAME}`)")):
        rows = result[method]
        cells = " | ".join(_cell(rows[g]) for g in GROUPS)
        summary = rows["all"]
        lines.append(
            f"| {name} | {cells} | {summary['macro_recall']:.2f} | {summary['coverage']:.2f} "
            f"| {summary['unknown_given_a_group']} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--csv", type=Path, default=DATA, help="the groups CSV to score")
    parser.add_argument("--train", type=Path, default=DATA, help="the CSV the model is fitted on")
    parser.add_argument("--split", default=None, help="score only the rows of this split")
    parser.add_argument("--dev-cv", action="store_true")
    parser.add_argument("--table", action="store_true", help="markdown rows instead of JSON")
    args = parser.parse_args()
    if args.dev_cv:
        print(json.dumps(dev_cv(args.train, THRESHOLDS), indent=1))
        return
    result = evaluate(args.csv, args.train, args.split)
    if args.table:
        print(table(result))
        print(
            f"\n{result['csv']}, {result['split']}; learned: {result['learned_basis']}, "
            f"threshold {result['learned_threshold']}; load average {result['loadavg'][0]:.2f}"
        )
    else:
        print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
