"""Run a step's partitions in this process, on a local Dask cluster, or on a Dask scheduler.

One setting picks where the heavy steps run (``scheduler`` in ``earwitness.toml``,
``--scheduler`` on the commands, the ``EARWITNESS_SCHEDULER`` environment variable over
both):

- empty (the default): in this process, one partition after another; Dask is not imported;
- ``local`` or ``local:N``: a ``distributed.LocalCluster`` of N worker processes (one per
  core by default), one thread each;
- ``tcp://host:port`` (or ``tls://``): an existing Dask scheduler, such as one that
  dask-jobqueue starts on Slurm or dask-kubernetes on Kubernetes (docs/scale.md).

A step cuts its work into partitions and gives :func:`map_partitions` a function that a
worker runs on one partition. Workers take their inputs with the task and hand back their
outputs as Parquet (:func:`to_parquet`); they never open the study database. The driver
alone writes to the store, one partition per transaction, replacing that partition's
rows, so a rerun after a lost worker or a killed driver ends with exactly the rows of an
uninterrupted run. In-process runs go through the same Parquet round trip, so every
scheduler gives the same results.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import sys
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence, Sized
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from earwitness.errors import BadInputError, EarwitnessError

if TYPE_CHECKING:
    import pyarrow as pa
    from distributed import Client

    from earwitness.progress import ProgressReporter

__all__ = [
    "SCHEDULER_ENV",
    "Scheduler",
    "from_parquet",
    "map_partitions",
    "optional_client",
    "parse_scheduler",
    "partition_ranges",
    "resolve_scheduler",
    "scheduler_client",
    "to_parquet",
]

SCHEDULER_ENV = "EARWITNESS_SCHEDULER"
_REMOTE_PREFIXES = ("tcp://", "tls://", "ucx://", "inproc://")
# A LocalCluster's workers do one partition at a time, so Dask's own background work is
# trimmed: its sampling profiler and frequent monitors cost 1.3-1.7 s of CPU per idle
# 30 s on this project's 2-core machine (0.5 s with these), and the nanny's
# MALLOC_TRIM_THRESHOLD_=65536 made MiniLM's encode 25 % slower (docs/scale.md).
_LOCAL_CONFIG: dict[str, Any] = {
    "distributed.worker.profile.enabled": False,
    "distributed.admin.tick.interval": "500ms",
    "distributed.admin.system-monitor.interval": "2s",
    "distributed.worker.memory.monitor-interval": "1s",
    "distributed.nanny.pre-spawn-environ": {  # Dask's own, but for MALLOC_TRIM_THRESHOLD_
        "OMP_NUM_THREADS": 1,
        "MKL_NUM_THREADS": 1,
        "OPENBLAS_NUM_THREADS": 1,
    },
}
_RETRIES = 2  # a task that raises is retried twice; a lost worker's tasks always rerun
P = TypeVar("P")
R = TypeVar("R")


@dataclass(frozen=True)
class Scheduler:
    """Where partitions run: ``in-process``, ``local`` (N workers) or ``remote`` (address)."""

    kind: str = "in-process"
    workers: int | None = None
    address: str | None = None

    @property
    def distributed(self) -> bool:
        return self.kind != "in-process"

    def describe(self) -> str:
        if self.kind == "local":
            return f"local:{self.workers}"
        return self.address or "in-process"


def parse_scheduler(value: str | None, *, source: str = "scheduler") -> Scheduler:
    """``""`` → in-process; ``local`` / ``local:N`` → a LocalCluster; ``tcp://…`` → remote."""
    text = (value or "").strip()
    if text in ("", "in-process", "none"):
        return Scheduler()
    if text == "local" or text.startswith("local:"):
        count = text.partition(":")[2]
        if count and not (count.isdigit() and int(count) > 0):
            raise BadInputError(f"{source}: the number of workers in {text!r} must be 1 or more")
        return Scheduler("local", int(count) if count else (os.cpu_count() or 1))
    if text.startswith(_REMOTE_PREFIXES) and ":" in text.split("://", 1)[1]:
        return Scheduler("remote", address=text)
    raise BadInputError(
        f"{source}: {text!r} is not a scheduler; use nothing (in-process), local, local:N "
        "or the address of a Dask scheduler (tcp://host:port)"
    )


def resolve_scheduler(option: str | None = None, setting: str | None = None) -> Scheduler:
    """The scheduler a command uses: the environment variable, else ``--scheduler``, else
    the study's setting."""
    if os.environ.get(SCHEDULER_ENV):
        return parse_scheduler(os.environ[SCHEDULER_ENV], source=SCHEDULER_ENV)
    if option is not None:
        return parse_scheduler(option, source="--scheduler")
    return parse_scheduler(setting, source="the scheduler setting")


# --- Parquet exchange ------------------------------------------------------------------


def to_parquet(
    rows: pa.Table | Sequence[Mapping[str, Any]], schema: pa.Schema | None = None
) -> bytes:
    """A partition's rows as Parquet bytes (zstd): what crosses between driver and workers."""
    import pyarrow as pa  # here, not at import: resolving a scheduler needs no pyarrow
    import pyarrow.parquet as pq

    table = rows if isinstance(rows, pa.Table) else pa.Table.from_pylist(list(rows), schema)
    sink = io.BytesIO()
    pq.write_table(table, sink, compression="zstd")
    return sink.getvalue()


