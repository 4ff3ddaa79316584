"""More service names: iZotope alone, Ozone's Match EQ and match module, Logic Pro's
Mastering Assistant

Adds the names a labelled sample of real text showed missing (issue 17) to the study's
services: aliases of iZotope Ozone, and two services, "Logic Pro Mastering Assistant" and
"iZotope" (the vendor named alone). An alias another service already owns is left to it.
Frozen here, as migrations must not change with the code.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

_ADDED: dict[str, list[str]] = {
    "iZotope Ozone": ["iZotope Match EQ", "Ozone Match EQ", "Ozone 11 match module",
                      "iZotope 11 match module", "Ozone match module", "Ozone 12",
                      "Master Assistant"],
    "Logic Pro Mastering Assistant": ["Mastering Assistant", "Logic Mastering Assistant",
                                      "Logic Pro Mastering Assistant",
                                      "Logic's Mastering Assistant"],
    "iZotope": ["iZotope", "Izotope", "Isotope"],
}  # fmt: skip

_services = sa.table("services", sa.column("id"), sa.column("name"), sa.column("created_at"),
                     sa.column("extra", sa.JSON))  # fmt: skip
_names = sa.table("service_names", sa.column("service_id"), sa.column("kind"),
                  sa.column("value"), sa.column("norm"))  # fmt: skip


def _norm(text: str) -> str:
    return " ".join(text.casefold().split())


def _slug(text: str) -> str:
    return "-".join(text.casefold().replace(":", " ").split())


def _service_id(connection: sa.Connection, name: str) -> int:
    found = connection.execute(sa.select(_services.c.id).where(_services.c.name == name)).scalar()
    if found is not None:
        return int(found)
    connection.execute(_services.insert().values(name=name, created_at=datetime.now(UTC), extra={}))
    return int(
        connection.execute(sa.select(_services.c.id).where(_services.c.name == name)).scalar_one()
    )


def upgrade() -> None:
    connection = op.get_bind()
    taken = {
        (kind, norm) for kind, norm in connection.execute(sa.select(_names.c.kind, _names.c.norm))
    }
    for name, aliases in _ADDED.items():
        service = _service_id(connection, name)
        wanted = [("text", alias) for alias in [name, *aliases]]
        wanted.append(("audio", f"ai:{_slug(name)}"))
        for kind, value in wanted:
            if (kind, _norm(value)) in taken:
                continue
            taken.add((kind, _norm(value)))
            connection.execute(
                _names.insert().values(
                    service_id=service, kind=kind, value=value, norm=_norm(value)
                )
            )


def downgrade() -> None:
    connection = op.get_bind()
    ozone_aliases = [_norm(alias) for alias in _ADDED["iZotope Ozone"]]
    connection.execute(_names.delete().where(_names.c.norm.in_(ozone_aliases)))
    added = [name for name in _ADDED if name != "iZotope Ozone"]
    ids = sa.select(_services.c.id).where(_services.c.name.in_(added))
    connection.execute(_names.delete().where(_names.c.service_id.in_(ids)))
    connection.execute(_services.delete().where(_services.c.name.in_(added)))
