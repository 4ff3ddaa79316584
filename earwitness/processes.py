"""Worker processes that never outlive the command that started them.

Every process pool in earwitness comes from :func:`worker_pool`. Killing a command
(``kill -9``, SIGTERM, a closed terminal) would otherwise leave its workers running: a
worker blocks on the pool's queue, whose pipe it holds open itself, so it never notices
its parent is gone. Three guards, from the strongest down:

- each worker asks Linux to SIGKILL it when its parent dies (``PR_SET_PDEATHSIG``,
  prctl(2)), then checks that the parent did not die before the request took hold;
- each worker runs a watchdog thread that exits when its parent process changes
  (``os.getppid()``: an orphan is re-parented), for systems without prctl;
- SIGTERM in the parent becomes an exception while the pool runs, so the command
  unwinds (temporary files removed) and the pool's workers are killed on the way out.
"""

from __future__ import annotations

import contextlib
import ctypes
import multiprocessing
import multiprocessing.context
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from types import FrameType

from earwitness.errors import Terminated

__all__ = ["die_with_parent", "watch_parent", "worker_pool"]

_PR_SET_PDEATHSIG = 1  # <linux/prctl.h>
_WATCHDOG_INTERVAL_S = 0.5


@contextlib.contextmanager
def worker_pool(
    max_workers: int, initializer: Callable[[], None] | None = None
) -> Iterator[ProcessPoolExecutor]:
    """A :class:`ProcessPoolExecutor` whose workers die with this process.

    On leaving the block by an exception (a failed job, Ctrl-C, SIGTERM) queued jobs are
    cancelled and the workers killed instead of awaited.
    """
    pool = ProcessPoolExecutor(
        max_workers=max_workers,
        mp_context=_context(),
        initializer=_init_worker,
        initargs=(os.getpid(), initializer),
    )
    with _sigterm_raises():
        try:
            yield pool
        except BaseException:
            _kill(pool)
            raise
        pool.shutdown(wait=True)


def _context() -> multiprocessing.context.BaseContext | None:
    """fork on Linux (Python 3.11's default there): workers are this process's children,
    which the parent-death guards rely on; a forkserver would be their parent instead."""
    return multiprocessing.get_context("fork") if sys.platform.startswith("linux") else None


def _kill(pool: ProcessPoolExecutor) -> None:
    processes = list((getattr(pool, "_processes", None) or {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        with contextlib.suppress(OSError, ValueError, AttributeError):
            process.kill()
    for process in processes:
        with contextlib.suppress(OSError, ValueError, AttributeError, AssertionError):
            process.join(timeout=5)


@contextlib.contextmanager
def _sigterm_raises() -> Iterator[None]:
    """While the block runs, SIGTERM raises :class:`Terminated` (main thread only)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.getsignal(signal.SIGTERM)
    if previous not in (signal.SIG_DFL, None):  # the caller handles SIGTERM already
        yield
        return
    signal.signal(signal.SIGTERM, _raise_terminated)
    try:
        yield
    finally:
        # a generator left open (a pool measuring files) is closed by the garbage
        # collector in whatever thread runs it, where no handler can be set
        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGTERM, signal.SIG_DFL)


def _raise_terminated(_signum: int, _frame: FrameType | None) -> None:
    raise Terminated


def _init_worker(parent: int, initializer: Callable[[], None] | None) -> None:
    """Runs first in every worker: die with ``parent``, then the caller's initializer."""
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # a fork inherits the parent's handler
    _die_with_parent()
    if os.getppid() != parent:  # the parent died before the request took hold
        os._exit(1)
    watch_parent(parent)
    if initializer is not None:
        initializer()


def die_with_parent() -> None:
    """Ask Linux to SIGKILL this process when its parent dies (``PR_SET_PDEATHSIG``); a
    no-op elsewhere. As ``preexec_fn`` of a server subprocess, so that not even a
    ``kill -9`` of the command leaves the server behind."""
    _die_with_parent()


def _die_with_parent() -> None:
    if not sys.platform.startswith("linux"):
        return
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


def watch_parent(parent: int) -> None:
    """Exit this process as soon as ``parent`` is no longer its parent (a daemon thread
    polls ``os.getppid()``: an orphan is re-parented), for systems without prctl."""
    threading.Thread(target=_watch_parent, args=(parent,), daemon=True).start()


def _watch_parent(parent: int, interval: float = _WATCHDOG_INTERVAL_S) -> None:
    while True:
        if os.getppid() != parent:
            os._exit(1)
        time.sleep(interval)
