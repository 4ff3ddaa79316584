"""The public API the dashboard codes against, with simulated listeners."""

from __future__ import annotations

import pandas as pd
import pytest
import sqlalchemy as sa

from earwitness.analysis import listening
from earwitness.analysis.listening import (
    FRAME_COLUMNS,
    create_test,
    list_tests,
    listening_report,
    ratings_frame,
    screening_report,
    simulate_listeners,
)
from earwitness.store import schema as s

CONTRACT = [
    "create_test",
    "list_tests",
    "simulate_listeners",
    "ratings_frame",
    "screening_report",
    "listening_report",
]
COLUMNS = [
    "test",
    "design",
    "session",
    "participant",
    "user_group",
    "trial",
    "song",
    "version_label",
    "service",
    "role",
    "score",
    "choice",
    "answered_at",
    "simulated",
    "excluded",
    "exclusion_rule",
]


def test_the_contract_names_are_public() -> None:
    assert set(CONTRACT) <= set(listening.__all__)
    assert set(COLUMNS) <= set(FRAME_COLUMNS)


def test_simulated_listeners_are_flagged_grouped_and_reproducible(audio_study) -> None:
    study, store = audio_study
    create_test(store, study, "sim", "mushra", reference="human", start=2.0)
    written = simulate_listeners(store, "sim", 9, seed=4)
    assert written == 9 * 5
    frame = ratings_frame(store, "sim")
    assert list(frame.columns[: len(COLUMNS)]) != [] and set(COLUMNS) <= set(frame.columns)
    assert frame["simulated"].all() and len(frame) == 45
    assert set(frame["user_group"]) == {"amateur", "pro-am", "professional"}
    assert frame.groupby("session")["user_group"].nunique().max() == 1
    # a label the study's services know gives the canonical name (ai:landr is LANDR's);
    # one they do not (ai:ozone, until `services label` adds it) stays as written
    assert set(frame.loc[frame["role"] == "condition", "service"]) == {"LANDR", "ozone"}
    assert frame.loc[frame["role"] != "condition", "service"].isna().all()
    with store.connect() as connection:
        flags = connection.execute(
            sa.select(s.listening_sessions.c.simulated, s.listening_events.c.simulated).select_from(
                s.listening_events.join(s.listening_sessions)
            )
        ).all()
        kinds = set(connection.scalars(sa.select(s.participants.c.kind)).all())
    assert flags and all(a and b for a, b in flags) and kinds == {"listener"}
    kept = frame[~frame["excluded"]]
    means = kept.groupby("role")["score"].mean()
    assert means["hidden_reference"] > means["anchor35"]
    model = listening_report(store, "sim")["mixed_model"]
    assert model["fitted"] and model["groups"] == 3
    assert any("C(group)" in term["term"] for term in model["fixed_effects"])
    assert model["formula"].endswith("(1|listener)")  # one song: no item effect to fit
    # same seed, same scores: a second test built the same way gets the same answers
    create_test(store, study, "sim2", "mushra", reference="human", start=2.0)
    simulate_listeners(store, "sim2", 9, seed=4)
    again = ratings_frame(store, "sim2")
    key = ["role", "version_label"]
    pd.testing.assert_series_equal(
        frame.groupby(key)["score"].sum(), again.groupby(key)["score"].sum()
    )


