"""Which units to label next: uncertainty (smallest margin of the learned model, one per
document first) or stratified, with a fallback when there are too few labels
(SYNTHETIC posts from tests/code/assist_synth.py; a bag-of-words stand-in embedder)."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

from earwitness.code.assist import next_stance_units
from earwitness.code.assist._embeddings import Embedder, ModelSource
from earwitness.code.assist._stance import (
    Gazetteer,
    detect_stance,
    find_mentions,
    import_stance_labels,
    label_stance,
)
from earwitness.errors import BadInputError, EarwitnessError
from earwitness.study import Study
from tests.code import assist_synth as synth
from tests.helpers import invoke_cli


def _bag_of_words(texts: list[str]) -> np.ndarray:
    vectors = np.zeros((len(texts), 64), dtype=np.float32)
    for i, text in enumerate(texts):
        for word in text.lower().split():
            vectors[i, sum(map(ord, word)) % 64] += 1.0
    return vectors


def _tool(name: str) -> str:
    return {"Ozone": "iZotope Ozone", "smart:EQ": "Sonible smart:EQ"}.get(name, name)


@pytest.fixture
def labelled(study: Study):
    items = list(synth.posts(90, seed=7))
    with study.open_store() as store:
        segment_ids = synth.add_posts(store, items)
        find_mentions(store, Gazetteer())
        detect_stance(store)
        done = set()
        for post, sid in zip(items[:40], segment_ids[:40], strict=True):
            try:
                label_stance(store, sid, _tool(post.tool), post.stance, "ana")
                done.add((sid, _tool(post.tool)))
            except EarwitnessError:
                continue
    return study, done


def test_uncertainty_draws_the_smallest_margins_first_and_nothing_labelled(labelled) -> None:
    study, done = labelled
    with study.open_store() as store:
        embedder = Embedder(store, ModelSource("stand-in", "", "config"), encoder=_bag_of_words)
        everything = next_stance_units(store, 1000, strategy="uncertainty", embedder=embedder)
        first = next_stance_units(store, 8, strategy="uncertainty", embedder=embedder)
    assert first == everything[:8], "the same order whatever n"
    assert not {(r["segment_id"], r["tool"]) for r in everything} & done
    assert all(r["basis"].startswith("uncertainty (stand-in + target-logreg") for r in first)
    margins = [r["margin"] for r in everything]
    assert all(0.0 <= m <= 1.0 for m in margins)
    # one post is one document here, so the queue is in order of margin
    assert margins == sorted(margins)
    assert first[0]["margin"] == min(margins)


def test_too_few_labels_fall_back_to_stratified_and_say_so(study: Study) -> None:
    items = list(synth.posts(30, seed=3))
    with study.open_store() as store:
        synth.add_posts(store, items)
        find_mentions(store, Gazetteer())
        detect_stance(store)
        rows = next_stance_units(store, 5, strategy="uncertainty")
        assert rows and all(r["basis"].startswith("stratified (fewer than 20") for r in rows)
        assert all(r["margin"] is None for r in rows)
        with pytest.raises(BadInputError, match="strategy must be one of"):
            next_stance_units(store, 5, strategy="random")


def test_a_drawn_sheet_goes_back_in_through_import(labelled, tmp_path: Path) -> None:
    study, _ = labelled
    sheet = tmp_path / "sample.csv"
    result = invoke_cli(
        "--study", str(study.root), "code", "stance", "sample", "4",
        "--strategy", "stratified", "--csv", "--out", str(sheet),
    )  # fmt: skip
    assert result.code == 0, result.stderr
    with sheet.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0])[:5] == ["segment_id", "tool", "predicted", "margin", "basis"]
    for row in rows:
        row["stance"], row["coder"] = "neutral", "ben"
    with sheet.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    with study.open_store() as store:
        assert import_stance_labels(store, sheet) == 4
