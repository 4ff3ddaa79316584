"""earwitness.code.refi: REFI-QDA exchange with MAXQDA, NVivo, ATLAS.ti and QualCoder.

Projects (``.qdpx``) and codebooks (``.qdc``) per the REFI-QDA 1.0 standard: import with
offset-unit detection and re-anchoring, export validated against the REFI-QDA schemas.
"""

from __future__ import annotations

from earwitness.code.refi._exchange import (
    IMPORT_PLATFORM,
    ExportSummary,
    ImportSummary,
    export_qdc,
    export_qdpx,
    import_qdc,
    import_qdc_with_sets,
    import_qdpx,
)

__all__ = [
    "IMPORT_PLATFORM",
    "ExportSummary",
    "ImportSummary",
    "export_qdc",
    "export_qdpx",
    "import_qdc",
    "import_qdc_with_sets",
    "import_qdpx",
]
