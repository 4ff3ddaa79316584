"""Few-shot (SetFit-style) stance on the packaged MiniLM, with training runs of a few
steps (hand-written SYNTHETIC sentences unless a test reads data/)."""

from __future__ import annotations

from collections import Counter
from typing import Any

import numpy as np
import pytest
import sqlalchemy as sa
from sklearn.base import clone

from earwitness.code.assist._stance import (
    Gazetteer,
    _held_out_groups,
    detect_stance,
    find_mentions,
    label_stance,
    stance_learning_curve,
)
from earwitness.code.assist._stance import _units as _stance_units
from earwitness.code.assist._stance_fewshot import FewShotStance, contrastive_pairs
from earwitness.code.assist._stance_learn import StanceUnitText
from earwitness.errors import BadInputError, EarwitnessError
from earwitness.store import record_source
from earwitness.store.schema import documents, tool_mentions
from earwitness.study import Study
from tests.code import assist_synth as synth

PRAISE = [
    "I love LANDR, the master sounds brilliant.",
    "LANDR gave me a great, punchy master.",
    "LANDR is fantastic, my track finally sounds release-ready.",
    "Really happy with LANDR, warm and clear.",
]
COMPLAINTS = [
    "LANDR squashed my mix and it sounds awful.",
    "I hate what LANDR did, harsh and lifeless.",
    "LANDR ruined the dynamics, terrible result.",
    "LANDR made my song muddy and brickwalled, awful.",
]


def _unit(text: str) -> StanceUnitText:
    start = text.index("LANDR")
    return StanceUnitText(text, ((start, start + len("LANDR")),))


def _units(texts: list[str]) -> np.ndarray:
    array = np.empty(len(texts), dtype=object)
    array[:] = [_unit(t) for t in texts]
    return array


@pytest.fixture(scope="module")
def minilm() -> Any:
    from earwitness.code.assist._embeddings import load_model, resolve_model

    source = resolve_model()
    if source.how != "packaged":
        pytest.skip("the packaged all-MiniLM-L6-v2 is not installed")
    return load_model(source.location, "cpu")


def test_pairs_give_each_unit_a_same_and_a_different_stance_partner_per_round() -> None:
    labels = ["positive", "positive", "negative", "neutral", "neutral", "neutral"]
    pairs = contrastive_pairs(labels, 3, np.random.default_rng(0))
    assert len(pairs) == 2 * 3 * len(labels)
    for a, b, target in pairs:
        assert target == float(labels[a] == labels[b])
    firsts = Counter((a, target) for a, _, target in pairs)
    assert all(firsts[(i, 1.0)] == 3 and firsts[(i, 0.0)] == 3 for i in range(len(labels)))


@pytest.mark.slow
def test_fewshot_fine_tunes_a_copy_and_learns_held_out_praise_from_complaint(minilm: Any) -> None:
    before = {k: v.clone() for k, v in minilm.state_dict().items()}
    texts, labels = PRAISE[:3] + COMPLAINTS[:3], ["positive"] * 3 + ["negative"] * 3
    model = FewShotStance(minilm, rounds=2, batch_size=4, max_steps=3, use_rules=False)
    assert model.fit(_units(texts), labels) is model
    assert model.train_steps_ == 3
    assert set(model.classes_) == {"positive", "negative"}
    assert list(model.predict(_units([PRAISE[3], COMPLAINTS[3]]))) == ["positive", "negative"]
    after = minilm.state_dict()
    assert all(np.array_equal(before[k], after[k]) for k in before), "shared model changed"
    tuned = model.encoder_.state_dict()
    assert any(not np.array_equal(before[k], tuned[k]) for k in before), "nothing was trained"
    assert model.predict_proba(_units(PRAISE[:1])).shape == (1, 2)


def test_fewshot_training_stops_at_its_time_bound_and_needs_two_stances(minilm: Any) -> None:
    model = FewShotStance(minilm, max_seconds=0.0)
    model.fit(_units(PRAISE + COMPLAINTS), ["positive"] * 4 + ["negative"] * 4)
    assert model.train_steps_ == 0
    assert clone(model).get_params()["max_seconds"] == 0.0
    with pytest.raises(ValueError, match="two different stances"):
        FewShotStance(minilm).fit(_units(PRAISE), ["positive"] * 4)


@pytest.fixture
def labelled_posts(study: Study) -> Study:
    items = list(synth.posts(24, seed=5))
    with study.open_store() as store:
        segment_ids = synth.add_posts(store, items)
        find_mentions(store, Gazetteer())
        detect_stance(store)
        for post, sid in zip(items, segment_ids, strict=True):
            tool = {"Ozone": "iZotope Ozone", "smart:EQ": "Sonible smart:EQ"}.get(post.tool)
            try:
                label_stance(store, sid, tool or post.tool, post.stance, "ana")
            except EarwitnessError:  # a post whose mention the gazetteer missed
                continue
        with store.transaction() as connection:  # the first 12 posts come from 3 sources
            for batch in range(3):
                source = record_source(connection, "synthetic", url=f"https://example.org/{batch}")
                connection.execute(
                    documents.update()
                    .where(
                        documents.c.native_id.in_(
                            [f"synthetic-{i}" for i in range(batch * 4, batch * 4 + 4)]
                        )
                    )
                    .values(source_id=source)
                )
    return study


def test_units_are_held_out_by_their_documents_source(labelled_posts: Study) -> None:
    with labelled_posts.open_store() as store:
        units, _ = _stance_units(store)
        by_source = _held_out_groups(store, units, "source")
        by_document = _held_out_groups(store, units, "document")
    assert len(set(by_document)) == len(units)
    sourced = [g for g in by_source if g > 0]
    assert len(set(sourced)) == 3 and len(sourced) >= 10
    unsourced = [g for g in by_source if g < 0]
    assert len(set(unsourced)) == len(unsourced), "a document without a source is its own group"


@pytest.mark.slow
def test_detect_fewshot_stores_its_model_and_curve_holds_out_by_source(
    labelled_posts: Study, minilm: Any
) -> None:
    from earwitness.code.assist import Embedder

    tiny = FewShotStance(minilm, rounds=1, batch_size=4, max_steps=2)
    with labelled_posts.open_store() as store:
        embedder = Embedder(store)
        report = detect_stance(store, embedder, method="fewshot", fewshot=tiny, min_examples=10)
        with store.connect() as connection:
            stored = set(
                connection.execute(
                    sa.select(tool_mentions.c.model_id).where(tool_mentions.c.origin == "model")
                ).scalars()
            )
        curve = stance_learning_curve(store, embedder, folds=2, by="source", method="classifier")
        with pytest.raises(BadInputError, match="holds out by"):
            stance_learning_curve(store, embedder, by="thread")
    assert report["method"].endswith("+setfit-logreg")
    assert stored == {report["method"]}
    assert curve and {row["held_out_by"] for row in curve} == {"source"}
