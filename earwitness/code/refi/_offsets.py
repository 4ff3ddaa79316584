"""Which unit a REFI-QDA file counts selection offsets in, and converting to code points.

REFI-QDA 1.0 counts characters, i.e. Unicode code points, from the start of the plain
text, end exclusive; earwitness stores spans the same way. Real tools disagree:

* NVivo 12 counts UTF-16 code units (an emoji outside the Basic Multilingual Plane is
  two) over the text with its CRLF line ends, so CRLF counts as two;
* some tools may count UTF-8 bytes (none verified on a real export; Taguette, once
  said to, exports codebooks only);
* some tools count over text whose CRLF was normalised to LF, so CRLF counts as one.

A file does not say which unit it uses. :func:`detect_unit` tries each candidate on every
selection of the file and keeps the one that anchors them best: first by how many
selection names (ATLAS.ti and QualCoder put the quoted text there) match the text they
point at, then by how many offsets land inside the text and on a character boundary,
then by how many boundaries fall at a word edge (people select words, not half-words).
Ties go to the standard's code points.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = [
    "CODE_POINTS",
    "UNITS",
    "OffsetMap",
    "OffsetUnit",
    "RawSelection",
    "UnitChoice",
    "detect_unit",
    "name_matches",
]

_DETECTION_SAMPLE = 5000
_MIN_NAME_EVIDENCE = 4
_SPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class OffsetUnit:
    """How a tool counts: per code point, UTF-16 unit or UTF-8 byte; CRLF as two or one."""

    key: str
    label: str
    encoding: str  # "code-points", "utf-16" or "utf-8"
    crlf_as_one: bool = False


CODE_POINTS = OffsetUnit("code-points", "Unicode code points (REFI-QDA standard)", "code-points")
UNITS: tuple[OffsetUnit, ...] = (
    CODE_POINTS,
    OffsetUnit("utf-16", "UTF-16 code units, CRLF as two (NVivo 12)", "utf-16"),
    OffsetUnit("utf-8", "UTF-8 bytes", "utf-8"),
    OffsetUnit("code-points-lf", "code points, CRLF as one", "code-points", crlf_as_one=True),
    OffsetUnit("utf-16-lf", "UTF-16 code units, CRLF as one", "utf-16", crlf_as_one=True),
    OffsetUnit("utf-8-lf", "UTF-8 bytes, CRLF as one", "utf-8", crlf_as_one=True),
)


def _widths(text: str, unit: OffsetUnit) -> np.ndarray[Any, np.dtype[np.int64]]:
    points = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)
    if unit.encoding == "utf-16":
        widths = 1 + (points > 0xFFFF)
    elif unit.encoding == "utf-8":
        widths = 1 + (points >= 0x80) + (points >= 0x800) + (points >= 0x10000)
    else:
        widths = np.ones(len(points), dtype=np.int64)
    widths = widths.astype(np.int64)
    if unit.crlf_as_one and len(points) > 1:
        widths[:-1][(points[:-1] == 0x0D) & (points[1:] == 0x0A)] = 0
    return widths


class OffsetMap:
    """Offsets of one text in one unit, mapped to and from code points."""

    def __init__(self, text: str, unit: OffsetUnit) -> None:
        self.text = text
        self.unit = unit
        self._cumulative: np.ndarray[Any, np.dtype[np.int64]] | None = None
        if not self.is_identity(text, unit):
            cumulative = np.zeros(len(text) + 1, dtype=np.int64)
            np.cumsum(_widths(text, unit), out=cumulative[1:])
            self._cumulative = cumulative

    @staticmethod
    def is_identity(text: str, unit: OffsetUnit) -> bool:
        wide = unit.encoding != "code-points" and not text.isascii()
        return not wide and not (unit.crlf_as_one and "\r\n" in text)

    @property
    def length(self) -> int:
        """The text's length in this unit."""
        return len(self.text) if self._cumulative is None else int(self._cumulative[-1])

    def to_code_point(self, offset: int) -> int | None:
        """The code point index of ``offset``, or None if outside the text or mid-character.

        With CRLF counted as one, an offset at a line end maps to before the CR.
        """
        if self._cumulative is None:
            return offset if 0 <= offset <= len(self.text) else None
        index = int(np.searchsorted(self._cumulative, offset, side="left"))
        if index < len(self._cumulative) and self._cumulative[index] == offset:
            return index
        return None

    def from_code_point(self, index: int) -> int:
        return index if self._cumulative is None else int(self._cumulative[index])


