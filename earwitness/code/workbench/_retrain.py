"""Retraining the stance model in the background after each batch of labels.

One thread at a time: a batch that ends while a run is under way asks for one more run
after it, never a second thread. The request that ended the batch only starts (or books)
the run. A run that fails keeps its error, which the queue shows and the server's log
prints in full.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from earwitness.store import Store

__all__ = ["Retrainer", "retrain_stance"]

log = logging.getLogger("earwitness.workbench")


def retrain_stance(store: Store) -> dict[str, Any]:
    """``code stance detect`` (method auto: the learned model once people labelled enough
    units of two stances, else the rules), then, for the learned model, its learning curve
    and how many more labels the curve suggests before held-out kappa reaches the bar."""
    from earwitness.code.assist import Embedder, detect_stance, stance_learning_curve
    from earwitness.provenance import MIN_LOWER_BOUND, curve_labels_needed

    embedder = Embedder(store)
    found = detect_stance(store, embedder)
    result: dict[str, Any] = {
        "method": found.get("method"),
        "labelled": found.get("human_labelled", 0),
        "curve": [],
        "curve_kappa": None,
        "curve_more": None,
        "target": MIN_LOWER_BOUND,
    }
    if "target-logreg" not in str(found.get("method")):
        return result
    curve = stance_learning_curve(store, embedder)
    points = [(row["train_units"], row["kappa"]) for row in curve]
    result["curve"] = curve
    result["curve_kappa"] = curve[-1]["kappa"] if curve else None
    result["curve_more"] = curve_labels_needed(points, result["labelled"])
    return result


class Retrainer:
    """Counts labels; after every ``batch`` of them retrains in a background thread."""

    def __init__(
        self, store: Store, batch: int, train: Callable[[Store], dict[str, Any]] = retrain_stance
    ) -> None:
        self.store, self.batch, self.train = store, batch, train
        self._lock = threading.Lock()
        self._count = 0
        self._thread: threading.Thread | None = None
        self._again = False
        self._status: dict[str, Any] = {"state": "idle", "runs": 0, "batch": batch}

    def labelled(self, count: int = 1) -> None:
        """Note new labels; start a run when they complete a batch."""
        with self._lock:
            self._count += count
            if self.batch <= 0 or self._count < self.batch:
                return
            self._count = 0
        self.start()

    def start(self) -> None:
        with self._lock:
            if self._thread is not None and self._thread.is_alive():
                self._again = True
                return
            self._status = {**self._status, "state": "running", "started_at": _now()}
            self._thread = threading.Thread(target=self._loop, name="stance-retrain", daemon=True)
            self._thread.start()

    def _loop(self) -> None:
        while True:
            began = time.perf_counter()
            try:
                result = self.train(self.store)
            except Exception as error:  # shown in the queue and logged, never swallowed
                log.exception("retraining the stance model failed")
                failure = f"{type(error).__name__}: {error}"
                update: dict[str, Any] = {"state": "failed", "error": failure}
            else:
                update = {"state": "done", "error": "", "result": result}
            with self._lock:
                self._status = {
                    **self._status,
                    **update,
                    "runs": self._status["runs"] + 1,
                    "seconds": round(time.perf_counter() - began, 2),
                    "finished_at": _now(),
                }
                if not self._again:
                    return
                self._again = False
                self._status["state"] = "running"
                self._status["started_at"] = _now()

    def status(self) -> dict[str, Any]:
        with self._lock:
            return {**self._status, "pending": self._count}

    def wait(self, timeout: float = 60.0) -> None:
        """Wait for the run under way (and the one booked after it) to end."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                thread = self._thread
            if thread is None or not thread.is_alive():
                return
            thread.join(max(0.0, deadline - time.monotonic()))


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
