"""The native engine's grouping by a leading equality keeps every condition's meaning."""

from __future__ import annotations

from guard.engine.native import compile_condition, split_guard
from guard.rules.ir import All, Any_, Cmp


def test_an_all_of_one_equality_is_the_guard_alone() -> None:
    assert split_guard(All((Cmp("phase", "eq", "live"),))) == (("phase", "live"), None)


def test_the_rest_of_an_all_after_its_guard_is_kept() -> None:
    guard, rest = split_guard(All((Cmp("phase", "eq", "live"), Cmp("count", "gt", 2))))
    assert guard == ("phase", "live")
    assert rest == Cmp("count", "gt", 2)


def test_an_any_is_not_split() -> None:
    condition = Any_((Cmp("phase", "eq", "live"), Cmp("count", "gt", 2)))
    assert split_guard(condition) == (None, condition)
    predicate = compile_condition(condition)
    assert predicate({"count": 3}) and not predicate({"phase": "pre"})