@dataclass(frozen=True)
class RawSelection:
    """A selection as the file states it, before its unit is known."""

    source: str
    start: int
    end: int
    name: str = ""


@dataclass
class UnitChoice:
    """The unit chosen for a file, and the evidence for it, per candidate."""

    unit: OffsetUnit
    names_are_quotes: bool
    scores: dict[str, tuple[int, int, int]] = field(default_factory=dict)
    sampled: int = 0


def _normalise(text: str) -> str:
    return _SPACE.sub(" ", text).strip().casefold()


def name_matches(name: str, span: str) -> bool:
    """Whether a selection's name quotes its text (tools may shorten or re-space it)."""
    wanted, found = _normalise(name), _normalise(span)
    if len(wanted) < _MIN_NAME_EVIDENCE or not found:
        return False
    wanted = wanted.rstrip(".… ")
    return found.startswith(wanted) or wanted.startswith(found)


def _at_word_edge(text: str, index: int) -> bool:
    if index <= 0 or index >= len(text):
        return True
    return not (text[index - 1].isalnum() and text[index].isalnum())


def _sample(selections: Sequence[RawSelection]) -> Sequence[RawSelection]:
    if len(selections) <= _DETECTION_SAMPLE:
        return selections
    step = len(selections) / _DETECTION_SAMPLE
    return [selections[int(i * step)] for i in range(_DETECTION_SAMPLE)]


def _score(
    texts: Mapping[str, str], selections: Iterable[RawSelection], unit: OffsetUnit
) -> tuple[int, int, int]:
    maps: dict[str, OffsetMap] = {}
    names = valid = edges = 0
    for selection in selections:
        text = texts.get(selection.source)
        if text is None:
            continue
        offsets = maps.get(selection.source) or maps.setdefault(
            selection.source, OffsetMap(text, unit)
        )
        start = offsets.to_code_point(selection.start)
        end = offsets.to_code_point(selection.end)
        if start is None or end is None or end < start:
            continue
        valid += 1
        edges += _at_word_edge(text, start) + _at_word_edge(text, end)
        names += bool(selection.name) and name_matches(selection.name, text[start:end])
    return names, valid, edges


def detect_unit(texts: Mapping[str, str], selections: Sequence[RawSelection]) -> UnitChoice:
    """Pick the unit that anchors this file's selections best (see the module docstring)."""
    sample = _sample(selections)
    relevant = {s.source for s in sample if s.source in texts}
    scores: dict[str, tuple[int, int, int]] = {}
    best = CODE_POINTS
    for unit in UNITS:
        if unit is not CODE_POINTS and all(
            OffsetMap.is_identity(texts[source], unit) for source in relevant
        ):
            continue  # counts exactly like code points on these texts: no evidence
        scores[unit.key] = _score(texts, sample, unit)
        if scores[unit.key] > scores[best.key]:
            best = unit
    named = sum(len(s.name.strip()) >= _MIN_NAME_EVIDENCE for s in sample)
    return UnitChoice(
        unit=best,
        # names are quotes when most named selections quote their text under the best unit;
        # tools that use names as labels then never have selections refused for a label
        names_are_quotes=named > 0 and 2 * scores[best.key][0] >= named,
        scores=scores,
        sampled=len(sample),
    )
