"""Blind preference of AI over human masters: one computation, every comparison counted once.

Hand-made rows check the rule (reversed pairs, ties, designs that cannot answer); a real
study, answered by hand through ``record_answer``, checks that ``listen report``, ``export
ratings`` (the command) and the dashboard's Listening and Sentiment × quality tables agree
with each other and with a count made here from the answers given.
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import pandas as pd
import pytest
import sqlalchemy as sa
from statsmodels.stats.proportion import proportion_confint

from earwitness.analysis import listening
from earwitness.analysis.listening import (
    create_test,
    new_session,
    preference_caveats,
    preference_rates,
    ratings_frame,
    record_answer,
)
from earwitness.dashboard import _data
from earwitness.dashboard._filters import Filters
from earwitness.store import schema as s
from tests.helpers import invoke_cli


def _row(**fields: Any) -> dict[str, Any]:
    base = {
        "test": "t",
        "design": "ab",
        "session": "s1",
        "participant": "p_1",
        "user_group": "amateur",
        "trial": 0,
        "song": "song",
        "version_label": None,
        "version_kind": None,
        "service": None,
        "role": "condition",
        "versus_label": None,
        "versus_kind": None,
        "versus_service": None,
        "score": None,
        "choice": None,
        "simulated": False,
        "excluded": False,
    }
    return {**base, **fields}


def _ab(trial: int, first: str, choice: str, **fields: Any) -> dict[str, Any]:
    """One A/B answer between ai:x (service X) and the human master; ``first`` is A."""
    ai = {"label": "ai:x", "kind": "ai", "service": "X"}
    human = {"label": "human", "kind": "human", "service": None}
    a, b = (ai, human) if first == "ai" else (human, ai)
    picked = {"A": a["label"], "B": b["label"], "none": "none"}[choice]
    return _row(
        trial=trial,
        version_label=a["label"],
        version_kind=a["kind"],
        service=a["service"],
        versus_label=b["label"],
        versus_kind=b["kind"],
        versus_service=b["service"],
        choice=picked,
        **fields,
    )


def _scores(design: str, trial: int, scores: dict[str, float], **fields: Any) -> list[dict]:
    """Multi-stimulus rows of one trial: role, label and score per stimulus."""
    rows = []
    for key, score in scores.items():
        role, label = key.split("/")
        kind = label.split(":")[0]
        service = "X" if label == "ai:x" else None
        rows.append(
            _row(
                design=design,
                trial=trial,
                version_label=label,
                version_kind=kind,
                service=service,
                role=role,
                score=score,
                **fields,
            )
        )
    return rows


# The issue's case: four A/B trials, two in each order. The old dashboard kept only the
# trials with the AI master as A and counted "no preference" as a loss (0 of 2 here).
ISSUE_AB = pd.DataFrame(
    [
        _ab(0, "ai", "A"),  # AI chosen
        _ab(1, "human", "A"),  # human chosen, human was A
        _ab(2, "ai", "none"),  # tie
        _ab(3, "human", "B"),  # AI chosen, AI was B
    ]
)


def test_ab_counts_every_trial_once_whatever_the_order_and_ties_apart() -> None:
    (row,) = preference_rates(ISSUE_AB, ["service"]).to_dict("records")
    assert row["service"] == "X"
    assert (row["ai_preferred"], row["human_preferred"], row["ties"]) == (2, 1, 1)
    assert (row["comparisons"], row["decided"]) == (4, 3)
    assert row["rate"] == pytest.approx(2 / 3)


def test_the_dashboard_counts_the_issues_case_like_the_report() -> None:
    (row,) = _data.preference_rates(ISSUE_AB).to_dict("records")
    assert (row["ai_preferred"], row["human_preferred"], row["ties"]) == (2, 1, 1)
    assert row["rate"] == pytest.approx(2 / 3)


def test_wilson_interval_matches_newcombes_published_values() -> None:
    # Newcombe (1998), Statistics in Medicine 17:857-872, Table I, method 3 (score)
    published = {
        (81, 263): (0.2553, 0.3662),
        (15, 148): (0.0624, 0.1605),
        (0, 20): (0.0, 0.1611),
        (1, 29): (0.0061, 0.1718),
    }
    for (k, n), (low, high) in published.items():
        assert listening.wilson_interval(k, n) == pytest.approx((low, high), abs=5e-5)
    for k, n in ((0, 1), (1, 2), (2, 3), (5, 5)):  # small n: an honest, wide interval
        expected = proportion_confint(k, n, alpha=0.05, method="wilson")
        assert listening.wilson_interval(k, n) == pytest.approx(expected)
    low, high = listening.wilson_interval(2, 2)
    assert high - low > 0.3


def test_mushra_noref_compares_scores_in_the_same_trial_with_ties_apart() -> None:
    rows = pd.DataFrame(
        _scores("mushra-noref", 0, {"condition/human": 80, "condition/ai:x": 90})
        + _scores("mushra-noref", 1, {"condition/human": 70, "condition/ai:x": 70})
        + _scores("mushra-noref", 2, {"condition/human": 90, "condition/ai:x": 60})
        + _scores("mushra-noref", 3, {"condition/human": 100, "condition/ai:x": 100})
    )
    (row,) = preference_rates(rows, ["service"]).to_dict("records")
    assert (row["ai_preferred"], row["human_preferred"], row["ties"]) == (1, 1, 2)
    assert row["rate"] == pytest.approx(0.5) and preference_caveats(rows) == {}


def test_mushra_with_the_human_master_as_reference_gives_no_preference() -> None:
    rows = pd.DataFrame(
        _scores(
            "mushra",
            0,
            {"hidden_reference/human": 100, "condition/ai:x": 100, "anchor35/human": 20},
        )
        + _scores(
            "mushra", 1, {"hidden_reference/human": 95, "condition/ai:x": 99, "anchor35/human": 20}
        )
    )
    assert preference_rates(rows).empty
    assert "human master as reference" in preference_caveats(rows)["t"]
    assert _data.preference_rates(rows).empty


def test_mushra_with_the_mix_as_reference_compares_the_human_master_as_a_condition() -> None:
    rows = pd.DataFrame(
        _scores(
            "mushra",
            0,
            {
                "hidden_reference/mix": 100,
                "condition/human": 60,
                "condition/ai:x": 70,
                "anchor35/mix": 20,
            },
        )
        + _scores(
            "mushra",
            0,
            {
                "hidden_reference/mix": 100,
                "condition/human": 80,
                "condition/ai:x": 40,
                "anchor35/mix": 20,
            },
            session="s2",
            excluded=True,
        )  # post-screened: left out
    )
    (row,) = preference_rates(rows, ["service"]).to_dict("records")
    assert (row["ai_preferred"], row["human_preferred"], row["ties"]) == (1, 0, 0)
    assert preference_caveats(rows) == {}


# --- one study, answered by hand; every reader agrees -------------------------------------


def _labels(store: Any, test: str) -> dict[int, str]:
    st, v, it, t = s.listening_stimuli, s.song_versions, s.listening_items, s.listening_tests
    with store.connect() as connection:
        rows = connection.execute(
            sa.select(st.c.id, v.c.label)
            .select_from(st.join(v, st.c.version_id == v.c.id).join(it).join(t))
            .where(t.c.name == test)
        ).all()
    return {int(i): str(label) for i, label in rows}


def _plan(store: Any, token: str) -> list[dict[str, Any]]:
    se = s.listening_sessions
    with store.connect() as connection:
        plan = connection.scalar(sa.select(se.c.plan).where(se.c.token == token))
    return list(plan["trials"])


def _answer_ab(store: Any, test: str, group: str, rule: Any) -> list[tuple[str, str, str]]:
    """One session answered by ``rule(a_label, b_label, trial)`` -> A, B or none; the
    (ai label, human-or-other label, outcome) of every trial, counted here by hand."""
    labels = _labels(store, test)
    token = new_session(store, None, test, group=group)
    given = []
    for position, trial in enumerate(_plan(store, token)):
        a, b = (labels[slot["stimulus"]] for slot in trial["slots"])
        choice = rule(a, b, position)
        record_answer(store, token, {"trial": position, "choice": choice})
        ai = a if a.startswith("ai:") else b
        picked = {"A": a, "B": b}.get(choice)
        given.append((ai, "tie" if picked is None else ("ai" if picked == ai else "human")))
    return given


def _hand_count(given: list[tuple[str, str]]) -> dict[str, dict[str, int]]:
    counts: dict[str, dict[str, int]] = {}
    for ai, outcome in given:
        cell = counts.setdefault(ai, {"ai": 0, "human": 0, "tie": 0})
        cell[outcome] += 1
    return counts


def _readers_agree(study: Any, store: Any, test: str, expected: dict[str, dict[str, int]]) -> None:
    """listen report (JSON), export ratings (CSV, the command) and the dashboard's Listening
    and Sentiment × quality tables all give ``expected`` (by ai label -> service)."""
    service = {"ai:landr": "LANDR", "ai:ozone": "ozone"}
    want = {service[k]: (v["ai"], v["human"], v["tie"]) for k, v in expected.items()}
    report = json.loads(
        invoke_cli("--study", str(study.root), "listen", "report", test, "--json").stdout
    )
    got = {
        r["service"]: (r["ai_preferred"], r["human_preferred"], r["ties"])
        for r in report["preference"]["by_service"]
    }
    assert got == want
    out = study.root / "ratings.csv"
    done = invoke_cli("--study", str(study.root), "export", "ratings", "--out", str(out))
    assert done.code == 0, done.stderr
    text = out.read_text()
    with store.connect() as connection:
        tokens = connection.scalars(sa.select(s.listening_sessions.c.token)).all()
    assert tokens and not [t for t in tokens if t in text]  # a token is a participant's access
    rows = [r for r in csv.DictReader(io.StringIO(text)) if r["test"] == test]
    assert {r["session"][:2] for r in rows} == {"S-"}
    exported: dict[str, list[int]] = {}
    for r in rows:
        if r["preference"] and r["excluded"] != "True":
            cell = exported.setdefault(r["preference_service"], [0, 0, 0])
            cell[["ai", "human", "tie"].index(r["preference"])] += 1
    assert {k: tuple(v) for k, v in exported.items()} == want
    frame = ratings_frame(store, test)
    page = (
        _data.preference_rates(frame)
        .groupby("service")[["ai_preferred", "human_preferred", "ties"]]
        .sum()
    )
    assert {k: tuple(int(x) for x in v) for k, v in page.iterrows()} == want
    sq = _data.sentiment_quality(store, Filters(), "preference").set_index(
        ["service", "user_group"]
    )
    for row in report["preference"]["by_service_group"]:
        if row["service"] in sq.index.get_level_values(0):  # known services only
            key = (row["service"], row["user_group"])
            for mine, theirs in (("quality", "rate"), ("quality_ci_low", "ci_low")):
                if row[theirs] is None:  # ties only: no rate (JSON null), NaN on the page
                    assert pd.isna(sq.loc[key, mine])
                else:
                    assert sq.loc[key, mine] == pytest.approx(row[theirs])


def test_ab_study_report_export_and_dashboard_agree_with_a_hand_count(audio_study) -> None:
    study, store = audio_study
    create_test(store, study, "ab", "ab", reference="human", start=2.0)

    def prefers_a(a: str, b: str, trial: int) -> str:  # always A: AI and human alike
        return "A"

    def ties_landr(a: str, b: str, trial: int) -> str:
        if "ai:landr" in (a, b):
            return "none"
        return "A" if a == "ai:ozone" else "B"

    given = _answer_ab(store, "ab", "amateur", prefers_a)
    given += _answer_ab(store, "ab", "professional", ties_landr)
    expected = _hand_count(given)
    # reversed pairs: "always A" is one AI and one human win per pair, so a rule that
    # kept only AI-as-A trials would see wins alone
    assert expected["ai:landr"] == {"ai": 1, "human": 1, "tie": 2}
    assert expected["ai:ozone"] == {"ai": 3, "human": 1, "tie": 0}
    _readers_agree(study, store, "ab", expected)


def test_mushra_noref_study_report_export_and_dashboard_agree(audio_study) -> None:
    study, store = audio_study
    create_test(store, study, "noref", "mushra-noref", reference="human", start=2.0)
    labels = _labels(store, "noref")
    scores = {"human": 70.0, "ai:landr": 70.0, "ai:ozone": 80.0}
    expected: dict[str, dict[str, int]] = {}
    for group, human in (("amateur", 70.0), ("pro-am", 90.0)):
        token = new_session(store, None, "noref", group=group)
        for position, trial in enumerate(_plan(store, token)):
            given = {
                slot["token"]: {**scores, "human": human}[labels[slot["stimulus"]]]
                for slot in trial["slots"]
            }
            record_answer(store, token, {"trial": position, "ratings": given})
        for ai in ("ai:landr", "ai:ozone"):
            score = scores[ai]
            outcome = "ai" if score > human else ("human" if score < human else "tie")
            cell = expected.setdefault(ai, {"ai": 0, "human": 0, "tie": 0})
            cell[outcome] += 1
    assert expected == {
        "ai:landr": {"ai": 0, "human": 1, "tie": 1},
        "ai:ozone": {"ai": 1, "human": 1, "tie": 0},
    }
    _readers_agree(study, store, "noref", expected)


def test_create_warns_that_mushra_with_the_human_reference_gives_no_preference(
    audio_study,
) -> None:
    study, store = audio_study
    base = ["--study", str(study.root), "listen", "create"]
    warned = invoke_cli(*base, "ref", "--design", "mushra", "--reference", "human", "--start", "2")
    assert warned.code == 0 and "cannot say whether AI or human" in warned.stderr
    fine = invoke_cli(
        *base, "nr", "--design", "mushra-noref", "--reference", "human", "--start", "2"
    )
    assert fine.code == 0 and "Warning" not in fine.stderr
    report = listening.listening_report(store, "ref")
    assert report["preference"]["caveat"] and report["preference"]["by_service"] == []


def test_exports_name_services_as_the_dashboard_does_so_joins_by_service_work(
    audio_study,
) -> None:
    study, store = audio_study
    root = ["--study", str(study.root)]
    assert invoke_cli(*root, "audio", "measure").code == 0
    create_test(store, study, "ab", "ab", reference="human", start=2.0)
    listening.simulate_listeners(store, "ab", 3, seed=1)
    tables = {}
    for kind in ("ratings", "metrics"):
        out = study.root / f"{kind}.csv"
        assert invoke_cli(*root, "export", kind, "--out", str(out)).code == 0
        tables[kind] = pd.read_csv(out)
    services = _data.services_frame(store)[["service", "fictional"]]
    masters = _data.master_metrics(store, Filters())
    for kind, table in tables.items():
        ai = table[table["version" if kind == "metrics" else "version_label"].str[:3] == "ai:"]
        # ai:landr is the built-in LANDR; ai:ozone matches no service and stays as written
        assert set(ai["service"]) == {"LANDR", "ozone"}, kind
        joined = ai.merge(services, on="service")
        assert (
            set(joined["service"]) == {"LANDR"} and len(joined) == (ai["service"] == "LANDR").sum()
        )
        assert set(ai["service"]) == set(masters["service"].dropna())
    prefs = tables["ratings"].dropna(subset=["preference_service"])
    page = _data.preference_rates(ratings_frame(store, "ab"))
    assert set(prefs["preference_service"]) == set(page["service"]) == {"LANDR", "ozone"}


def test_report_export_and_dashboard_agree_on_postgresql(pg_url, tmp_path, versions_dir) -> None:
    from earwitness.analysis.metrics._study import add_file, parse_version
    from earwitness.study import init_study

    study = init_study(tmp_path / "pg", db_url=pg_url)
    with study.open_store() as store:
        for label, name in (("human", "human.wav"), ("ai:landr", "landr.wav")):
            add_file(store, study, "vibe", parse_version(label), versions_dir / name)
        create_test(store, study, "ab", "ab", reference="human", start=2.0, excerpt_s=3.0)
        given = _answer_ab(store, "ab", "pro-am", lambda a, b, trial: "A")
        given += _answer_ab(store, "ab", "pro-am", lambda a, b, trial: "none")
        expected = _hand_count(given)
        assert expected == {"ai:landr": {"ai": 1, "human": 1, "tie": 2}}
        _readers_agree(study, store, "ab", expected)
