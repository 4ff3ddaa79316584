"""Validation of suggestions against human coders, on labelled SYNTHETIC posts."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from earwitness.cli import cli
from earwitness.code.assist._embeddings import Embedder
from earwitness.code.assist._evaluate import _flag, binary_agreement, evaluate
from earwitness.code.reliability import krippendorff_alpha
from earwitness.errors import EarwitnessError
from earwitness.study import Study
from tests.code import assist_synth as synth

FLIP = 4  # ben disagrees with ana on every 4th post he codes


@pytest.fixture
def coded(study: Study):
    items = list(synth.posts(100, seed=11))
    with study.open_store() as store:
        code_ids = synth.add_codebook(store)
        segment_ids = synth.add_posts(store, items)
        synth.code_by_human(store, items, segment_ids, code_ids, "ana")
        synth.code_by_human(store, items[:50], segment_ids[:50], code_ids, "ben", flip_every=FLIP)
    return study, items


def _ben_theme(items, i: int) -> str:
    names = list(synth.THEMES)
    theme = items[i].theme
    return names[(names.index(theme) + 1) % len(names)] if i % FLIP == 0 else theme


@pytest.mark.slow
def test_evaluation_counts_and_human_alpha_match_the_coding(coded) -> None:
    study, items = coded
    with study.open_store() as store:
        results = evaluate(store, Embedder.for_study(study, store), folds=4)
    assert [r.code for r in results] == list(synth.THEMES)
    for result in results:
        ana = [int(p.theme == result.code) for p in items[:50]]
        ben = [int(_ben_theme(items, i) == result.code) for i in range(50)]
        assert result.n_human_segments == 50
        assert result.alpha_human_human == pytest.approx(krippendorff_alpha([ana, ben]), abs=1e-4)
        assert result.n_model_pairs == 150
        assert result.n_human_positive == sum(p.theme == result.code for p in items) + sum(ben)
        assert result.signal == "classifier"
        # the synthetic themes are separable: held-out predictions agree well with humans
        assert result.alpha_model_human > 0.7
        assert result.precision > 0.7 and result.recall > 0.7


@pytest.mark.slow
def test_codes_below_the_human_level_are_flagged_not_hidden(coded) -> None:
    study, _ = coded
    with study.open_store() as store:
        results = evaluate(
            store, Embedder.for_study(study, store), folds=4, min_examples=10_000, threshold=0.55
        )
    assert {r.signal for r in results} == {"similarity"}
    assert len(results) == len(synth.THEMES)
    flagged = [r for r in results if r.flag]
    assert flagged, "similarity alone at a strict threshold should fall below the humans"
    for result in results:
        below = (result.alpha_model_human or -1) < result.alpha_human_human
        assert (result.flag == "below human-human") == below


def test_flag_rules() -> None:
    assert _flag(0.5, 0.8, 0.667) == "below human-human"
    assert _flag(0.9, 0.8, 0.667) == ""
    assert _flag(0.6, None, 0.667) == "below threshold 0.667 (no second coder)"
    assert _flag(0.7, None, 0.667) == ""
    assert _flag(None, 0.8, 0.667) == "model alpha undefined"


def test_binary_agreement_counts() -> None:
    model = [True, True, False, False, True]
    human = [True, False, False, True, True]
    result = binary_agreement(model, human)
    assert result["precision"] == pytest.approx(2 / 3)
    assert result["recall"] == pytest.approx(2 / 3)
    assert (result["pairs"], result["predicted"], result["actual"]) == (5, 3, 3)
    # Krippendorff (2011) nominal alpha for two coders, 5 units, 2 disagreements:
    # D_o = 4/10, D_e = 2 * 6 * 4 / (10 * 9) = 48/90, alpha = 1 - 0.4 / (48/90) = 0.25
    assert result["alpha"] == pytest.approx(0.25)


def test_evaluation_needs_human_coding(study: Study) -> None:
    with study.open_store() as store:
        synth.add_codebook(store)
        synth.add_posts(store, list(synth.posts(10)))
        with pytest.raises(EarwitnessError, match="human coding in at least two documents"):
            evaluate(store, Embedder.for_study(study, store))


@pytest.mark.slow
def test_cli_evaluate_json(coded) -> None:
    study, _ = coded
    result = CliRunner().invoke(
        cli, ["--study", str(study.root), "code", "evaluate", "--folds", "3", "--json"]
    )
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert {row["code"] for row in rows} == set(synth.THEMES)
    assert {"alpha_model_human", "alpha_human_human", "precision", "recall", "flag"} <= set(rows[0])
