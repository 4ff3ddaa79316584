"""Listening tests: items, stimuli, trials, sessions, answers and an event log.

The 0001 tables ``listening_tests``, ``listening_trials`` and ``listening_ratings`` were
never written by any command; they are replaced by the tables the blind,
loudness-matched tests of issue 11 need (see ``earwitness.store.schema``).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

_NEW = (
    "listening_events",
    "listening_answers",
    "listening_trials",
    "listening_stimuli",
    "listening_sessions",
    "listening_items",
    "listening_tests",
)


def upgrade() -> None:
    op.drop_table("listening_ratings")
    op.drop_table("listening_trials")
    op.drop_table("listening_tests")
    op.create_table(
        "listening_tests",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("design", sa.String(length=16), nullable=False),
        sa.Column(
            "config",
            sa.JSON(),
            nullable=False,
            comment="reference, conditions, songs, excerpt, target loudness, format",
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "design IN ('mushra', 'mushra-noref', 'ab', 'abx')",
            name=op.f("ck_listening_tests_design"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_listening_tests")),
        sa.UniqueConstraint("name", name=op.f("uq_listening_tests_name")),
    )
    op.create_table(
        "listening_items",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("test_id", sa.Integer(), nullable=False),
        sa.Column("song_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("start_s", sa.Float(), nullable=False, comment="excerpt start in the reference"),
        sa.Column("frames", sa.Integer(), nullable=False),
        sa.Column("sample_rate", sa.Integer(), nullable=False),
        sa.Column("channels", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["song_id"],
            ["songs.id"],
            name=op.f("fk_listening_items_song_id_songs"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["test_id"],
            ["listening_tests.id"],
            name=op.f("fk_listening_items_test_id_listening_tests"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_listening_items")),
        sa.UniqueConstraint("test_id", "song_id", name="uq_listening_item_song"),
    )
    op.create_table(
        "listening_sessions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("test_id", sa.Integer(), nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=True),
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.Column("seed", sa.BigInteger(), nullable=False),
        sa.Column("plan", sa.JSON(), nullable=False, comment="trial order, per-trial tokens"),
        sa.Column("crowd_id", sa.String(length=128), nullable=True),
        sa.Column("completion_code", sa.String(length=32), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("progress", sa.Integer(), nullable=False, comment="trials answered"),
        sa.Column("simulated", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status IN ('open', 'started', 'complete')", name=op.f("ck_listening_sessions_status")
        ),
        sa.ForeignKeyConstraint(
            ["participant_id"],
            ["participants.id"],
            name=op.f("fk_listening_sessions_participant_id_participants"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["test_id"],
            ["listening_tests.id"],
            name=op.f("fk_listening_sessions_test_id_listening_tests"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_listening_sessions")),
        sa.UniqueConstraint("token", name=op.f("uq_listening_sessions_token")),
    )
    op.create_table(
        "listening_stimuli",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False, comment="of the prepared WAV"),
        sa.Column("path", sa.Text(), nullable=False, comment="relative to the study folder"),
        sa.Column("bytes", sa.Integer(), nullable=False),
        sa.Column(
            "manifest",
            sa.JSON(),
            nullable=False,
            comment="source sha256, excerpt bounds, lag, gain, loudness and true peak after",
        ),
        sa.CheckConstraint(
            "role IN ('reference', 'condition', 'anchor35', 'anchor70')",
            name=op.f("ck_listening_stimuli_role"),
        ),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["listening_items.id"],
            name=op.f("fk_listening_stimuli_item_id_listening_items"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["song_versions.id"],
            name=op.f("fk_listening_stimuli_version_id_song_versions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_listening_stimuli")),
        sa.UniqueConstraint("item_id", "version_id", "role", name="uq_listening_stimulus"),
    )
    op.create_table(
        "listening_trials",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("test_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False, comment="index in the design"),
        sa.Column("stimuli", sa.JSON(), nullable=False, comment="stimulus ids (A, B for ab/abx)"),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["listening_items.id"],
            name=op.f("fk_listening_trials_item_id_listening_items"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["test_id"],
            ["listening_tests.id"],
            name=op.f("fk_listening_trials_test_id_listening_tests"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_listening_trials")),
        sa.UniqueConstraint("test_id", "position", name="uq_listening_trial_position"),
    )
    op.create_table(
        "listening_answers",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("trial_id", sa.Integer(), nullable=False),
        sa.Column("stimulus_id", sa.Integer(), nullable=False),
        sa.Column("versus_stimulus_id", sa.Integer(), nullable=True),
        sa.Column(
            "slot_role",
            sa.String(length=20),
            nullable=False,
            comment="reference, hidden_reference, anchor35, anchor70 or condition",
        ),
        sa.Column(
            "presented", sa.Integer(), nullable=False, comment="trial position in the session"
        ),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("choice", sa.String(length=160), nullable=True),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("simulated", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["listening_sessions.id"],
            name=op.f("fk_listening_answers_session_id_listening_sessions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["stimulus_id"],
            ["listening_stimuli.id"],
            name=op.f("fk_listening_answers_stimulus_id_listening_stimuli"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["trial_id"],
            ["listening_trials.id"],
            name=op.f("fk_listening_answers_trial_id_listening_trials"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["versus_stimulus_id"],
            ["listening_stimuli.id"],
            name=op.f("fk_listening_answers_versus_stimulus_id_listening_stimuli"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_listening_answers")),
        sa.UniqueConstraint("session_id", "trial_id", "stimulus_id", name="uq_listening_answer"),
    )
    op.create_table(
        "listening_events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("trial_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.Column("client_ms", sa.Float(), nullable=True, comment="performance.now() in the page"),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("simulated", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["listening_sessions.id"],
            name=op.f("fk_listening_events_session_id_listening_sessions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_listening_events")),
    )
    op.create_index("ix_listening_events_session", "listening_events", ["session_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_listening_events_session", table_name="listening_events")
    for table in _NEW:
        op.drop_table(table)
    op.create_table(
        "listening_tests",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("design", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_listening_tests")),
        sa.UniqueConstraint("name", name=op.f("uq_listening_tests_name")),
    )
    op.create_table(
        "listening_trials",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("test_id", sa.Integer(), nullable=False),
        sa.Column("song_id", sa.Integer(), nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("stimuli", sa.JSON(), nullable=False, comment="version ids, gains (dB), order"),
        sa.ForeignKeyConstraint(
            ["song_id"],
            ["songs.id"],
            name=op.f("fk_listening_trials_song_id_songs"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["test_id"],
            ["listening_tests.id"],
            name=op.f("fk_listening_trials_test_id_listening_tests"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_listening_trials")),
    )
    op.create_table(
        "listening_ratings",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("trial_id", sa.Integer(), nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=True),
        sa.Column("attribute", sa.String(length=64), nullable=False),
        sa.Column("value", sa.Float(), nullable=True),
        sa.Column("choice", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["participant_id"],
            ["participants.id"],
            name=op.f("fk_listening_ratings_participant_id_participants"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["trial_id"],
            ["listening_trials.id"],
            name=op.f("fk_listening_ratings_trial_id_listening_trials"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["song_versions.id"],
            name=op.f("fk_listening_ratings_version_id_song_versions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_listening_ratings")),
    )
