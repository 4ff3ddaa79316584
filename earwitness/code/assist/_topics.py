"""Inductive discovery: BERTopic on segments, seeded, zero-shot against the codebook.

Following Grootendorst (2022), "BERTopic: Neural topic modeling with a class-based TF-IDF
procedure": segment embeddings (from the study's cache) are reduced with UMAP and
clustered with HDBSCAN, and each cluster is described by class-based TF-IDF over a
CountVectorizer with English stop words and uni- and bigrams. Zero-shot topic modelling
first assigns segments close enough to a code's definition to that code's topic, so
known themes map to their codes and the rest cluster freely. Outliers are then
reassigned by embedding similarity (``reduce_outliers``) and the topic descriptions
recomputed (``update_topics``). UMAP's seed is fixed; HDBSCAN is deterministic for a
given input. Topics per user group come from ``topics_per_class`` and, for dated forum
posts, topics over time from ``topics_over_time``.

A study larger than ``sample_size`` segments is fitted on a sample (drawn without
replacement with ``numpy.random.default_rng(seed)``, in segment order); the fitted model,
without its embedding backend, is then shipped to the workers (:mod:`earwitness.partitions`),
which assign the other segments partition by partition (BERTopic's ``transform`` on the
cached embeddings, outliers reassigned by embedding similarity). Partitions are cut the
same way whatever the scheduler, so every scheduler assigns the same topics. Terms, and
topics per group and over time, describe the fitted sample; sizes, members and
representatives cover every segment. The run is written in one transaction.

Each topic is stored with its top terms, size, mapped code (zero-shot topics) and its
representative segments; ``topic_segments.probability`` holds the cosine similarity of
a segment to its topic's centroid. A researcher can promote a topic into the codebook.
"""

from __future__ import annotations

import contextlib
import copy
import json
import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from importlib.metadata import version
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
import sqlalchemy as sa

from earwitness.code._codebook import code_guid
from earwitness.code.assist._data import CodeInfo, SegmentText, load_codes, load_segments
from earwitness.code.assist._embeddings import Embedder, array_vectors, vector_array
from earwitness.errors import EarwitnessError
from earwitness.partitions import from_parquet, map_partitions, optional_client, to_parquet
from earwitness.store.schema import codes, topic_runs, topic_segments, topics

if TYPE_CHECKING:
    from earwitness.store import Store

__all__ = [
    "MIN_SEGMENTS",
    "TopicParams",
    "assign_partition",
    "discover_topics",
    "promote_topic",
    "topic_table",
]

MIN_SEGMENTS = 50
_REPRESENTATIVES = 5
_TOP_TERMS = 10
_FORUM_KINDS = {"post", "comment", "submission"}


@dataclass(frozen=True)
class TopicParams:
    """Every choice behind a topic run, stored with it."""

    seed: int = 42
    n_neighbors: int = 15
    n_components: int = 5
    min_cluster_size: int = 10
    zeroshot_min_similarity: float = 0.5
    time_bins: int = 10
    sample_size: int = 20_000  # segments the model is fitted on; the rest are assigned
    partition_size: int = 5_000  # segments a worker assigns at a time


def _backend(embedder: Embedder) -> Any:
    from bertopic.backend import BaseEmbedder

    class CachedBackend(BaseEmbedder):
        """BERTopic's embedding backend served from the study's cache."""

        def embed(self, documents: list[str], verbose: bool = False) -> np.ndarray:
            return embedder.embed(list(documents))

    return CachedBackend()


def _model(embedder: Embedder, code_list: Sequence[CodeInfo], params: TopicParams) -> Any:
    from bertopic import BERTopic
    from hdbscan import HDBSCAN
    from umap import UMAP

    zeroshot = [_code_prompt(code) for code in code_list] or None
    return BERTopic(
        embedding_model=_backend(embedder),
        umap_model=UMAP(
            n_neighbors=params.n_neighbors,
            n_components=params.n_components,
            min_dist=0.0,
            metric="cosine",
            random_state=params.seed,
            n_jobs=1,  # a fixed seed runs single-threaded anyway
        ),
        hdbscan_model=HDBSCAN(
            min_cluster_size=params.min_cluster_size,
            metric="euclidean",
            cluster_selection_method="eom",
            prediction_data=True,
        ),
        vectorizer_model=_vectorizer(),
        zeroshot_topic_list=zeroshot,
        zeroshot_min_similarity=params.zeroshot_min_similarity,
        top_n_words=_TOP_TERMS,
    )


def _vectorizer() -> Any:
    from sklearn.feature_extraction.text import CountVectorizer

    return CountVectorizer(stop_words="english", ngram_range=(1, 2))


def _code_prompt(code: CodeInfo) -> str:
    return f"{code.name}: {code.definition}".strip()