def from_parquet(data: bytes) -> pa.Table:
    import pyarrow.parquet as pq

    return pq.read_table(io.BytesIO(data))


def partition_ranges(total: int, size: int) -> list[tuple[int, int]]:
    """``[start, stop)`` ranges of at most ``size`` items covering ``range(total)``."""
    if size < 1:
        raise ValueError("a partition holds one item or more")
    return [(start, min(start + size, total)) for start in range(0, total, size)]


# --- running partitions ----------------------------------------------------------------


def map_partitions(
    function: Callable[[P], R],
    partitions: Iterable[P],
    *,
    scheduler: Scheduler,
    label: str,
    total: int | None = None,
    client: Client | None = None,
    in_flight: int | None = None,
) -> Iterator[R]:
    """``function(partition)`` for every partition, yielded in the partitions' order.

    At most ``in_flight`` partitions are submitted and not yet consumed (twice the
    workers by default), so the driver's memory stays bounded whatever the corpus size.
    Progress (done / total, rate, ETA) goes to stderr; on a cluster, so does the link to
    the Dask dashboard when there is one.
    """
    from earwitness.progress import ProgressReporter

    if total is None and isinstance(partitions, Sized):
        total = len(partitions)
    with ProgressReporter(label, float(total) if total is not None else None) as reporter:
        if not scheduler.distributed:
            for partition in partitions:
                result = function(partition)
                _advance(reporter)
                yield result
            return
        with contextlib.ExitStack() as stack:
            if client is None:
                client = stack.enter_context(scheduler_client(scheduler))
            window = in_flight or 2 * max(1, _worker_count(client))
            yield from _distributed(function, partitions, client, window, reporter)


def _distributed(
    function: Callable[[P], R],
    partitions: Iterable[P],
    client: Client,
    window: int,
    reporter: ProgressReporter,
) -> Iterator[R]:
    pending: deque[Any] = deque()
    source = iter(partitions)
    try:
        for partition in source:
            pending.append(client.submit(function, partition, pure=False, retries=_RETRIES))
            if len(pending) >= window:
                yield _collect(pending.popleft(), reporter)
        while pending:
            yield _collect(pending.popleft(), reporter)
    finally:
        for future in pending:
            future.cancel()


def _collect(future: Any, reporter: ProgressReporter) -> Any:
    try:
        result = future.result()
    except EarwitnessError:
        raise
    except Exception as exc:  # a worker's error, reported as one line
        raise EarwitnessError(
            f"a partition failed on a worker: {type(exc).__name__}: {exc}"
        ) from exc
    _advance(reporter)
    return result


def _advance(reporter: ProgressReporter) -> None:
    """One more partition done: the count, the rate and (with a total) the time left."""
    rate = (reporter.completed + 1) / max(reporter.elapsed_s, 1e-9)
    left = (reporter.total or 0) - reporter.completed - 1
    eta = f"{left / rate:.0f} s" if reporter.total else "?"
    reporter.advance(rate=f"{rate:.2f}/s", eta=eta)


def _worker_count(client: Client) -> int:
    info = client.scheduler_info()
    return sum(int(w.get("nthreads", 1)) for w in info.get("workers", {}).values())


@contextlib.contextmanager
def scheduler_client(scheduler: Scheduler, *, stream: Any = None) -> Iterator[Client]:
    """A Dask client for ``scheduler``: a LocalCluster it starts and stops, or a
    connection to a running scheduler. Prints the Dask dashboard's link when there is one."""
    try:
        import dask.config
        from distributed import Client, LocalCluster
    except ImportError:
        raise EarwitnessError(
            f"the scheduler {scheduler.describe()} needs Dask: pip install 'earwitness[scale]'"
        ) from None
    stream = stream or sys.stderr
    with contextlib.ExitStack() as stack:
        if scheduler.kind == "local":
            stack.enter_context(dask.config.set(_LOCAL_CONFIG))
            cluster = stack.enter_context(
                LocalCluster(
                    n_workers=scheduler.workers,
                    threads_per_worker=1,
                    processes=True,
                    dashboard_address=_dashboard_address(),
                    silence_logs=logging.ERROR,
                )
            )
            client = stack.enter_context(Client(cluster))
            from earwitness._dask_worker import DieWithDriver

            client.register_plugin(DieWithDriver(os.getpid()))
        else:
            try:
                client = stack.enter_context(Client(scheduler.address, timeout="10s"))
            except OSError as exc:
                raise EarwitnessError(
                    f"cannot reach the Dask scheduler at {scheduler.address}: {exc}"
                ) from None
        link = _dashboard_link(client)
        if link:
            print(f"Dask dashboard: {link}", file=stream, flush=True)
        yield client


@contextlib.contextmanager
def optional_client(scheduler: Scheduler) -> Iterator[Client | None]:
    """One client for a whole command whose steps share it: :func:`scheduler_client` on a
    cluster, None in-process (Dask is then not imported)."""
    if not scheduler.distributed:
        yield None
        return
    with scheduler_client(scheduler) as client:
        yield client


def _dashboard_address() -> str | None:
    try:
        import bokeh  # noqa: F401
    except ImportError:
        return None
    return "127.0.0.1:0"


def _dashboard_link(client: Client) -> str | None:
    try:
        import bokeh  # noqa: F401
    except ImportError:
        return None
    with contextlib.suppress(Exception):
        return str(client.dashboard_link)
    return None
