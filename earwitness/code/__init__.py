"""earwitness.code: codebook, segments, coding, intercoder reliability; REFI-QDA and assistance.

Three rooms: human coding and reliability here, REFI-QDA exchange in
:mod:`earwitness.code.refi`, machine assistance in :mod:`earwitness.code.assist`.

The human side of thematic analysis: a hierarchical codebook authored in YAML
(:func:`load_codebook_yaml`, :func:`write_codebook`), segmentation of documents into
turns, posts, paragraphs and sentences (:func:`segment_documents`), human coding
(:func:`apply_code`, :func:`import_codings_csv`, :func:`retrieve_segments`), intercoder
reliability (:mod:`earwitness.code.reliability`), reports (:func:`code_report`) and
REFI-QDA exchange with NVivo, ATLAS.ti, MAXQDA and QualCoder (:func:`import_qdpx`,
:func:`export_qdpx`, :func:`import_qdc`, :func:`export_qdc`).
"""

from __future__ import annotations

import importlib
from typing import Any

from earwitness.code import reliability
from earwitness.code._codebook import (
    CODE_NAMESPACE,
    Code,
    Codebook,
    CodeIndex,
    code_guid,
    dump_codebook_yaml,
    load_codebook_yaml,
    parse_codebook_yaml,
    read_codebook,
    write_codebook,
)
from earwitness.code._coding import (
    apply_code,
    coding_guid,
    import_codings_csv,
    remove_code,
    resolve_document,
    retrieve_segments,
)
from earwitness.code._reports import REPORT_KINDS, code_report
from earwitness.code._segment import (
    SEGMENT_KINDS,
    UNIT_KINDS,
    load_pipeline,
    segment_documents,
    segment_text,
)
from earwitness.code.refi import (
    ExportSummary,
    ImportSummary,
    export_qdc,
    export_qdpx,
    import_qdc,
    import_qdpx,
)
from earwitness.code.reliability import krippendorff_alpha, study_agreement
from earwitness.resources import starter_codebook_path

__all__ = [
    "CODE_NAMESPACE",
    "REPORT_KINDS",
    "SEGMENT_KINDS",
    "UNIT_KINDS",
    "Code",
    "CodeIndex",
    "Codebook",
    "Embedder",
    "ExportSummary",
    "Gazetteer",
    "ImportSummary",
    "Suggestion",
    "accept_suggestion",
    "apply_code",
    "code_guid",
    "code_report",
    "coding_guid",
    "detect_stance",
    "discover_topics",
    "dump_codebook_yaml",
    "evaluate_stance",
    "evaluate_suggestions",
    "export_qdc",
    "export_qdpx",
    "find_mentions",
    "import_codings_csv",
    "import_qdc",
    "import_qdpx",
    "krippendorff_alpha",
    "label_stance",
    "load_codebook_yaml",
    "load_pipeline",
    "parse_codebook_yaml",
    "pending_suggestions",
    "promote_topic",
    "read_codebook",
    "reject_suggestion",
    "reliability",
    "remove_code",
    "resolve_document",
    "resolve_model",
    "retrieve_segments",
    "segment_documents",
    "segment_text",
    "stance_aggregates",
    "starter_codebook_path",
    "study_agreement",
    "suggest",
    "topic_table",
    "write_codebook",
]

# Machine assistance loads scikit-learn and torch: its names come from
# earwitness.code.assist on first use (PEP 562).


def __getattr__(name: str) -> Any:
    assist = importlib.import_module("earwitness.code.assist")
    if name in assist.__all__:
        return getattr(assist, name)
    raise AttributeError(f"module 'earwitness.code' has no attribute {name!r}")
