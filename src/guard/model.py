"""Typed input models: Merchant, Product, Promotion, LiveRoom.

Money is integer fen inside guard. Input takes yuan (int, decimal string or float) and rejects
more than 2 decimal places, NaN, infinities, negative amounts and amounts above the platform's
price cap (1,000万元, the 微信小店 product API's limit) with a message that says so.
Times are timezone-aware; a time given without a zone is read as China Standard Time (+08:00).
"""

from __future__ import annotations

import math
import re
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation
from functools import cache
from importlib import resources
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from guard.data import load_yaml
from guard.taxonomy import taxonomy

CHINA_TZ = timezone(timedelta(hours=8), "CST")

Platform = Literal["wechat", "douyin", "taobao"]
Channel = Literal["miniprogram_live", "weixin_store"]


@cache
def column_aliases() -> dict[str, Any]:
    """Header and value aliases (Chinese and English) for hand-filled catalogs."""
    text = resources.files("guard.io").joinpath("columns.yaml").read_text(encoding="utf-8")
    loaded: dict[str, Any] = load_yaml(text)
    return loaded


def _alias(kind: str) -> Any:
    table: dict[str, Any] | None = None  # the kind's aliases, looked up once (per process) on first use

    def convert(value: Any) -> Any:
        nonlocal table
        if isinstance(value, str):
            if table is None:
                table = column_aliases()["values"][kind]
            stripped = value.strip()
            return table.get(stripped, stripped)
        return value

    return BeforeValidator(convert)


_PLAIN_YUAN = re.compile(r"(\d+)(?:\.(\d{1,2}))?")
MAX_FEN = 1_000_000_000  # 1,000万元: the largest sale price the 微信小店 product API accepts (reference §5.5)


def _capped(fen: int, shown: str) -> int:
    if fen > MAX_FEN:
        raise ValueError(f"amount above the platform's price cap of {MAX_FEN // 100:,} yuan: {shown}")
    return fen


def yuan_to_fen(value: Any) -> int:
    """Convert an amount in yuan to integer fen, refusing anything that is not exact."""
    if isinstance(value, bool) or value is None:
        raise ValueError("expected an amount in yuan")
    if isinstance(value, int) and value >= 0:
        return _capped(value * 100, str(value))
    if type(value) is str and (plain := _PLAIN_YUAN.fullmatch(value)) and len(plain[1]) <= 12:
        # the common case, a plain amount such as "599.00": nothing below would change it
        return _capped(int(plain[1]) * 100 + int((plain[2] or "0").ljust(2, "0")), repr(value))
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            raise ValueError(f"amount must be a finite number, got {value}")
        text = repr(value)
    elif isinstance(value, (int, Decimal)):
        text = str(value)
    elif isinstance(value, str):
        text = value.strip().replace(",", "").removeprefix("¥").removeprefix("￥").removesuffix("元")
    else:
        raise ValueError(f"expected an amount in yuan, got {type(value).__name__}")
    plain = _PLAIN_YUAN.fullmatch(text)
    shown = repr(value) if isinstance(value, str) else text
    if plain:  # the common case, without Decimal arithmetic
        if len(plain[1]) > 12:
            raise ValueError(f"amount above the platform's price cap of {MAX_FEN // 100:,} yuan: {shown}")
        return _capped(int(plain[1]) * 100 + int((plain[2] or "0").ljust(2, "0")), shown)
    try:
        amount = Decimal(text)
    except InvalidOperation:
        raise ValueError(f"not an amount in yuan: {shown}") from None
    if not amount.is_finite():
        raise ValueError(f"amount must be a finite number, got {shown}")
    if amount < 0:
        raise ValueError(f"amount may not be negative, got {shown}")
    exponent = amount.normalize().as_tuple().exponent
    if isinstance(exponent, int) and exponent < -2:
        raise ValueError(f"at most 2 decimal places are allowed in yuan (WeChat goods/add), got {shown}")
    if amount > MAX_FEN // 100:
        raise ValueError(f"amount above the platform's price cap of {MAX_FEN // 100:,} yuan: {shown}")
    return int(amount * 100)


