"""Reports: frequencies by group and source, functionalities with stars, matrices."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from earwitness.code._codebook import parse_codebook_yaml, write_codebook
from earwitness.code._coding import apply_code
from earwitness.code._reports import (
    cooccurrence,
    document_matrix,
    frequencies,
    requested_functionalities,
    segment_report,
    stars,
)
from earwitness.code._segment import segment_documents
from earwitness.errors import BadInputError
from earwitness.store import Store

from .conftest import SMALL_CODEBOOK, add_documents

CODEBOOK = SMALL_CODEBOOK + (
    "  - name: Requested functionality\n"
    "    codable: false\n"
    "    children:\n"
    "      - name: Reference track\n"
    "      - name: Stem mastering\n"
    "      - name: Genre presets\n"
)


@pytest.fixture
def reported(store: Store) -> Store:
    add_documents(store)
    write_codebook(store, parse_codebook_yaml(CODEBOOK))
    for document, code, coder, start, end in [
        ("t1", "Harsh", "ana", 40, 60),
        ("t1", "Harsh", "ben", 40, 60),  # the same span by a second coder counts once
        ("t1", "Harsh", "ana", 0, 5),
        ("t1", "Wants knobs", "ana", 50, 70),
        ("t2", "Harsh", "ana", 0, 40),
        ("t2", "Wants knobs", "ana", 45, 73),
        ("t1", "Reference track", "ana", 0, 4),
        ("t2", "Reference track", "ana", 0, 4),
        ("t3", "Reference track", "ana", 0, 4),
        ("t1", "Stem mastering", "ana", 5, 9),
        ("t3", "Cost", "ana", 0, 21),
    ]:
        apply_code(store, code, coder=coder, document=f"forum:{document}", start=start, end=end)
    return store


def test_frequencies_by_user_group(reported: Store) -> None:
    with reported.connect() as connection:
        table = frequencies(connection).set_index("code")
    harsh = table.loc["Quality/Harsh"]
    assert (harsh["segments"], harsh["participants"]) == (3, 2)
    assert (harsh["amateur segments"], harsh["amateur participants"]) == (2, 1)
    assert (harsh["professional segments"], harsh["professional participants"]) == (1, 1)
    assert table.loc["Quality", "segments"] == 0
    with reported.connect() as connection:
        by_source = frequencies(connection, by="source", coder="ben").set_index("code")
    assert list(by_source.columns) == ["segments", "participants", "forum segments",
                                       "forum participants"]  # fmt: skip
    assert by_source.loc["Quality/Harsh", "forum segments"] == 1


@pytest.mark.parametrize(
    ("count", "most", "expected"),
    [
        (10, 10, "*****"),
        (9, 10, "*****"),
        (8, 10, "****"),
        (1, 10, "*"),
        (0, 10, ""),
        (3, 3, "*****"),
    ],
)
def test_star_binning(count: int, most: int, expected: str) -> None:
    assert stars(count, most) == expected


def test_requested_functionalities_table(reported: Store) -> None:
    with reported.connect() as connection:
        table = requested_functionalities(connection)
        with pytest.raises(BadInputError, match="no theme 'Wishes'"):
            requested_functionalities(connection, theme="Wishes")
    columns = ["functionality", "frequency", "participants", "amateur", "professional"]
    assert table[columns].values.tolist() == [
        ["Reference track", "*****", 3, 2, 1],
        ["Stem mastering", "**", 1, 1, 0],
        ["Genre presets", "", 0, 0, 0],
    ]  # fmt: skip


def test_cooccurrence_and_document_matrix(reported: Store) -> None:
    with reported.connect() as connection:
        by_document = cooccurrence(connection).set_index("code")
        assert by_document.loc["Quality/Harsh", "Control/Wants knobs"] == 2
        assert by_document.loc["Quality/Harsh", "Quality/Harsh"] == 2
        assert by_document.loc["Cost", "Quality/Harsh"] == 0
        with pytest.raises(BadInputError, match="run `earwitness code segment` first"):
            cooccurrence(connection, unit="segment")
    segment_documents(reported, short_post_chars=60)
    with reported.connect() as connection:
        by_segment = cooccurrence(connection, unit="segment").set_index("code")
        matrix = document_matrix(connection).set_index("code")
    # Harsh [40, 60) and Wants knobs [50, 70) of t1 both touch the sentence holding 50-60.
    assert by_segment.loc["Quality/Harsh", "Control/Wants knobs"] >= 1
    assert (
        by_segment.loc["Quality/Harsh", "Control/Wants knobs"]
        <= by_document.loc["Quality/Harsh", "Control/Wants knobs"] + 1
    )
    assert matrix.loc["Quality/Harsh", "forum:t1"] == 2
    assert matrix.loc["Cost", "forum:t3"] == 1
    assert matrix.loc["Cost", "forum:t1"] == 0


def test_segment_report_is_attributed_by_pseudonym(reported: Store) -> None:
    with reported.connect() as connection:
        rows = segment_report(connection, "Requested functionality")
    assert [(r["pseudonym"], r["code"], r["text"]) for r in rows] == [
        ("p_t1k", "Requested functionality/Reference track", "LAND"),
        ("p_t1k", "Requested functionality/Stem mastering", " mad"),
        ("p_t2k", "Requested functionality/Reference track", "Hone"),
        ("p_t3k", "Requested functionality/Reference track", "Too "),
    ]


@pytest.mark.parametrize("kind", ["frequencies", "functionalities", "cooccurrence", "matrix"])
def test_report_command_formats(reported: Store, invoke: Callable[..., Any], kind: str) -> None:
    as_json = invoke("code", "report", kind, "--json")
    assert as_json.exit_code == 0, as_json.output
    assert isinstance(json.loads(as_json.output), list)
    as_csv = invoke("code", "report", kind, "--csv")
    assert as_csv.output.count("\n") >= 2
    assert invoke("code", "report", kind).exit_code == 0


def test_segments_report_needs_a_code(reported: Store, invoke: Callable[..., Any]) -> None:
    result = invoke("code", "report", "segments", "--code", "Cost", "--json")
    assert json.loads(result.output)[0]["pseudonym"] == "p_t3k"
    assert "needs --code" in str(invoke("code", "report", "segments").exception)
