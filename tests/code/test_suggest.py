"""Deductive suggestions on labelled SYNTHETIC posts, with the real packaged MiniLM model."""

from __future__ import annotations

import json

import numpy as np
import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from sklearn.base import clone

from earwitness.cli import cli
from earwitness.code.assist._embeddings import Embedder
from earwitness.code.assist._suggest import (
    CodeClassifier,
    accept_suggestion,
    pending_suggestions,
    reject_suggestion,
    suggest,
)
from earwitness.errors import EarwitnessError
from earwitness.store import Store
from earwitness.store.schema import codings
from earwitness.study import Study
from tests.code import assist_synth as synth


def _codings(store: Store, **where: object) -> list[sa.Row]:
    with store.connect() as connection:
        query = sa.select(codings).where(*(codings.c[k] == v for k, v in where.items()))
        return list(connection.execute(query))


@pytest.fixture
def corpus(study: Study) -> tuple[Study, list[synth.SynthPost], list[int], dict[str, int]]:
    items = list(synth.posts(120, seed=3))
    with study.open_store() as store:
        code_ids = synth.add_codebook(store)
        segment_ids = synth.add_posts(store, items)
    return study, items, segment_ids, code_ids


def _top_code_accuracy(store: Store, items, segment_ids, code_ids) -> float:
    by_segment: dict[int, tuple[float, int]] = {}
    for row in _codings(store, origin="model"):
        if row.score > by_segment.get(row.segment_id, (-1.0, 0))[0]:
            by_segment[row.segment_id] = (row.score, row.code_id)
    truth = {sid: code_ids[post.theme] for post, sid in zip(items, segment_ids, strict=True)}
    hits = [by_segment[sid][1] == truth[sid] for sid in by_segment]
    return sum(hits) / len(hits)


@pytest.mark.slow
def test_similarity_suggestions_are_proposals_not_codings(corpus) -> None:
    study, items, segment_ids, code_ids = corpus
    with study.open_store() as store:
        report = suggest(store, Embedder.for_study(study, store), threshold=0.3)
        assert report.segments == 120
        assert {row["signal"] for row in report.codes} == {"similarity"}
        model = _codings(store, origin="model")
        assert model, "expected proposals"
        assert {row.status for row in model} == {"proposed"}
        assert all(row.coder_id is None for row in model)
        assert all(0.3 <= row.score <= 1.0 for row in model)
        assert all(row.model_id.endswith("+cosine") for row in model)
        assert all("nearest example" in row.rationale for row in model)
        assert _codings(store, origin="human") == []
        # the definitions and two example quotes alone point most posts to their theme
        assert _top_code_accuracy(store, items, segment_ids, code_ids) > 0.6


@pytest.mark.slow
def test_a_classifier_takes_over_once_humans_have_coded_enough(corpus) -> None:
    study, items, segment_ids, code_ids = corpus
    with study.open_store() as store:
        synth.code_by_human(store, items[:60], segment_ids[:60], code_ids, "ana")
        report = suggest(store, Embedder.for_study(study, store))
        assert {row["signal"] for row in report.codes} == {"classifier"}
        model = _codings(store, origin="model")
        assert all(row.model_id.endswith("+logreg-platt") for row in model)
        assert all("calibrated classifier trained on" in row.rationale for row in model)
        coded = set(segment_ids[:60])
        assert not [row for row in model if row.segment_id in coded]
        truth = {sid: code_ids[p.theme] for p, sid in zip(items, segment_ids, strict=True)}
        correct = [row.code_id == truth[row.segment_id] for row in model]
        assert sum(correct) / len(correct) > 0.85
        recalled = {row.segment_id for row in model if row.code_id == truth[row.segment_id]}
        assert len(recalled) / 60 > 0.8


@pytest.mark.slow
def test_rerunning_updates_in_place_and_withdraws_what_falls_below(corpus) -> None:
    study, items, *_ = corpus
    distinct = len({post.text for post in items})
    with study.open_store() as store:
        embedder = Embedder.for_study(study, store)
        first = suggest(store, embedder, threshold=0.3)
        assert first.embedded == distinct < 120
        before = {(r.segment_id, r.code_id): r.id for r in _codings(store, origin="model")}
        again = suggest(store, embedder, threshold=0.3)
        assert (again.embedded, again.cached) == (0, distinct)
        after = {(r.segment_id, r.code_id): r.id for r in _codings(store, origin="model")}
        assert after == before
        suggest(store, embedder, threshold=0.5)
        stricter = _codings(store, origin="model")
        assert len(stricter) < len(before)
        assert all(row.score >= 0.5 for row in stricter)


