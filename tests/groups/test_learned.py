"""The learned user-group model: fitting, abstaining, assigning, sampling, validating.

The model is fitted on the dev split of ``data/groups-eval.csv`` (REAL public passages,
each with its source URL there); the third-person and persona sentences are hand-written,
modelled on the ones issue 22 lists.
"""

from __future__ import annotations

import csv
import json
from collections import defaultdict
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from earwitness.cli import cli
from earwitness.errors import BadInputError
from earwitness.groups import (
    METHOD,
    UNKNOWN,
    AuthorEvidence,
    GroupModel,
    assign_groups,
    author_evidence,
    evidence_rows,
    override_group,
    sample_authors,
    self_sentences,
    validate_group_rules,
)
from earwitness.store import DocumentRecord, Store, ensure_participant, upsert_document
from earwitness.store.schema import group_evidence, participants
from earwitness.study import Study

DATA = Path(__file__).resolve().parents[2] / "data" / "groups-eval.csv"

NOT_ABOUT_THE_WRITER = [
    "He is a Grammy-winning mastering engineer with platinum records.",
    "My friend is a professional mixing engineer and she has lots of clients.",
    "Act as a professional mastering engineer. I want you to review my mix.",
    "Let's say I'm a mastering engineer with 20 years in the industry.",
]


def _dev() -> tuple[list[str], list[list[str]], list[str]]:
    texts: dict[str, list[str]] = defaultdict(list)
    labels: dict[str, str] = {}
    with DATA.open(newline="") as handle:
        for row in csv.DictReader(handle):
            if row["split"] == "dev":
                texts[row["author"]].append(row["text"])
                labels[row["author"]] = row["group"]
    names = sorted(texts)
    return names, [texts[a] for a in names], [labels[a] for a in names]


@pytest.fixture(scope="module")
def fitted() -> tuple[GroupModel, list[AuthorEvidence], list[str]]:
    _, texts, labels = _dev()
    authors = [author_evidence(t) for t in texts]
    return GroupModel().fit(authors, labels), authors, labels


def test_the_model_fits_by_sklearn_conventions(fitted) -> None:  # type: ignore[no-untyped-def]
    model, authors, labels = fitted
    assert set(model.classes_) == set(labels) and model.words_ is not None
    assert all(hasattr(model, a) for a in ("rules_", "classifier_", "classes_"))
    unfitted = GroupModel(threshold=0.3, C=2.0)
    assert not hasattr(unfitted, "classifier_") and unfitted.C == 2.0
    assert unfitted.fit(authors, labels) is unfitted
    # on its own training authors, with no abstention, it does better than the majority
    eager = GroupModel(threshold=0.0).fit(authors, labels)
    agree = sum(h == m for h, m in zip(labels, eager.predict(authors), strict=True))
    assert agree / len(labels) > max(labels.count(g) for g in set(labels)) / len(labels)


