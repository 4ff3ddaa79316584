"""earwitness.dashboard: links each user group's sentiment to each AI service's measured quality.

Not built yet: it waits for the areas it reads from (no open issue covers it).
"""

from __future__ import annotations

__all__: list[str] = []
