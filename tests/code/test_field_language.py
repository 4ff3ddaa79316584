"""Rules that read the field's language (issue 22): the domain lexicon, reported mockery,
frustration, bug reports, feature requests and list entries (hand-written SYNTHETIC
sentences modelled on the issue's examples), and the new held-out sets' integrity."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest

from earwitness.code.assist._stance import Gazetteer
from earwitness.code.assist._stance_learn import combine_stances
from earwitness.code.assist._target_stance import TargetStance

DATA = Path(__file__).resolve().parents[2] / "data"


def _stance(text: str, tool: str) -> str:
    found = Gazetteer().find(text)
    spans = [(s, e) for _, _, s, e in found]
    mine = [(s, e) for t, _, s, e in found if t == tool]
    assert mine, f"{tool} not found in {text!r}"
    return combine_stances([TargetStance().stance(text, s, e, spans)[0] for s, e in mine])


@pytest.mark.parametrize(
    ("text", "tool", "stance"),
    [
        (
            "I'm getting really frustrated with LANDR's AI mastering, it keeps squashing "
            "my dynamics.",
            "LANDR",
            "negative",
        ),
        ("The engineer laughed Landr off in no uncertain terms.", "LANDR", "negative"),
        ("She just rolled her eyes at eMastered.", "eMastered", "negative"),
        ("eMastered gave me a brickwalled, harsh master.", "eMastered", "negative"),
        ("LANDR sounded lifeless and over-compressed.", "LANDR", "negative"),
        ("CloudBounce left the low end muddy and pumping.", "CloudBounce", "negative"),
        (
            "Ozone's Master Assistant got me a warm, punchy, release-ready master.",
            "iZotope Ozone",
            "positive",
        ),
        (
            "LANDR is genuinely good for most releases; a mastering engineer still wins for "
            "flagship singles.",
            "LANDR",
            "mixed",
        ),
        # bug reports, requests and list entries are neutral
        ("The LANDR plugin crashes when I load it in Ableton 11.", "LANDR", "neutral"),
        ("I'm receiving error 4002 when I run matchering on a long file.", "matchering", "neutral"),
        ("I would love Matchering to have a mix knob.", "matchering", "neutral"),
        ("- LANDR: AI mastering in the browser, great presets", "LANDR", "neutral"),
        (
            "Adds Foo alongside the other online mastering services (Landr, Virtu).",
            "LANDR",
            "neutral",
        ),
        ("Unlike others, LANDR claims to use an artificial intelligence.", "LANDR", "neutral"),
        # a bug report that carries a verdict keeps it
        ("matchering crashes all the time, and honestly it is garbage.", "matchering", "negative"),
        # target-rules-3 (tuned on the dev split only; SYNTHETIC sentences in its phrasing)
        (
            "Honestly matchering 2.0 is beating every paid service I tried.",
            "matchering",
            "positive",
        ),
        (
            "Services like LANDR are the latest craze. In my opinion there are real problems "
            "with these services.",
            "LANDR",
            "negative",
        ),
        ("CloudBounce: do you want your record to sound average?", "CloudBounce", "negative"),
        ("Is CloudBounce worth a try for demos?", "CloudBounce", "neutral"),
        (
            "The eMastered version had more punch and depth, and my own master sounded boxy.",
            "eMastered",
            "positive",
        ),
        ("You would have a winner with CloudBounce if it had a mix knob.", "CloudBounce", "mixed"),
        (
            "While the EQ of LANDR is a strong point, the limiter remains a bottleneck.",
            "LANDR",
            "mixed",
        ),
        (
            "Last error received while running matchering: please send the error details.",
            "matchering",
            "neutral",
        ),
        ("This paper examines LANDR, which trumpets its clever AI.", "LANDR", "neutral"),
        ("Neutron gives you a smart starting point for every mix.", "iZotope Neutron", "neutral"),
    ],
)
def test_the_rules_read_the_fields_language(text: str, tool: str, stance: str) -> None:
    assert _stance(text, tool) == stance


def _sentences(text: str) -> set[str]:
    return {s.strip().lower() for s in re.split(r"(?<=[.!?])\s+", text) if len(s.strip()) > 15}


def _rows(name: str) -> list[dict[str, str]]:
    with (DATA / name).open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _all_sentences(rows: list[dict[str, str]]) -> set[str]:
    return set().union(*(_sentences(r["text"]) for r in rows))


def _assert_held_out(rows: list[dict[str, str]], urls: set[str], sentences: set[str]) -> None:
    """Every row has a web source that is none of ``urls`` and no sentence of ``sentences``."""
    for row in rows:
        assert row["source_url"].startswith("http"), row
        assert row["source_url"] not in urls, row["source_url"]
        assert not _sentences(row["text"]) & sentences, row["text"]


def test_the_held_out_sets_share_no_source_and_no_sentence_with_the_older_sets() -> None:
    older = _rows("stance-dev.csv") + _rows("stance-test.csv")
    dev, test = _rows("stance-heldout-dev.csv"), _rows("stance-heldout-test.csv")
    _assert_held_out(dev + test, {r["source_url"] for r in older}, _all_sentences(older))
    assert not {r["source_url"] for r in dev} & {r["source_url"] for r in test}
    assert {r["coder"] for r in dev + test} == {"i22-helper"}


def test_the_v3_sets_share_no_source_and_no_sentence_with_any_other_set() -> None:
    names = ("dev", "test", "heldout-dev", "heldout-test")
    older = [row for name in names for row in _rows(f"stance-{name}.csv")]
    dev, test = _rows("stance-v3-dev.csv"), _rows("stance-v3-test.csv")
    _assert_held_out(dev + test, {r["source_url"] for r in older}, _all_sentences(older))
    assert not {r["source_url"] for r in dev} & {r["source_url"] for r in test}
    assert not _all_sentences(dev) & _all_sentences(test)
    assert {r["coder"] for r in dev + test} == {"i22-helper-v3"}


def _near(sentence: str, others: set[str]) -> bool:
    words = set(re.findall(r"[a-z0-9]+", sentence))
    return any(
        len(words & (other := set(re.findall(r"[a-z0-9]+", o)))) / len(words | other) >= 0.5
        for o in others
    )


def test_the_v3_sets_hold_no_near_copy_of_another_sets_sentence() -> None:
    """Public pages copy each other (a README quoted in an issue, a spam template): a
    sentence sharing half its words with one in another set, or across the split, would
    carry the same answer to both sides."""
    names = ("dev", "test", "heldout-dev", "heldout-test")
    older = _all_sentences([r for name in names for r in _rows(f"stance-{name}.csv")])
    dev = _all_sentences(_rows("stance-v3-dev.csv"))
    test = _all_sentences(_rows("stance-v3-test.csv"))
    assert not [s for s in dev | test if _near(s, older)]
    assert not [s for s in test if _near(s, dev)]


# The study's built-in tools by their canonical names (docs/services.md) and the two the
# gazetteer adds on top (docs/code-assist.md): "iZotope" named alone and Logic's assistant.
_CANONICAL_TOOLS = {
    "LANDR",
    "eMastered",
    "CloudBounce",
    "BandLab Mastering",
    "iZotope Ozone",
    "iZotope Neutron",
    "RoEx",
    "Sonible smart:EQ",
    "Masterchannel",
    "matchering",
    "DistroKid Mixea",
    "Waves Online Mastering",
    "Logic Pro Mastering Assistant",
    "iZotope",
}
_STANCE_SETS = ("dev", "test", "heldout-dev", "heldout-test", "v3-dev", "v3-test")


def test_the_v4_test_set_shares_no_source_and_no_sentence_with_any_other_set() -> None:
    """stance-v4-test.csv (issue 22) is held out from every older stance set and from the
    user-group sets: no source URL of any other data/*.csv, no sentence of another stance
    set, and no sentence sharing half its words with one (public pages copy each other)."""
    test = _rows("stance-v4-test.csv")
    other_urls = {
        row["source_url"]
        for path in DATA.glob("*.csv")
        if path.name != "stance-v4-test.csv"
        for row in _rows(path.name)
        if row.get("source_url")
    }
    older = _all_sentences([r for name in _STANCE_SETS for r in _rows(f"stance-{name}.csv")])
    assert test
    _assert_held_out(test, other_urls, older)
    assert not [s for s in _all_sentences(test) if _near(s, older)]


def test_the_v4_test_set_has_valid_labels_tools_and_one_coder() -> None:
    test = _rows("stance-v4-test.csv")
    with (DATA / "stance-v3-test.csv").open(encoding="utf-8") as handle:
        v3_columns = next(csv.reader(handle))
    with (DATA / "stance-v4-test.csv").open(encoding="utf-8") as handle:
        assert next(csv.reader(handle)) == v3_columns
    assert [int(r["id"]) for r in test] == list(range(1, len(test) + 1))
    for row in test:
        assert row["stance"] in {"positive", "negative", "mixed", "neutral"}, row
        assert row["tool"] in _CANONICAL_TOOLS, row["tool"]
        assert row["author_group"] in {"amateur", "pro-am", "professional", "unknown"}, row
        assert row["text"].strip() and row["licence"].strip(), row
    units = [(r["source_url"], r["text"], r["tool"]) for r in test]
    assert len(units) == len(set(units)), "a text × tool unit appears twice"
    assert {r["coder"] for r in test} == {"i22-stest-4"}
