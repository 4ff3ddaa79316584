"""The instrument file: a questionnaire's items, scales and user-group rule, in YAML.

See ``docs/survey.md`` for the format. Loading checks everything a reader could get
wrong (unknown question types, anchors, scale members, rule variables) and fails with
one line naming the file and the item.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from earwitness.errors import BadInputError
from earwitness.groups import GROUPS, UNKNOWN
from earwitness.survey._rules import Condition, compile_condition

__all__ = [
    "ANCHOR_SETS",
    "QUESTION_TYPES",
    "AnswerGroupRules",
    "Instrument",
    "Item",
    "Scale",
    "instrument_from_dict",
    "load_instrument",
]

QUESTION_TYPES = ("likert", "single", "multi", "numeric", "text")

# Anchors run from the lowest to the highest score (1..k).
ANCHOR_SETS: dict[str, tuple[str, ...]] = {
    "agree5": (
        "Strongly disagree",
        "Disagree",
        "Neither agree nor disagree",
        "Agree",
        "Strongly agree",
    ),
    "agree7": (
        "Strongly disagree",
        "Disagree",
        "Somewhat disagree",
        "Neither agree nor disagree",
        "Somewhat agree",
        "Agree",
        "Strongly agree",
    ),
    "frequency5": ("Never", "Rarely", "Sometimes", "Often", "Always"),
    "likelihood5": (
        "Very unlikely",
        "Unlikely",
        "Neither likely nor unlikely",
        "Likely",
        "Very likely",
    ),
    "likelihood7": (
        "Extremely unlikely",
        "Very unlikely",
        "Somewhat unlikely",
        "Neither likely nor unlikely",
        "Somewhat likely",
        "Very likely",
        "Extremely likely",
    ),
}


def normalise_label(text: str) -> str:
    return " ".join(str(text).split()).casefold()


@dataclass(frozen=True)
class Item:
    """One question (or one row of a grid): how to find its column and read its answers."""

    code: str
    type: str
    column: str
    text: str = ""
    options: tuple[str, ...] = ()
    values: tuple[float, ...] = ()
    anchors: str = ""
    reverse: bool = False
    other: bool = False
    keep: bool = False

    @property
    def is_ordinal(self) -> bool:
        return self.type == "likert"

    @property
    def neutral(self) -> int | None:
        """0-based index of the middle anchor of an odd-length Likert item."""
        k = len(self.options)
        return k // 2 if self.type == "likert" and k % 2 == 1 else None

    def score(self, index: int) -> float:
        """The numeric value of option ``index`` (0-based): its declared value or 1..k."""
        return float(self.values[index]) if self.values else float(index + 1)

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"code": self.code, "type": self.type}
        if self.column != self.code:
            data["column"] = self.column
        if self.text:
            data["text"] = self.text
        if self.anchors:
            data["anchors"] = self.anchors
        elif self.options:
            data["options"] = list(self.options)
        if self.values:
            data["values"] = list(self.values)
        for flag in ("reverse", "other", "keep"):
            if getattr(self, flag):
                data[flag] = True
        return data


@dataclass(frozen=True)
class Scale:
    """A multi-item scale; reverse-coded items are flipped before summing."""

    name: str
    items: tuple[str, ...]
    label: str = ""


@dataclass(frozen=True)
class AnswerGroupRules:
    """A user group from a respondent's answers: the first rule that holds wins.

    (Not :class:`earwitness.groups.GroupRule`, which weighs what forum authors say.)
    """

    variables: Mapping[str, str]
    rules: tuple[tuple[str, Condition], ...]
    otherwise: str = UNKNOWN

    def assign(self, answers: Mapping[str, Any]) -> tuple[str, int | None]:
        """The group and the 1-based number of the rule that matched (None: otherwise)."""
        env = {name: answers.get(code) for name, code in self.variables.items()}
        for number, (group, condition) in enumerate(self.rules, start=1):
            if condition(env):
                return group, number
        return self.otherwise, None

    def to_dict(self) -> dict[str, Any]:
        return {
            "variables": dict(self.variables),
            "rules": [{"group": g, "when": c.source} for g, c in self.rules],
            "otherwise": self.otherwise,
        }


@dataclass(frozen=True)
class Instrument:
    """A questionnaire definition: items in order, scales, and the group rule."""

    name: str
    items: tuple[Item, ...]
    title: str = ""
    illustrative: bool = False
    respondent_id: str = ""
    scales: tuple[Scale, ...] = ()
    groups: AnswerGroupRules | None = None
    source: str = ""
    extra: Mapping[str, Any] = field(default_factory=dict)

    def item(self, code: str) -> Item:
        for item in self.items:
            if item.code == code:
                return item
        raise KeyError(code)

    def scale_of(self, code: str) -> str | None:
        for scale in self.scales:
            if code in scale.items:
                return scale.name
        return None

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"name": self.name}
        if self.title:
            data["title"] = self.title
        if self.illustrative:
            data["illustrative"] = True
        if self.respondent_id:
            data["respondent_id"] = self.respondent_id
        data["items"] = [item.to_dict() for item in self.items]
        if self.scales:
            data["scales"] = {
                s.name: {"items": list(s.items), **({"label": s.label} if s.label else {})}
                for s in self.scales
            }
        if self.groups is not None:
            data["groups"] = self.groups.to_dict()
        return data

    @property
    def sha256(self) -> str:
        text = json.dumps(self.to_dict(), sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()


def load_instrument(path: str | Path) -> Instrument:
    """Read and check an instrument YAML file."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BadInputError("instrument file not found", file=path) from None
    except UnicodeDecodeError as exc:
        raise BadInputError(f"instrument is not UTF-8 ({exc.reason})", file=path) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        row = mark.line + 1 if mark is not None else None
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise BadInputError(f"malformed YAML: {problem}", file=path, row=row) from None
    return instrument_from_dict(data, where=str(path))


