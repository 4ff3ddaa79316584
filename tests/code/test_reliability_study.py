"""Agreement over the study's codings, checked character by character."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from earwitness.code._codebook import parse_codebook_yaml, write_codebook
from earwitness.code._coding import apply_code
from earwitness.code.reliability import cohen_kappa, krippendorff_alpha, study_agreement
from earwitness.errors import BadInputError
from earwitness.store import Store

from .conftest import POSTS, SMALL_CODEBOOK, add_documents

# (document, code, coder, start, end)
CODINGS = [
    ("t1", "Harsh", "ana", 40, 60),
    ("t1", "Harsh", "ben", 45, 60),
    ("t1", "Sounds finished", "ana", 0, 35),
    ("t1", "Sounds finished", "ben", 0, 35),
    ("t1", "Wants knobs", "ben", 66, 90),
    ("t2", "Harsh", "ana", 0, 40),
    ("t2", "Harsh", "ben", 20, 40),
    ("t3", "Cost", "ana", 0, 21),  # t3 is coded by ana only: not compared
]


@pytest.fixture
def coded(store: Store) -> Store:
    add_documents(store)
    write_codebook(store, parse_codebook_yaml(SMALL_CODEBOOK))
    for document, code, coder, start, end in CODINGS:
        apply_code(store, code, coder=coder, document=f"forum:{document}", start=start, end=end)
    return store


def _flags(document: str, code: str, coder: str) -> list[int]:
    text = POSTS[document][1]
    spans = [(s, e) for d, c, k, s, e in CODINGS if (d, c, k) == (document, code, coder)]
    return [int(any(s <= i < e for s, e in spans)) for i in range(len(text))]


def _by_hand(code: str, exclude_uncoded: bool = False) -> tuple[int, float, float]:
    a: list[int] = []
    b: list[int] = []
    for document in ("t1", "t2"):
        fa, fb = _flags(document, code, "ana"), _flags(document, code, "ben")
        coded_any = [
            any(_flags(document, c, k)[i] for c in ("Harsh", "Sounds finished", "Wants knobs")
                for k in ("ana", "ben"))
            for i in range(len(fa))
        ]  # fmt: skip
        keep = [i for i in range(len(fa)) if coded_any[i] or not exclude_uncoded]
        a += [fa[i] for i in keep]
        b += [fb[i] for i in keep]
    return len(a), cohen_kappa(a, b), krippendorff_alpha([a, b])


@pytest.mark.parametrize("exclude_uncoded", [False, True])
def test_agreement_by_code_equals_the_character_by_character_figures(
    coded: Store, exclude_uncoded: bool
) -> None:
    with coded.connect() as connection:
        rows = study_agreement(connection, exclude_uncoded=exclude_uncoded)
    by_code = {row["code"]: row for row in rows}
    assert set(by_code) == {"Quality/Harsh", "Quality/Sounds finished", "Control/Wants knobs",
                            "(all)"}  # fmt: skip
    for path in ("Quality/Harsh", "Control/Wants knobs"):
        units, kappa, alpha = _by_hand(path.split("/")[1], exclude_uncoded)
        row = by_code[path]
        assert row["documents"] == 2
        assert row["units"] == units
        assert row["kappa"] == pytest.approx(kappa)
        assert row["alpha"] == pytest.approx(alpha)
    assert by_code["Quality/Sounds finished"]["alpha"] == 1.0
    assert by_code["Control/Wants knobs"]["flag"] == "alpha < 0.667"
    assert by_code["Quality/Sounds finished"]["flag"] == ""


def test_agreement_by_document_and_segment_matching(coded: Store) -> None:
    with coded.connect() as connection:
        rows = study_agreement(connection, by="document")
        assert [row["document"] for row in rows] == ["forum:t1", "forum:t2", "(all)"]
        total_chars = len(POSTS["t1"][1]) + len(POSTS["t2"][1])
        assert rows[-1]["units"] == 3 * total_chars  # three codes used, every character
        matched = study_agreement(connection, coders=["ana", "ben"], segments=True, overlap=0.7)
    by_code = {row["code"]: row for row in matched}
    # Harsh: t1 overlap 15/20 = .75 matches both ways; t2 overlap 20/40 = .5 does not.
    assert (by_code["Quality/Harsh"]["matched"], by_code["Quality/Harsh"]["segments"]) == (2, 4)
    assert by_code["Control/Wants knobs"]["percent_agreement"] == 0.0
    assert by_code["(all)"]["matched"] == 4


def test_agreement_needs_two_coders_with_codings(coded: Store) -> None:
    with coded.connect() as connection, pytest.raises(BadInputError, match="'cleo' has no"):
        study_agreement(connection, coders=["ana", "cleo"])
    with coded.connect() as connection, pytest.raises(BadInputError, match="at least two"):
        study_agreement(connection, coders=["ana"])


def test_agreement_command(coded: Store, invoke: Callable[..., Any]) -> None:
    result = invoke("code", "agreement", "--coders", "ana,ben", "--json")
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert {row["code"] for row in rows} >= {"Quality/Harsh", "(all)"}
    table = invoke("code", "agreement", "--by", "document")
    assert "units: characters" in table.output and "forum:t2" in table.output
    segments = invoke("code", "agreement", "--segments", "--coders", "ana,ben", "--csv")
    assert segments.output.splitlines()[0] == "code,segments,matched,percent_agreement"
    refused = invoke("code", "agreement", "--segments")
    assert refused.exit_code != 0
    assert isinstance(refused.exception, BadInputError)
    assert "--segments compares exactly two coders: give --coders A,B" in str(refused.exception)
