"""earwitness: study how musicians and audio engineers adopt AI mixing and mastering tools.

What people say (forum threads, interviews, questionnaires) and what people hear
(measured masters, listening tests), brought together in one study folder.
"""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]
