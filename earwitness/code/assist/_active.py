"""Which stance units people should label next (active learning).

* ``uncertainty``: the learned model (``_stance``'s target-marked logistic regression) is
  trained on the units people labelled and scores the rest; the units whose two most
  probable stances are closest (smallest margin, Scheffer et al. 2001; Settles 2009,
  "Active Learning Literature Survey", §3.1) come first, at most one per document until
  every document has given one, so a long thread cannot fill the queue. Without enough
  labels for a model (``min_examples`` units with two stances or more) it falls back to
  ``stratified`` and says so in each row's ``basis``.
* ``stratified``: round-robin over tool × predicted stance (``sample_for_labelling``), so
  rare tools and rare predicted stances are drawn as often as common ones while they last.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from earwitness.code.assist._embeddings import Embedder
from earwitness.code.assist._stance import (
    MIN_STANCE_EXAMPLES,
    StanceUnit,
    _features,
    _fit,
    _majority,
    _units,
    sample_for_labelling,
)
from earwitness.errors import BadInputError

if TYPE_CHECKING:
    from earwitness.store import Store

__all__ = ["SAMPLING_STRATEGIES", "next_stance_units"]

SAMPLING_STRATEGIES = ("uncertainty", "stratified")


def next_stance_units(
    store: Store,
    n: int,
    *,
    strategy: str = "uncertainty",
    embedder: Embedder | None = None,
    min_examples: int = MIN_STANCE_EXAMPLES,
    seed: int = 0,
) -> list[dict[str, Any]]:
    """The ``n`` unlabelled segment × tool units most worth labelling next.

    Rows have ``segment_id, tool, predicted, margin, basis, text, stance, coder`` (the
    last two empty, for people to fill in; ``earwitness code stance import`` reads them).
    """
    if strategy not in SAMPLING_STRATEGIES:
        raise BadInputError(f"strategy must be one of {', '.join(SAMPLING_STRATEGIES)}")
    if strategy == "uncertainty":
        units, human = _units(store)
        labelled = [u for u in units if u.key in human]
        y = [_majority(human[u.key]) for u in labelled]
        if len(labelled) >= min_examples and len(set(y)) >= 2:
            return _least_certain(store, units, labelled, y, n, embedder, seed)
        basis = f"stratified (fewer than {min_examples} labelled units of two stances)"
    else:
        basis = "stratified"
    rows = sample_for_labelling(store, n, seed=seed)
    return [_row(r["segment_id"], r["tool"], r["predicted"], None, basis, r["text"]) for r in rows]


def _least_certain(
    store: Store,
    units: Sequence[StanceUnit],
    labelled: Sequence[StanceUnit],
    y: list[str],
    n: int,
    embedder: Embedder | None,
    seed: int,
) -> list[dict[str, Any]]:
    embedder = embedder or Embedder(store)
    done = {u.key for u in labelled}
    pool = [u for u in units if u.key not in done]
    if not pool:
        return []
    model = _fit(_features(labelled, embedder), y)
    probabilities = model.predict_proba(_features(pool, embedder))
    ordered = np.sort(probabilities, axis=1)
    margins = ordered[:, -1] - ordered[:, -2]
    predicted = model.classes_[probabilities.argmax(axis=1)]
    tie_break = np.random.default_rng(seed).random(len(pool))
    order = sorted(range(len(pool)), key=lambda i: (round(float(margins[i]), 9), tie_break[i]))
    first: list[int] = []
    seen: set[int] = set()
    for i in order:  # one unit per document first
        if pool[i].segment.document_id not in seen:
            first.append(i)
            seen.add(pool[i].segment.document_id)
    taken = set(first)
    chosen = first + [i for i in order if i not in taken]
    return [
        _row(
            pool[i].segment.id,
            pool[i].tool,
            str(predicted[i]),
            round(float(margins[i]), 4),
            f"uncertainty ({embedder.model_id} + target-logreg, {len(labelled)} labels)",
            pool[i].segment.text,
        )
        for i in chosen[:n]
    ]


def _row(
    segment_id: int, tool: str, predicted: str, margin: float | None, basis: str, text: str
) -> dict[str, Any]:
    return {
        "segment_id": segment_id,
        "tool": tool,
        "predicted": predicted,
        "margin": margin,
        "basis": basis,
        "text": text,
        "stance": "",
        "coder": "",
    }
