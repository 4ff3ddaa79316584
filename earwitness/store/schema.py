"""The study database schema: the one place that declares tables.

The qualitative part follows the REFI-QDA 1.0 Project schema (Users, CodeBook/Codes,
Sources as TextSource, PlainTextSelection codings, Notes, Cases with Variables) so that
exchange with MAXQDA, NVivo and ATLAS.ti is serialisation, not translation. Offsets are
Unicode code points, end exclusive. Migrations under ``migrations/`` evolve this file's
tables; change both together.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect

__all__ = [
    "CODING_ORIGINS",
    "DOCUMENT_STATUSES",
    "LISTENING_DESIGNS",
    "SEGMENT_KINDS",
    "STIMULUS_ROLES",
    "UNIT_KINDS",
    "USER_GROUPS",
    "UTCDateTime",
    "metadata",
    "utcnow",
]

USER_GROUPS = ("amateur", "pro-am", "professional", "unknown")
CODING_ORIGINS = ("human", "model")
DOCUMENT_STATUSES = ("active", "deleted", "removed")
SEGMENT_KINDS = ("turn", "post", "paragraph", "sentence")
UNIT_KINDS = ("turn", "post", "sentence")
"""The smallest unit each document is cut into: every character of a document's text
(but surrounding whitespace) lies in exactly one segment of these kinds."""


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(sa.types.TypeDecorator[datetime]):
    """A timestamp stored in UTC and always returned timezone-aware."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if not isinstance(value, datetime):
            raise TypeError(f"expected a datetime, got {value!r}")
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.astimezone(UTC)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


def _id() -> sa.Column[int]:
    return sa.Column("id", sa.Integer, primary_key=True, autoincrement=True)


def _created() -> sa.Column[datetime]:
    return sa.Column("created_at", UTCDateTime, nullable=False, default=utcnow)


def _fk(
    name: str, target: str, *, nullable: bool = True, ondelete: str = "CASCADE"
) -> sa.Column[int]:
    return sa.Column(name, sa.Integer, sa.ForeignKey(target, ondelete=ondelete), nullable=nullable)


def _extra() -> sa.Column[Any]:
    return sa.Column("extra", sa.JSON, nullable=False, default=dict)


# --- the study itself -----------------------------------------------------------------

study_meta = sa.Table(
    "study_meta",
    metadata,
    sa.Column("name", sa.String(64), primary_key=True),
    sa.Column("value", sa.Text, nullable=False),
)  # key_fingerprint: HMAC-SHA256 of a fixed label under the pseudonym key (docs/team.md)

# --- provenance and people -------------------------------------------------------------

sources = sa.Table(
    "sources",
    metadata,
    _id(),
    sa.Column("platform", sa.String(32), nullable=False),
    sa.Column("url", sa.Text),
    sa.Column("native_id", sa.String(255)),
    sa.Column("query", sa.Text),
    sa.Column("fetched_at", UTCDateTime, nullable=False, default=utcnow),
    sa.Column("raw_pointer", sa.Text, comment="file@offset of the record in raw/"),
    sa.Column("content_sha256", sa.String(64)),
    sa.Column("tool_version", sa.String(32)),
    _extra(),
    sa.Index("ix_sources_platform_native", "platform", "native_id"),
)

participants = sa.Table(
    "participants",
    metadata,
    _id(),
    sa.Column("pseudonym", sa.String(32), nullable=False, unique=True),
    sa.Column("kind", sa.String(24), nullable=False, default="author"),
    sa.Column("user_group", sa.String(16), nullable=False, default="unknown"),
    sa.Column("group_method", sa.String(64), nullable=False, default="unassigned"),
    sa.Column("group_confidence", sa.Float),
    _created(),
    _extra(),
    sa.CheckConstraint(
        "user_group IN ('amateur', 'pro-am', 'professional', 'unknown')", name="user_group"
    ),
)

# --- documents, segments, codebook, codings (REFI-QDA shaped) ---------------------------

