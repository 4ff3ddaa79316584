"""The dashboard's filters, and the SQL clauses they become."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa

__all__ = ["Filters", "document_clauses"]


@dataclass(frozen=True)
class Filters:
    """What every page may be narrowed to; empty means everything. Hashable for caching."""

    platforms: tuple[str, ...] = ()
    start: date | None = None
    end: date | None = None
    groups: tuple[str, ...] = ()
    services: tuple[str, ...] = ()
    songs: tuple[str, ...] = ()

    def keeps_service(self, service: str | None) -> bool:
        return not self.services or service in self.services

    def keeps_group(self, group: str | None) -> bool:
        return not self.groups or group in self.groups

    def keeps_song(self, song: str | None) -> bool:
        return not self.songs or song in self.songs


def document_clauses(f: Filters, documents: sa.Table, group: Any) -> list[Any]:
    """WHERE clauses for documents (source, date range) and their author's user group."""
    clauses: list[Any] = [documents.c.status == "active"]
    if f.platforms:
        clauses.append(documents.c.platform.in_(f.platforms))
    if f.start is not None:
        clauses.append(documents.c.authored_at >= datetime.combine(f.start, time(), UTC))
    if f.end is not None:
        end = datetime.combine(f.end + timedelta(days=1), time(), UTC)
        clauses.append(documents.c.authored_at < end)
    if f.groups:
        clauses.append(group.in_(f.groups))
    return clauses
