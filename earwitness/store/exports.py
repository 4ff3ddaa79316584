"""Tidy, self-contained tables for pandas and R.

Each export kind is one table whose rows need no joins: a coding row carries its
code's name and path and the coded text; a document row carries its platform,
native id, parent id and author pseudonym. A kind with no data yet still exports
its columns.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from earwitness.errors import EarwitnessError
from earwitness.files import atomic_output
from earwitness.store import schema as s

__all__ = [
    "EXPORT_FORMATS",
    "EXPORT_KINDS",
    "SERVICE_KINDS",
    "ServiceOf",
    "csv_text",
    "export_table",
    "listening_answers_query",
    "neutralise_formulas",
    "write_table",
]

ExportFormat = Literal["csv", "jsonl", "parquet"]
ServiceOf = Callable[[str], str | None]
EXPORT_FORMATS: tuple[ExportFormat, ...] = ("csv", "jsonl", "parquet")

_author = s.participants.alias("author")


def _frame(connection: Connection, query: sa.Select[Any]) -> pd.DataFrame:
    result = connection.execute(query)
    return pd.DataFrame(result.fetchall(), columns=list(result.keys()))


def _documents(connection: Connection) -> pd.DataFrame:
    d = s.documents
    query = (
        sa.select(
            d.c.id.label("document_id"),
            d.c.guid.label("document_guid"),
            d.c.platform,
            d.c.native_id,
            d.c.parent_native_id,
            d.c.thread_native_id,
            d.c.kind,
            _author.c.pseudonym.label("author_pseudonym"),
            _author.c.user_group,
            d.c.speaker_role,
            d.c.title,
            d.c.text,
            d.c.quoted,
            d.c.url,
            d.c.score,
            d.c.status,
            d.c.authored_at,
            d.c.edited_at,
            d.c.start_s,
            d.c.end_s,
            s.sources.c.query.label("source_query"),
            s.sources.c.fetched_at,
        )
        .select_from(
            d.outerjoin(_author, d.c.participant_id == _author.c.id).outerjoin(
                s.sources, d.c.source_id == s.sources.c.id
            )
        )
        .order_by(d.c.id)
    )
    return _frame(connection, query)


def _segments(connection: Connection) -> pd.DataFrame:
    d, g = s.documents, s.segments
    query = (
        sa.select(
            g.c.id.label("segment_id"),
            g.c.document_id,
            d.c.guid.label("document_guid"),
            d.c.platform,
            d.c.native_id,
            g.c.kind,
            g.c.start,
            g.c.end,
            d.c.text.label("_text"),
            _author.c.pseudonym.label("author_pseudonym"),
            _author.c.user_group,
            d.c.speaker_role,
        )
        .select_from(
            g.join(d, g.c.document_id == d.c.id).outerjoin(
                _author, d.c.participant_id == _author.c.id
            )
        )
        .order_by(g.c.document_id, g.c.start, g.c.id)
    )
    return _with_span_text(_frame(connection, query), "text", after="end")


def _code_paths(connection: Connection) -> dict[int, str]:
    rows = connection.execute(sa.select(s.codes.c.id, s.codes.c.name, s.codes.c.parent_id)).all()
    by_id = {row.id: row for row in rows}
    paths: dict[int, str] = {}
    for row in rows:
        names: list[str] = []
        seen: set[int] = set()
        current: Any = row
        while current is not None and current.id not in seen:
            seen.add(current.id)
            names.append(current.name)
            current = by_id.get(current.parent_id)
        paths[row.id] = "/".join(reversed(names))
    return paths


def _codes(connection: Connection) -> pd.DataFrame:
    c, parent = s.codes, s.codes.alias("parent")
    query = (
        sa.select(
            c.c.id.label("code_id"),
            c.c.guid.label("code_guid"),
            c.c.name,
            parent.c.guid.label("parent_guid"),
            c.c.definition,
            c.c.inclusion,
            c.c.exclusion,
            c.c.examples,
            c.c.color,
            c.c.codable,
            c.c.origin,
        )
        .select_from(c.outerjoin(parent, c.c.parent_id == parent.c.id))
        .order_by(c.c.position, c.c.id)
    )
    frame = _frame(connection, query)
    paths = _code_paths(connection)
    frame.insert(3, "path", [paths.get(i, "") for i in frame["code_id"]])
    frame["examples"] = [json.dumps(v or [], ensure_ascii=False) for v in frame["examples"]]
    return frame


def _codings(connection: Connection) -> pd.DataFrame:
    k, d, c = s.codings, s.documents, s.codes
    query = (
        sa.select(
            k.c.id.label("coding_id"),
            k.c.guid.label("coding_guid"),
            c.c.id.label("_code_id"),
            c.c.guid.label("code_guid"),
            c.c.name.label("code_name"),
            d.c.guid.label("document_guid"),
            d.c.platform,
            d.c.native_id,
            k.c.segment_id,
            k.c.start,
            k.c.end,
            d.c.text.label("_text"),
            s.coders.c.name.label("coder"),
            k.c.origin,
            k.c.model_id,
            k.c.score,
            k.c.status,
            k.c.memo,
            _author.c.pseudonym.label("author_pseudonym"),
            _author.c.user_group,
            k.c.created_at,
        )
        .select_from(
            k.join(d, k.c.document_id == d.c.id)
            .join(c, k.c.code_id == c.c.id)
            .outerjoin(s.coders, k.c.coder_id == s.coders.c.id)
            .outerjoin(_author, d.c.participant_id == _author.c.id)
        )
        .order_by(k.c.id)
    )
    frame = _with_span_text(_frame(connection, query), "coded_text", after="end")
    paths = _code_paths(connection)
    frame.insert(4, "code_path", [paths.get(i, "") for i in frame.pop("_code_id")])
    return frame


def _participants(connection: Connection) -> pd.DataFrame:
    p, d = s.participants, s.documents
    n_documents = (
        sa.select(sa.func.count(d.c.id)).where(d.c.participant_id == p.c.id).scalar_subquery()
    )
    query = sa.select(
        p.c.pseudonym,
        p.c.kind,
        p.c.user_group,
        p.c.group_method,
        p.c.group_confidence,
        n_documents.label("n_documents"),
        p.c.created_at,
    ).order_by(p.c.id)
    return _frame(connection, query)


def _survey(connection: Connection) -> pd.DataFrame:
    r, i, imp = s.survey_responses, s.survey_items, s.survey_imports
    query = (
        sa.select(
            s.instruments.c.name.label("instrument"),
            imp.c.file_name.label("import_file"),
            s.participants.c.pseudonym.label("respondent"),
            s.participants.c.user_group,
            i.c.code.label("item"),
            i.c.text.label("item_text"),
            i.c.qtype,
            i.c.scale,
            r.c.value,
            r.c.value_num,
            r.c.label,
        )
        .select_from(
            r.join(i, r.c.item_id == i.c.id)
            .join(imp, r.c.import_id == imp.c.id)
            .join(s.instruments, imp.c.instrument_id == s.instruments.c.id)
            .join(s.participants, r.c.participant_id == s.participants.c.id)
        )
        .order_by(r.c.id)
    )
    return _frame(connection, query)


def _metrics(connection: Connection) -> pd.DataFrame:
    m, f, v = s.audio_metrics, s.audio_files, s.song_versions
    query = (
        sa.select(
            s.songs.c.name.label("song"),
            v.c.label.label("version"),
            v.c.kind.label("version_kind"),
            v.c.service,
            v.c.setting,
            f.c.sha256.label("file_sha256"),
            m.c.name.label("metric"),
            m.c.value,
            m.c.data,
            m.c.computed_at,
        )
        .select_from(
            m.join(f, m.c.file_id == f.c.id)
            .outerjoin(v, v.c.file_id == f.c.id)
            .outerjoin(s.songs, v.c.song_id == s.songs.c.id)
        )
        .order_by(m.c.id, v.c.id)
    )
    frame = _frame(connection, query)
    frame["data"] = [json.dumps(x) if x is not None else None for x in frame["data"]]
    return frame


def listening_answers_query(test: str | None = None) -> sa.Select[Any]:
    """One row per listening-test answer (schema 0005), with what it was an answer about:
    the query behind ``export ratings`` and the listening module's ratings frame."""
    a, se, t, tr = s.listening_answers, s.listening_sessions, s.listening_tests, s.listening_trials
    st, versus, item = s.listening_stimuli, s.listening_stimuli.alias("versus"), s.listening_items
    v, vv = s.song_versions, s.song_versions.alias("versus_version")
    query = (
        sa.select(
            a.c.id.label("answer_id"),
            t.c.name.label("test"),
            t.c.design,
            se.c.token.label("session"),
            s.participants.c.pseudonym.label("participant"),
            s.participants.c.user_group,
            tr.c.position.label("trial"),
            a.c.presented,
            s.songs.c.name.label("song"),
            v.c.label.label("version_label"),
            v.c.kind.label("version_kind"),
            v.c.service,
            a.c.slot_role.label("role"),
            vv.c.label.label("versus_label"),
            vv.c.kind.label("versus_kind"),
            a.c.score,
            a.c.choice,
            a.c.tags,
            se.c.started_at,
            a.c.answered_at,
            a.c.simulated,
        )
        .select_from(
            a.join(se, a.c.session_id == se.c.id)
            .join(t, se.c.test_id == t.c.id)
            .join(tr, a.c.trial_id == tr.c.id)
            .join(item, tr.c.item_id == item.c.id)
            .join(s.songs, item.c.song_id == s.songs.c.id)
            .join(st, a.c.stimulus_id == st.c.id)
            .join(v, st.c.version_id == v.c.id)
            .outerjoin(versus, a.c.versus_stimulus_id == versus.c.id)
            .outerjoin(vv, versus.c.version_id == vv.c.id)
            .outerjoin(s.participants, se.c.participant_id == s.participants.c.id)
        )
        .order_by(a.c.id)
    )
    return query if test is None else query.where(t.c.name == test)


