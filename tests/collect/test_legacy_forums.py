"""Real legacy boards: numbered pages, legacy charsets, displayed dates, friendly URLs.

The pages are built from the engines' own templates (``legacy_pages.py``) and served
from 127.0.0.1 with the headers such boards send.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from earwitness.cli import cli
from earwitness.collect._forums import ForumQuery, _crawl, collect_forum
from earwitness.collect._http import HttpxTransport, PoliteClient
from earwitness.collect._items import ItemWriter, RunSummary
from earwitness.errors import BadInputError
from earwitness.privacy import pseudonym
from earwitness.store import RawArchive, raw_body
from earwitness.store.schema import documents
from earwitness.study import Study
from tests.collect.legacy_pages import (
    Post,
    phpbb30_forum,
    phpbb30_topic,
    phpbb32_topic,
    vb3_thread,
    vb4_thread,
)
from tests.collect.server import LocalServer, Reply
from tests.helpers import database_text

ROBOTS = Reply(body="User-agent: *\nDisallow: /admin/\n")
UTF8 = {"Content-Type": "text/html; charset=UTF-8"}


def _collect(study: Study, query: ForumQuery) -> RunSummary:
    client = PoliteClient(HttpxTransport(), contact="lab@example.org", host_delay_s=0.01)
    with study.open_store() as store:
        writer = ItemWriter(study, store, source="forum", query_key=query.key)
        return collect_forum(client, writer, query)


def _docs(study: Study) -> list[sa.Row]:
    with study.open_store() as store, store.connect() as connection:
        return list(connection.execute(sa.select(documents).order_by(documents.c.id)))


# --- numbered pagination ------------------------------------------------------------------


def _post_html(n: int, total: int) -> str:
    if n == 1:  # names a participant of page 1 and one who only posts on the last page
        return "<p>I know what you mean member_0, and Late_Joiner will say the same.</p>"
    if n == 2:  # phpBB 3.0 turns a pasted URL into a postlink whose text is the URL
        url = "https://www.kvraudio.com/forum/memberlist.php?mode=viewprofile&amp;u=4242"
        return f'<p>See <a href="{url}" class="postlink">{url}</a> for his gear.</p>'
    return f"<p>Reply number {n} on the loudness of AI masters.</p>"


def _serve_phpbb30_topic(server: LocalServer, pages: int = 10, topic: int = 77) -> None:
    server.route("/robots.txt", ROBOTS)
    total = pages * 10 - 3
    for page in range(1, pages + 1):
        first = (page - 1) * 10
        posts = [
            Post(
                topic * 1000 + n,
                "late_joiner" if n == total - 1 else f"member_{n % 7}",
                f"Fri Mar {1 + page:02d}, 2013 {1 + n % 11}:{n % 60:02d} pm",
                _post_html(n, total),
            )
            for n in range(first, min(first + 10, total))
        ]
        start = f"&start={first}" if page > 1 else ""
        server.route(
            f"/phpBB3/viewtopic.php?f=2&t={topic}{start}",
            Reply(body=phpbb30_topic(topic, page, pages, posts, total_posts=total), headers=UTF8),
        )


def test_phpbb30_numbered_pages_without_next_link_are_all_read(
    study: Study, local_server: LocalServer
) -> None:
    _serve_phpbb30_topic(local_server)
    url = local_server.url + "/phpBB3/viewtopic.php?f=2&t=77"
    summary = _collect(study, ForumQuery(url))
    docs = _docs(study)
    assert len(docs) == 97 and summary.new == 97
    assert {d.thread_native_id for d in docs} == {f"{ForumQuery(url).host}:t77"}
    assert [d.kind for d in docs].count("topic") == 1 and docs[0].kind == "topic"
    assert local_server.paths().count("/phpBB3/viewtopic.php?f=2&t=77&start=90") == 1
    assert summary.pages_missed == 0 and summary.warnings == []
    assert docs[0].authored_at.isoformat() == "2013-03-02T13:00:00+00:00"
    assert docs[-1].participant_id is not None


def test_handles_named_in_posts_are_replaced_in_every_table(
    study: Study, local_server: LocalServer
) -> None:
    _serve_phpbb30_topic(local_server)
    _collect(study, ForumQuery(local_server.url + "/phpBB3/viewtopic.php?f=2&t=77"))
    docs = {d.native_id.rsplit(":p", 1)[-1]: d for d in _docs(study)}
    key = study.key()
    assert docs["77001"].text == (
        f"I know what you mean {pseudonym('member_0', key)}, "
        f"and {pseudonym('late_joiner', key)} will say the same."
    )
    assert docs["77002"].text == "See [profile-url] for his gear."
    with study.open_store() as store:
        text = database_text(store).casefold()
    for handle in [f"member_{n}" for n in range(7)] + ["late_joiner"]:
        assert handle not in text


def test_phpbb30_forum_listing_pages_are_numbered_too(
    study: Study, local_server: LocalServer
) -> None:
    topics = {page: [(300 + 2 * page, "A", 2), (301 + 2 * page, "B", 1)] for page in (1, 2, 3)}
    for page, rows in topics.items():
        start = f"&start={(page - 1) * 25}" if page > 1 else ""
        local_server.route(
            f"/phpBB3/viewforum.php?f=2{start}",
            Reply(body=phpbb30_forum(page, 3, rows), headers=UTF8),
        )
        for topic_id, _title, pages in rows:
            _serve_phpbb30_topic(local_server, pages=pages, topic=topic_id)
    _collect(study, ForumQuery(local_server.url + "/phpBB3/viewforum.php?f=2"))
    threads = {d.thread_native_id.rsplit(":t", 1)[-1] for d in _docs(study)}
    assert threads == {str(t) for rows in topics.values() for t, _, _ in rows}
    assert len(_docs(study)) == 3 * (17 + 7)
    assert local_server.requests_to("/phpBB3/viewforum.php") == 3


def test_pages_a_page_announces_but_were_not_read_are_warned_and_counted(
    study: Study, local_server: LocalServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    _serve_phpbb30_topic(local_server)
    monkeypatch.setattr(_crawl, "MAX_THREAD_PAGES", 3)
    study.settings.update(contact="lab@example.org")
    study.save_settings()
    url = local_server.url + "/phpBB3/viewtopic.php?f=2&t=77"
    result = CliRunner().invoke(
        cli, ["--study", str(study.root), "collect", "forum", url, "--json"]
    )
    assert result.exit_code == 0, result.output
    assert "warning: " in result.stderr and "stopped at page 3 of 10" in result.stderr
    rows = {row["measure"]: row["value"] for row in json.loads(result.stdout)}
    assert rows["thread pages not collected"] == 7 and rows["new"] == 30


def test_a_thread_started_from_page_n_has_no_opening_post(
    study: Study, local_server: LocalServer
) -> None:
    _serve_phpbb30_topic(local_server)
    url = local_server.url + "/phpBB3/viewtopic.php?f=2&t=77&start=80"
    _collect(study, ForumQuery(url))
    docs = _docs(study)
    assert len(docs) == 17  # pages 9 and 10
    assert {d.kind for d in docs} == {"post"} and all(d.title is None for d in docs)


# --- encodings ----------------------------------------------------------------------------

CAFE = "Café “mastering” €20 – it’s fine"


def _vb3_page(charset: str, text: str, date: str = "2016-02-01, 02:21") -> str:
    return vb3_thread(
        31, [Post(3101, "lowend_larry", date, f"{text}<br />\nSecond line.")], charset=charset
    )


@pytest.mark.parametrize(
    ("header", "meta", "codec"),
    [
        ("text/html", "windows-1252", "cp1252"),  # the charset only in <meta>
        ("text/html; charset=ISO-8859-1", "ISO-8859-1", "cp1252"),  # vBulletin 3's default
        ("text/html", "Shift_JIS", "shift_jis"),
    ],
)
def test_legacy_charsets_are_decoded_and_raw_bytes_kept(
    study: Study, local_server: LocalServer, header: str, meta: str, codec: str
) -> None:
    text = CAFE if codec == "cp1252" else "AIマスタリングは便利です。音圧も十分。"
    body = _vb3_page(meta, text).encode(codec)
    local_server.route("/robots.txt", ROBOTS)
    local_server.route(
        "/vb/showthread.php?t=31", Reply(body=body, headers={"Content-Type": header})
    )
    _collect(study, ForumQuery(local_server.url + "/vb/showthread.php?t=31"))
    (doc,) = _docs(study)
    assert doc.text == f"{text}\nSecond line."
    assert "\ufffd" not in doc.text and "\x93" not in doc.text
    archived = [r for r in RawArchive(study.raw_dir).records() if r["url"].endswith("t=31")]
    assert raw_body(archived[0]) == body


def test_a_byte_order_mark_wins_over_the_header(study: Study, local_server: LocalServer) -> None:
    body = b"\xef\xbb\xbf" + _vb3_page("ISO-8859-1", CAFE).encode("utf-8")
    local_server.route("/robots.txt", ROBOTS)
    headers = {"Content-Type": "text/html; charset=ISO-8859-1"}
    local_server.route("/vb/showthread.php?t=31", Reply(body=body, headers=headers))
    _collect(study, ForumQuery(local_server.url + "/vb/showthread.php?t=31"))
    assert _docs(study)[0].text.startswith(CAFE)


# --- dates --------------------------------------------------------------------------------


def _serve_vb3_dates(server: LocalServer, dates: list[str]) -> str:
    posts = [
        Post(4100 + n, f"member_{n}", date, f"<p>Post {n} about AI mastering.</p>")
        for n, date in enumerate(dates)
    ]
    server.route("/robots.txt", ROBOTS)
    server.route(
        "/vb/showthread.php?t=41",
        Reply(body=vb3_thread(41, posts, charset="ISO-8859-1").encode("cp1252"), headers=UTF8),
    )
    return server.url + "/vb/showthread.php?t=41"


def test_vbulletin_and_phpbb_display_dates(study: Study, local_server: LocalServer) -> None:
    url = _serve_vb3_dates(
        local_server,
        [
            "2016-02-01, 02:21",
            "18th October 2019, 09:12 PM",
            "15.06.2016, 14:30",
            "Today, 14:03",
            "Yesterday, 23:10",
            "Last Tuesday",  # a custom format earwitness cannot read
        ],
    )
    before = datetime.now(UTC)
    summary = _collect(study, ForumQuery(url))
    after = datetime.now(UTC)
    when = [d.authored_at for d in _docs(study)]
    assert when[0] == datetime(2016, 2, 1, 2, 21, tzinfo=UTC)
    assert when[1] == datetime(2019, 10, 18, 21, 12, tzinfo=UTC)
    assert when[2] == datetime(2016, 6, 15, 14, 30, tzinfo=UTC)
    assert when[3].date() in {before.date(), after.date()} and when[3].hour == 14
    assert when[4].date() in {(before - timedelta(days=1)).date(), (after - timedelta(1)).date()}
    assert when[5] is None and summary.undated == 1
    assert {"measure": "undated", "value": 1} in summary.as_rows()


def test_phpbb32_default_date_format(study: Study, local_server: LocalServer) -> None:
    posts = [Post(501, "kvr_mixer", "27 Apr 2011 23:57", "<p>Ceiling at -1 dBTP.</p>")]
    local_server.route("/robots.txt", ROBOTS)
    local_server.route(
        "/phpBB3/viewtopic.php?t=5", Reply(body=phpbb32_topic(5, posts), headers=UTF8)
    )
    _collect(study, ForumQuery(local_server.url + "/phpBB3/viewtopic.php?t=5"))
    (doc,) = _docs(study)
    assert doc.authored_at == datetime(2011, 4, 27, 23, 57, tzinfo=UTC)
    assert doc.extra["engine"] == "phpbb 3.1+" and doc.extra["time_from_display"] is True


def test_day_first_board_and_time_zone_from_the_study_settings(
    study: Study, local_server: LocalServer
) -> None:
    url = _serve_vb3_dates(local_server, ["03-01-2013, 10:00", "25-12-2013, 18:30"])
    host = url.split("/")[2]
    study.settings.update(
        contact="lab@example.org",
        forum_boards={host: {"date_order": "DMY", "timezone": "Europe/Berlin"}},
    )
    study.save_settings()
    result = CliRunner().invoke(
        cli, ["--study", str(study.root), "collect", "forum", url, "--json"]
    )
    assert result.exit_code == 0, result.output
    when = [d.authored_at for d in _docs(study)]
    assert when == [
        datetime(2013, 1, 3, 9, 0, tzinfo=UTC),  # 3 January, 10:00 in Berlin (CET)
        datetime(2013, 12, 25, 17, 30, tzinfo=UTC),
    ]
    rows = {row["measure"]: row["value"] for row in json.loads(result.stdout)}
    assert "dates read month first (ambiguous)" not in rows


def test_month_first_by_assumption_is_reported(study: Study, local_server: LocalServer) -> None:
    url = _serve_vb3_dates(local_server, ["03-01-2013, 10:00 AM", "12-25-2013, 06:30 PM"])
    summary = _collect(study, ForumQuery(url))
    assert summary.ambiguous_dates == 1
    assert _docs(study)[0].extra.get("date_ambiguous") is True


def test_a_wrong_board_setting_is_one_clear_line(study: Study) -> None:
    study.settings.update(contact="lab@example.org")
    study.save_settings()
    args = ["--study", str(study.root), "collect", "forum", "https://forum.example.org/t/1"]
    result = CliRunner().invoke(cli, [*args, "--timezone", "Mars/Olympus"])
    assert isinstance(result.exception, BadInputError)
    assert "unknown time zone 'Mars/Olympus'" in str(result.exception)


# --- friendly URLs ------------------------------------------------------------------------


def test_vbulletin4_friendly_urls_group_posts_into_their_thread(
    study: Study, local_server: LocalServer
) -> None:
    base = local_server.url + "/vb4/"
    path = "showthread.php/9687-dithering-before-the-limiter"
    for page in (1, 2):
        posts = [
            Post(90000 + page * 10 + n, f"member_{n}", "Today, 14:03", f"<p>Page {page}.</p>")
            for n in range(3)
        ]
        local_server.route(
            f"/vb4/{path}" + (f"/page{page}" if page > 1 else ""),
            Reply(body=vb4_thread(base, path, posts, page=page, total_pages=2), headers=UTF8),
        )
    local_server.route("/robots.txt", ROBOTS)
    _collect(study, ForumQuery(base + path))
    docs = _docs(study)
    host = local_server.url.split("//")[1]
    assert len(docs) == 6 and {d.thread_native_id for d in docs} == {f"{host}:t9687"}
    assert [d.kind for d in docs] == ["topic"] + ["post"] * 5
