"""Assigning user groups to authors, and a researcher's overrides.

The collectors store self-descriptions as ``group_evidence``; :func:`assign_groups`
weighs every author's evidence by the voting rules (``_rules``) and stores the group,
its confidence, the method (``rule:<strongest rule>``) and the evidence spans that
voted, in ``participants.extra["group_evidence"]``. A researcher's override
(``group_method = "manual"``) is never touched by the rules, and the manual labels
double as the sample the rules are validated against (``_coverage``).
"""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING

import sqlalchemy as sa

from earwitness.errors import EarwitnessError
from earwitness.groups._evidence import Evidence
from earwitness.groups._rules import rule_assignment
from earwitness.groups._vocabulary import GROUP_RULES, UNKNOWN, USER_GROUPS, GroupRule
from earwitness.store.records import set_user_group
from earwitness.store.schema import group_evidence, participants, utcnow

if TYPE_CHECKING:
    from earwitness.store import Store

__all__ = ["MANUAL", "assign_groups", "evidence_by_author", "override_group"]

MANUAL = "manual"


def evidence_by_author(connection: sa.Connection) -> dict[int, list[Evidence]]:
    found: dict[int, list[Evidence]] = defaultdict(list)
    for row in connection.execute(sa.select(group_evidence).order_by(group_evidence.c.id)):
        found[row.participant_id].append(
            Evidence(
                row.kind,
                row.quote,
                row.start,
                row.end,
                row.suggested_group,
                id=row.id,
                participant_id=row.participant_id,
                document_id=row.document_id,
            )
        )
    return found


def assign_groups(store: Store, rules: tuple[GroupRule, ...] = GROUP_RULES) -> dict[str, int]:
    """Assign every author a group by the rules, leaving manual overrides alone."""
    counts: dict[str, int] = defaultdict(int)
    with store.transaction() as connection:
        evidence = evidence_by_author(connection)
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
            set_user_group(connection, row.id, UNKNOWN, method="unassigned")
            extra.pop("group_override", None)
        else:
            set_user_group(connection, row.id, group, method=MANUAL, confidence=1.0)
            extra["group_override"] = {"note": note, "at": utcnow().isoformat(timespec="seconds")}
        connection.execute(
            participants.update().where(participants.c.id == row.id).values(extra=extra)
        )
