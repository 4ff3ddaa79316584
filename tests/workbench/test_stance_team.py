"""Stance units labelled by two coders, blind: the second coder gets units the first
labelled without their label, the queue shows the pair's kappa, and their disagreements
are resolved by an adjudicator, the labels kept. After each batch the model retrains in
the background, one run at a time, and a failed run says why."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
import sqlalchemy as sa

from earwitness.code.assist import detect_stance, stance_aggregates
from earwitness.code.assist._target_stance import RULES_MODEL_ID
from earwitness.code.workbench import Retrainer
from earwitness.provenance import cohen_kappa_labels
from earwitness.store.schema import stance_resolutions, tool_mentions
from tests.workbench.conftest import fill
from tests.workbench.test_api import client

STANCES = ("positive", "negative", "mixed", "neutral")


def _label(c, unit, stance: str) -> dict:
    body = {"segment": unit["segment_id"], "tool": unit["tool"], "stance": stance}
    answer = c.post("/api/stance-label", json=body)
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_two_coders_label_blind_and_their_disagreements_are_resolved(wb_study) -> None:
    store, _ = wb_study
    ana = client(store, "ana", double_share=0.5)
    ben = client(store, "ben", double_share=0.5)
    first = ana.get("/api/stance", params={"n": 6}).json()["units"]
    given = {(u["segment_id"], u["tool"]): STANCES[i % 2] for i, u in enumerate(first)}
    for unit in first:
        _label(ana, unit, given[(unit["segment_id"], unit["tool"])])
    assert ana.get("/api/stance-figures").json()["pairs"] == []
    # ben's batch: half of it ana's units, oldest first, without ana's labels
    queue = ben.get("/api/stance", params={"n": 6})
    units = queue.json()["units"]
    doubles = [u for u in units if (u["segment_id"], u["tool"]) in given]
    assert [(u["segment_id"], u["tool"]) for u in doubles] == list(given)[:3]
    assert all(u["predicted"] == "" and "positive" not in str(u) for u in doubles)
    assert all("stance" not in u and "labels" not in u for u in units)
    # nothing to compare until ben labelled: the disagreements are blind too
    pair = {"a": "ana", "b": "ben"}
    assert ben.get("/api/stance-disagreements", params=pair).json() == []
    bens = ["positive", "positive", "positive"]  # agrees on the first and third only
    for unit, stance in zip(doubles, bens, strict=True):
        _label(ben, unit, stance)
    figures = ben.get("/api/stance-figures").json()
    (row,) = figures["pairs"]
    anas = [given[(u["segment_id"], u["tool"])] for u in doubles]
    assert (row["a"], row["b"], row["n"], row["agree"], row["unresolved"]) == (
        "ana", "ben", 3, 2, 1
    )  # fmt: skip
    expected = cohen_kappa_labels(anas, bens)
    assert row["kappa"] == pytest.approx(expected, abs=1e-4)
    found = ben.get("/api/stance-disagreements", params=pair).json()
    assert [(d["segment_id"], d["labels"]) for d in found] == [
        (doubles[1]["segment_id"], {"ana": "negative", "ben": "positive"})
    ]
    assert found[0]["segment"][slice(*found[0]["mentions"][0])] == found[0]["tool"]
    # an adjudicator resolves it; both labels stay, and the unit's human stance is the
    # resolution from then on (the stance report counts it so)
    before = _counts(store, found[0]["tool"])
    dee = client(store, "dee")
    unit = {"segment": found[0]["segment_id"], "tool": found[0]["tool"]}
    assert dee.post("/api/stance-resolve", json={**unit, "stance": "mixed"}).status_code == 200
    after = _counts(store, found[0]["tool"])
    assert after["mixed"] == before["mixed"] + 1
    assert sum(after.values()) == sum(before.values())
    again = ben.get("/api/stance-disagreements", params=pair).json()
    assert again[0]["resolution"] == {"stance": "mixed", "by": "dee"}
    assert ben.get("/api/stance-figures").json()["pairs"][0]["unresolved"] == 0
    with store.connect() as connection:
        kept = connection.scalar(
            sa.select(sa.func.count(sa.distinct(tool_mentions.c.coder_id))).where(
                tool_mentions.c.origin == "human",
                tool_mentions.c.segment_id == found[0]["segment_id"],
            )
        )
        stored = connection.execute(sa.select(stance_resolutions.c.labels)).scalar_one()
    assert kept == 2 and stored == {"ana": "negative", "ben": "positive"}
    agreed = {"segment": doubles[0]["segment_id"], "tool": doubles[0]["tool"], "stance": "mixed"}
    refused = dee.post("/api/stance-resolve", json=agreed)
    assert refused.status_code == 400 and "do not disagree" in refused.json()["error"]


def _counts(store, tool: str) -> dict[str, int]:
    rows = stance_aggregates(store, n_boot=50)
    row = next(r for r in rows if r["tool"] == tool and r["group"] == "all")
    return {stance: row[stance] for stance in STANCES}


@pytest.mark.parametrize("any_study", ["sqlite"], indirect=True)
def test_the_model_retrains_in_the_background_after_each_batch(any_study, tmp_path: Path) -> None:
    """The real retraining (`code stance detect`, then the learning curve): the label that
    ends a batch is answered while the run is under way; the figures follow."""
    with any_study.open_store() as store:
        fill(store, tmp_path, n=48)
        detect_stance(store, method="rules")
        ana = client(store, "ana", retrain_batch=12)
        units = ana.get("/api/stance", params={"n": 48}).json()["units"]
        assert len(units) == 48
        # the real training starts only once the answer is in hand: otherwise a fast run
        # can end before the answer is built, and "running" could not be seen
        retrainer, begin = ana.app.state.retrainer, threading.Event()
        real_train = retrainer.train

        def train_once_answered(study_store) -> dict:
            begin.wait(60)
            return real_train(study_store)

        retrainer.train = train_once_answered
        answers = [_label(ana, u, STANCES[i % 3]) for i, u in enumerate(units[:12])]
        begin.set()
        assert [a["training"]["state"] for a in answers[:11]] == ["idle"] * 11
        assert answers[11]["training"]["state"] == "running"  # answered, not waited for
        retrainer.wait(120)
        status = ana.get("/api/stance-status").json()
        assert status["state"] == "done" and status["runs"] == 1, status
        assert status["result"]["method"] == RULES_MODEL_ID  # 12 labels: still the rules
        assert status["result"]["curve_more"] is None
        # 48 labels of two stances or more: the learned model and its learning curve
        for unit in units[12:48]:
            _label(ana, unit, unit["predicted"] if unit["predicted"] in STANCES else "neutral")
        retrainer.wait(300)
        status = ana.get("/api/stance-status").json()
    # three more batches; one booked while another ran is one run after it
    assert status["state"] == "done" and 2 <= status["runs"] <= 4, status
    result = status["result"]
    assert "target-logreg" in result["method"] and result["labelled"] == 48
    assert [p["train_units"] for p in result["curve"]] == [10, 20]
    assert result["curve_kappa"] == result["curve"][-1]["kappa"]
    assert result["curve_more"] is None or result["curve_more"] >= 0


@pytest.mark.parametrize("any_study", ["sqlite"], indirect=True)
def test_one_run_at_a_time_and_a_failure_is_shown(wb_study) -> None:
    """A stand-in for the training (the real one is above) that waits until released, to
    hold a run open while more batches end."""
    store, _ = wb_study
    release, started = threading.Event(), []

    def train(_store) -> dict:
        started.append(threading.get_ident())
        release.wait(30)
        if len(started) == 2:
            raise RuntimeError("the embedding model is missing")
        return {"method": "stand-in"}

    retrainer = Retrainer(store, 2, train)
    for _ in range(6):  # three batches while the first run is held open
        retrainer.labelled()
    assert retrainer.status()["state"] == "running"
    release.set()
    retrainer.wait(30)
    status = retrainer.status()
    assert len(started) == 2 and len(set(started)) == 1  # one booked re-run, same thread
    assert status["state"] == "failed" and status["runs"] == 2
    assert status["error"] == "RuntimeError: the embedding model is missing"
