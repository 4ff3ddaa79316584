"""The instrument file and the group rule language."""

from __future__ import annotations

from pathlib import Path

import pytest

from earwitness.errors import BadInputError
from earwitness.resources import data_path
from earwitness.survey import ANCHOR_SETS, instrument_from_dict, load_instrument
from earwitness.survey._rules import compile_condition

EXAMPLE = data_path("instruments")


def _minimal(**groups: object) -> dict[str, object]:
    data: dict[str, object] = {
        "name": "t",
        "items": [
            {"code": "years", "type": "numeric"},
            {"code": "paid", "type": "single", "options": ["No", "Sometimes", "Most of my income"]},
            {"code": "tools", "type": "multi", "options": ["LANDR", "Ozone"]},
            {"code": "trust1", "type": "likert", "anchors": "agree5"},
            {"code": "trust2", "type": "likert", "anchors": "agree5", "reverse": True},
        ],
        "scales": {"trust": {"items": ["trust1", "trust2"], "label": "Trust"}},
    }
    if groups:
        data["groups"] = groups
    return data


def test_anchor_sets_resolve_and_scales_attach() -> None:
    instrument = instrument_from_dict(_minimal())
    assert instrument.item("trust1").options == ANCHOR_SETS["agree5"]
    assert instrument.item("trust2").reverse
    assert instrument.scale_of("trust2") == "trust"
    assert instrument.item("trust1").neutral == 2
    assert instrument_from_dict(instrument.to_dict()).sha256 == instrument.sha256


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"items": [{"code": "a", "type": "slider"}]}, "type must be one of"),
        ({"items": [{"code": "a", "type": "likert", "anchors": "agree9"}]}, "unknown anchor set"),
        ({"items": [{"code": "a", "type": "likert"}]}, "needs `anchors`"),
        ({"items": [{"code": "a", "type": "numeric"}, {"code": "a", "type": "text"}]}, "duplicate"),
        ({"items": [{"code": "a", "type": "text", "reverse": True}]}, "only Likert"),
        ({"scales": {"s": ["trust1", "nope"]}}, "no item 'nope'"),
        ({"scales": {"s": ["trust1", "years"]}}, "is numeric, not likert"),
        ({"colour": "red"}, "unknown instrument key"),
    ],
)
def test_bad_instruments_fail_with_one_line(change: dict[str, object], message: str) -> None:
    data = {**_minimal(), **change}
    with pytest.raises(BadInputError, match=message) as caught:
        instrument_from_dict(data, where="inst.yaml")
    assert str(caught.value).startswith("inst.yaml: ")
    assert "\n" not in str(caught.value)


def test_group_rules_first_match_wins() -> None:
    instrument = instrument_from_dict(
        _minimal(
            variables={"years": "years", "paid": "paid", "tools": "tools"},
            rules=[
                {"group": "professional", "when": "paid == 'most of my income' or years >= 10"},
                {
                    "group": "pro-am",
                    "when": "paid == 'Sometimes' or (years >= 3 and 'Ozone' in tools)",
                },
                {"group": "amateur", "when": "answered(years) or answered(paid)"},
            ],
        )
    )
    rule = instrument.groups
    assert rule is not None
    assert rule.assign({"paid": "Most of my income", "years": 1.0}) == ("professional", 1)
    assert rule.assign({"paid": "No", "years": 12.0}) == ("professional", 1)
    assert rule.assign({"paid": "  sometimes "}) == ("pro-am", 2)
    assert rule.assign({"years": 4.0, "tools": ["Ozone"]}) == ("pro-am", 2)
    assert rule.assign({"years": 4.0, "tools": ["LANDR"]}) == ("amateur", 3)
    assert rule.assign({}) == ("unknown", None)


def test_missing_values_never_match_a_comparison() -> None:
    condition = compile_condition("years < 3", known={"years"}, where="x")
    assert not condition({"years": None})
    assert condition({"years": 2.0})
    assert compile_condition("not years < 3", known={"years"}, where="x")({})


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ("__import__('os').system('true')", "the only function is answered"),
        ("years.real > 1", "Attribute"),
        ("years + 1 > 3", "BinOp"),
        ("yeras > 3", "yeras, which is not among"),
        ("years >", "cannot parse"),
        ("-years > 3", "only `not`"),
    ],
)
def test_rule_language_rejects_anything_else(rule: str, message: str) -> None:
    with pytest.raises(BadInputError, match=message):
        compile_condition(rule, known={"years"}, where="inst.yaml")


def test_yaml_errors_name_the_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("name: x\nitems:\n  - code: a\n   type: text\n", encoding="utf-8")
    with pytest.raises(BadInputError, match=r"bad.yaml, row \d+: malformed YAML"):
        load_instrument(path)


def test_example_instrument_loads_and_is_labelled_illustrative() -> None:
    files = sorted(EXAMPLE.glob("*.yaml"))
    assert files
    for path in files:
        instrument = load_instrument(path)
        assert instrument.illustrative
        assert instrument.groups is not None
        assert instrument.scales