documents = sa.Table(
    "documents",
    metadata,
    _id(),
    sa.Column("guid", sa.String(36), nullable=False, unique=True),
    sa.Column("platform", sa.String(32), nullable=False),
    sa.Column("native_id", sa.String(255), nullable=False),
    sa.Column("parent_native_id", sa.String(255)),
    sa.Column("thread_native_id", sa.String(255)),
    _fk("source_id", "sources.id", ondelete="SET NULL"),
    _fk("participant_id", "participants.id", ondelete="SET NULL"),
    sa.Column("kind", sa.String(24), nullable=False, default="post"),
    sa.Column("title", sa.Text),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("quoted", sa.Text, comment="text the author quoted from others, kept apart"),
    sa.Column("text_sha256", sa.String(64), nullable=False),
    sa.Column("url", sa.Text),
    sa.Column("score", sa.Integer),
    sa.Column("authored_at", UTCDateTime),
    sa.Column("edited_at", UTCDateTime),
    sa.Column("status", sa.String(16), nullable=False, default="active"),
    sa.Column("speaker_role", sa.String(16), comment="interviewer or participant"),
    sa.Column("start_s", sa.Float),
    sa.Column("end_s", sa.Float),
    _created(),
    sa.Column("updated_at", UTCDateTime, nullable=False, default=utcnow, onupdate=utcnow),
    _extra(),
    sa.UniqueConstraint("platform", "native_id", name="uq_documents_platform_native"),
    sa.CheckConstraint("status IN ('active', 'deleted', 'removed')", name="status"),
)

segments = sa.Table(
    "segments",
    metadata,
    _id(),
    _fk("document_id", "documents.id", nullable=False),
    sa.Column("start", sa.Integer, nullable=False),
    sa.Column("end", sa.Integer, nullable=False),
    sa.Column("kind", sa.String(16), nullable=False, default="sentence"),
    sa.UniqueConstraint("document_id", "kind", "start", "end", name="uq_segments_span"),
    sa.CheckConstraint('"start" >= 0 AND "end" >= "start"', name="span"),
)

coders = sa.Table(
    "coders",
    metadata,
    _id(),
    sa.Column("guid", sa.String(36), nullable=False, unique=True),
    sa.Column("name", sa.String(255), nullable=False, unique=True),
    sa.Column("declared", sa.Boolean, nullable=False, default=True),
    _extra(),
)

codes = sa.Table(
    "codes",
    metadata,
    _id(),
    sa.Column("guid", sa.String(36), nullable=False, unique=True),
    sa.Column("name", sa.String(255), nullable=False),
    _fk("parent_id", "codes.id"),
    sa.Column("definition", sa.Text, nullable=False, default=""),
    sa.Column("inclusion", sa.Text, nullable=False, default=""),
    sa.Column("exclusion", sa.Text, nullable=False, default=""),
    sa.Column("examples", sa.JSON, nullable=False, default=list),
    sa.Column("color", sa.String(9)),
    sa.Column("codable", sa.Boolean, nullable=False, default=True),
    sa.Column("position", sa.Integer, nullable=False, default=0),
    sa.Column("origin", sa.String(16), nullable=False, default="human"),
    _created(),
    _extra(),
)

codings = sa.Table(
    "codings",
    metadata,
    _id(),
    sa.Column("guid", sa.String(36), nullable=False, unique=True),
    _fk("document_id", "documents.id", nullable=False),
    _fk("segment_id", "segments.id", ondelete="SET NULL"),
    sa.Column("start", sa.Integer, nullable=False),
    sa.Column("end", sa.Integer, nullable=False),
    _fk("code_id", "codes.id", nullable=False),
    _fk("coder_id", "coders.id", ondelete="SET NULL"),
    sa.Column("origin", sa.String(8), nullable=False, default="human"),
    sa.Column("model_id", sa.String(200)),
    sa.Column("score", sa.Float),
    sa.Column("rationale", sa.Text),
    sa.Column(
        "status",
        sa.String(12),
        nullable=False,
        default="applied",
        comment="human: applied; model: proposed, accepted or rejected",
    ),
    sa.Column("memo", sa.Text),
    _created(),
    sa.Index("ix_codings_code", "code_id"),
    sa.Index("ix_codings_document", "document_id"),
    sa.CheckConstraint("origin IN ('human', 'model')", name="origin"),
    sa.CheckConstraint('"start" >= 0 AND "end" >= "start"', name="span"),
)

