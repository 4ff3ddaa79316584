"""What every earwitness command shares: the study context and report output.

Area command modules (``earwitness/<area>/cli.py``) use :func:`pass_env` to reach the
study and its store, and :func:`report_options` with :func:`emit` so that every
report prints as a table on a terminal and as JSON or CSV for pandas and R.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from earwitness.study import Study, find_study

if TYPE_CHECKING:  # pandas and rich are imported only to print tables (slow to import)
    import pandas as pd
    from rich.console import Console
    from rich.table import Table

    from earwitness.partitions import Scheduler
    from earwitness.store import Store

__all__ = [
    "READ_ONLY_COMMANDS",
    "TERMINAL_COLUMNS",
    "CliEnv",
    "console",
    "emit",
    "partition_size_option",
    "pass_env",
    "report_options",
    "scheduler_option",
    "stderr_console",
]

F = TypeVar("F", bound=Callable[..., Any])

# Commands that only read the study: they open it read-only (SQLite ``mode=ro``, PostgreSQL
# read-only transactions), so they run on a copy on a read-only share and can never
# change it. tests/test_read_only.py runs each of them on a read-only mount.
READ_ONLY_COMMANDS = frozenset(
    {
        "status",
        "export",
        "dashboard",
        "services",
        "code agreement",
        "code codebook show",
        "code codebook export",
        "code export-qdpx",
        "code report",
        "code retrieve",
        "code suggestions",
        "code stance report",
        "code stance tools",
        "workbench token list",
        "groups coverage",
        "survey report",
        "listen list",
        "listen report",
    }
)

console: Console  # made on first use, by __getattr__ below
stderr_console: Console


def __getattr__(name: str) -> Console:
    """``console`` and ``stderr_console``, made on first use: importing rich is about
    10 % of the start-up of a command that prints JSON and never needs it."""
    if name not in ("console", "stderr_console"):
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from rich.console import Console

    if name == "console":
        made = Console(highlight=False, soft_wrap=False)
    else:
        made = Console(stderr=True, highlight=False)
    globals()[name] = made
    return made


@dataclass
class CliEnv:
    """The state a command runs in: which study, and whether to show tracebacks."""

    study_arg: str | None = None
    debug: bool = False
    db_arg: str | None = None
    _study: Study | None = field(default=None, repr=False)

    @property
    def study(self) -> Study:
        if self._study is None:
            self._study = find_study(self.study_arg)
            self._study.db_override = self.db_arg
        return self._study

    def choose(self, *, study: str | None = None, db: str | None = None) -> None:
        """Name the study folder or database URL (``--study``/``--db`` given after a
        command's name count as much as before it)."""
        if study is not None:
            self.study_arg, self._study = study, None
        if db is not None:
            self.db_arg, self._study = db, None

    def scheduler(self, option: str | None) -> Scheduler:
        """Where a heavy command runs: ``--scheduler``, else the study's setting."""
        from earwitness.partitions import resolve_scheduler

        return resolve_scheduler(option, self.study.setting("scheduler"))

    @contextmanager
    def store(self, *, check_schema: bool = True, read_only: bool | None = None) -> Iterator[Store]:
        """The study's store, open for the ``with`` block and closed after it; read-only
        for a command in :data:`READ_ONLY_COMMANDS` unless ``read_only`` says otherwise."""
        if read_only is None:
            read_only = running_command() in READ_ONLY_COMMANDS
        if not read_only:
            self.study.sweep()
        store = self.study.open_store(check_schema=check_schema, read_only=read_only)
        try:
            yield store
        finally:
            store.close()


pass_env = click.make_pass_decorator(CliEnv, ensure=True)


def running_command() -> str:
    """The running command's path without the program's name (``code agreement``)."""
    ctx = click.get_current_context(silent=True)
    if ctx is None:
        return ""
    names = []
    while ctx is not None and ctx.parent is not None:
        names.append(ctx.info_name or "")
        ctx = ctx.parent
    return " ".join(reversed(names))


def scheduler_option(function: F) -> F:
    """Add ``--scheduler`` to a heavy command (:mod:`earwitness.partitions`)."""
    return click.option(
        "--scheduler",
        metavar="WHERE",
        help="Run on: nothing for this process, local[:N] for a local Dask cluster, or "
        "tcp://host:port for a running Dask scheduler (default: the scheduler setting).",
    )(function)


def partition_size_option(default: int, unit: str = "Documents") -> Callable[[F], F]:
    """Add ``--partition-size``: how many ``unit`` one worker holds at a time."""
    return click.option(
        "--partition-size",
        type=click.IntRange(min=1),
        default=default,
        show_default=True,
        help=f"{unit} per partition: what one worker holds at a time.",
    )


def report_options(function: F) -> F:
    """Add ``--json``, ``--csv`` and ``--out FILE`` to a report command."""
    function = click.option(
        "--out", type=click.Path(dir_okay=False, path_type=Path), help="Write the report to FILE."
    )(function)
    function = click.option("--csv", "as_csv", is_flag=True, help="Emit CSV for pandas and R.")(
        function
    )
    function = click.option("--json", "as_json", is_flag=True, help="Emit JSON.")(function)
    return function


def _jsonable(value: Any) -> Any:
    pandas = sys.modules.get("pandas")  # not imported yet: value cannot be a DataFrame
    if pandas is not None and isinstance(value, pandas.DataFrame):
        return [_jsonable(row) for row in value.to_dict(orient="records")]
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if hasattr(value, "item") and callable(value.item):  # numpy scalars
        return value.item()
    if isinstance(value, float) and value != value:  # NaN
        return None
    return value


def emit(
    report: pd.DataFrame | Mapping[str, Any] | Sequence[Mapping[str, Any]],
    *,
    as_json: bool = False,
    as_csv: bool = False,
    out: Path | None = None,
    title: str | None = None,
    columns: Sequence[str] | None = None,
) -> None:
    """Print a report as a rich table (default), JSON or CSV; to ``out`` if given.

    JSON and CSV carry every column. The terminal table shows ``columns`` (the report's
    choice of what a reader needs; default: the command's entry in
    :data:`TERMINAL_COLUMNS`, else every column), as many of them as fit the terminal
    without cutting a header or a cell, and says how to get the rest.
    Text from the study is printed escaped: rich markup in a forum post stays text.
    """
    if as_json:
        text = json.dumps(_jsonable(report), indent=2, ensure_ascii=False, default=str) + "\n"
    elif as_csv:
        from earwitness.store.exports import csv_text

        text = csv_text(_as_frame(report))
    else:
        if out is None:
            chosen = columns if columns is not None else _chosen_columns(title)
            terminal = __getattr__("console")
            terminal.print(_as_rich(report, title, chosen, terminal.width))
            return
        text = _as_frame(report).to_string(index=False) + "\n"
    if out is not None:
        from earwitness.files import write_text_atomic

        write_text_atomic(out, text)
    else:
        sys.stdout.write(text)


def _as_frame(
    report: pd.DataFrame | Mapping[str, Any] | Sequence[Mapping[str, Any]],
) -> pd.DataFrame:
    import pandas as pd

    if isinstance(report, pd.DataFrame):
        return report
    if isinstance(report, Mapping):
        return pd.DataFrame([{"field": k, "value": _cell(v)} for k, v in report.items()])
    return pd.DataFrame(list(report))


def _cell(value: Any) -> str:
    if isinstance(value, Mapping | list | tuple):
        return json.dumps(_jsonable(value), ensure_ascii=False)
    return "" if value is None else str(value)


def _as_rich(report: Any, title: str | None, chosen: Sequence[str] | None, width: int) -> Table:
    from rich.markup import escape
    from rich.table import Table

    columns, rows = _columns_and_rows(report)
    cells = [[_cell(v) for v in row] for row in rows]
    shown = _fit(columns, cells, _preferred(columns, chosen), width)
    hidden = len(columns) - len(shown)
    caption = (
        f"{hidden} more column{'s' if hidden > 1 else ''}: use --csv or --json for every column"
        if hidden
        else None
    )
    table = Table(title=escape(title) if title else None, caption=caption, show_lines=False)
    for index, column_width in shown:
        table.add_column(
            escape(str(columns[index])), width=column_width, overflow="fold", no_wrap=False
        )
    for row in cells:
        table.add_row(*(escape(row[index]) for index, _ in shown))
    return table


# Each report's choice of the columns a reader needs on a terminal, in order (JSON and CSV
# keep every column), by command path, or command path and table title; a report whose
# columns include none of these shows all of its own.
TERMINAL_COLUMNS: dict[str, tuple[str, ...]] = {
    "code stance report": (
        "tool", "group", "n", "positive_share", "negative_share", "provenance",
    ),
    "code agreement": ("code", "document", "documents", "kappa", "alpha", "flag"),
    "code retrieve": ("native_id", "user_group", "coder", "text"),
    "code report frequencies": (
        "code", "segments", "amateur segments", "pro-am segments", "professional segments",
    ),
    "services": ("service", "fictional", "mentions", "documents", "versions", "songs"),
}  # fmt: skip
_LONGEST_WORD = 24  # a longer word (a URL, a path) folds rather than widen its column
_NUMBER_OR_CODE = re.compile(r"^[-+]?[\d.,:%/\[\] ]+$")


def _chosen_columns(title: str | None) -> tuple[str, ...] | None:
    command = running_command()
    return TERMINAL_COLUMNS.get(f"{command} {title}") or TERMINAL_COLUMNS.get(command)


def _preferred(columns: Sequence[Any], chosen: Sequence[str] | None) -> list[int]:
    names = [str(column) for column in columns]
    picked = [names.index(name) for name in chosen or () if name in names]
    return picked or list(range(len(columns)))


def _fit(
    columns: Sequence[Any], cells: list[list[str]], order: list[int], width: int
) -> list[tuple[int, int]]:
    """(column, width) of the columns that fit ``width`` whole, in ``order``: no header
    is cut, no word of a cell is cut; long cells wrap at spaces."""
    bounds = [_bounds(str(columns[i]), [row[i] for row in cells]) for i in order]
    kept = len(order)
    while kept > 1 and sum(low for low, _ in bounds[:kept]) + 3 * kept + 1 > width:
        kept -= 1
    widths = _share(bounds[:kept], width - 3 * kept - 1)
    return list(zip(order[:kept], widths, strict=True))


def _bounds(header: str, values: list[str]) -> tuple[int, int]:
    """(narrowest, widest) a column may be: its longest word (header, numbers whole),
    and its longest line."""
    words = [len(word) for word in header.split()]
    for value in values:
        if _NUMBER_OR_CODE.match(value):
            words.append(len(value))
        else:
            words.extend(min(len(word), _LONGEST_WORD) for word in value.split())
    lines = [len(line) for value in (header, *values) for line in value.splitlines() or [""]]
    low = max(words, default=1)
    return max(low, 1), max(max(lines, default=1), low)


def _share(bounds: list[tuple[int, int]], room: int) -> list[int]:
    """Widths within ``bounds`` summing to at most ``room``: the widest columns give up
    space first (so a long name wraps before a number column shrinks)."""
    widths = [high for _, high in bounds]
    while sum(widths) > room:
        widest = max(range(len(widths)), key=lambda i: widths[i] - bounds[i][0])
        if widths[widest] <= bounds[widest][0]:
            break
        widths[widest] -= 1
    return widths


def _columns_and_rows(report: Any) -> tuple[list[Any], list[list[Any]]]:
    """A report's columns and rows; pandas only for a DataFrame (it is slow to import)."""
    if isinstance(report, Mapping):
        return ["field", "value"], [[k, _cell(v)] for k, v in report.items()]
    if not isinstance(report, Sequence):
        frame = _as_frame(report)
        return list(frame.columns), [list(row) for row in frame.itertuples(index=False)]
    columns = list(dict.fromkeys(key for row in report for key in row))
    return columns, [[row.get(column) for column in columns] for row in report]
