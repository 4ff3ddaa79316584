"""Exports as Microsoft Forms, LimeSurvey and Qualtrics really write them (see
real_layouts.py for each quirk), and personal answers recognised by heading and content."""

from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from earwitness.cli import cli
from earwitness.errors import BadInputError, EarwitnessError
from earwitness.store import schema
from earwitness.study import Study
from earwitness.survey import import_file, infer_instrument, instrument_from_dict, read_export
from earwitness.survey._infer import draft_yaml
from tests.helpers import database_text, stored_as_token

from .real_layouts import (
    LS_TOOLS,
    forms_xlsx,
    limesurvey_code_csv,
    limesurvey_full_csv,
    lss_structure,
    qsf_structure,
    qualtrics_with_previews,
)

PERSONAL_ANSWERS = (
    "Melissa Ko",
    "Sam O'Neil",
    "Harbour Road",
    "BS1 4DJ",
    "75002",
    "Hauptstraße",
    "1990-04-12",
    "1984-11-02",
    "900123",
    "12 34 56 78",
    "261349044276",
    "sam.oneil@example.org",
    "melissa-ko-final-mix",
    "jo_tran_demo",
)


def _import(study: Study, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["--study", str(study.root), "import", "survey", *args])
    if isinstance(result.exception, EarwitnessError):
        return result.exception.exit_code, str(result.exception)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.output


def _stored(study: Study) -> str:
    with study.open_store() as store:
        return database_text(store)


# --- Microsoft Forms ---------------------------------------------------------------------------


def test_forms_workbook_with_a_stale_dimension_is_read_whole(tmp_path: Path) -> None:
    path = forms_xlsx(tmp_path / "Survey(1-3).xlsx")
    export = read_export(path)
    assert export.format == "msforms"
    assert export.n_respondents == 3
    assert len(export.columns) == 13
    assert export.cells[1][7] == "Professional"
    assert export.cells[0][1].startswith("2024-01-01T10:30")  # serial date, date style


def test_forms_personal_questions_are_recognised_and_left_out(study: Study, tmp_path: Path) -> None:
    path = forms_xlsx(tmp_path / "Survey(1-3).xlsx")
    export = read_export(path)
    personal = {c.code: c.personal for c in export.columns if c.role == "personal"}
    assert personal == {
        "Email": "e-mail",
        "Name": "name",
        "What is your name?": "name",
        "Your street address (street, number, postal code, city)": "address",
        "Date of birth": "birth date",
        "Contact number": "phone number",
    }
    code, output = _import(study, str(path))
    assert code == 0, output
    assert "left out personal columns:" in output and "What is your name? (name)" in output
    assert "Date of birth (birth date)" in output
    stored = _stored(study)
    for answer in PERSONAL_ANSWERS:
        assert answer not in stored, answer
    assert "[email]" in stored  # the free-text answer, masked


# --- personal columns by content, and free text typed as choices -----------------------------


def test_personal_columns_recognised_by_content_without_an_instrument(
    study: Study, tmp_path: Path
) -> None:
    path = forms_xlsx(
        tmp_path / "contact.xlsx",
        ["ID", "Start time", "Completion time", "Q3", "Q4", "Q5", "Q6"],
        [
            [1, 45292.4, 45292.5, "a@example.org", "07700 900123", "192.0.2.1", "Hobbyist"],
            [2, 45292.4, 45292.5, "b@example.org", "+44 7700 900456", "192.0.2.2", "Pro"],
            [3, 45292.4, 45292.5, "c@example.org", "07700900789", "192.0.2.3", "Hobbyist"],
        ],
    )
    export = read_export(path)
    assert {c.code: c.personal for c in export.columns if c.role == "personal"} == {
        "Q3": "e-mail",
        "Q4": "phone number",
        "Q5": "IP address",
    }
    code, output = _import(study, str(path))
    assert code == 0, output
    stored = _stored(study)
    assert "example.org" not in stored and "7700" not in stored and "192.0.2" not in stored