def test_list_screening_report_and_export(audio_study) -> None:
    study, store = audio_study
    create_test(store, study, "pref", "ab", reference="human", start=2.0)
    simulate_listeners(store, "pref", 6, seed=1, groups=["professional"])
    (row,) = list_tests(store)
    assert (row["name"], row["design"], row["sessions"], row["completed"], row["simulated"]) == (
        "pref",
        "ab",
        6,
        6,
        6,
    )
    frame = ratings_frame(store, "pref")
    assert len(frame) == 6 * 4 and frame["score"].isna().all()
    assert set(frame["choice"]) <= {"human", "ai:landr", "ai:ozone", "none"}
    report = listening_report(store, "pref")
    assert {p["a"] for p in report["pairs"]} <= {"ai:landr", "ai:ozone", "human"}
    assert report["consistency"]["pairs_seen_twice"] == 6 * 2
    assert report["bradley_terry"]["fitted"]
    screening = screening_report(store, "pref")
    assert len(screening["assessors"]) == 6 and screening["excluded"] == []
    export = listening.ratings_export(store)
    assert len(export) == len(frame)
    assert export["simulated"].all()
    # every A/B answer pairs two of the three versions; those with the human master carry
    # the outcome, the AI-versus-AI pairs do not
    with_human = (export["version_label"] == "human") | (export["versus_label"] == "human")
    assert export.loc[with_human, "preference"].isin(["ai", "human", "tie"]).all()
    assert export.loc[~with_human, "preference"].isna().all()
    assert set(export.loc[with_human, "preference_service"]) == {"LANDR", "ozone"}
    for column in (
        "test",
        "session",
        "participant",
        "user_group",
        "trial",
        "song",
        "version_label",
        "choice",
        "answered_at",
        "simulated",
    ):
        assert column in export.columns


def test_behavioural_screen_flags_a_session_that_never_played(audio_study) -> None:
    from earwitness.analysis.listening import new_session, record_answer

    study, store = audio_study
    create_test(store, study, "beh", "mushra-noref", conditions=["*"], start=2.0)
    token = new_session(store, study, "beh", group="amateur")
    with store.connect() as connection:
        plan = connection.scalar(
            sa.select(s.listening_sessions.c.plan).where(s.listening_sessions.c.token == token)
        )
    slots = plan["trials"][0]["slots"]
    record_answer(store, token, {"trial": 0, "ratings": {x["token"]: 50 for x in slots}})
    (entry,) = screening_report(store, "beh")["assessors"]
    assert entry["flagged"] and entry["trials_with_unplayed_stimulus"] == [0]
    assert entry["trials_listened_shorter_than_excerpt"] == [0]
    assert not entry["excluded"]  # reported, never applied


def test_a_session_can_be_tied_to_a_study_participant(audio_study) -> None:
    from earwitness.analysis.listening import new_session, record_answer
    from earwitness.errors import BadInputError
    from earwitness.store import ensure_participant, set_user_group

    study, store = audio_study
    create_test(store, study, "tied", "abx", reference="human", start=2.0)
    with store.transaction() as connection:
        pid = ensure_participant(connection, "p_0123456789")
        set_user_group(connection, pid, "pro-am", method="coded")
    token = new_session(store, study, "tied", participant="p_0123456789")
    record_answer(store, token, {"trial": 0, "choice": "A"})
    frame = ratings_frame(store, "tied")
    assert frame["participant"].tolist() == ["p_0123456789"]
    assert frame["user_group"].tolist() == ["pro-am"] and not frame["simulated"].any()
    with pytest.raises(BadInputError, match="no study participant"):
        new_session(store, study, "tied", participant="p_nobody")


def test_simulated_sessions_can_be_tied_to_survey_respondents(audio_study) -> None:
    study, store = audio_study
    with store.transaction() as connection:
        connection.execute(
            s.participants.insert(),
            [
                {"pseudonym": f"p_resp{i}", "kind": "respondent", "user_group": "professional"}
                for i in range(3)
            ],
        )
    create_test(store, study, "tied", "mushra", reference="human", start=2.0)
    simulate_listeners(store, "tied", 5, seed=2, respondents=2)
    frame = ratings_frame(store, "tied")
    per_session = frame.groupby("session")[["participant", "user_group"]].first()
    tied = per_session[per_session["participant"].str.startswith("p_resp")]
    assert len(per_session) == 5 and len(tied) == 2
    assert set(tied["user_group"]) == {"professional"} and frame["simulated"].all()
