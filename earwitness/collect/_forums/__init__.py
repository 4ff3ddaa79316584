"""HTML forums: phpBB, vBulletin 3–5 and XenForo 1–2, read with selectolax (lexbor)."""

from __future__ import annotations

from earwitness.collect._forums._crawl import ForumQuery, collect_forum
from earwitness.collect._forums._detect import ENGINES, detect_engine
from earwitness.collect._forums._engine import Engine, ForumPage, ParsedPost

__all__ = [
    "ENGINES",
    "Engine",
    "ForumPage",
    "ForumQuery",
    "ParsedPost",
    "collect_forum",
    "detect_engine",
]
