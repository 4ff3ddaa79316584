"""Importing an export into a study: privacy first, one transaction.

What is stored: the instrument, the file's name and sha256, one keyed pseudonym per
respondent (HMAC of instrument name and response id with the study key), the coded
answers of the instrument's items, and free-text answers masked and filed as
documents for coding. What is not: the file itself, response ids, and every column
holding an IP address, geolocation, e-mail, phone number, name, postal address, birth
date, uploaded files or recipient data (recognised by heading, and by content for
e-mail, phone and IP), unless the instrument names it as an item with ``keep: true``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from earwitness.errors import EarwitnessError
from earwitness.privacy import Masker, NameMask, pseudonym
from earwitness.store import DocumentRecord, Store, insert_ignoring_conflicts, record_source
from earwitness.store import schema as s
from earwitness.store.records import ensure_participants, insert_survey_responses, upsert_documents
from earwitness.store.schema import USER_GROUPS
from earwitness.survey._coding import CodedRespondent, code_export, match_items
from earwitness.survey._infer import infer_instrument
from earwitness.survey._instrument import Instrument
from earwitness.survey._readers import SurveyExport, read_export

__all__ = ["ImportResult", "import_export", "import_file", "respondent_pseudonym"]


@dataclass
class ImportResult:
    """What an import stored and what it left behind."""

    instrument: str
    file_name: str
    format: str
    n_respondents: int
    n_responses: int
    n_documents: int
    replaced_respondents: int
    groups: dict[str, int] = field(default_factory=dict)
    dropped_columns: dict[str, str] = field(default_factory=dict)
    unused_columns: list[str] = field(default_factory=list)
    excluded_responses: dict[str, int] = field(default_factory=dict)


def respondent_pseudonym(instrument: str, response_id: str, key: bytes) -> str:
    """The respondent's keyed pseudonym; the response id itself is never stored."""
    return pseudonym(f"survey:{instrument}:{response_id}", key)


def _cell_masker(masker: Masker, names: NameMask | None) -> Callable[[str], str]:
    """Personal data, then person names, masked; option labels repeat, so it remembers."""
    if names is None:
        return masker.mask
    people = names

    @lru_cache(maxsize=65_536)
    def mask(text: str) -> str:
        return people(masker.mask(text))

    return mask


def import_file(
    store: Store,
    path: str | Path,
    key: bytes,
    *,
    format: str = "auto",
    instrument: Instrument | None = None,
    encoding: str | None = None,
    keep_previews: bool = False,
    names: NameMask | None = None,
) -> ImportResult:
    """Read, code and store an export; without an instrument, one is inferred.
    Qualtrics preview and test responses are left out unless ``keep_previews``.
    ``names`` masks person names in the answers (the study's :func:`study_name_masker`)."""
    export = read_export(path, format=format, encoding=encoding, keep_previews=keep_previews)
    return import_export(store, export, key, instrument=instrument, names=names)


def import_export(
    store: Store,
    export: SurveyExport,
    key: bytes,
    *,
    instrument: Instrument | None = None,
    names: NameMask | None = None,
) -> ImportResult:
    instrument = instrument or infer_instrument(export)
    respondents = code_export(export, instrument, _cell_masker(Masker(key), names))
    used = set(match_items(export, instrument).values())
    result = ImportResult(
        instrument=instrument.name,
        file_name=export.path.name,
        format=export.format,
        n_respondents=len(respondents),
        n_responses=0,
        n_documents=0,
        replaced_respondents=0,
        dropped_columns={
            c.code: c.personal
            for i, c in enumerate(export.columns)
            if c.role == "personal" and i not in used
        },
        unused_columns=[
            c.code for i, c in enumerate(export.columns) if c.role == "answer" and i not in used
        ],
        excluded_responses=dict(export.excluded),
    )
    with store.transaction() as connection:
        instrument_id, item_ids = _ensure_instrument(connection, instrument)
        run = _begin(connection, instrument_id, instrument, export, len(respondents))
    # Respondents are written in chunks, each one transaction with the import's cursor,
    # so other writers of an SQLite study wait seconds, not the whole import, and an
    # interrupted import resumes where it stopped.
    groups: Counter[str] = Counter()
    for start in range(run.start, len(respondents), CHUNK_RESPONDENTS):
        chunk = respondents[start : start + CHUNK_RESPONDENTS]
        with store.transaction() as connection:
            run.advance(connection, start + len(chunk), len(respondents))
            groups.update(
                _store_respondents(connection, chunk, instrument, item_ids, run, key, result)
            )
    if not respondents:
        with store.transaction() as connection:
            run.advance(connection, 0, 0)
    result.groups = dict(groups)
    return result


