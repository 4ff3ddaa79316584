"""earwitness.store: the study database, and the only place with SQL text.

Every area reads and writes the study database through a :class:`Store`, with
SQLAlchemy Core expressions on the tables in :mod:`earwitness.store.schema`. SQLite
(WAL, foreign keys on) is the default; PostgreSQL lets a team share one study.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from earwitness.store import schema
from earwitness.store._engine import Store, check_db_url, explain_database_error
from earwitness.store._meta import check_key, key_fingerprint, key_mismatch, record_key
from earwitness.store.raw import RawArchive, raw_body, read_raw_record
from earwitness.store.records import (
    DocumentRecord,
    ensure_coder,
    ensure_participant,
    insert_ignoring_conflicts,
    record_source,
    set_user_group,
    upsert_document,
)

if TYPE_CHECKING:
    from earwitness.store.exports import EXPORT_FORMATS, EXPORT_KINDS, export_table, write_table

__all__ = [
    "COUNTED_KINDS",
    "EXPORT_FORMATS",
    "EXPORT_KINDS",
    "DocumentRecord",
    "RawArchive",
    "Store",
    "check_db_url",
    "check_key",
    "count_records",
    "ensure_coder",
    "ensure_participant",
    "explain_database_error",
    "export_table",
    "insert_ignoring_conflicts",
    "key_fingerprint",
    "key_mismatch",
    "raw_body",
    "read_raw_record",
    "record_key",
    "record_source",
    "schema",
    "set_user_group",
    "upsert_document",
    "write_table",
]

COUNTED_KINDS: dict[str, sa.Table] = {
    "sources": schema.sources,
    "participants": schema.participants,
    "documents": schema.documents,
    "segments": schema.segments,
    "codes": schema.codes,
    "codings": schema.codings,
    "coders": schema.coders,
    "notes": schema.notes,
    "cases": schema.cases,
    "instruments": schema.instruments,
    "survey_responses": schema.survey_responses,
    "songs": schema.songs,
    "audio_files": schema.audio_files,
    "audio_metrics": schema.audio_metrics,
    "listening_answers": schema.listening_answers,
}


def count_records(connection: Connection) -> dict[str, int]:
    """How many records of each kind the study holds."""
    return {
        kind: int(connection.execute(sa.select(sa.func.count()).select_from(table)).scalar_one())
        for kind, table in COUNTED_KINDS.items()
    }


# The exports need pandas and pyarrow, slow to import: they load on first use (PEP 562),
# so `earwitness init` and `earwitness status` start fast.
_EXPORT_NAMES = {"EXPORT_FORMATS", "EXPORT_KINDS", "export_table", "write_table"}


def __getattr__(name: str) -> Any:
    if name in _EXPORT_NAMES:
        return getattr(importlib.import_module("earwitness.store.exports"), name)
    raise AttributeError(f"module 'earwitness.store' has no attribute {name!r}")
