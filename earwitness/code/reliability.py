"""Intercoder reliability: Krippendorff's alpha, Cohen's and Fleiss' kappa, span agreement.

Sources:

* Krippendorff, K. (2011). *Computing Krippendorff's Alpha-Reliability*. Annenberg School
  for Communication, University of Pennsylvania. Coincidence matrix, difference functions
  for nominal, ordinal, interval and ratio data, and ``alpha = 1 - D_o / D_e``.
* Hayes, A. F. & Krippendorff, K. (2007). Answering the call for a standard reliability
  measure for coding data. *Communication Methods and Measures* 1(1), 77-89.
* Cohen, J. (1960). A coefficient of agreement for nominal scales. *Educational and
  Psychological Measurement* 20(1), 37-46.
* Fleiss, J. L. (1971). Measuring nominal scale agreement among many raters.
  *Psychological Bulletin* 76(5), 378-382.
* Light, R. J. (1971). Measures of response agreement for qualitative data: the mean of
  pairwise Cohen's kappas for more than two coders.

Agreement over coded text treats every character as a unit with a binary decision per
coder ("coded with this code" or not). A character-level Cohen's kappa then has the
chance term of its definition, ``p_e = p_A p_B + (1 - p_A)(1 - p_B)`` where ``p_X`` is
the share of the compared characters that coder X coded; :func:`span_agreement`
derives every figure from one histogram of coverage patterns, so percent agreement,
kappa and alpha always count the same units.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from itertools import combinations
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import sqlalchemy as sa

__all__ = [
    "LEVELS",
    "Level",
    "SegmentMatch",
    "SpanAgreement",
    "Spans",
    "alpha_from_counts",
    "cohen_kappa",
    "cohen_kappa_table",
    "coverage_histogram",
    "fleiss_kappa",
    "krippendorff_alpha",
    "match_segments",
    "merge_spans",
    "span_agreement",
    "study_agreement",
]

Level = Literal["nominal", "ordinal", "interval", "ratio"]
LEVELS: tuple[Level, ...] = ("nominal", "ordinal", "interval", "ratio")
Spans = Sequence[tuple[int, int]]
FloatArray = npt.NDArray[np.float64]


# --- Krippendorff's alpha -----------------------------------------------------------------


def _is_missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def krippendorff_alpha(data: Iterable[Iterable[Any]], level: Level | str = "nominal") -> float:
    """Krippendorff's alpha for ``data`` (coders x units, ``None`` or NaN for missing).

    Follows Krippendorff (2011): units with fewer than two values are not pairable and
    drop out; ``alpha = 1 - (n - 1) * sum(o_ck * d_ck) / sum(n_c * n_k * d_ck)``.
    Returns NaN when alpha is undefined (fewer than two pairable values, or no variation
    at all, so that the expected disagreement is zero).
    """
    level = _check_level(level)
    rows = [list(row) for row in data]
    if not rows:
        raise ValueError("reliability data needs at least one coder")
    n_units = len(rows[0])
    if any(len(row) != n_units for row in rows):
        raise ValueError("every coder must have a value (or None) for every unit")
    present = [v for row in rows for v in row if not _is_missing(v)]
    values = _sorted_values(present, level)
    index = {value: i for i, value in enumerate(values)}
    counts = np.zeros((n_units, len(values)), dtype=np.float64)
    for row in rows:
        for unit, value in enumerate(row):
            if not _is_missing(value):
                counts[unit, index[value]] += 1
    return alpha_from_counts(counts, values, level)


def _check_level(level: str) -> Level:
    if level not in LEVELS:
        raise ValueError(f"level must be one of {', '.join(LEVELS)}, not {level!r}")
    return level


def _sorted_values(present: list[Any], level: Level) -> list[Any]:
    unique = list(dict.fromkeys(present))
    if level in ("interval", "ratio"):
        for value in unique:
            if isinstance(value, bool) or not isinstance(value, int | float | np.number):
                raise ValueError(f"{level} data must be numbers, got {value!r}")
        if level == "ratio" and any(float(v) < 0 for v in unique):
            raise ValueError("ratio data must not be negative")
    try:
        return sorted(unique)
    except TypeError:
        if level == "ordinal":
            raise ValueError("ordinal values must be comparable with each other") from None
        return sorted(unique, key=repr)


def alpha_from_counts(
    counts: FloatArray,
    values: Sequence[Any],
    level: Level | str = "nominal",
    weights: FloatArray | None = None,
) -> float:
    """Alpha from a units x values table of how many coders gave each value.

    ``weights`` counts how many identical units each row stands for (e.g. characters
    with the same coverage pattern), so a million characters need not be a million rows.
    """
    level = _check_level(level)
    counts = np.asarray(counts, dtype=np.float64)
    unit_weights = np.ones(len(counts)) if weights is None else np.asarray(weights, float)
    per_unit = counts.sum(axis=1)
    pairable = per_unit >= 2
    counts, per_unit, unit_weights = counts[pairable], per_unit[pairable], unit_weights[pairable]
    n = float((per_unit * unit_weights).sum())
    if n < 2:
        return math.nan
    scaled = counts * (unit_weights / (per_unit - 1))[:, None]
    coincidences = scaled.T @ counts - np.diag(scaled.sum(axis=0))
    marginals = coincidences.sum(axis=0)
    delta = _difference(level, np.asarray(values, dtype=object), marginals)
    observed = float((coincidences * delta).sum())
    expected = float((np.outer(marginals, marginals) * delta).sum())
    if expected == 0:
        return math.nan
    return 1.0 - (n - 1) * observed / expected


def _difference(level: Level, values: npt.NDArray[Any], marginals: FloatArray) -> FloatArray:
    """The squared difference function delta^2_ck of Krippendorff (2011)."""
    size = len(marginals)
    if level == "nominal":
        return 1.0 - np.eye(size)
    if level == "ordinal":
        cumulative = np.cumsum(marginals)
        low = np.minimum.outer(np.arange(size), np.arange(size))
        high = np.maximum.outer(np.arange(size), np.arange(size))
        between = cumulative[high] - cumulative[low] + marginals[low]
        spread = between - (marginals[:, None] + marginals[None, :]) / 2
        return np.asarray(spread**2, dtype=np.float64)
    numbers = values.astype(np.float64)
    gap = np.subtract.outer(numbers, numbers)
    if level == "interval":
        return np.asarray(gap**2, dtype=np.float64)
    total = np.add.outer(numbers, numbers)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(total == 0, 0.0, gap / np.where(total == 0, 1.0, total))
    return np.asarray(ratio**2, dtype=np.float64)


# --- kappa ----------------------------------------------------------------------------------


def cohen_kappa_table(table: Sequence[Sequence[float]] | FloatArray) -> float:
    """Cohen's (1960) kappa from a square contingency table (rows coder A, columns coder B).

    ``kappa = (p_o - p_e) / (1 - p_e)`` with ``p_e = sum_k p_A(k) p_B(k)`` from each
    coder's own marginals. NaN when chance agreement is certain (``p_e = 1``).
    """
    matrix = np.asarray(table, dtype=np.float64)
    if matrix.ndim != 2 or matrix.shape[0] != matrix.shape[1]:
        raise ValueError("a contingency table must be square")
    total = matrix.sum()
    if total <= 0:
        return math.nan
    observed = np.trace(matrix) / total
    chance = float((matrix.sum(axis=1) / total) @ (matrix.sum(axis=0) / total))
    if chance >= 1.0:
        return math.nan
    return float((observed - chance) / (1.0 - chance))


def cohen_kappa(a: Sequence[Hashable], b: Sequence[Hashable]) -> float:
    """Cohen's kappa for two coders' labels of the same units."""
    if len(a) != len(b):
        raise ValueError("both coders must label the same units")
    labels = sorted(set(a) | set(b), key=repr)
    index = {label: i for i, label in enumerate(labels)}
    table = np.zeros((len(labels), len(labels)))
    for x, y in zip(a, b, strict=True):
        table[index[x], index[y]] += 1
    return cohen_kappa_table(table)


def fleiss_kappa(counts: Sequence[Sequence[int]] | FloatArray) -> float:
    """Fleiss' (1971) kappa from a subjects x categories table of rater counts.

    Every subject must be rated by the same number of raters (eq. 1-9 of Fleiss 1971).
    """
    table = np.asarray(counts, dtype=np.float64)
    raters = table.sum(axis=1)
    if len(table) == 0 or np.any(raters != raters[0]) or raters[0] < 2:
        raise ValueError("Fleiss' kappa needs the same number (>= 2) of raters per subject")
    n = raters[0]
    agreement = ((table * (table - 1)).sum(axis=1) / (n * (n - 1))).mean()
    shares = table.sum(axis=0) / table.sum()
    chance = float((shares**2).sum())
    if chance >= 1.0:
        return math.nan
    return float((agreement - chance) / (1.0 - chance))


# --- agreement over coded text --------------------------------------------------------------


def merge_spans(spans: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    """Sorted, non-overlapping spans covering the same characters."""
    merged: list[tuple[int, int]] = []
    for start, end in sorted(s for s in spans if s[1] > s[0]):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def coverage_histogram(
    length: int, spans_by_coder: Sequence[Spans], *, within: Spans | None = None
) -> dict[int, int]:
    """How many characters of ``[0, length)`` each pattern of coders covers.

    The key is a bit mask (bit i set: coder i coded the character); the value the
    number of characters with that pattern. With ``within``, only characters inside
    those spans count. A sweep over span boundaries: the cost grows with the number of
    spans, not with the length of the text.
    """
    n_coders = len(spans_by_coder)
    if n_coders > 30:
        raise ValueError("at most 30 coders can be compared at once")
    events: list[tuple[int, int, int]] = []
    for bit, spans in enumerate([*spans_by_coder, *([within] if within is not None else [])]):
        for start, end in spans:
            start, end = max(0, start), min(length, end)
            if end > start:
                events += ((start, bit, 1), (end, bit, -1))
    events.sort()
    limit = 1 << n_coders if within is not None else 0
    depth = [0] * (n_coders + 1)
    totals: dict[int, int] = {}
    mask = position = 0
    for point, bit, step in events:
        if point > position:
            _count(totals, mask, point - position, limit)
            position = point
        depth[bit] += step
        mask = mask | (1 << bit) if depth[bit] > 0 else mask & ~(1 << bit)
    if length > position:
        _count(totals, mask, length - position, limit)
    return totals


def _count(totals: dict[int, int], mask: int, width: int, limit: int) -> None:
    if limit and not mask & limit:
        return
    key = mask & ~limit
    totals[key] = totals.get(key, 0) + width


@dataclass(frozen=True)
class SpanAgreement:
    """Agreement of ``n_coders`` over ``units`` characters.

    ``kappa`` is Cohen's kappa for two coders and the mean of the pairwise kappas
    (Light 1971) for more; ``percent_agreement`` is the share of characters on which
    every coder made the same decision; ``alpha`` is Krippendorff's nominal alpha.
    """

    n_coders: int
    units: int
    coded: tuple[int, ...]
    percent_agreement: float
    kappa: float
    alpha: float

    def as_dict(self) -> dict[str, Any]:
        return {
            "units": self.units,
            "coded": list(self.coded),
            "percent_agreement": self.percent_agreement,
            "kappa": self.kappa,
            "alpha": self.alpha,
        }


def span_agreement(histogram: Mapping[int, int], n_coders: int) -> SpanAgreement:
    """Percent agreement, kappa and alpha from a :func:`coverage_histogram` (or a sum)."""
    if n_coders < 2:
        raise ValueError("agreement needs at least two coders")
    masks = np.array(list(histogram), dtype=np.int64)
    chars = np.array([histogram[m] for m in histogram], dtype=np.float64)
    units = int(chars.sum())
    if units == 0:
        return SpanAgreement(n_coders, 0, (0,) * n_coders, math.nan, math.nan, math.nan)
    bits = (masks[:, None] >> np.arange(n_coders)) & 1
    full = (1 << n_coders) - 1
    unanimous = chars[(masks == 0) | (masks == full)].sum()
    kappas = [
        _pair_kappa(bits[:, i], bits[:, j], chars) for i, j in combinations(range(n_coders), 2)
    ]
    ones = bits.sum(axis=1).astype(np.float64)
    counts = np.stack([n_coders - ones, ones], axis=1)
    return SpanAgreement(
        n_coders=n_coders,
        units=units,
        coded=tuple(int((bits[:, i] * chars).sum()) for i in range(n_coders)),
        percent_agreement=float(unanimous / units),
        kappa=float(np.mean(kappas)) if not any(math.isnan(k) for k in kappas) else math.nan,
        alpha=alpha_from_counts(counts, [0, 1], "nominal", weights=chars),
    )


def _pair_kappa(a: npt.NDArray[np.int64], b: npt.NDArray[np.int64], chars: FloatArray) -> float:
    both = float(chars[(a == 1) & (b == 1)].sum())
    only_a = float(chars[(a == 1) & (b == 0)].sum())
    only_b = float(chars[(a == 0) & (b == 1)].sum())
    neither = float(chars[(a == 0) & (b == 0)].sum())
    return cohen_kappa_table([[both, only_a], [only_b, neither]])


# --- MAXQDA-style segment matching -----------------------------------------------------------


@dataclass(frozen=True)
class SegmentMatch:
    """Segments of each coder that found (or missed) a counterpart in the other's coding."""

    matched: int
    unmatched: int

    @property
    def total(self) -> int:
        return self.matched + self.unmatched

    @property
    def percent_agreement(self) -> float:
        return self.matched / self.total if self.total else math.nan


