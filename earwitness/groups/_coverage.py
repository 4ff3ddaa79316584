"""How much of a study has a user group, and how well the rules agree with the researcher."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from earwitness.errors import EarwitnessError
from earwitness.groups._assign import evidence_by_author, manual_labels
from earwitness.groups._rules import rule_assignment
from earwitness.groups._vocabulary import GROUP_RULES, GROUPS, UNKNOWN, USER_GROUPS, GroupRule
from earwitness.store.schema import UNIT_KINDS, documents, participants, segments

if TYPE_CHECKING:
    from earwitness.store import Store

__all__ = ["group_coverage", "nominal_alpha", "validate_group_rules"]


def group_coverage(store: Store) -> list[dict[str, Any]]:
    """Authors and their segments per group, so comparisons can state their coverage."""
    with store.connect() as connection:
        authors = connection.execute(
            sa.select(participants.c.user_group, sa.func.count(sa.distinct(participants.c.id)))
            .join(documents, documents.c.participant_id == participants.c.id)
            .group_by(participants.c.user_group)
        ).all()
        segment_counts: dict[str, int] = {
            str(group): int(n)
            for group, n in connection.execute(
                sa.select(participants.c.user_group, sa.func.count(segments.c.id))
                .join(documents, documents.c.participant_id == participants.c.id)
                .join(segments, segments.c.document_id == documents.c.id)
                .where(segments.c.kind.in_(UNIT_KINDS))
                .group_by(participants.c.user_group)
            ).all()
        }
    by_group = {group: int(n) for group, n in authors}
    total_authors = sum(by_group.values())
    total_segments = sum(segment_counts.values())
    rows = []
    for group in USER_GROUPS:
        n_authors, n_segments = by_group.get(group, 0), int(segment_counts.get(group, 0))
        rows.append(
            {
                "group": group,
                "authors": n_authors,
                "authors_share": round(n_authors / total_authors, 4) if total_authors else None,
                "segments": n_segments,
                "segments_share": round(n_segments / total_segments, 4) if total_segments else None,
            }
        )
    known_a = total_authors - by_group.get(UNKNOWN, 0)
    known_s = total_segments - int(segment_counts.get(UNKNOWN, 0))
    rows.append(
        {
            "group": "with a group",
            "authors": known_a,
            "authors_share": round(known_a / total_authors, 4) if total_authors else None,
            "segments": known_s,
            "segments_share": round(known_s / total_segments, 4) if total_segments else None,
        }
    )
    return rows


def validate_group_rules(
    store: Store,
    rules: tuple[GroupRule, ...] = GROUP_RULES,
    *,
    seed: int = 0,
    method: str = "rules",
) -> list[dict[str, Any]]:
    """The rules against the researcher's manual labels (the validation sample).

    One row per group with the rules' recall (of the authors people put in the group,
    the share the rules put there too) and precision (of the authors the rules put there,
    the share people agree with), then an ``all`` row: agreement and Krippendorff's alpha
    over every labelled author, and alpha over only the authors the rules assigned a group
    (so a sample dominated by ``unknown`` cannot look reliable), with their number, and
    Cohen's kappa over those with its 95 % bootstrap interval over authors, a ``flag`` when
    it is below the provenance rule's bar and ``more_labels`` (how many more labelled
    authors would bring the lower bound there, if the agreement held; empty when none
    would).

    ``method="learned"`` scores the learned model the same way, each labelled author
    predicted by a model fitted without them (k-fold cross-validation over authors); the
    columns keep their names (``by_rules`` is then what the model assigned).
    """
    if method not in ("rules", "learned"):
        raise EarwitnessError(f"method must be rules or learned, not {method!r}")
    ids, pairs = _pairs(store, rules, method, seed)
    assigned_ids = [a for a, (_, rule) in zip(ids, pairs, strict=True) if rule != UNKNOWN]
    if not pairs:
        raise EarwitnessError(
            "no manually labelled authors to validate against; label a sample with "
            "`earwitness groups override`"
        )
    rows = [_group_row(group, pairs) for group in GROUPS]
    assigned = [(h, r) for h, r in pairs if r != UNKNOWN]
    agree = sum(1 for human, rule in pairs if human == rule)
    alpha = nominal_alpha([h for h, _ in pairs], [r for _, r in pairs])
    alpha_assigned = (
        nominal_alpha([h for h, _ in assigned], [r for _, r in assigned])
        if assigned
        else float("nan")
    )
    rows.append(
        {
            "group": "all",
            "manual": len(pairs),
            "by_rules": len(assigned),
            "agree": agree,
            "recall": round(agree / len(pairs), 4),
            "precision": round(sum(h == r for h, r in assigned) / len(assigned), 4)
            if assigned
            else None,
            "alpha": _rounded(alpha),
            "alpha_assigned": _rounded(alpha_assigned),
            "rule_unknown": len(pairs) - len(assigned),
            **_assigned_agreement(assigned, assigned_ids, seed),
        }
    )
    return rows


def _pairs(
    store: Store, rules: tuple[GroupRule, ...], method: str, seed: int
) -> tuple[list[int], list[tuple[str, str]]]:
    """The manually labelled authors, and (people's group, the method's group) for each."""
    if method == "learned":
        from earwitness.groups._study_model import cross_validated

        if not manual_labels(store):
            return [], []
        found = cross_validated(store, seed=seed)
        return [a for a, _, _ in found], [(h, m) for _, h, m in found]
    labels = manual_labels(store)
    with store.connect() as connection:
        evidence = evidence_by_author(connection, list(labels))
    pairs = [(group, rule_assignment(evidence.get(a, []), rules)[0]) for a, group in labels.items()]
    return list(labels), pairs


def _assigned_agreement(
    assigned: Sequence[tuple[str, str]], authors: Sequence[int], seed: int
) -> dict[str, Any]:
    """Cohen's kappa of the rules against people over the authors the rules assigned, with
    its bootstrap interval over authors, judged by the one provenance rule."""
    from earwitness.provenance import assess_agreement  # numpy: not at `groups --help`

    found = assess_agreement(
        [r for _, r in assigned], [h for h, _ in assigned], list(authors), seed=seed
    )
    return {
        "kappa_assigned": found.kappa,
        "kappa_ci_low": found.kappa_low,
        "kappa_ci_high": found.kappa_high,
        "flag": found.flag,
        "more_labels": found.more_labels,
    }


def _group_row(group: str, pairs: Sequence[tuple[str, str]]) -> dict[str, Any]:
    people = sum(1 for h, _ in pairs if h == group)
    machine = sum(1 for _, r in pairs if r == group)
    both = sum(1 for h, r in pairs if h == r == group)
    return {
        "group": group,
        "manual": people,
        "by_rules": machine,
        "agree": both,
        "recall": round(both / people, 4) if people else None,
        "precision": round(both / machine, 4) if machine else None,
        "alpha": None,
        "alpha_assigned": None,
        "rule_unknown": sum(1 for h, r in pairs if h == group and r == UNKNOWN),
        "kappa_assigned": None,
        "kappa_ci_low": None,
        "kappa_ci_high": None,
        "flag": "",
        "more_labels": None,
    }


def _rounded(value: float) -> float | None:
    return None if value != value else round(value, 4)


def nominal_alpha(first: Sequence[str], second: Sequence[str]) -> float:
    """Krippendorff's alpha, nominal, for two coders who labelled every unit.

    Krippendorff (2011), *Computing Krippendorff's Alpha-Reliability*: with every unit
    pairable, the coincidence matrix counts each unit's two values in both orders, so
    ``alpha = 1 - (n - 1) * D_o / D_e`` with ``n = 2 * units``, ``D_o`` the share of
    disagreeing pairs and ``D_e = sum over c != k of n_c * n_k / n``. NaN when every
    value is the same (no expected disagreement). Equal to
    ``earwitness.code.krippendorff_alpha`` on such data (tests/groups check it).
    """
    if len(first) != len(second):
        raise ValueError("both coders need a value for every unit")
    n = 2 * len(first)
    observed = 2 * sum(1 for a, b in zip(first, second, strict=True) if a != b)
    totals = Counter([*first, *second])
    expected = (n * n - sum(c * c for c in totals.values())) / (n - 1) if n > 1 else 0.0
    if expected == 0:
        return float("nan")
    return 1.0 - observed / expected
