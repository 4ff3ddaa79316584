"""earwitness.survey: questionnaire import and analysis by user group."""

from __future__ import annotations

__all__: list[str] = []
