"""earwitness.code: codebook, segments, coding, intercoder reliability and REFI-QDA.

The human side of thematic analysis: a hierarchical codebook authored in YAML
(:func:`load_codebook_yaml`, :func:`write_codebook`), segmentation of documents into
turns, posts, paragraphs and sentences (:func:`segment_documents`), human coding
(:func:`apply_code`, :func:`import_codings_csv`, :func:`retrieve_segments`), intercoder
reliability (:mod:`earwitness.code.reliability`), reports (:func:`code_report`) and
REFI-QDA exchange with NVivo, ATLAS.ti, MAXQDA and QualCoder (:func:`import_qdpx`,
:func:`export_qdpx`, :func:`import_qdc`, :func:`export_qdc`).
"""

from __future__ import annotations

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
from earwitness.code._refi import (
    ExportSummary,
    ImportSummary,
    export_qdc,
    export_qdpx,
    import_qdc,
    import_qdpx,
)
from earwitness.code._reports import REPORT_KINDS, code_report
from earwitness.code._resources import starter_codebook_path
from earwitness.code._segment import (
    SEGMENT_KINDS,
    UNIT_KINDS,
    load_pipeline,
    segment_documents,
    segment_text,
)
from earwitness.code.reliability import krippendorff_alpha, study_agreement

__all__ = [
    "CODE_NAMESPACE",
    "REPORT_KINDS",
    "SEGMENT_KINDS",
    "UNIT_KINDS",
    "Code",
    "CodeIndex",
    "Codebook",
    "ExportSummary",
    "ImportSummary",
    "apply_code",
    "code_guid",
    "code_report",
    "coding_guid",
    "dump_codebook_yaml",
    "export_qdc",
    "export_qdpx",
    "import_codings_csv",
    "import_qdc",
    "import_qdpx",
    "krippendorff_alpha",
    "load_codebook_yaml",
    "load_pipeline",
    "parse_codebook_yaml",
    "read_codebook",
    "reliability",
    "remove_code",
    "resolve_document",
    "retrieve_segments",
    "segment_documents",
    "segment_text",
    "starter_codebook_path",
    "study_agreement",
    "write_codebook",
]
