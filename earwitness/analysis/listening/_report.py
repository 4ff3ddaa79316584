"""The reports behind ``earwitness listen report``: screening, then statistics."""

from __future__ import annotations

from typing import Any

import pandas as pd
import sqlalchemy as sa

from earwitness.analysis.listening import _stats as st
from earwitness.analysis.listening._frame import answers_frame, events_frame
from earwitness.analysis.listening._preference import (
    HUMAN_REFERENCE_CAVEAT,
    PREFERENCE_RATE_RULE,
    preference_caveats,
    preference_rates,
)
from earwitness.analysis.listening._screening import behavioural_flags, post_screening
from earwitness.errors import BadInputError
from earwitness.store import Store
from earwitness.store import schema as s

__all__ = ["listening_report", "ratings_frame", "screening_report"]

ROLE_NAMES = {
    "hidden_reference": "hidden reference",
    "anchor35": "anchor 3.5 kHz",
    "anchor70": "anchor 7 kHz",
}


def _test(store: Store, test: str) -> tuple[str, dict[str, Any]]:
    with store.connect() as connection:
        row = connection.execute(
            sa.select(s.listening_tests.c.design, s.listening_tests.c.config).where(
                s.listening_tests.c.name == test
            )
        ).first()
    if row is None:
        raise BadInputError(f"no listening test named {test!r}", field="TEST")
    return str(row[0]), dict(row[1])


def _plans(store: Store, test: str) -> dict[str, dict[str, Any]]:
    se, t = s.listening_sessions, s.listening_tests
    with store.connect() as connection:
        rows = connection.execute(
            sa.select(se.c.token, se.c.plan, se.c.progress)
            .select_from(se.join(t, se.c.test_id == t.c.id))
            .where(t.c.name == test)
        ).all()
    return {token: {"trials": plan["trials"][:progress]} for token, plan, progress in rows}


def screening_report(store: Store, test: str) -> dict[str, Any]:
    """BS.1534-3 post-screening per assessor (MUSHRA only) and behavioural flags."""
    design, config = _test(store, test)
    frame = answers_frame(store, test)
    screening = post_screening(frame) if design == "mushra" else {}
    flags = behavioural_flags(
        events_frame(store, test), _plans(store, test), float(config.get("excerpt_s", 10.0))
    )
    assessors = []
    for session in sorted(set(frame["session"]) | set(flags)):
        rows = frame[frame["session"] == session]
        entry = {
            "session": session,
            "participant": rows["participant"].iloc[0] if len(rows) else None,
            "simulated": bool(rows["simulated"].any()) if len(rows) else False,
            **{k: v for k, v in screening.get(session, {}).items() if k != "participant"},
            **flags.get(session, {}),
        }
        entry.setdefault("excluded", False)
        entry.setdefault("rule", None)
        assessors.append(entry)
    return {
        "test": test,
        "design": design,
        "rules": "BS.1534-3 §4.1.2 post-screening: hidden reference < 90 on > 15 % of items; "
        "mid anchor > 90 on > 15 % of items, items where > 25 % of assessors do so "
        "exempt"
        if design == "mushra"
        else "no post-screening for this design",
        "assessors": assessors,
        "excluded": [a["session"] for a in assessors if a["excluded"]],
        "behaviour_flagged": [a["session"] for a in assessors if a.get("flagged")],
    }


def ratings_frame(store: Store, test: str | None = None) -> pd.DataFrame:
    """One row per answer, with the BS.1534-3 post-screening applied as columns."""
    frame = answers_frame(store, test)
    for name in frame["test"].unique():
        if frame.loc[frame["test"] == name, "design"].iloc[0] != "mushra":
            continue
        mine = frame["test"] == name
        for session, result in post_screening(frame[mine]).items():
            if result["excluded"]:
                at = mine & (frame["session"] == session)
                frame.loc[at, "excluded"] = True
                frame.loc[at, "exclusion_rule"] = result["rule"]
    frame["excluded"] = frame["excluded"].astype(bool)
    return frame


