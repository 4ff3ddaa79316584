"""The user-group rule language: small, transparent, and never ``eval``.

A rule is a boolean expression over named variables, written in a subset of Python's
expression syntax and evaluated by walking its syntax tree::

    paid == "most of my income" or (years >= 10 and self in ["professional", "pro"])

Allowed: ``and``, ``or``, ``not``, parentheses; comparisons ``== != < <= > >=``,
``in`` and ``not in``; numbers, quoted strings, lists of them, ``true``/``false``;
and ``answered(name)``, true when the respondent answered that variable's item.
Strings compare case-insensitively with surrounding spaces ignored. A comparison
with an unanswered variable is false (so ``not`` of it is true: write
``answered(x) and ...`` to be explicit). For a multi-select variable, ``"Option" in
name`` tests whether that option was chosen.
"""

from __future__ import annotations

import ast
import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from earwitness.errors import BadInputError

__all__ = ["Condition", "compile_condition"]

_COMPARE: dict[type[ast.cmpop], Callable[[Any, Any], bool]] = {
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
}
_CONSTANTS = {"true": True, "false": False}
_MISSING = object()


def _norm(value: Any) -> Any:
    if isinstance(value, str):
        return " ".join(value.split()).casefold()
    if isinstance(value, list | tuple | set | frozenset):
        return [_norm(v) for v in value]
    return value


@dataclass(frozen=True)
class Condition:
    """A compiled rule expression; call it with the respondent's variables."""

    source: str
    tree: ast.Expression
    names: frozenset[str]

    def __call__(self, variables: Mapping[str, Any]) -> bool:
        return bool(self._eval(self.tree.body, variables))

    def _eval(self, node: ast.AST, env: Mapping[str, Any]) -> Any:
        if isinstance(node, ast.BoolOp):
            values = (self._truth(self._eval(v, env)) for v in node.values)
            return all(values) if isinstance(node.op, ast.And) else any(values)
        if isinstance(node, ast.UnaryOp):  # only `not` survives validation
            return not self._truth(self._eval(node.operand, env))
        if isinstance(node, ast.Compare):
            return self._compare(node, env)
        if isinstance(node, ast.Call):
            name = node.args[0].id  # type: ignore[attr-defined]
            return env.get(name) not in (None, "", [])
        if isinstance(node, ast.Name):
            if node.id in _CONSTANTS:
                return _CONSTANTS[node.id]
            value = env.get(node.id)
            return _MISSING if value is None or value == "" or value == [] else _norm(value)
        if isinstance(node, ast.Constant):
            return _norm(node.value)
        if isinstance(node, ast.List | ast.Tuple):
            return [self._eval(e, env) for e in node.elts]
        raise AssertionError(f"unvalidated node {type(node).__name__}")  # pragma: no cover

    @staticmethod
    def _truth(value: Any) -> bool:
        return value is not _MISSING and bool(value)

    def _compare(self, node: ast.Compare, env: Mapping[str, Any]) -> bool:
        left = self._eval(node.left, env)
        for op, right_node in zip(node.ops, node.comparators, strict=True):
            right = self._eval(right_node, env)
            if left is _MISSING or right is _MISSING:
                return False
            if isinstance(op, ast.In | ast.NotIn):
                found = left in right if isinstance(right, list | str) else False
                ok = found if isinstance(op, ast.In) else not found
            else:
                try:
                    ok = _COMPARE[type(op)](left, right)
                except TypeError:
                    ok = False  # "ten" < 5: not a match rather than an error
            if not ok:
                return False
            left = right
        return True


def compile_condition(source: str, *, known: set[str], where: str) -> Condition:
    """Parse and check one rule; unknown names or syntax fail with one clear line."""
    text = str(source).strip()
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError as exc:
        raise BadInputError(f"cannot parse rule {text!r}: {exc.msg}", file=where) from None
    names: set[str] = set()
    for node in ast.walk(tree):
        _check_node(node, text, where)
        if isinstance(node, ast.Call):
            names.add(node.args[0].id)  # type: ignore[attr-defined]
        elif isinstance(node, ast.Name) and node.id not in _CONSTANTS and node.id != "answered":
            names.add(node.id)
    unknown = sorted(names - known)
    if unknown:
        raise BadInputError(
            f"rule {text!r} uses {', '.join(unknown)}, which is not among the group variables "
            f"({', '.join(sorted(known)) or 'none declared'})",
            file=where,
        )
    return Condition(text, tree, frozenset(names))


_ALLOWED = (
    ast.Expression,
    ast.BoolOp,
    ast.And,
    ast.Or,
    ast.UnaryOp,
    ast.Not,
    ast.Compare,
    ast.Name,
    ast.Load,
    ast.Constant,
    ast.List,
    ast.Tuple,
    ast.Call,
    *_COMPARE,
    ast.In,
    ast.NotIn,
)


def _check_node(node: ast.AST, text: str, where: str) -> None:
    if not isinstance(node, _ALLOWED):
        raise BadInputError(
            f"rule {text!r} uses {type(node).__name__}, which the group rule language does not "
            "allow (use and/or/not, comparisons, in, numbers, strings, lists, answered(name))",
            file=where,
        )
    if isinstance(node, ast.UnaryOp) and not isinstance(node.op, ast.Not):
        raise BadInputError(f"rule {text!r}: only `not` may stand before a value", file=where)
    if isinstance(node, ast.Constant) and not isinstance(node.value, str | int | float):
        raise BadInputError(f"rule {text!r}: {node.value!r} is not a number or string", file=where)
    if isinstance(node, ast.Call) and not (
        isinstance(node.func, ast.Name)
        and node.func.id == "answered"
        and len(node.args) == 1
        and isinstance(node.args[0], ast.Name)
        and not node.keywords
    ):
        raise BadInputError(f"rule {text!r}: the only function is answered(variable)", file=where)