def discover_topics(
    store: Store,
    embedder: Embedder | None = None,
    *,
    params: TopicParams | None = None,
    kinds: Sequence[str] | None = None,
    zeroshot: bool = True,
) -> int:
    """Run BERTopic on the study's segments and store the topics; return the run id."""
    embedder = embedder or Embedder(store)
    params = params or TopicParams()
    if params.sample_size < MIN_SEGMENTS:
        raise EarwitnessError(
            f"the topic model's sample must hold at least {MIN_SEGMENTS} segments, "
            f"not {params.sample_size}"
        )
    with store.connect() as connection:
        segment_list = [s for s in load_segments(connection, kinds=kinds) if s.text.strip()]
        code_list = load_codes(connection) if zeroshot else []
    if len(segment_list) < MIN_SEGMENTS:
        raise EarwitnessError(
            f"topic discovery needs at least {MIN_SEGMENTS} segments, the study has "
            f"{len(segment_list)}"
        )
    docs = [s.text for s in segment_list]
    vectors = embedder.embed(docs)
    sample = _sample(len(docs), params)
    model = _model(embedder, code_list, params)
    fitted = _fit(model, [docs[i] for i in sample], vectors[sample])
    assigned = np.empty(len(docs), dtype=np.int64)
    assigned[sample] = fitted
    rest = np.setdiff1d(np.arange(len(docs)), sample)
    if len(rest):
        assigned[rest] = _assign_rest(model, vectors, rest, embedder, params)
    sampled = [segment_list[i] for i in sample]
    sample_docs = [docs[i] for i in sample]
    per_group = _per_group(model, sample_docs, sampled)
    over_time = _over_time(model, sample_docs, sampled, params)
    code_of = _zeroshot_codes(model, code_list)
    return _store_run(
        store,
        embedder.model_id,
        params,
        model,
        segment_list,
        vectors,
        assigned,
        code_of,
        per_group,
        over_time,
    )


def _sample(total: int, params: TopicParams) -> np.ndarray:
    """Every index when the study is small enough, else a seeded sample, in order."""
    if total <= params.sample_size:
        return np.arange(total)
    rng = np.random.default_rng(params.seed)
    return np.sort(rng.choice(total, size=params.sample_size, replace=False))


def _fit(model: Any, docs: list[str], vectors: np.ndarray) -> np.ndarray:
    assigned, _ = model.fit_transform(docs, embeddings=vectors)
    if -1 in assigned:
        assigned = model.reduce_outliers(docs, assigned, strategy="embeddings", embeddings=vectors)
        model.update_topics(docs, topics=assigned, vectorizer_model=_vectorizer())
    return np.asarray(assigned)


def _assign_rest(
    model: Any, vectors: np.ndarray, rest: np.ndarray, embedder: Embedder, params: TopicParams
) -> np.ndarray:
    """Topics of the segments outside the sample, assigned partition by partition."""
    shipped = copy.copy(model)
    shipped.embedding_model = None  # transform gets the cached embeddings
    scheduler = embedder.scheduler
    with contextlib.ExitStack() as stack:
        client = embedder.client
        if client is None:
            client = stack.enter_context(optional_client(scheduler))
        payload = _recomputable(client, shipped) if client is not None else shipped
        size = params.partition_size
        parts = (
            (payload, to_parquet(_vector_table(rest[start : start + size], vectors)))
            for start in range(0, len(rest), size)
        )
        found = map_partitions(
            assign_partition,
            parts,
            scheduler=scheduler,
            label="assigning topics",
            total=math.ceil(len(rest) / size),
            client=client,
        )
        return np.concatenate([from_parquet(data).column("topic").to_numpy() for data in found])


def _vector_table(indexes: np.ndarray, vectors: np.ndarray) -> pa.Table:
    return pa.table(
        {"index": pa.array(indexes, pa.int64()), "vector": vector_array(vectors[indexes])}
    )


def _recomputable(client: Any, model: Any) -> Any:
    """The model on the cluster as a task's result, not scattered data: the scheduler keeps
    the task, so a worker that dies holding the only copy costs a recomputation, not the
    run. (Dask's memory manager drops the replicas of ``scatter(broadcast=True)``, and
    nothing recreates scattered data once its last copy is lost.)"""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Sending large graph")
        return client.submit(_as_result, model, pure=False)


def _as_result(model: Any) -> Any:
    return model


def assign_partition(part: tuple[Any, bytes]) -> bytes:
    """A worker's share: the fitted model's topics for a partition's embeddings, outliers
    reassigned to the most similar topic (Parquet of ``index``, ``topic``)."""
    model, data = part
    table = from_parquet(data)
    vectors = array_vectors(table.column("vector"))
    assigned, _ = model.transform([""] * len(vectors), embeddings=vectors)
    topics = pa.array(_without_outliers(model, np.asarray(assigned, dtype=np.int64), vectors))
    return to_parquet(pa.table({"index": table.column("index"), "topic": topics}))


