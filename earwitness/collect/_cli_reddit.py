"""``earwitness collect reddit`` and ``earwitness collect dump``."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import click

from earwitness.clikit import CliEnv, emit, pass_env, report_options
from earwitness.collect._dumps import DumpFilter, import_dump
from earwitness.collect._items import RunSummary
from earwitness.progress import ProgressReporter

__all__ = ["register"]

_DATE_FORMATS = ["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S"]


def register(group: click.Group) -> None:
    """Add this module's commands to ``earwitness collect``."""
    group.add_command(collect_dump)


@click.command("dump")
@click.argument(
    "files",
    nargs=-1,
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
)
@click.option("--subreddit", "subreddits", multiple=True, help="Keep only this subreddit (repeat).")
@click.option(
    "--keyword",
    "keywords",
    multiple=True,
    help="Keep items whose title or text contains this word, case-insensitive (repeat: any).",
)
@click.option(
    "--since",
    type=click.DateTime(_DATE_FORMATS),
    help="Keep items created at or after this UTC date.",
)
@click.option(
    "--until",
    type=click.DateTime(_DATE_FORMATS),
    help="Keep items created before this UTC date (exclusive).",
)
@report_options
@pass_env
def collect_dump(
    env: CliEnv,
    files: tuple[Path, ...],
    subreddits: tuple[str, ...],
    keywords: tuple[str, ...],
    since: datetime | None,
    until: datetime | None,
    as_json: bool,
    as_csv: bool,
    out: Path | None,
) -> None:
    """Import Reddit history from Pushshift / Arctic Shift zstd NDJSON dumps (RS_, RC_).

    Streams each file in constant memory. An interrupted import resumes where its last
    committed page ended when run again with the same files and filters.
    """
    dump_filter = DumpFilter.build(subreddits, keywords, since, until)
    summary = RunSummary()
    with env.store() as store:
        for path in files:
            size = path.stat().st_size
            with ProgressReporter(f"dump {path.name}", total=float(size)) as bar:

                def report(read: int, _written: int, bar: ProgressReporter = bar) -> None:
                    bar.completed = float(read)
                    bar.update(items=summary.items)

                import_dump(
                    env.study,
                    store,
                    path,
                    dump_filter=dump_filter,
                    summary=summary,
                    on_progress=report,
                )
    emit(summary.as_rows(), as_json=as_json, as_csv=as_csv, out=out, title="dump import")
