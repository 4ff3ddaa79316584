"""Reliability measures against published worked examples and first principles."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from earwitness.code.reliability import (
    cohen_kappa,
    cohen_kappa_table,
    coverage_histogram,
    fleiss_kappa,
    krippendorff_alpha,
    match_segments,
    merge_spans,
    span_agreement,
)

# Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", section C:
# 4 observers x 12 units, values 1-5, with missing values.
KRIPPENDORFF_2011 = [
    [1, 2, 3, 3, 2, 1, 4, 1, 2, None, None, None],
    [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, None, 3],
    [None, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, None],
    [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, None],
]


@pytest.mark.parametrize(
    ("level", "published"),
    [("nominal", 0.743), ("ordinal", 0.815), ("interval", 0.849), ("ratio", 0.797)],
)
def test_alpha_matches_krippendorff_2011(level: str, published: float) -> None:
    assert krippendorff_alpha(KRIPPENDORFF_2011, level) == pytest.approx(published, abs=5e-4)


# Hayes & Krippendorff (2007), Table 1: 5 observers rate 40 news articles (0-3), ordinal.
# Their KALPHA macro reports alpha = .7598.
HAYES_2007_ROWS = """
1 1 2 . 2|1 1 0 1 .|2 3 3 3 .|. 0 0 . 0|0 0 0 . 0|0 0 0 . 0|1 0 2 . 1|1 . 2 0 .|2 2 2 . 2|2 1 1 1 .
. 1 0 0 .|0 0 0 0 .|1 2 2 2 .|3 3 2 2 3|1 1 1 . 1|1 1 1 . 1|2 1 2 . 2|1 2 3 3 .|1 1 0 1 .|0 0 0 . 0
0 0 1 1 .|0 0 . 0 0|2 3 3 3 .|0 0 0 0 .|1 2 . 2 2|0 1 1 1 .|0 0 0 1 0|1 2 1 2 .|1 1 2 2 .|1 1 2 . 2
1 1 0 . 0|2 1 2 1 .|2 2 . 2 2|3 2 2 2 .|2 2 2 . 2|2 2 3 . 2|2 2 2 . 2|2 2 . 1 2|2 2 2 2 .|1 1 1 . 1
"""


def _hayes_2007() -> list[list[int | None]]:
    units = [unit.split() for unit in HAYES_2007_ROWS.replace("\n", "|").split("|") if unit]
    assert len(units) == 40
    return [[None if v == "." else int(v) for v in column] for column in zip(*units, strict=True)]


def test_alpha_matches_hayes_krippendorff_2007() -> None:
    assert krippendorff_alpha(_hayes_2007(), "ordinal") == pytest.approx(0.7598, abs=5e-5)


# Fleiss (1971), Table 1: 30 patients, 6 psychiatrists each, 5 diagnoses; kappa = .430.
FLEISS_1971 = [
    [0, 0, 0, 6, 0], [0, 3, 0, 0, 3], [0, 1, 4, 0, 1], [0, 0, 0, 0, 6], [0, 3, 0, 3, 0],
    [2, 0, 4, 0, 0], [0, 0, 4, 0, 2], [2, 0, 3, 1, 0], [2, 0, 0, 4, 0], [0, 0, 0, 0, 6],
    [1, 0, 0, 5, 0], [1, 1, 0, 4, 0], [0, 3, 3, 0, 0], [1, 0, 0, 5, 0], [0, 2, 0, 3, 1],
    [0, 0, 5, 0, 1], [3, 0, 0, 1, 2], [5, 1, 0, 0, 0], [0, 2, 0, 4, 0], [1, 0, 2, 0, 3],
    [0, 0, 0, 0, 6], [0, 1, 0, 5, 0], [0, 2, 0, 1, 3], [2, 0, 0, 4, 0], [1, 0, 0, 4, 1],
    [0, 5, 0, 1, 0], [4, 0, 0, 0, 2], [0, 2, 0, 4, 0], [1, 0, 5, 0, 0], [0, 0, 0, 0, 6],
]  # fmt: skip


def test_fleiss_kappa_matches_fleiss_1971() -> None:
    assert fleiss_kappa(FLEISS_1971) == pytest.approx(0.430, abs=5e-4)


def test_alpha_on_fleiss_data_differs_from_kappa_only_by_the_small_sample_correction() -> None:
    # With no missing values both share the observed agreement; alpha's chance term
    # uses n_c(n_c - 1) / (n(n - 1)) where Fleiss uses (n_c / n)^2.
    ratings = [
        [category for category, count in enumerate(row) for _ in range(count)]
        for row in FLEISS_1971
    ]
    data = [list(column) for column in zip(*ratings, strict=True)]
    n = 180
    totals = [sum(row[c] for row in FLEISS_1971) for c in range(5)]
    agreement = sum(sum(x * (x - 1) for x in row) / 30 for row in FLEISS_1971) / 30
    chance = sum(t * (t - 1) for t in totals) / (n * (n - 1))
    expected = 1 - (1 - agreement) / (1 - chance)
    assert krippendorff_alpha(data, "nominal") == pytest.approx(expected, abs=1e-12)
    assert krippendorff_alpha(data, "nominal") > fleiss_kappa(FLEISS_1971)


def test_cohen_kappa_textbook_example() -> None:
    # 50 proposals read by two reviewers: 20 yes/yes, 5 yes/no, 10 no/yes, 15 no/no;
    # p_o = .70, p_e = .5 * .6 + .5 * .4 = .50, kappa = .40.
    assert cohen_kappa_table([[20, 5], [10, 15]]) == pytest.approx(0.4)
    a = ["yes"] * 25 + ["no"] * 25
    b = ["yes"] * 20 + ["no"] * 5 + ["yes"] * 10 + ["no"] * 15
    assert cohen_kappa(a, b) == pytest.approx(0.4)


def test_alpha_is_nan_without_variation_and_one_for_perfect_agreement() -> None:
    assert math.isnan(krippendorff_alpha([[1, 1], [1, 1]]))
    assert math.isnan(krippendorff_alpha([[1, None], [None, 2]]))
    assert krippendorff_alpha([[1, 2, 3], [1, 2, 3]], "interval") == 1.0


def test_alpha_refuses_bad_input() -> None:
    with pytest.raises(ValueError, match="level"):
        krippendorff_alpha([[1]], "cardinal")
    with pytest.raises(ValueError, match="every unit"):
        krippendorff_alpha([[1, 2], [1]])
    with pytest.raises(ValueError, match="numbers"):
        krippendorff_alpha([["a", "b"], ["a", "a"]], "interval")


def test_character_kappa_is_derived_from_the_definition() -> None:
    # Coder A codes [0, 50), coder B [25, 75) of 100 characters: 25 characters in each
    # cell, p_o = .5, p_A = p_B = .5, p_e = .5, kappa = 0.
    histogram = coverage_histogram(100, [[(0, 50)], [(25, 75)]])
    assert histogram == {0: 25, 1: 25, 2: 25, 3: 25}
    result = span_agreement(histogram, 2)
    assert (result.units, result.percent_agreement, result.kappa) == (100, 0.5, 0.0)
    # Leaving out text no coder coded: 75 characters, p_o = 1/3, p_A = p_B = 2/3,
    # p_e = 4/9 + 1/9 = 5/9, kappa = (1/3 - 5/9) / (4/9) = -1/2.
    within = coverage_histogram(100, [[(0, 50)], [(25, 75)]], within=[(0, 75)])
    result = span_agreement(within, 2)
    assert result.units == 75
    assert result.kappa == pytest.approx(-0.5)


spans = st.lists(st.tuples(st.integers(0, 60), st.integers(0, 60)), max_size=4).map(
    lambda pairs: [(min(a, b), max(a, b)) for a, b in pairs]
)


@settings(max_examples=60, deadline=None)
@given(st.lists(spans, min_size=2, max_size=3), st.booleans())
def test_span_agreement_equals_character_by_character_computation(
    coder_spans: list[list[tuple[int, int]]], exclude_uncoded: bool
) -> None:
    length = 60
    flags = [[any(s <= i < e for s, e in sp) for i in range(length)] for sp in coder_spans]
    keep = [i for i in range(length) if not exclude_uncoded or any(f[i] for f in flags)]
    within = merge_spans(s for sp in coder_spans for s in sp) if exclude_uncoded else None
    result = span_agreement(coverage_histogram(length, coder_spans, within=within), len(flags))
    assert result.units == len(keep)
    if not keep:
        return
    data = [[int(f[i]) for i in keep] for f in flags]
    assert result.alpha == pytest.approx(krippendorff_alpha(data), nan_ok=True)
    unanimous = sum(len({row[u] for row in data}) == 1 for u in range(len(keep)))
    assert result.percent_agreement == pytest.approx(unanimous / len(keep))
    if len(flags) == 2:
        assert result.kappa == pytest.approx(cohen_kappa(data[0], data[1]), nan_ok=True)


def test_segment_matching_uses_the_overlap_threshold() -> None:
    a = [(0, 100), (200, 250)]
    b = [(5, 100), (300, 350)]
    strict = match_segments(a, b, threshold=0.99)
    assert (strict.matched, strict.unmatched) == (0, 4)
    loose = match_segments(a, b, threshold=0.9)
    assert (loose.matched, loose.unmatched) == (2, 2)
    assert loose.percent_agreement == 0.5
    with pytest.raises(ValueError):
        match_segments(a, b, threshold=0)


def test_merge_spans() -> None:
    assert merge_spans([(5, 9), (0, 3), (2, 4), (9, 9), (9, 12)]) == [(0, 4), (5, 12)]
