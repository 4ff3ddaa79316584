"""User groups (amateur, pro-am, professional): one home for the vocabulary, the evidence
people give about themselves, the rules that weigh it, assignment and overrides.

A core module like :mod:`earwitness.privacy`: the areas (collect, code, survey, the
listening tests and the dashboard) use it through this public API; it imports only the
store and the core helpers. Its commands are ``earwitness groups ...`` (``groups/cli.py``).
"""

from __future__ import annotations

from earwitness.groups._assign import MANUAL, assign_groups, manual_labels, override_group
from earwitness.groups._coverage import group_coverage, nominal_alpha, validate_group_rules
from earwitness.groups._evidence import (
    EVIDENCE_KEY,
    Evidence,
    evidence_rows,
    find_group_evidence,
)
from earwitness.groups._learned import (
    DEFAULT_THRESHOLD,
    METHOD,
    MIN_LABELS,
    MODEL_NAME,
    AuthorEvidence,
    GroupModel,
    author_evidence,
    enough_labels,
    self_sentences,
)
from earwitness.groups._rules import rule_assignment
from earwitness.groups._study_model import (
    ASSIGN_METHODS,
    SAMPLING_STRATEGIES,
    cross_validated,
    fit_study_model,
    resolve_method,
    sample_authors,
)
from earwitness.groups._vocabulary import (
    EVIDENCE_KINDS,
    EVIDENCE_PATTERNS,
    GROUP_RULES,
    GROUPS,
    UNKNOWN,
    USER_GROUPS,
    EvidencePattern,
    GroupRule,
)

__all__ = [
    "ASSIGN_METHODS",
    "DEFAULT_THRESHOLD",
    "EVIDENCE_KEY",
    "EVIDENCE_KINDS",
    "EVIDENCE_PATTERNS",
    "GROUPS",
    "GROUP_RULES",
    "MANUAL",
    "METHOD",
    "MIN_LABELS",
    "MODEL_NAME",
    "SAMPLING_STRATEGIES",
    "UNKNOWN",
    "USER_GROUPS",
    "AuthorEvidence",
    "Evidence",
    "EvidencePattern",
    "GroupModel",
    "GroupRule",
    "assign_groups",
    "author_evidence",
    "cross_validated",
    "enough_labels",
    "evidence_rows",
    "find_group_evidence",
    "fit_study_model",
    "group_coverage",
    "manual_labels",
    "nominal_alpha",
    "override_group",
    "resolve_method",
    "rule_assignment",
    "sample_authors",
    "self_sentences",
    "validate_group_rules",
]