def _overlap_rate(a: tuple[int, int], b: tuple[int, int]) -> float:
    intersection = min(a[1], b[1]) - max(a[0], b[0])
    if intersection <= 0:
        return 0.0
    union = max(a[1], b[1]) - min(a[0], b[0])
    return intersection / union


def match_segments(spans_a: Spans, spans_b: Spans, threshold: float = 0.9) -> SegmentMatch:
    """Segment agreement as MAXQDA computes it for one code in one document.

    Every segment of each coder is checked in turn: it matches when the other coder
    coded a segment with the same code whose overlap (intersection over union of the
    two spans) is at least ``threshold``. Both coders' segments are counted, so the
    agreement is symmetric.
    """
    if not 0.0 < threshold <= 1.0:
        raise ValueError("the overlap threshold must be in (0, 1]")
    matched = unmatched = 0
    for mine, theirs in ((spans_a, spans_b), (spans_b, spans_a)):
        for span in mine:
            if any(_overlap_rate(span, other) >= threshold for other in theirs):
                matched += 1
            else:
                unmatched += 1
    return SegmentMatch(matched, unmatched)


# --- the study's codings ---------------------------------------------------------------------


def study_agreement(
    connection: sa.Connection,
    *,
    coders: Sequence[str] | None = None,
    by: Literal["code", "document"] = "code",
    exclude_uncoded: bool = False,
    threshold: float = 0.667,
    segments: bool = False,
    overlap: float = 0.9,
) -> list[dict[str, Any]]:
    """Agreement of human coders in the study, one row per code (or document) and a total.

    Compared documents are those every selected coder coded at least once; in them every
    character is a unit and each coder decided, per code, whether it carries the code.
    ``exclude_uncoded`` leaves out characters no selected coder coded with any code.
    Rows whose alpha is below ``threshold`` are flagged. With ``segments``, codings are
    matched MAXQDA-style instead (two coders, overlap at least ``overlap``).
    """
    from earwitness.code._codebook import CodeIndex

    data = _load_codings(connection, coders)
    names, spans, lengths = data.coders, data.spans, data.lengths
    code_paths = CodeIndex(connection).paths()
    labels = data.labels
    if segments and len(names) != 2:
        raise ValueError("segment matching compares exactly two coders; name them with --coders")
    used_codes = sorted({code for (_, code) in spans}, key=lambda c: code_paths.get(c, ""))
    rows: list[dict[str, Any]] = []
    totals: dict[Any, Any] = {}
    keys = used_codes if by == "code" else sorted(lengths)
    for key in keys:
        pairs = (
            [(d, key) for d in sorted(lengths)] if by == "code" else [(key, c) for c in used_codes]
        )
        label = code_paths.get(key, str(key)) if by == "code" else labels[key]
        if segments:
            match = _segment_matching(pairs, spans, names, overlap)
            row = {by: label, "segments": match.total, "matched": match.matched,
                   "percent_agreement": match.percent_agreement}  # fmt: skip
            totals = _add_match(totals, match)
        else:
            histogram = _histogram(pairs, spans, lengths, len(names), exclude_uncoded, data)
            result = span_agreement(histogram, len(names))
            row = {by: label, "documents": len({d for d, _ in pairs}), **result.as_dict()}
            row["flag"] = _flag(result.alpha, threshold)
            for mask, chars in histogram.items():
                totals[mask] = totals.get(mask, 0) + chars
        rows.append(row)
    if rows:
        rows.append(_total_row(by, totals, names, lengths, segments, threshold))
    return rows


