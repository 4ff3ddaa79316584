"""Mentions and their stance, found in partitions of documents (issue 26).

The driver cuts the study's segmented documents into ranges of consecutive ids and sends
each range's segment texts (Parquet) to a worker, or runs them here. The worker finds the
tool mentions (the gazetteer) and, unless only mentions are wanted, gives each segment ×
tool its stance; it returns the mention rows as Parquet. The driver replaces the range's
machine-found mentions by them in one transaction, so an interrupted run resumes to the
rows of an uninterrupted one. Human stance labels are separate rows and stay.

With the classifier, the driver fits the head on the human-labelled units (as
:func:`~earwitness.code.assist._stance.detect_stance` does) and ships it; a worker loads
the encoder once (the study's model, offline) and the labelled units keep their held-out
(cross-fitted) stance.
"""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast

import numpy as np
import pyarrow as pa
import sqlalchemy as sa

from earwitness.code.assist._data import load_segments
from earwitness.code.assist._embeddings import Embedder, ModelSource
from earwitness.code.assist._stance_learn import (
    StanceUnitText,
    marked_window,
    rule_features,
    unit_rule_stance,
)
from earwitness.code.assist._target_stance import RULES_MODEL_ID, TargetStance
from earwitness.errors import BadInputError, EarwitnessError
from earwitness.partitions import (
    Scheduler,
    from_parquet,
    map_partitions,
    partition_ranges,
    to_parquet,
)
from earwitness.store.schema import documents, segments, tool_mentions

if TYPE_CHECKING:
    from earwitness.code.assist._stance import Gazetteer, StanceClassifier
    from earwitness.store import Store

__all__ = ["PARTITION_DOCUMENTS", "StanceJob", "run_mentions", "stance_partition"]

# Documents per partition: ~6 segments each, so a partition is about 12,000 segments,
# a few seconds of rule stance and a few MB of text.
PARTITION_DOCUMENTS = 2000
_SEGMENTS = pa.schema(
    [
        ("id", pa.int64()),
        ("document_id", pa.int64()),
        ("start", pa.int64()),
        ("text", pa.string()),
    ]
)
_MENTIONS = pa.schema(
    [
        ("document_id", pa.int64()),
        ("segment_id", pa.int64()),
        ("tool", pa.string()),
        ("alias", pa.string()),
        ("start", pa.int64()),
        ("end", pa.int64()),
        ("stance", pa.string()),
        ("score", pa.float64()),
        ("model_id", pa.string()),
    ]
)


@dataclass(frozen=True)
class StanceJob:
    """One partition: its segments as Parquet and how to read them.

    ``method``: ``none`` (mentions only), ``rules``, ``vader`` or ``classifier`` (then
    ``head`` is the fitted head and ``source`` the encoder to load).
    ``overrides``: (segment, tool) -> stance for the human-labelled units.
    """

    segments: bytes
    gazetteer: Gazetteer
    method: str
    model_id: str
    head: StanceClassifier | None = None
    source: ModelSource | None = None
    overrides: Mapping[tuple[int, str], str] = field(default_factory=dict)


@dataclass(frozen=True)
class _Unit:
    segment_id: int
    tool: str
    text: StanceUnitText


def stance_partition(job: StanceJob, embedder: Embedder | None = None) -> bytes:
    """The mention rows (with their stance) of one partition, as Parquet."""
    table = from_parquet(job.segments)
    mentions: list[dict[str, Any]] = []
    units: list[_Unit] = []
    columns = [table[c].to_pylist() for c in ("id", "document_id", "start", "text")]
    for segment_id, document_id, offset, text in zip(*columns, strict=True):
        found = job.gazetteer.find(text)
        spans: dict[str, list[tuple[int, int]]] = defaultdict(list)
        for tool, alias, start, end in found:
            spans[tool].append((start, end))
            mentions.append(
                {
                    "document_id": document_id,
                    "segment_id": segment_id,
                    "tool": tool,
                    "alias": alias[:128],
                    "start": offset + start,
                    "end": offset + end,
                }
            )
        units.extend(_units_of(segment_id, text, spans))
    stances = _stances(job, units, embedder)
    for row in mentions:
        stance, score = stances.get((row["segment_id"], row["tool"]), (None, None))
        row.update(stance=stance, score=score, model_id=job.model_id if stance else "gazetteer")
    return to_parquet(mentions, _MENTIONS)


def _units_of(
    segment_id: int, text: str, spans: Mapping[str, list[tuple[int, int]]]
) -> Iterator[_Unit]:
    for tool in sorted(spans):
        own = sorted(set(spans[tool]))
        others = sorted({s for t, found in spans.items() if t != tool for s in found})
        yield _Unit(segment_id, tool, StanceUnitText(text, tuple(own), tuple(others)))


