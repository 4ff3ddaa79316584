"""earwitness.code: codebook, segments, coding, intercoder reliability and REFI-QDA."""

from __future__ import annotations

__all__: list[str] = []
