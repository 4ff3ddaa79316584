"""The stance labelling queue: one unit (segment x tool) at a time, stored as human labels.

Labels go through :func:`earwitness.code.assist.label_stance`, the function behind
``code stance import``, so provenance and validation count them like imported labels.
"""

from __future__ import annotations

import math
from typing import Any

import sqlalchemy as sa

from earwitness.errors import BadInputError
from earwitness.provenance import MIN_LOWER_BOUND, MIN_VALIDATION
from earwitness.store import Store
from earwitness.store.schema import coders, documents, segments, tool_mentions

__all__ = [
    "CONTEXT",
    "PROVENANCE_RULE",
    "STANCE_KEYS",
    "in_context",
    "label",
    "next_units",
    "queue_provenance",
    "sample_units",
    "stance_progress",
    "undo",
]

STANCE_KEYS = ("positive", "negative", "mixed", "neutral")
CONTEXT = 300  # characters of the document shown on each side of the segment
PROVENANCE_RULE = {"min_units": MIN_VALIDATION, "min_lower_bound": MIN_LOWER_BOUND}


def sample_units(store: Store, n: int, seed: int) -> list[dict[str, Any]]:
    """The active-learning sampler's next units (segment_id, tool, predicted, margin,
    basis): those the model trained on the study's labels is least sure of, one per
    document first; stratified by tool x predicted stance (rare ones as often as common)
    until enough units of two stances are labelled to train it."""
    from earwitness.code.assist import next_stance_units

    rows = next_stance_units(store, n, strategy="uncertainty", seed=seed)
    keys = ("segment_id", "tool", "predicted", "margin", "basis")
    return [{key: row[key] for key in keys} for row in rows]


def next_units(
    store: Store, n: int, seed: int = 0, *, coder: str = "", double_share: float = 0.0
) -> list[dict[str, Any]]:
    """Up to ``n`` units with their context and the tool's mention spans: a share
    ``double_share`` of them (rounded up) units another person labelled and ``coder`` did
    not (blind double-labelling), the rest units nobody labelled, from the sampler."""
    from earwitness.code.workbench._stance_team import double_candidates

    doubles = double_candidates(store, coder, math.ceil(n * double_share)) if coder else []
    fresh = sample_units(store, n - len(doubles), seed) if n > len(doubles) else []
    units = doubles + fresh
    return in_context(store, units)


def in_context(store: Store, units: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The units (segment_id, tool, predicted) with their text around and mention spans."""
    if not units:
        return []
    wanted = {int(u["segment_id"]) for u in units}
    with store.connect() as connection:
        rows = {
            int(r.id): r
            for r in connection.execute(
                sa.select(segments.c.id, segments.c.document_id, segments.c.start,
                          segments.c.end, documents.c.text)
                .join(documents, documents.c.id == segments.c.document_id)
                .where(segments.c.id.in_(wanted))
            )
        }  # fmt: skip
        mentions: dict[tuple[int, str], list[tuple[int, int]]] = {}
        for m in connection.execute(
            sa.select(tool_mentions.c.segment_id, tool_mentions.c.tool, tool_mentions.c.start,
                      tool_mentions.c.end)
            .where(tool_mentions.c.segment_id.in_(wanted), tool_mentions.c.origin == "model")
        ):  # fmt: skip
            mentions.setdefault((int(m.segment_id), str(m.tool)), []).append((m.start, m.end))
    out = []
    for unit in units:
        row = rows[int(unit["segment_id"])]
        left = max(0, row.start - CONTEXT)
        right = min(len(row.text), row.end + CONTEXT)
        spans = sorted(mentions.get((int(row.id), str(unit["tool"])), []))
        out.append(
            {
                "segment_id": int(row.id),
                "document": int(row.document_id),
                "tool": unit["tool"],
                "predicted": unit.get("predicted") or "",
                "basis": unit.get("basis") or "",
                "before": row.text[left : row.start],
                "segment": row.text[row.start : row.end],
                "after": row.text[row.end : right],
                # mention spans relative to the segment, code points
                "mentions": [[s - row.start, e - row.start] for s, e in spans],
            }
        )
    return out


def label(store: Store, coder: str, segment_id: int, tool: str, stance: str) -> None:
    """Store the coder's stance for the unit, as ``code stance import`` does."""
    from earwitness.code.assist import label_stance

    if stance not in STANCE_KEYS:
        raise BadInputError(f"stance must be one of {', '.join(STANCE_KEYS)}, not {stance!r}")
    label_stance(store, segment_id, tool, stance, coder)


def undo(store: Store, coder: str, segment_id: int, tool: str) -> int:
    """Take back the coder's label of the unit; return how many label rows went."""
    with store.transaction() as connection:
        coder_id = connection.scalar(sa.select(coders.c.id).where(coders.c.name == coder))
        if coder_id is None:
            return 0
        return int(
            connection.execute(
                tool_mentions.delete().where(
                    tool_mentions.c.segment_id == segment_id,
                    tool_mentions.c.tool == tool,
                    tool_mentions.c.origin == "human",
                    tool_mentions.c.coder_id == coder_id,
                )
            ).rowcount
        )


def stance_progress(store: Store, coder: str) -> dict[str, int]:
    """Units this coder labelled, and units any person labelled."""

    def units(*where: sa.ColumnElement[bool]) -> int:
        found = (
            sa.select(tool_mentions.c.segment_id, tool_mentions.c.tool)
            .outerjoin(coders, coders.c.id == tool_mentions.c.coder_id)
            .where(tool_mentions.c.origin == "human", *where)
            .distinct()
            .subquery()
        )
        return int(connection.scalar(sa.select(sa.func.count()).select_from(found)) or 0)

    with store.connect() as connection:
        return {"mine": units(coders.c.name == coder), "anyone": units()}


def queue_provenance(store: Store) -> list[dict[str, Any]]:
    """Per tool, what the labels so far make of its machine stance: kappa with its 95 %
    interval, provenance, why not validated, and how many more labelled units would bring
    the lower bound to the bar. The figures of ``code stance report`` (same function, same
    defaults), so the queue and the report never disagree."""
    from earwitness.code.assist import stance_provenance

    labelled_by = _coders_by_tool(store)
    return [
        {"tool": tool, **{k: row[k] for k in _PROVENANCE_KEYS},
         "coders": labelled_by.get(tool, [])}
        for tool, row in sorted(stance_provenance(store).items())
    ]  # fmt: skip


def _coders_by_tool(store: Store) -> dict[str, list[str]]:
    """Who gave the human labels of each tool (a SIMULATED coder shows as such)."""
    with store.connect() as connection:
        found: dict[str, list[str]] = {}
        for tool, name in connection.execute(
            sa.select(tool_mentions.c.tool, coders.c.name)
            .join(coders, coders.c.id == tool_mentions.c.coder_id)
            .where(tool_mentions.c.origin == "human")
            .distinct()
            .order_by(tool_mentions.c.tool, coders.c.name)
        ):  # fmt: skip
            found.setdefault(str(tool), []).append(str(name))
    return found


_PROVENANCE_KEYS = ("n", "kappa", "kappa_low", "kappa_high", "provenance", "flag", "more_labels")
