"""REFI-QDA sets and annotations

Document sets (REFI-QDA ``<Sets>``: MAXQDA's document sets, NVivo's and ATLAS.ti's
groups) become ``sets`` and ``set_members``; a note anchored to a span of a document
(an annotation, e.g. QualCoder's) keeps the span in ``notes.start`` and ``notes.end``.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("notes") as batch_op:
        batch_op.add_column(
            sa.Column(
                "start", sa.Integer(), nullable=True, comment="an annotation's span in its document"
            )
        )
        batch_op.add_column(sa.Column("end", sa.Integer(), nullable=True))
    op.create_table(
        "sets",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("guid", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sets")),
        sa.UniqueConstraint("guid", name=op.f("uq_sets_guid")),
    )
    op.create_table(
        "set_members",
        sa.Column("set_id", sa.Integer(), nullable=False),
        sa.Column("member_type", sa.String(length=16), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["set_id"], ["sets.id"], name=op.f("fk_set_members_set_id_sets"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("set_id", "member_type", "member_id", name=op.f("pk_set_members")),
        sa.CheckConstraint(
            "member_type IN ('document', 'code', 'note')",
            name=op.f("ck_set_members_member_type"),
        ),
    )


def downgrade() -> None:
    op.drop_table("set_members")
    op.drop_table("sets")
    with op.batch_alter_table("notes") as batch_op:
        batch_op.drop_column("end")
        batch_op.drop_column("start")