def _flag(alpha: float, threshold: float) -> str:
    if math.isnan(alpha):
        return "undefined"
    return f"alpha < {threshold:g}" if alpha < threshold else ""


def _add_match(totals: dict[Any, Any], match: SegmentMatch) -> dict[Any, Any]:
    return {
        "matched": totals.get("matched", 0) + match.matched,
        "unmatched": totals.get("unmatched", 0) + match.unmatched,
    }


def _total_row(
    by: str,
    totals: dict[Any, Any],
    names: Sequence[str],
    lengths: Mapping[int, int],
    segments: bool,
    threshold: float,
) -> dict[str, Any]:
    if segments:
        match = SegmentMatch(totals.get("matched", 0), totals.get("unmatched", 0))
        return {by: "(all)", "segments": match.total, "matched": match.matched,
                "percent_agreement": match.percent_agreement}  # fmt: skip
    result = span_agreement(totals, len(names))
    row = {by: "(all)", "documents": len(lengths), **result.as_dict()}
    row["flag"] = _flag(result.alpha, threshold)
    return row


@dataclass
class _StudyCodings:
    coders: list[str]
    spans: dict[tuple[int, int], list[list[tuple[int, int]]]]
    lengths: dict[int, int]
    labels: dict[int, str]
    any_code: dict[int, list[tuple[int, int]]]


