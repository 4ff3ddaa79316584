"""earwitness.collect: forum threads and interview transcripts, resumable and pseudonymous.

Collectors turn responses into :class:`CollectedItem` objects and store them page by
page through an :class:`ItemWriter`, which pseudonymises authors, masks personal data,
archives raw responses and keeps a durable cursor so any collection can resume. What
authors say about themselves is found and stored with :mod:`earwitness.groups`.
"""

from __future__ import annotations

from earwitness.collect._items import CollectedItem, ItemWriter, RawResponse, RunSummary
from earwitness.collect._transcripts import Transcript, Turn, parse_transcript

__all__ = [
    "CollectedItem",
    "ItemWriter",
    "RawResponse",
    "RunSummary",
    "Transcript",
    "Turn",
    "parse_transcript",
]