def _without_outliers(model: Any, assigned: np.ndarray, vectors: np.ndarray) -> np.ndarray:
    """Outliers moved to the topic whose embedding is most similar, as the fit's
    ``reduce_outliers(strategy="embeddings")`` does (which refuses a model fitted without
    outliers, though HDBSCAN's predictions can still have some)."""
    outliers = np.flatnonzero(assigned == -1)
    if len(outliers):
        topic_vectors = np.asarray(model.topic_embeddings_)[model._outliers :]
        topic_vectors = topic_vectors / np.linalg.norm(topic_vectors, axis=1, keepdims=True)
        assigned[outliers] = (vectors[outliers] @ topic_vectors.T).argmax(axis=1)
    return assigned


def _zeroshot_codes(model: Any, code_list: Sequence[CodeInfo]) -> dict[int, int]:
    mapping = getattr(model, "_topic_id_to_zeroshot_topic_idx", {}) or {}
    return {int(topic): code_list[int(index)].id for topic, index in mapping.items()}


def _per_group(model: Any, docs: list[str], segment_list: Sequence[SegmentText]) -> dict[int, Any]:
    groups = [s.user_group for s in segment_list]
    if len(set(groups)) < 2:
        return {}
    frame = model.topics_per_class(docs, classes=groups)
    found: dict[int, dict[str, Any]] = {}
    for row in frame.itertuples(index=False):
        found.setdefault(int(row.Topic), {})[str(row.Class)] = {
            "count": int(row.Frequency),
            "terms": [t.strip() for t in str(row.Words).split(",")][:5],
        }
    return found


def _over_time(
    model: Any, docs: list[str], segment_list: Sequence[SegmentText], params: TopicParams
) -> dict[int, Any]:
    dated = [
        (i, s.authored_at)
        for i, s in enumerate(segment_list)
        if s.authored_at is not None and s.kind in _FORUM_KINDS
    ]
    if len({when for _, when in dated}) < 2:
        return {}
    frame = model.topics_over_time(
        [docs[i] for i, _ in dated],
        [when.replace(tzinfo=None) for _, when in dated],
        topics=[model.topics_[i] for i, _ in dated],
        nr_bins=params.time_bins,
    )
    found: dict[int, list[dict[str, Any]]] = {}
    for row in frame.itertuples(index=False):
        found.setdefault(int(row.Topic), []).append(
            {
                "timestamp": row.Timestamp.isoformat(),
                "count": int(row.Frequency),
                "terms": [t.strip() for t in str(row.Words).split(",")][:5],
            }
        )
    return found


def _store_run(
    store: Store,
    model_id: str,
    params: TopicParams,
    model: Any,
    segment_list: Sequence[SegmentText],
    vectors: np.ndarray,
    assigned: np.ndarray,
    code_of: dict[int, int],
    per_group: dict[int, Any],
    over_time: dict[int, Any],
) -> int:
    labels = model.topic_labels_
    run_params = {
        **params.__dict__,
        "bertopic": version("bertopic"),
        "segments": len(segment_list),
        "vectorizer": "CountVectorizer(stop_words='english', ngram_range=(1, 2))",
    }
    with store.transaction() as connection:
        run_id = int(
            connection.execute(
                topic_runs.insert().values(model_id=model_id, params=run_params)
            ).inserted_primary_key[0]  # type: ignore[index]
        )
        for topic_num in sorted(set(assigned.tolist())):
            members = np.flatnonzero(assigned == topic_num)
            centroid = vectors[members].mean(axis=0)
            centroid /= np.linalg.norm(centroid) or 1.0
            similarity = vectors[members] @ centroid
            best = set(members[np.argsort(-similarity)[:_REPRESENTATIVES]].tolist())
            terms = [[term, round(float(w), 6)] for term, w in (model.get_topic(topic_num) or [])]
            topic_id = int(
                connection.execute(
                    topics.insert().values(
                        run_id=run_id,
                        topic_num=int(topic_num),
                        label=str(labels.get(topic_num, topic_num)),
                        terms=terms,
                        size=len(members),
                        code_id=code_of.get(int(topic_num)),
                        extra={
                            "zeroshot": int(topic_num) in code_of,
                            "per_group": per_group.get(int(topic_num), {}),
                            "over_time": over_time.get(int(topic_num), []),
                        },
                    )
                ).inserted_primary_key[0]  # type: ignore[index]
            )
            connection.execute(
                topic_segments.insert(),
                [
                    {
                        "topic_id": topic_id,
                        "segment_id": segment_list[i].id,
                        "probability": round(float(sim), 6),
                        "representative": int(i) in best,
                    }
                    for i, sim in zip(members.tolist(), similarity.tolist(), strict=True)
                ],
            )
    return run_id


