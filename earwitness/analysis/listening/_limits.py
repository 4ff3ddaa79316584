"""The bounds the listening-test server holds every client to.

Tunable bounds are study settings (``earwitness.settings``, declared once there, with
their help text); fixed protocol bounds of the JSON API are the constants below.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields
from typing import Any

from earwitness.settings import default_settings

__all__ = ["MAX_BODY", "MAX_DEPTH", "MAX_INT_DIGITS", "ServerLimits"]

MAX_BODY = 64 * 1024  # bytes of one request body
MAX_DEPTH = 16  # nesting of objects and arrays in one request body
MAX_INT_DIGITS = 24  # digits of one JSON integer (a float past 1e308 is refused too)


@dataclass(frozen=True)
class ServerLimits:
    """One value per ``listen_*`` setting of the server (same names without the prefix)."""

    events_per_session: int
    event_bytes_per_session: int
    header_timeout_s: float
    body_timeout_s: float
    keep_alive_s: float
    max_connections: int
    busy_retry_s: float

    @classmethod
    def from_settings(cls, setting: Callable[[str], Any] | None = None) -> ServerLimits:
        """From a study's ``setting`` lookup; the declared defaults without one."""
        defaults = default_settings()
        get = setting or defaults.__getitem__
        values: dict[str, Any] = {
            f.name: (float if f.type == "float" else int)(get(f"listen_{f.name}"))
            for f in fields(cls)
        }
        return cls(**values)
