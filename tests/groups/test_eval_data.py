"""The held-out user-group test sets are independent of the evaluation set they extend.

``data/groups-test-2.csv`` (issue 22) was labelled before any method ran on it, from
sites that ``data/groups-eval.csv`` does not use: these checks keep it that way (no
shared site or source URL, no repeated passage, valid groups, one group per author).
They read the CSV files only and run no group method.
"""

from __future__ import annotations

import csv
import re
from collections import Counter, defaultdict
from pathlib import Path
from urllib.parse import urlsplit

import pytest

DATA = Path(__file__).resolve().parents[2] / "data"
EVAL = DATA / "groups-eval.csv"
TEST_2 = DATA / "groups-test-2.csv"
COLUMNS = ["id", "source_url", "site", "author", "text", "group", "split", "coder"]
GROUPS = {"amateur", "pro-am", "professional", "unknown"}


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _host(url: str) -> str:
    host = (urlsplit(url.strip()).hostname or "").rstrip(".")
    return host.removeprefix("www.")


def _url_key(url: str) -> str:
    """A source URL without scheme, ``www.``, case of the host or a trailing slash."""
    parts = urlsplit(url.strip())
    query = f"?{parts.query}" if parts.query else ""
    return _host(url) + parts.path.rstrip("/") + query


def _passage_key(text: str) -> str:
    return re.sub(r"\W+", " ", text.casefold()).strip()


@pytest.fixture(scope="module")
def test_2() -> list[dict[str, str]]:
    return _rows(TEST_2)


def test_the_columns_are_those_of_the_evaluation_set(test_2) -> None:  # type: ignore[no-untyped-def]
    with TEST_2.open(newline="", encoding="utf-8") as handle:
        header = next(csv.reader(handle))
    assert header == COLUMNS
    assert [int(r["id"]) for r in test_2] == list(range(1, len(test_2) + 1))


def test_every_row_is_a_labelled_test_unit(test_2) -> None:  # type: ignore[no-untyped-def]
    assert {r["group"] for r in test_2} <= GROUPS
    assert {r["split"] for r in test_2} == {"test"}
    assert {r["coder"] for r in test_2} == {"i22-gtest-2"}
    assert all(r["text"].strip() == r["text"] and r["text"] for r in test_2)
    assert all(re.fullmatch(r"author-t2-\d{3}", r["author"]) for r in test_2)


def test_the_site_is_the_host_of_the_source(test_2) -> None:  # type: ignore[no-untyped-def]
    assert all(r["site"] == _host(r["source_url"]) for r in test_2)


def test_no_site_is_shared_with_the_evaluation_set(test_2) -> None:  # type: ignore[no-untyped-def]
    eval_sites = {r["site"] for r in _rows(EVAL)} | {_host(r["source_url"]) for r in _rows(EVAL)}
    assert not {r["site"] for r in test_2} & eval_sites


def test_no_source_url_is_in_another_data_file(test_2) -> None:  # type: ignore[no-untyped-def]
    others = set()
    for path in sorted(DATA.glob("*.csv")):
        if path != TEST_2:
            others |= {_url_key(r["source_url"]) for r in _rows(path) if r.get("source_url")}
    assert others, "the other data files were not read"
    assert not {_url_key(r["source_url"]) for r in test_2} & others


def test_no_passage_is_repeated(test_2) -> None:  # type: ignore[no-untyped-def]
    keys = Counter(_passage_key(r["text"]) for r in test_2)
    assert [k for k, n in keys.items() if n > 1] == []
    assert not set(keys) & {_passage_key(r["text"]) for r in _rows(EVAL)}


def test_each_author_has_one_group_one_site_and_at_most_three_passages(test_2) -> None:  # type: ignore[no-untyped-def]
    groups: dict[str, set[str]] = defaultdict(set)
    sites: dict[str, set[str]] = defaultdict(set)
    for row in test_2:
        groups[row["author"]].add(row["group"])
        sites[row["author"]].add(row["site"])
    assert all(len(g) == 1 for g in groups.values())
    assert all(len(s) == 1 for s in sites.values())
    assert max(Counter(r["author"] for r in test_2).values()) <= 3


def test_each_group_has_the_documented_minimum_of_authors(test_2) -> None:  # type: ignore[no-untyped-def]
    authors = Counter({r["author"]: r["group"] for r in test_2}.values())
    assert all(authors[g] >= 12 for g in ("amateur", "pro-am", "professional")), authors
    assert 12 <= authors["unknown"] <= 20, authors
