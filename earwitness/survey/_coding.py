"""Coding an export's cells against an instrument: labels to scores, splits, masking.

The result is the tidy long table the store holds: one row per respondent and item
(one per option for multi-select items), with ``value`` as exported, ``value_num`` the
score and ``label`` the instrument's option. Free text is masked here, before anything
is stored, and so is every answer whatever type the instrument gives its item: an
e-mail address in a column typed single-choice is masked as it would be in free text.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from earwitness.errors import BadInputError
from earwitness.survey._instrument import Instrument, Item, normalise_label
from earwitness.survey._readers import SurveyExport

__all__ = ["CodedRespondent", "CodedResponse", "code_export", "coded_frame", "match_items"]

OTHER = "Other"


@dataclass(frozen=True)
class CodedResponse:
    item: str
    value: str | None
    value_num: float | None
    label: str | None


@dataclass
class CodedRespondent:
    """One respondent's coded answers; ``response_id`` stays in memory, never stored."""

    response_id: str
    row: int
    responses: list[CodedResponse] = field(default_factory=list)
    answers: dict[str, Any] = field(default_factory=dict)  # what group rules see


def match_items(export: SurveyExport, instrument: Instrument) -> dict[str, int]:
    """The export column of each instrument item; personal columns need ``keep: true``."""
    found: dict[str, int] = {}
    for item in instrument.items:
        index = export.find(item.column)
        if index is None and item.column != item.code:
            index = export.find(item.code)
        if index is None:
            raise BadInputError(
                f"item {item.code!r} of instrument {instrument.name!r} expects a column "
                f"{item.column!r}, which this {export.format} export lacks",
                file=export.path,
                row=1,
                field=item.column,
            )
        column = export.columns[index]
        if column.role == "personal" and not item.keep:
            raise BadInputError(
                f"column holds {column.personal} data, which is never stored unless the "
                f"instrument marks item {item.code!r} with `keep: true`",
                file=export.path,
                row=1,
                field=column.code,
            )
        if index in found.values():
            raise BadInputError(
                f"two items read the same column {column.code!r}", file=export.path, row=1
            )
        found[item.code] = index
    return found


def code_export(
    export: SurveyExport, instrument: Instrument, mask: Callable[[str], str]
) -> list[CodedRespondent]:
    """Every respondent's answers, coded; the first bad cell fails with file, row, column."""
    columns = match_items(export, instrument)
    respondents = []
    for response_id, row_number, row in zip(
        export.respondent_ids(), export.rows, export.cells, strict=True
    ):
        coded = CodedRespondent(response_id, row_number)
        for item in instrument.items:
            index = columns[item.code]
            cell = row[index]
            if not cell:
                continue
            where = {"file": export.path, "row": row_number, "field": export.columns[index].code}
            separator = export.columns[index].separator or ","
            responses, answer = _code_cell(item, cell, separator, mask, where)
            coded.responses.extend(responses)
            coded.answers[item.code] = answer
        respondents.append(coded)
    return respondents


def coded_frame(respondents: list[CodedRespondent]) -> pd.DataFrame:
    """The tidy long view of coded answers (respondent is the tool's response id)."""
    return pd.DataFrame(
        [
            {"respondent": r.response_id, **vars(response)}
            for r in respondents
            for response in r.responses
        ],
        columns=["respondent", "item", "value", "value_num", "label"],
    )


def _code_cell(
    item: Item, cell: str, separator: str, mask: Callable[[str], str], where: dict[str, Any]
) -> tuple[list[CodedResponse], Any]:
    if item.type in ("likert", "single"):
        if not item.options:
            return [CodedResponse(item.code, mask(cell), None, mask(cell))], cell
        index = _option_index(item, cell)
        if index is None:
            kind = "Likert anchor" if item.type == "likert" else "option"
            raise BadInputError(
                f"{cell!r} is not a {kind} of item {item.code!r} ({'; '.join(item.options)})",
                **where,
            )
        label = item.options[index]
        coded = CodedResponse(item.code, mask(cell), item.score(index), mask(label))
        return [coded], label
    if item.type == "numeric":
        number = _number(cell)
        if number is None:
            raise BadInputError(f"{cell!r} is not a number (item {item.code!r})", **where)
        masked = mask(cell)
        if masked != cell:  # a phone number typed as a number is personal data, not a score
            return [CodedResponse(item.code, masked, None, None)], None
        return [CodedResponse(item.code, cell, number, None)], number
    if item.type == "multi":
        return _code_multi(item, cell, separator, mask, where)
    text = cell if item.keep else mask(cell)
    return [CodedResponse(item.code, text, None, None)], text


def _option_index(item: Item, cell: str) -> int | None:
    wanted = normalise_label(cell)
    for index, option in enumerate(item.options):
        if normalise_label(option) == wanted:
            return index
    number = _number(cell)
    if number is not None:
        for index in range(len(item.options)):
            if item.score(index) == number:
                return index
    return None


_DECIMAL_COMMA = re.compile(r"-?\d+,\d+")


def _number(cell: str) -> float | None:
    text = cell.strip().replace("\u2212", "-")
    if "," in text and _DECIMAL_COMMA.fullmatch(text):
        text = text.replace(",", ".")
    try:
        value = float(text)
    except ValueError:
        return None
    return value if value == value and abs(value) != float("inf") else None


def _code_multi(
    item: Item, cell: str, separator: str, mask: Callable[[str], str], where: dict[str, Any]
) -> tuple[list[CodedResponse], list[str]]:
    pieces = [p.strip() for p in cell.split(separator.strip() or separator)]
    pieces = [p for p in pieces if p]
    chosen: set[int] = set()
    other: list[str] = []
    start = 0
    while start < len(pieces):
        for end in range(len(pieces), start, -1):
            joined = separator.join(pieces[start:end])
            index = _option_index(item, joined) if item.options else None
            if index is not None:
                chosen.add(index)
                start = end
                break
        else:
            other.append(pieces[start])
            start += 1
    if other and not item.other:
        raise BadInputError(
            f"{separator.join(other)!r} is not an option of item {item.code!r} "
            f"({'; '.join(item.options)}); add it or mark the item `other: true`",
            **where,
        )
    responses = [
        CodedResponse(item.code, option, 1.0 if index in chosen else 0.0, option)
        for index, option in enumerate(item.options)
    ]
    labels = [item.options[i] for i in sorted(chosen)]
    if item.other:
        text = mask(separator.join(other)) if other else None
        responses.append(CodedResponse(item.code, OTHER, 1.0 if other else 0.0, text))
        if other:
            labels.append(OTHER)
    return responses, labels
