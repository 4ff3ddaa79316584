"""Assigning user groups to authors, and a researcher's overrides.

The collectors store self-descriptions as ``group_evidence``; :func:`assign_groups`
weighs every author's evidence by the voting rules (``_rules``) and stores the group,
its confidence, the method (``rule:<strongest rule>``) and the evidence spans that
voted, in ``participants.extra["group_evidence"]``. A researcher's override
(``group_method = "manual"``) is never touched by the rules, and the manual labels
double as the sample the rules are validated against (``_coverage``).
"""

from __future__ import annotations

import itertools
import json
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from earwitness.errors import EarwitnessError
from earwitness.groups._evidence import Evidence
from earwitness.groups._rules import rule_assignment
from earwitness.groups._vocabulary import GROUP_RULES, UNKNOWN, USER_GROUPS, GroupRule
from earwitness.store.records import set_user_group
from earwitness.store.schema import group_evidence, participants, utcnow

if TYPE_CHECKING:
    from earwitness.partitions import Scheduler
    from earwitness.store import Store

__all__ = [
    "MANUAL",
    "AssignJob",
    "assign_groups",
    "assign_partition",
    "evidence_by_author",
    "id_chunks",
    "manual_labels",
    "override_group",
]

MANUAL = "manual"


_IN_CHUNK = 2000  # authors per IN (...) list: within every backend's parameter limit


def id_chunks(ids: Sequence[int]) -> Iterator[list[int]]:
    """``ids`` in lists short enough for one ``IN (...)`` on every backend."""
    ids = list(ids)
    for start in range(0, len(ids), _IN_CHUNK):
        yield ids[start : start + _IN_CHUNK]


def manual_labels(store: Store) -> dict[int, str]:
    """The groups people set by hand, by participant id."""
    with store.connect() as connection:
        rows = connection.execute(
            sa.select(participants.c.id, participants.c.user_group).where(
                participants.c.group_method == MANUAL
            )
        ).all()
    return {int(row.id): str(row.user_group) for row in rows}


def evidence_by_author(
    connection: sa.Connection, authors: Sequence[int] | None = None
) -> dict[int, list[Evidence]]:
    """Stored evidence per author, in the order it was found; only ``authors``' if given."""
    query = sa.select(group_evidence).order_by(group_evidence.c.id)
    if authors is None:
        rows: Iterable[Any] = connection.execute(query)
    else:
        rows = itertools.chain.from_iterable(
            connection.execute(query.where(group_evidence.c.participant_id.in_(chunk)))
            for chunk in id_chunks(authors)
        )
    found: dict[int, list[Evidence]] = defaultdict(list)
    for row in rows:
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


# Authors per partition: their evidence is a few quotes each, so a partition is small.
PARTITION_AUTHORS = 5000


@dataclass(frozen=True)
class AssignJob:
    """One partition: its authors' evidence as Parquet and the rules to weigh it by."""

    authors: tuple[int, ...]
    evidence: bytes
    rules: tuple[GroupRule, ...]


