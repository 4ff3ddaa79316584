"""Codebook: YAML authoring with line-numbered errors, stable guids, store round trip."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from earwitness.code._codebook import (
    CODE_NAMESPACE,
    CodeIndex,
    code_guid,
    dump_codebook_yaml,
    load_codebook_yaml,
    parse_codebook_yaml,
    read_codebook,
    write_codebook,
)
from earwitness.errors import BadInputError
from earwitness.store import Store
from earwitness.store.schema import codes

from .conftest import SMALL_CODEBOOK


def test_guid_is_uuid5_of_the_path_in_a_fixed_namespace() -> None:
    assert (
        uuid.uuid5(uuid.NAMESPACE_URL, "https://earwitness.invalid/refi-qda/code") == CODE_NAMESPACE
    )
    guid = code_guid(["Quality", "Harsh"])
    assert guid == str(uuid.uuid5(CODE_NAMESPACE, '["Quality","Harsh"]'))
    assert uuid.UUID(guid).version == 5
    assert code_guid(["Quality", "Harsh"]) != code_guid(["Control", "Harsh"])
    assert code_guid(["a/b"]) != code_guid(["a", "b"])


def test_yaml_loads_the_hierarchy_in_order() -> None:
    book = parse_codebook_yaml(SMALL_CODEBOOK)
    assert [c.path for c in book] == [
        ("Quality",),
        ("Quality", "Sounds finished"),
        ("Quality", "Harsh"),
        ("Control",),
        ("Control", "Wants knobs"),
        ("Cost",),
    ]
    quality, finished = book.codes[0], book.codes[1]
    assert (quality.codable, quality.color, quality.level) == (False, "#1f77b4", "theme")
    assert finished.level == "code"
    assert finished.examples == [{"quote": "It came back loud and clean.", "illustrative": True}]
    assert finished.line == 8


def test_parent_references_by_name_and_by_path() -> None:
    book = parse_codebook_yaml(
        "codes:\n"
        "  - name: A\n"
        "    children:\n"
        "      - name: X\n"
        "  - name: B\n"
        "    children:\n"
        "      - name: X\n"
        "  - name: Deep\n"
        "    parent: [B, X]\n"
        "  - name: Under A\n"
        "    parent: A\n"
    )
    paths = {c.path for c in book}
    assert ("B", "X", "Deep") in paths and ("A", "Under A") in paths
    assert book.codes.index(next(c for c in book if c.name == "Deep")) > book.codes.index(
        next(c for c in book if c.path == ("B", "X"))
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "codes:\n  - name: A\n    children:\n      - name: X\n      - name: X\n",
            "line 5: duplicate code name 'X' under 'A' (first on line 4)",
        ),
        ("codes:\n  - name: A\n  - name: A\n", "line 3: duplicate code name 'A' under the top"),
        (
            "codes:\n  - name: A\n    parent: B\n  - name: B\n    parent: A\n",
            "line 2: the parents of code 'A' form a cycle",
        ),
        ("codes:\n  - name: A\n    parent: A\n", "line 2: the parents of code 'A' form a cycle"),
        (
            "codes:\n  - name: A\n  - name: B\n    parent: Nowhere\n",
            "line 3: code 'B' names an unknown parent 'Nowhere'",
        ),
        (
            "codes:\n  - name: A\n    children: [{name: X}]\n"
            "  - name: B\n    children: [{name: X}]\n  - name: C\n    parent: X\n",
            "line 6: parent 'X' of 'C' is ambiguous",
        ),
        ("codes:\n  - name: A\n    colour: red\n", "line 2: colour must look like"),
        ("codes:\n  - name: A\n    defintion: typo\n", "line 2: unknown key 'defintion'"),
        ("codes:\n  - name: A\n    name: B\n", "line 3: key 'name' appears twice"),
        ("codes:\n  - name: A\n   bad: [\n", "malformed YAML"),
        ("codes:\n  - definition: nameless\n", "line 2: a code needs a non-empty 'name'"),
        ("- just a list\n", "a codebook is a mapping with a 'codes:' list"),
    ],
)
def test_bad_codebooks_are_refused_with_the_line(text: str, message: str) -> None:
    with pytest.raises(BadInputError) as error:
        parse_codebook_yaml(text)
    assert message in str(error.value)


def test_load_names_the_file(write_codebook_file: Callable[[str], Path]) -> None:
    path = write_codebook_file("codes:\n  - name: A\n  - name: A\n")
    with pytest.raises(BadInputError, match=rf"^{path}: line 3: duplicate"):
        load_codebook_yaml(path)


def test_write_read_and_reimport_update_by_guid(store: Store) -> None:
    book = parse_codebook_yaml(SMALL_CODEBOOK)
    first = write_codebook(store, book)
    assert (first.new, first.updated, first.unchanged) == (6, 0, 0)
    again = write_codebook(store, parse_codebook_yaml(SMALL_CODEBOOK))
    assert (again.new, again.updated, again.unchanged) == (0, 0, 6)

    changed = parse_codebook_yaml(SMALL_CODEBOOK.replace("over-compressed", "squashed"))
    result = write_codebook(store, changed)
    assert (result.new, result.updated) == (0, 1)
    with store.connect() as connection:
        stored = read_codebook(connection)
        harsh = connection.execute(
            sa.select(codes.c.definition, codes.c.parent_id).where(codes.c.name == "Harsh")
        ).one()
        quality_id = connection.execute(
            sa.select(codes.c.id).where(codes.c.name == "Quality")
        ).scalar()
    assert harsh.definition == "The master is heard as harsh or squashed."
    assert harsh.parent_id == quality_id
    assert [c.path for c in stored] == [c.path for c in book]
    assert [c.guid for c in stored] == [code_guid(c.path) for c in book]


def test_a_failed_write_leaves_nothing(store: Store) -> None:
    book = parse_codebook_yaml(SMALL_CODEBOOK)
    book.codes[4].path = ("Missing parent", "Wants knobs")
    with pytest.raises(BadInputError, match="parent 'Missing parent' is neither"):
        write_codebook(store, book)
    with store.connect() as connection:
        assert connection.execute(sa.select(sa.func.count()).select_from(codes)).scalar() == 0


def test_yaml_export_round_trip_keeps_everything(store: Store) -> None:
    book = parse_codebook_yaml(SMALL_CODEBOOK)
    write_codebook(store, book)
    with store.connect() as connection:
        exported = dump_codebook_yaml(read_codebook(connection))
    again = parse_codebook_yaml(exported)
    assert [(c.path, c.definition, c.inclusion, c.exclusion, c.examples, c.color, c.codable)
            for c in again] == [
        (c.path, c.definition, c.inclusion, c.exclusion, c.examples, c.color, c.codable)
        for c in book
    ]  # fmt: skip
    assert "guid:" not in exported  # derived guids are not repeated


def test_explicit_guids_survive_export(store: Store) -> None:
    foreign = "0f8fad5b-d9cb-469f-a165-70867728950e"
    write_codebook(store, parse_codebook_yaml(f"codes:\n  - name: A\n    guid: {foreign}\n"))
    with store.connect() as connection:
        exported = dump_codebook_yaml(read_codebook(connection))
    assert f"guid: {foreign}" in exported
    assert parse_codebook_yaml(exported).codes[0].guid == foreign


def test_code_index_resolves_guid_path_and_unique_name(store: Store) -> None:
    extra = "  - name: Harsh\n  - name: Other\n    children:\n      - name: Sounds finished\n"
    write_codebook(store, parse_codebook_yaml(SMALL_CODEBOOK + extra))
    with store.connect() as connection:
        index = CodeIndex(connection)
    by_path = index.resolve("Quality/Harsh")
    assert index.resolve(code_guid(["Quality", "Harsh"])) == by_path
    assert index.resolve("Wants knobs") == index.resolve("Control / Wants knobs")
    assert index.resolve("Harsh") != by_path  # a full path wins over a name
    with pytest.raises(BadInputError, match="give its path: Quality/Sounds finished; Other/"):
        index.resolve("Sounds finished")
    with pytest.raises(BadInputError, match="no code 'Nope'"):
        index.resolve("Nope")


def test_codebook_commands(
    invoke: Callable[..., Any], write_codebook_file: Callable[[str], Path], tmp_path: Path
) -> None:
    path = write_codebook_file(SMALL_CODEBOOK)
    result = invoke("code", "codebook", "import", str(path))
    assert result.exit_code == 0, result.output
    assert "6 codes from" in result.output and "6 new" in result.output
    out = tmp_path / "out" / "export.yml"
    result = invoke("code", "codebook", "export", str(out))
    assert result.exit_code == 0, result.output
    assert [c.path for c in load_codebook_yaml(out)] == [
        c.path for c in parse_codebook_yaml(SMALL_CODEBOOK)
    ]
    result = invoke("code", "codebook", "show", "--json")
    assert '"path": "Quality/Sounds finished"' in result.output
    result = invoke("code", "codebook", "import", str(tmp_path / "codebook.txt"))
    assert result.exit_code != 0
    assert "ends in .yaml, .yml or .qdc" in str(result.exception)


# --- issue 14: duplicate guids, names holding "/", control characters ----------------------


def test_two_codes_with_one_guid_are_refused_with_both_lines() -> None:
    guid = "0b9d3c3e-6f1a-4f57-9d7e-2b1f4c9a8e11"
    text = (
        "codes:\n"
        "  - name: Quality\n"
        "    children:\n"
        "      - name: Harsh\n"
        f"        guid: {guid}\n"
        "  - name: Control\n"
        f"    guid: {guid}\n"
    )
    with pytest.raises(BadInputError) as error:
        parse_codebook_yaml(text)
    message = str(error.value)
    assert message.startswith("line 6:") and "on line 4" in message
    assert "'Control'" in message and "'Harsh'" in message


def test_an_explicit_guid_that_repeats_a_derived_one_is_refused() -> None:
    derived = code_guid(["Quality"])
    with pytest.raises(BadInputError, match=f"line 3: code 'Other' has the guid {derived}"):
        parse_codebook_yaml(f"codes:\n  - name: Quality\n  - name: Other\n    guid: {derived}\n")


def test_every_path_codebook_show_prints_resolves(
    store: Store, invoke: Callable[..., Any], write_codebook_file: Callable[[str], Path]
) -> None:
    text = (
        "codes:\n"
        "  - name: Mid/Side\n"
        "  - name: Genres\n"
        "    children:\n"
        "      - name: AC/DC covers\n"
        "      - name: Drum & bass\n"
    )
    result = invoke("code", "codebook", "import", str(write_codebook_file(text)))
    assert result.exit_code == 0, result.output
    shown = invoke("code", "codebook", "show", "--json")
    rows = json.loads(shown.output)
    assert {r["path"] for r in rows} == {
        "Mid/Side",
        "Genres",
        "Genres/AC/DC covers",
        "Genres/Drum & bass",
    }
    with store.connect() as connection:
        index = CodeIndex(connection)
    ids = {row["path"]: index.resolve(row["path"]) for row in rows}
    assert len(set(ids.values())) == 4
    assert ids["Genres/AC/DC covers"] == index.resolve(row_guid(rows, "Genres/AC/DC covers"))


def row_guid(rows: list[dict[str, Any]], path: str) -> str:
    return next(r["guid"] for r in rows if r["path"] == path)


def test_a_path_two_codes_print_alike_asks_for_the_guid(store: Store) -> None:
    write_codebook(
        store,
        parse_codebook_yaml("codes:\n  - name: A/B\n  - name: A\n    children:\n      - name: B\n"),
    )
    with store.connect() as connection:
        index = CodeIndex(connection)
    with pytest.raises(BadInputError, match=r"names 2 codes .* give its guid"):
        index.resolve("A/B")


@pytest.mark.parametrize("character", ["\x00", "\x07", "\ufffe"])
def test_a_control_character_is_one_line_with_its_line_number(
    invoke: Callable[..., Any], write_codebook_file: Callable[[str], Path], character: str
) -> None:
    path = write_codebook_file(f"codes:\n  - name: Quality\n  - name: Ha{character}rsh\n")
    result = invoke("code", "codebook", "import", str(path))
    assert isinstance(result.exception, BadInputError) and result.exception.exit_code == 2
    message = str(result.exception)
    assert "\n" not in message
    assert "line 3:" in message and "YAML does not allow" in message
