"""HTML forums: engine detection, parsing and resumable crawling on a local server."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from earwitness.cli import cli
from earwitness.collect._forums import ENGINES, ForumQuery, collect_forum, detect_engine
from earwitness.collect._http import HttpxTransport, MalformedResponseError, PoliteClient
from earwitness.collect._items import ItemWriter
from earwitness.store.schema import documents, group_evidence, participants
from earwitness.study import Study, init_study
from tests.collect.server import Crash, CrashingTransport, LocalServer, Reply
from tests.helpers import database_text, share_key

FIXTURES = Path(__file__).parent / "fixtures" / "forums"
HANDLES = ("kvr_mixer", "beat_smith", "lowend_larry")
HTML = {"Content-Type": "text/html; charset=utf-8"}
T5 = "landr-vs-ozone-on-acoustic-guitar"

# variant -> (engine label, listing path, thread 5 path, {path: fixture file})
SITES: dict[str, tuple[str, str, str, dict[str, str]]] = {
    "phpbb30": (
        "phpbb 3.0",
        "/phpbb30/viewforum.php?f=2",
        "/phpbb30/viewtopic.php?f=2&t=5",
        {
            "/phpbb30/viewforum.php?f=2": "viewforum-1",
            "/phpbb30/viewforum.php?f=2&start=25": "viewforum-2",
            "/phpbb30/viewtopic.php?f=2&t=5": "viewtopic-5-1",
            "/phpbb30/viewtopic.php?f=2&t=5&start=10": "viewtopic-5-2",
            "/phpbb30/viewtopic.php?f=2&t=6": "viewtopic-6-1",
            "/phpbb30/viewtopic.php?f=2&t=7": "viewtopic-7-1",
        },
    ),
    "phpbb33": (
        "phpbb 3.1+",
        "/phpbb33/viewforum.php?f=2",
        "/phpbb33/viewtopic.php?f=2&t=5",
        {
            "/phpbb33/viewforum.php?f=2": "viewforum-1",
            "/phpbb33/viewforum.php?f=2&start=25": "viewforum-2",
            "/phpbb33/viewtopic.php?f=2&t=5": "viewtopic-5-1",
            "/phpbb33/viewtopic.php?f=2&t=5&start=10": "viewtopic-5-2",
            "/phpbb33/viewtopic.php?f=2&t=6": "viewtopic-6-1",
            "/phpbb33/viewtopic.php?f=2&t=7": "viewtopic-7-1",
        },
    ),
    **{
        v: (
            f"vbulletin {v[-1]}",
            f"/{v}/forumdisplay.php?f=2",
            f"/{v}/showthread.php?t=5",
            {
                f"/{v}/forumdisplay.php?f=2": "forumdisplay-1",
                f"/{v}/forumdisplay.php?f=2&page=2": "forumdisplay-2",
                f"/{v}/showthread.php?t=5": "showthread-5-1",
                f"/{v}/showthread.php?t=5&page=2": "showthread-5-2",
                f"/{v}/showthread.php?t=6": "showthread-6-1",
                f"/{v}/showthread.php?t=7": "showthread-7-1",
            },
        )
        for v in ("vb3", "vb4")
    },
    "vb5": (
        "vbulletin 5",
        "/vb5/forum/mixing",
        f"/vb5/forum/mixing/5-{T5}",
        {
            "/vb5/forum/mixing": "forum-1",
            "/vb5/forum/mixing/page2": "forum-2",
            f"/vb5/forum/mixing/5-{T5}": "thread-5-1",
            f"/vb5/forum/mixing/5-{T5}/page2": "thread-5-2",
            "/vb5/forum/mixing/6-ozone-11-assistant": "thread-6-1",
            "/vb5/forum/mixing/7-second-listing-page-thread": "thread-7-1",
        },
    ),
    **{
        v: (
            f"xenforo {v[-1]}",
            f"/{v}/forums/mixing.2/",
            f"/{v}/threads/{T5}.5/",
            {
                f"/{v}/forums/mixing.2/": "forum-1",
                f"/{v}/forums/mixing.2/page-2": "forum-2",
                f"/{v}/threads/{T5}.5/": "thread-5-1",
                f"/{v}/threads/{T5}.5/page-2": "thread-5-2",
                f"/{v}/threads/ozone-11-assistant.6/": "thread-6-1",
                f"/{v}/threads/second-listing-page-thread.7/": "thread-7-1",
            },
        )
        for v in ("xf1", "xf2")
    },
}


def _serve(server: LocalServer, variant: str) -> None:
    server.route("/robots.txt", Reply(body="User-agent: *\nDisallow: /admin/\n"))
    for path, name in SITES[variant][3].items():
        server.route(
            path, Reply(body=(FIXTURES / variant / f"{name}.html").read_bytes(), headers=HTML)
        )


def _client(transport: HttpxTransport | None = None) -> PoliteClient:
    return PoliteClient(transport or HttpxTransport(), contact="lab@example.org", host_delay_s=0.01)


def _collect(study: Study, query: ForumQuery, client: PoliteClient | None = None):
    with study.open_store() as store:
        writer = ItemWriter(study, store, source="forum", query_key=query.key)
        return collect_forum(client or _client(), writer, query)


def _rows(study: Study) -> list[sa.Row]:
    with study.open_store() as store, store.connect() as connection:
        return list(
            connection.execute(
                sa.select(documents, participants.c.pseudonym)
                .outerjoin(participants, participants.c.id == documents.c.participant_id)
                .order_by(documents.c.native_id)
            )
        )


def _database_text(study: Study) -> str:
    with study.open_store() as store:
        return database_text(store)


@pytest.mark.parametrize("variant", sorted(SITES))
def test_engine_is_detected_from_markup(variant: str) -> None:
    label, _, _, files = SITES[variant]
    for name in set(files.values()):
        html = (FIXTURES / variant / f"{name}.html").read_text(encoding="utf-8")
        assert detect_engine(html, "http://forum.test/x").label == label


def test_unknown_markup_is_refused_naming_the_url() -> None:
    with pytest.raises(MalformedResponseError, match=r"http://forum\.test/x: not a page of phpBB"):
        detect_engine("<html><body><p>hello</p></body></html>", "http://forum.test/x")


@pytest.mark.parametrize("variant", sorted(SITES))
def test_listing_collects_every_thread_page_with_quotes_apart(
    variant: str,
    study: Study,
    local_server: LocalServer,
) -> None:
    _serve(local_server, variant)
    query = ForumQuery(local_server.url + SITES[variant][1])
    summary = _collect(study, query)
    rows = _rows(study)
    host = query.host
    assert [r.native_id for r in rows] == [f"{host}:p{n}" for n in (101, 102, 103, 201, 301)]
    assert summary.new == 5
    by_id = {r.native_id.rsplit(":p", 1)[1]: r for r in rows}
    opening = by_id["101"]
    assert opening.kind == "topic" and opening.title == "LANDR vs Ozone on acoustic guitar"
    assert opening.platform == SITES[variant][0].split()[0]
    assert opening.thread_native_id == f"{host}:t5"
    assert "[email]" in opening.text and "My signature" not in opening.text
    assert opening.authored_at is not None and opening.authored_at.hour == 10
    reply = by_id["102"]
    assert reply.text == "Just a hobbyist, but yes: it was too bright."
    assert reply.quoted == "Has anyone tried LANDR on acoustic guitar?"
    assert by_id["103"].thread_native_id == f"{host}:t5" and by_id["103"].kind == "post"
    assert by_id["201"].text == "Ozone 11 assistant: thoughts?\nIt gets me close."
    assert by_id["101"].pseudonym == by_id["103"].pseudonym != by_id["102"].pseudonym
    with study.open_store() as store, store.connect() as connection:
        evidence = set(
            connection.execute(
                sa.select(
                    group_evidence.c.kind, group_evidence.c.quote, group_evidence.c.suggested_group
                )
            )
        )
    assert ("self", "I'm a professional mastering engineer", "professional") in evidence
    assert ("self", "Just a hobbyist", "amateur") in evidence
    assert ("experience", "I've been mixing for 20 years", None) in evidence
    assert ("flair", "Mastering Engineer", None) in evidence
    text = _database_text(study)
    for handle in (*HANDLES, "kvr.mixer@example.net"):
        assert handle not in text


@pytest.mark.parametrize("variant", ["phpbb30", "vb5", "xf2"])
def test_a_thread_url_collects_that_thread(
    variant: str,
    study: Study,
    local_server: LocalServer,
) -> None:
    _serve(local_server, variant)
    _collect(study, ForumQuery(local_server.url + SITES[variant][2]))
    assert [r.native_id.rsplit(":p", 1)[1] for r in _rows(study)] == ["101", "102", "103"]


@pytest.mark.parametrize("variant", ["phpbb33", "vb3", "xf1"])
def test_interrupted_at_every_request_resumes_without_gaps_or_duplicates(
    variant: str,
    tmp_path: Path,
    local_server: LocalServer,
) -> None:
    _serve(local_server, variant)
    url = local_server.url + SITES[variant][1]
    reference = init_study(tmp_path / "reference")
    _collect(reference, ForumQuery(url))
    expected = [(r.native_id, r.text, r.quoted, r.pseudonym) for r in _rows(reference)]
    requests = len(local_server.hits)
    for crash_after in range(1, requests):
        study = init_study(tmp_path / f"crash{crash_after}")
        share_key(reference.root, study.root)
        with pytest.raises(Crash):
            _collect(study, ForumQuery(url), _client(CrashingTransport(crash_after)))
        _collect(study, ForumQuery(url))
        got = [(r.native_id, r.text, r.quoted, r.pseudonym) for r in _rows(study)]
        assert got == expected, f"crash after {crash_after} requests"


def test_max_threads_and_next_run_continue(study: Study, local_server: LocalServer) -> None:
    _serve(local_server, "xf2")
    url = local_server.url + SITES["xf2"][1]
    _collect(study, ForumQuery(url, max_threads=1))
    assert {r.native_id.rsplit(":p", 1)[1] for r in _rows(study)} == {"101", "102", "103"}
    _collect(study, ForumQuery(url))
    assert len(_rows(study)) == 5
    assert local_server.paths().count(f"/xf2/threads/{T5}.5/") == 1


def test_a_thread_page_without_posts_is_malformed(study: Study, local_server: LocalServer) -> None:
    _serve(local_server, "vb4")
    local_server.route(
        "/vb4/showthread.php?t=6", Reply(body="<html><body><ol id='posts'></ol>", headers=HTML)
    )
    with pytest.raises(
        MalformedResponseError, match=r"showthread.php\?t=6: no vbulletin 4 posts found"
    ):
        _collect(study, ForumQuery(local_server.url + SITES["vb4"][1]))
    assert len(_rows(study)) == 3  # thread 5 was committed before the failure


def test_truncated_page_and_500s(study: Study, local_server: LocalServer) -> None:
    _serve(local_server, "phpbb33")
    body = (FIXTURES / "phpbb33" / "viewtopic-6-1.html").read_bytes()
    local_server.route(
        "/phpbb33/viewtopic.php?f=2&t=6",
        Reply(500),
        Reply(body=body[:200], headers=HTML, truncate=True),
        Reply(body=body, headers=HTML),
    )
    client = PoliteClient(
        HttpxTransport(), contact="lab@example.org", host_delay_s=0.01, backoff_s=0.05
    )
    _collect(study, ForumQuery(local_server.url + SITES["phpbb33"][1]), client)
    assert len(_rows(study)) == 5
    assert local_server.paths().count("/phpbb33/viewtopic.php?f=2&t=6") == 3


def test_robots_disallowed_forum_is_not_collected(study: Study, local_server: LocalServer) -> None:
    _serve(local_server, "vb3")
    local_server.route("/robots.txt", Reply(body="User-agent: earwitness\nDisallow: /vb3/\n"))
    from earwitness.collect._http import RobotsDisallowedError

    with pytest.raises(RobotsDisallowedError):
        _collect(study, ForumQuery(local_server.url + SITES["vb3"][1]))
    assert local_server.paths() == ["/robots.txt"]


def test_forum_command_with_forced_engine(study: Study, local_server: LocalServer) -> None:
    _serve(local_server, "vb5")
    study.settings.update(contact="lab@example.org")
    study.save_settings()
    args = ["--study", str(study.root), "collect", "forum", local_server.url + SITES["vb5"][2]]
    result = CliRunner().invoke(cli, [*args, "--engine", "vbulletin5", "--json"])
    assert result.exit_code == 0, result.output
    rows = {r["measure"]: r["value"] for r in json.loads(result.output[result.output.index("[") :])}
    assert rows["new"] == 3 and rows["requests"] == 3
    assert set(ENGINES) == {
        "phpbb",
        "vbulletin3",
        "vbulletin4",
        "vbulletin5",
        "xenforo1",
        "xenforo2",
    }


@pytest.mark.parametrize("variant", ["phpbb30", "vb5", "xf2"])
def test_a_resumed_thread_does_not_request_its_first_page_again(
    variant: str, tmp_path: Path, local_server: LocalServer
) -> None:
    _serve(local_server, variant)
    url = local_server.url + SITES[variant][2]
    first = SITES[variant][2].split("#", 1)[0]
    reference = init_study(tmp_path / "reference")
    _collect(reference, ForumQuery(url))
    expected = [(r.native_id, r.text) for r in _rows(reference)]
    pages = [path for path in local_server.paths() if not path.endswith("robots.txt")]
    assert len(pages) >= 2, pages  # a thread of two pages or more
    for crash_after in range(1, len(local_server.paths())):
        local_server.hits.clear()
        study = init_study(tmp_path / f"crash{crash_after}")
        share_key(reference.root, study.root)
        with pytest.raises(Crash):
            _collect(study, ForumQuery(url), _client(CrashingTransport(crash_after)))
        _collect(study, ForumQuery(url))
        assert [(r.native_id, r.text) for r in _rows(study)] == expected
        assert local_server.paths().count(first) == 1, f"crash after {crash_after}"
