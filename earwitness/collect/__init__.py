"""earwitness.collect: forum threads and interview transcripts, resumable and pseudonymous.

Collectors turn responses into :class:`CollectedItem` objects and store them page by
page through an :class:`ItemWriter`, which pseudonymises authors, masks personal data,
archives raw responses and keeps a durable cursor so any collection can resume.
"""

from __future__ import annotations

from earwitness.collect._evidence import Evidence, find_group_evidence
from earwitness.collect._items import CollectedItem, ItemWriter, RawResponse, RunSummary
from earwitness.collect._transcripts import Transcript, Turn, parse_transcript

__all__ = [
    "CollectedItem",
    "Evidence",
    "ItemWriter",
    "RawResponse",
    "RunSummary",
    "Transcript",
    "Turn",
    "find_group_evidence",
    "parse_transcript",
]
