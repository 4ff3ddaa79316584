"""``earwitness collect discourse`` and ``earwitness collect forum``."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import click

from earwitness.clikit import CliEnv, emit, pass_env, report_options
from earwitness.errors import BadInputError
from earwitness.progress import ProgressReporter

__all__ = ["register"]


def _check_url(url: str, name: str = "URL") -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise BadInputError(f"{name} must be an http(s) address such as https://forum.example.org")
    return url


@click.command("discourse", short_help="Collect topics from a Discourse forum's JSON API.")
@click.argument("base_url", metavar="BASE_URL")
@click.option("--category", metavar="SLUG_OR_ID", help="Collect one category (`/c/SLUG_OR_ID`).")
@click.option("--search", metavar="QUERY", help="Collect the topics a forum search finds.")
@click.option("--max-pages", type=click.IntRange(min=1), help="Read at most N listing pages.")
@click.option(
    "--max-topics",
    type=click.IntRange(min=1),
    help="Collect at most N topics in this run; the next run continues after them.",
)
@click.option("--restart", is_flag=True, help="Forget the saved cursor and start from page one.")
@report_options
@pass_env
def discourse(
    env: CliEnv,
    base_url: str,
    category: str | None,
    search: str | None,
    max_pages: int | None,
    max_topics: int | None,
    restart: bool,
    as_json: bool,
    as_csv: bool,
    out: Path | None,
) -> None:
    """Collect topics from a Discourse forum at BASE_URL through its JSON API.

    Without --category or --search, the latest topics are collected. Each topic is
    committed with the cursor, so an interrupted run resumes where it stopped.
    """
    from earwitness.collect._discourse import DiscourseQuery, collect_discourse
    from earwitness.collect._http import PoliteClient
    from earwitness.collect._items import ItemWriter

    if category and search:
        raise BadInputError("give --category or --search, not both")
    query = DiscourseQuery(
        _check_url(base_url, "BASE_URL"),
        category=category,
        search=search,
        max_pages=max_pages,
        max_topics=max_topics,
    )
    study = env.study
    client = PoliteClient.for_study(study)
    with env.store() as store:
        writer = ItemWriter(
            study, store, source="discourse", query_key=query.key, query=search or category
        )
        if restart:
            writer.reset()
        with ProgressReporter(f"discourse {query.host}") as reporter:
            summary = collect_discourse(client, writer, query, reporter=reporter)
    _warn(summary.warnings)
    emit(summary.as_rows(), as_json=as_json, as_csv=as_csv, out=out, title="Collected")


_ENGINE_CHOICES = ("phpbb", "vbulletin3", "vbulletin4", "vbulletin5", "xenforo1", "xenforo2")


@click.command("forum", short_help="Collect a phpBB, vBulletin or XenForo forum.")
@click.argument("url", metavar="URL")
@click.option(
    "--engine",
    type=click.Choice(_ENGINE_CHOICES),
    help="The forum software. Default: detected from the first page's markup.",
)
@click.option("--max-pages", type=click.IntRange(min=1), help="Read at most N listing pages.")
@click.option(
    "--max-threads",
    type=click.IntRange(min=1),
    help="Collect at most N threads in this run; the next run continues after them.",
)
@click.option(
    "--date-order",
    type=click.Choice(["MDY", "DMY", "YMD"], case_sensitive=False),
    help="How the board writes numeric dates. Default: the forum_boards setting, else MDY.",
)
@click.option(
    "--timezone",
    metavar="TZ",
    help="The board's time zone (IANA name). Default: the forum_boards setting, else UTC.",
)
@click.option("--restart", is_flag=True, help="Forget the saved cursor and start from URL.")
@report_options
@pass_env
def forum(
    env: CliEnv,
    url: str,
    engine: str | None,
    max_pages: int | None,
    max_threads: int | None,
    date_order: str | None,
    timezone: str | None,
    restart: bool,
    as_json: bool,
    as_csv: bool,
    out: Path | None,
) -> None:
    """Collect a phpBB, vBulletin (3, 4, 5) or XenForo (1, 2) forum from URL.

    URL is a thread (all its pages are collected) or a forum listing (every thread
    of each listing page, following the listing's pages). Each thread page is
    committed with the cursor, so an interrupted run resumes where it stopped.
    """
    from earwitness.collect._forums import ForumQuery, collect_forum
    from earwitness.collect._forums._dates import BoardDates
    from earwitness.collect._http import PoliteClient
    from earwitness.collect._items import ItemWriter

    study = env.study
    board = _board_settings(study.setting("forum_boards"), urlsplit(_check_url(url)).netloc)
    query = ForumQuery(
        url,
        engine=engine,
        max_pages=max_pages,
        max_threads=max_threads,
        date_order=date_order or board.get("date_order"),
        timezone=timezone or board.get("timezone"),
    )
    BoardDates(order=query.date_order, timezone=query.timezone)  # one clear line if wrong
    client = PoliteClient.for_study(study)
    with env.store() as store:
        writer = ItemWriter(study, store, source="forum", query_key=query.key, query=url)
        if restart:
            writer.reset()
        with ProgressReporter(f"forum {query.host}") as reporter:
            summary = collect_forum(client, writer, query, reporter=reporter)
    _warn(summary.warnings)
    emit(summary.as_rows(), as_json=as_json, as_csv=as_csv, out=out, title="Collected")


def _board_settings(boards: Any, host: str) -> dict[str, str]:
    """The ``[forum_boards."HOST"]`` table of earwitness.toml for this host."""
    if not isinstance(boards, dict):
        return {}
    board = boards.get(host) or boards.get(host.split(":")[0]) or {}
    if not isinstance(board, dict):
        raise BadInputError(f"earwitness.toml: forum_boards.{host} must be a table")
    unknown = set(board) - {"date_order", "timezone"}
    if unknown:
        raise BadInputError(
            f"earwitness.toml: forum_boards.{host} has unknown setting {sorted(unknown)[0]!r} "
            "(known: date_order, timezone)"
        )
    return {str(k): str(v) for k, v in board.items()}


def _warn(warnings: list[str]) -> None:
    for message in warnings:
        click.echo(f"warning: {message}", err=True)


def register(group: click.Group) -> None:
    """Add this module's commands to ``earwitness collect``."""
    group.add_command(discourse)
    group.add_command(forum)
