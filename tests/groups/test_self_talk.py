"""Wider self-descriptions (issue 22): livelihood, career, second income, part time,
students, hobby, side income, releases, clients, "As a mastering engineer if I ...";
precision: third person, personas and suppositions never assign the author, and a tiny
discography is not a professional's. Hand-written SYNTHETIC sentences modelled on the
issue's examples; the evidence of an author is weighed over all their posts."""

from __future__ import annotations

import pytest

from earwitness.groups import assign_groups, find_group_evidence, rule_assignment
from earwitness.store import DocumentRecord, Store, ensure_participant, upsert_document
from earwitness.store.schema import group_evidence
from earwitness.store.schema import participants as participants_table

FOUND = [
    ("I make my living mixing records for local bands.", "professional"),
    ("I make my living as a mastering engineer.", "professional"),
    ("I've had a fairly successful career as a mastering engineer.", "professional"),
    ("Mixing is my second income, the day job pays the rent.", "pro-am"),
    ("I'm a part time musician.", "pro-am"),
    ("I'm a part-time musician.", "pro-am"),
    ("I'm a student at a music college.", "amateur"),
    ("I'm an audio engineering student, so cheap tools matter.", "amateur"),
    ("I'm studying music production in Leeds.", "amateur"),
    ("I only do this as a hobby.", "amateur"),
    ("Mixing is a hobby for me.", "amateur"),
    ("It brings me a small side income.", "pro-am"),
    ("I've released two EPs on small indie labels.", "pro-am"),
    ("I have plenty of clients who want it loud.", "professional"),
    (
        "As a mastering engineer if I am given a good mix there's little to do.",
        "professional",
    ),
    ("As a mastering engineer, a crucial part of my job is listening.", "professional"),
    ("After 15+ years of working as a professional mastering engineer, I know.", "professional"),
]

NOT_THE_AUTHOR = [
    "He makes his living mixing records.",
    "She had a fairly successful career as a mastering engineer.",
    "Let's say I'm a mastering engineer and a client sends me a mix.",
    "Imagine I'm a professional mastering engineer with ten clients.",
    "If I were a mastering engineer I would hate LANDR.",
    "Act as a mastering engineer. I will paste my mix.",
    "My students use LANDR.",
    "I'm teaching a student to mix.",
    "You are a professional mastering engineer.",
    "His second income comes from mixing.",
    "I hope to have a career as a mastering engineer one day.",
    "As a mastering engineer, a big part of his job is listening.",
    "After 15 years of working as a mastering engineer, he retired.",
]


def _group(text: str) -> str:
    return rule_assignment(find_group_evidence(text))[0]


@pytest.mark.parametrize(("text", "group"), FOUND)
def test_wider_self_descriptions_give_the_group(text: str, group: str) -> None:
    assert _group(text) == group, find_group_evidence(text)


@pytest.mark.parametrize("text", NOT_THE_AUTHOR)
def test_third_person_personas_and_suppositions_assign_nothing(text: str) -> None:
    assert _group(text) == "unknown", find_group_evidence(text)


def test_a_tiny_discography_is_not_a_professional() -> None:
    assert _group("my discography is tiny, so take this with salt") == "unknown"
    assert _group("My credits are minimal.") == "unknown"
    assert _group("My credits include two albums for indie labels.") == "professional"


def test_evidence_is_weighed_over_all_of_an_authors_posts(store: Store) -> None:
    posts = [
        "I do some paid mixing on the side.",  # pro-am on its own
        "Honestly LANDR is fine for demos.",  # nothing about the writer
        "I make my living as a mastering engineer these days.",  # professional
        "I have plenty of clients who ask for it.",  # professional
    ]
    with store.transaction() as connection:
        author = ensure_participant(connection, "p_one")
        for number, text in enumerate(posts):
            record = DocumentRecord(
                platform="t", native_id=f"n{number}", text=text, participant_id=author
            )
            document, _ = upsert_document(connection, record)
            rows = [
                {
                    "participant_id": author,
                    "document_id": document,
                    "start": e.start,
                    "end": e.end,
                    "quote": e.quote,
                    "kind": e.kind,
                    "suggested_group": e.suggested_group,
                }
                for e in find_group_evidence(text)
            ]
            if rows:
                connection.execute(group_evidence.insert(), rows)
    assign_groups(store)
    with store.connect() as connection:
        row = connection.execute(participants_table.select()).one()
    assert row.user_group == "professional"
    documents = {v["document_id"] for v in row.extra["group_evidence"]}
    assert len(documents) == 3, "votes come from three of the author's four posts"