notes = sa.Table(
    "notes",
    metadata,
    _id(),
    sa.Column("guid", sa.String(36), nullable=False, unique=True),
    sa.Column("name", sa.String(255)),
    sa.Column("target_type", sa.String(16), nullable=False, default="project"),
    sa.Column("target_id", sa.Integer),
    sa.Column("text", sa.Text, nullable=False, default=""),
    _fk("author_id", "coders.id", ondelete="SET NULL"),
    _created(),
    sa.Column("start", sa.Integer, comment="an annotation's span in its document"),
    sa.Column("end", sa.Integer),
)

# REFI-QDA <Sets>: named groups of documents, codes or notes (MAXQDA document sets).
sets = sa.Table(
    "sets",
    metadata,
    _id(),
    sa.Column("guid", sa.String(36), nullable=False, unique=True),
    sa.Column("name", sa.String(255), nullable=False),
    sa.Column("description", sa.Text),
)

set_members = sa.Table(
    "set_members",
    metadata,
    _fk("set_id", "sets.id", nullable=False),
    sa.Column("member_type", sa.String(16), nullable=False),
    sa.Column("member_id", sa.Integer, nullable=False),
    sa.PrimaryKeyConstraint("set_id", "member_type", "member_id"),
    sa.CheckConstraint("member_type IN ('document', 'code', 'note')", name="member_type"),
)

cases = sa.Table(
    "cases",
    metadata,
    _id(),
    sa.Column("guid", sa.String(36), nullable=False, unique=True),
    sa.Column("name", sa.String(255), nullable=False),
    sa.Column("description", sa.Text),
    _fk("participant_id", "participants.id", ondelete="SET NULL"),
    sa.Column("variables", sa.JSON, nullable=False, default=dict),
)

case_documents = sa.Table(
    "case_documents",
    metadata,
    _fk("case_id", "cases.id", nullable=False),
    _fk("document_id", "documents.id", nullable=False),
    sa.PrimaryKeyConstraint("case_id", "document_id"),
)

group_evidence = sa.Table(
    "group_evidence",
    metadata,
    _id(),
    _fk("participant_id", "participants.id", nullable=False),
    _fk("document_id", "documents.id"),
    sa.Column("start", sa.Integer),
    sa.Column("end", sa.Integer),
    sa.Column("quote", sa.Text, nullable=False),
    sa.Column("kind", sa.String(32), nullable=False, comment="flair, experience, paid, self"),
    sa.Column("suggested_group", sa.String(16)),
    _created(),
    sa.UniqueConstraint(
        "participant_id", "document_id", "kind", "start", "end", name="uq_evidence_span"
    ),
)

# --- collection state -------------------------------------------------------------------

collection_cursors = sa.Table(
    "collection_cursors",
    metadata,
    _id(),
    sa.Column("source", sa.String(32), nullable=False),
    sa.Column("query_key", sa.Text, nullable=False),
    sa.Column("state", sa.JSON, nullable=False, default=dict),
    sa.Column("done", sa.Boolean, nullable=False, default=False),
    sa.Column("updated_at", UTCDateTime, nullable=False, default=utcnow, onupdate=utcnow),
    sa.Column(
        "generation",
        sa.Integer,
        nullable=False,
        default=0,
        server_default="0",
        comment="writes so far: a writer that saw another generation lost a race",
    ),
    sa.UniqueConstraint("source", "query_key", name="uq_cursor_key"),
)

collection_seen = sa.Table(
    "collection_seen",
    metadata,
    _fk("cursor_id", "collection_cursors.id", nullable=False),
    sa.Column("native_id", sa.String(255), nullable=False),
    sa.PrimaryKeyConstraint("cursor_id", "native_id"),
)

# --- survey -----------------------------------------------------------------------------

instruments = sa.Table(
    "instruments",
    metadata,
    _id(),
    sa.Column("name", sa.String(255), nullable=False, unique=True),
    sa.Column("definition", sa.JSON, nullable=False),
    sa.Column("sha256", sa.String(64), nullable=False),
    _created(),
)

