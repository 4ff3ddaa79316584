"""User groups of authors from self-description evidence (hand-written SYNTHETIC quotes)."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from earwitness.cli import cli
from earwitness.errors import EarwitnessError
from earwitness.groups import (
    Evidence,
    assign_groups,
    group_coverage,
    nominal_alpha,
    override_group,
    rule_assignment,
    validate_group_rules,
)
from earwitness.store import DocumentRecord, Store, ensure_participant, upsert_document
from earwitness.store.schema import group_evidence, participants, segments
from earwitness.study import Study


def _evidence(quote: str, kind: str = "self", suggested: str | None = None) -> Evidence:
    return Evidence(kind, quote, 0, len(quote), suggested, id=1, participant_id=1)


@pytest.mark.parametrize(
    ("quote", "kind", "group", "method"),
    [
        ("I master for a living, 15 years now", "self", "professional", "rule:for-a-living"),
        ("Mastering Engineer", "flair", "professional", "rule:flair-professional"),
        ("mostly a hobbyist, I do this for fun", "self", "amateur", "rule:hobbyist"),
        ("I get some paid gigs on the side", "paid", "pro-am", "rule:semi-pro"),
        ("two years of experience producing", "experience", "amateur", "rule:novice-years"),
        ("I like pizza", "self", "unknown", "rule:none"),
        ("I'm not a professional mixing engineer", "self", "amateur", "rule:hobbyist"),
    ],
)
def test_rules_read_self_descriptions(quote: str, kind: str, group: str, method: str) -> None:
    assigned, confidence, how, votes = rule_assignment([_evidence(quote, kind)])
    assert (assigned, how) == (group, method)
    if group == "unknown":
        assert confidence is None and votes == []
    else:
        assert confidence == 1.0
        assert all(quote[v["match_start"] : v["match_end"]] == v["match"] for v in votes)


def test_flair_rule_reads_only_flair() -> None:
    # a self-description naming the occupation votes by the occupation rule, not the flair rule
    assert rule_assignment([_evidence("Mastering Engineer", "self")])[2] == "rule:occupation"
    assert rule_assignment([_evidence("Professional", "self")])[0] == "unknown"


def test_conflicting_evidence_weighs_and_ties_stay_unknown() -> None:
    group, confidence, method, votes = rule_assignment(
        [_evidence("I master for a living"), _evidence("just a hobbyist though")]
    )
    assert (group, method) == ("professional", "rule:for-a-living")
    assert confidence == pytest.approx(3 / 5)
    assert {v["group"] for v in votes} == {"professional", "amateur"}
    tie = rule_assignment([_evidence("semi-pro"), _evidence("hobbyist")])
    assert tie[:3] == ("unknown", None, "rule:conflict")


def test_the_collectors_suggestion_is_one_weak_vote() -> None:
    group, _, method, _ = rule_assignment([_evidence("see flair", "flair", suggested="pro-am")])
    assert (group, method) == ("pro-am", "rule:collector")


def _author(store: Store, name: str, quotes: list[tuple[str, str]], n_segments: int = 2) -> int:
    with store.transaction() as connection:
        participant = ensure_participant(connection, name)
        text = " ".join(q for q, _ in quotes) or "no self-description here"
        document_id, _ = upsert_document(
            connection,
            DocumentRecord("synthetic", f"doc-{name}", text, participant_id=participant),
        )
        for i in range(n_segments):
            connection.execute(
                segments.insert().values(
                    document_id=document_id, start=i, end=i + 1, kind="sentence"
                )
            )
        offset = 0
        for quote, kind in quotes:
            connection.execute(
                group_evidence.insert().values(
                    participant_id=participant,
                    document_id=document_id,
                    start=offset,
                    end=offset + len(quote),
                    quote=quote,
                    kind=kind,
                )
            )
            offset += len(quote) + 1
    return participant


def _participant(store: Store, name: str) -> sa.Row:
    with store.connect() as connection:
        return connection.execute(
            sa.select(participants).where(participants.c.pseudonym == name)
        ).one()


def test_assign_store_override_and_coverage(any_study: Study) -> None:
    with any_study.open_store() as store:
        _author(store, "p_pro", [("I mix for a living", "self"), ("Pro Engineer", "flair")], 3)
        _author(store, "p_amateur", [("bedroom producer", "self")], 2)
        _author(store, "p_silent", [], 5)
        assert assign_groups(store) == {"professional": 1, "amateur": 1, "unknown": 1}

        pro = _participant(store, "p_pro")
        assert (pro.user_group, pro.group_method) == ("professional", "rule:for-a-living")
        assert pro.group_confidence == 1.0
        spans = pro.extra["group_evidence"]
        assert {v["rule"] for v in spans} == {"for-a-living", "flair-professional"}
        assert all(v["evidence_start"] is not None and v["document_id"] for v in spans)

        override_group(store, "p_amateur", "pro-am", note="says so in a later interview")
        assign_groups(store)
        manual = _participant(store, "p_amateur")
        assert (manual.user_group, manual.group_method) == ("pro-am", "manual")
        assert manual.extra["group_override"]["note"] == "says so in a later interview"

        coverage = {row["group"]: row for row in group_coverage(store)}
        assert coverage["professional"]["authors"] == 1
        assert coverage["professional"]["segments"] == 3
        assert coverage["unknown"]["segments"] == 5
        assert coverage["with a group"]["authors"] == 2
        assert coverage["with a group"]["segments_share"] == pytest.approx(5 / 10)

        rows = {row["group"]: row for row in validate_group_rules(store)}
        assert rows["all"]["manual"] == 1 and rows["all"]["recall"] == 0.0
        assert rows["all"]["alpha"] == 0.0 and rows["all"]["rule_unknown"] == 0
        assert rows["pro-am"]["manual"] == 1 and rows["pro-am"]["recall"] == 0.0
        assert rows["amateur"]["by_rules"] == 1 and rows["amateur"]["precision"] == 0.0
        override_group(store, "p_amateur", None)
        assign_groups(store)
        assert _participant(store, "p_amateur").user_group == "amateur"


def test_bad_overrides_are_clear_errors(study: Study) -> None:
    with study.open_store() as store:
        with pytest.raises(EarwitnessError, match="no participant"):
            override_group(store, "p_nobody", "amateur")
        _author(store, "p_x", [])
        with pytest.raises(EarwitnessError, match="user group must be one of"):
            override_group(store, "p_x", "expert")
        with pytest.raises(EarwitnessError, match="no manually labelled authors"):
            validate_group_rules(store)


def test_cli_groups(study: Study) -> None:
    with study.open_store() as store:
        _author(store, "p_pro", [("my clients pay well", "paid")])
        _author(store, "p_two", [("hobbyist", "self")])
    runner = CliRunner()
    base = ["--study", str(study.root), "groups"]
    result = runner.invoke(cli, [*base, "assign", "--json"])
    assert result.exit_code == 0, result.output
    assert {r["group"]: r["authors"] for r in json.loads(result.stdout)} == {
        "amateur": 1,
        "professional": 1,
    }
    result = runner.invoke(cli, [*base, "override", "p_two", "amateur", "--note", "checked"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(cli, [*base, "validate", "--json"])
    rows = {row["group"]: row for row in json.loads(result.stdout)}
    assert "warning: group rules: only 1 units" in result.stderr
    assert rows["all"]["recall"] == 1.0 and rows["amateur"]["precision"] == 1.0
    result = runner.invoke(cli, [*base, "coverage", "--csv"])
    assert result.exit_code == 0 and result.output.startswith("group,authors")
    result = runner.invoke(cli, [*base, "override", "p_two"])
    assert result.exit_code != 0 and "give a GROUP, or --clear" in result.output


@pytest.mark.parametrize("seed", range(5))
def test_nominal_alpha_equals_the_general_alpha(seed: int) -> None:
    import random

    from earwitness.code import krippendorff_alpha

    rng = random.Random(seed)
    labels = ["amateur", "pro-am", "professional", "unknown"]
    first = [rng.choice(labels) for _ in range(25)]
    second = [v if rng.random() < 0.6 else rng.choice(labels) for v in first]
    assert nominal_alpha(first, second) == pytest.approx(krippendorff_alpha([first, second]))


def test_nominal_alpha_is_nan_without_variation() -> None:
    import math

    assert math.isnan(nominal_alpha(["amateur"] * 3, ["amateur"] * 3))
    assert nominal_alpha(["amateur", "pro-am"], ["amateur", "pro-am"]) == 1.0
