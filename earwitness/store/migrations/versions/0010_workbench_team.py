"""The workbench as a team: coders' sign-in tokens and stance resolutions

``coder_tokens`` keeps the SHA-256 of each coder's token for a shared workbench (never the
token); ``stance_resolutions`` keeps an adjudicator's stance for a unit two coders
labelled differently, beside their labels.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "coder_tokens",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("coder_id", sa.Integer(), nullable=False),
        sa.Column("token_sha256", sa.String(length=64), nullable=False),
        sa.Column(
            "prefix", sa.String(length=12), nullable=False, comment="first characters, to name it"
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["coder_id"],
            ["coders.id"],
            name=op.f("fk_coder_tokens_coder_id_coders"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_coder_tokens")),
        sa.UniqueConstraint("token_sha256", name=op.f("uq_coder_tokens_token_sha256")),
    )
    op.create_table(
        "stance_resolutions",
        sa.Column("segment_id", sa.Integer(), nullable=False),
        sa.Column("tool", sa.String(length=64), nullable=False),
        sa.Column("stance", sa.String(length=16), nullable=False),
        sa.Column("adjudicator_id", sa.Integer(), nullable=True),
        sa.Column("labels", sa.JSON(), nullable=False, comment="coder -> stance resolved"),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["segment_id"],
            ["segments.id"],
            name=op.f("fk_stance_resolutions_segment_id_segments"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["adjudicator_id"],
            ["coders.id"],
            name=op.f("fk_stance_resolutions_adjudicator_id_coders"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("segment_id", "tool", name=op.f("pk_stance_resolutions")),
    )


def downgrade() -> None:
    op.drop_table("stance_resolutions")
    op.drop_table("coder_tokens")