def _ensure_instrument(
    connection: Connection, instrument: Instrument
) -> tuple[int, dict[str, int]]:
    row = connection.execute(
        sa.select(s.instruments.c.id, s.instruments.c.sha256).where(
            s.instruments.c.name == instrument.name
        )
    ).first()
    if row is not None and row.sha256 != instrument.sha256:
        raise EarwitnessError(
            f"the study already holds an instrument named {instrument.name!r} with a different "
            "definition; give the changed instrument a new `name` (answers already imported "
            "were coded with the old one)"
        )
    if row is None:
        instrument_id = int(
            connection.execute(
                s.instruments.insert().values(
                    name=instrument.name,
                    definition=instrument.to_dict(),
                    sha256=instrument.sha256,
                )
            ).inserted_primary_key[0]  # type: ignore[index]
        )
        connection.execute(
            s.survey_items.insert(),
            [
                {
                    "instrument_id": instrument_id,
                    "code": item.code,
                    "text": item.text,
                    "qtype": item.type,
                    "options": list(item.options),
                    "reverse": item.reverse,
                    "scale": instrument.scale_of(item.code),
                    "position": position,
                }
                for position, item in enumerate(instrument.items)
            ],
        )
    else:
        instrument_id = int(row.id)
    ids = connection.execute(
        sa.select(s.survey_items.c.code, s.survey_items.c.id).where(
            s.survey_items.c.instrument_id == instrument_id
        )
    ).all()
    return instrument_id, {code: int(item_id) for code, item_id in ids}


CHUNK_RESPONDENTS = 1000
_CURSOR_SOURCE = "survey-import"
_IN_CHUNK = 500


@dataclass
class _Run:
    """An import under way: its rows, and the cursor that says how far it got."""

    import_id: int
    source_id: int
    cursor_id: int
    generation: int
    start: int

    def advance(self, connection: Connection, written: int, total: int) -> None:
        """Move the cursor to ``written`` respondents, or refuse if another run moved it."""
        c = s.collection_cursors.c
        moved = connection.execute(
            s.collection_cursors.update()
            .where(c.id == self.cursor_id, c.generation == self.generation)
            .values(
                generation=c.generation + 1,
                done=written >= total,
                updated_at=s.utcnow(),
                state={
                    "import_id": self.import_id,
                    "source_id": self.source_id,
                    "respondents": written,
                },
            )
        ).rowcount
        if not moved:
            raise EarwitnessError(
                "another import of this same file is running, so this one stopped without "
                "writing: wait for it to finish (run again to resume an interrupted one)"
            )
        self.generation += 1


def _begin(
    connection: Connection,
    instrument_id: int,
    instrument: Instrument,
    export: SurveyExport,
    n_respondents: int,
) -> _Run:
    """Start an import, or resume one that was interrupted; refuse a finished one."""
    query_key = f"{instrument_id}|{export.sha256}"
    c = s.collection_cursors.c
    claimed = connection.execute(
        insert_ignoring_conflicts(connection, s.collection_cursors)
        .values(source=_CURSOR_SOURCE, query_key=query_key, state={}, done=False, generation=0)
        .returning(c.id)
    ).scalar()
    if claimed is not None:
        import_id = _record_import(connection, instrument_id, export, n_respondents)
        source_id = record_source(
            connection,
            "survey",
            query=export.path.name,
            content_sha256=export.sha256,
            extra={"format": export.format, "instrument": instrument.name},
        )
        run = _Run(import_id, source_id, int(claimed), 0, 0)
        run.advance(connection, 0, max(n_respondents, 1))
        return run
    row = connection.execute(
        sa.select(c.id, c.state, c.done, c.generation).where(
            c.source == _CURSOR_SOURCE, c.query_key == query_key
        )
    ).one()
    state = dict(row.state or {})
    if row.done or "import_id" not in state:
        _record_import(connection, instrument_id, export, n_respondents)  # says when
        raise EarwitnessError(f"{export.path.name}: this file was already imported")
    return _Run(
        int(state["import_id"]),
        int(state["source_id"]),
        int(row.id),
        int(row.generation),
        int(state.get("respondents", 0)),
    )


def _record_import(
    connection: Connection, instrument_id: int, export: SurveyExport, n_respondents: int
) -> int:
    earlier = connection.execute(
        sa.select(s.survey_imports.c.imported_at).where(
            s.survey_imports.c.instrument_id == instrument_id,
            s.survey_imports.c.file_sha256 == export.sha256,
        )
    ).scalar()
    if earlier is not None:
        raise EarwitnessError(
            f"{export.path.name}: this file was already imported with this instrument "
            f"on {earlier:%Y-%m-%d %H:%M} UTC"
        )
    return int(
        connection.execute(
            s.survey_imports.insert().values(
                instrument_id=instrument_id,
                file_name=export.path.name,
                file_sha256=export.sha256,
                format=export.format,
                n_respondents=n_respondents,
            )
        ).inserted_primary_key[0]  # type: ignore[index]
    )


