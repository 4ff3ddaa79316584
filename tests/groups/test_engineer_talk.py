"""How engineers describe themselves (hand-written SYNTHETIC sentences modelled on the
phrasings issue 17 found missed in real forum text): found, with the span, first person only."""

from __future__ import annotations

import pytest

from earwitness.groups import find_group_evidence, rule_assignment

FOUND = [
    # (text, quote of the deciding evidence, group)
    ("I have a lot of clients who ask for LANDR.", "I have a lot of clients", "professional"),
    ("My rates are lower than LANDR now.", "My rates", "professional"),
    ("My credits include two albums for indie labels.", "My credits", "professional"),
    (
        "I've mixed three records for Sub Pop artists.",
        "I've mixed three records for",
        "professional",
    ),
    ("I own a small mastering studio in Leeds.", "I own a small mastering studio", "professional"),
    ("I run my own studio, so no.", "I run my own studio", "professional"),
    ("As a record producer, I hate it.", "As a record producer", "professional"),
    ("Being an audio engineer, I think LANDR is meh.", "Being an audio engineer", "professional"),
    ("I do contract mixing for a few labels.", "I do contract mixing", "professional"),
    ("I'm a mastering engineer and Ozone is a tool.", "I'm a mastering engineer", "professional"),
    ("Mixing pays my bills.", "Mixing pays my bills", "professional"),
    ("I make a living from mastering.", "I make a living from", "professional"),
    ("I master for a living.", "I master for a living", "professional"),
    ("I am semi-pro.", "I am semi-pro", "pro-am"),
    ("I have a few clients, mostly friends.", "I have a few clients", "pro-am"),
    ("Hobbyist here, LANDR is fine.", "Hobbyist", "amateur"),
    ("I'm a bedroom producer.", "I'm a bedroom producer", "amateur"),
    ("I'm just starting out with mixing.", "I'm just starting out", "amateur"),
    ("I'm an aspiring mastering engineer.", "I'm an aspiring mastering engineer", "amateur"),
]

NOT_THE_AUTHOR = [
    "He is a Grammy-winning engineer.",
    "They feature themselves as a tool designed by Grammy-winning engineers.",
    "Being an audio engineer is hard.",
    "My friend is a mastering engineer.",
    "You need clients before you need Ozone.",
    "His rates are high.",
    "The engineer's credits include Adele.",
    "Hire a record producer.",
    "I own a home studio.",
    "Our mastering engineer uses Ozone.",
]


@pytest.mark.parametrize(("text", "quote", "group"), FOUND)
def test_engineers_self_descriptions_give_their_group(text: str, quote: str, group: str) -> None:
    evidence = find_group_evidence(text)
    assert quote in [e.quote for e in evidence], evidence
    for item in evidence:
        assert item.start is not None and text[item.start : item.end] == item.quote
    assigned, _, method, votes = rule_assignment(evidence)
    assert assigned == group, (method, votes)


@pytest.mark.parametrize("text", NOT_THE_AUTHOR)
def test_others_and_generic_roles_are_not_the_author(text: str) -> None:
    assert rule_assignment(find_group_evidence(text))[0] == "unknown"


def test_validation_reports_per_group_recall_precision_and_alpha_over_assigned(study) -> None:
    from earwitness.groups import override_group, validate_group_rules
    from tests.groups.test_assign import _author

    with study.open_store() as store:
        # four authors people labelled: the rules find two, miss one, get one wrong
        _author(store, "p_a", [("I master for a living", "paid")])
        _author(store, "p_b", [("hobbyist", "self")])
        _author(store, "p_c", [])
        _author(store, "p_d", [("semi-pro", "self")])
        for name, group in [
            ("p_a", "professional"),
            ("p_b", "amateur"),
            ("p_c", "professional"),
            ("p_d", "professional"),
        ]:
            override_group(store, name, group)
        rows = {row["group"]: row for row in validate_group_rules(store)}
    pro = rows["professional"]
    assert (pro["manual"], pro["by_rules"], pro["agree"]) == (3, 1, 1)
    assert pro["recall"] == round(1 / 3, 4) and pro["precision"] == 1.0
    assert rows["pro-am"]["precision"] == 0.0 and rows["pro-am"]["recall"] is None
    assert rows["amateur"]["recall"] == rows["amateur"]["precision"] == 1.0
    everything = rows["all"]
    assert everything["rule_unknown"] == 1 and everything["by_rules"] == 3
    assert everything["recall"] == 0.5 and everything["precision"] == round(2 / 3, 4)
    assert everything["alpha_assigned"] is not None
    assert everything["alpha_assigned"] != everything["alpha"]


def test_evidence_suggestions_and_voting_rules_mean_the_same() -> None:
    """Evidence tables and voting rules are two tables of one vocabulary: the rules alone
    (without the collector's vote) never put evidence into another group than the one it
    suggests, and they read most suggestions themselves."""
    from earwitness.groups import Evidence
    from tests.groups.test_evidence import POSITIVE

    texts = [p[0] for p in POSITIVE] + [f[0] for f in FOUND]
    checked = agreed = 0
    for text in texts:
        for item in find_group_evidence(text):
            if item.suggested_group is None:
                continue
            bare = Evidence(item.kind, item.quote, item.start, item.end, None)
            assigned = rule_assignment([bare])[0]
            assert assigned in (item.suggested_group, "unknown"), item
            checked += 1
            agreed += assigned == item.suggested_group
    assert checked >= 25
    assert agreed >= checked // 2
