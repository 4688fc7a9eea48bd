"""The native engine: the IR compiled to Python closures, once per rule and platform."""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping

from guard.engine.base import Engine
from guard.facts import FactValue
from guard.rules.ir import All, Any_, Cmp, Condition
from guard.rules.loader import Rule, RuleSet

Predicate = Callable[[Mapping[str, FactValue]], bool]

_BINARY: dict[str, Callable[[object, object], bool]] = {
    "eq": operator.eq,
    "ne": operator.ne,
    "gt": operator.gt,
    "gte": operator.ge,
    "lt": operator.lt,
    "lte": operator.le,
}


def compile_condition(condition: Condition) -> Predicate:
    """Turn one IR condition into a predicate over a fact dict (missing fields are ``None``)."""
    if isinstance(condition, All):
        parts = tuple(compile_condition(c) for c in condition.items)
        return lambda f: all(p(f) for p in parts)
    if isinstance(condition, Any_):
        parts = tuple(compile_condition(c) for c in condition.items)
        return lambda f: any(p(f) for p in parts)
    return _comparison(condition)


def _comparison(cmp: Cmp) -> Predicate:
    key, op, value, ref = cmp.field, cmp.op, cmp.value, cmp.ref
    if op == "exists":
        return lambda f: key in f
    if op == "missing":
        return lambda f: key not in f
    if op == "in":
        members = frozenset(value)  # type: ignore[arg-type]
        return lambda f: (x := f.get(key)) is not None and x in members
    if op == "not_in":
        members = frozenset(value)  # type: ignore[arg-type]
        return lambda f: (x := f.get(key)) is not None and x not in members
    compare = _BINARY[op]
    if ref is not None:
        return lambda f: (x := f.get(key)) is not None and (y := f.get(ref)) is not None and compare(x, y)
    if op == "eq":
        return lambda f: f.get(key) == value
    return lambda f: (x := f.get(key)) is not None and compare(x, value)


class NativeEngine(Engine):
    name = "native"

    def __init__(self, ruleset: RuleSet) -> None:
        super().__init__(ruleset)
        self._tables: dict[tuple[str, str], list[tuple[Rule, Predicate]]] = {}
        for rule in ruleset.rules:
            for platform, condition in rule.conditions.items():
                self._tables.setdefault((rule.applies_to, platform), []).append(
                    (rule, compile_condition(condition))
                )

    def fired(self, kind: str, platform: str, facts: Mapping[str, FactValue]) -> list[Rule]:
        return [rule for rule, predicate in self._tables.get((kind, platform), ()) if predicate(facts)]
