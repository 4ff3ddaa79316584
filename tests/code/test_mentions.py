"""Mentions (issue 22): names after a slash and beside CJK text are found; every
same-named thing the issue lists is not (hand-written sentences modelled on the issue's
examples; the Japanese, Chinese and Korean ones are ordinary phrasings)."""

from __future__ import annotations

import pytest

from earwitness.code.assist._stance import Gazetteer


def _tools(text: str) -> list[str]:
    return [tool for tool, *_ in Gazetteer().find(text)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "I tried LANDR/eMastered/CloudBounce on the same mix.",
            ["LANDR", "eMastered", "CloudBounce"],
        ),
        ("Ozone/Neutron bundle", ["iZotope Ozone", "iZotope Neutron"]),
        ("Logic ProでMastering Assistantを使う", ["Logic Pro Mastering Assistant"]),
        ("我用LANDR做母带", ["LANDR"]),
        ("LANDR로 마스터링했어요", ["LANDR"]),
        ("eMasteredとLANDRを比べた", ["eMastered", "LANDR"]),
        ("Logic's Mastering Assistant is fine for demos.", ["Logic Pro Mastering Assistant"]),
        ("Logic Pro 11 has a Mastering Assistant now.", ["Logic Pro Mastering Assistant"]),
        ("Ozone's Master Assistant got close.", ["iZotope Ozone", "iZotope Ozone"]),
        ("I used landr.com for years.", ["LANDR"]),
        ("Neutron 4 unmasked the vocal.", ["iZotope Neutron"]),
        ("the DBA mastering chain sounded better than eMastered", ["eMastered"]),
    ],
)
def test_names_are_found_after_slashes_and_beside_other_scripts(
    text: str, expected: list[str]
) -> None:
    assert _tools(text) == expected


@pytest.mark.parametrize(
    ("text", "tool"),
    [
        ("The Ozone hole over Antarctica is shrinking.", "iZotope Ozone"),
        ("ground-level ozone is a pollutant", "iZotope Ozone"),
        ("Jimmy Neutron was my favourite cartoon.", "iZotope Neutron"),
        ("For sale: DBA Mini eMastered, low mileage.", "eMastered"),
        ("module.exports in landr.conf.js sets the theme", "LANDR"),
        ("Neutron music player has the best equalizer app on Android.", "iZotope Neutron"),
        ("The Dungeon Master Assistant rolls initiative for you.", "iZotope Ozone"),
        ("oXygen's Master Assistant fills in the XML template.", "iZotope Ozone"),
        ("LANDR is an AI mastering assistant for the browser.", "Logic Pro Mastering Assistant"),
        (
            "Try an online mastering assistant before paying anyone.",
            "Logic Pro Mastering Assistant",
        ),
    ],
)
def test_same_named_things_are_not_the_tool(text: str, tool: str) -> None:
    assert tool not in _tools(text)
