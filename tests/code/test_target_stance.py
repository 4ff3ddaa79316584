"""Target-centred stance, the learned model's pieces, people in the loop, provenance,
the mentions export and the development set (hand-written SYNTHETIC sentences unless a
test reads data/)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from earwitness.cli import cli
from earwitness.code.assist._devset import evaluate_devset, predict_devset, read_devset
from earwitness.code.assist._stance import (
    Gazetteer,
    StanceClassifier,
    detect_stance,
    find_mentions,
    import_stance_labels,
    label_stance,
    sample_for_labelling,
    stance_aggregates,
)
from earwitness.code.assist._stance_learn import (
    StanceUnitText,
    combine_stances,
    learning_curve,
    marked_window,
)
from earwitness.code.assist._target_stance import RULES_MODEL_ID, TargetStance
from earwitness.errors import BadInputError, EarwitnessError
from earwitness.store.schema import tool_mentions
from earwitness.study import Study
from tests.code import assist_synth as synth
from tests.helpers import invoke_cli

DATA = Path(__file__).resolve().parents[2] / "data"


def _stance(text: str, tool: str = "LANDR") -> str:
    spans = [(s, e) for _, _, s, e in Gazetteer().find(text)]
    found = [(s, e) for t, _, s, e in Gazetteer().find(text) if t == Gazetteer().find(tool)[0][0]]
    assert found, f"{tool} not found in {text!r}"
    return combine_stances([TargetStance().stance(text, s, e, spans)[0] for s, e in found])


@pytest.mark.parametrize(
    ("text", "tool", "stance"),
    [
        ("I love LANDR, it is brilliant.", "LANDR", "positive"),
        ("LANDR is awful and I hate it.", "LANDR", "negative"),
        ("LANDR is not good at all.", "LANDR", "negative"),  # negation
        ("LANDR isn't bad for demos.", "LANDR", "positive"),
        ("LANDR is great for demos but terrible for a release.", "LANDR", "mixed"),  # contrast
        ("Ozone was better than LANDR on my track.", "Ozone", "positive"),  # comparison
        ("Ozone was better than LANDR on my track.", "LANDR", "negative"),
        ("I prefer matchering over eMastered.", "eMastered", "negative"),
        ("eMastered was worse than LANDR.", "LANDR", "positive"),
        ("Is LANDR any good for hip hop?", "LANDR", "neutral"),  # question
        (
            "LANDR announced a new plugin that lets you master in your browser.",
            "LANDR",
            "neutral",
        ),  # news / promotional copy
        ("I tried LANDR once last year.", "LANDR", "neutral"),
        # sentiment aimed at something else is not credited to the tool
        ("I ran it through eMastered but my mix was awful.", "eMastered", "neutral"),
        ("The LANDR master had more punch than my own muddy master.", "LANDR", "positive"),
        # criticism without ordinary negative words
        ("AI mastering like LANDR is dumbing down the craft.", "LANDR", "negative"),
        (
            "The engineer laughed it off when I showed him the eMastered version.",
            "eMastered",
            "negative",
        ),
        # the next sentence goes on about the tool
        ("I used matchering. It works well and it is free.", "matchering", "positive"),
        ("I can't say anything bad or good about eMastered.", "eMastered", "neutral"),
    ],
)
def test_rule_scorer_reads_what_is_said_about_the_target(text: str, tool: str, stance: str) -> None:
    assert _stance(text, tool) == stance


def test_gazetteer_new_names_and_context_rules_against_same_named_software() -> None:
    gazetteer = Gazetteer()
    text = (
        "I used izotope, then iZotope Match EQ and the Ozone 11 match module; "
        "Logic Pro Mastering Assistant too."
    )
    assert [tool for tool, *_ in gazetteer.find(text)] == [
        "iZotope",
        "iZotope Ozone",
        "iZotope Ozone",
        "Logic Pro Mastering Assistant",
    ]
    assert gazetteer.find("I cloned github.com/someone/landr and ran landr.py on it") == []
    assert gazetteer.find("pip install landr failed") == []
    # phrased like the README of the static-site generator called landr (product-os/landr)
    assert gazetteer.find("Run GITHUB_TOKEN=abc npx landr to build the site.") == []
    assert gazetteer.find("Then Landr pushes the site to your gh-pages branch.") == []
    assert gazetteer.find("Prefer npx to installing landr globally.") == []
    assert [m[0] for m in gazetteer.find("I uploaded my mix to the LANDR website.")] == ["LANDR"]
    assert gazetteer.find("The Neutron music player on Android sounds great") == []
    assert gazetteer.find("Neutron player has a parametric EQ") == []
    assert [m[0] for m in gazetteer.find("LANDR mastered my track")] == ["LANDR"]
    assert [m[0] for m in gazetteer.find("Neutron 4 mix assistant was fine")] == ["iZotope Neutron"]
    # a study's own table replaces the context rules too
    assert Gazetteer({"LANDR": ["landr"]}, excludes={}).find("pip install landr") != []


def test_marked_window_and_combining_mention_stances() -> None:
    text = "Intro. LANDR beat eMastered easily. Unrelated sentence here."
    unit = StanceUnitText(text, ((7, 12),), ((18, 27),))
    assert marked_window(unit) == "[TOOL] beat [OTHER] easily."
    assert combine_stances(["neutral", "positive"]) == "positive"
    assert combine_stances(["positive", "negative"]) == "mixed"
    assert combine_stances(["neutral"]) == "neutral"


def test_learning_curve_grows_on_simulated_separable_data() -> None:
    rng = np.random.default_rng(3)
    labels = rng.choice(["positive", "negative", "neutral"], size=300).tolist()
    centres = {"positive": 1.0, "negative": -1.0, "neutral": 0.0}
    features = np.array([[centres[y] + rng.normal(0, 0.6), rng.normal()] for y in labels])
    groups = [i // 3 for i in range(300)]
    rows = learning_curve(
        features, labels, groups, lambda X, y: StanceClassifier().fit(X, y), sizes=(6, 200)
    )
    assert [row["train_units"] for row in rows] == [6, 200]
    assert all(row["test_units"] == 300 for row in rows)
    assert rows[1]["accuracy"] >= rows[0]["accuracy"]
    assert rows[1]["kappa"] > 0.4


@pytest.fixture
def posts(study: Study):
    items = list(synth.posts(120, seed=5))
    with study.open_store() as store:
        segment_ids = synth.add_posts(store, items)
        find_mentions(store, Gazetteer())
        detect_stance(store)
    return study, items, segment_ids


def _tool(name: str) -> str:
    return {"Ozone": "iZotope Ozone", "smart:EQ": "Sonible smart:EQ"}.get(name, name)


def test_sample_is_stratified_by_tool_and_predicted_stance(posts) -> None:
    study, items, segment_ids = posts
    with study.open_store() as store:
        label_stance(store, segment_ids[0], _tool(items[0].tool), "positive", "ana")
        rows = sample_for_labelling(store, 14, seed=1)
        assert rows == sample_for_labelling(store, 14, seed=1)
        with store.connect() as connection:
            strata = {
                (r.tool, r.stance)
                for r in connection.execute(
                    sa.select(tool_mentions.c.tool, tool_mentions.c.stance).where(
                        tool_mentions.c.origin == "model"
                    )
                )
            }
    assert len(rows) == 14
    assert (segment_ids[0], _tool(items[0].tool)) not in {
        (r["segment_id"], r["tool"]) for r in rows
    }
    drawn = {(r["tool"], r["predicted"]) for r in rows}
    assert len(drawn) == min(14, len(strata)), "one unit per stratum before any repeats"


def test_csv_labels_round_trip_and_bad_rows_name_their_line(posts, tmp_path: Path) -> None:
    study, _, _ = posts
    with study.open_store() as store:
        rows = sample_for_labelling(store, 6)
    sheet = tmp_path / "sample.csv"
    with sheet.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        for i, row in enumerate(rows):
            writer.writerow({**row, "stance": "" if i == 5 else "negative", "coder": "ben"})
    with study.open_store() as store:
        assert import_stance_labels(store, sheet) == 5
        assert import_stance_labels(store, sheet) == 5, "re-importing replaces, not duplicates"
        with store.connect() as connection:
            human = connection.execute(
                sa.select(tool_mentions.c.stance).where(tool_mentions.c.origin == "human")
            ).all()
        assert {r.stance for r in human} == {"negative"}
        bad = tmp_path / "bad.csv"
        bad.write_text(f"segment_id,tool,stance,coder\n{rows[0]['segment_id']},LANDR,angry,ana\n")
        with pytest.raises(BadInputError, match=r"bad\.csv line 2: stance must be one of"):
            import_stance_labels(store, bad)
        bad.write_text(f"segment_id,tool,stance\n{rows[0]['segment_id']},{rows[0]['tool']},mixed\n")
        with pytest.raises(BadInputError, match="line 2: no coder"):
            import_stance_labels(store, bad)
        assert import_stance_labels(store, bad, coder="cy") == 1


def test_every_aggregate_says_where_its_stances_come_from(posts) -> None:
    study, items, segment_ids = posts
    with study.open_store() as store:
        rows = stance_aggregates(store, n_boot=100)
        assert {row["provenance"] for row in rows} == {"machine unvalidated"}
        labelled = 0
        for post, sid in zip(items, segment_ids, strict=True):
            try:
                label_stance(store, sid, _tool(post.tool), post.stance, "ana")
            except EarwitnessError:  # a post whose mention the gazetteer missed
                continue
            labelled += 1
            if labelled == 25:
                break
        rows = stance_aggregates(store, n_boot=100)
    # 25 labels spread over six tools: no tool has 20 of its own, so none is validated
    # (the old rule validated every tool once any 20 units were labelled)
    assert {row["provenance"] for row in rows} <= {"machine unvalidated", "human"}
    per_tool = {row["tool"]: row["n_validation"] for row in rows if row["group"] == "all"}
    assert sum(per_tool.values()) == 25 and max(per_tool.values()) < 20
    for row in rows:
        if row["provenance"] == "human":
            assert row["human_labelled"] == row["n"]
        else:
            assert row["validation_flag"]


def test_detect_without_segments_says_to_segment_first(study: Study) -> None:
    result = invoke_cli("--study", str(study.root), "code", "stance", "detect")
    assert result.code == 2
    assert "run `earwitness code segment` first" in result.stderr


def test_export_mentions_carries_stance_origin_coder_and_author(posts, tmp_path: Path) -> None:
    study, items, segment_ids = posts
    with study.open_store() as store:
        label_stance(store, segment_ids[0], _tool(items[0].tool), "mixed", "ana")
    out = tmp_path / "mentions.csv"
    result = CliRunner().invoke(
        cli, ["--study", str(study.root), "export", "mentions", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    with out.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    for column in ("tool", "alias", "span", "stance", "origin", "coder", "document_guid"):
        assert column in rows[0]
    assert {"author_pseudonym", "user_group"} <= set(rows[0])
    assert all(row["span"].casefold() == row["alias"].casefold() for row in rows)
    human = [row for row in rows if row["origin"] == "human"]
    assert human and human[0]["coder"] == "ana" and human[0]["stance"] == "mixed"
    assert {row["origin"] for row in rows} == {"model", "human"}


def test_development_sets_are_read_and_scored_beside_the_neutral_baseline() -> None:
    for name in ("stance-dev.csv", "stance-test.csv"):
        units = read_devset(DATA / name)
        assert len(units) >= 20
        rows = {row["method"]: row for row in evaluate_devset(units)}
        neutral_share = sum(u.stance == "neutral" for u in units) / len(units)
        assert rows["always-neutral"]["accuracy"] == pytest.approx(neutral_share, abs=1e-4)
        assert {"vader", RULES_MODEL_ID} <= set(rows)
        predictions = predict_devset(units)
        assert all(p != "missed" for p in predictions[RULES_MODEL_ID]), "gazetteer misses"
    per_tool = evaluate_devset(read_devset(DATA / "stance-dev.csv"), by="tool")
    assert {"LANDR", "matchering"} <= {row["tool"] for row in per_tool}


def test_devset_learned_model_runs_held_out_with_any_encoder() -> None:
    units = read_devset(DATA / "stance-dev.csv")

    def bag_of_words(texts: list[str]) -> np.ndarray:  # a stand-in encoder, no model download
        vectors = np.zeros((len(texts), 64))
        for i, text in enumerate(texts):
            for word in text.lower().split():
                vectors[i, hash(word) % 64] += 1.0
        return vectors

    rows = {row["method"]: row for row in evaluate_devset(units, encode=bag_of_words)}
    assert rows["target-logreg (held out by source)"]["n"] == len(units)


def test_cli_devset_needs_no_study(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli,
        [
            "--study",
            str(tmp_path),
            "code",
            "stance",
            "devset",
            str(DATA / "stance-test.csv"),
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    assert {row["method"] for row in json.loads(result.output)} >= {"always-neutral", "vader"}


def _bag_of_words(texts: list[str]) -> np.ndarray:
    vectors = np.zeros((len(texts), 64), dtype=np.float32)
    for i, text in enumerate(texts):
        for word in text.lower().split():
            vectors[i, sum(map(ord, word)) % 64] += 1.0
    return vectors


def test_the_classifier_trains_on_human_labels_with_a_learning_curve(posts) -> None:
    from earwitness.code.assist import Embedder, stance_learning_curve
    from earwitness.code.assist._embeddings import ModelSource

    study, items, segment_ids = posts
    source = ModelSource("stand-in-bag-of-words", "", "config")
    with study.open_store() as store:
        for post, sid in zip(items, segment_ids, strict=True):
            try:
                label_stance(store, sid, _tool(post.tool), post.stance, "ana")
            except EarwitnessError:  # a post whose mention the gazetteer missed
                continue
        embedder = Embedder(store, source, encoder=_bag_of_words)
        report = detect_stance(store, embedder, min_examples=20)
        assert report["method"] == "stand-in-bag-of-words+target-logreg"
        curve = stance_learning_curve(store, embedder, folds=3)
        rows = {row["provenance"] for row in stance_aggregates(store, n_boot=100)}
    assert [row["train_units"] for row in curve] == sorted(row["train_units"] for row in curve)
    assert curve and curve[0]["train_units"] == 10
    assert all(row["test_units"] >= 100 for row in curve)
    assert all(-1.0 <= row["kappa"] <= 1.0 for row in curve)
    assert rows == {"human"}, "every unit labelled by people: the figures are human"


def test_group_figures_say_how_the_authors_got_their_group(posts) -> None:
    from earwitness.groups import override_group

    study, items, _ = posts
    with study.open_store() as store:
        rows = stance_aggregates(store, n_boot=100)
        assert {r["group_provenance"] for r in rows} == {"none"}, "no author has a group yet"
        for author in {post.author for post in items}:
            override_group(store, author, "professional")
        rows = stance_aggregates(store, n_boot=100)
    by_group = {(r["group"], r["group_provenance"]) for r in rows}
    assert ("professional", "human") in by_group
    assert all(r["group_provenance"] == "none" for r in rows if r["group"] == "all")
    assert all(r["group_n_validation"] == len({p.author for p in items}) for r in rows)