@pytest.mark.slow
def test_accepting_creates_a_human_coding_and_rejecting_is_remembered(corpus) -> None:
    study, *_ = corpus
    with study.open_store() as store:
        embedder = Embedder.for_study(study, store)
        suggest(store, embedder, threshold=0.3)
        pending = pending_suggestions(store)
        assert [p.score for p in pending] == sorted((p.score for p in pending), reverse=True)
        first, second = pending[0], pending[1]
        human_id = accept_suggestion(store, first.id, "ana")
        reject_suggestion(store, second.id, "ben")

        (human,) = _codings(store, origin="human")
        assert human.id == human_id
        assert (human.code_id, human.segment_id) == (first.code_id, first.segment_id)
        assert (human.start, human.end, human.status) == (first.start, first.end, "applied")
        assert "accepted model suggestion" in human.memo
        statuses = {r.id: r.status for r in _codings(store, origin="model")}
        assert statuses[first.id] == "accepted"
        assert statuses[second.id] == "rejected"
        with pytest.raises(EarwitnessError, match="already accepted"):
            accept_suggestion(store, first.id, "ana")
        with pytest.raises(EarwitnessError, match="no model suggestion"):
            reject_suggestion(store, human_id, "ana")

        suggest(store, embedder, threshold=0.3)
        rows = _codings(store, origin="model")
        pairs = [(r.segment_id, r.code_id) for r in rows]
        assert len(pairs) == len(set(pairs)), "nothing proposed twice"
        kept = {r.id: r.status for r in rows}
        assert kept[first.id] == "accepted" and kept[second.id] == "rejected"
        assert second.id not in {p.id for p in pending_suggestions(store)}


def test_code_classifier_follows_scikit_learn_conventions() -> None:
    rng = np.random.default_rng(0)
    X = np.vstack([rng.normal(0, 1, (30, 5)), rng.normal(2, 1, (30, 5))])
    y = np.array([0] * 30 + [1] * 30)
    model = CodeClassifier(C=0.5)
    assert model.get_params()["C"] == 0.5
    assert not hasattr(model, "model_")
    assert model.fit(X, y) is model
    assert list(model.classes_) == [0, 1] and model.n_train_ == 60
    proba = model.predict_proba(X)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert (model.predict(X) == y).mean() > 0.9
    assert clone(model).get_params() == model.get_params()
    with pytest.raises(ValueError, match="two examples of each class"):
        CodeClassifier().fit(X[:31], y[:31])


def test_unknown_codes_and_empty_codebooks_are_clear_errors(study: Study) -> None:
    with study.open_store() as store:
        with pytest.raises(EarwitnessError, match="no codable codes"):
            suggest(store, Embedder.for_study(study, store))
        synth.add_codebook(store)
        with pytest.raises(EarwitnessError, match="no codable code named 'nope'"):
            suggest(store, Embedder.for_study(study, store), code_names=["nope"])


@pytest.mark.slow
def test_cli_suggest_and_review_read_answers_from_stdin(corpus) -> None:
    study, items, *_ = corpus
    hostile = "[bold red]LANDR[/bold red] \x1b[31mmade my master sound harsh and squashed\x1b[0m"
    with study.open_store() as store:
        synth.add_posts(
            store,
            [
                synth.SynthPost(
                    hostile,
                    "perceived quality",
                    "negative",
                    "LANDR",
                    "synthetic_author_1",
                    "amateur",
                    items[0].authored_at,
                )
            ],
            prefix="hostile",
        )
    runner = CliRunner()
    base = ["--study", str(study.root), "code"]
    result = runner.invoke(cli, [*base, "suggest", "--threshold", "0.2", "--json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output[result.output.index("[") :])
    assert {row["code"] for row in rows} == set(synth.THEMES)

    with study.open_store() as store:
        pending = pending_suggestions(store)
    assert hostile in {p.text for p in pending}
    result = runner.invoke(
        cli, [*base, "review", "--coder", "ana", "--limit", "3"], input="a\nr\nq\n"
    )
    assert result.exit_code == 0, result.output
    assert "accepted 1, rejected 1, skipped 0, not reviewed 1" in result.output
    with study.open_store() as store:
        assert len(_codings(store, origin="human")) == 1
        assert len(_codings(store, status="rejected")) == 1

    result = runner.invoke(
        cli, [*base, "review", "--coder", "ana", "--codes", "perceived quality"], input="s\n" * 200
    )
    assert result.exit_code == 0
    assert "\x1b[31m" not in result.output
    assert "[bold red]LANDR[/bold red]" in result.output


@pytest.mark.postgres
def test_suggest_and_accept_on_both_backends(any_study: Study) -> None:
    items = list(synth.posts(40, seed=5))
    with any_study.open_store() as store:
        synth.add_codebook(store)
        synth.add_posts(store, items)
        suggest(store, Embedder.for_study(any_study, store), threshold=0.3)
        pending = pending_suggestions(store, limit=1)
        accept_suggestion(store, pending[0].id, "ana")
        assert len(_codings(store, origin="human")) == 1


def test_the_public_api_loads_machine_assistance_on_first_use() -> None:
    import subprocess
    import sys

    code = (
        "import sys, earwitness.code as c\n"
        "assert 'sklearn' not in sys.modules\n"
        "from earwitness.code import suggest, accept_suggestion, evaluate_suggestions\n"
        "assert suggest.__module__ == 'earwitness.code.assist._suggest'\n"
        "assert evaluate_suggestions.__module__ == 'earwitness.code.assist._evaluate'\n"
        "assert all(hasattr(c, name) for name in c.__all__)\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