def test_it_abstains_below_its_threshold(fitted) -> None:  # type: ignore[no-untyped-def]
    _, authors, labels = fitted
    eager = GroupModel(threshold=0.0).fit(authors, labels)
    # the same fit (same seed) with a threshold above its most confident answer abstains
    # on everyone; one in the middle keeps exactly the answers at or above it
    top = eager.predict_proba(authors).max(axis=1)
    wary = GroupModel(threshold=float(top.max()) + 1e-9).fit(authors, labels)
    assert set(wary.predict(authors)) == {UNKNOWN}
    assert all(c is None for _, c in wary.decide(authors))
    middle = float(sorted(top)[len(top) // 2])
    for (group, confidence), p in zip(
        GroupModel(threshold=middle).fit(authors, labels).decide(authors), top, strict=True
    ):
        assert group == UNKNOWN or (confidence is not None and p >= middle)
        if p < middle:
            assert group == UNKNOWN
    decided = eager.decide(authors)
    assert any(g != UNKNOWN for g, _ in decided)
    assert all(c is not None and 0 < c <= 1 for g, c in decided if g != UNKNOWN)
    margins = eager.margins(authors)
    assert len(margins) == len(authors) and all(0 <= m <= 1 for m in margins)


@pytest.mark.parametrize("text", NOT_ABOUT_THE_WRITER)
def test_third_person_and_persona_never_assign_the_author(fitted, text: str) -> None:  # type: ignore[no-untyped-def]
    _, authors, labels = fitted
    eager = GroupModel(threshold=0.0).fit(authors, labels)
    author = author_evidence([text])
    assert author.empty and self_sentences(text) == []
    assert eager.decide([author]) == [(UNKNOWN, None)]


def test_self_sentences_keep_the_writers_own() -> None:
    text = "I'm a hobby producer. He mixes for a living. My day job pays the bills."
    assert self_sentences(text) == ["I'm a hobby producer.", "My day job pays the bills."]


def test_fit_needs_two_groups() -> None:
    with pytest.raises(BadInputError, match="two groups"):
        GroupModel().fit([author_evidence(["I'm a hobbyist."])], ["amateur"])


def _add(store: Store, name: str, text: str) -> None:
    with store.transaction() as connection:
        participant = ensure_participant(connection, name)
        document_id, _ = upsert_document(
            connection, DocumentRecord("synthetic", f"doc-{name}", text, participant_id=participant)
        )
        rows = evidence_rows(participant, document_id, text)
        if rows:
            connection.execute(group_evidence.insert(), rows)


def _study_with_labels(store: Store, labelled: int) -> list[tuple[str, str]]:
    _, texts, labels = _dev()
    pairs = zip(texts, labels, strict=True)
    people = [(f"p{i:03d}", " ".join(t), g) for i, (t, g) in enumerate(pairs)]
    for name, text, _ in people:
        _add(store, name, text)
    _add(store, "p_persona", " ".join(NOT_ABOUT_THE_WRITER))
    for name, _, group in people[:labelled]:
        override_group(store, name, group, note="test")
    return [(n, g) for n, _, g in people]


def test_assign_auto_learned_keeps_manual_and_records_the_method(study: Study) -> None:
    with study.open_store() as store:
        people = _study_with_labels(store, 45)
        counts = assign_groups(store, method="auto")
        assert counts["manual (kept)"] == 45
        with store.connect() as connection:
            rows = {r.pseudonym: r for r in connection.execute(sa.select(participants)).all()}
        for name, group in people[:45]:
            assert (rows[name].user_group, rows[name].group_method) == (group, "manual")
        machine = [rows[name] for name, _ in people[45:]] + [rows["p_persona"]]
        assert {r.group_method for r in machine} == {METHOD}
        assert rows["p_persona"].user_group == UNKNOWN
        assert all((r.user_group == UNKNOWN) == (r.group_confidence is None) for r in machine)
        # back to the rules: the model's groups are the machine's, so the rules replace them
        assign_groups(store, method="rules")
        with store.connect() as connection:
            methods = set(
                connection.scalars(
                    sa.select(participants.c.group_method).where(
                        participants.c.group_method != "manual"
                    )
                )
            )
        assert all(m.startswith("rule:") for m in methods)


def test_auto_is_rules_with_few_labels_and_learned_then_refuses(study: Study) -> None:
    with study.open_store() as store:
        _study_with_labels(store, 5)
        assign_groups(store, method="auto")
        with store.connect() as connection:
            methods = set(connection.scalars(sa.select(participants.c.group_method)))
        assert METHOD not in methods
        with pytest.raises(BadInputError, match="at least 20 authors"):
            assign_groups(store, method="learned")


def test_sampling_strategies(study: Study) -> None:
    with study.open_store() as store:
        _study_with_labels(store, 5)
        few = sample_authors(store, 4, strategy="uncertainty")
        assert len(few) == 4 and {r["basis"] for r in few} == {"stratified (fewer than 20 labels)"}
        stratified = sample_authors(store, 6, strategy="stratified", seed=1)
        groups = [r["predicted"] for r in stratified]
        # round-robin: every group with candidates is drawn before any group is drawn twice
        present = set(groups)
        assert len(set(groups[: len(present)])) == len(present)
        assert sample_authors(store, 6, strategy="stratified", seed=1) == stratified
        labelled = {r.pseudonym for r in _manual(store)}
        assert not labelled & {r["pseudonym"] for r in stratified}
        for name, group in [(n, g) for n, g in _study_names(store)][5:40]:
            override_group(store, name, group)
        unsure = sample_authors(store, 3, strategy="uncertainty")
        assert [r["basis"] for r in unsure] == [f"uncertainty ({METHOD})"] * 3
        assert [r["margin"] for r in unsure] == sorted(r["margin"] for r in unsure)
        with pytest.raises(BadInputError, match="strategy must be one of"):
            sample_authors(store, 3, strategy="random")


def _manual(store: Store) -> list[sa.Row]:
    with store.connect() as connection:
        return connection.execute(
            sa.select(participants).where(participants.c.group_method == "manual")
        ).all()


def _study_names(store: Store) -> list[tuple[str, str]]:
    _, _, labels = _dev()
    return [(f"p{i:03d}", g) for i, g in enumerate(labels)]


def test_validate_learned_cross_validates_by_author(study: Study) -> None:
    with study.open_store() as store:
        _study_with_labels(store, 45)
        rows = {row["group"]: row for row in validate_group_rules(store, method="learned")}
        rules = {row["group"]: row for row in validate_group_rules(store, method="rules")}
    assert rows.keys() == rules.keys() and rows["all"].keys() == rules["all"].keys()
    assert rows["all"]["manual"] == 45
    assert rows["all"]["by_rules"] + rows["all"]["rule_unknown"] == 45


def test_cli_assign_sample_validate_learned(study: Study) -> None:
    with study.open_store() as store:
        _study_with_labels(store, 45)
    runner = CliRunner()
    base = ["--study", str(study.root), "groups"]
    result = runner.invoke(cli, [*base, "assign", "--method", "auto", "--json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert {r["method"] for r in rows} == {METHOD}
    assert {r["group"]: r["authors"] for r in rows}["manual (kept)"] == 45
    result = runner.invoke(cli, [*base, "sample", "2", "--strategy", "uncertainty", "--csv"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("pseudonym,predicted,margin,basis,evidence")
    result = runner.invoke(cli, [*base, "validate", "--method", "learned", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)[-1]["group"] == "all"
    result = runner.invoke(cli, [*base, "sample", "0"])
    assert result.exit_code != 0


def test_group_provenance_judges_the_method_that_assigned_the_groups(study: Study) -> None:
    from earwitness.code.assist._stance import _group_provenance

    with study.open_store() as store:
        _study_with_labels(store, 45)
        assign_groups(store, method="rules")
        by_rules = _group_provenance(store)["validation"]
        assert by_rules == validate_group_rules(store, method="rules")[-1]
        assign_groups(store, method="learned")
        by_model = _group_provenance(store)["validation"]
        assert by_model == validate_group_rules(store, method="learned")[-1]
        assert by_model["manual"] == 45
