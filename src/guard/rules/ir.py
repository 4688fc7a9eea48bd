"""The condition IR: comparisons of one fact field, combined with all/any.

Both engines consume exactly this form. Parameters are already resolved to literal values;
a comparison may instead reference another field of the same fact (``ref``).

Semantics, identical on both engines:
- a comparison whose field is missing is false; so is one whose ``ref`` field is missing;
- ``ne`` and ``not_in`` are false on a missing field (use ``missing`` to test absence);
- ``exists`` / ``missing`` test presence only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Union

OPERATORS = ("eq", "ne", "gt", "gte", "lt", "lte", "in", "not_in", "exists", "missing")
ORDERING = ("gt", "gte", "lt", "lte")
Literal_ = Union[int, str, bool]


@dataclass(frozen=True, slots=True)
class Cmp:
    field: str
    op: str
    value: Literal_ | tuple[Literal_, ...] | None = None
    ref: str | None = None


@dataclass(frozen=True, slots=True)
class All:
    items: tuple[Condition, ...]


@dataclass(frozen=True, slots=True)
class Any_:
    items: tuple[Condition, ...]


Condition = Union[Cmp, All, Any_]


def fields_of(condition: Condition) -> set[str]:
    """Every fact field a condition reads, references included."""
    if isinstance(condition, Cmp):
        return {condition.field} | ({condition.ref} if condition.ref else set())
    found: set[str] = set()
    for item in condition.items:
        found |= fields_of(item)
    return found
