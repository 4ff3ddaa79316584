"""The one provenance rule: validated only with >= 20 of the tool's own units labelled by
people and a 95 % bootstrap lower bound of kappa >= 0.4 (hand-written SYNTHETIC labels)."""

from __future__ import annotations

import numpy as np
import pytest
from click.testing import CliRunner

from earwitness.cli import cli
from earwitness.code.assist import (
    MIN_LOWER_BOUND,
    assess_agreement,
    labels_needed,
    provenance,
    stance_aggregates,
)
from earwitness.code.assist._target_stance import RULES_MODEL_ID
from earwitness.code.reliability import cohen_kappa
from earwitness.dashboard import _data
from earwitness.errors import EarwitnessError
from earwitness.groups import override_group, validate_group_rules
from earwitness.provenance import cohen_kappa_labels, curve_labels_needed
from earwitness.store import Store
from earwitness.store import schema as s
from earwitness.study import Study

STANCES = ("positive", "negative", "neutral")


def test_kappa_matches_the_published_worked_example() -> None:
    # Wikipedia, "Cohen's kappa", worked example: 50 proposals, both yes 20, A yes B no 5,
    # A no B yes 10, both no 15: p_o = 0.7, p_e = 0.5, kappa = 0.4.
    first = ["yes"] * 25 + ["no"] * 25
    second = ["yes"] * 20 + ["no"] * 5 + ["yes"] * 10 + ["no"] * 15
    assert cohen_kappa_labels(first, second) == pytest.approx(0.4)


def test_kappa_agrees_with_the_reliability_module() -> None:
    rng = np.random.default_rng(3)
    a = rng.choice(STANCES, 80).tolist()
    b = [x if rng.random() < 0.6 else str(rng.choice(STANCES)) for x in a]
    assert cohen_kappa_labels(a, b) == pytest.approx(cohen_kappa(a, b))


def test_a_high_kappa_without_a_lower_bound_is_not_validated() -> None:
    assert provenance(False, 50, 0.9) == "machine unvalidated"
    assert provenance(False, 50, 0.9, 0.39) == "machine unvalidated"
    assert provenance(False, 19, 0.9, 0.8) == "machine unvalidated"
    assert provenance(False, 20, 0.9, MIN_LOWER_BOUND) == "machine validated"
    assert provenance(True, 0, None) == "human"