def instrument_from_dict(data: Any, *, where: str = "instrument") -> Instrument:
    """Build and check an instrument from its YAML/JSON structure."""
    if not isinstance(data, Mapping):
        raise BadInputError("an instrument is a mapping with `name` and `items`", file=where)
    name = str(data.get("name") or "").strip()
    if not name:
        raise BadInputError("the instrument has no `name`", file=where)
    raw_items = data.get("items")
    if not isinstance(raw_items, Sequence) or isinstance(raw_items, str) or not raw_items:
        raise BadInputError("`items` must be a non-empty list", file=where)
    items = tuple(_item(raw, index, where) for index, raw in enumerate(raw_items, start=1))
    _unique([i.code for i in items], "item code", where)
    _unique([i.column for i in items], "item column", where)
    scales = _scales(data.get("scales") or {}, items, where)
    groups = _groups(data.get("groups"), items, where)
    known = {
        "name",
        "title",
        "illustrative",
        "respondent_id",
        "items",
        "scales",
        "groups",
        "note",
    }
    unknown = sorted(set(data) - known)
    if unknown:
        raise BadInputError(f"unknown instrument key(s): {', '.join(unknown)}", file=where)
    return Instrument(
        name=name,
        title=str(data.get("title") or ""),
        illustrative=bool(data.get("illustrative", False)),
        respondent_id=str(data.get("respondent_id") or ""),
        items=items,
        scales=scales,
        groups=groups,
        source=where,
    )


_ITEM_KEYS = {
    "code",
    "type",
    "column",
    "text",
    "options",
    "values",
    "anchors",
    "reverse",
    "other",
    "keep",
}


def _item(raw: Any, index: int, where: str) -> Item:
    if not isinstance(raw, Mapping):
        raise BadInputError(f"item {index} is not a mapping", file=where)
    code = str(raw.get("code") or "").strip()
    if not code:
        raise BadInputError(f"item {index} has no `code`", file=where)
    label = f"item {code!r}"
    unknown = sorted(set(raw) - _ITEM_KEYS)
    if unknown:
        raise BadInputError(f"{label}: unknown key(s) {', '.join(unknown)}", file=where)
    qtype = str(raw.get("type") or "")
    if qtype not in QUESTION_TYPES:
        raise BadInputError(
            f"{label}: type must be one of {', '.join(QUESTION_TYPES)}, not {qtype!r}", file=where
        )
    anchors = str(raw.get("anchors") or "") if not isinstance(raw.get("anchors"), list) else ""
    options: tuple[str, ...] = tuple(str(o) for o in raw.get("options") or ())
    if isinstance(raw.get("anchors"), list):
        options = tuple(str(o) for o in raw["anchors"])
    elif anchors:
        if anchors not in ANCHOR_SETS:
            raise BadInputError(
                f"{label}: unknown anchor set {anchors!r}; use one of "
                f"{', '.join(ANCHOR_SETS)} or list the anchors",
                file=where,
            )
        options = ANCHOR_SETS[anchors]
    if qtype == "likert" and len(options) < 2:
        raise BadInputError(f"{label}: a Likert item needs `anchors`", file=where)
    if qtype == "multi" and not options and not raw.get("other"):
        raise BadInputError(f"{label}: a multi-select item needs `options`", file=where)
    _unique([normalise_label(o) for o in options], f"{label} option", where)
    values = tuple(float(v) for v in raw.get("values") or ())
    if values and len(values) != len(options):
        raise BadInputError(f"{label}: {len(values)} values for {len(options)} options", file=where)
    if raw.get("reverse") and qtype != "likert":
        raise BadInputError(f"{label}: only Likert items can be reverse-coded", file=where)
    return Item(
        code=code,
        type=qtype,
        column=str(raw.get("column") or code),
        text=str(raw.get("text") or ""),
        options=options,
        values=values,
        anchors=anchors,
        reverse=bool(raw.get("reverse", False)),
        other=bool(raw.get("other", False)),
        keep=bool(raw.get("keep", False)),
    )


