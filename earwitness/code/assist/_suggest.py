"""Deductive code suggestions: the machine proposes, a researcher accepts or rejects.

Each segment is scored against each codable code with one of two signals:

* **similarity**: the cosine similarity between the segment's embedding and the nearest of
  the code's prototypes (its name with its definition, and each example quote);
* **classifier**: once the code has enough human codings, a logistic regression on the
  embeddings, its probabilities calibrated with Platt's sigmoid (Platt 1999; scikit-learn
  ``CalibratedClassifierCV``; Niculescu-Mizil & Caruana 2005 on calibrating classifiers).

A score at or above the threshold becomes a *model coding* (origin ``model``, status
``proposed``) with the model id, the score and a rationale naming the nearest example.
It never counts as a human coding: accepting it writes a human coding by the reviewing
coder and marks the suggestion ``accepted``; rejecting it marks it ``rejected``, and
neither is proposed again.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
import sqlalchemy as sa
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.calibration import CalibratedClassifierCV
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold

from earwitness.code.assist._data import (
    CodeInfo,
    HumanLabels,
    SegmentText,
    human_labels,
    load_codes,
    load_segments,
)
from earwitness.code.assist._embeddings import Embedder
from earwitness.errors import EarwitnessError
from earwitness.store import ensure_coder
from earwitness.store.schema import codes, codings, documents

if TYPE_CHECKING:
    from earwitness.store import Store

__all__ = [
    "DEFAULT_THRESHOLD",
    "MIN_HUMAN_EXAMPLES",
    "CodeClassifier",
    "CodeSignal",
    "SuggestReport",
    "Suggestion",
    "accept_suggestion",
    "pending_suggestions",
    "reject_suggestion",
    "suggest",
    "train_signals",
]

DEFAULT_THRESHOLD = 0.5
MIN_HUMAN_EXAMPLES = 8
_RATIONALE_CHARS = 160

Matrix = npt.NDArray[np.float32]


class CodeClassifier(ClassifierMixin, BaseEstimator):
    """Calibrated logistic regression on sentence embeddings, for one code (yes/no)."""

    def __init__(
        self, C: float = 1.0, cv: int = 3, method: str = "sigmoid", random_state: int = 0
    ) -> None:
        self.C = C
        self.cv = cv
        self.method = method
        self.random_state = random_state

    def fit(self, X: npt.ArrayLike, y: npt.ArrayLike) -> CodeClassifier:
        X, y = np.asarray(X), np.asarray(y)
        smallest = int(np.bincount(y.astype(int)).min()) if len(np.unique(y)) == 2 else 0
        if smallest < 2:
            raise ValueError("a code classifier needs at least two examples of each class")
        folds = StratifiedKFold(
            n_splits=min(self.cv, smallest), shuffle=True, random_state=self.random_state
        )
        base = LogisticRegression(
            C=self.C, class_weight="balanced", max_iter=1000, random_state=self.random_state
        )
        self.model_ = CalibratedClassifierCV(base, method=self.method, cv=folds).fit(X, y)
        self.classes_ = self.model_.classes_
        self.n_train_ = len(y)
        return self

    def predict_proba(self, X: npt.ArrayLike) -> npt.NDArray[np.float64]:
        return np.asarray(self.model_.predict_proba(np.asarray(X)), dtype=np.float64)

    def predict(self, X: npt.ArrayLike) -> npt.NDArray[Any]:
        return np.asarray(self.classes_[self.predict_proba(X).argmax(axis=1)])


@dataclass
class CodeSignal:
    """How one code is scored: its prototypes, and a classifier when humans coded enough."""

    code: CodeInfo
    prototypes: list[str]
    prototype_vectors: Matrix
    classifier: CodeClassifier | None = None
    n_positive: int = 0
    n_negative: int = 0
    rationale_texts: list[str] = field(default_factory=list)
    rationale_vectors: Matrix | None = None

    @property
    def kind(self) -> str:
        return "classifier" if self.classifier is not None else "similarity"

    def scores(self, vectors: Matrix) -> npt.NDArray[np.float64]:
        if self.classifier is not None:
            positive = list(self.classifier.classes_).index(1)
            return self.classifier.predict_proba(vectors)[:, positive]
        similarity = vectors @ self.prototype_vectors.T
        return np.clip(similarity.max(axis=1), 0.0, 1.0).astype(np.float64)

    def nearest(self, vectors: Matrix) -> tuple[list[str], npt.NDArray[np.float64]]:
        """For each row, the nearest prototype or human-coded example, and its similarity."""
        texts = self.prototypes + self.rationale_texts
        pool = self.prototype_vectors
        if self.rationale_vectors is not None and len(self.rationale_vectors):
            pool = np.vstack([pool, self.rationale_vectors])
        similarity = vectors @ pool.T
        best = similarity.argmax(axis=1)
        return [texts[i] for i in best], similarity[np.arange(len(best)), best].astype(np.float64)


def _prototypes(code: CodeInfo) -> list[str]:
    definition = f"{code.name}. {code.definition}".strip()
    return [definition, *code.examples]


def train_signals(
    embedder: Embedder,
    code_list: Sequence[CodeInfo],
    segment_list: Sequence[SegmentText],
    vectors: Matrix,
    labels: HumanLabels,
    *,
    min_examples: int = MIN_HUMAN_EXAMPLES,
    train_ids: set[int] | None = None,
) -> list[CodeSignal]:
    """Build each code's signal; train a classifier where humans coded enough segments.

    Training units are segments of documents a human coder read (see ``HumanLabels``),
    optionally restricted to ``train_ids`` (for held-out evaluation). A segment is a
    positive if any coder applied the code to it.
    """
    prototype_texts = [_prototypes(code) for code in code_list]
    flat = [text for texts in prototype_texts for text in texts]
    flat_vectors = embedder.embed(flat) if flat else np.zeros((0, vectors.shape[1]), np.float32)
    read = [
        i
        for i, segment in enumerate(segment_list)
        if labels.coders_of(segment) and (train_ids is None or segment.id in train_ids)
    ]
    signals: list[CodeSignal] = []
    offset = 0
    for code, texts in zip(code_list, prototype_texts, strict=True):
        signal = CodeSignal(code, texts, flat_vectors[offset : offset + len(texts)])
        offset += len(texts)
        positives = labels.positives(code.id)
        y = np.array([int(segment_list[i].id in positives) for i in read], dtype=int)
        signal.n_positive, signal.n_negative = int(y.sum()), int(len(y) - y.sum())
        if read:
            chosen = [i for i, label in zip(read, y, strict=True) if label]
            signal.rationale_texts = [segment_list[i].text for i in chosen]
            signal.rationale_vectors = vectors[chosen]
        if min(signal.n_positive, signal.n_negative) >= min_examples:
            signal.classifier = CodeClassifier().fit(vectors[read], y)
        signals.append(signal)
    return signals


@dataclass
class SuggestReport:
    """What one ``suggest`` run did, per code."""

    model_id: str
    threshold: float
    segments: int
    embedded: int
    cached: int
    codes: list[dict[str, Any]]

    def as_rows(self) -> list[dict[str, Any]]:
        return self.codes


def suggest(
    store: Store,
    embedder: Embedder | None = None,
    *,
    code_names: Sequence[str] | None = None,
    threshold: float | None = None,
    kinds: Sequence[str] | None = None,
    min_examples: int = MIN_HUMAN_EXAMPLES,
    on_progress: Callable[[int], None] | None = None,
) -> SuggestReport:
    """Score every segment against the codes; store scores >= threshold as proposals.

    Proposals from an earlier run that no longer reach the threshold are withdrawn;
    accepted and rejected suggestions, and segments a human already coded with the code,
    are left alone. All writes happen in one transaction.
    """
    embedder = embedder or Embedder(store)
    threshold = DEFAULT_THRESHOLD if threshold is None else threshold
    if not 0.0 <= threshold <= 1.0:
        raise EarwitnessError(f"--threshold must be between 0 and 1, got {threshold}")
    with store.connect() as connection:
        code_list = load_codes(connection, code_names)
        segment_list = load_segments(connection, kinds=kinds)
        labels = human_labels(connection, segment_list)
    if not code_list:
        raise EarwitnessError("the codebook has no codable codes; import a codebook first")
    vectors = embedder.embed([s.text for s in segment_list], on_progress=on_progress)
    stats = embedder.stats
    signals = train_signals(
        embedder, code_list, segment_list, vectors, labels, min_examples=min_examples
    )
    proposals = {}
    summary = []
    for signal in signals:
        found = _proposals(signal, segment_list, vectors, labels, threshold, embedder.model_id)
        proposals[signal.code.id] = found
        summary.append(
            {
                "code": signal.code.name,
                "signal": signal.kind,
                "human_positive": signal.n_positive,
                "human_negative": signal.n_negative,
                "proposed": len(found),
            }
        )
    with store.transaction() as connection:
        _write_proposals(connection, proposals, {s.id for s in segment_list})
    return SuggestReport(
        embedder.model_id, threshold, len(segment_list), stats.encoded, stats.cached, summary
    )


def _model_id(embedding_model: str, signal: CodeSignal) -> str:
    return f"{embedding_model}+{'logreg-platt' if signal.classifier else 'cosine'}"


def _proposals(
    signal: CodeSignal,
    segment_list: Sequence[SegmentText],
    vectors: Matrix,
    labels: HumanLabels,
    threshold: float,
    embedding_model: str,
) -> dict[int, dict[str, Any]]:
    if not segment_list:
        return {}
    scores = signal.scores(vectors)
    already = labels.positives(signal.code.id)
    chosen = [
        int(i)
        for i in np.flatnonzero(scores >= threshold)
        if segment_list[int(i)].id not in already
    ]
    if not chosen:
        return {}
    nearest, similarity = signal.nearest(vectors[chosen])
    found: dict[int, dict[str, Any]] = {}
    for i, text, sim in zip(chosen, nearest, similarity, strict=True):
        segment = segment_list[i]
        found[segment.id] = {
            "document_id": segment.document_id,
            "segment_id": segment.id,
            "start": segment.start,
            "end": segment.end,
            "code_id": signal.code.id,
            "model_id": _model_id(embedding_model, signal),
            "score": round(float(scores[i]), 6),
            "rationale": _rationale(signal, text, float(sim)),
        }
    return found


def _rationale(signal: CodeSignal, nearest: str, similarity: float) -> str:
    quote = nearest if len(nearest) <= _RATIONALE_CHARS else nearest[: _RATIONALE_CHARS - 1] + "…"
    if signal.classifier is not None:
        basis = (
            f"calibrated classifier trained on {signal.n_positive} coded and "
            f"{signal.n_negative} uncoded human-read segments"
        )
    else:
        basis = "similarity to the code's definition and examples"
    return f'{basis}; nearest example ({similarity:.2f}): "{quote}"'


def _write_proposals(
    connection: sa.Connection, proposals: dict[int, dict[int, dict[str, Any]]], seen: set[int]
) -> None:
    existing: dict[tuple[int, int], tuple[int, str]] = {}
    rows = connection.execute(
        sa.select(codings.c.id, codings.c.code_id, codings.c.segment_id, codings.c.status).where(
            codings.c.origin == "model", codings.c.code_id.in_(list(proposals))
        )
    )
    for row in rows:
        if row.segment_id in seen:
            existing[(row.code_id, row.segment_id)] = (row.id, row.status)
    withdrawn = [
        coding_id
        for (code_id, segment_id), (coding_id, status) in existing.items()
        if status == "proposed" and segment_id not in proposals[code_id]
    ]
    for start in range(0, len(withdrawn), 500):
        connection.execute(codings.delete().where(codings.c.id.in_(withdrawn[start : start + 500])))
    inserts, updates = [], []
    for code_id, found in proposals.items():
        for segment_id, values in found.items():
            known = existing.get((code_id, segment_id))
            if known is None:
                inserts.append(
                    {**values, "guid": str(uuid.uuid4()), "origin": "model", "status": "proposed"}
                )
            elif known[1] == "proposed":
                updates.append({"b_id": known[0], **_changing(values)})
    if inserts:
        connection.execute(codings.insert(), inserts)
    if updates:
        connection.execute(
            codings.update()
            .where(codings.c.id == sa.bindparam("b_id"))
            .values(
                model_id=sa.bindparam("b_model_id"),
                score=sa.bindparam("b_score"),
                rationale=sa.bindparam("b_rationale"),
            ),
            updates,
        )


def _changing(values: dict[str, Any]) -> dict[str, Any]:
    return {f"b_{key}": values[key] for key in ("model_id", "score", "rationale")}


# --- review -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Suggestion:
    """A proposed model coding, with the text it covers (render it escaped)."""

    id: int
    code_id: int
    code: str
    document_id: int
    segment_id: int | None
    start: int
    end: int
    text: str
    score: float | None
    model_id: str | None
    rationale: str | None

    def as_row(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "code": self.code,
            "score": self.score,
            "segment_id": self.segment_id,
            "text": self.text,
            "rationale": self.rationale,
            "model_id": self.model_id,
        }


def pending_suggestions(
    store: Store,
    *,
    code_names: Sequence[str] | None = None,
    min_score: float | None = None,
    limit: int | None = None,
) -> list[Suggestion]:
    """Proposed suggestions, best score first."""
    query = (
        sa.select(
            codings.c.id,
            codings.c.code_id,
            codes.c.name,
            codings.c.document_id,
            codings.c.segment_id,
            codings.c.start,
            codings.c.end,
            documents.c.text,
            codings.c.score,
            codings.c.model_id,
            codings.c.rationale,
        )
        .join(codes, codes.c.id == codings.c.code_id)
        .join(documents, documents.c.id == codings.c.document_id)
        .where(codings.c.origin == "model", codings.c.status == "proposed")
        .order_by(codings.c.score.desc(), codings.c.id)
    )
    if code_names:
        query = query.where(sa.func.lower(codes.c.name).in_([n.casefold() for n in code_names]))
    if min_score is not None:
        query = query.where(codings.c.score >= min_score)
    if limit is not None:
        query = query.limit(limit)
    with store.connect() as connection:
        return [
            Suggestion(
                id=row.id,
                code_id=row.code_id,
                code=row.name,
                document_id=row.document_id,
                segment_id=row.segment_id,
                start=row.start,
                end=row.end,
                text=row.text[row.start : row.end],
                score=row.score,
                model_id=row.model_id,
                rationale=row.rationale,
            )
            for row in connection.execute(query)
        ]


def _proposed(connection: sa.Connection, suggestion_id: int) -> Any:
    row = connection.execute(
        sa.select(codings).where(codings.c.id == suggestion_id, codings.c.origin == "model")
    ).first()
    if row is None:
        raise EarwitnessError(f"no model suggestion with id {suggestion_id}")
    if row.status != "proposed":
        raise EarwitnessError(f"suggestion {suggestion_id} was already {row.status}")
    return row


def accept_suggestion(store: Store, suggestion_id: int, coder: str, *, memo: str = "") -> int:
    """Accept a suggestion as ``coder``: write their human coding; return its id."""
    if not coder.strip():
        raise EarwitnessError("accepting a suggestion needs the reviewing coder's name")
    with store.transaction() as connection:
        row = _proposed(connection, suggestion_id)
        coder_id = ensure_coder(connection, coder.strip())
        existing = connection.execute(
            sa.select(codings.c.id).where(
                codings.c.origin == "human",
                codings.c.status == "applied",
                codings.c.coder_id == coder_id,
                codings.c.code_id == row.code_id,
                codings.c.document_id == row.document_id,
                codings.c.start == row.start,
                codings.c.end == row.end,
            )
        ).scalar()
        if existing is None:
            note = f"accepted model suggestion {row.guid} ({row.model_id}, score {row.score:.2f})"
            result = connection.execute(
                codings.insert().values(
                    guid=str(uuid.uuid4()),
                    document_id=row.document_id,
                    segment_id=row.segment_id,
                    start=row.start,
                    end=row.end,
                    code_id=row.code_id,
                    coder_id=coder_id,
                    origin="human",
                    status="applied",
                    memo=f"{memo}\n{note}".strip(),
                )
            )
            existing = int(result.inserted_primary_key[0])  # type: ignore[index]
        _mark(connection, suggestion_id, "accepted", coder.strip())
        return int(existing)


def reject_suggestion(store: Store, suggestion_id: int, coder: str) -> None:
    """Reject a suggestion as ``coder``; it is kept (for evaluation) but never re-proposed."""
    if not coder.strip():
        raise EarwitnessError("rejecting a suggestion needs the reviewing coder's name")
    with store.transaction() as connection:
        _proposed(connection, suggestion_id)
        _mark(connection, suggestion_id, "rejected", coder.strip())


def _mark(connection: sa.Connection, suggestion_id: int, status: str, coder: str) -> None:
    connection.execute(
        codings.update()
        .where(codings.c.id == suggestion_id)
        .values(status=status, memo=f"{status} by {coder}")
    )
