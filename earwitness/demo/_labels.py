"""SIMULATED human stance labels for the demo, so that its dashboard shows the "machine
validated" path beside the "machine unvalidated" one.

Nobody read these units. The rule (documented in docs/dashboard.md): for
:data:`LABELLED_UNITS` units of one fictional service, drawn by a seeded generator, the
simulated coder :data:`SIMULATED_CODER` copies the machine's stance, except on a seeded
draw of round(:data:`DISAGREEMENT` x units) of them (4 of 24), where it picks one of the
other three stances instead (seeded, uniform). The labels are written as the CSV that
`earwitness code stance import` reads, and stored by that command, so provenance counts
them exactly like people's labels; the coder's name marks them SIMULATED wherever a
label's coder is shown.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from earwitness.store import Store

__all__ = ["DISAGREEMENT", "LABELLED_SERVICE", "LABELLED_UNITS", "SIMULATED_CODER", "write_labels"]

SIMULATED_CODER = "SIMULATED-coder"
LABELLED_SERVICE = "Sheen AI"  # the demo's service with the most units (32 of them)
LABELLED_UNITS = 24  # at least MIN_VALIDATION, and fewer than all (else it is all human)
DISAGREEMENT = 0.15  # share of units where the simulated coder disagrees
_STANCES = ("positive", "negative", "mixed", "neutral")


def write_labels(store: Store, path: Path, *, seed: int = 0) -> Path:
    """Write the SIMULATED labels of :data:`LABELLED_SERVICE` to ``path`` (columns
    segment_id, tool, stance, coder) by the module's rule; return ``path``."""
    from earwitness.code.assist import sample_for_labelling

    units = [
        unit
        for unit in sample_for_labelling(store, 1_000_000, seed=seed)
        if unit["tool"] == LABELLED_SERVICE and unit["predicted"] in _STANCES
    ]
    rng = np.random.default_rng(seed)
    chosen = sorted(
        (units[int(i)] for i in rng.permutation(len(units))[:LABELLED_UNITS]),
        key=lambda unit: int(unit["segment_id"]),
    )
    disagree = set(rng.permutation(len(chosen))[: round(DISAGREEMENT * len(chosen))].tolist())
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["segment_id", "tool", "stance", "coder"])
        for number, unit in enumerate(chosen):
            stance = str(unit["predicted"])
            if number in disagree:
                others = [s for s in _STANCES if s != stance]
                stance = others[int(rng.integers(0, len(others)))]
            writer.writerow([unit["segment_id"], unit["tool"], stance, SIMULATED_CODER])
    return path
