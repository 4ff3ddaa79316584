"""earwitness.collect: forum threads and interview transcripts, resumable and pseudonymous."""

from __future__ import annotations

__all__: list[str] = []