survey_items = sa.Table(
    "survey_items",
    metadata,
    _id(),
    _fk("instrument_id", "instruments.id", nullable=False),
    sa.Column("code", sa.String(255), nullable=False),
    sa.Column("text", sa.Text, nullable=False, default=""),
    sa.Column("qtype", sa.String(16), nullable=False),
    sa.Column("options", sa.JSON, nullable=False, default=list),
    sa.Column("reverse", sa.Boolean, nullable=False, default=False),
    sa.Column("scale", sa.String(255)),
    sa.Column("position", sa.Integer, nullable=False, default=0),
    sa.UniqueConstraint("instrument_id", "code", name="uq_item_code"),
)

survey_imports = sa.Table(
    "survey_imports",
    metadata,
    _id(),
    _fk("instrument_id", "instruments.id", nullable=False),
    sa.Column("file_name", sa.Text, nullable=False),
    sa.Column("file_sha256", sa.String(64), nullable=False),
    sa.Column("format", sa.String(16), nullable=False),
    sa.Column("n_respondents", sa.Integer, nullable=False, default=0),
    sa.Column("imported_at", UTCDateTime, nullable=False, default=utcnow),
    sa.UniqueConstraint("instrument_id", "file_sha256", name="uq_import_file"),
)

survey_responses = sa.Table(
    "survey_responses",
    metadata,
    _id(),
    _fk("import_id", "survey_imports.id", nullable=False),
    _fk("participant_id", "participants.id", nullable=False),
    _fk("item_id", "survey_items.id", nullable=False),
    sa.Column("value", sa.Text),
    sa.Column("value_num", sa.Float),
    sa.Column("label", sa.Text),
    sa.Index("ix_responses_item", "item_id"),
    sa.Index("ix_responses_participant", "participant_id"),
)

# --- audio ------------------------------------------------------------------------------

songs = sa.Table(
    "songs",
    metadata,
    _id(),
    sa.Column("name", sa.String(255), nullable=False, unique=True),
    _created(),
    _extra(),
)

audio_files = sa.Table(
    "audio_files",
    metadata,
    _id(),
    sa.Column("sha256", sa.String(64), nullable=False, unique=True),
    sa.Column("path", sa.Text, nullable=False),
    sa.Column("stored", sa.Boolean, nullable=False, comment="copied into audio/"),
    sa.Column("original_name", sa.Text),
    sa.Column("format", sa.String(16)),
    sa.Column("subtype", sa.String(16)),
    sa.Column("sample_rate", sa.Integer),
    sa.Column("channels", sa.Integer),
    sa.Column("frames", sa.BigInteger),
    sa.Column("duration_s", sa.Float),
    sa.Column("added_at", UTCDateTime, nullable=False, default=utcnow),
)

song_versions = sa.Table(
    "song_versions",
    metadata,
    _id(),
    _fk("song_id", "songs.id", nullable=False),
    _fk("file_id", "audio_files.id", nullable=False),
    sa.Column("kind", sa.String(8), nullable=False, comment="mix, human or ai"),
    sa.Column("service", sa.String(64)),
    sa.Column("setting", sa.String(64)),
    sa.Column("label", sa.String(160), nullable=False),
    sa.Column("added_at", UTCDateTime, nullable=False, default=utcnow),
    sa.UniqueConstraint("song_id", "file_id", name="uq_version_file"),
    sa.CheckConstraint("kind IN ('mix', 'human', 'ai')", name="kind"),
)

audio_metrics = sa.Table(
    "audio_metrics",
    metadata,
    _id(),
    _fk("file_id", "audio_files.id", nullable=False),
    sa.Column("name", sa.String(64), nullable=False),
    sa.Column("value", sa.Float),
    sa.Column("data", sa.JSON, comment="array-valued metrics such as band levels"),
    sa.Column("tool_version", sa.String(32)),
    sa.Column("computed_at", UTCDateTime, nullable=False, default=utcnow),
    sa.UniqueConstraint("file_id", "name", name="uq_metric_name"),
)