def _condition(frame: pd.DataFrame) -> pd.Series:
    return pd.Series(
        [
            ROLE_NAMES.get(r, label)
            for r, label in zip(frame["role"], frame["version_label"], strict=True)
        ],
        index=frame.index,
    )


def listening_report(store: Store, test: str, *, seed: int = 0) -> dict[str, Any]:
    """Screening, then the statistics of the design, on the retained assessors."""
    design, config = _test(store, test)
    frame = ratings_frame(store, test)
    screening = screening_report(store, test)
    kept = frame[~frame["excluded"]]
    report: dict[str, Any] = {
        "test": test,
        "design": design,
        "target_lufs": config.get("target_lufs"),
        "sessions": int(frame["session"].nunique()),
        "answers": len(frame),
        "simulated_answers": int(frame["simulated"].sum()),
        "excluded_sessions": screening["excluded"],
        "screening": screening,
    }
    if design in ("mushra", "mushra-noref"):
        kept = kept.assign(condition=_condition(kept))
        report["by_condition"] = st.describe(kept, ["condition"], seed=seed)
        report["by_condition_item"] = st.describe(kept, ["condition", "song"], seed=seed)
        report["by_condition_group"] = st.describe(kept, ["condition", "user_group"], seed=seed)
        report["tests"] = st.friedman_wilcoxon(kept, "condition", seed=seed)
        report["mixed_model"] = st.mixed_model(kept[kept["role"] == "condition"], "condition")
    elif design == "ab":
        report["pairs"] = st.binomial_pairs(kept)
        report["bradley_terry"] = st.bradley_terry(kept)
        report["by_group"] = {
            str(g): st.binomial_pairs(rows) for g, rows in kept.groupby("user_group")
        }
        report["consistency"] = _ab_consistency(kept)
    else:
        report["listeners"] = st.abx_by_listener(kept)
    if design != "abx":
        human_reference = design == "mushra" and "human" in _reference_kinds(store, test)
        caveat = HUMAN_REFERENCE_CAVEAT if human_reference else None
        report["preference"] = preference_section(frame, test, caveat)
    return report


def _reference_kinds(store: Store, test: str) -> set[str]:
    """The kinds (mix, human, ai) of the versions a test uses as its reference."""
    st, it, t, v = s.listening_stimuli, s.listening_items, s.listening_tests, s.song_versions
    with store.connect() as connection:
        return set(
            connection.scalars(
                sa.select(v.c.kind)
                .select_from(st.join(it).join(t).join(v, st.c.version_id == v.c.id))
                .where(t.c.name == test, st.c.role == "reference")
                .distinct()
            )
        )


def preference_section(frame: pd.DataFrame, test: str, caveat: str | None = None) -> dict[str, Any]:
    """Blind preference over the human master, per service and per service × group."""

    def rows(by: list[str]) -> list[dict[str, Any]]:
        return [
            {str(k): (None if isinstance(v, float) and v != v else v) for k, v in row.items()}
            for row in preference_rates(frame, by).to_dict("records")
        ]

    return {
        "rule": PREFERENCE_RATE_RULE,
        "caveat": caveat or preference_caveats(frame).get(test),
        "by_service": rows(["service"]),
        "by_service_group": rows(["service", "user_group"]),
    }


def _ab_consistency(frame: pd.DataFrame) -> dict[str, Any]:
    """Share of pairs on which a listener chose the same version in both orders."""
    keyed = frame.assign(
        pair=[
            "\x1f".join(sorted((str(a), str(b))))
            for a, b in zip(frame["version_label"], frame["versus_label"], strict=True)
        ],
        item=frame["song"],
    )
    agree = total = 0
    for _, group in keyed.groupby(["session", "item", "pair"]):
        if len(group) == 2:
            total += 1
            agree += int(group["choice"].iloc[0] == group["choice"].iloc[1])
    return {
        "pairs_seen_twice": total,
        "consistent": agree,
        "share": agree / total if total else None,
    }