def test_personal_columns_need_keep_with_an_instrument_too(tmp_path: Path, study: Study) -> None:
    path = forms_xlsx(tmp_path / "Survey(1-3).xlsx")
    instrument = instrument_from_dict(
        {
            "name": "forms",
            "items": [
                {"code": "role", "column": "Which best describes you?", "type": "text"},
                {"code": "born", "column": "Date of birth", "type": "text"},
            ],
        }
    )
    with study.open_store() as store, pytest.raises(BadInputError, match="birth date data"):
        import_file(store, path, study.key(), instrument=instrument)


def test_free_text_typed_as_single_choice_is_masked(study: Study, tmp_path: Path) -> None:
    path = forms_xlsx(
        tmp_path / "contact-choice.xlsx",
        ["ID", "Start time", "Completion time", "Which best describes you?", "Anything else?"],
        [
            [1, 45292.4, 45292.5, "Hobbyist", "no"],
            [2, 45292.4, 45292.5, "Pro", "mail me: kim@example.org"],
            [3, 45292.4, 45292.5, "Hobbyist", "no"],
            [4, 45292.4, 45292.5, "Pro", "no"],
        ],
    )
    # a hand-written instrument that types the free-text column as single choice
    instrument = instrument_from_dict(
        {
            "name": "typed-as-choice",
            "items": [
                {"code": "role", "column": "Which best describes you?", "type": "single"},
                {"code": "else", "column": "Anything else?", "type": "single"},
            ],
        }
    )
    with study.open_store() as store:
        import_file(store, path, study.key(), instrument=instrument)
        assert "kim@example.org" not in database_text(store)
    # and the drafted instrument never makes an e-mail address an option
    drafted = infer_instrument(read_export(path))
    assert drafted.item("anything_else").type == "text"
    assert "kim@example.org" not in str(drafted.to_dict())


# --- LimeSurvey --------------------------------------------------------------------------------


@pytest.mark.parametrize("layout", ["full", "code"])
def test_limesurvey_real_layouts(tmp_path: Path, layout: str) -> None:
    writer = limesurvey_full_csv if layout == "full" else limesurvey_code_csv
    export = read_export(writer(tmp_path / f"results-survey123456-{layout}.csv"))
    assert export.format == "limesurvey"
    assert export.n_respondents == 4
    roles = {c.code: c.role for c in export.columns}
    timing = (
        ["Total time", "Group time: About you", "Question time: role", "Group time: Tools"]
        if layout == "full"
        else ["interviewtime", "groupTime12", "roleTime", "toolsTime"]
    )
    assert all(roles[t] == "meta" for t in timing)
    upload = "Upload a mix you mastered with it" if layout == "full" else "upload"
    assert roles[upload] == "personal"
    tools = "Which AI mastering tools have you used?" if layout == "full" else "tools"
    assert roles[tools] == "answer"  # the 0/1 columns, merged into one item
    drafted = infer_instrument(export)
    items = {i.column: i for i in drafted.items}
    assert items[tools].type == "multi"
    assert set(items[tools].options) == set(LS_TOOLS) if layout == "full" else True
    assert not any("time" in c.casefold() for c in items)
    assert upload not in items


def test_limesurvey_empty_and_repeated_headings(study: Study, tmp_path: Path) -> None:
    path = limesurvey_full_csv(tmp_path / "results-survey123456.csv")
    export = read_export(path)
    names = [c.code for c in export.columns]
    assert "Why?" in names and "Why? (2)" in names and "column 17" in names
    code, output = _import(study, str(path))
    assert code == 0, output
    stored = _stored(study)
    assert "melissa-ko-final-mix" not in stored and "fu_8k2m3x9qzj4w1ab" not in stored
    with study.open_store() as store, store.connect() as connection:
        kinds = set(connection.execute(sa.select(schema.survey_items.c.qtype)).scalars())
        codes = set(connection.execute(sa.select(schema.survey_items.c.code)).scalars())
    assert "multi" in kinds
    assert not any("time" in c for c in codes)