audio_comparisons = sa.Table(
    "audio_comparisons",
    metadata,
    _id(),
    _fk("song_id", "songs.id", nullable=False),
    _fk("version_id", "song_versions.id", nullable=False),
    _fk("reference_version_id", "song_versions.id", nullable=False),
    sa.Column("result", sa.JSON, nullable=False),
    sa.Column("computed_at", UTCDateTime, nullable=False, default=utcnow),
    sa.UniqueConstraint("version_id", "reference_version_id", name="uq_comparison_pair"),
)

# --- listening tests (schema 0005) ------------------------------------------------------
# A test has items (one excerpt of one song), each with prepared stimuli (the matched
# WAV of one song version, or an anchor built from the reference), and trials (what one
# page asks). A session is one listener's run with its own seed, order and opaque
# per-session stimulus tokens; answers are written as given, events are the log for
# behavioural screening. Rows from simulated listeners carry simulated = true.

LISTENING_DESIGNS = ("mushra", "mushra-noref", "ab", "abx")
STIMULUS_ROLES = ("reference", "condition", "anchor35", "anchor70")

listening_tests = sa.Table(
    "listening_tests",
    metadata,
    _id(),
    sa.Column("name", sa.String(255), nullable=False, unique=True),
    sa.Column("design", sa.String(16), nullable=False),
    sa.Column("config", sa.JSON, nullable=False, default=dict,
              comment="reference, conditions, songs, excerpt, target loudness, format"),
    _created(),
    sa.CheckConstraint(
        "design IN ('mushra', 'mushra-noref', 'ab', 'abx')", name="design"
    ),
)  # fmt: skip

listening_items = sa.Table(
    "listening_items",
    metadata,
    _id(),
    _fk("test_id", "listening_tests.id", nullable=False),
    _fk("song_id", "songs.id", nullable=False),
    sa.Column("position", sa.Integer, nullable=False),
    sa.Column("start_s", sa.Float, nullable=False, comment="excerpt start in the reference"),
    sa.Column("frames", sa.Integer, nullable=False),
    sa.Column("sample_rate", sa.Integer, nullable=False),
    sa.Column("channels", sa.Integer, nullable=False),
    sa.UniqueConstraint("test_id", "song_id", name="uq_listening_item_song"),
)

listening_stimuli = sa.Table(
    "listening_stimuli",
    metadata,
    _id(),
    _fk("item_id", "listening_items.id", nullable=False),
    _fk("version_id", "song_versions.id", nullable=False),
    sa.Column("role", sa.String(16), nullable=False),
    sa.Column("sha256", sa.String(64), nullable=False, comment="of the prepared WAV"),
    sa.Column("path", sa.Text, nullable=False, comment="relative to the study folder"),
    sa.Column("bytes", sa.Integer, nullable=False),
    sa.Column("manifest", sa.JSON, nullable=False, default=dict,
              comment="source sha256, excerpt bounds, lag, gain, loudness and true peak after"),
    sa.UniqueConstraint("item_id", "version_id", "role", name="uq_listening_stimulus"),
    sa.CheckConstraint(
        "role IN ('reference', 'condition', 'anchor35', 'anchor70')", name="role"
    ),
)  # fmt: skip

listening_trials = sa.Table(
    "listening_trials",
    metadata,
    _id(),
    _fk("test_id", "listening_tests.id", nullable=False),
    _fk("item_id", "listening_items.id", nullable=False),
    sa.Column("position", sa.Integer, nullable=False, comment="index in the design"),
    sa.Column("stimuli", sa.JSON, nullable=False, comment="stimulus ids (A, B for ab/abx)"),
    sa.UniqueConstraint("test_id", "position", name="uq_listening_trial_position"),
)

listening_sessions = sa.Table(
    "listening_sessions",
    metadata,
    _id(),
    _fk("test_id", "listening_tests.id", nullable=False),
    _fk("participant_id", "participants.id"),
    sa.Column("token", sa.String(64), nullable=False, unique=True),
    sa.Column("seed", sa.BigInteger, nullable=False),
    sa.Column("plan", sa.JSON, nullable=False, comment="trial order, per-trial tokens"),
    sa.Column("crowd_id", sa.String(128)),
    sa.Column("completion_code", sa.String(32)),
    sa.Column("status", sa.String(16), nullable=False, default="open"),
    sa.Column("progress", sa.Integer, nullable=False, default=0, comment="trials answered"),
    sa.Column("simulated", sa.Boolean, nullable=False, default=False),
    _created(),
    sa.Column("started_at", UTCDateTime),
    sa.Column("completed_at", UTCDateTime),
    sa.CheckConstraint("status IN ('open', 'started', 'complete')", name="status"),
)

