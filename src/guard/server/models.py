"""Request and response models of the HTTP door, so that ``/openapi.json`` describes them.

Records inside a check request (products, merchant, promotions, live rooms) are validated by the
library, not here: a bad record is a ``problem`` in the report, not a rejected request. Their
schemas in the OpenAPI document are guard's own models (``guard.model``); money there is in yuan.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, WithJsonSchema

from guard.model import CHINA_TZ, LiveRoom, Merchant, Product, Promotion

Lang = Literal["zh", "en"]
Platform = Literal["wechat", "douyin", "taobao"]
RECORD_MODELS: tuple[type[BaseModel], ...] = (Product, Merchant, Promotion, LiveRoom)


RECORD_KEY = "x-guard-model"  # marks a record's place in a schema; the OpenAPI document puts a $ref there


def _record(model: type[BaseModel]) -> Any:
    """A JSON object validated later by the library, documented as ``model``."""
    return Annotated[dict[str, Any], WithJsonSchema({"type": "object", RECORD_KEY: model.__name__})]


def _iso_time(value: Any) -> Any:
    if value is None or isinstance(value, datetime):
        return value
    if not isinstance(value, str):
        raise ValueError("an ISO time string or null is required")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(f"not an ISO time: {value!r}") from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=CHINA_TZ)


ProductRecord = _record(Product)
MerchantRecord = _record(Merchant)
PromotionRecord = _record(Promotion)
LiveRoomRecord = _record(LiveRoom)


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CheckRequest(_Request):
    """A catalog to check: the same records as a catalog file, with money in yuan."""

    products: list[ProductRecord] = []
    merchant: MerchantRecord | None = None
    promotions: list[PromotionRecord] = []
    live_rooms: list[LiveRoomRecord] = []
    platform: Platform | None = Field(default=None, description="check every product as if listed here")
    lang: Lang = "zh"
    now: Annotated[datetime | None, BeforeValidator(_iso_time)] = Field(
        default=None, description="evaluate as of this time (default now); without a zone, China time")


class LintRequest(_Request):
    """A live script or caption text to lint."""

    text: str
    category: str | None = Field(default=None, description="the category of the product the script sells")
    platform: Platform = "wechat"
    lang: Lang = "zh"


class _Response(BaseModel):
    model_config = ConfigDict(extra="allow")


class SourceOut(_Response):
    source: str
    title: str
    section: str | None = None
    confidence: str
    url: str | None = None


class FindingOut(_Response):
    """One finding as ``guard check --format json`` prints it; text findings add offsets."""

    rule: str
    name: str
    topic: str
    tier: str
    penalty: str
    platform: str
    product: str | None
    subject: str
    path: str
    message: str
    fix: str
    configurable_default: bool
    sources: list[SourceOut]
    file: str | None = None
    start: int | None = None
    end: int | None = None
    line: int | None = None
    column: int | None = None
    matched: str | None = None
    term: str | None = None
    family: str | None = None


class ProblemOut(_Response):
    """A record that could not be checked (or a warning about the input), with its location."""

    file: str
    location: str
    path: str
    message: str
    record: str | None = None
    warning: bool = False
    column: str | None = None
    message_zh: str | None = None
    cell: str | None = None


class SummaryOut(_Response):
    read: int
    checked: int
    rejected: int
    by_kind: dict[str, int]
    findings: dict[str, int] = Field(description="findings per tier")


class ReportOut(_Response):
    """A report: ``Report.to_dict()``, the same as ``guard check --format json``."""

    findings: list[FindingOut]
    problems: list[ProblemOut]
    warnings: list[ProblemOut]
    summary: SummaryOut
    engine: str


class HealthOut(_Response):
    status: Literal["ok"]
    version: str
    engine: str
    rules: int


class RuleOut(_Response):
    id: str
    name: str
    topic: str
    tier: str
    platforms: list[str]


class RulesOut(_Response):
    rules: list[RuleOut]


class ErrorOut(BaseModel):
    """Every error the door answers: a message, never a traceback."""

    error: str
