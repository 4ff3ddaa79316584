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
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from earwitness.errors import EarwitnessError
from earwitness.privacy import Masker, pseudonym
from earwitness.store import (
    DocumentRecord,
    Store,
    ensure_participant,
    record_source,
    set_user_group,
    upsert_document,
)
from earwitness.store import schema as s
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


def import_file(
    store: Store,
    path: str | Path,
    key: bytes,
    *,
    format: str = "auto",
    instrument: Instrument | None = None,
    encoding: str | None = None,
    keep_previews: bool = False,
) -> ImportResult:
    """Read, code and store an export; without an instrument, one is inferred.
    Qualtrics preview and test responses are left out unless ``keep_previews``."""
    export = read_export(path, format=format, encoding=encoding, keep_previews=keep_previews)
    return import_export(store, export, key, instrument=instrument)


def import_export(
    store: Store, export: SurveyExport, key: bytes, *, instrument: Instrument | None = None
) -> ImportResult:
    instrument = instrument or infer_instrument(export)
    masker = Masker(key)
    respondents = code_export(export, instrument, masker.mask)
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
        import_id = _record_import(connection, instrument_id, export, len(respondents))
        source_id = record_source(
            connection,
            "survey",
            query=export.path.name,
            content_sha256=export.sha256,
            extra={"format": export.format, "instrument": instrument.name},
        )
        groups: Counter[str] = Counter()
        for respondent in respondents:
            group = _store_respondent(
                connection, respondent, instrument, item_ids, import_id, source_id, key, result
            )
            groups[group] += 1
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


def _store_respondent(
    connection: Connection,
    respondent: CodedRespondent,
    instrument: Instrument,
    item_ids: dict[str, int],
    import_id: int,
    source_id: int,
    key: bytes,
    result: ImportResult,
) -> str:
    name = respondent_pseudonym(instrument.name, respondent.response_id, key)
    participant_id = ensure_participant(connection, name, kind="respondent")
    group = "unknown"
    if instrument.groups is not None:
        group, rule = instrument.groups.assign(respondent.answers)
        method = f"survey rule {rule}" if rule else "survey rule: otherwise"
        set_user_group(connection, participant_id, group, method=method)
    else:
        group = str(
            connection.execute(
                sa.select(s.participants.c.user_group).where(s.participants.c.id == participant_id)
            ).scalar_one()
        )
    deleted = connection.execute(
        s.survey_responses.delete().where(
            s.survey_responses.c.participant_id == participant_id,
            s.survey_responses.c.item_id.in_(list(item_ids.values())),
        )
    )
    if deleted.rowcount:
        result.replaced_respondents += 1
    rows = [
        {
            "import_id": import_id,
            "participant_id": participant_id,
            "item_id": item_ids[r.item],
            "value": r.value,
            "value_num": r.value_num,
            "label": r.label,
        }
        for r in respondent.responses
    ]
    if rows:
        connection.execute(s.survey_responses.insert(), rows)
    result.n_responses += len(rows)
    for response in respondent.responses:
        item = instrument.item(response.item)
        if item.type != "text" or item.keep or not response.value:
            continue
        upsert_document(
            connection,
            DocumentRecord(
                platform="survey",
                native_id=f"{instrument.name}:{name}:{item.code}",
                text=response.value,
                kind="survey_answer",
                participant_id=participant_id,
                source_id=source_id,
                title=item.text or item.code,
                extra={"instrument": instrument.name, "item": item.code, "user_group": group},
            ),
        )
        result.n_documents += 1
    return group
