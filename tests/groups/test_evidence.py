"""Evidence of user group: first-person statements are found with their exact span."""

from __future__ import annotations

import pytest

from earwitness.groups import EVIDENCE_KINDS as KINDS
from earwitness.groups import GROUPS, Evidence, find_group_evidence

POSITIVE = [
    # (text, kind, quote, suggested group)
    (
        "I'm a professional mastering engineer.",
        "self",
        "I'm a professional mastering engineer",
        "professional",
    ),
    ("Honestly I am a pro mixer, and Ozone is fine.", "self", "I am a pro mixer", "professional"),
    ("Just a hobbyist, but the assistant works for me.", "self", "Just a hobbyist", "amateur"),
    ("Hobbyist here. LANDR is fine.", "self", "Hobbyist", "amateur"),
    (
        "Full-time mastering engineer here, and no.",
        "self",
        "Full-time mastering engineer",
        "professional",
    ),
    ("im just a bedroom producer lol", "self", "im just a bedroom producer", "amateur"),
    (
        "I’m a semi-pro mix engineer in a small town.",
        "self",
        "I’m a semi-pro mix engineer",
        "pro-am",
    ),
    ("I'm not a pro, just messing around.", "self", "I'm not a pro", "amateur"),
    ("I'm far from a professional.", "self", "I'm far from a professional", "amateur"),
    ("I'm 45 and a hobbyist.", "self", "I'm 45 and a hobbyist", "amateur"),
    (
        "As a professional mixing engineer, I hate it.",
        "self",
        "As a professional mixing engineer",
        "professional",
    ),
    ("as a beginner myself I liked eMastered", "self", "as a beginner", "amateur"),
    ("I'm a producer from Leeds.", "self", "I'm a producer", None),
    ("I'm working as a mix engineer in Berlin.", "self", "I'm working as a mix engineer", None),
    ("Honestly I'm just a hobbyist & it was on sale.", "self", "I'm just a hobbyist", "amateur"),
    ("I'm a hobbyist making beats on weekends.", "self", "I'm a hobbyist", "amateur"),
    ("I'm a working musician.", "self", "I'm a working musician", "professional"),
    ("Music is just a hobby for me.", "self", "Music is just a hobby", "amateur"),
    ("I make music for fun, nothing more.", "self", "I make music for fun", "amateur"),
    (
        "I've been mixing for 10 years and LANDR surprises me.",
        "experience",
        "I've been mixing for 10 years",
        None,
    ),
    ("I have been producing since 2004.", "experience", "I have been producing since 2004", None),
    (
        "I've been in the industry for over 20 years.",
        "experience",
        "I've been in the industry for over 20 years",
        None,
    ),
    (
        "I have 20 years of experience in mastering.",
        "experience",
        "I have 20 years of experience",
        None,
    ),
    ("I started mixing back in 1998.", "experience", "I started mixing back in 1998", None),
    (
        "After 15 years of mixing, I still use my ears.",
        "experience",
        "After 15 years of mixing",
        None,
    ),
    ("I just started producing last month.", "experience", "I just started producing", "amateur"),
    ("I'm pretty new to mixing.", "experience", "I'm pretty new to mixing", "amateur"),
    ("I master for a living.", "paid", "I master for a living", "professional"),
    (
        "I mix records for a living these days.",
        "paid",
        "I mix records for a living",
        "professional",
    ),
    ("Mastering is my day job.", "paid", "Mastering is my day job", "professional"),
    ("I do this professionally.", "paid", "I do this professionally", "professional"),
    ("I work in the audio industry.", "paid", "I work in the audio industry", "professional"),
    ("I run a small mastering studio.", "paid", "I run a small mastering studio", "professional"),
    ("I did some paid mixes last year.", "paid", "I did some paid mixes", "pro-am"),
    ("I do mixing on the side for local bands.", "paid", "I do mixing on the side", "pro-am"),
    ("I get paid to mix podcasts.", "paid", "I get paid to", None),
    ("I charge $50 a song.", "paid", "I charge $5", None),
    ("My mastering clients love it.", "paid", "My mastering clients", None),
    ("I don't get paid for this.", "paid", "I don't get paid", "amateur"),
]

