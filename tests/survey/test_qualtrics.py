"""The Qualtrics reader and the import with privacy, on the real qualtRics test exports."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from earwitness.errors import BadInputError, EarwitnessError
from earwitness.store import schema
from earwitness.study import Study
from earwitness.survey import import_file, instrument_from_dict, read_export
from tests.helpers import database_text

IP = "130.92.34.66"
LATITUDE, LONGITUDE = "47.115097045898", "7.2315979003906"
RESPONSE_ID = "R_2YPOQ602ER1jkf1"

INSTRUMENT = {
    "name": "qualtrics-sample",
    "items": [
        {"code": "choice", "column": "Q1", "type": "single", "options": ["First", "Second"]},
        {"code": "comment", "column": "QID2_TEXT", "type": "text"},
    ],
}


def test_three_header_rows_with_localised_text_and_import_ids(qualtrics_csv: Path) -> None:
    export = read_export(qualtrics_csv)
    assert export.format == "qualtrics"
    assert export.rows == (4,)
    q1 = export.columns[export.find("Q1") or 0]
    assert q1.text == "This is a multiple choice question."
    assert q1.import_id == "QID1"
    roles = {c.code: (c.role, c.personal) for c in export.columns}
    assert roles["IPAddress"] == ("personal", "IP address")
    assert roles["LocationLatitude"] == ("personal", "geolocation")
    assert roles["RecipientEmail"] == ("personal", "recipient")
    assert roles["ResponseId"] == ("respondent", "")
    assert roles["Q2 - Topics"][0] == "meta"
    assert export.respondent_ids() == [RESPONSE_ID]
    assert export.long().to_dict("records") == [
        {
            "respondent": RESPONSE_ID,
            "item": "Q1",
            "value": "2",
            "label": "This is a multiple choice question.",
        },
        {
            "respondent": RESPONSE_ID,
            "item": "Q2",
            "value": "Hello World!",
            "label": "This is a free text question.",
        },
    ]
    assert list(export.wide().columns) == ["Q1", "Q2"]


def test_legacy_two_row_layout_with_bom(qualtrics_legacy_csv: Path) -> None:
    assert qualtrics_legacy_csv.read_bytes().startswith(b"\xef\xbb\xbf")
    export = read_export(qualtrics_legacy_csv)
    assert export.format == "qualtrics"
    assert export.columns[0].code == "V1"
    roles = {c.text: c.role for c in export.columns}
    assert roles["ResponseID"] == "respondent"
    assert roles["IPAddress"] == roles["EmailAddress"] == roles["Name"] == "personal"
    assert roles["LocationLatitude"] == "personal"
    assert export.respondent_ids() == [RESPONSE_ID]
    assert export.wide().loc[RESPONSE_ID].to_dict() == {"Q1": "2", "Q2": "Hello World!"}


def test_import_keeps_no_personal_data_anywhere(any_study: Study, qualtrics_csv: Path) -> None:
    instrument = instrument_from_dict(INSTRUMENT)
    with any_study.open_store() as store:
        result = import_file(store, qualtrics_csv, any_study.key(), instrument=instrument)
        assert result.n_respondents == 1
        assert set(result.dropped_columns) >= {"IPAddress", "LocationLatitude", "LocationLongitude"}
        dump = database_text(store)
        with store.connect() as connection:
            responses = connection.execute(
                sa.select(
                    schema.survey_items.c.code,
                    schema.survey_responses.c.value,
                    schema.survey_responses.c.value_num,
                    schema.survey_responses.c.label,
                )
                .join(schema.survey_items)
                .order_by(schema.survey_items.c.position)
            ).all()
            document = connection.execute(
                sa.select(
                    schema.documents,
                    schema.participants.c.pseudonym,
                    schema.participants.c.kind.label("participant_kind"),
                ).join(schema.participants)
            ).one()
    assert "survey_responses" in dump and "Hello World!" in dump
    for secret in (IP, LATITUDE, LONGITUDE, "47.1150", RESPONSE_ID):
        assert secret not in dump
    assert [tuple(r) for r in responses] == [
        ("choice", "2", 2.0, "Second"),
        ("comment", "Hello World!", None, None),
    ]
    assert document.platform == "survey" and document.kind == "survey_answer"
    assert document.text == "Hello World!"
    assert document.participant_kind == "respondent"
    assert document.pseudonym.startswith("p_")
    assert document.extra["user_group"] == "unknown"
    for path in any_study.root.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            assert IP.encode() not in data, path
            assert RESPONSE_ID.encode() not in data, path


def test_a_kept_personal_column_is_stored_only_when_marked(
    study: Study, qualtrics_csv: Path
) -> None:
    items = [*INSTRUMENT["items"], {"code": "ip", "column": "IPAddress", "type": "text"}]
    with study.open_store() as store:
        with pytest.raises(BadInputError, match=r"holds IP address data.*keep: true"):
            import_file(
                store,
                qualtrics_csv,
                study.key(),
                instrument=instrument_from_dict({**INSTRUMENT, "items": items}),
            )
        assert IP not in database_text(store)
        items[-1]["keep"] = True
        import_file(
            store,
            qualtrics_csv,
            study.key(),
            instrument=instrument_from_dict({**INSTRUMENT, "items": items}),
        )
        assert IP in database_text(store)


def test_pseudonyms_are_keyed_and_stable(
    study: Study, qualtrics_csv: Path, qualtrics_legacy_csv: Path, tmp_path: Path
) -> None:
    legacy = instrument_from_dict(
        {
            **INSTRUMENT,
            "items": [
                {**INSTRUMENT["items"][0]},
                {"code": "comment", "column": "Q2", "type": "text"},
            ],
        }
    )
    with study.open_store() as store:
        import_file(store, qualtrics_csv, study.key(), instrument=instrument_from_dict(INSTRUMENT))
        with pytest.raises(EarwitnessError, match="different definition"):
            import_file(store, qualtrics_legacy_csv, study.key(), instrument=legacy)
        with pytest.raises(EarwitnessError, match="already imported"):
            import_file(
                store, qualtrics_csv, study.key(), instrument=instrument_from_dict(INSTRUMENT)
            )
        copy = tmp_path / "updated-export.csv"
        copy.write_bytes(qualtrics_csv.read_bytes() + b"\n")
        result = import_file(store, copy, study.key(), instrument=instrument_from_dict(INSTRUMENT))
        assert result.replaced_respondents == 1
        with store.connect() as connection:
            pseudonyms = connection.execute(sa.select(schema.participants.c.pseudonym)).scalars()
            n_responses = connection.execute(
                sa.select(sa.func.count()).select_from(schema.survey_responses)
            ).scalar_one()
            assert len(list(pseudonyms)) == 1
            assert n_responses == 2
