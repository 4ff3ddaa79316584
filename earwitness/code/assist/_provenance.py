"""Where a machine-assisted figure comes from: people, a machine checked against people, or
an unchecked machine. One rule for stance rows, group rows and the dashboard."""

from __future__ import annotations

__all__ = ["MIN_VALIDATION", "provenance"]

MIN_VALIDATION = 20  # human-labelled units before a machine figure counts as validated


def provenance(all_human: bool, n_checked: int, agreement: float | None) -> str:
    """``human`` when people decided every unit; ``machine validated`` when the machine was
    compared with people on at least ``MIN_VALIDATION`` units (``agreement`` is that
    comparison's kappa or alpha); else ``machine unvalidated``."""
    if all_human:
        return "human"
    if n_checked >= MIN_VALIDATION and agreement is not None:
        return "machine validated"
    return "machine unvalidated"
