"""No author handle from the Reddit and Pushshift fixtures reaches the study database."""

from __future__ import annotations

import contextlib
import json
import re
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
import zstandard

from earwitness.collect._dumps import DumpFilter, import_dump
from earwitness.collect._reddit import RedditCollector, RedditQuery
from earwitness.privacy import MIN_HANDLE_CHARS, pseudonym
from earwitness.store import RawArchive, Store
from earwitness.store.schema import participants
from earwitness.study import Study
from tests.collect.conftest import TEST_ACCESS_TOKEN, TEST_CLIENT_SECRET, RedditCassettes
from tests.helpers import database_text

EMPTY_LISTING = {"kind": "Listing", "data": {"children": [], "after": None}}
TEXT_FIELDS = ("body", "selftext", "title", "url", "permalink", "link_title", "link_url")


@pytest.fixture(autouse=True)
def _fresh_praw_config(monkeypatch: pytest.MonkeyPatch) -> None:
    import praw.config

    monkeypatch.setattr(praw.config.Config, "CONFIG", None)


def _walk(node: Any, authors: set[str], texts: list[str]) -> None:
    if isinstance(node, dict):
        author = node.get("author")
        if isinstance(author, str) and author not in ("[deleted]", "[removed]"):
            authors.add(author)
        texts.extend(str(node[f]) for f in TEXT_FIELDS if isinstance(node.get(f), str))
        for value in node.values():
            _walk(value, authors, texts)
    elif isinstance(node, list):
        for value in node:
            _walk(value, authors, texts)


def _cassette_bodies(folder: Path, names: list[str]) -> list[Any]:
    bodies = []
    for name in names:
        for interaction in json.loads((folder / f"{name}.json").read_text())["interactions"]:
            body = interaction["response"]["body"]
            text = body.get("string") if isinstance(body, dict) else body
            with contextlib.suppress(TypeError, ValueError):
                bodies.append(json.loads(text))
    return bodies


def _dump_records(folder: Path) -> list[Any]:
    records = []
    for path in sorted(folder.glob("*.zst")):
        with path.open("rb") as handle:
            text = zstandard.ZstdDecompressor().stream_reader(handle).read().decode()
        records.extend(json.loads(line) for line in text.splitlines() if line.strip())
    return records


def _words(text: str) -> set[str]:
    return set(re.findall(r"[\w-]+", text.casefold()))


def test_no_handle_and_no_credential_in_the_study(
    study: Study, store: Store, reddit_server: RedditCassettes, shared_dir: Path
) -> None:
    names = [
        "TestSubredditListings.test_new",
        "TestSubmission.test_comments",
        "TestMore.test_comments",
        "TestSubreddit.test_search",
    ]
    for name in names:
        reddit_server.load(name, remap={"/r/all/search/": "/r/askreddit/search"})
    reddit_server.server.add_json("GET", "/r/askreddit/new", EMPTY_LISTING, after="t3_48f6io")
    collector = RedditCollector(study, store, sleep=lambda _s: None, more_budget=1, comments=False)
    collector.collect_thread("2gmzqe")
    collector.collect_thread("3hahrw")
    collector.run(
        [RedditQuery("askreddit", "new"), RedditQuery("askreddit", "search", "praw oauth search")]
    )
    pushshift = shared_dir / "fixtures" / "pushshift"
    for path in sorted(pushshift.glob("*.zst")):
        import_dump(study, store, path, dump_filter=DumpFilter.build())

    authors: set[str] = set()
    texts: list[str] = []
    _walk(_cassette_bodies(reddit_server.folder, names), authors, texts)
    _walk(_dump_records(pushshift), authors, texts)
    assert len(authors) > 500, "the fixtures should hold many authors"

    with store.connect() as connection:
        database = "\n".join(connection.connection.driver_connection.iterdump())
    assert 'INSERT INTO "documents"' in database and database.count("p_") > 500

    database_words = _words(database)
    content_words = _words("\n".join(texts))
    leaked, named_in_content = [], []
    for author in sorted(authors):
        if author.isdigit():
            continue  # an all-digit handle ("870") cannot be told from the numbers stored
        if author.casefold() in database_words:
            # a handle also written as plain words in someone's post or a link is content,
            # not authorship; it may legitimately stay, every other appearance is a leak
            in_content = author.casefold() in content_words
            (named_in_content if in_content else leaked).append(author)
    assert leaked == []
    assert len(named_in_content) < len(authors) / 20

    # Every handle the study collected an item from is gone from every table and column,
    # also where someone named it in a post, a title, a link or an extra field.
    with store.connect() as connection:
        collected_as = set(connection.execute(sa.select(participants.c.pseudonym)).scalars())
    key = study.key()
    collected = {
        author
        for author in authors
        if pseudonym(author, key) in collected_as
        and len(author) >= MIN_HANDLE_CHARS
        and not author.isdigit()
    }
    assert len(collected) > 400
    every_column = _words(database_text(store))
    assert sorted(a for a in collected if a.casefold() in every_column) == []

    for secret in (TEST_CLIENT_SECRET, TEST_ACCESS_TOKEN):
        assert secret not in database
    archive = "\n".join(json.dumps(r) for r in RawArchive(study.raw_dir).records())
    assert archive and TEST_CLIENT_SECRET not in archive and TEST_ACCESS_TOKEN not in archive
    assert '"authorization"' not in archive.lower() and '"set-cookie"' not in archive.lower()
