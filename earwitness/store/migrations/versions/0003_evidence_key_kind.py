"""Group evidence is unique per kind too.

A flair finding and a finding in the text may share offsets (both start at 0), and
with the old key the second was dropped. The key now includes the evidence's kind.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-21
"""

from __future__ import annotations

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

_OLD = ["participant_id", "document_id", "start", "end"]
_NEW = ["participant_id", "document_id", "kind", "start", "end"]


def upgrade() -> None:
    with op.batch_alter_table("group_evidence") as batch_op:
        batch_op.drop_constraint("uq_evidence_span", type_="unique")
        batch_op.create_unique_constraint("uq_evidence_span", _NEW)


def downgrade() -> None:
    with op.batch_alter_table("group_evidence") as batch_op:
        batch_op.drop_constraint("uq_evidence_span", type_="unique")
        batch_op.create_unique_constraint("uq_evidence_span", _OLD)
