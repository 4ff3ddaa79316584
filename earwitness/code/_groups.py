"""User group of pseudonymous forum authors from what they say about themselves.

The collectors store self-descriptions as ``group_evidence`` (flair, years of
experience, paid work, "hobbyist", "I master for a living"). Transparent rules read
that evidence: each rule is a named regular expression voting for one group with a
weight. An author gets the group with the most weight, a confidence equal to that
group's share of all the weight, and the evidence spans that voted, stored in
``participants.extra["group_evidence"]``; ``group_method`` is ``rule:<strongest rule>``.
Authors with no matching evidence stay ``unknown``; a tie gives ``unknown`` with
``rule:conflict``. A researcher's override (``group_method = "manual"``) is never
touched by the rules, and the manual labels double as the sample the rules are
validated against.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from earwitness.code._segment import UNIT_KINDS
from earwitness.code.reliability import krippendorff_alpha
from earwitness.errors import EarwitnessError
from earwitness.store.records import set_user_group
from earwitness.store.schema import (
    USER_GROUPS,
    documents,
    group_evidence,
    participants,
    segments,
    utcnow,
)

if TYPE_CHECKING:
    from earwitness.store import Store

__all__ = [
    "GROUP_RULES",
    "GroupRule",
    "assign_groups",
    "group_coverage",
    "override_group",
    "rule_assignment",
    "validate_group_rules",
]

MANUAL = "manual"
_NEGATION = re.compile(r"\b(?:not|never|no longer|no|isn't|am not|ain't|aren't)\W+(?:\w+\W+){0,2}$")


@dataclass(frozen=True)
class GroupRule:
    """A named pattern that, found in an author's self-description, votes for a group."""

    name: str
    group: str
    pattern: str
    weight: float
    kinds: tuple[str, ...] = ()  # evidence kinds it reads; empty means all
    negatable: bool = True

    def matches(self, kind: str, quote: str) -> list[tuple[int, int]]:
        if self.kinds and kind not in self.kinds:
            return []
        found = []
        for match in re.finditer(self.pattern, quote, flags=re.IGNORECASE):
            if self.negatable and _NEGATION.search(
                quote[max(0, match.start() - 25) : match.start()]
            ):
                continue
            found.append((match.start(), match.end()))
        return found


GROUP_RULES: tuple[GroupRule, ...] = (
    GroupRule(
        "for-a-living",
        "professional",
        r"\b(?:for a living|full[- ]time (?:mix|master|audio|engineer)\w*|(?:my|paying) clients"
        r"|professional (?:mix|master)\w* engineer|(?:run|own) (?:a|my) (?:\w+ )?studio"
        r"|(?:mix|master)\w* (?:is|as) my (?:job|day job|profession))\b",
        3.0,
    ),
    GroupRule("credits", "professional", r"\b(?:grammy|platinum record|major[- ]label)\b", 2.0),
    GroupRule(
        "flair-professional",
        "professional",
        r"\b(?:professional|pro (?:engineer|mixer)|mastering engineer|mix(?:ing)? engineer)\b",
        2.0,
        kinds=("flair",),
    ),
    GroupRule(
        "semi-pro",
        "pro-am",
        r"\b(?:semi[- ]?pro|side (?:hustle|gig|job|income)|part[- ]time"
        r"|some paid (?:work|gigs|jobs)|occasionally (?:get )?paid|a few (?:paying )?clients"
        r"|paid gigs?|get paid sometimes)\b",
        2.0,
    ),
    GroupRule(
        "hobbyist",
        "amateur",
        r"\b(?:hobby(?:ist)?|bedroom producer|just for fun|beginner|newbie|noob"
        r"|never been paid|not a pro(?:fessional)?|for fun)\b",
        2.0,
        negatable=False,
    ),
    GroupRule(
        "novice-years",
        "amateur",
        r"\b(?:[0-2]|one|two|a couple of|a few)\s+(?:years?|months?)\s+(?:of\s+)?"
        r"(?:experience|producing|mixing|making music)",
        1.0,
        negatable=False,
    ),
)


@dataclass(frozen=True)
class Evidence:
    id: int
    participant_id: int
    document_id: int | None
    start: int | None
    end: int | None
    quote: str
    kind: str
    suggested_group: str | None