def _load_codings(connection: sa.Connection, wanted: Sequence[str] | None) -> _StudyCodings:
    from earwitness.errors import BadInputError
    from earwitness.store.schema import coders, codings, documents

    human = (codings.c.origin == "human") & (codings.c.status == "applied")
    available = list(
        connection.execute(
            sa.select(coders.c.id, coders.c.name)
            .where(coders.c.id.in_(sa.select(codings.c.coder_id).where(human)))
            .order_by(coders.c.name)
        )
    )
    by_name = {row.name: int(row.id) for row in available}
    names = list(wanted) if wanted else list(by_name)
    unknown = [name for name in names if name not in by_name]
    if unknown:
        raise BadInputError(
            f"coder {unknown[0]!r} has no codings; coders with codings: "
            f"{', '.join(by_name) or 'none'}",
            field="coders",
        )
    if len(set(names)) < 2:
        raise BadInputError("agreement needs at least two coders with codings", field="coders")
    bit = {by_name[name]: i for i, name in enumerate(names)}
    rows = connection.execute(
        sa.select(codings.c.document_id, codings.c.code_id, codings.c.coder_id, codings.c.start,
                  codings.c.end).where(human, codings.c.coder_id.in_(list(bit)))
    ).all()  # fmt: skip
    coded_by: dict[int, set[int]] = {}
    for document, _, coder, _, _ in rows:
        coded_by.setdefault(document, set()).add(coder)
    compared = {d for d, who in coded_by.items() if len(who) == len(bit)}
    spans: dict[tuple[int, int], list[list[tuple[int, int]]]] = {}
    any_code: dict[int, list[tuple[int, int]]] = {}
    for document, code, coder, start, end in rows:
        if document not in compared:
            continue
        per_coder = spans.get((document, code))
        if per_coder is None:
            per_coder = spans[(document, code)] = [[] for _ in names]
        per_coder[bit[coder]].append((start, end))
        any_code.setdefault(document, []).append((start, end))
    lengths: dict[int, int] = {}
    labels: dict[int, str] = {}
    length = sa.func.length(documents.c.text)
    query = sa.select(documents.c.id, documents.c.platform, documents.c.native_id, length)
    for document, platform, native_id, size in connection.execute(query):
        if document in compared:
            lengths[document] = int(size)
            labels[document] = f"{platform}:{native_id}"
    return _StudyCodings(
        names, spans, lengths, labels, {d: merge_spans(s) for d, s in any_code.items()}
    )


