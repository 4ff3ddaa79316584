"""Team mode and scale: a key fingerprint, survey responses by participant, cursor writes.

``study_meta`` holds the study's key fingerprint (an HMAC of a fixed label under the
pseudonym key, never the key), so `earwitness join` can check a coder's key. The index
on ``survey_responses.participant_id`` keeps a re-import linear in rows. A cursor's
``generation`` counts its writes, so two imports of one file cannot both advance it.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "study_meta",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_study_meta")),
    )
    op.create_index("ix_responses_participant", "survey_responses", ["participant_id"])
    with op.batch_alter_table("collection_cursors") as batch_op:
        batch_op.add_column(
            sa.Column(
                "generation",
                sa.Integer(),
                nullable=False,
                server_default="0",
                comment="writes so far: a writer that saw another generation lost a race",
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("collection_cursors") as batch_op:
        batch_op.drop_column("generation")
    op.drop_index("ix_responses_participant", table_name="survey_responses")
    op.drop_table("study_meta")