def _ratings(connection: Connection) -> pd.DataFrame:
    """One row per listening-test answer."""
    query = listening_answers_query()
    frame = _frame(connection, query)
    frame["tags"] = [json.dumps(x) if x else None for x in frame["tags"]]
    return frame


def _with_span_text(frame: pd.DataFrame, name: str, *, after: str) -> pd.DataFrame:
    texts = [
        text[start:end] if isinstance(text, str) else None
        for text, start, end in zip(frame.pop("_text"), frame["start"], frame["end"], strict=True)
    ]
    frame.insert(list(frame.columns).index(after) + 1, name, texts)
    return frame


def _mentions(connection: Connection) -> pd.DataFrame:
    """Tool mentions: machine-found ones and human stance labels, one row each."""
    m, d = s.tool_mentions, s.documents
    query = (
        sa.select(
            m.c.id.label("mention_id"),
            m.c.tool,
            m.c.alias,
            m.c.start,
            m.c.end,
            d.c.text.label("_text"),
            m.c.stance,
            m.c.origin,
            m.c.model_id,
            m.c.score,
            s.coders.c.name.label("coder"),
            m.c.segment_id,
            d.c.guid.label("document_guid"),
            d.c.platform,
            d.c.native_id,
            _author.c.pseudonym.label("author_pseudonym"),
            _author.c.user_group,
            _author.c.group_method.label("user_group_method"),
        )
        .select_from(
            m.join(d, m.c.document_id == d.c.id)
            .outerjoin(s.coders, m.c.coder_id == s.coders.c.id)
            .outerjoin(_author, d.c.participant_id == _author.c.id)
        )
        .order_by(m.c.document_id, m.c.start, m.c.origin, m.c.id)
    )
    return _with_span_text(_frame(connection, query), "span", after="end")


