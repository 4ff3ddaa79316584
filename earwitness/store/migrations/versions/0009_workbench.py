"""The coding workbench: documents marked done per coder, resolutions, codebook versions

``document_status`` holds a coder's mark that a document is done (blind double-coding
shows the others' codings once both are done); ``coding_resolutions`` links an
adjudicator's resolving coding to the codings it resolved, which are kept;
``codebook_changes`` keeps every codebook edit with the codebook after it.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "document_status",
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("coder_id", sa.Integer(), nullable=False),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["document_id"],
            ["documents.id"],
            name=op.f("fk_document_status_document_id_documents"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["coder_id"],
            ["coders.id"],
            name=op.f("fk_document_status_coder_id_coders"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("document_id", "coder_id", name=op.f("pk_document_status")),
    )
    op.create_table(
        "coding_resolutions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("coding_id", sa.Integer(), nullable=False),
        sa.Column("adjudicator_id", sa.Integer(), nullable=True),
        sa.Column("resolved", sa.JSON(), nullable=False, comment="ids of the codings"),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["coding_id"],
            ["codings.id"],
            name=op.f("fk_coding_resolutions_coding_id_codings"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["adjudicator_id"],
            ["coders.id"],
            name=op.f("fk_coding_resolutions_adjudicator_id_coders"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_coding_resolutions")),
    )
    op.create_table(
        "codebook_changes",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("coder_id", sa.Integer(), nullable=True),
        sa.Column(
            "action", sa.String(length=16), nullable=False, comment="add, edit, move or merge"
        ),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.Column("codebook", sa.Text(), nullable=False, comment="the codebook after the change"),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["coder_id"],
            ["coders.id"],
            name=op.f("fk_codebook_changes_coder_id_coders"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_codebook_changes")),
    )


def downgrade() -> None:
    op.drop_table("codebook_changes")
    op.drop_table("coding_resolutions")
    op.drop_table("document_status")
