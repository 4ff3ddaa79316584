"""The agreement view: alpha and kappa per code and per coder pair, and the disagreements.

The figures come from :func:`earwitness.code.reliability.study_agreement`, the function
behind ``earwitness code agreement``, called with each pair's names; nothing here
recomputes them.
"""

from __future__ import annotations

import math
from collections import defaultdict
from itertools import combinations
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from earwitness.code._codebook import CodeIndex
from earwitness.code.reliability import merge_spans, study_agreement
from earwitness.errors import BadInputError
from earwitness.store.schema import (
    coders,
    coding_resolutions,
    codings,
    document_status,
    documents,
)

__all__ = ["agreement_view", "disagreements", "human_coders"]

Span = tuple[int, int]
_HUMAN = (codings.c.origin == "human") & (codings.c.status == "applied")


def human_coders(connection: Connection) -> list[str]:
    """Coders with human codings, leaving out those who only adjudicated."""
    resolving = sa.select(coding_resolutions.c.coding_id)
    query = (
        sa.select(coders.c.name)
        .join(codings, codings.c.coder_id == coders.c.id)
        .where(_HUMAN, codings.c.id.not_in(resolving))
        .distinct()
        .order_by(coders.c.name)
    )
    return [str(name) for name in connection.scalars(query)]


def agreement_view(connection: Connection, threshold: float) -> dict[str, Any]:
    """Every coder pair's per-code table (``study_agreement`` with the pair's names)."""
    names = human_coders(connection)
    pairs = []
    for a, b in combinations(names, 2):
        try:
            rows = study_agreement(connection, coders=[a, b], threshold=threshold)
        except BadInputError:
            rows = []
        pairs.append({"a": a, "b": b, "rows": [_finite(row) for row in rows]})
    return {"coders": names, "threshold": threshold, "pairs": pairs}


def _finite(row: dict[str, Any]) -> dict[str, Any]:
    """The row with undefined figures (NaN) as None, which JSON can carry."""
    return {k: None if isinstance(v, float) and math.isnan(v) else v for k, v in row.items()}


def _overlapping(spans: list[tuple[int, int, int]], region: Span) -> list[tuple[int, int, int]]:
    return [s for s in spans if s[1] < region[1] and s[2] > region[0]]


def _covered(spans: list[tuple[int, int, int]], region: Span) -> list[Span]:
    clipped = [(max(s, region[0]), min(e, region[1])) for _, s, e in _overlapping(spans, region)]
    return merge_spans(clipped)


def disagreements(
    connection: Connection, a: str, b: str, *, limit: int = 200, done_only: bool = False
) -> list[dict[str, Any]]:
    """Stretches of text where coders ``a`` and ``b`` decided differently about a code,
    with each coder's codings there; stretches already resolved say by whom. With
    ``done_only`` (blind double-coding), only documents both marked done are shown."""
    ids = dict(
        connection.execute(
            sa.select(coders.c.name, coders.c.id).where(coders.c.name.in_([a, b]))
        ).all()
    )
    if a not in ids or b not in ids or a == b:
        raise BadInputError(f"compare two coders with codings, not {a!r} and {b!r}")
    rows = connection.execute(
        sa.select(codings.c.id, codings.c.document_id, codings.c.code_id, codings.c.coder_id,
                  codings.c.start, codings.c.end)
        .where(_HUMAN, codings.c.coder_id.in_([ids[a], ids[b]]))
    ).all()  # fmt: skip
    by: dict[tuple[int, int], dict[int, list[tuple[int, int, int]]]] = defaultdict(
        lambda: defaultdict(list)
    )
    coded: dict[int, set[int]] = defaultdict(set)
    for row in rows:
        by[(row.document_id, row.code_id)][row.coder_id].append((row.id, row.start, row.end))
        coded[row.document_id].add(row.coder_id)
    resolved = _resolved(connection)
    paths = CodeIndex(connection).paths()
    found: list[dict[str, Any]] = []
    both_done = _done_by_both(connection, ids[a], ids[b]) if done_only else None
    for (document, code), per in sorted(by.items()):
        if len(coded[document]) < 2 or (both_done is not None and document not in both_done):
            continue
        left, right = per.get(ids[a], []), per.get(ids[b], [])
        for region in merge_spans([(s, e) for _, s, e in left + right]):
            if _covered(left, region) == _covered(right, region):
                continue
            mine = _overlapping(left, region) + _overlapping(right, region)
            found.append(
                {"document": document, "code": code, "path": paths.get(code, ""),
                 "start": region[0], "end": region[1],
                 "a": [{"id": i, "start": s, "end": e} for i, s, e in _overlapping(left, region)],
                 "b": [{"id": i, "start": s, "end": e} for i, s, e in _overlapping(right, region)],
                 "resolved_by": sorted({resolved[i] for i, _, _ in mine if i in resolved})}
            )  # fmt: skip
            if len(found) >= limit:
                return _with_text(connection, found)
    return _with_text(connection, found)


def _done_by_both(connection: Connection, a: int, b: int) -> set[int]:
    def done(coder: int) -> set[int]:
        query = sa.select(document_status.c.document_id).where(document_status.c.coder_id == coder)
        return set(connection.scalars(query))

    return done(a) & done(b)


def _resolved(connection: Connection) -> dict[int, str]:
    """Coding id -> the adjudicator who resolved a disagreement it was part of."""
    out: dict[int, str] = {}
    query = sa.select(coding_resolutions.c.resolved, coders.c.name).outerjoin(
        coders, coders.c.id == coding_resolutions.c.adjudicator_id
    )
    for resolved, name in connection.execute(query):
        for coding_id in resolved or []:
            out[int(coding_id)] = str(name or "")
    return out


def _with_text(connection: Connection, found: list[dict[str, Any]]) -> list[dict[str, Any]]:
    wanted = {item["document"] for item in found}
    if not wanted:
        return found
    texts = dict(
        connection.execute(
            sa.select(documents.c.id, documents.c.text).where(documents.c.id.in_(wanted))
        ).all()
    )
    for item in found:
        text = texts[item["document"]]
        item["text"] = text[item["start"] : item["end"]]
        for side in ("a", "b"):
            for coding in item[side]:
                coding["text"] = text[coding["start"] : coding["end"]]
    return found