EXPORT_KINDS: dict[str, Callable[[Connection], pd.DataFrame]] = {
    "documents": _documents,
    "segments": _segments,
    "codes": _codes,
    "codings": _codings,
    "participants": _participants,
    "survey": _survey,
    "metrics": _metrics,
    "ratings": _ratings,
    "mentions": _mentions,
}


# kinds with a service column, and the column holding each row's version label
SERVICE_KINDS = {"metrics": "version", "ratings": "version_label"}


def export_table(
    connection: Connection, kind: str, *, service_of: ServiceOf | None = None
) -> pd.DataFrame:
    """The tidy table for one export kind.

    ``service_of`` maps a version label to the study's canonical service name (pass
    ``earwitness.services.ServiceIndex.of_label``: the store does not import the services
    package); kinds with a service column need it, so that every export names a service
    as the dashboard and the listening reports do.
    """
    try:
        build = EXPORT_KINDS[kind]
    except KeyError:
        raise EarwitnessError(
            f"unknown export kind {kind!r}; choose one of: {', '.join(EXPORT_KINDS)}"
        ) from None
    frame = build(connection)
    if kind in SERVICE_KINDS:
        if service_of is None:
            raise ValueError(f"exporting {kind} needs service_of (the study's services)")
        frame["service"] = _service_names(frame[SERVICE_KINDS[kind]], frame["service"], service_of)
    return frame