@pytest.mark.parametrize(
    ("suffix", "doctype", "what"),
    [
        (".lss", "Survey", "LimeSurvey survey structure file"),
        (".lsg", "Group", "LimeSurvey question group file"),
    ],
)
def test_structure_files_are_refused_with_what_they_are(
    tmp_path: Path, suffix: str, doctype: str, what: str
) -> None:
    path = lss_structure(tmp_path / f"limesurvey_survey_123456{suffix}", doctype)
    for fmt in ("auto", "limesurvey"):
        with pytest.raises(BadInputError, match=what) as error:
            read_export(path, format=fmt)
        assert "\n" not in str(error.value)


def test_limesurvey_survey_archive_is_refused(tmp_path: Path) -> None:
    structure = lss_structure(tmp_path / "limesurvey_survey_123456.lss")
    archive = tmp_path / "survey_archive_123456.lsa"
    with zipfile.ZipFile(archive, "w") as handle:
        handle.write(structure, "survey_123456.lss")
        handle.writestr("survey_123456_responses.lsr", "<document></document>")
    with pytest.raises(BadInputError, match="LimeSurvey survey archive"):
        read_export(archive, format="limesurvey")


def test_qualtrics_survey_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(BadInputError, match="Qualtrics survey definition"):
        read_export(qsf_structure(tmp_path / "AI_mastering.qsf"), format="qualtrics")


# --- Qualtrics previews ----------------------------------------------------------------------


@pytest.mark.parametrize("text_labels", [False, True])
def test_qualtrics_previews_are_left_out_and_counted(
    study: Study, qualtrics_csv: Path, tmp_path: Path, text_labels: bool
) -> None:
    path = qualtrics_with_previews(
        qualtrics_csv, tmp_path / "previews.csv", text_labels=text_labels
    )
    export = read_export(path)
    assert export.n_respondents == 1
    assert dict(export.excluded) == {"Survey Preview": 2, "Survey Test": 1}
    assert read_export(path, keep_previews=True).n_respondents == 4
    code, output = _import(study, str(path))
    assert code == 0, output
    assert "Imported 1 respondents" in output
    assert "left out responses: 2 Survey Preview, 1 Survey Test" in output
    draft = draft_yaml(infer_instrument(export), export)
    assert "# Responses left out (drafted without them): 2 Survey Preview, 1 Survey Test." in draft


def test_qualtrics_legacy_layout_previews_are_left_out(
    qualtrics_legacy_csv: Path, tmp_path: Path
) -> None:
    # the legacy V1… export: Status is V7, read by its text row; 1 marks a preview
    text = qualtrics_legacy_csv.read_text(encoding="utf-8-sig")
    lines = text.splitlines()
    preview = lines[2].replace("R_2YPOQ602ER1jkf1", "R_simulatedpreview1", 1)
    fields = preview.split(",")
    fields[6] = "1"
    path = tmp_path / "legacy-previews.csv"
    path.write_text("\n".join([*lines, ",".join(fields)]) + "\n", encoding="utf-8")
    export = read_export(path)
    assert export.n_respondents == 1
    assert dict(export.excluded) == {"Survey Preview": 1}


def test_names_in_free_text_answers_are_masked(study: Study, tmp_path: Path) -> None:
    path = forms_xlsx(
        tmp_path / "names.xlsx",
        ["ID", "Start time", "Completion time", "Which best describes you?", "Anything else?"],
        [
            [1, 45292.4, 45292.5, "Hobbyist", "My teacher Marcus Whitaker showed me LANDR."],
            [2, 45292.4, 45292.5, "Pro", "Thanks, Priya Raman, I still master in Ozone 11."],
            [3, 45292.4, 45292.5, "Hobbyist", "No, it is fine for lo-fi hip hop demos."],
        ],
    )
    code, output = _import(study, str(path))
    assert code == 0, output
    stored = _stored(study)
    for name in ("Marcus", "Whitaker", "Priya", "Raman"):
        assert name not in stored, name
    for kept in ("LANDR", "Ozone 11", "lo-fi hip hop"):
        assert kept in stored
    assert "showed me LANDR" in stored and "My teacher [name] showed" in stored