def _stances(
    job: StanceJob, units: Sequence[_Unit], embedder: Embedder | None
) -> dict[tuple[int, str], tuple[str, float]]:
    if job.method == "none" or not units:
        return {}
    texts = [unit.text for unit in units]
    if job.method == "rules":
        model = TargetStance()
        found = [unit_rule_stance(text, model) for text in texts]
    elif job.method == "vader":
        from earwitness.code.assist._stance import vader_stance

        found = vader_stance([text.text for text in texts])
    else:
        found = _classified(job, texts, embedder)
    result = {}
    for unit, (stance, score) in zip(units, found, strict=True):
        key = (unit.segment_id, unit.tool)
        result[key] = (job.overrides.get(key, stance), round(float(score), 6))
    return result


def _classified(
    job: StanceJob, texts: Sequence[StanceUnitText], embedder: Embedder | None
) -> list[tuple[str, float]]:
    head = cast("StanceClassifier", job.head)
    windows = [marked_window(t) for t in texts]
    if embedder is not None:  # in-process: the driver's embedder and the study's cache
        vectors = np.asarray(embedder.embed(windows), dtype=np.float64)
    else:
        encoder = _worker_embedder(cast(ModelSource, job.source))
        vectors = np.asarray(encoder.encode(windows), dtype=np.float64)
    features = np.hstack([vectors, rule_features(texts)])
    stances = [str(s) for s in head.predict(features)]
    return list(zip(stances, head.predict_proba(features).max(axis=1).tolist(), strict=True))


@functools.cache
def _worker_embedder(source: ModelSource) -> Embedder:
    """The encoder, loaded once per worker process; a worker has no store, so it encodes
    without the study's cache."""
    return Embedder(cast("Store", None), source)


# --- the driver --------------------------------------------------------------------------


def run_mentions(
    store: Store,
    gazetteer: Gazetteer,
    *,
    kinds: Sequence[str] | None = None,
    method: str = "none",
    embedder: Embedder | None = None,
    min_examples: int = 20,
    scheduler: Scheduler | None = None,
    partition_documents: int = PARTITION_DOCUMENTS,
) -> dict[str, Any]:
    """Find every segment's tool mentions and (unless ``method`` is ``none``) their
    stance, partition by partition; see the module doc."""
    from earwitness.code.assist._stance import STANCE_METHODS

    if method not in (*STANCE_METHODS, "none"):
        raise BadInputError(f"stance method must be one of {', '.join(STANCE_METHODS)}")
    scheduler = scheduler or Scheduler()
    plan = _plan(store, gazetteer, method, embedder, min_examples, kinds, scheduler)
    ranges = _ranges(store, kinds, partition_documents)
    function: Callable[[StanceJob], bytes] = stance_partition
    if not scheduler.distributed and plan.get("embedder") is not None:
        function = functools.partial(stance_partition, embedder=plan["embedder"])
    jobs = (
        StanceJob(
            _segment_texts(store, kinds, bounds),
            gazetteer,
            plan["method"],
            plan["model_id"],
            plan.get("head"),
            plan.get("source"),
            plan.get("overrides", {}),
        )
        for bounds in ranges
    )
    label = "finding mentions" if method == "none" else "stance"
    mentions = units = 0
    results = map_partitions(function, jobs, scheduler=scheduler, label=label, total=len(ranges))
    for bounds, result in zip(ranges, results, strict=True):
        rows = from_parquet(result).to_pylist()
        _replace(store, bounds, rows)
        mentions += len(rows)
        units += len({(r["segment_id"], r["tool"]) for r in rows})
    return {
        "mentions": mentions,
        "units": units,
        "method": plan["model_id"] if units else "none",
        "human_labelled": plan.get("labelled", 0),
    }


def _ranges(
    store: Store, kinds: Sequence[str] | None, size: int
) -> list[tuple[int | None, int | None]]:
    """``(after, upto]`` ranges of document ids, ``size`` segmented documents each; the
    first and last are open so that together they cover every document."""
    from earwitness.code._segment import UNIT_KINDS

    with store.connect() as connection:
        ids = list(
            connection.execute(
                sa.select(segments.c.document_id)
                .join(documents, documents.c.id == segments.c.document_id)
                .where(
                    documents.c.status == "active",
                    segments.c.kind.in_(list(kinds or UNIT_KINDS)),
                )
                .distinct()
                .order_by(segments.c.document_id)
            ).scalars()
        )
    chunks = [ids[a:b] for a, b in partition_ranges(len(ids), size)]
    bounds: list[tuple[int | None, int | None]] = []
    after: int | None = None
    for index, chunk in enumerate(chunks):
        upto = None if index == len(chunks) - 1 else int(chunk[-1])
        bounds.append((after, upto))
        after = upto
    return bounds or [(None, None)]


