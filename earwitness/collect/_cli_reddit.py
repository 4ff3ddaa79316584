"""``earwitness collect reddit`` and ``earwitness collect dump``."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import click

from earwitness.clikit import CliEnv, emit, pass_env, report_options, scheduler_option
from earwitness.collect._dumps import DumpFilter, import_dumps
from earwitness.collect._items import RunSummary
from earwitness.collect._reddit import LISTINGS, TIME_FILTERS, RedditCollector, build_queries
from earwitness.progress import ProgressReporter

__all__ = ["register"]

_DATE_FORMATS = ["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S"]


def register(group: click.Group) -> None:
    """Add this module's commands to ``earwitness collect``."""
    group.add_command(collect_reddit)
    group.add_command(collect_dump)


@click.command("dump", short_help="Import Reddit history from Pushshift/Arctic Shift dumps.")
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
@scheduler_option
@report_options
@pass_env
def collect_dump(
    env: CliEnv,
    files: tuple[Path, ...],
    subreddits: tuple[str, ...],
    keywords: tuple[str, ...],
    since: datetime | None,
    until: datetime | None,
    scheduler: str | None,
    as_json: bool,
    as_csv: bool,
    out: Path | None,
) -> None:
    """Import Reddit history from Pushshift / Arctic Shift zstd NDJSON dumps (RS_, RC_).

    Streams each file in constant memory. This process reads the files in order and
    cuts their lines into partitions; with --scheduler, Dask workers parse, filter and
    mask them, and this process writes each partition as one page. An interrupted import
    resumes where its last committed page ended when run again with the same files and
    filters.
    """
    dump_filter = DumpFilter.build(subreddits, keywords, since, until)
    where = env.scheduler(scheduler)
    with env.store() as store:
        summary = import_dumps(
            env.study, store, list(files), dump_filter=dump_filter, scheduler=where
        )
    emit(summary.as_rows(), as_json=as_json, as_csv=as_csv, out=out, title="dump import")


def _listings(values: tuple[str, ...]) -> list[str]:
    chosen = [part.strip().lower() for value in values for part in value.split(",") if part.strip()]
    unknown = sorted(set(chosen) - set(LISTINGS))
    if unknown:
        raise click.BadParameter(
            f"unknown listing {', '.join(unknown)}; choose from {', '.join(LISTINGS)}",
            param_hint="--listing",
        )
    return list(dict.fromkeys(chosen))


@click.command("reddit", short_help="Collect Reddit posts and comments through PRAW.")
@click.option("--subreddit", "subreddits", multiple=True, metavar="S", help="Subreddit (repeat).")
@click.option(
    "--query", "queries", multiple=True, metavar="Q", help="Search each subreddit for Q (repeat)."
)
@click.option(
    "--listing",
    "listings",
    multiple=True,
    metavar="L[,L...]",
    help="Listings to walk: new, hot, top, controversial, search. Default: new, plus "
    "search when --query is given.",
)
@click.option(
    "--time-filter",
    type=click.Choice(TIME_FILTERS),
    default="all",
    show_default=True,
    help="Time window of top, controversial and search.",
)
@click.option(
    "--comments/--no-comments", default=True, show_default=True, help="Collect comment trees."
)
@click.option(
    "--max-items",
    type=click.IntRange(min=1),
    help="Stop each listing after N new posts this run; the next run continues from there.",
)
@click.option(
    "--thread",
    "threads",
    multiple=True,
    metavar="ID_OR_URL",
    help="Collect this single thread (id, t3_ fullname or URL; repeat).",
)
@click.option(
    "--more-budget",
    type=click.IntRange(min=0),
    help="Requests per thread for expanding 'more comments' (default: the study setting "
    "more_comments_budget).",
)
@report_options
@pass_env
def collect_reddit(
    env: CliEnv,
    subreddits: tuple[str, ...],
    queries: tuple[str, ...],
    listings: tuple[str, ...],
    time_filter: str,
    comments: bool,
    max_items: int | None,
    threads: tuple[str, ...],
    more_budget: int | None,
    as_json: bool,
    as_csv: bool,
    out: Path | None,
) -> None:
    """Collect Reddit posts and comments through PRAW (read-only, resumable).

    Credentials come only from PRAW's configuration (praw.ini site named by the setting
    reddit_site, or praw_* environment variables), never from the command line.
    """
    if not subreddits and not threads:
        raise click.UsageError("name at least one --subreddit or --thread")
    chosen = _listings(listings) or (["new", "search"] if queries else ["new"])
    if queries and "search" not in chosen:
        chosen.append("search")
    if "search" in chosen and not queries:
        raise click.UsageError("the search listing needs at least one --query")
    reddit_queries = list(build_queries(subreddits, chosen, queries, time_filter))
    with env.store() as store, ProgressReporter("reddit") as bar:

        def report(summary: RunSummary) -> None:
            bar.completed = float(summary.items)
            bar.update(requests=summary.requests, wait=f"{summary.wait_s:.0f}s")

        collector = RedditCollector(
            env.study, store, comments=comments, more_budget=more_budget, on_progress=report
        )
        for thread in threads:
            collector.collect_thread(thread)
        summary = collector.run(reddit_queries, max_items=max_items)
    emit(summary.as_rows(), as_json=as_json, as_csv=as_csv, out=out, title="reddit collection")
