"""Drafting an instrument from an export, for a researcher to check and complete.

Each answer column becomes an item. Its type is guessed from the answers: all
numbers → numeric; every answer among a known anchor set → Likert with those
anchors; answers joined with the tool's multi-select separator into recurring
options (not sentences) → multi-select; a few recurring short answers → single
choice; else free text. A column where any answer holds personal data the masker
recognises (an e-mail address, a phone number) is free text, so its answers are masked
and never become options of the instrument.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import replace

import yaml

from earwitness.privacy import Masker
from earwitness.survey._instrument import (
    ANCHOR_SETS,
    Instrument,
    Item,
    instrument_from_dict,
    normalise_label,
)
from earwitness.survey._readers import FORMAT_NAMES, SurveyExport

__all__ = ["draft_yaml", "infer_instrument"]

_MAX_CHOICES = 12
_MASKER = Masker()


def infer_instrument(export: SurveyExport, *, name: str | None = None) -> Instrument:
    """An instrument drafted from the export's answer columns."""
    items = []
    codes: set[str] = set()
    for index in export.answer_columns():
        column = export.columns[index]
        values = [row[index] for row in export.cells if row[index]]
        code = _unique_code(_slug(column.code), codes)
        item = _guess(code, column.code, column.text, values, column.separator)
        items.append(item.to_dict())
    data = {"name": name or _slug(export.path.stem) or "survey", "items": items}
    return instrument_from_dict(data, where=str(export.path))


def _slug(text: str) -> str:
    slug = re.sub(r"[^0-9a-z]+", "_", text.casefold()).strip("_")
    return slug[:40].rstrip("_") or "item"


def _unique_code(code: str, taken: set[str]) -> str:
    candidate, number = code, 2
    while candidate in taken:
        candidate, number = f"{code}_{number}", number + 1
    taken.add(candidate)
    return candidate


def _is_number(value: str) -> bool:
    return re.fullmatch(r"\s*-?\d+(?:[.,]\d+)?\s*", value) is not None


def _guess(code: str, column: str, text: str, values: list[str], separator: str | None) -> Item:
    text = text if text != column else ""
    base = Item(code=code, type="text", column=column, text=text)
    if any(_MASKER.mask(v) != v for v in values):
        return base  # answers holding personal data are free text, masked, never options
    if values and all(_is_number(v) for v in values):
        return replace(base, type="numeric")
    distinct = {normalise_label(v) for v in values}
    for anchors, labels in ANCHOR_SETS.items():
        if distinct and distinct <= {normalise_label(label) for label in labels}:
            return replace(base, type="likert", anchors=anchors, options=labels)
    if separator and values:
        pieces = Counter(p.strip() for v in values for p in v.split(separator.strip() or separator))
        joined = any((separator.strip() or separator) in v for v in values)
        sentences = any(p.endswith((".", "!", "?")) for p in pieces)
        if (
            joined
            and not sentences
            and len(pieces) <= _MAX_CHOICES * 2
            and max(pieces.values()) > 1
        ):
            return replace(base, type="multi", options=tuple(sorted(p for p in pieces if p)))
    counts = Counter(values)
    sentences = any(v.endswith((".", "!", "?")) or len(v) > 80 for v in counts)
    if (
        counts
        and not sentences
        and len(counts) <= _MAX_CHOICES
        and len(counts) <= len(values) * 0.75
    ):
        return replace(base, type="single", options=tuple(sorted(counts)))
    return base


def draft_yaml(instrument: Instrument, export: SurveyExport) -> str:
    """The drafted instrument as commented YAML."""
    dropped = [f"#   {c.code}: {c.personal}" for c in export.columns if c.role == "personal"]
    header = [
        f"# Instrument drafted by `earwitness survey instrument --infer` from {export.path.name}",
        f"# ({FORMAT_NAMES[export.format]}, {export.n_respondents} responses). Check every "
        "item: types and option",
        "# order are guesses (options are sorted; put ordered choices in their real order).",
        "# Add reverse: true to reverse-coded Likert items, `scales:` and a `groups:` rule;",
        "# see docs/survey.md.",
    ]
    if export.excluded:
        left = ", ".join(f"{n} {why}" for why, n in export.excluded)
        header.append(f"# Responses left out (drafted without them): {left}.")
    if dropped:
        header += [
            "# Personal columns that import leaves out (add an item with keep: true to store one):",
            *dropped,
        ]
    body = yaml.safe_dump(instrument.to_dict(), sort_keys=False, allow_unicode=True, width=100)
    example = [
        "",
        "# groups:",
        "#   variables: {years: <numeric item>, paid: <single item>, self: <single item>}",
        "#   rules:",
        "#     - group: professional",
        '#       when: paid == "Most of my income" or years >= 10',
        "#     - group: pro-am",
        '#       when: paid in ["Some of my income", "Occasionally"] or years >= 3',
        "#     - group: amateur",
        "#       when: answered(years) or answered(paid)",
        "#   otherwise: unknown",
    ]
    return "\n".join(header) + "\n" + body + "\n".join(example) + "\n"
