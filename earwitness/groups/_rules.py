"""Weighing an author's evidence into a group by the transparent voting rules.

Each rule (:data:`~earwitness.groups._vocabulary.GROUP_RULES`) is a named regular
expression voting for one group with a weight. An author gets the group with the most
weight and a confidence equal to that group's share of all the weight; ``method`` is
``rule:<strongest rule>``. No matching evidence gives ``unknown`` with ``rule:none``, a
tie ``unknown`` with ``rule:conflict``. The group a collector suggested for a piece of
evidence votes with weight 1 under the rule name ``collector``.

An author who says they live from other work (the ``day-job`` rule: "my day job", "I make
my bread and butter as a teacher") and is also paid for music is pro-am in Stebbins'
sense (paid, but not a living): their professional votes count for pro-am (each such
vote keeps ``"recast_from": "professional"``).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from earwitness.groups._evidence import Evidence
from earwitness.groups._vocabulary import (
    DAY_JOB_RULE,
    GROUP_RULES,
    UNKNOWN,
    USER_GROUPS,
    GroupRule,
)

__all__ = ["rule_assignment"]


def rule_assignment(
    evidence: list[Evidence], rules: tuple[GroupRule, ...] = GROUP_RULES
) -> tuple[str, float | None, str, list[dict[str, Any]]]:
    """(group, confidence, method, votes) for one author's evidence."""
    votes: list[dict[str, Any]] = []
    for item in evidence:
        for rule in rules:
            for start, end in rule.matches(item.kind, item.quote):
                votes.append(_vote(item, rule.name, rule.group, rule.weight, start, end))
        if item.suggested_group in USER_GROUPS and item.suggested_group != UNKNOWN:
            votes.append(_vote(item, "collector", item.suggested_group, 1.0, 0, len(item.quote)))
    if not votes:
        return UNKNOWN, None, "rule:none", []
    if any(v["rule"] == DAY_JOB_RULE for v in votes):
        votes = [_not_a_living(v) for v in votes]
    weight: dict[str, float] = defaultdict(float)
    for vote in votes:
        weight[vote["group"]] += vote["weight"]
    ranked = sorted(weight.items(), key=lambda kv: -kv[1])
    if len(ranked) > 1 and ranked[0][1] == ranked[1][1]:
        return UNKNOWN, None, "rule:conflict", votes
    group, top = ranked[0]
    strongest = max((v for v in votes if v["group"] == group), key=lambda v: v["weight"])
    return group, round(top / sum(weight.values()), 4), f"rule:{strongest['rule']}", votes


def _not_a_living(vote: dict[str, Any]) -> dict[str, Any]:
    if vote["group"] != "professional":
        return vote
    return {**vote, "group": "pro-am", "recast_from": "professional"}


def _vote(
    item: Evidence, rule: str, group: str, weight: float, start: int, end: int
) -> dict[str, Any]:
    return {
        "evidence_id": item.id,
        "rule": rule,
        "group": group,
        "weight": weight,
        "document_id": item.document_id,
        "evidence_start": item.start,
        "evidence_end": item.end,
        "match": item.quote[start:end],
        "match_start": start,
        "match_end": end,
    }