listening_answers = sa.Table(
    "listening_answers",
    metadata,
    _id(),
    _fk("session_id", "listening_sessions.id", nullable=False),
    _fk("trial_id", "listening_trials.id", nullable=False),
    _fk("stimulus_id", "listening_stimuli.id", nullable=False),
    _fk("versus_stimulus_id", "listening_stimuli.id"),
    sa.Column("slot_role", sa.String(20), nullable=False,
              comment="reference, hidden_reference, anchor35, anchor70 or condition"),
    sa.Column("presented", sa.Integer, nullable=False, comment="trial position in the session"),
    sa.Column("score", sa.Float),
    sa.Column("choice", sa.String(160)),
    sa.Column("tags", sa.JSON, nullable=False, default=list),
    sa.Column("answered_at", UTCDateTime, nullable=False, default=utcnow),
    sa.Column("simulated", sa.Boolean, nullable=False, default=False),
    sa.UniqueConstraint("session_id", "trial_id", "stimulus_id", name="uq_listening_answer"),
)  # fmt: skip

listening_events = sa.Table(
    "listening_events",
    metadata,
    _id(),
    _fk("session_id", "listening_sessions.id", nullable=False),
    sa.Column("trial_id", sa.Integer),
    sa.Column("kind", sa.String(24), nullable=False),
    sa.Column("detail", sa.JSON, nullable=False, default=dict),
    sa.Column("client_ms", sa.Float, comment="performance.now() in the page"),
    sa.Column("at", UTCDateTime, nullable=False, default=utcnow),
    sa.Column("simulated", sa.Boolean, nullable=False, default=False),
    sa.Index("ix_listening_events_session", "session_id"),
)

# --- machine assistance (schema 0002) ---------------------------------------------------

embeddings = sa.Table(
    "embeddings",
    metadata,
    sa.Column("model_id", sa.String(200), nullable=False),
    sa.Column("text_sha256", sa.String(64), nullable=False),
    sa.Column("dim", sa.Integer, nullable=False),
    sa.Column("vector", sa.LargeBinary, nullable=False, comment="float32, little-endian"),
    sa.PrimaryKeyConstraint("model_id", "text_sha256"),
)

topic_runs = sa.Table(
    "topic_runs",
    metadata,
    _id(),
    sa.Column("model_id", sa.String(200), nullable=False),
    sa.Column("params", sa.JSON, nullable=False, default=dict),
    _created(),
)

topics = sa.Table(
    "topics",
    metadata,
    _id(),
    _fk("run_id", "topic_runs.id", nullable=False),
    sa.Column("topic_num", sa.Integer, nullable=False),
    sa.Column("label", sa.Text, nullable=False, default=""),
    sa.Column("terms", sa.JSON, nullable=False, default=list),
    sa.Column("size", sa.Integer, nullable=False, default=0),
    _fk("code_id", "codes.id", ondelete="SET NULL"),
    _extra(),
    sa.UniqueConstraint("run_id", "topic_num", name="uq_topic_num"),
)

topic_segments = sa.Table(
    "topic_segments",
    metadata,
    _fk("topic_id", "topics.id", nullable=False),
    _fk("segment_id", "segments.id", nullable=False),
    sa.Column("probability", sa.Float),
    sa.Column("representative", sa.Boolean, nullable=False, default=False),
    sa.PrimaryKeyConstraint("topic_id", "segment_id"),
)