def _segment_texts(
    store: Store, kinds: Sequence[str] | None, bounds: tuple[int | None, int | None]
) -> bytes:
    """A partition's unit segments with their text (the driver's read: lean, since at
    64 workers the driver is the bound). The order and filter are those of
    :func:`~earwitness.code.assist._data.load_segments`; the database cuts the text."""
    from earwitness.code._segment import UNIT_KINDS

    length = segments.c.end - segments.c.start
    query = (
        sa.select(
            segments.c.id,
            segments.c.document_id,
            segments.c.start,
            sa.func.substr(documents.c.text, segments.c.start + 1, length).label("text"),
        )
        .join(documents, documents.c.id == segments.c.document_id)
        .where(documents.c.status == "active", segments.c.kind.in_(list(kinds or UNIT_KINDS)))
        .order_by(segments.c.document_id, segments.c.start, segments.c.id)
    )
    after, upto = bounds
    if after is not None:
        query = query.where(segments.c.document_id > after)
    if upto is not None:
        query = query.where(segments.c.document_id <= upto)
    with store.connect() as connection:
        result = connection.execute(query)
        columns = [list(c) for c in zip(*result.all(), strict=True)] or [[], [], [], []]
    names = ("id", "document_id", "start", "text")
    return to_parquet(pa.table(dict(zip(names, columns, strict=True)), schema=_SEGMENTS))


def _replace(
    store: Store, bounds: tuple[int | None, int | None], rows: list[dict[str, Any]]
) -> None:
    """One transaction: the range's machine-found mentions become ``rows``."""
    after, upto = bounds
    condition = [tool_mentions.c.origin == "model"]
    if after is not None:
        condition.append(tool_mentions.c.document_id > after)
    if upto is not None:
        condition.append(tool_mentions.c.document_id <= upto)
    with store.transaction() as connection:
        connection.execute(tool_mentions.delete().where(*condition))
        if rows:
            connection.execute(tool_mentions.insert(), [{**row, "origin": "model"} for row in rows])


# --- the classifier's head, fitted on the driver ------------------------------------------


def _plan(
    store: Store,
    gazetteer: Gazetteer,
    method: str,
    embedder: Embedder | None,
    min_examples: int,
    kinds: Sequence[str] | None,
    scheduler: Scheduler,
) -> dict[str, Any]:
    """What every partition needs to give stances: the method, and for the classifier
    the fitted head, the encoder and the held-out stances of the labelled units."""
    from earwitness.code.assist import _stance as st

    if method == "none":
        return {"method": method, "model_id": "gazetteer"}
    units, human = _labelled_units(store, gazetteer, kinds)
    if method in ("rules", "vader"):
        model_id = RULES_MODEL_ID if method == "rules" else st._vader_version()
        return {"method": method, "model_id": model_id, "labelled": len(units)}
    y = [st._majority(human[(u.segment.id, u.tool)]) for u in units]
    trainable = len(units) >= min_examples and len(set(y)) >= 2
    if method == "classifier" and not trainable:
        raise EarwitnessError(
            f"the classifier needs {min_examples} human-labelled units with two stances or "
            f"more; {len(units)} are labelled"
        )
    if not trainable:
        return {"method": "rules", "model_id": RULES_MODEL_ID, "labelled": len(units)}
    embedder = embedder or Embedder(store)
    features = st._features(units, embedder)
    head = st._fit(features, y)
    groups = [u.segment.document_id for u in units]
    held = st._cross_fitted(features, y, groups)
    overrides = {u.key: s for u, s in zip(units, held, strict=True) if s is not None}
    return {
        "method": "classifier",
        "model_id": f"{embedder.model_id}+{st.CLASSIFIER_ID}",
        "head": head,
        "source": embedder.source,
        "overrides": overrides,
        "labelled": len(units),
        "embedder": None if scheduler.distributed else embedder,
    }


def _labelled_units(
    store: Store, gazetteer: Gazetteer, kinds: Sequence[str] | None
) -> tuple[list[Any], dict[tuple[int, str], dict[int, str]]]:
    """The segment × tool units people labelled that the gazetteer finds, in the order
    of :func:`~earwitness.code.assist._stance._units`, and their labels."""
    from earwitness.code._segment import UNIT_KINDS
    from earwitness.code.assist._stance import STANCES, StanceUnit

    human: dict[tuple[int, str], dict[int, str]] = defaultdict(dict)
    with store.connect() as connection:
        for row in connection.execute(
            sa.select(
                tool_mentions.c.segment_id,
                tool_mentions.c.tool,
                tool_mentions.c.coder_id,
                tool_mentions.c.stance,
            ).where(tool_mentions.c.origin == "human", tool_mentions.c.segment_id.is_not(None))
        ):
            if row.stance in STANCES:
                human[(row.segment_id, row.tool)][row.coder_id or -1] = row.stance
        ids = sorted({segment_id for segment_id, _ in human})
        found = load_segments(connection, segment_ids=ids) if ids else []
    allowed = set(kinds or UNIT_KINDS)
    units = []
    for segment in sorted((s for s in found if s.kind in allowed), key=lambda s: s.id):
        spans: dict[str, list[tuple[int, int]]] = defaultdict(list)
        for tool, _, start, end in gazetteer.find(segment.text):
            spans[tool].append((start, end))
        for unit in _units_of(segment.id, segment.text, spans):
            if (segment.id, unit.tool) in human:
                units.append(StanceUnit(segment, unit.tool, unit.text.spans, unit.text.others))
    return units, {u.key: human[u.key] for u in units}
