"""How far the machine's suggestions agree with human coders, measured on held-out text.

Human-coded segments (segments of documents a coder read and coded) are split into
folds by document, so no document informs its own prediction. For each fold the code
signals are trained on the other folds exactly as :func:`suggest` would, and the
held-out segments are scored; a score at or above the threshold counts as "applied".

Per code the report gives, each with the number of units behind it:

* Krippendorff's alpha (nominal) between the model and each human coder, over
  (segment, coder) pairs (Krippendorff 2011, via
  :func:`earwitness.code.reliability.krippendorff_alpha`);
* the human–human alpha over segments that two or more coders read;
* precision and recall of the model against the same (segment, coder) decisions.

A code whose model alpha falls below its human–human alpha (or, without a second
coder, below the study's ``agreement_threshold``) is flagged.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from sklearn.model_selection import GroupKFold

from earwitness.code.assist._data import (
    HumanLabels,
    SegmentText,
    human_labels,
    load_codes,
    load_segments,
)
from earwitness.code.assist._embeddings import Embedder
from earwitness.code.assist._suggest import DEFAULT_THRESHOLD, MIN_HUMAN_EXAMPLES, train_signals
from earwitness.code.reliability import krippendorff_alpha
from earwitness.errors import EarwitnessError

if TYPE_CHECKING:
    from earwitness.store import Store

__all__ = ["CodeEvaluation", "binary_agreement", "evaluate"]

DEFAULT_AGREEMENT_THRESHOLD = 0.667


@dataclass
class CodeEvaluation:
    """Model-versus-human agreement for one code; ``None`` where a figure is undefined."""

    code: str
    signal: str
    alpha_model_human: float | None
    n_model_pairs: int
    alpha_human_human: float | None
    n_human_segments: int
    precision: float | None
    n_model_positive: int
    recall: float | None
    n_human_positive: int
    flag: str

    def as_row(self) -> dict[str, Any]:
        return asdict(self)


def binary_agreement(model: Sequence[bool], human: Sequence[bool]) -> dict[str, Any]:
    """Alpha, precision and recall of paired yes/no decisions, with their counts."""
    pairs = len(model)
    alpha = (
        krippendorff_alpha([[int(m) for m in model], [int(h) for h in human]])
        if pairs
        else math.nan
    )
    true_positive = sum(1 for m, h in zip(model, human, strict=True) if m and h)
    predicted, actual = sum(map(bool, model)), sum(map(bool, human))
    return {
        "alpha": _defined(alpha),
        "pairs": pairs,
        "precision": true_positive / predicted if predicted else None,
        "predicted": predicted,
        "recall": true_positive / actual if actual else None,
        "actual": actual,
    }


def _defined(value: float) -> float | None:
    return None if value is None or math.isnan(value) else round(float(value), 4)


def evaluate(
    store: Store,
    embedder: Embedder | None = None,
    *,
    code_names: Sequence[str] | None = None,
    threshold: float | None = None,
    folds: int = 5,
    kinds: Sequence[str] | None = None,
    min_examples: int = MIN_HUMAN_EXAMPLES,
    agreement_threshold: float = DEFAULT_AGREEMENT_THRESHOLD,
    seed: int = 0,
) -> list[CodeEvaluation]:
    """Cross-validated agreement of the suggestions with human coders, per code."""
    embedder = embedder or Embedder(store)
    threshold = DEFAULT_THRESHOLD if threshold is None else threshold
    with store.connect() as connection:
        code_list = load_codes(connection, code_names)
        all_segments = load_segments(connection, kinds=kinds)
        labels = human_labels(connection, all_segments)
    segment_list = [s for s in all_segments if labels.coders_of(s)]
    if not code_list:
        raise EarwitnessError("the codebook has no codable codes to evaluate")
    documents = {s.document_id for s in segment_list}
    if len(documents) < 2:
        raise EarwitnessError(
            "evaluation needs human coding in at least two documents; code some first"
        )
    vectors = embedder.embed([s.text for s in segment_list])
    decisions = np.zeros((len(segment_list), len(code_list)), dtype=bool)
    signals_used: list[Counter[str]] = [Counter() for _ in code_list]
    splitter = GroupKFold(n_splits=min(folds, len(documents)), shuffle=True, random_state=seed)
    groups = [s.document_id for s in segment_list]
    for train, test in splitter.split(vectors, groups=groups):
        train_ids = {segment_list[i].id for i in train}
        signals = train_signals(
            embedder,
            code_list,
            segment_list,
            vectors,
            labels,
            min_examples=min_examples,
            train_ids=train_ids,
        )
        for column, signal in enumerate(signals):
            decisions[test, column] = signal.scores(vectors[test]) >= threshold
            signals_used[column][signal.kind] += 1
    return [
        _code_evaluation(
            code.name,
            signals_used[column],
            decisions[:, column],
            code.id,
            segment_list,
            labels,
            agreement_threshold,
        )
        for column, code in enumerate(code_list)
    ]


def _code_evaluation(
    name: str,
    used: Counter[str],
    model: np.ndarray,
    code_id: int,
    segment_list: Sequence[SegmentText],
    labels: HumanLabels,
    agreement_threshold: float,
) -> CodeEvaluation:
    model_pairs: list[bool] = []
    human_pairs: list[bool] = []
    for i, segment in enumerate(segment_list):
        for coder in sorted(labels.coders_of(segment)):
            model_pairs.append(bool(model[i]))
            human_pairs.append(labels.decision(code_id, segment.id, coder))
    against = binary_agreement(model_pairs, human_pairs)
    human_alpha, n_human = _human_alpha(code_id, segment_list, labels)
    return CodeEvaluation(
        code=name,
        signal="+".join(sorted(used)) if len(used) > 1 else next(iter(used), "none"),
        alpha_model_human=against["alpha"],
        n_model_pairs=against["pairs"],
        alpha_human_human=human_alpha,
        n_human_segments=n_human,
        precision=_rounded(against["precision"]),
        n_model_positive=against["predicted"],
        recall=_rounded(against["recall"]),
        n_human_positive=against["actual"],
        flag=_flag(against["alpha"], human_alpha, agreement_threshold),
    )


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def _human_alpha(
    code_id: int, segment_list: Sequence[SegmentText], labels: HumanLabels
) -> tuple[float | None, int]:
    shared = [s for s in segment_list if len(labels.coders_of(s)) >= 2]
    if not shared:
        return None, 0
    coders = sorted({c for s in shared for c in labels.coders_of(s)})
    data = [
        [
            int(labels.decision(code_id, s.id, coder)) if coder in labels.coders_of(s) else None
            for s in shared
        ]
        for coder in coders
    ]
    return _defined(krippendorff_alpha(data)), len(shared)


def _flag(model: float | None, human: float | None, threshold: float) -> str:
    if model is None:
        return "model alpha undefined"
    if human is not None:
        return "below human-human" if model < human else ""
    return f"below threshold {threshold:g} (no second coder)" if model < threshold else ""