def assign_groups(
    store: Store,
    rules: tuple[GroupRule, ...] = GROUP_RULES,
    *,
    method: str = "rules",
    scheduler: Scheduler | None = None,
    partition_authors: int = PARTITION_AUTHORS,
) -> dict[str, int]:
    """Assign every author a group, leaving manual overrides (and groups set by other
    methods, e.g. a survey answer) alone.

    ``method`` is ``rules``, ``learned`` (the model fitted on the study's manual labels,
    ``model:groups-lr-2``) or ``auto`` (learned once enough authors are labelled, else
    rules). By the rules, authors are weighed in partitions of consecutive ids (on
    ``scheduler``'s workers, or here); each partition's assignments are written in one
    transaction. The learned model scores authors here, in chunks of ``partition_authors``.
    """
    from earwitness.partitions import Scheduler, from_parquet, map_partitions, partition_ranges

    counts: dict[str, int] = defaultdict(int)
    with store.connect() as connection:
        authors = connection.execute(
            sa.select(
                participants.c.id, participants.c.group_method, participants.c.extra
            ).order_by(participants.c.id)
        ).all()
    assignable = []
    for author in authors:
        if author.group_method == MANUAL:
            counts["manual (kept)"] += 1
        elif not _assigned_by_machine(author.group_method):
            counts[f"{author.group_method} (kept)"] += 1
        else:
            assignable.append(author)
    if method != "rules":
        from earwitness.groups._study_model import assign_learned, resolve_method

        if resolve_method(store, method) == "learned":
            for chunk, rows in assign_learned(store, assignable, partition_authors):
                _write_assignments(store, chunk, rows)
                for row in rows:
                    counts[row["group"]] += 1
            return dict(counts)
    chunks = [assignable[a:b] for a, b in partition_ranges(len(assignable), partition_authors)]
    jobs = (
        AssignJob(tuple(a.id for a in chunk), _evidence_of(store, chunk), rules) for chunk in chunks
    )
    results = map_partitions(
        assign_partition,
        jobs,
        scheduler=scheduler or Scheduler(),
        label="assigning groups",
        total=len(chunks),
    )
    for chunk, result in zip(chunks, results, strict=True):
        rows = from_parquet(result).to_pylist()
        _write_assignments(store, chunk, rows)
        for row in rows:
            counts[row["group"]] += 1
    return dict(counts)


def _assigned_by_machine(method: str) -> bool:
    return method.startswith(("rule:", "model:")) or method == "unassigned"


def _evidence_of(store: Store, chunk: Sequence[Any]) -> bytes:
    from earwitness.partitions import to_parquet

    ids = [author.id for author in chunk]
    members = set(ids)
    with store.connect() as connection:
        rows = [
            row._asdict()
            for row in connection.execute(
                sa.select(group_evidence)
                .where(group_evidence.c.participant_id.between(ids[0], ids[-1]))
                .order_by(group_evidence.c.id)
            )
            if row.participant_id in members
        ]
    fields = ("id", "participant_id", "document_id", "kind", "quote", "start", "end")
    kept = [{f: r[f] for f in (*fields, "suggested_group")} for r in rows]
    return to_parquet(kept)


def assign_partition(job: AssignJob) -> bytes:
    """Group, confidence, method and votes of one partition's authors, as Parquet."""
    from earwitness.partitions import from_parquet, to_parquet

    evidence: dict[int, list[Evidence]] = defaultdict(list)
    for row in from_parquet(job.evidence).to_pylist():
        evidence[row["participant_id"]].append(
            Evidence(
                row["kind"],
                row["quote"],
                row["start"],
                row["end"],
                row["suggested_group"],
                id=row["id"],
                participant_id=row["participant_id"],
                document_id=row["document_id"],
            )
        )
    rows = []
    for author in job.authors:
        group, confidence, method, votes = rule_assignment(evidence.get(author, []), job.rules)
        rows.append(
            {
                "participant_id": author,
                "group": group,
                "confidence": confidence,
                "method": method,
                "votes": json.dumps(votes),
            }
        )
    return to_parquet(rows)


def _write_assignments(store: Store, chunk: Sequence[Any], rows: list[dict[str, Any]]) -> None:
    """One transaction: each author's group, how it was found, and the votes behind it."""
    extras = {author.id: author.extra or {} for author in chunk}
    updates = [
        {
            "b_id": row["participant_id"],
            "b_group": row["group"],
            "b_method": row["method"],
            "b_confidence": row["confidence"],
            "b_extra": {
                **extras[row["participant_id"]],
                "group_evidence": json.loads(row["votes"]),
            },
        }
        for row in rows
    ]
    if not updates:
        return
    with store.transaction() as connection:
        connection.execute(
            participants.update()
            .where(participants.c.id == sa.bindparam("b_id"))
            .values(
                user_group=sa.bindparam("b_group"),
                group_method=sa.bindparam("b_method"),
                group_confidence=sa.bindparam("b_confidence"),
                extra=sa.bindparam("b_extra", type_=participants.c.extra.type),
            ),
            updates,
        )


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