tool_mentions = sa.Table(
    "tool_mentions",
    metadata,
    _id(),
    _fk("document_id", "documents.id", nullable=False),
    _fk("segment_id", "segments.id", ondelete="SET NULL"),
    sa.Column("tool", sa.String(64), nullable=False),
    sa.Column("alias", sa.String(128), nullable=False),
    sa.Column("start", sa.Integer, nullable=False),
    sa.Column("end", sa.Integer, nullable=False),
    sa.Column("stance", sa.String(16), comment="positive, negative, mixed or neutral"),
    sa.Column("origin", sa.String(8), nullable=False, default="model"),
    sa.Column("model_id", sa.String(200)),
    sa.Column("score", sa.Float),
    _fk("coder_id", "coders.id", ondelete="SET NULL"),
    _created(),
    sa.Index("ix_mentions_tool", "tool"),
    sa.Index("ix_mentions_document", "document_id"),
)

# --- services (schema 0006) -------------------------------------------------------------

services = sa.Table(
    "services",
    metadata,
    _id(),
    sa.Column("name", sa.String(64), nullable=False, unique=True, comment="canonical name"),
    _created(),
    _extra(),
)

service_names = sa.Table(
    "service_names",
    metadata,
    _id(),
    _fk("service_id", "services.id", nullable=False),
    sa.Column("kind", sa.String(8), nullable=False, comment="text (an alias) or audio (a label)"),
    sa.Column("value", sa.String(160), nullable=False),
    sa.Column("norm", sa.String(160), nullable=False, comment="case- and space-folded value"),
    sa.UniqueConstraint("kind", "norm", name="uq_service_name"),
    sa.CheckConstraint("kind IN ('text', 'audio')", name="kind"),
)

# --- the coding workbench (schema 0009) --------------------------------------------------

# A coder's mark that a document is done: in blind double-coding the others' codings of a
# document stay hidden from a coder until both have marked it done.
document_status = sa.Table(
    "document_status",
    metadata,
    _fk("document_id", "documents.id", nullable=False),
    _fk("coder_id", "coders.id", nullable=False),
    sa.Column("done_at", UTCDateTime, nullable=False, default=utcnow),
    sa.PrimaryKeyConstraint("document_id", "coder_id"),
)

# An adjudicator's resolution of a disagreement: a new coding (by the adjudicator) and the
# codings it was resolved from, which are kept.
coding_resolutions = sa.Table(
    "coding_resolutions",
    metadata,
    _id(),
    _fk("coding_id", "codings.id", nullable=False),
    _fk("adjudicator_id", "coders.id", ondelete="SET NULL"),
    sa.Column("resolved", sa.JSON, nullable=False, default=list, comment="ids of the codings"),
    _created(),
)

# Every change made to the codebook in the workbench, with the codebook as it was after it
# (YAML, as `codebook export` writes it): the codebook's version history.
codebook_changes = sa.Table(
    "codebook_changes",
    metadata,
    _id(),
    _fk("coder_id", "coders.id", ondelete="SET NULL"),
    sa.Column("action", sa.String(16), nullable=False, comment="add, edit, move or merge"),
    sa.Column("detail", sa.JSON, nullable=False, default=dict),
    sa.Column("codebook", sa.Text, nullable=False, comment="the codebook after the change"),
    _created(),
)

# --- the workbench as a team (schema 0010) ------------------------------------------------

# A coder's sign-in token for a shared workbench: only its SHA-256 is kept (the token is
# shown once, when made); a revoked token stays, with the moment it was revoked.
coder_tokens = sa.Table(
    "coder_tokens",
    metadata,
    _id(),
    _fk("coder_id", "coders.id", nullable=False),
    sa.Column("token_sha256", sa.String(64), nullable=False, unique=True),
    sa.Column("prefix", sa.String(12), nullable=False, comment="first characters, to name it"),
    _created(),
    sa.Column("revoked_at", UTCDateTime),
)

# An adjudicator's stance for a unit two coders labelled differently; their labels are kept
# and the resolution is the unit's human stance from then on.
stance_resolutions = sa.Table(
    "stance_resolutions",
    metadata,
    _fk("segment_id", "segments.id", nullable=False),
    sa.Column("tool", sa.String(64), nullable=False),
    sa.Column("stance", sa.String(16), nullable=False),
    _fk("adjudicator_id", "coders.id", ondelete="SET NULL"),
    sa.Column("labels", sa.JSON, nullable=False, default=dict, comment="coder -> stance resolved"),
    _created(),
    sa.PrimaryKeyConstraint("segment_id", "tool"),
)
