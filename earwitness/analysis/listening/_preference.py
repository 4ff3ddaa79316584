"""Blind preference of AI masters over the human master: the one computation behind
``listen report``, ``export ratings`` and the dashboard.

A comparison counts only where the listener judged the AI master and the human master on
equal footing, in the same trial:

* ``ab``: a pair of an AI master and the human master, in either order; the choice of
  either is a win for it, "no preference" is a tie;
* ``mushra-noref``, and ``mushra`` whose reference is not the human master (e.g. the
  unmastered mix): both rated as conditions; the higher score wins, equal scores tie.

``mushra`` with the human master as its (hidden) reference cannot answer "AI or human,
which is better?": the reference is by definition the best version, post-screening drops
listeners who rate it below 90, and a tie at 100 goes to it. Its trials give no
comparison; :func:`preference_caveats` names such tests so reports and pages can say so.
``abx`` asks whether listeners hear a difference, not which they prefer.

The rate leaves ties out: AI preferred / (AI preferred + human preferred), with the
Wilson score interval on that denominator (Wilson 1927; recommended for small n by
Brown, Cai & DasGupta 2001, Statistical Science 16(2):101-133). Ties are counted
separately, and every comparison counts once whatever the presentation order.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

from earwitness.intervals import wilson_interval

__all__ = [
    "PREFERENCE_RATE_RULE",
    "PREFERENCE_TRIAL_COLUMNS",
    "preference_caveats",
    "preference_rates",
    "preference_trials",
    "wilson_interval",
]

PREFERENCE_RATE_RULE = (
    "rate = AI preferred / (AI preferred + human preferred); ties (no preference, equal "
    "scores) are left out of the rate and counted separately; Wilson 95 % interval"
)
HUMAN_REFERENCE_CAVEAT = (
    "MUSHRA with the human master as reference cannot say whether AI or human masters are "
    "better (the reference is by definition the best, post-screening drops listeners who "
    "rate it below 90, ties go to it): this test is left out of blind preference over human; "
    "use mushra-noref, ab, or mushra with the unmastered mix as reference"
)
PREFERENCE_TRIAL_COLUMNS = [
    "test",
    "design",
    "session",
    "participant",
    "user_group",
    "trial",
    "song",
    "service",
    "ai_version",
    "human_version",
    "outcome",
    "simulated",
]
RATE_COLUMNS = [
    "ai_preferred",
    "human_preferred",
    "ties",
    "comparisons",
    "decided",
    "rate",
    "ci_low",
    "ci_high",
    "simulated",
]


def _kept(ratings: pd.DataFrame) -> pd.DataFrame:
    if ratings.empty or "excluded" not in ratings:
        return ratings
    return ratings[~ratings["excluded"].fillna(False).astype(bool)]


def _ab(rows: pd.DataFrame) -> pd.DataFrame:
    """A/B rows that pair an AI master with the human master, whichever was A."""
    first_ai = rows["version_kind"].eq("ai") & rows["versus_kind"].eq("human")
    first_human = rows["version_kind"].eq("human") & rows["versus_kind"].eq("ai")
    pairs = rows[first_ai | first_human]
    ai = pairs["version_label"].where(first_ai[pairs.index], pairs["versus_label"])
    human = pairs["versus_label"].where(first_ai[pairs.index], pairs["version_label"])
    outcome = np.select(
        [pairs["choice"].eq(ai), pairs["choice"].eq(human), pairs["choice"].eq("none")],
        ["ai", "human", "tie"],
        default="",
    )
    service = pairs["service"].where(first_ai[pairs.index], pairs["versus_service"])
    out = pairs.assign(service=service, ai_version=ai, human_version=human, outcome=outcome)
    return out[out["outcome"] != ""]


def _scored(rows: pd.DataFrame) -> pd.DataFrame:
    """Multi-stimulus rows: each AI master's score against the human master's score in the
    same trial, where the human master was rated as a condition (not as the reference)."""
    rated = rows[rows["role"].eq("condition") & rows["score"].notna()]
    ai = rated[rated["version_kind"].eq("ai")]
    human = rated[rated["version_kind"].eq("human")][
        ["test", "session", "trial", "version_label", "score"]
    ].rename(columns={"version_label": "human_version", "score": "human_score"})
    if ai.empty or human.empty:
        return ai.iloc[:0].assign(ai_version=[], human_version=[], outcome=[])
    paired = ai.reset_index(names="_row").merge(human, on=["test", "session", "trial"])
    paired = paired.set_index("_row").rename_axis(None)
    score, other = paired["score"].astype(float), paired["human_score"].astype(float)
    outcome = np.where(score > other, "ai", np.where(score < other, "human", "tie"))
    return paired.assign(ai_version=paired["version_label"], outcome=outcome)


def preference_trials(ratings: pd.DataFrame) -> pd.DataFrame:
    """One row per blind comparison of an AI master with the human master (outcome
    ``ai``, ``human`` or ``tie``), indexed like the answer row of ``ratings`` (a
    ``ratings_frame``) that holds it: the pair's row in ``ab``, the AI master's rating in
    the multi-stimulus designs. Post-screened sessions are left out."""
    kept = _kept(ratings)
    if kept.empty:
        return pd.DataFrame(columns=PREFERENCE_TRIAL_COLUMNS)
    parts = [_ab(kept[kept["design"] == "ab"])]
    parts.append(_scored(kept[kept["design"].isin(("mushra", "mushra-noref"))]))
    parts = [p for p in parts if len(p)]
    if not parts:
        return pd.DataFrame(columns=PREFERENCE_TRIAL_COLUMNS)
    return pd.concat(parts).reindex(columns=PREFERENCE_TRIAL_COLUMNS)


def preference_rates(
    ratings: pd.DataFrame, by: Sequence[str] = ("service", "user_group")
) -> pd.DataFrame:
    """Per group of ``by``: AI and human preferred, ties, comparisons, the rate without
    ties and its Wilson 95 % interval (see :data:`PREFERENCE_RATE_RULE`), and whether any
    of the answers was simulated."""
    trials = preference_trials(ratings)
    keys = list(by)
    if trials.empty:
        return pd.DataFrame(columns=[*keys, *RATE_COLUMNS])
    rows = []
    for key, cell in trials.groupby(keys, sort=True, dropna=False):
        values = key if isinstance(key, tuple) else (key,)
        ai, human = int((cell["outcome"] == "ai").sum()), int((cell["outcome"] == "human").sum())
        ties, decided = int((cell["outcome"] == "tie").sum()), ai + human
        low, high = wilson_interval(ai, decided)
        rate = ai / decided if decided else math.nan
        simulated = bool(cell["simulated"].astype(bool).any())
        rows.append([*values, ai, human, ties, len(cell), decided, rate, low, high, simulated])
    return pd.DataFrame(rows, columns=[*keys, *RATE_COLUMNS])


def preference_caveats(ratings: pd.DataFrame) -> dict[str, str]:
    """Tests in ``ratings`` that cannot feed blind preference over human, with why."""
    if ratings.empty:
        return {}
    hidden = ratings[ratings["role"].eq("hidden_reference") & ratings["design"].eq("mushra")]
    human_ref = sorted(set(hidden.loc[hidden["version_kind"].eq("human"), "test"]))
    return {str(test): HUMAN_REFERENCE_CAVEAT for test in human_ref}