def _histogram(
    pairs: Sequence[tuple[int, int]],
    spans: Mapping[tuple[int, int], list[list[tuple[int, int]]]],
    lengths: Mapping[int, int],
    n_coders: int,
    exclude_uncoded: bool,
    data: _StudyCodings,
) -> dict[int, int]:
    total: dict[int, int] = {}
    for document, code in pairs:
        within = data.any_code.get(document, []) if exclude_uncoded else None
        found = spans.get((document, code))
        if found is None:
            size = sum(e - s for s, e in within) if within is not None else lengths[document]
            part = {0: size} if size else {}
        else:
            part = coverage_histogram(lengths[document], found, within=within)
        for mask, chars in part.items():
            total[mask] = total.get(mask, 0) + chars
    return total


def _segment_matching(
    pairs: Sequence[tuple[int, int]],
    spans: Mapping[tuple[int, int], list[list[tuple[int, int]]]],
    names: Sequence[str],
    overlap: float = 0.9,
) -> SegmentMatch:
    matched = unmatched = 0
    for pair in pairs:
        found = spans.get(pair)
        if found is None:
            continue
        result = match_segments(found[0], found[1], overlap)
        matched, unmatched = matched + result.matched, unmatched + result.unmatched
    return SegmentMatch(matched, unmatched)
