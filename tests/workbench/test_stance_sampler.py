"""The stance queue takes its units from the active-learning sampler: stratified until
the study has enough labels of two stances, then those the learned model is least sure
of (SYNTHETIC posts from tests/code/assist_synth.py; the packaged MiniLM, offline)."""

from __future__ import annotations

from earwitness.code.assist._stance import Gazetteer, detect_stance, find_mentions, label_stance
from earwitness.code.workbench import next_units, sample_units
from earwitness.errors import EarwitnessError
from earwitness.study import Study
from tests.code import assist_synth as synth


def _tool(name: str) -> str:
    return {"Ozone": "iZotope Ozone", "smart:EQ": "Sonible smart:EQ"}.get(name, name)


def test_the_queue_is_stratified_first_then_asks_where_the_model_is_least_sure(
    study: Study,
) -> None:
    items = list(synth.posts(90, seed=7))
    with study.open_store() as store:
        segment_ids = synth.add_posts(store, items)
        find_mentions(store, Gazetteer())
        detect_stance(store)
        first = sample_units(store, 5, 0)
        assert first and all(u["basis"].startswith("stratified") for u in first)
        labelled = set()
        for post, sid in zip(items[:40], segment_ids[:40], strict=True):
            try:
                label_stance(store, sid, _tool(post.tool), post.stance, "ana")
                labelled.add((sid, _tool(post.tool)))
            except EarwitnessError:
                continue
        chosen = sample_units(store, 8, 0)
        queue = next_units(store, 8, 0, coder="ben")
    assert all(u["basis"].startswith("uncertainty") for u in chosen)
    assert all(0 <= u["margin"] <= 1 for u in chosen)
    assert not {(u["segment_id"], u["tool"]) for u in chosen} & labelled
    assert [u["basis"] for u in queue if u["basis"]] and queue[0]["segment"]