def test_the_interval_resamples_documents_and_is_seeded() -> None:
    human = ["positive", "negative", "neutral"] * 10
    machine = list(human)
    machine[:6] = ["neutral"] * 6
    one_document = assess_agreement(machine, human, [1] * 30)
    assert one_document.kappa_low is None, "one document: no between-document variation"
    assert one_document.provenance == "machine unvalidated"
    documents = [i // 3 for i in range(30)]
    first = assess_agreement(machine, human, documents, seed=5)
    assert first == assess_agreement(machine, human, documents, seed=5)
    assert first.kappa_low is not None and first.kappa_high is not None
    assert first.kappa_low <= first.kappa <= first.kappa_high  # type: ignore[operator]


def test_labels_needed_says_when_labels_cannot_help() -> None:
    assert labels_needed(5, None, None) == 15
    assert labels_needed(4, 0.0, None) == 16, "four labels say nothing about the method yet"
    assert labels_needed(19, 0.1, -0.3) == 1
    assert labels_needed(40, 0.3, 0.1) is None, "kappa below the bar: the method must change"
    assert labels_needed(40, 0.8, 0.6) == 0
    # half-width 0.3 must shrink to 0.2: n * (0.3 / 0.2) ** 2 = 90, so 50 more
    assert labels_needed(40, 0.6, 0.3) == 50


# --- the rule in stance report and the dashboard ------------------------------------------


def _fill(store: Store, units: dict[str, list[tuple[str, str | None]]]) -> None:
    """Per tool, units of (machine stance, human stance or None), three units a document."""
    with store.transaction() as connection:
        connection.execute(s.sources.insert().values(platform="t", url="u", native_id="n"))
        rows = []
        number = 0
        for tool, items in units.items():
            for i, (machine, human) in enumerate(items):
                if i % 3 == 0:
                    number += 1
                    document = connection.execute(
                        s.documents.insert().values(
                            guid=f"g{number}", platform="t", native_id=f"n{number}",
                            kind="post", text="x" * 10, text_sha256=f"{number:064d}",
                            status="active",
                        ).returning(s.documents.c.id)
                    ).scalar_one()  # fmt: skip
                segment = connection.execute(
                    s.segments.insert()
                    .values(document_id=document, start=i % 3, end=i % 3 + 1, kind="post")
                    .returning(s.segments.c.id)
                ).scalar_one()
                base = {"document_id": document, "segment_id": segment, "tool": tool,
                        "alias": tool, "start": i % 3, "end": i % 3 + 1}  # fmt: skip
                rows.append({**base, "origin": "model", "stance": machine})
                if human is not None:
                    rows.append({**base, "origin": "human", "stance": human})
        connection.execute(s.tool_mentions.insert(), rows)


def _agreeing(n: int, labelled: int) -> list[tuple[str, str | None]]:
    return [(STANCES[i % 3], STANCES[i % 3] if i < labelled else None) for i in range(n)]


def _disagreeing(n: int, labelled: int) -> list[tuple[str, str | None]]:
    """Machine right on every third labelled unit only: kappa near 0."""
    return [(STANCES[i % 3], STANCES[(i // 3 + i) % 3] if i < labelled else None) for i in range(n)]


def _verdicts(store: Store) -> dict[str, dict[str, object]]:
    return {r["tool"]: r for r in stance_aggregates(store, n_boot=200) if r["group"] == "all"}


def test_provenance_per_tool_in_every_case(store: Store) -> None:
    _fill(
        store,
        {
            "LANDR": _agreeing(45, labelled=30),  # validated
            "eMastered": _agreeing(30, labelled=0),  # no labels of its own
            "RoEx": _agreeing(30, labelled=10),  # few labels, perfect agreement
            "matchering": _disagreeing(60, labelled=45),  # many labels, low kappa
        },
    )
    rows = _verdicts(store)
    assert rows["LANDR"]["provenance"] == "machine validated"
    assert rows["LANDR"]["kappa_ci_low"] >= MIN_LOWER_BOUND  # type: ignore[operator]
    assert rows["eMastered"]["provenance"] == "machine unvalidated"
    assert rows["eMastered"]["n_validation"] == 0
    assert "only 0 units" in str(rows["eMastered"]["validation_flag"])
    assert rows["RoEx"]["provenance"] == "machine unvalidated"
    assert rows["RoEx"]["kappa_machine_human"] == pytest.approx(1.0)
    assert rows["matchering"]["provenance"] == "machine unvalidated"
    assert rows["matchering"]["n_validation"] == 45
    low_kappa = rows["matchering"]
    assert low_kappa["kappa_machine_human"] < MIN_LOWER_BOUND  # type: ignore[operator]
    assert low_kappa["kappa_ci_low"] is not None and low_kappa["kappa_ci_high"] is not None
    assert "below 0.4" in str(low_kappa["validation_flag"])
    board = _data.stance_provenance(store).set_index("service")
    for tool, row in rows.items():
        assert board.loc[tool, "provenance"] == row["provenance"], tool
        kappa = board.loc[tool, "kappa"]
        expected = row["kappa_machine_human"]
        assert (kappa != kappa and expected is None) or kappa == expected, tool


def test_a_study_without_any_labels_is_unvalidated_everywhere(store: Store) -> None:
    _fill(store, {"LANDR": _agreeing(30, labelled=0), "Ozone": _agreeing(30, labelled=0)})
    assert {r["provenance"] for r in _verdicts(store).values()} == {"machine unvalidated"}
    assert set(_data.stance_provenance(store)["provenance"]) == {"machine unvalidated"}


def test_stance_report_warns_with_kappa_and_interval(study: Study) -> None:
    with study.open_store() as store:
        _fill(
            store,
            {"LANDR": _agreeing(45, labelled=30), "matchering": _disagreeing(60, labelled=45)},
        )
    result = CliRunner().invoke(
        cli, ["--study", str(study.root), "code", "stance", "report", "--boot", "200", "--json"]
    )
    assert result.exit_code == 0, result.output
    assert "matchering" in result.stderr and "kappa" in result.stderr
    assert "LANDR" not in result.stderr


def test_groups_validate_flags_low_agreement(study: Study) -> None:
    with study.open_store() as store:
        with store.transaction() as connection:
            for i in range(3):
                connection.execute(s.participants.insert().values(pseudonym=f"p{i}"))
        for i in range(3):
            override_group(store, f"p{i}", "professional")
        overall = validate_group_rules(store)[-1]
    assert overall["by_rules"] == 0
    assert overall["flag"].startswith("only 0 units")
    result = CliRunner().invoke(cli, ["--study", str(study.root), "groups", "validate", "--json"])
    assert result.exit_code == 0, result.output
    assert "warning: group rules: only 0 units" in result.stderr


def test_the_curve_projection_solves_a_log_fit() -> None:
    # kappa = 0.2 + (0.1 / ln 2) * ln(n / 10): 0.2 at 10, 0.3 at 20, 0.4 at 40, 0.5 at 80
    curve = [(10, 0.2), (20, 0.3), (40, 0.4)]
    assert curve_labels_needed(curve, 40, target=0.5) == 40
    assert curve_labels_needed(curve, 40) == 0
    assert curve_labels_needed([(10, 0.3), (20, 0.3)], 20) is None, "a flat curve: no help"
    assert curve_labels_needed([(10, 0.3)], 10) is None


def test_stance_evaluate_flags_low_agreement_per_method(study: Study) -> None:
    from earwitness.code.assist import evaluate_stance
    from earwitness.code.assist._embeddings import Embedder, ModelSource
    from earwitness.code.assist._stance import Gazetteer, detect_stance, find_mentions, label_stance
    from tests.code import assist_synth as synth

    items = list(synth.posts(60, seed=11))
    with study.open_store() as store:
        segment_ids = synth.add_posts(store, items)
        find_mentions(store, Gazetteer())
        detect_stance(store)
        for post, sid in zip(items, segment_ids, strict=True):
            tool = {"Ozone": "iZotope Ozone", "smart:EQ": "Sonible smart:EQ"}.get(
                post.tool, post.tool
            )
            try:  # people disagree with the rules half the time: low agreement
                label_stance(store, sid, tool, "negative" if sid % 2 else post.stance, "ana")
            except EarwitnessError:
                continue
        embedder = Embedder(store, ModelSource("stand-in", "", "config"), encoder=_bag_of_words)
        rows = {r["method"]: r for r in evaluate_stance(store, embedder, folds=3)}
    rules = rows[RULES_MODEL_ID]
    assert rules["kappa"] < MIN_LOWER_BOUND
    assert "below 0.4" in rules["flag"] and rules["more_labels"] is None
    assert rules["kappa_ci_low"] <= rules["kappa"] <= rules["kappa_ci_high"]
    assert rows["always-neutral"]["flag"]
    assert set(rows["stand-in+target-logreg"]) >= {"more_labels_curve", "kappa_ci_low"}


def _bag_of_words(texts: list[str]) -> np.ndarray:
    vectors = np.zeros((len(texts), 64), dtype=np.float32)
    for i, text in enumerate(texts):
        for word in text.lower().split():
            vectors[i, sum(map(ord, word)) % 64] += 1.0
    return vectors


def test_the_vectorised_interval_equals_the_draw_by_draw_one() -> None:
    rng = np.random.default_rng(9)
    human = rng.choice(STANCES, 120).tolist()
    machine = [h if rng.random() < 0.6 else "neutral" for h in human]
    documents = [i // 4 for i in range(120)]
    fast = assess_agreement(machine, human, documents, n_boot=300, seed=2)
    slow = assess_agreement(
        machine, human, documents, n_boot=300, seed=2, statistic=lambda a, b: cohen_kappa(a, b)
    )
    assert (fast.kappa_low, fast.kappa_high) == (slow.kappa_low, slow.kappa_high)