def _service_names(labels: pd.Series, stored: pd.Series, service_of: ServiceOf) -> list[Any]:
    """The canonical service of each AI version's label, else its service as stored; none
    for the mix and human masters (as on the dashboard; ``human:ENGINEER`` stays in the
    label)."""
    return [
        (service_of(label) or (raw if isinstance(raw, str) else None))
        if isinstance(label, str) and label.startswith("ai:")
        else None
        for label, raw in zip(labels, stored, strict=True)
    ]


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """Prefix text cells that a spreadsheet would run as a formula (OWASP CSV injection)."""
    out = frame.copy()
    for column in out.columns:
        if not pd.api.types.is_numeric_dtype(out[column]):
            out[column] = [
                "'" + value
                if isinstance(value, str) and value.startswith(_FORMULA_START)
                else value
                for value in out[column]
            ]
    return out


def csv_text(frame: pd.DataFrame) -> str:
    """The table as formula-safe CSV, every field holding a CR or LF quoted (RFC 4180).

    Python's csv writer quotes only the characters of its line terminator, so a bare CR
    went unquoted with ``\\n``: rows are written with ``\\r\\n`` (which quotes both) and
    the terminators outside quotes are then turned back into ``\\n``.
    """
    text = neutralise_formulas(frame).to_csv(index=False, lineterminator="\r\n")
    parts = text.split('"')
    parts[::2] = [part.replace("\r\n", "\n") for part in parts[::2]]  # even: outside quotes
    return '"'.join(parts)


def write_table(frame: pd.DataFrame, path: Path, fmt: ExportFormat) -> None:
    """Write a table as CSV (formula-safe), JSON Lines or Parquet, atomically: the
    target is replaced only by a complete file, never left empty or torn."""
    if fmt not in EXPORT_FORMATS:
        raise EarwitnessError(f"unknown export format {fmt!r}; choose csv, jsonl or parquet")
    with atomic_output(path) as temporary:
        if fmt == "csv":
            temporary.write_bytes(csv_text(frame).encode("utf-8"))
        elif fmt == "jsonl":
            if frame.empty:  # JSON Lines has no header: an empty table is an empty file
                temporary.write_text("", encoding="utf-8")
            else:
                frame.to_json(
                    temporary, orient="records", lines=True, date_format="iso", force_ascii=False
                )
        else:
            frame.to_parquet(temporary, index=False)