def rule_assignment(
    evidence: list[Evidence], rules: tuple[GroupRule, ...] = GROUP_RULES
) -> tuple[str, float | None, str, list[dict[str, Any]]]:
    """(group, confidence, method, votes) for one author's evidence."""
    votes: list[dict[str, Any]] = []
    for item in evidence:
        for rule in rules:
            for start, end in rule.matches(item.kind, item.quote):
                votes.append(_vote(item, rule.name, rule.group, rule.weight, start, end))
        if item.suggested_group in USER_GROUPS and item.suggested_group != "unknown":
            votes.append(_vote(item, "collector", item.suggested_group, 1.0, 0, len(item.quote)))
    if not votes:
        return "unknown", None, "rule:none", []
    weight: dict[str, float] = defaultdict(float)
    for vote in votes:
        weight[vote["group"]] += vote["weight"]
    ranked = sorted(weight.items(), key=lambda kv: -kv[1])
    if len(ranked) > 1 and ranked[0][1] == ranked[1][1]:
        return "unknown", None, "rule:conflict", votes
    group, top = ranked[0]
    strongest = max((v for v in votes if v["group"] == group), key=lambda v: v["weight"])
    return group, round(top / sum(weight.values()), 4), f"rule:{strongest['rule']}", votes


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


def _evidence_by_author(connection: sa.Connection) -> dict[int, list[Evidence]]:
    found: dict[int, list[Evidence]] = defaultdict(list)
    for row in connection.execute(sa.select(group_evidence).order_by(group_evidence.c.id)):
        found[row.participant_id].append(
            Evidence(
                row.id,
                row.participant_id,
                row.document_id,
                row.start,
                row.end,
                row.quote,
                row.kind,
                row.suggested_group,
            )
        )
    return found


def assign_groups(store: Store, rules: tuple[GroupRule, ...] = GROUP_RULES) -> dict[str, int]:
    """Assign every author a group by the rules, leaving manual overrides alone."""
    counts: dict[str, int] = defaultdict(int)
    with store.transaction() as connection:
        evidence = _evidence_by_author(connection)
        authors = connection.execute(
            sa.select(participants.c.id, participants.c.group_method, participants.c.extra)
        ).all()
        for author in authors:
            if author.group_method == MANUAL:
                counts["manual (kept)"] += 1
                continue
            if not (author.group_method.startswith("rule:") or author.group_method == "unassigned"):
                counts[f"{author.group_method} (kept)"] += 1
                continue
            group, confidence, method, votes = rule_assignment(evidence.get(author.id, []), rules)
            set_user_group(connection, author.id, group, method=method, confidence=confidence)
            extra = {**(author.extra or {}), "group_evidence": votes}
            connection.execute(
                participants.update().where(participants.c.id == author.id).values(extra=extra)
            )
            counts[group] += 1
    return dict(counts)


def override_group(store: Store, pseudonym: str, group: str | None, *, note: str = "") -> None:
    """Set an author's group by hand (never overwritten by rules); ``None`` clears it."""
    if group is not None and group not in USER_GROUPS:
        raise EarwitnessError(f"user group must be one of {', '.join(USER_GROUPS)}, not {group!r}")
    with store.transaction() as connection:
        row = connection.execute(
            sa.select(participants.c.id, participants.c.extra).where(
                participants.c.pseudonym == pseudonym
            )
        ).first()
        if row is None:
            raise EarwitnessError(f"no participant with pseudonym {pseudonym!r}")
        extra = dict(row.extra or {})
        if group is None:
            set_user_group(connection, row.id, "unknown", method="unassigned")
            extra.pop("group_override", None)
        else:
            set_user_group(connection, row.id, group, method=MANUAL, confidence=1.0)
            extra["group_override"] = {"note": note, "at": utcnow().isoformat(timespec="seconds")}
        connection.execute(
            participants.update().where(participants.c.id == row.id).values(extra=extra)
        )


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
    known_a = total_authors - by_group.get("unknown", 0)
    known_s = total_segments - int(segment_counts.get("unknown", 0))
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
    store: Store, rules: tuple[GroupRule, ...] = GROUP_RULES
) -> dict[str, Any]:
    """Agreement of the rules with the researcher's manual labels (the validation sample)."""
    with store.connect() as connection:
        evidence = _evidence_by_author(connection)
        manual = connection.execute(
            sa.select(participants.c.id, participants.c.user_group).where(
                participants.c.group_method == MANUAL
            )
        ).all()
    pairs = [
        (row.user_group, rule_assignment(evidence.get(row.id, []), rules)[0]) for row in manual
    ]
    if not pairs:
        raise EarwitnessError(
            "no manually labelled authors to validate against; label a sample with "
            "`earwitness code groups override`"
        )
    agree = sum(1 for human, rule in pairs if human == rule)
    alpha = krippendorff_alpha([[h for h, _ in pairs], [r for _, r in pairs]])
    return {
        "authors": len(pairs),
        "agreement": round(agree / len(pairs), 4),
        "alpha": None if alpha != alpha else round(alpha, 4),
        "rule_unknown": sum(1 for _, rule in pairs if rule == "unknown"),
    }
