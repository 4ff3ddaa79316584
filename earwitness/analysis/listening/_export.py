"""``earwitness export ratings``: one row per answer, as the store exports it, with the
study's service names, the post-screening and each answer's blind preference outcome."""

from __future__ import annotations

import pandas as pd

from earwitness.analysis.listening._preference import preference_trials
from earwitness.analysis.listening._report import ratings_frame
from earwitness.analysis.listening._session_ids import session_short_ids
from earwitness.services import ServiceIndex, load_services
from earwitness.store import Store, export_table

__all__ = ["ratings_export"]

ADDED = ["excluded", "exclusion_rule", "preference_service", "preference"]


def ratings_export(store: Store) -> pd.DataFrame:
    """The ratings export. ``preference`` is ``ai``, ``human`` or ``tie`` on the answer
    that compared an AI master (``preference_service``) with the human master on equal
    footing, as ``listening_report`` and the dashboard count it; empty elsewhere.
    ``session`` is the session's short id, never its link token (a participant's access)."""
    with store.connect() as connection:
        index = ServiceIndex(load_services(connection))
        frame = export_table(connection, "ratings", service_of=index.of_label)
    rated = ratings_frame(store)
    trials = preference_trials(rated)
    trials = trials[~trials.index.duplicated()]  # two human masters in one trial: the first
    added = rated[["answer_id", "excluded", "exclusion_rule"]].assign(
        preference_service=trials["service"], preference=trials["outcome"]
    )
    for column in ADDED:
        added[column] = added[column].astype(object).where(added[column].notna(), None)
    frame["session"] = frame["session"].map(session_short_ids(store))
    return frame.merge(added, on="answer_id", how="left")[[*frame.columns, *ADDED]]
