"""Stance labels by two coders: which units a coder labels a second time, the coders'
agreement with each other, their disagreements and an adjudicator's resolutions.

Double-labelling is blind: a coder gets a unit another person labelled without that
label, and a disagreement is listed only once both labelled the unit. A share of each
batch (``workbench_double_share``) is such units, oldest first, so the pair's overlap
grows as they label; reliability subsamples of 10-25 % of the units are the usual
practice (O'Connor & Joffe 2020, "Intercoder reliability in qualitative research",
International Journal of Qualitative Methods 19). Agreement between two coders is
Cohen's (1960) kappa on the units both labelled, with the percentile bootstrap interval
over documents that :func:`earwitness.provenance.assess_agreement` gives every kappa.
"""

from __future__ import annotations

from collections import defaultdict
from itertools import combinations
from typing import Any

import sqlalchemy as sa

from earwitness.errors import BadInputError, EarwitnessError
from earwitness.provenance import assess_agreement
from earwitness.store import Store, ensure_coder
from earwitness.store.schema import coders, segments, stance_resolutions, tool_mentions

__all__ = [
    "coder_pairs",
    "double_candidates",
    "resolve_stance",
    "stance_disagreements",
    "stance_labels",
]

Unit = tuple[int, str]
STANCES = ("positive", "negative", "mixed", "neutral")


def stance_labels(store: Store) -> tuple[dict[Unit, dict[str, str]], dict[Unit, int]]:
    """People's stance per unit {(segment, tool): {coder: stance}}, and each unit's document."""
    labels: dict[Unit, dict[str, str]] = defaultdict(dict)
    document: dict[Unit, int] = {}
    with store.connect() as connection:
        for row in connection.execute(
            sa.select(tool_mentions.c.segment_id, tool_mentions.c.tool, tool_mentions.c.stance,
                      tool_mentions.c.document_id, coders.c.name)
            .join(coders, coders.c.id == tool_mentions.c.coder_id)
            .where(tool_mentions.c.origin == "human", tool_mentions.c.segment_id.is_not(None),
                   tool_mentions.c.stance.in_(STANCES))
            .distinct()
        ):  # fmt: skip
            key = (int(row.segment_id), str(row.tool))
            labels[key][str(row.name)] = str(row.stance)
            document[key] = int(row.document_id)
    return dict(labels), document


def double_candidates(store: Store, coder: str, n: int) -> list[dict[str, Any]]:
    """Up to ``n`` units exactly one other person labelled and ``coder`` did not, those
    labelled first first; without the label (blind)."""
    if n <= 0:
        return []
    first = sa.func.min(tool_mentions.c.id)
    with store.connect() as connection:
        rows = connection.execute(
            sa.select(tool_mentions.c.segment_id, tool_mentions.c.tool, sa.func.min(coders.c.name))
            .join(coders, coders.c.id == tool_mentions.c.coder_id)
            .where(tool_mentions.c.origin == "human", tool_mentions.c.segment_id.is_not(None))
            .group_by(tool_mentions.c.segment_id, tool_mentions.c.tool)
            .having(sa.func.count(sa.distinct(tool_mentions.c.coder_id)) == 1)
            .order_by(first)
        ).all()  # fmt: skip
    return [
        {"segment_id": int(segment), "tool": str(tool), "predicted": ""}
        for segment, tool, labeller in rows
        if labeller != coder
    ][:n]


def coder_pairs(store: Store, *, seed: int = 0) -> list[dict[str, Any]]:
    """For every two coders who labelled a unit in common: how many, their Cohen's kappa
    with its 95 % interval over documents, and how many differing units are unresolved."""
    labels, document = stance_labels(store)
    resolved = _resolved(store)
    names = sorted({name for given in labels.values() for name in given})
    pairs = []
    for a, b in combinations(names, 2):
        shared = sorted(k for k, given in labels.items() if a in given and b in given)
        if not shared:
            continue
        first = [labels[k][a] for k in shared]
        second = [labels[k][b] for k in shared]
        found = assess_agreement(first, second, [document[k] for k in shared], seed=seed)
        differ = [k for k in shared if labels[k][a] != labels[k][b]]
        pairs.append(
            {
                "a": a,
                "b": b,
                "n": len(shared),
                "agree": len(shared) - len(differ),
                "kappa": found.kappa,
                "kappa_low": found.kappa_low,
                "kappa_high": found.kappa_high,
                "unresolved": sum(1 for k in differ if k not in resolved),
            }
        )
    return pairs


def _resolved(store: Store) -> dict[Unit, dict[str, Any]]:
    with store.connect() as connection:
        return {
            (int(r.segment_id), str(r.tool)): {"stance": r.stance, "by": r.name}
            for r in connection.execute(
                sa.select(stance_resolutions.c.segment_id, stance_resolutions.c.tool,
                          stance_resolutions.c.stance, coders.c.name)
                .outerjoin(coders, coders.c.id == stance_resolutions.c.adjudicator_id)
            )
        }  # fmt: skip


def stance_disagreements(store: Store, a: str, b: str) -> list[dict[str, Any]]:
    """Units ``a`` and ``b`` both labelled, differently: the segment with the tool, both
    labels, and the resolution if there is one."""
    from earwitness.code.workbench._stance_queue import in_context

    labels, _ = stance_labels(store)
    differ = sorted(
        k for k, given in labels.items() if a in given and b in given and given[a] != given[b]
    )
    resolved = _resolved(store)
    shown = {(u["segment_id"], u["tool"]): u for u in in_context(store, [
        {"segment_id": s, "tool": t, "predicted": ""} for s, t in differ])}  # fmt: skip
    return [
        {
            **shown[key],
            "labels": {a: labels[key][a], b: labels[key][b]},
            "resolution": resolved.get(key),
        }
        for key in differ
    ]


def resolve_stance(store: Store, adjudicator: str, segment_id: int, tool: str, stance: str) -> None:
    """Store the adjudicator's stance for a unit people labelled differently, with the
    labels it resolves (which stay), in one transaction; a later resolution replaces it."""
    adjudicator = adjudicator.strip()
    if not adjudicator:
        raise BadInputError("a resolution needs a named adjudicator", field="adjudicator")
    if stance not in STANCES:
        raise BadInputError(f"stance must be one of {', '.join(STANCES)}, not {stance!r}")
    with store.transaction() as connection:
        given = {
            str(name): str(label)
            for name, label in connection.execute(
                sa.select(coders.c.name, tool_mentions.c.stance)
                .join(coders, coders.c.id == tool_mentions.c.coder_id)
                .where(tool_mentions.c.origin == "human", tool_mentions.c.tool == tool,
                       tool_mentions.c.segment_id == segment_id)
                .distinct()
            )
        }  # fmt: skip
        if len(set(given.values())) < 2:
            raise EarwitnessError(
                f"segment {segment_id} × {tool}: people do not disagree here, nothing to resolve"
            )
        if connection.scalar(sa.select(segments.c.id).where(segments.c.id == segment_id)) is None:
            raise BadInputError(f"no segment {segment_id}", field="segment")
        adjudicator_id = ensure_coder(connection, adjudicator)
        connection.execute(
            stance_resolutions.delete().where(
                stance_resolutions.c.segment_id == segment_id, stance_resolutions.c.tool == tool
            )
        )
        connection.execute(
            stance_resolutions.insert().values(
                segment_id=segment_id, tool=tool, stance=stance,
                adjudicator_id=adjudicator_id, labels=given,
            )
        )  # fmt: skip
