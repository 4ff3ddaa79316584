"""Screening assessors: ITU-R BS.1534-3 post-screening, and a behavioural screen.

Post-screening (BS.1534-3 §4.1.2, for tests with a hidden reference and a mid-range
anchor): an assessor is excluded

* ``hidden_reference``: who rates the hidden reference below 90 on more than 15 % of
  the items they rated, or
* ``mid_anchor``: who rates the mid-range anchor (7 kHz) above 90 on more than 15 % of
  the items they rated, not counting items on which more than 25 % of all assessors
  rate it above 90 (there the anchor is not a reliable impairment).

"More than 15 %" is strict: one slip in ten items (10 %) never excludes, two (20 %) do.
The behavioural screen flags, from the event log, sessions in which a stimulus of a
trial was never played, or whose listening time in a trial was shorter than the
excerpt. It is reported, never applied silently.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

__all__ = [
    "ANCHOR_ITEM_SHARE",
    "ITEM_SHARE",
    "THRESHOLD",
    "behavioural_flags",
    "post_screening",
]

THRESHOLD = 90.0
ITEM_SHARE = 0.15
ANCHOR_ITEM_SHARE = 0.25


def post_screening(frame: pd.DataFrame) -> dict[str, dict[str, Any]]:
    """Per assessor (session): items rated, slips on each rule, and the rule that excludes."""
    rated = frame.dropna(subset=["score"])
    hidden = rated[rated["role"] == "hidden_reference"]
    anchor = rated[rated["role"] == "anchor70"]
    high = anchor.assign(high=anchor["score"] > THRESHOLD)
    share_by_item = high.groupby("trial")["high"].mean()
    exempt = set(share_by_item[share_by_item > ANCHOR_ITEM_SHARE].index)
    out: dict[str, dict[str, Any]] = {}
    for session, rows in rated.groupby("session"):
        items = rows["trial"].nunique()
        low_ref = int((hidden[hidden["session"] == session]["score"] < THRESHOLD).sum())
        mine = high[(high["session"] == session) & ~high["trial"].isin(exempt)]
        high_anchor = int(mine["high"].sum())
        rule = None
        if items and low_ref / items > ITEM_SHARE:
            rule = "hidden_reference"
        elif items and high_anchor / items > ITEM_SHARE:
            rule = "mid_anchor"
        out[str(session)] = {
            "participant": rows["participant"].iloc[0],
            "items": items,
            "hidden_reference_below_90": low_ref,
            "mid_anchor_above_90": high_anchor,
            "anchor_items_exempt": len(exempt & set(rows["trial"])),
            "excluded": rule is not None,
            "rule": rule,
        }
    return out


def _play_time(events: pd.DataFrame) -> float:
    """Seconds between each play and the next stop (or the last event of the trial)."""
    total, started = 0.0, None
    for kind, t in zip(events["kind"], events["client_ms"], strict=True):
        if t is None or pd.isna(t):
            continue
        if kind == "play" and started is None:
            started = float(t)
        elif kind == "stop" and started is not None:
            total += (float(t) - started) / 1000.0
            started = None
    if started is not None and len(events):
        last = events["client_ms"].dropna()
        total += max(0.0, (float(last.iloc[-1]) - started) / 1000.0) if len(last) else 0.0
    return total


def behavioural_flags(
    events: pd.DataFrame, plans: dict[str, dict[str, Any]], excerpt_s: float
) -> dict[str, dict[str, Any]]:
    """Per session: trials with a never-played stimulus, trials listened to too briefly."""
    out: dict[str, dict[str, Any]] = {}
    for session, plan in plans.items():
        mine = events[events["session"] == session] if len(events) else events
        never, brief = [], []
        for position, trial in enumerate(plan["trials"]):
            here = mine[mine["trial_id"] == trial["trial"]] if len(mine) else mine
            tokens = {slot["token"] for slot in trial["slots"]}
            played = (
                {e.get("token") for e in here["detail"] if isinstance(e, dict)}
                if len(here)
                else set()
            )
            if tokens - played:
                never.append(position)
            if _play_time(here) < excerpt_s:
                brief.append(position)
        out[session] = {
            "trials_with_unplayed_stimulus": never,
            "trials_listened_shorter_than_excerpt": brief,
            "flagged": bool(never or brief),
        }
    return out