def topic_table(store: Store, run_id: int | None = None) -> list[dict[str, Any]]:
    """The topics of a run (default: the latest) with terms and representative segments."""
    with store.connect() as connection:
        if run_id is None:
            run_id = connection.execute(sa.select(sa.func.max(topic_runs.c.id))).scalar()
            if run_id is None:
                raise EarwitnessError("no topic run yet; run `earwitness code topics` first")
        rows = connection.execute(
            sa.select(topics).where(topics.c.run_id == run_id).order_by(topics.c.topic_num)
        ).all()
        if not rows:
            raise EarwitnessError(f"no topic run with id {run_id}")
        code_names = dict(connection.execute(sa.select(codes.c.id, codes.c.name)).all())
        found = []
        for row in rows:
            found.append(
                {
                    "run": run_id,
                    "topic": row.id,
                    "topic_num": row.topic_num,
                    "label": row.label,
                    "size": row.size,
                    "code": code_names.get(row.code_id, ""),
                    "terms": ", ".join(term for term, _ in row.terms[:_TOP_TERMS]),
                    "representative": _representatives(connection, row.id),
                    "groups": json.dumps(
                        {g: v["count"] for g, v in row.extra.get("per_group", {}).items()}
                    ),
                }
            )
    return found


def _representatives(connection: sa.Connection, topic_id: int) -> list[str]:
    return [s.text for s in _representative_segments(connection, topic_id)]


def _representative_segments(connection: sa.Connection, topic_id: int) -> list[SegmentText]:
    ids = [
        row.segment_id
        for row in connection.execute(
            sa.select(topic_segments.c.segment_id)
            .where(topic_segments.c.topic_id == topic_id, topic_segments.c.representative)
            .order_by(topic_segments.c.probability.desc())
        )
    ]
    by_id = {s.id: s for s in load_segments(connection, segment_ids=ids)}
    return [by_id[i] for i in ids if i in by_id]


def promote_topic(
    store: Store,
    topic_id: int,
    *,
    name: str | None = None,
    definition: str | None = None,
    parent: str | None = None,
) -> int:
    """Make a topic a new code with its representative segments as examples; return its id."""
    with store.transaction() as connection:
        topic = connection.execute(sa.select(topics).where(topics.c.id == topic_id)).first()
        if topic is None:
            raise EarwitnessError(f"no topic with id {topic_id}")
        if topic.code_id is not None:
            raise EarwitnessError(f"topic {topic_id} is already the code with id {topic.code_id}")
        terms = [term for term, _ in topic.terms[:_TOP_TERMS]]
        name = (name or " / ".join(terms[:3]) or f"topic {topic.topic_num}").strip()
        parent_id, path = _parent_path(connection, parent)
        path = (*path, name)
        guid = code_guid(path)
        if connection.execute(sa.select(codes.c.id).where(codes.c.guid == guid)).first():
            raise EarwitnessError(f"the codebook already has a code at {' > '.join(path)!r}")
        examples = [
            {"quote": s.text, "illustrative": False}
            for s in _representative_segments(connection, topic_id)
        ]
        position = connection.execute(sa.select(sa.func.max(codes.c.position))).scalar() or 0
        code_id = int(
            connection.execute(
                codes.insert().values(
                    guid=guid,
                    name=name,
                    parent_id=parent_id,
                    definition=definition or _topic_definition(topic.run_id, terms),
                    examples=examples,
                    origin="topic",
                    position=int(position) + 1,
                    extra={"topic_id": topic_id, "topic_run_id": topic.run_id},
                )
            ).inserted_primary_key[0]  # type: ignore[index]
        )
        connection.execute(topics.update().where(topics.c.id == topic_id).values(code_id=code_id))
    return code_id


def _topic_definition(run_id: int, terms: list[str]) -> str:
    return f"Inductive theme from topic run {run_id}; top terms: {', '.join(terms)}."


def _parent_path(
    connection: sa.Connection, parent: str | None
) -> tuple[int | None, tuple[str, ...]]:
    if not parent:
        return None, ()
    found = connection.execute(sa.select(codes.c.id).where(codes.c.name == parent)).all()
    if len(found) != 1:
        raise EarwitnessError(
            f"parent code {parent!r} " + ("not found" if not found else "is ambiguous")
        )
    path: list[str] = []
    current: int | None = found[0].id
    while current is not None:
        row = connection.execute(
            sa.select(codes.c.name, codes.c.parent_id).where(codes.c.id == current)
        ).one()
        path.insert(0, row.name)
        current = row.parent_id
    return found[0].id, tuple(path)
