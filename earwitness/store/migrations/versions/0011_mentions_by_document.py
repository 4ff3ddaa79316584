"""Tool mentions indexed by document

``code stance detect`` replaces the machine-found mentions one partition of documents at
a time (issue 26); without this index each partition's replacement read the whole table.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06
"""

from __future__ import annotations

from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("tool_mentions", schema=None) as batch_op:
        batch_op.create_index("ix_mentions_document", ["document_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("tool_mentions", schema=None) as batch_op:
        batch_op.drop_index("ix_mentions_document")
