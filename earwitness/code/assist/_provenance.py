"""The provenance rule, as ``earwitness.code.assist`` publishes it (the implementation is the
core module :mod:`earwitness.provenance`, so that the core ``groups`` package shares it)."""

from __future__ import annotations

from earwitness.provenance import (
    MIN_LOWER_BOUND,
    MIN_VALIDATION,
    Agreement,
    agreement_flag,
    assess_agreement,
    cohen_kappa_labels,
    curve_labels_needed,
    labels_needed,
    provenance,
    warning_line,
)

__all__ = [
    "MIN_LOWER_BOUND",
    "MIN_VALIDATION",
    "Agreement",
    "agreement_flag",
    "assess_agreement",
    "cohen_kappa_labels",
    "curve_labels_needed",
    "labels_needed",
    "provenance",
    "warning_line",
]
