"""Reddit collection with real PRAW and prawcore against recorded responses on 127.0.0.1."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from earwitness.cli import cli
from earwitness.collect._reddit import RedditCollector, RedditQuery, parse_thread_id
from earwitness.errors import BadInputError, EarwitnessError
from earwitness.store import RawArchive, Store
from earwitness.store.schema import collection_cursors, documents
from earwitness.study import Study
from tests.collect.conftest import (
    TEST_ACCESS_TOKEN,
    TEST_CLIENT_SECRET,
    LocalServer,
    RedditCassettes,
    Reply,
)

EMPTY_LISTING = {"kind": "Listing", "data": {"children": [], "after": None, "before": None}}


@pytest.fixture(autouse=True)
def _fresh_praw_config(monkeypatch: pytest.MonkeyPatch) -> None:
    import praw.config

    monkeypatch.setattr(praw.config.Config, "CONFIG", None)  # PRAW caches praw.ini per process


def _cassette(reddit_server: RedditCassettes, name: str) -> dict:
    return json.loads((reddit_server.folder / f"{name}.json").read_text())


def _docs(store: Store) -> dict[str, sa.Row]:
    with store.connect() as connection:
        return {r.native_id: r for r in connection.execute(sa.select(documents))}


def _collector(
    study: Study, store: Store, waits: list[float] | None = None, **kw
) -> RedditCollector:
    sleep = waits.append if waits is not None else (lambda _s: None)
    return RedditCollector(study, store, sleep=sleep, **kw)


def _new_listing(reddit_server: RedditCassettes) -> list[str]:
    reddit_server.load("TestSubredditListings.test_new")
    reddit_server.server.add_json("GET", "/r/askreddit/new", EMPTY_LISTING, after="t3_48f6io")
    body = _cassette(reddit_server, "TestSubredditListings.test_new")["interactions"][1]
    listing = json.loads(body["response"]["body"]["string"])
    return [f"t3_{c['data']['id']}" for c in listing["data"]["children"]]


def test_parse_thread_id() -> None:
    assert parse_thread_id("https://www.reddit.com/r/x/comments/2gmzqe/some_title/") == "2gmzqe"
    assert parse_thread_id("t3_2GMZQE") == "2gmzqe"
    with pytest.raises(BadInputError):
        parse_thread_id("not a thread!")


def test_listing_page_by_page(study: Study, store: Store, reddit_server: RedditCassettes) -> None:
    expected = _new_listing(reddit_server)
    summary = _collector(study, store, comments=False).run([RedditQuery("askreddit", "new")])
    docs = _docs(store)
    assert sorted(docs) == sorted(expected) and summary.new + summary.deleted == 100
    assert summary.capped == []
    assert summary.requests == reddit_server.server.requests_to("/")
    with store.connect() as connection:
        cursor = connection.execute(sa.select(collection_cursors)).one()
    assert cursor.done and cursor.state["count"] == 100
    archived = list(RawArchive(study.raw_dir).records())
    assert [r["url"].split("?")[0] for r in archived] == [
        f"{reddit_server.server.url}/r/askreddit/new"
    ] * 2
    assert all("access_token" not in r["url"] for r in archived)


def test_max_items_stops_and_the_next_run_continues(
    study: Study, store: Store, reddit_server: RedditCassettes
) -> None:
    expected = _new_listing(reddit_server)
    _collector(study, store, comments=False).run([RedditQuery("askreddit", "new")], max_items=30)
    assert sorted(_docs(store)) == sorted(expected[:30])


@pytest.mark.parametrize("budget", [1, 32])
def test_comments_and_more_budget(
    study: Study, store: Store, reddit_server: RedditCassettes, budget: int
) -> None:
    reddit_server.load("TestMore.test_comments")
    tree = json.loads(
        _cassette(reddit_server, "TestMore.test_comments")["interactions"][2]["response"]["body"][
            "string"
        ]
    )

    def find(node: object, wanted: str) -> dict | None:
        if isinstance(node, dict):
            if node.get("kind") == "t1" and node["data"]["id"] == wanted:
                return node
            node = list(node.values())
        if isinstance(node, list):
            for value in node:
                if found := find(value, wanted):
                    return found
        return None

    def continue_thread(path: str, _params: object) -> Reply:
        # "continue this thread": a hand-written answer, the parent with no further replies
        parent = json.loads(json.dumps(find(tree, path.rstrip("/").rsplit("/", 1)[1])))
        parent["data"]["replies"] = ""
        listing = {"kind": "Listing", "data": {"children": [parent], "after": None}}
        return Reply(
            200, json.dumps([tree[0], listing]).encode(), {"Content-Type": "application/json"}
        )

    reddit_server.server.handlers.append(("/comments/3hahrw/_/", continue_thread))
    _collector(study, store, more_budget=budget).collect_thread(
        "https://www.reddit.com/r/AskReddit/comments/3hahrw/x/"
    )
    docs = _docs(store)
    more = json.loads(
        _cassette(reddit_server, "TestMore.test_comments")["interactions"][1]["response"]["body"][
            "string"
        ]
    )

    def ids(node: object) -> set[str]:
        found: set[str] = set()
        if isinstance(node, dict):
            if node.get("kind") == "t1":
                found.add("t1_" + node["data"]["id"])
            for value in node.values():
                found |= ids(value)
        elif isinstance(node, list):
            for value in node:
                found |= ids(value)
        return found

    assert "t3_3hahrw" in docs
    comments = {k for k in docs if k.startswith("t1_")}
    assert ids(tree) <= comments <= ids(tree) | ids(more)
    spent = reddit_server.server.requests_to("/api/morechildren")
    spent += reddit_server.server.requests_to("/comments/3hahrw/_/")
    assert 1 <= spent <= budget
    if budget > 1:
        assert comments == ids(tree) | ids(more)


def test_listing_with_threads(study: Study, store: Store, reddit_server: RedditCassettes) -> None:
    reddit_server.load("TestSubmission.test_comments")
    thread = json.loads(
        _cassette(reddit_server, "TestSubmission.test_comments")["interactions"][1]["response"][
            "body"
        ]["string"]
    )
    reddit_server.server.add_json("GET", "/r/redditdev/new", thread[0])
    _collector(study, store).run([RedditQuery("redditdev", "new")])
    docs = _docs(store)
    comments = [d for d in docs.values() if d.kind == "comment"]
    assert comments and all(d.thread_native_id == "t3_2gmzqe" for d in comments)
    assert {d.parent_native_id for d in comments} & {"t3_2gmzqe"}


def test_search_and_union(study: Study, store: Store, reddit_server: RedditCassettes) -> None:
    _new_listing(reddit_server)
    reddit_server.load("TestSubreddit.test_search", remap={"/r/all/search/": "/r/askreddit/search"})
    result = CliRunner().invoke(
        cli,
        [
            "--study",
            str(study.root),
            "collect",
            "reddit",
            "--subreddit",
            "askreddit",
            "--query",
            "praw oauth search",
            "--listing",
            "new,search",
            "--no-comments",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    rows = {r["measure"]: r["value"] for r in json.loads(result.stdout)}
    assert rows["new"] + rows["deleted"] == len(_docs(store)) == 106


def test_listing_cap_is_recorded(
    study: Study, store: Store, reddit_server: RedditCassettes
) -> None:
    reddit_server.load(
        "TestListingGenerator.test_exhaust_items", remap={"/user/spez/": "/r/spez/top"}
    )
    summary = _collector(study, store, comments=False).run([RedditQuery("spez", "top")])
    assert summary.capped == ["r/spez top"]
    assert len(_docs(store)) == 1001


def test_faults_are_retried_with_back_off(
    study: Study, store: Store, reddit_server: RedditCassettes
) -> None:
    expected = _new_listing(reddit_server)
    reddit_server.server.fail_next(
        "/r/askreddit/new",
        Reply(429, b"{}", {"Retry-After": "7", "Content-Type": "application/json"}),
        *[Reply(500, b"oops")] * 3,  # prawcore retries twice itself, then we back off
        Reply(200, b'{"kind": "Listing", "data": {', {"Content-Type": "application/json"}),
        Reply(200, b"x" * 4000, {"Content-Type": "application/json"}, truncate=True),
    )
    waits: list[float] = []
    summary = _collector(study, store, waits, comments=False).run([RedditQuery("askreddit", "new")])
    assert sorted(_docs(store)) == sorted(expected)
    assert waits[0] == 7.0  # Retry-After honoured
    # then exponential back-off: after prawcore's own retries of the 500s, and the bad JSON;
    # the truncated body is retried by prawcore itself
    assert waits[1:] == [2.0, 4.0]
    assert summary.wait_s >= sum(waits)


def test_timeouts_are_retried(study: Study, store: Store, reddit_server: RedditCassettes) -> None:
    expected = _new_listing(reddit_server)
    reddit_server.server.fail_next("/r/askreddit/new", *[Reply(200, b"{}", delay_s=4)] * 3)
    waits: list[float] = []
    collector = _collector(study, store, waits, comments=False, timeout_s=1.0)
    collector.run([RedditQuery("askreddit", "new")])
    assert sorted(_docs(store)) == sorted(expected) and waits == [1.0]


def test_persistent_failure_is_one_clear_error(
    study: Study, store: Store, reddit_server: RedditCassettes
) -> None:
    _new_listing(reddit_server)
    reddit_server.server.fail_next("/r/askreddit/new", *[Reply(503, b"down")] * 30)
    with pytest.raises(EarwitnessError, match="run the command again to resume"):
        _collector(study, store, comments=False).run([RedditQuery("askreddit", "new")])


def test_credentials_never_reach_the_archive_or_the_database(
    study: Study, store: Store, reddit_server: RedditCassettes
) -> None:
    _new_listing(reddit_server)
    _collector(study, store, comments=False).run([RedditQuery("askreddit", "new")])
    archive = "\n".join(json.dumps(r) for r in RawArchive(study.raw_dir).records())
    with store.connect() as connection:
        database = "\n".join(connection.connection.driver_connection.iterdump())
    for secret in (TEST_CLIENT_SECRET, TEST_ACCESS_TOKEN, "bearer", "Basic "):
        assert secret not in archive and secret not in database
    assert "authorization" not in archive.lower()


def test_missing_credentials_are_one_clear_line(
    study: Study, local_server: LocalServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "empty").mkdir()
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "empty"))
    monkeypatch.chdir(tmp_path)
    for name in ("praw_client_id", "praw_client_secret"):
        monkeypatch.delenv(name, raising=False)
    result = CliRunner().invoke(
        cli, ["--study", str(study.root), "collect", "reddit", "--subreddit", "audioengineering"]
    )
    assert isinstance(result.exception, EarwitnessError)
    assert "credentials are not configured" in str(result.exception)
