"""Measuring many files: each file's result or error, in parallel processes.

One bad file never stops the others: a worker returns an error object
``{"file": ..., "error": ...}`` instead of raising, so a batch (or a study run) reports
every file, and the caller decides whether a failure ends the run.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from concurrent.futures import Future
from pathlib import Path
from typing import Any

from earwitness.analysis.metrics._memory import reuse_freed_buffers
from earwitness.errors import EarwitnessError
from earwitness.processes import worker_pool

__all__ = ["default_workers", "measure_files", "measure_one"]


def default_workers(count: int, workers: int | None = None) -> int:
    """Processes for ``count`` files: ``workers`` or every core, never more than files."""
    return max(1, min(workers or os.cpu_count() or 1, count))


def measure_one(path: str, options: dict[str, Any] | None = None) -> dict[str, Any]:
    """``{"file": path, **metrics}``, or ``{"file": path, "error": message}``.

    Errors the user can act on (unreadable, truncated, unsupported) keep their one-line
    message; anything else is reported with its type, never silently dropped.
    """
    from earwitness.analysis.metrics._measure import METRIC_KEYS, measure_file

    options = dict(options or {})
    full = options.pop("full", True)
    try:
        metrics = measure_file(path, **options)
        if not full:  # the warnings are still the caller's to show
            kept = [k for k in (*METRIC_KEYS, "loudness_series") if k in metrics]
            metrics = {**{k: metrics[k] for k in kept}, "warnings": metrics["warnings"]}
        return {"file": path, **metrics}
    except EarwitnessError as exc:
        return {"file": path, "error": str(exc)}
    except (MemoryError, OSError, ValueError, RuntimeError) as exc:  # reported, not hidden
        return {"file": path, "error": f"{path}: internal error ({type(exc).__name__}: {exc})"}


def _one_thread_each() -> None:
    """The pool already uses every core: BLAS and FFT threads inside it only contend."""
    reuse_freed_buffers()
    for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[name] = "1"
    from earwitness.analysis.metrics import _spectral

    _spectral.FFT_WORKERS = 1


def measure_files(
    paths: Sequence[str | Path],
    *,
    workers: int | None = None,
    options: dict[str, Any] | None = None,
    keep_going: bool = True,
) -> Iterator[dict[str, Any]]:
    """Each file's outcome, in the order given; with ``keep_going=False`` the first
    error is the last outcome yielded (files after it are not measured)."""
    names = [str(p) for p in paths]
    count = default_workers(len(names), workers)
    if count == 1:
        reuse_freed_buffers()
        for name in names:
            outcome = measure_one(name, options)
            yield outcome
            if "error" in outcome and not keep_going:
                return
        return
    with worker_pool(count, initializer=_one_thread_each) as pool:
        futures: list[Future[dict[str, Any]]] = [
            pool.submit(measure_one, name, options) for name in names
        ]
        for index, future in enumerate(futures):
            outcome = future.result()
            yield outcome
            if "error" in outcome and not keep_going:
                for later in futures[index + 1 :]:
                    later.cancel()
                return
