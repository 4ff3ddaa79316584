"""The faithful model: CatBoost MultiClass over sets of operations (Shtern et al. 2018).

"CatBoost, 1000 iterations, depth 5, MultiClass": each chosen set of operations is one
class; the input is D = |A(original) - A(equalised)| (1024 bins).
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["ShternClassifier"]


class ShternClassifier:
    """scikit-learn style wrapper: ``fit(D, set_index)``, ``predict(D)``."""

    def __init__(
        self,
        iterations: int = 1000,
        depth: int = 5,
        random_seed: int = 0,
        thread_count: int = -1,
        border_count: int | None = None,
    ) -> None:
        self.iterations = iterations
        self.border_count = border_count
        self.depth = depth
        self.random_seed = random_seed
        self.thread_count = thread_count

    def fit(self, features: np.ndarray, labels: np.ndarray) -> ShternClassifier:
        from catboost import CatBoostClassifier  # the eqmoves extra; imported on use

        self.model_: Any = CatBoostClassifier(
            iterations=self.iterations,
            depth=self.depth,
            loss_function="MultiClass",
            random_seed=self.random_seed,
            thread_count=self.thread_count,
            verbose=False,
            allow_writing_files=False,
            border_count=self.border_count,  # None: CatBoost's default (254 on CPU)
        )
        self.model_.fit(np.asarray(features, dtype=np.float32), np.asarray(labels))
        self.classes_ = np.asarray(self.model_.classes_)
        return self

    def predict(self, features: np.ndarray) -> np.ndarray:
        predicted = self.model_.predict(np.asarray(features, dtype=np.float32))
        return np.asarray(predicted).reshape(-1).astype(self.classes_.dtype)
