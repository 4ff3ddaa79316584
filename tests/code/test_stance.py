"""Stance toward AI tools on labelled SYNTHETIC posts: gazetteer, VADER, classifier, aggregates."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from earwitness.cli import cli
from earwitness.code.assist._embeddings import Embedder
from earwitness.code.assist._stance import (
    Gazetteer,
    detect_stance,
    evaluate_stance,
    find_mentions,
    label_stance,
    stance_aggregates,
    vader_stance,
)
from earwitness.code.assist._target_stance import RULES_MODEL_ID
from earwitness.errors import BadInputError, EarwitnessError
from earwitness.store import Store
from earwitness.store.schema import documents, tool_mentions
from earwitness.study import Study
from tests.code import assist_synth as synth


def test_gazetteer_finds_aliases_and_misspellings_at_word_boundaries() -> None:
    gazetteer = Gazetteer()
    text = (
        "Tried landr and Cloud  Bounce, then iZotope Ozone 10 and smart:EQ; "
        "Isotope Neutron too. Not Landry, not the ozonelayer, e-mastered was ok."
    )
    found = [(tool, alias) for tool, alias, _, _ in gazetteer.find(text)]
    assert found == [
        ("LANDR", "landr"),
        ("CloudBounce", "Cloud  Bounce"),
        ("iZotope Ozone", "iZotope Ozone"),
        ("Sonible smart:EQ", "smart:EQ"),
        ("iZotope Neutron", "Isotope Neutron"),
        ("eMastered", "e-mastered"),
    ]
    for _, alias, start, end in gazetteer.find(text):
        assert text[start:end] == alias


def test_the_study_config_edits_the_gazetteer(study: Study) -> None:
    study.settings["gazetteer"] = {"Mixea": [], "Bakuage": ["bakuage", "AI Mastering by Bakuage"]}
    study.save_settings()
    loaded = Study.load(study.root)
    gazetteer = Gazetteer.from_settings(loaded.settings.get("gazetteer"))
    assert "DistroKid Mixea" in gazetteer.entries
    assert "Mixea" not in gazetteer.entries
    assert [m[0] for m in gazetteer.find("bakuage vs LANDR")] == ["Bakuage", "LANDR"]
    without = Gazetteer.from_settings({"LANDR": []})
    assert without.find("LANDR") == []
    with pytest.raises(BadInputError, match=r"field 'gazetteer.LANDR'"):
        Gazetteer.from_settings({"LANDR": "landr"}, file="earwitness.toml")
    with pytest.raises(BadInputError, match="must be a table"):
        Gazetteer.from_settings(["LANDR"])


def test_vader_baseline() -> None:
    texts = [
        "I love LANDR, it is brilliant.",
        "LANDR is awful and I hate it.",
        "I tried LANDR once last year.",
        "LANDR is great for quick demos but terrible for a real release.",
    ]
    assert [stance for stance, _ in vader_stance(texts)] == [
        "positive",
        "negative",
        "neutral",
        "mixed",
    ]


@pytest.fixture
def posts(study: Study):
    items = list(synth.posts(160, seed=21))
    with study.open_store() as store:
        segment_ids = synth.add_posts(store, items)
        find_mentions(store, Gazetteer())
    return study, items, segment_ids


def _mentions(store: Store, **where: object) -> list[sa.Row]:
    with store.connect() as connection:
        query = sa.select(tool_mentions).where(*(tool_mentions.c[k] == v for k, v in where.items()))
        return list(connection.execute(query))


def _tool(name: str) -> str:
    return {"Ozone": "iZotope Ozone", "smart:EQ": "Sonible smart:EQ"}.get(name, name)


def test_mentions_are_stored_with_document_offsets_and_a_rule_stance(posts) -> None:
    study, items, segment_ids = posts
    with study.open_store() as store:
        assert detect_stance(store, method="vader")["method"].startswith("vader-")
        report = detect_stance(store)
        assert report["method"] == RULES_MODEL_ID
        rows = _mentions(store, origin="model")
        with store.connect() as connection:
            texts = dict(connection.execute(sa.select(documents.c.id, documents.c.text)).all())
        for row in rows:
            assert texts[row.document_id][row.start : row.end] == row.alias
            assert row.stance in ("positive", "negative", "mixed", "neutral")
        by_segment = {row.segment_id: row.tool for row in rows}
        expected = {sid: _tool(p.tool) for p, sid in zip(items, segment_ids, strict=True)}
        assert all(by_segment[sid] == tool for sid, tool in expected.items() if sid in by_segment)
        assert len(by_segment) >= 0.9 * len(items)


def _label(store: Store, items, segment_ids, coder: str, upto: int, flip_every: int = 0) -> None:
    stances = ["positive", "negative", "mixed", "neutral"]
    for i, (post, sid) in enumerate(zip(items[:upto], segment_ids[:upto], strict=True)):
        if not _mentions(store, segment_id=sid, origin="model"):
            continue
        stance = post.stance
        if flip_every and i % flip_every == 0:
            stance = stances[(stances.index(stance) + 1) % 4]
        label_stance(store, sid, _tool(post.tool), stance, coder)


@pytest.mark.slow
def test_human_labels_train_a_classifier_that_is_validated(posts) -> None:
    study, items, segment_ids = posts
    with study.open_store() as store:
        embedder = Embedder.for_study(study, store)
        _label(store, items, segment_ids, "ana", 120)
        _label(store, items, segment_ids, "ben", 40, flip_every=5)
        report = detect_stance(store, embedder)
        assert report["method"].endswith("+target-logreg")
        assert report["human_labelled"] >= 100
        assert len(_mentions(store, origin="human")) >= 140

        rows = {row["method"].split("+")[-1][:5]: row for row in evaluate_stance(store, embedder)}
        vader, logreg = rows["vader"], rows["targe"]
        assert {"alway", "targe"} <= set(rows)
        n_ana = len({r.segment_id for r in _mentions(store, origin="human")})
        assert vader["n_pairs"] == logreg["n_pairs"] >= n_ana
        assert logreg["n_human_units"] >= 35
        assert 0.5 < logreg["alpha_human_human"] < 1.0
        # the templates' stance is learnable; VADER reads only sentiment words
        assert logreg["accuracy"] > vader["accuracy"]
        assert (logreg["flag"] == "below human-human") == (
            logreg["alpha_model_human"] < logreg["alpha_human_human"]
        )


def test_relabelling_replaces_and_bad_labels_are_refused(posts) -> None:
    study, items, segment_ids = posts
    with study.open_store() as store:
        sid, tool = segment_ids[0], _tool(items[0].tool)
        label_stance(store, sid, tool, "positive", "ana")
        label_stance(store, sid, tool, "negative", "ana")
        assert {r.stance for r in _mentions(store, origin="human")} == {"negative"}
        with pytest.raises(EarwitnessError, match="stance must be one of"):
            label_stance(store, sid, tool, "angry", "ana")
        with pytest.raises(EarwitnessError, match="has no mention of 'RoEx Tonn'"):
            label_stance(store, sid, "RoEx Tonn", "positive", "ana")
        find_mentions(store, Gazetteer())
        assert len(_mentions(store, origin="human")) == 1, "human labels survive a re-run"


def test_aggregates_per_tool_and_group_with_seeded_bootstrap(posts) -> None:
    study, items, segment_ids = posts
    with study.open_store() as store:
        detect_stance(store)
        _label(store, items, segment_ids, "ana", 10)
        rows = stance_aggregates(store, n_boot=500, seed=1)
        assert rows == stance_aggregates(store, n_boot=500, seed=1)
    total = {row["tool"]: row["n"] for row in rows if row["group"] == "all"}
    assert sum(total.values()) == len(_units_of(study))
    for row in rows:
        assert row["n"] == sum(row[s] for s in ("positive", "negative", "mixed", "neutral"))
        assert row["positive_share"] == pytest.approx(row["positive"] / row["n"], abs=1e-4)
        if row["positive_ci_low"] is not None:
            assert row["positive_ci_low"] <= row["positive_share"] <= row["positive_ci_high"]
    assert sum(row["human_labelled"] for row in rows if row["group"] == "all") >= 9
    groups = {row["group"] for row in rows}
    assert {"all", "unknown"} <= groups


def _units_of(study: Study) -> set[tuple[int, str]]:
    with study.open_store() as store:
        return {(r.segment_id, r.tool) for r in _mentions(store, origin="model")}


def test_cli_stance(posts) -> None:
    study, items, segment_ids = posts
    runner = CliRunner()
    base = ["--study", str(study.root), "code", "stance"]
    result = runner.invoke(cli, [*base, "detect", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["mentions"] >= 150
    result = runner.invoke(
        cli, [*base, "label", str(segment_ids[0]), _tool(items[0].tool), "mixed", "--coder", "ana"]
    )
    assert result.exit_code == 0, result.output
    result = runner.invoke(cli, [*base, "report", "--boot", "200", "--csv"])
    assert result.exit_code == 0 and result.stdout.startswith("tool,group,n,authors")
    assert "warning: machine stance for CloudBounce is unvalidated" in result.stderr
    assert ",machine unvalidated," in result.stdout
    result = runner.invoke(cli, [*base, "tools", "--json"])
    assert "LANDR" in {row["tool"] for row in json.loads(result.output)}


def _stances(store: Store) -> list[tuple[int, str, str, float]]:
    rows = _mentions(store, origin="model")
    return sorted((r.segment_id, r.tool, r.stance, r.score) for r in rows)


@pytest.mark.slow
def test_the_classifier_gives_the_same_stances_in_partitions_and_on_workers(posts) -> None:
    """The head is fitted on the driver; workers load the encoder themselves."""
    from earwitness.code.assist._stance_run import run_mentions
    from earwitness.partitions import parse_scheduler

    study, items, segment_ids = posts
    with study.open_store() as store:
        embedder = Embedder.for_study(study, store)
        _label(store, items, segment_ids, "ana", 120)
        detect_stance(store, embedder)
        whole = _stances(store)
        report = run_mentions(store, Gazetteer(), method="auto", embedder=embedder)
        assert report["method"].endswith("+target-logreg")
        assert _stances(store) == whole
        run_mentions(
            store,
            Gazetteer(),
            method="classifier",
            embedder=embedder,
            scheduler=parse_scheduler("local:2"),
            partition_documents=40,
        )
        on_workers = _stances(store)
    assert [r[:3] for r in on_workers] == [r[:3] for r in whole]
    assert max(abs(a[3] - b[3]) for a, b in zip(on_workers, whole, strict=True)) < 1e-4
