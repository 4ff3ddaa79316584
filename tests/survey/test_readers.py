"""Microsoft Forms, Google Forms and LimeSurvey readers on the fixtures written for the tests."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from earwitness.store import schema
from earwitness.study import Study
from earwitness.survey import (
    code_export,
    import_file,
    infer_instrument,
    load_instrument,
    read_export,
)
from tests.helpers import database_text

from .conftest import EXAMPLE_INSTRUMENT, FIXTURES

EXPORTS = {
    "msforms-adoption.xlsx": ("msforms", 30),
    "gforms-adoption.csv": ("gforms", 24),
    "limesurvey-full-headings.csv": ("limesurvey", 20),
}


@pytest.mark.parametrize("name", sorted(EXPORTS))
def test_auto_detection_and_coding_with_the_example_instrument(name: str) -> None:
    export = read_export(FIXTURES / name)
    fmt, n = EXPORTS[name]
    assert export.format == fmt
    assert export.n_respondents == n
    assert read_export(FIXTURES / name, format=fmt).columns == export.columns
    instrument = load_instrument(EXAMPLE_INSTRUMENT)
    coded = code_export(export, instrument, str)
    assert len(coded) == n
    first = {r.item: r for r in coded[0].responses if r.item != "tools"}
    assert first["trust1"].label in instrument.item("trust1").options
    assert (
        first["trust1"].value_num
        == instrument.item("trust1").options.index(first["trust1"].label) + 1
    )
    assert isinstance(coded[0].answers["years"], float)
    tools = [r for r in coded[0].responses if r.item == "tools"]
    assert [r.value for r in tools] == [*instrument.item("tools").options, "Other"]
    assert all(r.value_num in (0.0, 1.0) for r in tools)
    personal = {c.code for c in export.columns if c.role == "personal"}
    assert personal, "the contact columns are recognised as personal"


def test_msforms_multi_select_with_trailing_semicolon_and_other() -> None:
    export = read_export(FIXTURES / "msforms-adoption.xlsx")
    assert [c.code for c in export.columns[:5]] == [
        "ID",
        "Start time",
        "Completion time",
        "Email",
        "Name",
    ]
    assert [c.role for c in export.columns[:5]] == [
        "respondent",
        "meta",
        "meta",
        "personal",
        "personal",
    ]
    tools = export.find("Which AI mixing or mastering tools have you used?")
    assert tools is not None
    assert not any(row[tools].endswith(";") for row in export.cells)
    coded = code_export(export, load_instrument(EXAMPLE_INSTRUMENT), str.upper)
    fifth = {r.value: r for r in coded[4].responses if r.item == "tools"}
    assert fifth["LANDR"].value_num == 1.0
    assert fifth["Other"].value_num == 1.0
    assert fifth["Other"].label == "MY OWN CHAIN, MOSTLY STOCK PLUGINS"  # masked by the masker


def test_gforms_checkbox_with_commas_inside_other_and_grid_rows() -> None:
    export = read_export(FIXTURES / "gforms-adoption.csv")
    assert export.columns[1].role == "personal"
    grid = export.find("AI mastering produces results I would release.")
    assert grid is not None
    assert export.columns[grid].code.startswith("Please rate these statements [")
    ids = export.respondent_ids()
    assert len(set(ids)) == len(ids) and ids[0].endswith("#1")
    coded = code_export(export, load_instrument(EXAMPLE_INSTRUMENT), str)
    fifth = {r.value: r for r in coded[4].responses if r.item == "tools"}
    assert fifth["Other"].label == "my own chain, mostly stock plugins"
    assert fifth["LANDR"].value_num == 1.0


def test_limesurvey_code_headings_merge_multiple_choice_columns() -> None:
    export = read_export(FIXTURES / "limesurvey-code-headings.csv")
    assert export.format == "limesurvey"
    codes = [c.code for c in export.columns]
    assert "tools" in codes and "tools[SQ001]" not in codes
    assert "tools[other]" in codes  # the free-text "other" stays its own column
    assert {c.code: c.role for c in export.columns}["ipaddr"] == "personal"
    drafted = infer_instrument(export)
    tools = drafted.item("tools")
    assert tools.type == "multi"
    assert set(tools.options) <= {f"SQ00{i}" for i in range(1, 7)}
    assert drafted.item("trust1").type == "likert" and drafted.item("trust1").anchors == "agree5"
    assert drafted.item("years").type == "numeric"
    assert drafted.item("role").type == "single"


def test_infer_drafts_types_from_answers() -> None:
    drafted = infer_instrument(read_export(FIXTURES / "gforms-adoption.csv"), name="draft")
    types = {item.column: item.type for item in drafted.items}
    assert types["How often do you use AI-assisted mastering on your own releases?"] == "likert"
    assert types["Which AI mixing or mastering tools have you used?"] == "multi"
    assert types["What would make you trust an AI master more, or less?"] == "text"
    assert "Email address" not in types and "Timestamp" not in types


@pytest.mark.parametrize("name", sorted(EXPORTS))
def test_import_assigns_groups_and_files_free_text(study: Study, name: str) -> None:
    instrument = load_instrument(EXAMPLE_INSTRUMENT)
    with study.open_store() as store:
        result = import_file(store, FIXTURES / name, study.key(), instrument=instrument)
        dump = database_text(store)
        with store.connect() as connection:
            groups = dict(
                connection.execute(
                    sa.select(schema.participants.c.user_group, sa.func.count()).group_by(
                        schema.participants.c.user_group
                    )
                ).all()
            )
            documents = connection.execute(
                sa.select(
                    schema.documents.c.text,
                    schema.documents.c.extra,
                    schema.participants.c.user_group,
                ).join(schema.participants)
            ).all()
    assert sum(result.groups.values()) == EXPORTS[name][1]
    assert groups == result.groups
    assert set(groups) <= {"amateur", "pro-am", "professional", "unknown"}
    assert len(groups) >= 3
    assert documents and all(d.extra["user_group"] == d.user_group for d in documents)
    assert not any("someone@example.org" in d.text for d in documents)
    assert any("[email]" in d.text for d in documents)
    for secret in ("@example.org", "192.0.2.", "Invented Person"):
        assert secret not in dump