NEGATIVE = [
    "My professional monitors are Genelecs.",
    "You should hire a professional mastering engineer.",
    "Professional engineers use it all the time.",
    "Amateur producers will love it.",
    "He has been mixing for 10 years.",
    "If you've been mixing for 10 years you know better.",
    "If it's just a hobby for you, use LANDR.",
    "I'm a Pro Tools user.",
    "I'm a pro at procrastinating.",
    "I'm using Ozone 11 on my pro monitors.",
    "Beginner question: what is LUFS?",
    "Pro tip: use a limiter.",
    "I'm a software engineer by day.",
    "I'm a professional software developer.",
    "I amplified the signal.",
    "What do you do for a living?",
    "I wish I could mix for a living.",
    "I'm sure a professional would hear it.",
    "The professional version of LANDR costs more.",
    "This is a hobbyist tool.",
    "I don't get paid enough for this.",
    "It is my job to tell you the truth.",
    "Your side hustle could be mixing.",
    "",
]


@pytest.mark.parametrize(("text", "kind", "quote", "group"), POSITIVE)
def test_finds_first_person_statements(text: str, kind: str, quote: str, group: str | None) -> None:
    found = find_group_evidence(text)
    matching = [e for e in found if e.kind == kind]
    assert matching, f"no {kind} evidence in {text!r}: {found}"
    assert matching[0].quote == quote
    assert matching[0].suggested_group == group


@pytest.mark.parametrize("text", NEGATIVE)
def test_ignores_statements_about_others_and_things(text: str) -> None:
    assert find_group_evidence(text) == []


@pytest.mark.parametrize(("text", "_kind", "_quote", "_group"), POSITIVE)
def test_quote_is_the_exact_span(text: str, _kind: str, _quote: str, _group: str) -> None:
    for evidence in find_group_evidence(text):
        assert text[evidence.start : evidence.end] == evidence.quote
        assert evidence.kind in KINDS
        assert evidence.suggested_group in (*GROUPS, None)


def test_offsets_count_code_points_not_bytes() -> None:
    text = "Ça va 🎛️ — I'm just a hobbyist."
    (evidence,) = find_group_evidence(text)
    assert text[evidence.start : evidence.end] == "I'm just a hobbyist"
    assert evidence.start == text.index("I'm")


def test_several_statements_in_one_post_each_found() -> None:
    text = (
        "I've been producing for 3 years. I'm a hobbyist, but I did some paid mixes "
        "for friends. My professional monitors help."
    )
    kinds = [(e.kind, e.suggested_group) for e in find_group_evidence(text)]
    assert kinds == [("experience", None), ("self", "amateur"), ("paid", "pro-am")]


def test_second_conjunct_is_read_when_the_first_is_not_about_audio() -> None:
    (evidence,) = find_group_evidence(
        "I'm a professional software developer and a hobbyist producer."
    )
    assert evidence.suggested_group == "amateur"
    assert evidence.quote.endswith("a hobbyist producer")


@pytest.mark.parametrize(
    ("flair", "group"),
    [
        ("Professional", "professional"),
        ("Hobbyist", "amateur"),
        ("Semi-Pro", "pro-am"),
        ("Mastering Engineer", None),
        ("20 years mixing", None),
        ("  Professional Live Sound  ", "professional"),
    ],
)
def test_flair_is_evidence_with_offsets_in_the_flair(flair: str, group: str | None) -> None:
    found = find_group_evidence("Nice track.", flair=flair)
    assert found == [
        Evidence("flair", flair.strip(), flair.index(flair.strip()), len(flair.rstrip()), group)
    ]


@pytest.mark.parametrize("flair", ["Lives for gear", "KVRist", "Pro Tools user", "Gear Maniac", ""])
def test_forum_ranks_and_products_in_flair_are_not_evidence(flair: str) -> None:
    assert find_group_evidence("Nice track.", flair=flair) == []


def test_text_and_flair_evidence_are_both_returned() -> None:
    found = find_group_evidence("I master for a living.", flair="Hobbyist")
    assert [e.kind for e in found] == ["paid", "flair"]
