"""The shape of a rule file, validated with pydantic (unknown keys are errors)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

TOPICS = (
    "permission", "qualification", "listing", "room", "promotion", "pricing",
    "inventory", "order", "content", "retention", "metrics", "script",
)
TIERS = ("severe", "general", "minor", "info")
PLATFORMS = ("wechat", "douyin", "taobao")
KINDS = ("product", "promotion", "room", "room_product", "text_hit", "order_sla", "price_change", "stock", "spoken_claim", "live_metrics", "sku_metrics")
ACTIONS = ("close_order", "manual_review")

Scalar = int | str | bool


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Text(_Strict):
    zh: str = Field(min_length=1)
    en: str = Field(min_length=1)


class Citation(_Strict):
    source: str
    section: str | None = None
    confidence: Literal["H", "M", "L"]
    note: str | None = None


class RuleTest(_Strict):
    name: str
    facts: dict[str, Any]
    expect: Literal["pass", "fail"]
    platform: Literal["wechat", "douyin", "taobao"] | None = None


class RuleSpec(_Strict):
    id: str = Field(pattern=r"^[A-Z]+-[0-9]{3}$")
    name: str = Field(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$")
    topic: Literal[TOPICS]  # type: ignore[valid-type]
    tier: Literal[TIERS + ("from_term",)]  # type: ignore[valid-type]
    platforms: list[Literal[PLATFORMS]] = list(PLATFORMS)  # type: ignore[valid-type]
    applies_to: Literal[KINDS]  # type: ignore[valid-type]
    field: str | None = Field(default=None, pattern=r"^[a-z_][a-z0-9_]*$")  # the input field a finding points at
    when: dict[str, Any]
    params: dict[str, Scalar] = {}
    platform_params: dict[Literal[PLATFORMS], dict[str, Scalar]] = {}  # type: ignore[valid-type]
    message: Text
    fix: Text
    cite: list[Citation] = Field(min_length=1)
    tests: list[RuleTest] = Field(min_length=2)
    actions: list[Literal[ACTIONS]] = []  # type: ignore[valid-type]  # what the monitor does when it fires
    note: str | None = None
    # Who sets the tier: the seed's risk table (六), a cited source, or neither (a configurable
    # default: findings then say that the penalty is inferred from the tier, not stated for the item).
    tier_basis: Literal["seed", "source", "default"] = "default"
