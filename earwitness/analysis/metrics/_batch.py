"""Measuring many files: each file's result or error, in parallel processes or on Dask.

One bad file never stops the others: a worker returns an error object
``{"file": ..., "error": ...}`` instead of raising, so a batch (or a study run) reports
every file, and the caller decides whether a failure ends the run.

Where the files are measured (docs/scale.md):

- no scheduler (the default install, no Dask): in this command, by a process pool of
  ``workers`` processes (every core by default; one means this process alone);
- a Dask scheduler (``local:N`` or ``tcp://…``): one task per file, through
  :func:`earwitness.partitions.map_partitions`; the workers read the files by path (a
  shared file system) and hand back each file's metrics as a plain dict, in order.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Generator, Iterator, Sequence
from concurrent.futures import Future
from pathlib import Path
from typing import TYPE_CHECKING, Any

from earwitness.analysis.metrics._memory import reuse_freed_buffers
from earwitness.errors import BadInputError, EarwitnessError

if TYPE_CHECKING:
    from earwitness.partitions import Scheduler

__all__ = ["check_workers", "default_workers", "measure_files", "measure_one"]


def default_workers(count: int, workers: int | None = None) -> int:
    """Processes for ``count`` files: ``workers`` or every core, never more than files."""
    return max(1, min(workers or os.cpu_count() or 1, count))


def check_workers(workers: int | None, scheduler: Scheduler | None) -> None:
    """``--workers`` sizes this command's own pool; a Dask scheduler has its own workers."""
    if workers is not None and scheduler is not None and scheduler.distributed:
        raise BadInputError(
            f"--workers sets this command's own processes and cannot be combined with the "
            f"scheduler {scheduler.describe()}; use --scheduler local:N for N Dask workers, "
            "or --scheduler '' to measure in this command"
        )


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


@functools.cache
def _prepare_dask_worker() -> None:
    """Once per Dask worker process, what the pool's initializer does for its workers."""
    _one_thread_each()


def measure_task(job: tuple[str, dict[str, Any] | None]) -> dict[str, Any]:
    """One file on a Dask worker: ``measure_one(path, options)``."""
    _prepare_dask_worker()
    return measure_one(*job)


def measure_files(
    paths: Sequence[str | Path],
    *,
    workers: int | None = None,
    options: dict[str, Any] | None = None,
    keep_going: bool = True,
    scheduler: Scheduler | None = None,
) -> Generator[dict[str, Any], None, None]:
    """Each file's outcome, in the order given; with ``keep_going=False`` the first
    error is the last outcome yielded (files after it are not measured, or, on Dask,
    are cancelled)."""
    names = [str(p) for p in paths]
    check_workers(workers, scheduler)
    if scheduler is not None and scheduler.distributed:
        from earwitness.partitions import map_partitions  # pyarrow: only when distributed

        jobs = [(name, options) for name in names]
        outcomes = map_partitions(measure_task, jobs, scheduler=scheduler, label="Measuring audio")
    elif default_workers(len(names), workers) == 1:
        outcomes = _in_this_process(names, options)
    else:
        outcomes = _in_a_pool(names, options, default_workers(len(names), workers))
    try:
        for outcome in outcomes:
            yield outcome
            if "error" in outcome and not keep_going:
                return
    finally:  # stops the pool or cancels the Dask tasks not needed any more
        getattr(outcomes, "close", lambda: None)()


def _in_this_process(names: list[str], options: dict[str, Any] | None) -> Iterator[dict[str, Any]]:
    reuse_freed_buffers()
    for name in names:
        yield measure_one(name, options)


def _in_a_pool(
    names: list[str], options: dict[str, Any] | None, count: int
) -> Iterator[dict[str, Any]]:
    from earwitness.processes import worker_pool  # multiprocessing: only for a pool

    with worker_pool(count, initializer=_one_thread_each) as pool:
        futures: list[Future[dict[str, Any]]] = [
            pool.submit(measure_one, name, options) for name in names
        ]
        try:
            for future in futures:
                yield future.result()
        finally:
            for future in futures:
                future.cancel()
