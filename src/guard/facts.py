"""Facts: flat, typed values derived from the models. Rules see nothing else.

Each kind of subject (product, promotion, room, room_product, text_hit) has a fixed schema of
fact fields. A rule may only name fields of its kind's schema, and only with operators that fit
the field's type; the rule loader checks that. A fact whose value is unknown is left out of the
dict ("missing"), and every comparison on a missing field is false, on both engines.
Display-only fields feed message placeholders and may not appear in conditions.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import cache
from typing import Any

from guard.model import CHINA_TZ, LiveRoom, Merchant, Product, Promotion
from guard.taxonomy import taxonomy

FactValue = int | str | bool


@dataclass(frozen=True, slots=True)
class FactSpec:
    type: type
    doc: str
    display_only: bool = False


def _spec(kind: type, doc: str) -> FactSpec:
    return FactSpec(kind, doc)


def _display(doc: str) -> FactSpec:
    return FactSpec(str, doc, display_only=True)


_PRODUCT: dict[str, FactSpec] = {
    "platform": _spec(str, "wechat | douyin | taobao"),
    "category": _spec(str, "category id"),
    "category_group": _spec(str, "ordinary | food | health_food | cosmetics | medical_device | drug | cross_border | virtual"),
    "category_strict": _spec(bool, "category is a strict sector (medical, health food, infant formula ...)"),
    "merchant_mode": _spec(str, "self_operated | service_provider | wecom"),
    "merchant_live_component": _spec(bool, "the mini-program's live component (直播组件) is enabled"),
    "merchant_enterprise_verified": _spec(bool, "enterprise (法人) verification done"),
    "category_in_mini_program": _spec(bool, "category is among the mini-program's categories"),
    "merchant_official_provider": _spec(bool, "service provider is connected as an official Tencent provider"),
    "category_authorized": _spec(bool, "category is among the provider's authorized categories"),
    "employee_real_name": _spec(bool, "WeCom employee is real-name verified"),
    "entity_bound": _spec(bool, "WeCom account is bound to the enterprise entity"),
    "targets_miniprogram_live": _spec(bool, "listed through 小程序直播 goods/add"),
    "targets_weixin_store": _spec(bool, "listed in 微信小店"),
    "name_width": _spec(int, "goods name width, CJK and full-width characters count 2"),
    "name_gbk_bytes": _spec(int, "goods name length in GBK/GB18030 bytes (汉字 2)"),
    "store_sku_count": _spec(int, "SKUs of a 微信小店 product"),
    "name_all_digits": _spec(bool, "goods name is only digits"),
    "price_type": _spec(str, "fixed | range | discount"),
    "price_fen": _spec(int, "price (fixed), left bound (range) or original price (discount), fen"),
    "price2_fen": _spec(int, "right bound (range) or current price (discount), fen"),
    "has_price2": _spec(bool, "price2 is given"),
    "current_price_fen": _spec(int, "price a buyer pays now, fen"),
    "sponsored": _spec(bool, "promoted for a fee: an advertisement"),
    "ad_label_shown": _spec(bool, "「广告」 is shown with it"),
    "seller_identity_shown": _spec(bool, "the seller's identity is shown with it"),
    "shown_reference_price_fen": _spec(int, "the 原价 / 划线价 a discount display (price type 3) shows, fen"),
    "shown_reference_ceiling_fen": _spec(int, "lowest transaction price in the 7 days before now, else the last one, fen"),
    "shown_ceiling_basis": _display("how that ceiling was found"),
    "cover_width": _spec(int, "cover image width, px"),
    "cover_height": _spec(int, "cover image height, px"),
    "has_detail_url": _spec(bool, "detail page path is given"),
    "store_title_chars": _spec(int, "微信小店 title: effective characters (CJK, letters, digits)"),
    "store_title_length": _spec(int, "微信小店 title: characters"),
    "store_title_no_cjk": _spec(bool, "微信小店 title has only digits, Latin letters and symbols"),
    "store_title_bad_symbols": _spec(int, "微信小店 title: characters outside the allowed set"),
    "head_image_count": _spec(int, "微信小店 main images"),
    "head_image_duplicates": _spec(int, "微信小店 main images given more than once"),
    "head_images_min": _spec(int, "微信小店 minimum main images for this category"),
    "expired_qualification_count": _spec(int, "qualification documents past their valid-until date"),
    "awaiting_review": _spec(bool, "an audit status is given and it is not approved"),
    "review_time_known": _spec(bool, "a source gives the category's review time"),
    "health_food_statement": _spec(bool, "name or description states 本品不能代替药物"),
    "stock": _spec(int, "stock"),
    "expected_peak_sales": _spec(int, "expected peak sales"),
    "stock_to_peak_bp": _spec(int, "stock / expected peak sales, basis points"),
    # display
    "id": _display("product id"),
    "name": _display("goods name"),
    "category_zh": _display("category name"),
    "expired_qualifications": _display("expired documents with their dates"),
    "review_days": _display("review time range in working days"),
    "earliest_go_live": _display("earliest go-live date after review"),
    "merchant_categories": _display("the mini-program's or provider's categories"),
    "merchant_categories_en": _display("the same, as category ids"),
}

_PROMOTION: dict[str, FactSpec] = {
    "platform": _spec(str, "platform of the promoted product"),
    "kind": _spec(str, "direct_discount | tiered_quantity | bundle | coupon | lottery | threshold_discount | gift"),
    "threshold_fen": _spec(int, "满减 threshold, fen"),
    "discount_fen": _spec(int, "amount taken off, fen"),
    "prize_named": _spec(bool, "the prize or gift has a name"),
    "prize_quantity": _spec(int, "number of prizes or gifts"),
    "win_odds_given": _spec(bool, "the odds of winning are published"),
    "draw_time_given": _spec(bool, "the draw time is published"),
    "time_limited": _spec(bool, "a time-limited discount"),
    "period_shown": _spec(bool, "the period is shown to buyers (as the input says)"),
    "has_end_time": _spec(bool, "the promotion has an end time: without one there is no period to show"),
    "reference_price_fen": _spec(int, "stated 原价 / compared price, fen"),
    "reference_ceiling_fen": _spec(int, "lowest transaction price in the 7 days before the promotion, else the last one, fen"),
    "raise_in_window_bp": _spec(int, "price raise inside the 7-day window over the price before the rise, basis points"),
    "pre_raise_price_fen": _spec(int, "the price before that raise, fen"),
    "cut_base_fen": _spec(int, "the base a cut is measured from: the stated 原价, else the last price before the promotion"),
    "cuts_price": _spec(bool, "the promotion cuts the price (direct discount, coupon, tiered quantity)"),
    "tier_count": _spec(int, "满件打折 tiers"),
    "tiers_monotonic": _spec(bool, "more items never pay a higher share"),
    "bundle_stock": _spec(int, "bundle stock"),
    "bundle_stock_cap": _spec(int, "bundles the component stock can cover"),
    "stacked_final_price_fen": _spec(int, "price after every overlapping promotion is applied, fen"),
    "top_prize_fen": _spec(int, "lottery top prize, fen"),
    "id": _display("promotion id"),
    "ceiling_basis": _display("how the reference ceiling was found"),
}

_ROOM: dict[str, FactSpec] = {
    "platform": _spec(str, "platform"),
    "phase": _spec(str, "pre | live | post"),
    "quick_bar_sku_count": _spec(int, "SKUs on the quick bar"),
    "sales_record_retention_days": _spec(int, "days sales records are kept"),
    "id": _display("room id"),
}

_ROOM_PRODUCT: dict[str, FactSpec] = {
    "platform": _spec(str, "platform"),
    "phase": _spec(str, "pre | live | post"),
    "room_price_fen": _spec(int, "price shown in the room, fen"),
    "library_price_fen": _spec(int, "current price in the product library, fen"),
    "on_sale": _spec(bool, "still on sale in the room"),
    "in_library": _spec(bool, "the product is in the product library (the catalog checked)"),
    "ready_by_start": _spec(bool, "approved, or its review is done by the room's start at the longest known time"),
    "starts_at": _display("the room's scheduled start"),
    "expired": _spec(bool, "the product's sale period has ended"),
    "id": _display("room id"),
    "product": _display("product id"),
}

_ORDER_SLA: dict[str, FactSpec] = {
    "platform": _spec(str, "platform of the order"),
    "sla": _spec(str, "oversold_refund | address_change | interception | abnormal_handling"),
    "elapsed_seconds": _spec(int, "seconds from the event that started the clock to the resolution, request or now"),
    "resolved": _spec(bool, "the resolving event arrived (false when a deadline passed without it)"),
    "order": _display("order id"),
    "limit": _display("the deadline, as a time"),
}

_PRICE_CHANGE: dict[str, FactSpec] = {
    "platform": _spec(str, "platform"),
    "has_operator": _spec(bool, "the change names its operator"),
    "has_reason": _spec(bool, "the change gives a reason"),
    "price_fen": _spec(int, "new price, fen"),
    "previous_price_fen": _spec(int, "price before the change, fen"),
    "is_cut": _spec(bool, "the new price is lower than the previous one"),
    "reference_price_fen": _spec(int, "原价 shown with the new price, fen"),
    "reference_ceiling_fen": _spec(int, "lowest transaction price in the 7 days before, else the last one, fen"),
    "raise_in_window_bp": _spec(int, "raise of the marked price inside the 7 days before this change, basis points"),
    "pre_raise_price_fen": _spec(int, "the marked price before that raise, fen"),
    "cut_base_fen": _spec(int, "what the cut is measured from: the 原价 shown with it, else the previous price"),
    "product": _display("product id"),
    "ceiling_basis": _display("how the reference ceiling was found"),
}

_STOCK: dict[str, FactSpec] = {
    "platform": _spec(str, "platform"),
    "stock_before": _spec(int, "stock before the order"),
    "quantity": _spec(int, "quantity ordered"),
    "shortfall": _spec(int, "units the stock could not cover"),
    "product": _display("product id"),
    "order": _display("order id"),
}

_SPOKEN_CLAIM: dict[str, FactSpec] = {
    "platform": _spec(str, "platform"),
    "claim": _spec(str, "price | reference | discount | cut | scarcity | limited | urgent | deadline | gift | lottery"),
    "bound": _spec(bool, "a product of the catalog is bound to the claim (a marker or a mention)"),
    "spoken_fen": _spec(int, "the amount said (price, 原价, cut, prize value), fen"),
    "spoken_share_bp": _spec(int, "the discount said, as the share paid (五折 = 5000), basis points"),
    "spoken_count": _spec(int, "the quantity said (只剩10件, 限量500份)"),
    "charged_fen": _spec(int, "what the bound product is charged now: its price after active promotions, fen"),
    "catalog_reference_fen": _spec(int, "the 原价 the catalog shows for it now (discount display or promotion), fen"),
    "reference_ceiling_fen": _spec(int, "lowest transaction price in the 7 days before now, else the last one, fen"),
    "actual_share_bp": _spec(int, "charged / catalog reference, basis points"),
    "actual_cut_fen": _spec(int, "catalog reference minus charged, fen"),
    "share_gap_bp": _spec(int, "how far the spoken discount is from the actual one, basis points"),
    "cut_gap_fen": _spec(int, "how far the spoken cut (直降/立减) is from the actual one, fen"),
    "stock": _spec(int, "the bound product's stock"),
    "offer_active": _spec(bool, "an active promotion cuts the bound product's price"),
    "claim_holds": _spec(bool, "a spoken time limit: the active offer really ends within it"),
    "promotion_defined": _spec(bool, "a spoken gift or lottery: an active promotion of that kind covers the product"),
    "spoken": _display("the claim as said"),
    "item": _display("the gift or prize as named"),
    "product": _display("product id"),
    "ceiling_basis": _display("how the reference ceiling was found"),
    "offer_ends": _display("when the active offer ends"),
    "offer_ends_en": _display("the same, in English"),
}

_LIVE_METRICS: dict[str, FactSpec] = {
    "platform": _spec(str, "platform of the live"),
    "viewers": _spec(int, "the live's viewers (UV): people who entered, summed over its minutes"),
    "orders": _spec(int, "paid orders"),
    "bounce_rate_bp": _spec(int, "bounces / viewers, basis points"),
    "conversion_bp": _spec(int, "paid orders / viewers, basis points"),
    "complaint_rate_bp": _spec(int, "complaints / orders, basis points"),
    "previous_complaint_rate_bp": _spec(int, "mean complaint rate of the merchant's previous lives in the database"),
    "previous_lives": _spec(int, "previous lives that mean is taken over"),
    "live": _display("live (room) id"),
}

_SKU_METRICS: dict[str, FactSpec] = {
    "platform": _spec(str, "platform of the live"),
    "clicks": _spec(int, "product clicks on the SKU"),
    "sku_conversion_bp": _spec(int, "the SKU's orders / its clicks, basis points"),
    "live_sku_conversion_bp": _spec(int, "all SKUs' orders / all their clicks, basis points"),
    "rank_from_bottom": _spec(int, "1 for the lowest-converting SKU of the live"),
    "sku": _display("SKU or product id"),
    "sku_name": _display("its name"),
}

_TEXT_HIT: dict[str, FactSpec] = {
    "platform": _spec(str, "platform"),
    "family": _spec(str, "absolute | medical | unverifiable | inducement | diversion | disclosure | disparagement | guarantee | counterfeit"),
    "term_tier": _spec(str, "the lexicon entry's tier"),
    "category": _spec(str, "category id of the product or script"),
    "category_allows_term": _spec(bool, "the term is lawful for this category"),
    "platform_applies": _spec(bool, "the term is banned on this platform"),
    "category_strict": _spec(bool, "strict sector: never downgraded"),
    "exempt": _spec(bool, "an exemption pattern or an ambiguous sense matched around the hit: advice only"),
    "ambiguous": _spec(bool, "the hit's sense (claim about the goods or not) stays ambiguous"),
    "term": _display("lexicon term"),
    "matched": _display("original characters"),
    "note": _display("why the term is banned"),
    "rewrite": _display("suggested rewrite"),
    "exemption": _display("exemption reason"),
    "exemption_en": _display("exemption reason, English"),
}


@cache
def schemas() -> dict[str, dict[str, FactSpec]]:
    """Fact schema per subject kind; product facts include one ``missing_<requirement>`` per requirement."""
    product = dict(_PRODUCT)
    for requirement in taxonomy().requirements:
        product[f"missing_{requirement}"] = _spec(bool, f"category requires {requirement} and none is given")
    return {
        "product": product,
        "promotion": _PROMOTION,
        "room": _ROOM,
        "room_product": _ROOM_PRODUCT,
        "text_hit": _TEXT_HIT,
        "order_sla": _ORDER_SLA,
        "price_change": _PRICE_CHANGE,
        "stock": _STOCK,
        "spoken_claim": _SPOKEN_CLAIM,
        "live_metrics": _LIVE_METRICS,
        "sku_metrics": _SKU_METRICS,
    }


@dataclass(slots=True)
class Subject:
    """One thing rules are evaluated against: its kind, identity, location and facts."""

    kind: str
    key: str  # stable identity, e.g. "product:P1" or "room:R1/product:P2"
    product: str | None
    platform: str
    path: str
    facts: dict[str, FactValue]
    text: dict[str, Any] = field(default_factory=dict)  # start/end/matched/family/term for text hits
    file: str | None = None
    record: bool = True  # an input record: a rule's ``field`` extends its path (monitor subjects are not)


@cache
def _char_width(ch: str) -> int:
    return 2 if unicodedata.east_asian_width(ch) in "WF" else 1


def text_width(text: str) -> int:
    """Width as WeChat counts it: one CJK or full-width character is two."""
    return sum(map(_char_width, text))


def is_cjk(ch: str) -> bool:
    return "\u3400" <= ch <= "\u9fff" or "\uf900" <= ch <= "\ufaff" or "\U00020000" <= ch <= "\U0002ffff"


@cache
def is_title_char(ch: str) -> bool:
    """An effective title character for 微信小店: a letter (汉字 included) or a decimal digit.

    ``str.isalnum`` also accepts Roman numerals (Ⅲ), circled and superscript digits (①, ²) and
    fractions (½), which the platform names as bad examples; Unicode categories tell them apart.
    """
    return unicodedata.category(ch) in ("Lu", "Ll", "Lt", "Lm", "Lo", "Nd")


@cache
def add_working_days(start: date, days: int) -> date:
    """``start`` plus ``days`` working days (Monday to Friday; public holidays are not modelled)."""
    current = start
    remaining = days
    while remaining > 0:
        current += timedelta(days=1)
        if current.weekday() < 5:
            remaining -= 1
    return current


HEALTH_FOOD_STATEMENT = "本品不能代替药物"


@cache
def _no_requirement_missing() -> dict[str, bool]:
    return {f"missing_{requirement}": False for requirement in taxonomy().requirements}


def _put(facts: dict[str, FactValue], name: str, value: FactValue | None) -> None:
    if value is not None:
        facts[name] = value


def merchant_facts(merchant: Merchant) -> dict[str, FactValue]:
    """The facts every product of one merchant shares (``product_facts`` keeps them per merchant model)."""
    shown = merchant.authorized_categories if merchant.mode == "service_provider" else merchant.mini_program_categories
    return {
        "merchant_mode": merchant.mode,
        **({"merchant_live_component": merchant.live_component} if merchant.live_component is not None else {}),
        "merchant_enterprise_verified": merchant.enterprise_verified,
        "merchant_official_provider": merchant.official_provider,
        "employee_real_name": merchant.employee_real_name,
        "entity_bound": merchant.entity_bound,
        "merchant_categories": "、".join(taxonomy().categories[c].zh for c in shown) or "（无）",
        "merchant_categories_en": ", ".join(shown) or "none",
    }


# by identity (a model's hash reads every field), and bounded: a server meets ever new merchants
_FACTS_OF: dict[int, tuple[Merchant, dict[str, FactValue]]] = {}
_FACTS_MAX = 256


def _merchant_facts(merchant: Merchant) -> dict[str, FactValue]:
    """``merchant_facts``, computed once per merchant model (every product of a catalog shares one)."""
    known = _FACTS_OF.get(id(merchant))
    if known is not None and known[0] is merchant:
        return known[1]
    facts = merchant_facts(merchant)
    if len(_FACTS_OF) >= _FACTS_MAX:
        _FACTS_OF.clear()
    _FACTS_OF[id(merchant)] = (merchant, facts)
    return facts


def _end_of(day: date) -> datetime:
    return datetime.combine(day, datetime.max.time(), CHINA_TZ)


def _review_done_on(review: str, submitted: date) -> date:
    """The day a review of this kind, submitted on ``submitted``, ends at its longest known time."""
    return add_working_days(submitted, taxonomy().review_days[review][1])


def product_facts(product: Product, merchant: Merchant | None, today: date,
                  now: datetime | None = None) -> dict[str, FactValue]:
    tax = taxonomy()
    category = tax.categories[product.category]
    facts: dict[str, FactValue] = {
        "id": product.id,
        "name": product.name,
        "platform": product.platform,
        "category": category.id,
        "category_zh": category.zh,
        "category_group": category.group,
        "category_strict": category.strict,
        "targets_miniprogram_live": product.platform == "wechat" and "miniprogram_live" in product.channels,
        "targets_weixin_store": product.platform == "wechat" and "weixin_store" in product.channels,
        "name_width": text_width(product.name),
        "name_gbk_bytes": len(product.name.encode("gb18030")),
        "name_all_digits": product.name.isdigit(),
        "price_type": product.price_type,
        "price_fen": product.price,
        "has_price2": product.price2 is not None,
        "current_price_fen": product.current_price,
        "has_detail_url": bool(product.detail_url),
        "review_time_known": category.review is not None,
        "health_food_statement": HEALTH_FOOD_STATEMENT in product.name or HEALTH_FOOD_STATEMENT in product.description,
    }
    if product.price2 is not None:
        facts["price2_fen"] = product.price2
    _put(facts, "sponsored", product.sponsored)
    _put(facts, "ad_label_shown", product.ad_label_shown)
    _put(facts, "seller_identity_shown", product.seller_identity_shown)
    if product.price_type == "discount" and product.price2 is not None:  # 显示折扣价: price is the 原价 shown
        facts["shown_reference_price_fen"] = product.price
        history = [(p.at, p.price) for p in product.price_history]
        ceiling, basis = reference_ceiling(history, now if now is not None else _end_of(today))
        _put(facts, "shown_reference_ceiling_fen", ceiling)
        facts["shown_ceiling_basis"] = basis
    if product.cover_width is not None:
        facts["cover_width"] = product.cover_width
    if product.cover_height is not None:
        facts["cover_height"] = product.cover_height
    if product.stock is not None:
        facts["stock"] = product.stock
    if product.expected_peak_sales is not None:
        facts["expected_peak_sales"] = product.expected_peak_sales
    if product.stock is not None and product.expected_peak_sales:
        facts["stock_to_peak_bp"] = product.stock * 10000 // product.expected_peak_sales
    if merchant is not None:
        facts.update(_merchant_facts(merchant))
        facts["category_in_mini_program"] = category.id in merchant.mini_program_categories
        facts["category_authorized"] = category.id in merchant.authorized_categories
    if facts["targets_weixin_store"]:
        title = product.name
        facts["store_title_chars"] = sum(1 for ch in title if is_title_char(ch))
        facts["store_title_length"] = len(title)
        facts["store_title_no_cjk"] = not any(is_cjk(ch) for ch in title)
        facts["store_title_bad_symbols"] = sum(
            1 for ch in title if not is_title_char(ch) and ch not in tax.store_title_symbols
        )
        _put(facts, "store_sku_count", product.sku_count)
        facts["head_image_count"] = len(product.head_images)
        facts["head_image_duplicates"] = len(product.head_images) - len(set(product.head_images))
        facts["head_images_min"] = tax.store_head_images_min["food" if category.food else "default"]
    facts.update(_no_requirement_missing())
    held = {q.type for q in product.qualifications}
    for requirement in category.requires:
        facts[f"missing_{requirement}"] = held.isdisjoint(tax.requirements[requirement])
    expired = [q for q in product.qualifications if q.valid_until is not None and q.valid_until < today]
    facts["expired_qualification_count"] = len(expired)
    if expired:
        facts["expired_qualifications"] = "、".join(
            f"{tax.qualification_types[q.type]['zh']}（{q.valid_until.isoformat()}）" for q in expired  # type: ignore[union-attr]
        )
    if product.audit_status is not None:
        facts["awaiting_review"] = product.audit_status != "approved"
    if category.review is not None:
        low, high = tax.review_days[category.review]
        facts["review_days"] = f"{low}-{high}"
        submitted = product.qualifications_submitted_on or today
        facts["earliest_go_live"] = _review_done_on(category.review, submitted).isoformat()
    return facts


def _overlaps(a: Promotion, b: Promotion) -> bool:
    """Two promotions overlap unless one ends before the other starts (open ends never end)."""
    if a.start is not None and b.end is not None and b.end <= a.start:
        return False
    return not (b.start is not None and a.end is not None and a.end <= b.start)


def _stacked_price(base: int, promotions: list[Promotion]) -> int:
    price = base
    for promo in promotions:
        if promo.kind == "direct_discount":
            if promo.price is not None:
                price -= max(base - promo.price, 0)
            elif promo.discount is not None:
                price -= promo.discount
        elif promo.kind == "coupon" and promo.discount is not None:
            price -= promo.discount
        elif promo.kind == "tiered_quantity" and promo.tiers:
            price = price * min(t.discount_bp for t in promo.tiers) // 10000
    return price


REFERENCE_WINDOW = timedelta(days=7)
WINDOW_LOW = "7日内最低成交价"  # how a reference ceiling was found (shown in messages)
LAST_PRICE = "最近一次成交价"
NO_HISTORY = "无成交记录"
PRICE_CUTTING = ("direct_discount", "coupon", "tiered_quantity")


def reference_ceiling(history: list[tuple[datetime, int]], start: datetime) -> tuple[int | None, str]:
    """The highest lawful 原价: lowest transaction price in the 7 days before ``start``, else the last one."""
    before = [(at, price) for at, price in history if at < start]
    window = [price for at, price in before if at >= start - REFERENCE_WINDOW]
    if window:
        return min(window), WINDOW_LOW
    if before:
        return max(before)[1], LAST_PRICE
    return None, NO_HISTORY


def raise_before(history: list[tuple[datetime, int]], start: datetime) -> tuple[int, int] | None:
    """A raise inside the 7 days before ``start``: (its size in basis points, the price before it).

    The price before the raise is the lowest price that came before the window's peak: the last
    transaction before the window, or any earlier one inside it (99 on 11-25, then 129 on 11-28, is a
    raise of 30 % from 99 even though both lie in the window). None when nothing was raised.
    """
    window_start = start - REFERENCE_WINDOW
    prior = [(at, price) for at, price in history if at < window_start]
    window = sorted((at, price) for at, price in history if window_start <= at < start)
    if not window:
        return None
    peak_at, peak = max(window, key=lambda point: (point[1], -point[0].timestamp()))
    before_peak = [price for at, price in window if at < peak_at]
    if prior:
        before_peak.append(max(prior)[1])
    if not before_peak:
        return None
    low = min(before_peak)
    if low <= 0 or peak <= low:
        return None
    return (peak - low) * 10000 // low, low


def raise_facts(history: list[tuple[datetime, int]], start: datetime) -> dict[str, int]:
    """The facts ``raise_in_window_bp`` and ``pre_raise_price_fen`` for a change at ``start``.

    A history without a raise in the window gives a raise of 0; no history at all gives no facts.
    """
    raised = raise_before(history, start)
    if raised is not None:
        return {"raise_in_window_bp": raised[0], "pre_raise_price_fen": raised[1]}
    return {"raise_in_window_bp": 0} if history else {}


def last_price_before(history: list[tuple[datetime, int]], start: datetime) -> int | None:
    before = [(at, price) for at, price in history if at < start]
    return max(before)[1] if before else None


def promotion_facts(
    promo: Promotion,
    products: dict[str, Product],
    same_product_promotions: list[Promotion],
    now: datetime,
) -> dict[str, FactValue]:
    target_ids = promo.products or [c.product for c in promo.components]
    target = products.get(target_ids[0]) if target_ids else None
    facts: dict[str, FactValue] = {
        "id": promo.id,
        "kind": promo.kind,
        "platform": target.platform if target else "wechat",
        "time_limited": promo.time_limited if promo.time_limited is not None else (
            promo.kind == "direct_discount" and promo.end is not None
        ),
        "period_shown": promo.period_shown,
        "has_end_time": promo.end is not None,
        "cuts_price": promo.kind in PRICE_CUTTING,
    }
    _put(facts, "reference_price_fen", promo.reference_price)
    _put(facts, "top_prize_fen", promo.top_prize)
    _put(facts, "threshold_fen", promo.threshold)
    _put(facts, "discount_fen", promo.discount)
    if promo.kind in ("lottery", "gift"):
        facts["prize_named"] = bool(promo.prize_name and promo.prize_name.strip())
        _put(facts, "prize_quantity", promo.prize_quantity)
        facts["win_odds_given"] = bool(promo.win_odds and promo.win_odds.strip())
        facts["draw_time_given"] = promo.draw_at is not None
    if target is not None and len(target_ids) == 1:
        start = promo.start or now
        history = [(p.at, p.price) for p in target.price_history]
        ceiling, basis = reference_ceiling(history, start)
        _put(facts, "reference_ceiling_fen", ceiling)
        facts["ceiling_basis"] = basis
        facts.update(raise_facts(history, start))
        base = promo.reference_price if promo.reference_price is not None else last_price_before(history, start)
        _put(facts, "cut_base_fen", base if base is not None else target.current_price)
        if promo.kind in PRICE_CUTTING:
            overlapping = [p for p in same_product_promotions if p.kind in PRICE_CUTTING and _overlaps(promo, p)]
            facts["stacked_final_price_fen"] = _stacked_price(target.current_price, overlapping)
    if promo.kind == "tiered_quantity":
        tiers = sorted(promo.tiers, key=lambda t: t.min_quantity)
        facts["tier_count"] = len(tiers)
        facts["tiers_monotonic"] = all(a.discount_bp > b.discount_bp for a, b in zip(tiers, tiers[1:])) and len(
            {t.min_quantity for t in tiers}
        ) == len(tiers)
    if promo.kind == "bundle":
        _put(facts, "bundle_stock", promo.stock)
        caps = [
            products[c.product].stock // c.quantity  # type: ignore[operator]
            for c in promo.components
            if c.product in products and products[c.product].stock is not None
        ]
        if caps and len(caps) == len(promo.components):
            facts["bundle_stock_cap"] = min(caps)
    return facts


def _ready_by(product: Product, day: date) -> bool:
    """Is the product approved, or will its review (at the longest known time) be done by ``day``?"""
    if product.audit_status == "approved":
        return True
    if product.audit_status == "rejected":
        return False
    category = taxonomy().categories[product.category]
    if category.review is None or product.qualifications_submitted_on is None:
        return False  # no known review time, or not submitted: it cannot be counted on
    return _review_done_on(category.review, product.qualifications_submitted_on) <= day


def room_subjects(
    room: LiveRoom, products: dict[str, Product], now: datetime, base_path: str, file: str | None = None
) -> Iterator[Subject]:
    facts: dict[str, FactValue] = {
        "id": room.id,
        "platform": room.platform,
        "phase": room.phase,
        "quick_bar_sku_count": len(room.quick_bar),
    }
    _put(facts, "sales_record_retention_days", room.sales_record_retention_days)
    yield Subject("room", f"room:{room.id}", None, room.platform, base_path, facts, file=file)
    reference_time = room.ended_at or now
    for index, item in enumerate(room.products):
        library = products.get(item.product)
        item_facts: dict[str, FactValue] = {
            "id": room.id,
            "product": item.product,
            "platform": room.platform,
            "phase": room.phase,
            "on_sale": item.on_sale,
            "expired": item.sale_ends_at is not None and item.sale_ends_at <= reference_time,
        }
        _put(item_facts, "room_price_fen", item.room_price)
        item_facts["in_library"] = library is not None
        if library is not None:
            item_facts["library_price_fen"] = library.current_price
            if room.starts_at is not None and library.audit_status is not None:
                item_facts["ready_by_start"] = _ready_by(library, room.starts_at.date())
                item_facts["starts_at"] = room.starts_at.isoformat()
        yield Subject(
            "room_product",
            f"room:{room.id}/product:{item.product}",
            item.product,
            room.platform,
            f"{base_path}.products[{index}]",
            item_facts,
            file=file,
        )