def _store_respondents(
    connection: Connection,
    chunk: list[CodedRespondent],
    instrument: Instrument,
    item_ids: dict[str, int],
    run: _Run,
    key: bytes,
    result: ImportResult,
) -> Counter[str]:
    """Write a chunk of respondents with a few set-wise statements (no per-row DELETE)."""
    latest: dict[str, CodedRespondent] = {}
    for respondent in chunk:  # a response id that comes again replaces the earlier one
        name = respondent_pseudonym(instrument.name, respondent.response_id, key)
        if name in latest:
            result.replaced_respondents += 1
        latest[name] = respondent
    ids = ensure_participants(connection, list(latest), kind="respondent")
    groups = _assign_groups(connection, latest, ids, instrument)
    participant_ids = list(ids.values())
    result.replaced_respondents += _delete_earlier_answers(connection, participant_ids, item_ids)
    rows = [
        (run.import_id, ids[name], item_ids[r.item], r.value, r.value_num, r.label)
        for name, respondent in latest.items()
        for r in respondent.responses
    ]
    if rows:
        insert_survey_responses(connection, rows)
    result.n_responses += len(rows)
    free_text = {item.code: item for item in instrument.items if item.type == "text"}
    documents = [
        DocumentRecord(
            platform="survey",
            native_id=f"{instrument.name}:{name}:{item.code}",
            text=response.value,
            kind="survey_answer",
            participant_id=ids[name],
            source_id=run.source_id,
            title=item.text or item.code,
            extra={"instrument": instrument.name, "item": item.code, "user_group": groups[name]},
        )
        for name, respondent in latest.items()
        for response in respondent.responses
        if response.value and response.item in free_text
        for item in [free_text[response.item]]
        if not item.keep
    ]
    upsert_documents(connection, documents)
    result.n_documents += len(documents)
    return Counter(groups.values())


def _assign_groups(
    connection: Connection,
    latest: dict[str, CodedRespondent],
    ids: dict[str, int],
    instrument: Instrument,
) -> dict[str, str]:
    if instrument.groups is None:
        found: dict[int, str] = {}
        for chunk in _chunks(list(ids.values())):
            rows = connection.execute(
                sa.select(s.participants.c.id, s.participants.c.user_group).where(
                    s.participants.c.id.in_(chunk)
                )
            )
            found.update((int(row.id), str(row.user_group)) for row in rows)
        return {name: str(found[ids[name]]) for name in latest}
    groups: dict[str, str] = {}
    updates = []
    for name, respondent in latest.items():
        group, rule = instrument.groups.assign(respondent.answers)
        method = f"survey rule {rule}" if rule else "survey rule: otherwise"
        if group not in USER_GROUPS:
            raise ValueError(f"user group must be one of {', '.join(USER_GROUPS)}, not {group!r}")
        groups[name] = group
        updates.append({"b_id": ids[name], "b_group": group, "b_method": method})
    connection.execute(_SET_GROUP, updates)
    return groups


_SET_GROUP = (
    s.participants.update()
    .where(s.participants.c.id == sa.bindparam("b_id"))
    .values(
        user_group=sa.bindparam("b_group"),
        group_method=sa.bindparam("b_method"),
        group_confidence=None,
    )
)


def _delete_earlier_answers(
    connection: Connection, participant_ids: list[int], item_ids: dict[str, int]
) -> int:
    """Delete these respondents' earlier answers to these items; return how many had any.

    Set-wise, looked up by ``participant_id`` alone so that its index is the one used:
    the old per-respondent DELETE scanned the table once per respondent (quadratic)."""
    items = set(item_ids.values())
    r = s.survey_responses.c
    replaced = 0
    for chunk in _chunks(participant_ids):
        found = connection.execute(
            sa.select(r.id, r.participant_id, r.item_id).where(r.participant_id.in_(chunk))
        ).all()
        earlier = [row for row in found if row.item_id in items]
        replaced += len({row.participant_id for row in earlier})
        for ids in _chunks([int(row.id) for row in earlier]):
            connection.execute(s.survey_responses.delete().where(r.id.in_(ids)))
    return replaced


def _chunks(values: list[int]) -> Iterator[list[int]]:
    for start in range(0, len(values), _IN_CHUNK):
        yield values[start : start + _IN_CHUNK]
