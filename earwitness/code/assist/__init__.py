"""earwitness.code.assist: machine assistance that proposes while people decide.

Segment embeddings (sentence-transformers), code suggestions and their review, evaluation
against human coders, BERTopic topics, and tool mentions with stance. These names load
scikit-learn and torch, so each is imported on first use (PEP 562) to keep the command
line quick to start.
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = [
    "MIN_LOWER_BOUND",
    "MIN_VALIDATION",
    "Agreement",
    "Embedder",
    "Gazetteer",
    "Suggestion",
    "accept_suggestion",
    "assess_agreement",
    "detect_stance",
    "discover_topics",
    "evaluate_stance",
    "evaluate_suggestions",
    "find_mentions",
    "import_stance_labels",
    "label_stance",
    "labels_needed",
    "next_stance_units",
    "pending_suggestions",
    "promote_topic",
    "provenance",
    "reject_suggestion",
    "resolve_model",
    "rules_stance",
    "sample_for_labelling",
    "stance_aggregates",
    "stance_learning_curve",
    "stance_provenance",
    "suggest",
    "topic_table",
]

# public name -> (private module, attribute)
_LAZY: dict[str, tuple[str, str]] = {
    "MIN_LOWER_BOUND": ("_provenance", "MIN_LOWER_BOUND"),
    "MIN_VALIDATION": ("_provenance", "MIN_VALIDATION"),
    "Agreement": ("_provenance", "Agreement"),
    "assess_agreement": ("_provenance", "assess_agreement"),
    "labels_needed": ("_provenance", "labels_needed"),
    "next_stance_units": ("_active", "next_stance_units"),
    "provenance": ("_provenance", "provenance"),
    "Embedder": ("_embeddings", "Embedder"),
    "Gazetteer": ("_stance", "Gazetteer"),
    "Suggestion": ("_suggest", "Suggestion"),
    "accept_suggestion": ("_suggest", "accept_suggestion"),
    "detect_stance": ("_stance", "detect_stance"),
    "discover_topics": ("_topics", "discover_topics"),
    "evaluate_stance": ("_stance", "evaluate_stance"),
    "evaluate_suggestions": ("_evaluate", "evaluate"),
    "find_mentions": ("_stance", "find_mentions"),
    "import_stance_labels": ("_stance", "import_stance_labels"),
    "label_stance": ("_stance", "label_stance"),
    "pending_suggestions": ("_suggest", "pending_suggestions"),
    "promote_topic": ("_topics", "promote_topic"),
    "reject_suggestion": ("_suggest", "reject_suggestion"),
    "resolve_model": ("_embeddings", "resolve_model"),
    "rules_stance": ("_stance", "rules_stance"),
    "sample_for_labelling": ("_stance", "sample_for_labelling"),
    "stance_aggregates": ("_stance", "stance_aggregates"),
    "stance_learning_curve": ("_stance", "stance_learning_curve"),
    "stance_provenance": ("_stance", "stance_provenance"),
    "suggest": ("_suggest", "suggest"),
    "topic_table": ("_topics", "topic_table"),
}


def __getattr__(name: str) -> Any:
    target = _LAZY.get(name)
    if target is None:
        raise AttributeError(f"module 'earwitness.code.assist' has no attribute {name!r}")
    module, attribute = target
    return getattr(importlib.import_module(f"earwitness.code.assist.{module}"), attribute)


def __dir__() -> list[str]:
    return sorted(__all__)
