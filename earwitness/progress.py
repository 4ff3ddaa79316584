"""Progress for long jobs: a rich bar on a terminal, plain lines otherwise."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import TextIO, TypeVar

from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

__all__ = ["ProgressReporter", "progress", "track"]

T = TypeVar("T")


class ProgressReporter:
    """Reports progress of one task; ``advance`` it and optionally describe it.

    On a terminal it drives a rich progress bar. Elsewhere (logs, CI, pipes) it writes
    a plain line to stderr at most every ``interval_s`` seconds and once at the end.
    """

    def __init__(
        self,
        description: str,
        total: float | None = None,
        *,
        stream: TextIO | None = None,
        interval_s: float = 5.0,
        force_terminal: bool | None = None,
    ) -> None:
        self.description = description
        self.total = total
        self.completed = 0.0
        self.fields: dict[str, str] = {}
        self._stream = stream or sys.stderr
        self._interval_s = interval_s
        self._last_line = float("-inf")
        self._started = time.monotonic()
        interactive = self._stream.isatty() if force_terminal is None else force_terminal
        self._rich: Progress | None = None
        if interactive:
            self._rich = Progress(
                TextColumn("[bold]{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                TimeRemainingColumn(),
                TextColumn("{task.fields[info]}"),
                transient=False,
            )
            self._task = self._rich.add_task(description, total=total, info="")

    def __enter__(self) -> ProgressReporter:
        if self._rich is not None:
            self._rich.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        if self._rich is not None:
            self._rich.stop()
        else:
            self._plain_line(final=True)

    @property
    def elapsed_s(self) -> float:
        return time.monotonic() - self._started

    def advance(self, amount: float = 1.0, **fields: object) -> None:
        self.completed += amount
        self._render(fields)

    def update(self, *, total: float | None = None, **fields: object) -> None:
        if total is not None:
            self.total = total
        self._render(fields)

    def _render(self, fields: dict[str, object]) -> None:
        self.fields.update({key: str(value) for key, value in fields.items()})
        if self._rich is not None:
            self._rich.update(
                self._task, completed=self.completed, total=self.total, info=self._info()
            )
        elif time.monotonic() - self._last_line >= self._interval_s:
            self._plain_line()

    def _info(self) -> str:
        return "  ".join(f"{key} {value}" for key, value in self.fields.items())

    def _plain_line(self, *, final: bool = False) -> None:
        self._last_line = time.monotonic()
        done = f"{self.completed:g}" + (f"/{self.total:g}" if self.total else "")
        elapsed = time.monotonic() - self._started
        state = "done" if final else "…"
        line = f"{self.description}: {done} {state} ({elapsed:.0f} s) {self._info()}".rstrip()
        print(line, file=self._stream, flush=True)


@contextmanager
def progress(description: str, total: float | None = None) -> Iterator[ProgressReporter]:
    with ProgressReporter(description, total) as reporter:
        yield reporter


def track(items: Iterable[T], description: str, total: float | None = None) -> Iterator[T]:
    """Iterate over ``items`` while reporting progress."""
    if total is None and hasattr(items, "__len__"):
        total = float(len(items))  # type: ignore[arg-type]
    with ProgressReporter(description, total) as reporter:
        for item in items:
            yield item
            reporter.advance()