BIRTH_DATES = (
    "1990-04-12",
    "12/04/1987",
    "3 May 1975",
    "April 1, 2001",
    "1968-11-30",
    "22.07.1995",
)
FIRST_NAMES = ("Jenny", "Marcus", "Priya", "Tomasz", "Aaliyah", "Kwame")


@pytest.mark.parametrize(
    ("born", "named"),
    [("Date you are born", "Name (optional)"), ("Q7", "Q8")],  # by wording; by answers
)
def test_birth_dates_and_names_are_left_out_by_wording_or_answers(
    study: Study, tmp_path: Path, born: str, named: str
) -> None:
    rows = [
        [i + 1, 45292.4, 45292.5, role, day, name, "Fine for demos."]
        for i, (day, name, role) in enumerate(
            zip(BIRTH_DATES, FIRST_NAMES, ["Hobbyist", "Pro"] * 3, strict=True)
        )
    ]
    header = ["ID", "Start time", "Completion time", "Which best describes you?", born, named]
    path = forms_xlsx(tmp_path / "people.xlsx", [*header, "Anything else?"], rows)
    export = read_export(path)
    assert {c.code: c.personal for c in export.columns if c.role == "personal"} == {
        born: "birth date",
        named: "name",
    }
    code, output = _import(study, str(path))
    assert code == 0, output
    stored = _stored(study)
    for value in (*BIRTH_DATES, *FIRST_NAMES):
        assert value not in stored, value
    assert "Hobbyist" in stored


def test_addresses_are_recognised_by_their_answers() -> None:
    from earwitness.survey._readers import personal_content

    assert (
        personal_content(
            ["12 Harbour Road, Bristol", "Hauptstraße 5, 10115 Berlin", "221B Baker Street"]
        )
        == "address"
    )
    assert personal_content(["Hobbyist", "Professional", "Hobbyist", "Professional"]) == ""
    assert personal_content(["Logic Pro", "Ableton Live", "Reaper", "FL Studio"]) == ""
    assert personal_content(["2023-01-04", "2024-02-03", "2022-05-06"]) == ""  # not births


# --- LimeSurvey system columns in other languages, Yes/No/N/A, second heading rows -------------

LS_RESPONSE_IDS = ("9101", "9102", "9103", "9104", "9105", "9106")
LS_SEEDS = ("483920117", "120938475", "998877661", "564738291", "302010405", "771265309")
LS_TOKENS = ("k3Jd9xQ2mPz7aB1", "Zz8yX7wV6uT5sR4", "q1W2e3R4t5Y6u7I", "AaBbCcDdEeFf001")


