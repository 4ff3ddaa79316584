"""Discourse through its JSON API, served from hand-written fixtures on 127.0.0.1."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from earwitness.cli import cli
from earwitness.collect import _http
from earwitness.collect._discourse import DiscourseQuery, collect_discourse
from earwitness.collect._http import HttpxTransport, MalformedResponseError, PoliteClient
from earwitness.collect._items import ItemWriter
from earwitness.privacy import pseudonym
from earwitness.store import RawArchive
from earwitness.store.schema import documents, group_evidence, participants
from earwitness.study import Study
from tests.collect.server import Crash, CrashingTransport, LocalServer, Reply, VirtualClock
from tests.helpers import database_text, share_key

FIXTURES = Path(__file__).parent / "fixtures" / "discourse"
HANDLES = ("mixmaster_jo", "BedroomBeats", "ozone_fan")
JSON = {"Content-Type": "application/json; charset=utf-8"}


def _fixture(name: str) -> Reply:
    return Reply(body=(FIXTURES / name).read_bytes(), headers=JSON)


@pytest.fixture
def forum(local_server: LocalServer) -> LocalServer:
    routes = {
        "/robots.txt": Reply(body="User-agent: *\nDisallow: /admin/\n"),
        "/latest.json?page=0": _fixture("latest-0.json"),
        "/latest.json?page=1": _fixture("latest-1.json"),
        "/c/mastering.json?page=0": _fixture("category-mastering.json"),
        "/search.json?q=ai+mastering&page=1": _fixture("search-ai-mastering.json"),
        "/t/101.json": _fixture("t101.json"),
        "/t/101/posts.json?post_ids[]=5021&post_ids[]=5022&post_ids[]=5023": _fixture(
            "t101-posts.json"
        ),
        "/t/102.json": _fixture("t102.json"),
        "/t/103.json": _fixture("t103.json"),
    }
    for path, reply in routes.items():
        local_server.route(path, reply)
    return local_server


def _client() -> PoliteClient:
    return PoliteClient(
        HttpxTransport(), contact="lab@example.org", host_delay_s=0.01, backoff_s=0.05
    )


def _collect(study: Study, query: DiscourseQuery, client: PoliteClient | None = None):
    with study.open_store() as store:
        writer = ItemWriter(study, store, source="discourse", query_key=query.key)
        return collect_discourse(client or _client(), writer, query)


def _documents(study: Study) -> list[sa.Row]:
    with study.open_store() as store, store.connect() as connection:
        return list(connection.execute(sa.select(documents).order_by(documents.c.native_id)))


def _database_text(study: Study) -> str:
    with study.open_store() as store:
        return database_text(store)


def test_latest_collects_every_post_of_every_topic(any_study: Study, forum: LocalServer) -> None:
    query = DiscourseQuery(forum.url)
    summary = _collect(any_study, query)
    docs = _documents(any_study)
    host = query.host
    # 23 + 3 (the small-action post is skipped) + 1
    assert len(docs) == 27
    assert summary.new == 26 and summary.deleted == 1
    assert {d.native_id for d in docs if d.thread_native_id == f"{host}:t101"} == {
        f"{host}:p{5000 + n}" for n in range(1, 24)
    }
    assert "/t/101/posts.json?post_ids[]=5021&post_ids[]=5022&post_ids[]=5023" in forum.paths()
    by_id = {d.native_id.split(":p")[-1]: d for d in docs}
    first = by_id["5001"]
    assert (first.kind, first.title) == ("topic", "LANDR vs Ozone on acoustic guitar")
    assert by_id["5022"].parent_native_id == f"{host}:p5021"  # reply_to_post_number 21
    assert by_id["5010"].parent_native_id == f"{host}:p5001"
    assert by_id["5002"].authored_at.isoformat() == "2024-03-01T10:02:00+00:00"
    assert summary.requests == len(forum.hits)


def test_quotes_kept_apart_mentions_and_personal_data_masked(
    study: Study, forum: LocalServer
) -> None:
    _collect(study, DiscourseQuery(forum.url))
    by_id = {d.native_id.split(":p")[-1]: d for d in _documents(study)}
    reply = by_id["6002"]
    assert reply.quoted == "AI mastering flattens the transients."
    assert reply.text.startswith("Not in my tests, @p_")
    assert "I master for a living." in reply.text
    assert reply.score == 4 and reply.edited_at is not None
    assert "[email]" in by_id["6001"].text
    assert by_id["6004"].status == "deleted"
    assert "6003" not in by_id  # "automatically closed": a small action, not a post
    with study.open_store() as store, store.connect() as connection:
        evidence = connection.execute(
            sa.select(
                group_evidence.c.kind, group_evidence.c.quote, group_evidence.c.suggested_group
            )
        ).all()
    assert ("paid", "I master for a living", "professional") in evidence
    assert ("flair", "Mastering Engineer", None) in evidence
    assert ("self", "I'm just a hobbyist", "amateur") in evidence
    text = _database_text(study)
    for handle in (*HANDLES, "jo.mix@example.com"):
        assert handle not in text


def test_raw_responses_are_archived(study: Study, forum: LocalServer) -> None:
    _collect(study, DiscourseQuery(forum.url, category="mastering"))
    urls = [record["url"] for record in RawArchive(study.raw_dir).records()]
    assert [u.removeprefix(forum.url) for u in urls] == [
        "/robots.txt",
        "/c/mastering.json?page=0",
        "/t/102.json",
    ]


def test_search_collects_the_topics_found(study: Study, forum: LocalServer) -> None:
    _collect(study, DiscourseQuery(forum.url, search="ai mastering"))
    threads = {d.thread_native_id for d in _documents(study)}
    assert threads == {f"{DiscourseQuery(forum.url).host}:t102"}


def test_429_with_wait_seconds_then_success(study: Study, forum: LocalServer) -> None:
    limited = json.dumps({"error_type": "rate_limit", "extras": {"wait_seconds": 1}})
    forum.route("/t/103.json", Reply(429, limited, JSON), _fixture("t103.json"))
    summary = _collect(study, DiscourseQuery(forum.url))
    assert summary.wait_s == 1.0
    assert len(_documents(study)) == 27


def test_malformed_topic_stops_with_the_url_and_resumes_cleanly(
    study: Study, forum: LocalServer
) -> None:
    forum.route("/t/102.json", Reply(body='{"post_stream": {"posts": [}', headers=JSON))
    with pytest.raises(MalformedResponseError, match=r"/t/102.json: malformed JSON"):
        _collect(study, DiscourseQuery(forum.url))
    assert len(_documents(study)) == 23  # topic 101 was committed before the failure
    forum.route("/t/102.json", _fixture("t102.json"))
    _collect(study, DiscourseQuery(forum.url))
    assert len(_documents(study)) == 27
    assert forum.paths().count("/t/101.json") == 1  # not fetched again on resume


def _snapshot(study: Study) -> list[tuple]:
    with study.open_store() as store, store.connect() as connection:
        return [
            (r.native_id, r.text, r.quoted, r.parent_native_id, r.status, r.pseudonym)
            for r in connection.execute(
                sa.select(documents, participants.c.pseudonym)
                .outerjoin(participants, participants.c.id == documents.c.participant_id)
                .order_by(documents.c.native_id)
            )
        ]


def test_interrupted_at_every_request_resumes_to_the_same_result(
    tmp_path: Path, forum: LocalServer
) -> None:
    from earwitness.study import init_study

    reference = init_study(tmp_path / "reference")
    _collect(reference, DiscourseQuery(forum.url))
    expected = _snapshot(reference)
    requests = len(forum.hits)
    for crash_after in range(1, requests):
        study = init_study(tmp_path / f"crash{crash_after}")
        share_key(reference.root, study.root)
        with pytest.raises(Crash):
            _collect(study, DiscourseQuery(forum.url), _client_with(CrashingTransport(crash_after)))
        _collect(study, DiscourseQuery(forum.url))
        assert _snapshot(study) == expected, f"crash after {crash_after} requests"


def _client_with(transport: HttpxTransport) -> PoliteClient:
    return PoliteClient(transport, contact="lab@example.org", host_delay_s=0.01)


def test_max_topics_stops_and_the_next_run_continues(study: Study, forum: LocalServer) -> None:
    _collect(study, DiscourseQuery(forum.url, max_topics=1))
    assert {d.thread_native_id.split(":t")[-1] for d in _documents(study)} == {"101"}
    _collect(study, DiscourseQuery(forum.url, max_topics=5))
    assert {d.thread_native_id.split(":t")[-1] for d in _documents(study)} == {"101", "102", "103"}


def test_command_collects_a_category_politely(
    study: Study, forum: LocalServer, virtual_clock: VirtualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the command's own client waits on a virtual clock that also stamps the server's log
    monkeypatch.setattr(_http, "time", virtual_clock)
    forum.clock = virtual_clock.monotonic
    study.settings.update(contact="lab@example.org")
    study.save_settings()
    result = CliRunner().invoke(
        cli,
        [
            "--study",
            str(study.root),
            "collect",
            "discourse",
            forum.url,
            "--category",
            "mastering",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    rows = {
        row["measure"]: row["value"]
        for row in json.loads(result.output[result.output.index("[") :])
    }
    assert rows["new"] == 2 and rows["deleted"] == 1 and rows["requests"] == 3
    times = [hit.at for hit in forum.hits]
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert all(gap >= 1.0 for gap in gaps), gaps  # the 1 s floor
    agents = {hit.headers["User-Agent"] for hit in forum.hits}
    assert len(agents) == 1 and "lab@example.org" in agents.pop()


def test_a_404_chunk_keeps_the_posts_fetched_and_reports_the_gap(
    study: Study, forum: LocalServer
) -> None:
    chunk = "/t/101/posts.json?post_ids[]=5021&post_ids[]=5022&post_ids[]=5023"
    forum.route(chunk, Reply(404, '{"errors": ["not found"]}', JSON))
    summary = _collect(study, DiscourseQuery(forum.url))
    host = DiscourseQuery(forum.url).host
    topic = [d for d in _documents(study) if d.thread_native_id == f"{host}:t101"]
    assert len(topic) == 20
    assert summary.posts_missed == 3
    assert summary.warnings == [
        f"{forum.url}{chunk.replace('[]', '%5B%5D')}: HTTP 404; 3 post(s) of topic 101 "
        "not collected (the others were kept)"
    ]
    opening = next(d for d in topic if d.kind == "topic")
    assert opening.extra["missing_post_ids"] == [5021, 5022, 5023]
    assert {"measure": "posts not collected", "value": 3} in summary.as_rows()


def _t103_with(*posts: dict) -> Reply:
    topic = json.loads((FIXTURES / "t103.json").read_text())
    template = topic["post_stream"]["posts"][0]
    for number, post in enumerate(posts, start=2):
        topic["post_stream"]["posts"].append({**template, "post_number": number, **post})
        topic["post_stream"]["stream"].append(post["id"])
    return Reply(body=json.dumps(topic), headers=JSON)


def test_a_post_that_is_only_a_markdown_quote_keeps_its_text(
    study: Study, forum: LocalServer
) -> None:
    # Discourse cooks "> words" to a bare <blockquote>, a quote of a post to aside.quote
    forum.route(
        "/t/103.json",
        _t103_with(
            {
                "id": 7002,
                "username": "dl-proto",
                "cooked": "<blockquote>\n<p>Mastering is the last creative step.<br>\n"
                "Not a preset.</p>\n</blockquote>",
            }
        ),
    )
    _collect(study, DiscourseQuery(forum.url))
    by_id = {d.native_id.split(":p")[-1]: d for d in _documents(study)}
    post = by_id["7002"]
    assert post.text == "> Mastering is the last creative step.\n> Not a preset."
    assert post.quoted == "Mastering is the last creative step.\nNot a preset."


def test_handles_are_replaced_wherever_they_appear(study: Study, forum: LocalServer) -> None:
    forum.route(
        "/t/103.json",
        _t103_with(
            {
                "id": 7002,
                "username": "dl-proto",
                "cooked": "<p>Hi all, dl-proto here. I use Ozone.</p>",
            },
            {
                "id": 7003,
                "username": "ozone_fan",
                "cooked": '<p>Agree with <a class="mention" href="/u/dl-proto">@dl-proto</a>'
                ", and I know what you mean bedroombeats.</p>",
            },
        ),
    )
    _collect(study, DiscourseQuery(forum.url))
    by_id = {d.native_id.split(":p")[-1]: d for d in _documents(study)}
    who = {name: pseudonym(name, study.key()) for name in ("dl-proto", "BedroomBeats")}
    assert by_id["7002"].text == f"Hi all, {who['dl-proto']} here. I use Ozone."
    assert by_id["7003"].text == (
        f"Agree with @{who['dl-proto']}, and I know what you mean {who['BedroomBeats']}."
    )
    text = _database_text(study).casefold()
    for handle in (*HANDLES, "dl-proto"):
        assert handle.casefold() not in text


def test_pinned_closed_and_small_action_notices_are_not_posts() -> None:
    from earwitness.collect._discourse import topic_items

    topic = json.loads((FIXTURES / "t104.json").read_text(encoding="utf-8"))
    items = topic_items(
        topic, topic["post_stream"]["posts"], host="forum.test", base_url="https://forum.test"
    )
    assert [item.native_id for item in items] == ["forum.test:p7101", "forum.test:p7104"]
    assert [item.author for item in items] == ["MasteringMod", "BedroomBeats"]
    assert not any("pinned" in item.text or "closed" in item.text for item in items)
