"""One identity per AI service: canonical name, text aliases and audio labels.

Existing studies are seeded with the built-in gazetteer (its tools become services with
their aliases) and with the ``ai:SERVICE`` labels of their song versions: a label whose
SERVICE matches a tool's name or alias joins that tool; any other SERVICE becomes a
service of its own. The seed is frozen here, as migrations must not change with the code.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

_SEED: dict[str, list[str]] = {
    "LANDR": ["LANDR", "Landr.com", "LANDR Mastering", "Lander mastering", "LNDR"],
    "eMastered": ["eMastered", "e-mastered", "emaster", "emastered.com", "e mastered"],
    "CloudBounce": ["CloudBounce", "Cloud Bounce", "Cloudbounce.com", "Cloud-bounce"],
    "BandLab Mastering": ["BandLab Mastering", "BandLab master", "BandLab's mastering", "Bandlab"],
    "iZotope Ozone": ["iZotope Ozone", "Izotope Ozone", "Ozone", "Ozone 9", "Ozone 10",
                      "Ozone 11", "Ozone Master Assistant", "Izotop Ozone", "Isotope Ozone"],
    "iZotope Neutron": ["iZotope Neutron", "Neutron", "Neutron 4", "Isotope Neutron",
                        "Neutron Mix Assistant"],
    "RoEx": ["RoEx", "Roex", "RoEx Automix", "RoEx Tonn", "Roex Mix Check"],
    "Sonible smart:EQ": ["smart:EQ", "smartEQ", "smart EQ", "Sonible smart:EQ",
                         "Sonible smartEQ", "Sonible"],
    "Masterchannel": ["Masterchannel", "MasterChannel AI", "Masterchanel"],
    "matchering": ["matchering", "Matchering 2.0", "matchering.com", "Matchring"],
    "DistroKid Mixea": ["Mixea", "DistroKid Mixea"],
    "Waves Online Mastering": ["Waves Online Mastering", "Waves mastering AI"],
}  # fmt: skip


def _norm(text: str) -> str:
    return " ".join(text.casefold().split())


def _slug(text: str) -> str:
    return "-".join(text.casefold().replace(":", " ").split())


def upgrade() -> None:
    services = op.create_table(
        "services",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False, comment="canonical name"),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("extra", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_services")),
        sa.UniqueConstraint("name", name=op.f("uq_services_name")),
    )
    names = op.create_table(
        "service_names",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("service_id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.String(length=8),
            nullable=False,
            comment="text (an alias) or audio (a label)",
        ),
        sa.Column("value", sa.String(length=160), nullable=False),
        sa.Column(
            "norm", sa.String(length=160), nullable=False, comment="case- and space-folded value"
        ),
        sa.CheckConstraint("kind IN ('text', 'audio')", name=op.f("ck_service_names_kind")),
        sa.ForeignKeyConstraint(
            ["service_id"],
            ["services.id"],
            name=op.f("fk_service_names_service_id_services"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_service_names")),
        sa.UniqueConstraint("kind", "norm", name="uq_service_name"),
    )
    _seed(services, names)


def _seed(services: sa.Table, names: sa.Table) -> None:
    connection = op.get_bind()
    now = datetime.now(UTC)
    rows: list[dict[str, object]] = []
    owner: dict[str, int] = {}  # folded alias or slug -> service id
    seen_text: set[str] = set()
    for number, (name, aliases) in enumerate(_SEED.items(), start=1):
        connection.execute(services.insert().values(id=number, name=name, created_at=now, extra={}))
        for alias in [name, *aliases]:
            if _norm(alias) not in seen_text:
                seen_text.add(_norm(alias))
                rows.append(_name_row(number, "text", alias))
            owner.setdefault(_slug(alias), number)
        rows.append(_name_row(number, "audio", f"ai:{_slug(name)}"))
    versions = sa.table("song_versions", sa.column("kind"), sa.column("service"))
    found = connection.execute(
        sa.select(versions.c.service).where(versions.c.kind == "ai").distinct()
    ).scalars()
    labels = {r["norm"] for r in rows if r["kind"] == "audio"}
    next_id = len(_SEED) + 1
    for service in sorted(s for s in found if s):
        label = f"ai:{service}"
        if _norm(label) in labels:
            continue
        target = owner.get(_slug(service))
        if target is None:
            connection.execute(
                services.insert().values(id=next_id, name=service[:64], created_at=now, extra={})
            )
            target, next_id = next_id, next_id + 1
        labels.add(_norm(label))
        rows.append(_name_row(target, "audio", label))
    connection.execute(names.insert(), rows)
    if connection.dialect.name == "postgresql":  # explicit ids leave the sequence behind
        connection.exec_driver_sql(
            "SELECT setval(pg_get_serial_sequence('services', 'id'), "
            "(SELECT MAX(id) FROM services))"
        )


def _name_row(service_id: int, kind: str, value: str) -> dict[str, object]:
    return {"service_id": service_id, "kind": kind, "value": value[:160], "norm": _norm(value)}


def downgrade() -> None:
    op.drop_table("service_names")
    op.drop_table("services")
