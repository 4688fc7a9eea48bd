"""The native engine: the IR compiled to Python closures, once per rule and platform."""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from typing import Any

from guard.engine.base import Engine
from guard.facts import FactValue
from guard.rules.ir import All, Any_, Cmp, Condition
from guard.rules.loader import Rule, RuleSet

Predicate = Callable[[Mapping[str, FactValue]], bool]

_BINARY: dict[str, Callable[[Any, Any], bool]] = {
    "eq": operator.eq,
    "ne": operator.ne,
    "gt": operator.gt,
    "gte": operator.ge,
    "lt": operator.lt,
    "lte": operator.le,
}


def compile_condition(condition: Condition) -> Predicate:
    """Turn one IR condition into a predicate over a fact dict (missing fields are ``None``)."""
    if isinstance(condition, (All, Any_)):
        parts = [compile_condition(c) for c in condition.items]
        combined = parts[-1]
        for part in reversed(parts[:-1]):  # right fold into short-circuiting pairs
            combined = _both(part, combined) if isinstance(condition, All) else _either(part, combined)
        return combined
    return _comparison(condition)


def _both(first: Predicate, rest: Predicate) -> Predicate:
    return lambda f: first(f) and rest(f)


def _either(first: Predicate, rest: Predicate) -> Predicate:
    return lambda f: first(f) or rest(f)


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


_ALWAYS: Predicate = lambda f: True  # noqa: E731


def split_guard(condition: Condition) -> tuple[tuple[str, object] | None, Condition | None]:
    """Split off a leading ``field eq value`` so rules sharing it are tested once per fact."""
    if isinstance(condition, Cmp) and condition.op == "eq" and condition.ref is None:
        return (condition.field, condition.value), None
    if isinstance(condition, All):
        first = condition.items[0]
        if isinstance(first, Cmp) and first.op == "eq" and first.ref is None:
            rest = condition.items[1:]
            if not rest:  # all: [field eq value] is the guard alone
                return (first.field, first.value), None
            return (first.field, first.value), (rest[0] if len(rest) == 1 else All(rest))
    return None, condition


class NativeEngine(Engine):
    """Rules grouped by a shared leading equality; each group's test runs once per fact."""

    name = "native"

    def __init__(self, ruleset: RuleSet) -> None:
        super().__init__(ruleset)
        groups: dict[tuple[str, str], dict[object, list[tuple[Rule, Predicate]]]] = {}
        for rule in ruleset.rules:
            for platform, condition in rule.conditions.items():
                guard, rest = split_guard(condition)
                predicate = compile_condition(rest) if rest is not None else _ALWAYS
                groups.setdefault((rule.applies_to, platform), {}).setdefault(guard, []).append((rule, predicate))
        self._tables: dict[tuple[str, str], list[tuple[str | None, object, list[tuple[Rule, Predicate]]]]] = {
            key: [(g[0] if g else None, g[1] if g else None, members) for g, members in grouped.items()]  # type: ignore[index]
            for key, grouped in groups.items()
        }

    def fired(self, kind: str, platform: str, facts: Mapping[str, FactValue]) -> list[Rule]:
        hits: list[Rule] = []
        for field, value, members in self._tables.get((kind, platform), ()):
            if field is not None and facts.get(field) != value:
                continue
            for rule, predicate in members:
                if predicate is _ALWAYS or predicate(facts):
                    hits.append(rule)
        if len(hits) > 1:
            hits.sort(key=lambda rule: self._order[rule.id])
        return hits
