"""Errors that earwitness reports to people as one clear line.

Every error a user can cause (a missing study, a malformed file, a locked database)
is an :class:`EarwitnessError`. The CLI prints its message on one line of stderr and
exits with status 2; tracebacks are shown only with ``--debug``.
"""

from __future__ import annotations

import signal
from pathlib import Path

__all__ = [
    "BadInputError",
    "DatabaseLockedError",
    "EarwitnessError",
    "SchemaMismatchError",
    "StudyNotFoundError",
    "Terminated",
]


class EarwitnessError(Exception):
    """An error whose message is fit to show a user as it is."""

    exit_code = 2


class StudyNotFoundError(EarwitnessError):
    """No study folder could be found."""


class SchemaMismatchError(EarwitnessError):
    """The study's database schema is not the one this version of earwitness expects."""


class DatabaseLockedError(EarwitnessError):
    """Another process holds the study's database lock."""


class BadInputError(EarwitnessError):
    """Malformed input, located as precisely as we can: file, row, field."""

    def __init__(
        self,
        message: str,
        *,
        file: str | Path | None = None,
        row: int | None = None,
        field: str | None = None,
    ) -> None:
        self.message = message
        self.file = str(file) if file is not None else None
        self.row = row
        self.field = field
        super().__init__(self._format())

    def _format(self) -> str:
        where = []
        if self.file:
            where.append(self.file)
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.field:
            where.append(f"field {self.field!r}")
        prefix = ", ".join(where)
        return f"{prefix}: {self.message}" if prefix else self.message


class Terminated(SystemExit):
    """SIGTERM arrived while a command ran: it unwinds like an interruption (temporary
    files removed, worker processes killed) and exits 143 (128 + SIGTERM)."""

    def __init__(self) -> None:
        super().__init__(128 + signal.SIGTERM)
