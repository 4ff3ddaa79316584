"""Charset sniffing (WHATWG HTML §13.2.3.2), displayed dates and thread ids, one by one."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from earwitness.collect._charset import decode_html, encoding_for_label, sniff_encoding
from earwitness.collect._forums._dates import BoardDates, read_display_date
from earwitness.collect._forums._engine import page_from_url, seo_thread_id

CP1252 = "Café “mastering” €20".encode("cp1252")


@pytest.mark.parametrize(
    ("body", "content_type", "expected"),
    [
        (b"\xef\xbb\xbf<html>", "text/html; charset=ISO-8859-1", "utf-8"),  # BOM first
        (b"\xff\xfe<\x00h\x00", None, "utf-16-le"),
        (b"<html>" + CP1252, "text/html; charset=ISO-8859-1", "cp1252"),  # as browsers do
        (b"<html>", 'text/html; charset="Shift_JIS"', "cp932"),
        (b'<meta charset="windows-1252"><p>' + CP1252, "text/html", "cp1252"),
        (
            b'<meta http-equiv="Content-Type" content="text/html; charset=euc-jp" />',
            None,
            "euc_jp",
        ),
        (b"<!-- <meta charset=koi8-r> --><meta charset=utf-8>", None, "utf-8"),  # comments
        (b"<meta content='text/html; charset=gb2312' http-equiv='content-type'>", None, "gbk"),
        (b'<meta charset="utf-16">', None, "utf-8"),  # a page cannot say UTF-16 in ASCII
        (b'<meta charset="no-such-thing"><p>' + CP1252, None, "cp1252"),  # not UTF-8
        (b"<p>caf\xc3\xa9</p>", None, "utf-8"),
        (b" " * 1100 + b'<meta charset="windows-1252">', None, "utf-8"),  # past 1024 bytes
    ],
)
def test_sniff_encoding(body: bytes, content_type: str | None, expected: str) -> None:
    assert sniff_encoding(body, content_type) == expected


def test_labels_and_decoding() -> None:
    assert encoding_for_label(" Latin1 ") == "cp1252"
    assert encoding_for_label("US-ASCII") == "cp1252"
    assert encoding_for_label("x-sjis") == "cp932"
    assert encoding_for_label("klingon") is None
    assert decode_html(b"\xef\xbb\xbfcaf\xc3\xa9") == "café"
    assert decode_html(b"\x93AI\x94 \x80", "text/html; charset=iso-8859-1") == "“AI” €"
    assert decode_html("ＡＩマスタリング".encode("cp932"), "text/html; charset=Shift_JIS") == (
        "ＡＩマスタリング"
    )


NOW = datetime(2024, 5, 6, 0, 30, tzinfo=UTC)  # 02:30 on 6 May in Berlin


@pytest.mark.parametrize(
    ("shown", "board", "expected"),
    [
        ("2016-02-01, 02:21", BoardDates(), datetime(2016, 2, 1, 2, 21)),
        ("27 Apr 2011 23:57", BoardDates(), datetime(2011, 4, 27, 23, 57)),
        ("18th October 2019", BoardDates(), datetime(2019, 10, 18)),
        ("15.06.2016", BoardDates(), datetime(2016, 6, 15)),
        ("Fri Mar 01, 2013 10:00 am", BoardDates(), datetime(2013, 3, 1, 10)),
        ("Mar 1, 2014 at 12:05 AM", BoardDates(), datetime(2014, 3, 1, 0, 5)),
        ("03-01-2013, 10:00 PM", BoardDates(), datetime(2013, 3, 1, 22)),
        ("03-01-2013, 10:00 PM", BoardDates(order="DMY"), datetime(2013, 1, 3, 22)),
        ("03/01/13", BoardDates(order="dmy"), datetime(2013, 1, 3)),
        ("Today, 14:03", BoardDates(now=NOW), datetime(2024, 5, 6, 14, 3)),
        ("Yesterday, 23:10", BoardDates(now=NOW), datetime(2024, 5, 5, 23, 10)),
    ],
)
def test_displayed_dates(shown: str, board: BoardDates, expected: datetime) -> None:
    reading = read_display_date(shown, board)
    assert reading is not None and reading.when == expected.replace(tzinfo=UTC)


def test_time_zone_and_relative_dates_in_the_board_zone() -> None:
    berlin = BoardDates(timezone="Europe/Berlin", now=NOW)
    reading = read_display_date("Today, 01:00", berlin)  # 6 May in Berlin, CEST
    assert reading is not None and reading.when == datetime(2024, 5, 5, 23, 0, tzinfo=UTC)
    winter = read_display_date("15.01.2016, 10:00", berlin)
    assert winter is not None and winter.when == datetime(2016, 1, 15, 9, 0, tzinfo=UTC)


def test_ambiguity_and_garbage() -> None:
    assumed = read_display_date("03-01-2013", BoardDates())
    assert assumed is not None and assumed.ambiguous
    for shown in ("25-12-2013", "12-12-2013", "2013-03-01"):
        reading = read_display_date(shown, BoardDates())
        assert reading is not None and not reading.ambiguous, shown
    for shown in ("", "Last Tuesday", "31-02-2013", "#1", "Posts: 42"):
        assert read_display_date(shown, BoardDates()) is None, shown


@pytest.mark.parametrize(
    ("url", "thread_id"),
    [
        ("https://f.example/showthread.php/9687-some-title", "9687"),
        ("https://f.example/showthread.php/9687-some-title/page3", "9687"),
        ("https://f.example/showthread.php?9687-some-title/page3", "9687"),
        ("https://f.example/threads/9687-some-title", "9687"),
        ("https://f.example/mastering-forum/9687-some-title.html", "9687"),
        ("https://f.example/mastering-forum/9687-some-title-2.html", "9687"),
        ("https://f.example/threads/ozone-11-assistant.1234/page-2", "1234"),
        ("https://f.example/threads/1234/", "1234"),
        ("https://f.example/forum/mixing/9687-some-title/page2", "9687"),
        ("https://f.example/mastering/ai-limiters-t321.html", "321"),
        ("https://f.example/topic321.html", "321"),
        ("https://f.example/forumdisplay.php?f=2", None),
    ],
)
def test_thread_ids_from_friendly_urls(url: str, thread_id: str | None) -> None:
    assert seo_thread_id(url) == thread_id


def test_page_numbers_from_urls() -> None:
    assert page_from_url("https://f.example/showthread.php?t=5&page=3") == 3
    assert page_from_url("https://f.example/showthread.php/9687-x/page4") == 4
    assert page_from_url("https://f.example/threads/x.5/page-2") == 2
    assert page_from_url("https://f.example/viewtopic.php?t=5") is None