Fen = Annotated[int, BeforeValidator(yuan_to_fen)]

_YES = {"是", "有", "已", "对", "y", "yes", "true", "1", "√"}
_NO = {"否", "无", "未", "没有", "n", "no", "false", "0", "×"}


def _yes_no(value: Any) -> Any:
    """Chinese and English yes/no words as spreadsheets hold them (是/否); anything else is left to pydantic."""
    if isinstance(value, str):
        word = value.strip().lower()
        if word in _YES:
            return True
        if word in _NO:
            return False
    return value


YesNo = Annotated[bool, BeforeValidator(_yes_no)]
MAX_COUNT = 1_000_000_000  # stock, sizes and days: far above any real value, far below where integer facts overflow
NonNegativeInt = Annotated[int, Field(ge=0, le=MAX_COUNT, strict=False)]


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=CHINA_TZ)


AwareDatetime = Annotated[datetime, AfterValidator(_aware)]


def _category(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError("category must be a string")
    return taxonomy().category(value.strip()).id


@cache
def _qualification_names() -> dict[str, str]:
    names = {}
    for key, spec in taxonomy().qualification_types.items():
        names[key] = key
        names[spec["zh"]] = key
    return names


def _qualification_type(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError("qualification type must be a string")
    found = _qualification_names().get(value.strip())
    if found is None:
        known = ", ".join(sorted(taxonomy().qualification_types))
        raise ValueError(f"unknown qualification type {value!r}; known: {known}")
    return found


CategoryId = Annotated[str, BeforeValidator(_category)]
QualificationType = Annotated[str, BeforeValidator(_qualification_type)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class Merchant(_Model):
    """Who lists: 自营 (self-operated), 服务商 (service provider) or 企业微信联动 (WeCom)."""

    id: str = "default"
    name: str | None = None
    mode: Annotated[Literal["self_operated", "service_provider", "wecom"], _alias("mode")]
    enterprise_verified: bool = False
    mini_program_categories: tuple[CategoryId, ...] = ()
    official_provider: bool = False
    authorized_categories: tuple[CategoryId, ...] = ()
    employee_real_name: bool = False
    entity_bound: bool = False
    live_component: bool | None = None  # 直播组件 applied for and enabled (None: not said)


class Qualification(_Model):
    type: QualificationType
    number: str | None = None
    valid_until: date | None = None


class PricePoint(_Model):
    """One transaction: when, and at what price (yuan in, fen inside)."""

    at: AwareDatetime
    price: Fen


class Sku(_Model):
    """One SKU of a product (an SPU): its own spec, price and stock."""

    id: str | None = None
    spec: str | None = None
    price: Annotated[Fen, Field(gt=0)] | None = None
    stock: NonNegativeInt | None = None


class Product(_Model):
    id: str = Field(min_length=1)
    merchant: str | None = None
    platform: Annotated[Platform, _alias("platform")] = "wechat"
    channels: tuple[Annotated[Channel, _alias("channels")], ...] = ("miniprogram_live",)
    category: CategoryId
    name: str = Field(min_length=1)
    description: str = ""
    aliases: tuple[str, ...] = ()  # what the host calls it on air (口播名): binds spoken claims to it
    price_type: Annotated[Literal["fixed", "range", "discount"], _alias("price_type")] = "fixed"
    price: Annotated[Fen, Field(gt=0)]  # a listed price of 0 is no price (the live goods API refuses it, 300003)
    price2: Annotated[Fen, Field(gt=0)] | None = None
    cover_width: NonNegativeInt | None = None
    cover_height: NonNegativeInt | None = None
    detail_url: str | None = None
    head_images: tuple[str, ...] = ()
    qualifications: tuple[Qualification, ...] = ()
    qualifications_submitted_on: date | None = None
    stock: NonNegativeInt | None = None
    expected_peak_sales: NonNegativeInt | None = None
    sku_count: NonNegativeInt | None = None  # SKUs under this product (微信小店 allows at most 500)
    skus: tuple[Sku, ...] = ()  # rows of one SPU; price, stock and sku_count follow from them when not given
    price_history: tuple[PricePoint, ...] = ()
    sponsored: YesNo | None = None  # promoted for a fee (商业推广 / 带货合作): an advertisement
    ad_label_shown: YesNo | None = None  # 「广告」 is shown with it
    seller_identity_shown: YesNo | None = None  # the seller's identity is shown with it
    audit_status: Annotated[
        Literal["unaudited", "auditing", "approved", "rejected"], _alias("audit_status")
    ] | None = None  # not given: unknown, so nothing is said about the review

    @model_validator(mode="before")
    @classmethod
    def _from_skus(cls, data: Any) -> Any:
        """An SPU given as SKU rows: the lowest SKU price, the total stock and the SKU count, unless given."""
        if not isinstance(data, dict) or not isinstance(data.get("skus"), (list, tuple)) or not data["skus"]:
            return data  # anything else is left for validation to report
        skus = [sku for sku in data["skus"] if isinstance(sku, dict)]
        derived = dict(data)
        prices = [sku["price"] for sku in skus if sku.get("price") not in (None, "")]
        if "price" not in derived and prices:
            try:
                derived["price"] = min(prices, key=yuan_to_fen)
            except ValueError:
                pass  # a bad SKU price is reported where it stands
        stocks = [sku.get("stock") for sku in skus]
        if "stock" not in derived and stocks and all(isinstance(v, int) or (isinstance(v, str) and v.isdigit()) for v in stocks):
            derived["stock"] = sum(int(v) for v in stocks)  # type: ignore[arg-type]
        derived.setdefault("sku_count", len(data["skus"]))
        return derived

    @property
    def current_price(self) -> int:
        """The price a buyer pays now: 现价 for a discount display, the left bound for a range."""
        if self.price_type == "discount" and self.price2 is not None:
            return self.price2
        return self.price


class Tier(_Model):
    min_quantity: int = Field(ge=1, le=MAX_COUNT)
    discount_bp: int = Field(gt=0, le=10000, description="share of the price paid, in basis points")


class Component(_Model):
    product: str
    quantity: int = Field(default=1, ge=1, le=MAX_COUNT)


class Promotion(_Model):
    id: str = Field(min_length=1)
    kind: Annotated[Literal["direct_discount", "tiered_quantity", "bundle", "coupon", "lottery", "threshold_discount",
                            "gift"], _alias("kind")]
    products: tuple[str, ...] = ()
    start: AwareDatetime | None = None
    end: AwareDatetime | None = None
    reference_price: Fen | None = None
    price: Fen | None = None
    discount: Fen | None = None
    threshold: Fen | None = None
    tiers: tuple[Tier, ...] = ()
    components: tuple[Component, ...] = ()
    stock: NonNegativeInt | None = None
    top_prize: Fen | None = None
    prize_name: str | None = None  # 奖品/赠品品名 (lottery and gift)
    prize_quantity: NonNegativeInt | None = None  # 奖品数量 or 赠品数量
    win_odds: str | None = None  # 中奖概率, as published (e.g. 1/100)
    draw_at: AwareDatetime | None = None  # 开奖时间
    label: str = ""
    time_limited: bool | None = None
    period_shown: bool = False


class RoomProduct(_Model):
    product: str
    room_price: Fen | None = None
    on_sale: bool = True
    sale_ends_at: AwareDatetime | None = None


class LiveRoom(_Model):
    id: str = Field(min_length=1)
    platform: Annotated[Platform, _alias("platform")] = "wechat"
    name: str | None = None
    phase: Annotated[Literal["pre", "live", "post"], _alias("phase")]
    starts_at: AwareDatetime | None = None  # the scheduled start: bound products must be approved by then
    products: tuple[RoomProduct, ...] = ()
    quick_bar: tuple[str, ...] = ()
    ended_at: AwareDatetime | None = None
    sales_record_retention_days: NonNegativeInt | None = None