def _ls_csv(path: Path, header: list[str], extra_rows: list[list[str]] = ()) -> Path:  # type: ignore[assignment]
    """A LimeSurvey 6 "Export responses" CSV (full headings, full answers) with the system
    columns in the order LimeSurvey writes them. SIMULATED answers."""
    tools = ["Ja", "Nein", "N/A"]
    rows = [
        [
            rid,
            f"2025-03-0{i + 1} 16:00:00",
            "3",
            "de",
            seed,
            LS_TOKENS[i % 4],
            f"2025-03-0{i + 1} 15:51:00",
            f"2025-03-0{i + 1} 16:00:00",
            f"192.0.2.{i + 10}",
            ["Hobbyist", "Pro"][i % 2],
            str(3 + i),
            tools[i % 3],
            tools[(i + 1) % 3],
            "Simulated: fine for demos.",
        ]
        for i, (rid, seed) in enumerate(zip(LS_RESPONSE_IDS, LS_SEEDS, strict=True))
    ]
    buffer = io.StringIO()
    writer = csv.writer(buffer, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
    writer.writerows([header, *extra_rows, *rows])
    path.write_text(buffer.getvalue(), encoding="utf-8-sig")
    return path


LS_QUESTIONS = [
    "Was beschreibt Sie am besten?",
    "Wie viele Jahre mischen Sie schon?",
    "Welche KI-Werkzeuge haben Sie benutzt? [LANDR]",
    "Welche KI-Werkzeuge haben Sie benutzt? [iZotope Ozone]",
    "Noch etwas?",
]
LS_GERMAN = [
    "Antwort ID",
    "Datum Abgeschickt",
    "Letzte Seite",
    "Start-Sprache",
    "Zufallsstartwert",
    "Zugangsschlüssel",
    "Datum gestartet",
    "Datum letzte Aktivität",
    "IP-Adresse",
    *LS_QUESTIONS,
]
# Headings in a language earwitness keeps no list for (the test's own words): the system
# columns are recognised by their place and values.
LS_UNLISTED = [
    "Vastauksen tunnus",
    "Lähetetty",
    "Viimeinen sivu",
    "Aloituskieli",
    "Siemen",
    "Avain",
    "Aloitettu",
    "Viimeisin toiminto",
    "IP-osoite",
    *LS_QUESTIONS,
]


@pytest.mark.parametrize(
    ("header", "fmt"), [(LS_GERMAN, ()), (LS_UNLISTED, ("--format", "limesurvey"))]
)
def test_limesurvey_system_columns_in_any_language_never_reach_the_store(
    study: Study, tmp_path: Path, header: list[str], fmt: tuple[str, ...]
) -> None:
    path = _ls_csv(tmp_path / "results-survey123456.csv", header)
    export = read_export(path, format=fmt[1] if fmt else "auto")
    assert export.format == "limesurvey"
    roles = [c.role for c in export.columns]
    assert roles[:9] == ["respondent", *["meta"] * 4, "personal", "meta", "meta", "personal"]
    merged = [c for c in export.columns if c.code == "Welche KI-Werkzeuge haben Sie benutzt?"]
    assert len(merged) == 1  # Ja / Nein / N/A columns are one multiple-choice item
    assert export.cells[0][export.columns.index(merged[0])] == "LANDR"
    code, output = _import(study, str(path), *fmt)
    assert code == 0, output
    assert "Imported 6 respondents" in output
    stored = _stored(study)
    for value in (*LS_RESPONSE_IDS, *LS_SEEDS, *LS_TOKENS, "192.0.2.1", "15:51"):
        assert not stored_as_token(value, stored), value


def test_limesurvey_second_heading_row_is_no_respondent(study: Study, tmp_path: Path) -> None:
    codes = ["id", "submitdate", "lastpage", "startlanguage", "seed", "token", "startdate"]
    codes += ["datestamp", "ipaddr", "G01Q01", "G01Q02", "G01Q03[SQ001]", "G01Q03[SQ002]"]
    path = _ls_csv(tmp_path / "two-headings.csv", [*codes, "G01Q04"], [LS_GERMAN])
    export = read_export(path)
    assert export.n_respondents == 6
    assert export.respondent_ids() == list(LS_RESPONSE_IDS)
    assert export.rows[0] == 3  # the file's third line
    code, output = _import(study, str(path))
    assert code == 0, output
    assert "Imported 6 respondents" in output
    assert "Antwort ID" not in _stored(study)


def test_qualtrics_text_row_without_importid_row_is_no_respondent(
    qualtrics_csv: Path, tmp_path: Path
) -> None:
    lines = qualtrics_csv.read_bytes().split(b"\n")
    path = tmp_path / "no-importids.csv"
    path.write_bytes(b"\n".join([lines[0], lines[1], *lines[3:]]))
    full = read_export(qualtrics_csv, keep_previews=True)
    cut = read_export(path, keep_previews=True)
    assert cut.n_respondents == full.n_respondents
    assert cut.respondent_ids() == full.respondent_ids()
    assert not any(row[0] == "Anfangsdatum" for row in cut.cells)
