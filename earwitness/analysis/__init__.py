"""earwitness.analysis: audio metrics, master comparison and listening tests."""

from __future__ import annotations

__all__: list[str] = []
