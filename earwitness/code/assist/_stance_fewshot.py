"""Few-shot stance: contrastive fine-tuning of the sentence encoder, then a logistic head.

SetFit (Tunstall et al. 2022, "Efficient Few-Shot Learning Without Prompts",
arXiv:2209.11055): from a few hundred labelled units, pairs of units are drawn, each unit
once per round with one unit of the same stance (target similarity 1) and one of another
stance (0); the encoder is fine-tuned so the cosine similarity of each pair's embeddings
approaches its target (sentence-transformers' ``CosineSimilarityLoss``), and a
class-balanced logistic regression is fitted on the fine-tuned embeddings. The inputs are
the target-marked windows of ``_stance_learn.marked_window`` (the tool as ``[TOOL]``,
other tools as ``[OTHER]``); with ``use_rules`` the rule scorer's stance and valence are
appended to the head's features, as for the frozen-encoder classifier.

The loop is sentence-transformers' loss in a plain torch loop (no ``setfit`` or
``datasets`` dependency), bounded by ``max_steps`` and ``max_seconds`` so it stays short
on a CPU. The encoder is a copy: the shared, cached model is never changed.
"""

from __future__ import annotations

import copy
import importlib
import time
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import LogisticRegression

from earwitness.code.assist._stance_learn import StanceUnitText, marked_window, rule_features

__all__ = ["FEWSHOT_ID", "FewShotStance", "contrastive_pairs"]

FEWSHOT_ID = "setfit-logreg"
Units = Sequence[StanceUnitText] | npt.NDArray[Any]


def contrastive_pairs(
    labels: Sequence[str], rounds: int, rng: np.random.Generator
) -> list[tuple[int, int, float]]:
    """SetFit's pairs: per round, each unit with one same-stance unit (1.0) and one unit of
    another stance (0.0), when there is one; shuffled."""
    y = np.asarray(labels)
    by_class = {c: np.flatnonzero(y == c) for c in set(labels)}
    pairs: list[tuple[int, int, float]] = []
    for _ in range(rounds):
        for i, label in enumerate(labels):
            same = by_class[label]
            others = np.flatnonzero(y != label)
            pairs.append((i, int(rng.choice(same)), 1.0))
            if len(others):
                pairs.append((i, int(rng.choice(others)), 0.0))
    order = rng.permutation(len(pairs))
    return [pairs[k] for k in order]


class FewShotStance(ClassifierMixin, BaseEstimator):
    """SetFit-style stance classifier over :class:`StanceUnitText` units (``X``).

    ``model`` is a loaded sentence-transformers model (copied before training; the
    packaged all-MiniLM-L6-v2 by default). Training stops after ``max_steps`` batches or
    ``max_seconds``, whichever comes first.
    """

    def __init__(
        self,
        model: Any = None,
        *,
        rounds: int = 5,
        batch_size: int = 16,
        learning_rate: float = 2e-5,
        max_steps: int = 150,
        max_seconds: float = 300.0,
        max_length: int = 128,
        use_rules: bool = True,
        C: float = 1.0,
        random_state: int = 0,
    ) -> None:
        self.model = model
        self.rounds = rounds
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.max_steps = max_steps
        self.max_seconds = max_seconds
        self.max_length = max_length
        self.use_rules = use_rules
        self.C = C
        self.random_state = random_state

    def fit(self, X: Units, y: Sequence[str]) -> FewShotStance:
        labels = [str(label) for label in y]
        if len(set(labels)) < 2:
            raise ValueError("a stance classifier needs at least two different stances")
        texts = [marked_window(unit) for unit in X]
        self.encoder_ = copy.deepcopy(self.model if self.model is not None else _default_model())
        self.encoder_.max_seq_length = min(self.encoder_.max_seq_length or 512, self.max_length)
        started = time.perf_counter()
        self.train_steps_ = self._fine_tune(texts, labels)
        self.train_seconds_ = round(time.perf_counter() - started, 2)
        self.head_ = LogisticRegression(
            C=self.C, class_weight="balanced", max_iter=2000, random_state=self.random_state
        ).fit(self._features(X, texts), np.asarray(labels))
        self.classes_ = self.head_.classes_
        return self

    def _fine_tune(self, texts: list[str], labels: list[str]) -> int:
        import torch

        torch.manual_seed(self.random_state)
        rng = np.random.default_rng(self.random_state)
        pairs = contrastive_pairs(labels, self.rounds, rng)
        loss_function = cosine_similarity_loss(self.encoder_)
        optimiser = torch.optim.AdamW(self.encoder_.parameters(), lr=self.learning_rate)
        deadline = time.perf_counter() + self.max_seconds
        self.encoder_.train()
        steps = 0
        for start in range(0, len(pairs), self.batch_size):
            if steps >= self.max_steps or time.perf_counter() > deadline:
                break
            batch = pairs[start : start + self.batch_size]
            features = [
                self._tokens([texts[a] for a, _, _ in batch]),
                self._tokens([texts[b] for _, b, _ in batch]),
            ]
            target = torch.tensor([t for _, _, t in batch], dtype=torch.float32)
            loss = loss_function(features, target)
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            steps += 1
        self.encoder_.eval()
        return steps

    def _tokens(self, texts: list[str]) -> dict[str, Any]:
        prepare = getattr(self.encoder_, "preprocess", None) or self.encoder_.tokenize
        features: dict[str, Any] = prepare(texts)
        device = self.encoder_.device
        return {k: v.to(device) if hasattr(v, "to") else v for k, v in features.items()}

    def _features(self, X: Units, texts: list[str] | None = None) -> npt.NDArray[np.float64]:
        texts = texts if texts is not None else [marked_window(unit) for unit in X]
        vectors = np.asarray(
            self.encoder_.encode(
                texts,
                batch_size=64,
                convert_to_numpy=True,
                normalize_embeddings=True,
                show_progress_bar=False,
            ),
            dtype=np.float64,
        ).reshape(len(texts), -1)
        if self.use_rules:
            return np.hstack([vectors, rule_features(list(X))])
        return vectors

    def predict_proba(self, X: Units) -> npt.NDArray[np.float64]:
        return np.asarray(self.head_.predict_proba(self._features(X)), dtype=np.float64)

    def predict(self, X: Units) -> npt.NDArray[Any]:
        return np.asarray(self.classes_[self.predict_proba(X).argmax(axis=1)])


def cosine_similarity_loss(model: Any) -> Any:
    """sentence-transformers' CosineSimilarityLoss (its home moved in version 6)."""
    try:
        losses = importlib.import_module("sentence_transformers.sentence_transformer.losses")
    except ImportError:  # sentence-transformers < 6
        losses = importlib.import_module("sentence_transformers.losses")
    return losses.CosineSimilarityLoss(model)


def _default_model() -> Any:
    from earwitness.code.assist._embeddings import load_model, resolve_model

    return load_model(resolve_model().location, "cpu")
