"""Anchoring a project's selections in code points, and saying which could not be.

The offset unit is detected once per file (:func:`earwitness.code.refi._offsets.detect_unit`).
A selection is anchored when both offsets convert to code points inside its text and,
for tools that quote the selected text in the selection's name, the text there matches
the quote. A quoted selection whose offsets miss is re-anchored at the occurrence of
its quote nearest to where its offsets point; anything else is reported, never guessed.
"""

from __future__ import annotations

from dataclasses import dataclass

from earwitness.code.refi._offsets import (
    OffsetMap,
    RawSelection,
    UnitChoice,
    detect_unit,
    name_matches,
)
from earwitness.code.refi._read import RefiProject, RefiSelection

__all__ = ["Anchored", "anchor_selections"]


@dataclass(frozen=True)
class Anchored:
    selection: RefiSelection
    start: int
    end: int
    relocated: bool = False


def _relocate(text: str, quote: str, near: int) -> int | None:
    best: int | None = None
    position = text.find(quote)
    while position != -1:
        if best is None or abs(position - near) < abs(best - near):
            best = position
        position = text.find(quote, position + 1)
    return best


def _problem(
    selection: RefiSelection, text: str, start: int | None, end: int | None, choice: UnitChoice
) -> str | None:
    if start is None or end is None:
        return "its offsets fall outside the text or inside a character"
    if end < start:
        return "it ends before it starts"
    quoted = choice.names_are_quotes and len(selection.name.strip()) >= 4
    if quoted and not name_matches(selection.name, text[start:end]):
        return "its quoted text is not at its offsets"
    return None


def anchor_selections(
    project: RefiProject,
) -> tuple[UnitChoice, list[Anchored], list[dict[str, object]]]:
    """Detect the file's offset unit; anchor each selection or report why it cannot be."""
    texts = {source.guid: source.text for source in project.sources}
    names = {source.guid: source.name for source in project.sources}
    raw = [
        RawSelection(s.source, s.start, s.end, s.name)
        for s in project.selections
        if not s.whole_source and s.source in texts
    ]
    choice = detect_unit(texts, raw)
    maps: dict[str, OffsetMap] = {}
    anchored: list[Anchored] = []
    unanchored: list[dict[str, object]] = []
    for selection in project.selections:
        text = texts[selection.source]
        if selection.whole_source:
            anchored.append(Anchored(selection, 0, len(text)))
            continue
        offsets = maps.get(selection.source) or maps.setdefault(
            selection.source, OffsetMap(text, choice.unit)
        )
        start = offsets.to_code_point(selection.start)
        end = offsets.to_code_point(selection.end)
        problem = _problem(selection, text, start, end, choice)
        if problem is None and start is not None and end is not None:
            anchored.append(Anchored(selection, start, end))
            continue
        quote = selection.name.strip()
        found = _relocate(text, quote, start or 0) if choice.names_are_quotes and quote else None
        if found is not None:
            anchored.append(Anchored(selection, found, found + len(quote), relocated=True))
            continue
        unanchored.append(
            {
                "selection": selection.guid,
                "source": names[selection.source],
                "start": selection.start,
                "end": selection.end,
                "codings": len(selection.codings),
                "reason": problem,
            }
        )
    return choice, anchored, unanchored