def _scales(raw: Any, items: tuple[Item, ...], where: str) -> tuple[Scale, ...]:
    if not isinstance(raw, Mapping):
        raise BadInputError("`scales` maps a scale name to its items", file=where)
    by_code = {i.code: i for i in items}
    scales = []
    member_of: dict[str, str] = {}
    for name, spec in raw.items():
        members = spec.get("items") if isinstance(spec, Mapping) else spec
        if not isinstance(members, Sequence) or isinstance(members, str) or len(members) < 2:
            raise BadInputError(f"scale {name!r}: list at least two items", file=where)
        for code in members:
            item = by_code.get(str(code))
            if item is None:
                raise BadInputError(f"scale {name!r}: no item {code!r}", file=where)
            if item.type != "likert":
                raise BadInputError(
                    f"scale {name!r}: item {code!r} is {item.type}, not likert", file=where
                )
            if str(code) in member_of:
                raise BadInputError(
                    f"item {code!r} is in scales {member_of[str(code)]!r} and {name!r}",
                    file=where,
                )
            member_of[str(code)] = str(name)
        label = str(spec.get("label") or "") if isinstance(spec, Mapping) else ""
        scales.append(Scale(str(name), tuple(str(c) for c in members), label))
    return tuple(scales)


def _groups(raw: Any, items: tuple[Item, ...], where: str) -> AnswerGroupRules | None:
    if raw is None:
        return None
    if not isinstance(raw, Mapping):
        raise BadInputError("`groups` needs `variables` and `rules`", file=where)
    codes = {i.code for i in items}
    variables = raw.get("variables") or {}
    if not isinstance(variables, Mapping):
        raise BadInputError("groups.variables maps a name to an item code", file=where)
    for name, code in variables.items():
        if str(code) not in codes:
            raise BadInputError(f"group variable {name!r}: no item {code!r}", file=where)
        if not str(name).isidentifier():
            raise BadInputError(f"group variable {name!r} is not a plain name", file=where)
    rules = []
    for index, rule in enumerate(raw.get("rules") or [], start=1):
        if not isinstance(rule, Mapping) or "group" not in rule or "when" not in rule:
            raise BadInputError(f"group rule {index} needs `group` and `when`", file=where)
        group = str(rule["group"])
        if group not in GROUPS:
            raise BadInputError(
                f"group rule {index}: group must be one of {', '.join(GROUPS)}, not {group!r}",
                file=where,
            )
        condition = compile_condition(
            str(rule["when"]), known={str(n) for n in variables}, where=where
        )
        rules.append((group, condition))
    if not rules:
        raise BadInputError("`groups` has no rules", file=where)
    otherwise = str(raw.get("otherwise") or UNKNOWN)
    if otherwise not in (*GROUPS, UNKNOWN):
        raise BadInputError(f"groups.otherwise {otherwise!r} is not a group", file=where)
    return AnswerGroupRules({str(k): str(v) for k, v in variables.items()}, tuple(rules), otherwise)


def _unique(values: list[str], what: str, where: str) -> None:
    seen: set[str] = set()
    for value in values:
        if value in seen:
            raise BadInputError(f"duplicate {what} {value!r}", file=where)
        seen.add(value)
