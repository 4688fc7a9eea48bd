"""End to end: product, promotion and room inputs through facts and engine to the exact findings."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

import pytest
from conftest import NOW

import guard
from guard.facts import add_working_days, raise_facts, reference_ceiling, text_width
from guard.model import CHINA_TZ

MERCHANT = {"mode": "self_operated", "enterprise_verified": True,
            "mini_program_categories": ["apparel", "health_food", "cross_border", "food", "prepackaged_food"]}
QUALS = [{"type": "business_licence", "number": "91310000MA1", "valid_until": "2030-01-01"},
         {"type": "brand_authorization", "number": "BA-1", "valid_until": "2030-01-01"}]
CLEAN = {"id": "P1", "category": "apparel", "name": "纯棉圆领T恤", "description": "新疆长绒棉面料，透气舒适。",
         "price": "59.00", "cover_width": 300, "cover_height": 300, "detail_url": "pages/goods/detail?id=1",
         "qualifications": QUALS, "audit_status": "approved", "stock": 300, "expected_peak_sales": 100}


def run(*products: dict[str, Any], engine: str = "native", **kwargs: Any) -> guard.Report:
    return guard.check(list(products), merchant=kwargs.pop("merchant", MERCHANT), engine=engine, now=NOW, **kwargs)


def rules_of(report: guard.Report) -> list[str]:
    assert report.problems == (), report.problems
    return sorted(f.rule for f in report)


def at(day: int, hour: int = 12) -> str:
    return datetime(2026, 11, day, hour, tzinfo=CHINA_TZ).isoformat()


def test_clean_product_has_no_findings(engine) -> None:
    report = guard.check([CLEAN], merchant=MERCHANT, engine=engine, now=NOW)
    assert rules_of(report) == []
    assert (report.summary.read, report.summary.checked, report.summary.rejected) == (2, 1, 0)


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"name": "纯棉圆领短袖T恤男女同款宽松百搭"}, ["LIST-001"]),
        ({"name": "衫"}, ["LIST-002"]),
        ({"name": "123456"}, ["LIST-003"]),
        ({"price2": "49"}, ["LIST-004"]),
        ({"price_type": "range", "price2": "59"}, ["LIST-005"]),
        ({"price_type": "discount", "price": "59", "price2": "69", "price_history": [{"at": "2026-11-25T10:00:00+08:00", "price": "69"}]}, ["LIST-006"]),
        ({"cover_width": 800}, ["LIST-007"]),
        ({"detail_url": None}, ["LIST-008"]),
        ({"qualifications": QUALS[:1]}, ["QUAL-002"]),
        ({"qualifications": []}, ["QUAL-001", "QUAL-002"]),
        ({"qualifications": [QUALS[0], {**QUALS[1], "valid_until": "2026-11-25"}]}, ["QUAL-020"]),
        ({"audit_status": "auditing"}, ["QUAL-021"]),
        ({"stock": 299}, ["INV-001"]),
        ({"category": "general"}, ["PERM-002"]),
        ({"description": "这是全网最好的T恤"}, ["CONTENT-001"]),
        ({"platform": "douyin", "name": "纯棉圆领T恤 最好", "detail_url": None, "cover_width": 999}, ["CONTENT-001"]),
    ],
)
def test_one_change_one_finding(changes: dict[str, Any], expected: list[str], engine) -> None:
    product = {k: v for k, v in {**CLEAN, **changes}.items() if v is not None}
    assert rules_of(guard.check([product], merchant=MERCHANT, engine=engine, now=NOW)) == expected


@pytest.mark.parametrize(
    ("merchant", "expected"),
    [
        ({**MERCHANT, "enterprise_verified": False}, ["PERM-001"]),
        ({"mode": "service_provider", "official_provider": True, "authorized_categories": ["apparel"]}, []),
        ({"mode": "service_provider", "official_provider": False, "authorized_categories": ["home"]}, ["PERM-003", "PERM-004"]),
        ({"mode": "wecom", "employee_real_name": True, "entity_bound": True}, []),
        ({"mode": "wecom", "employee_real_name": False, "entity_bound": False}, ["PERM-005", "PERM-006"]),
    ],
)
def test_permission_by_merchant_mode(merchant: dict[str, Any], expected: list[str]) -> None:
    assert rules_of(run(CLEAN, merchant=merchant)) == expected


@pytest.mark.parametrize(
    ("product", "expected"),
    [
        ({"category": "cross_border", "qualifications": QUALS[:1]}, ["QUAL-003", "QUAL-004"]),
        ({"category": "virtual_service", "qualifications": []}, ["PERM-002", "QUAL-005", "QUAL-006"]),
        ({"category": "health_food", "description": "增强体质，本品不能代替药物。",
          "qualifications": [*QUALS, {"type": "food_licence"}, {"type": "health_food_registration"}]}, []),
        ({"category": "health_food", "description": "增强体质。",
          "qualifications": [*QUALS, {"type": "prepackaged_food_filing"}]}, ["QUAL-008", "QUAL-017"]),
        ({"category": "special_control_drug", "qualifications": QUALS}, ["PERM-002", "QUAL-018"]),
        ({"category": "rx_drug", "qualifications": [*QUALS, {"type": "drug_trading_licence"}]}, ["PERM-002", "QUAL-019"]),
        ({"category": "medical_device_3", "qualifications": [*QUALS, {"type": "device_registration"},
                                                                {"type": "device_trading_filing"}]}, ["PERM-002", "QUAL-015"]),
    ],
)
def test_category_qualifications(product: dict[str, Any], expected: list[str]) -> None:
    assert rules_of(run({**CLEAN, **product})) == expected


def test_weixin_store_rules() -> None:
    store = {**CLEAN, "channels": ["weixin_store"], "name": "TEE √", "head_images": ["a", "a"], "stock": 0,
             "expected_peak_sales": 0}
    assert rules_of(run(store)) == ["INV-002", "LIST-009", "LIST-011", "LIST-012", "LIST-013", "LIST-014"]
    food = {**CLEAN, "category": "food", "channels": ["weixin_store"], "head_images": ["a", "b", "c"],
            "qualifications": [*QUALS, {"type": "food_licence"}]}
    assert rules_of(run(food)) == ["LIST-013"]
    assert rules_of(run({**food, "head_images": ["a", "b", "c", "d"]})) == []


def test_reference_price_and_raise_then_cut(engine) -> None:
    history = [{"at": at(10), "price": "79"}, {"at": at(20), "price": "99"}, {"at": at(22), "price": "89"}]
    product = {**CLEAN, "price": "99", "price_history": history}
    promo = {"id": "D1", "kind": "direct_discount", "products": ["P1"], "start": at(24, 20), "end": at(25, 23),
             "reference_price": "99", "price": "69", "period_shown": True}
    report = run(product, promotions=[promo], engine=engine)
    findings = {f.rule: f for f in report if f.subject == "promotion:D1"}
    assert sorted(findings) == ["PRICE-001", "PRICE-002"]
    assert findings["PRICE-001"].message == "活动 D1 标示的原价 99.00 元高于7日内最低成交价 89.00 元。"
    assert findings["PRICE-002"].message == ("活动 D1 开始前 7 日内商品价格从 79.00 元上调了 25.31%，"
                                             "降价却以 99.00 元为基准，构成先涨后降。")
    honest = {**promo, "reference_price": "89"}
    steady = {**product, "price_history": [{"at": at(10), "price": "89"}, {"at": at(20), "price": "89"}]}
    assert [f.rule for f in run(steady, promotions=[honest], engine=engine) if f.topic == "pricing"] == []


def test_promotion_tools() -> None:
    products = [CLEAN, {**CLEAN, "id": "P2", "stock": 5, "expected_peak_sales": 1}]
    promotions = [
        {"id": "T1", "kind": "tiered_quantity", "products": ["P1"], "tiers": [
            {"min_quantity": 2, "discount_bp": 8000}, {"min_quantity": 3, "discount_bp": 9000}]},
        {"id": "B1", "kind": "bundle", "components": [{"product": "P1", "quantity": 1}, {"product": "P2", "quantity": 2}],
         "stock": 3},
        {"id": "L1", "kind": "lottery", "products": ["P2"], "top_prize": "50000.01", "prize_name": "电动车",
         "prize_quantity": 1, "draw_at": at(30)},
        {"id": "C1", "kind": "coupon", "products": ["P2"], "discount": "80"},
        {"id": "F1", "kind": "direct_discount", "products": ["P2"], "end": at(30), "price": "40"},
    ]
    report = run(*products, promotions=promotions)
    by_subject = sorted((f.subject, f.rule) for f in report if f.topic == "promotion")
    assert by_subject == [
        ("promotion:B1", "PROMO-002"), ("promotion:C1", "PROMO-003"), ("promotion:F1", "PROMO-003"),
        ("promotion:F1", "PROMO-005"), ("promotion:L1", "PROMO-004"), ("promotion:T1", "PROMO-001"),
    ]


def test_threshold_discounts_gifts_and_lottery_disclosure() -> None:
    promotions = [
        {"id": "M1", "kind": "threshold_discount", "products": ["P1"], "threshold": "300", "discount": "50"},
        {"id": "M2", "kind": "threshold_discount", "products": ["P1"], "threshold": "50", "discount": "50"},
        {"id": "M3", "kind": "threshold_discount", "products": ["P1"], "discount": "50"},
        {"id": "G1", "kind": "gift", "products": ["P1"], "prize_name": "试用装", "prize_quantity": 2},
        {"id": "G2", "kind": "gift", "products": ["P1"], "prize_name": "试用装"},
        {"id": "L1", "kind": "lottery", "products": ["P1"], "top_prize": "100", "prize_name": "保温杯", "win_odds": "1/50",
         "draw_at": at(30)},
        {"id": "L2", "kind": "lottery", "products": ["P1"], "top_prize": "100", "prize_name": "保温杯"},
    ]
    by_subject = sorted((f.subject, f.rule) for f in run(CLEAN, promotions=promotions) if f.topic == "promotion")
    assert by_subject == [("promotion:G2", "PROMO-009"), ("promotion:L2", "PROMO-008"),
                          ("promotion:M2", "PROMO-007"), ("promotion:M3", "PROMO-007")]


def test_live_room_phases(engine) -> None:
    products = [CLEAN, {**CLEAN, "id": "P2"}]
    rooms = [
        {"id": "R-pre", "phase": "pre", "products": [{"product": "P1", "room_price": "49"}, {"product": "P2", "room_price": "59"}],
         "sales_record_retention_days": 1095},
        {"id": "R-live", "phase": "live", "quick_bar": [f"P{i}" for i in range(21)], "sales_record_retention_days": 1095},
        {"id": "R-post", "phase": "post", "ended_at": at(25, 22), "sales_record_retention_days": 7, "products": [
            {"product": "P1", "on_sale": True, "sale_ends_at": at(25, 21)},
            {"product": "P2", "on_sale": True, "sale_ends_at": at(30)}]},
    ]
    report = run(*products, live_rooms=rooms, engine=engine)
    pairs = sorted((f.subject, f.rule) for f in report)
    assert pairs == sorted([
        ("room:R-post", "RET-001"), ("room:R-post", "ROOM-004"), ("room:R-post/product:P1", "ROOM-003"),
        ("room:R-live", "ROOM-002"), ("room:R-pre/product:P1", "ROOM-001"),
    ])


def test_content_finding_carries_offsets_and_platform_scope() -> None:
    product = {**CLEAN, "description": "第一次穿就爱上，这是最好的面料。"}
    [finding] = [f for f in run(product) if f.topic == "content"]
    text = product["description"]
    assert (finding.start, finding.end, finding.matched, finding.family) == (10, 12, "最好", "absolute")
    assert text[finding.start:finding.end] == finding.matched
    assert (finding.line, finding.column, finding.path) == (1, 11, "$.products[0].description")


def test_report_is_json_serialisable_and_frozen() -> None:
    report = run({**CLEAN, "cover_width": 900})
    data = json.loads(json.dumps(report.to_dict(), ensure_ascii=False))
    assert [f["rule"] for f in data["findings"]] == ["LIST-007"]
    assert set(data["findings"][0]) >= {"rule", "topic", "tier", "penalty", "platform", "product", "path",
                                        "message", "fix", "sources"}
    with pytest.raises(AttributeError):
        report.findings[0].tier = "info"  # type: ignore[misc]


def test_english_messages_and_platform_override() -> None:
    report = guard.check([{**CLEAN, "cover_width": 900}], merchant=MERCHANT, now=NOW, lang="en", platform="douyin")
    assert [f.rule for f in report] == []
    [finding] = guard.check([{**CLEAN, "cover_width": 900}], merchant=MERCHANT, now=NOW, lang="en")
    assert finding.message == "The cover is 900×300 px; 小程序直播 allows at most 300×300."
    assert finding.penalty == ("inferred from the minor tier: warning notice "
                               "(no source tiers this item; configurable)")  # the seed tiers no cover size


def test_a_tier_the_seed_sets_shows_its_penalty_plainly() -> None:
    [finding] = [f for f in guard.check([{**CLEAN, "description": "外贸原单，A货"}], merchant=MERCHANT, now=NOW)
                 if f.matched == "A货"]
    assert (finding.rule, finding.tier, finding.penalty) == ("CONTENT-011", "severe", "封禁直播权限")
    [cover] = guard.check([{**CLEAN, "cover_width": 900}], merchant=MERCHANT, now=NOW)
    assert cover.penalty == "按轻微违规推定：警告通知（种子与来源均未给本项定级，可配置）"


def test_unknown_references_are_problems_not_silence() -> None:
    report = guard.check([{**CLEAN, "merchant": "nobody"}], merchant=MERCHANT, now=NOW,
                         promotions=[{"id": "X", "kind": "coupon", "products": ["ghost"], "discount": 1}])
    assert [(p.path, p.record) for p in report.problems] == [("$.merchant", "P1"), ("$.products", "X")]
    assert report.summary.rejected == 2 and list(report) == []


def test_fact_helpers() -> None:
    assert text_width("纯棉T恤") == 7
    assert add_working_days(date(2026, 11, 27), 3) == date(2026, 12, 2)  # Friday + 3 working days
    start = datetime(2026, 11, 25, tzinfo=CHINA_TZ)
    history = [(datetime(2026, 11, 1, tzinfo=CHINA_TZ), 100), (datetime(2026, 11, 20, tzinfo=CHINA_TZ), 120)]
    assert reference_ceiling(history, start) == (120, "7日内最低成交价")
    assert reference_ceiling(history[:1], start) == (100, "最近一次成交价")
    assert reference_ceiling([], start) == (None, "无成交记录")
    assert raise_facts(history, start) == {"raise_in_window_bp": 2000, "pre_raise_price_fen": 100}
    assert raise_facts(history[:1], start) == {"raise_in_window_bp": 0}
    assert raise_facts([], start) == {}


def _pricing(product: dict[str, Any], promo: dict[str, Any], engine: str = "native") -> list[str]:
    return sorted(f.rule for f in run(product, promotions=[promo], engine=engine) if f.topic == "pricing")


def test_raise_then_cut_inside_the_window_is_found(engine) -> None:
    """99 on 11-25, 129 on 11-28, a 'discount' on 12-01: the earlier, lower price lies inside the window too."""
    history = [{"at": "2026-11-25T12:00:00+08:00", "price": "99"}, {"at": "2026-11-28T12:00:00+08:00", "price": "129"}]
    product = {**CLEAN, "price": "129", "price_history": history}
    promo = {"id": "D2", "kind": "direct_discount", "products": ["P1"], "start": "2026-12-01T10:00:00+08:00",
             "end": "2026-12-02T10:00:00+08:00", "price": "109", "period_shown": True}
    assert _pricing(product, promo, engine) == ["PRICE-002"]


def test_a_lottery_after_a_raise_is_no_raise_then_cut(engine) -> None:
    history = [{"at": at(10), "price": "79"}, {"at": at(20), "price": "99"}]
    product = {**CLEAN, "price": "99", "price_history": history}
    lottery = {"id": "L1", "kind": "lottery", "products": ["P1"], "start": at(24), "top_prize": "100"}
    assert "PRICE-002" not in _pricing(product, lottery, engine)


def test_an_honest_reference_after_a_short_blip_is_no_raise_then_cut(engine) -> None:
    history = [{"at": at(1), "price": "89"}, {"at": at(20), "price": "109"}, {"at": at(22), "price": "89"}]
    product = {**CLEAN, "price": "89", "price_history": history}
    promo = {"id": "D3", "kind": "direct_discount", "products": ["P1"], "start": at(24), "end": at(25),
             "reference_price": "89", "price": "79", "period_shown": True}
    assert _pricing(product, promo, engine) == []
    assert _pricing(product, {**promo, "reference_price": "109"}, engine) == ["PRICE-001", "PRICE-002"]


def test_a_catalog_can_be_checked_twice_with_the_same_result(tmp_path) -> None:
    from guard.io.catalog import load_catalog

    path = tmp_path / "c.json"
    path.write_text(json.dumps({"products": [{**CLEAN, "merchant": "ghost"}, {**CLEAN, "id": "P2", "cover_width": 999}],
                                "merchants": [MERCHANT]}, ensure_ascii=False), encoding="utf-8")
    catalog = load_catalog([path])
    first, second = guard.check_catalog(catalog, now=NOW), guard.check_catalog(catalog, now=NOW)
    assert first == second
    assert (first.summary.rejected, [p.path for p in first.problems], [f.rule for f in first]) == (1, ["$.merchant"], ["LIST-007"])


def test_findings_point_at_the_field() -> None:
    report = run({**CLEAN, "cover_width": 900, "qualifications": QUALS[:1]}, live_rooms=[
        {"id": "R", "phase": "pre", "products": [{"product": "P1", "room_price": "1"}], "sales_record_retention_days": 2000}])
    assert sorted((f.rule, f.path) for f in report) == [
        ("LIST-007", "$.products[0].cover_width"), ("QUAL-002", "$.products[0].qualifications"),
        ("ROOM-001", "$.live_rooms[0].products[0].room_price"),
    ]


@pytest.mark.parametrize("name, bad", [("新款Ⅲ代", "Ⅲ"), ("①号款", "①"), ("面积m²", "²"), ("半价½", "½")])
def test_weixin_store_title_counts_only_letters_and_decimal_digits(name: str, bad: str) -> None:
    """Ⅲ, ①, ² and ½ are neither letters nor digits for the title rules (str.isalnum says they are)."""
    facts = guard.facts.product_facts(guard.model.Product.model_validate(
        {**CLEAN, "channels": ["weixin_store"], "name": name}), None, date(2026, 11, 26))
    assert facts["store_title_chars"] == len(name) - 1
    assert facts["store_title_bad_symbols"] == 1
    findings = run({**CLEAN, "channels": ["weixin_store"], "name": name + "纯棉圆领T恤"})
    assert any(f.rule == "LIST-012" and bad in f.message for f in findings)


def test_a_products_own_original_price_is_held_to_the_7_day_low(engine) -> None:
    """A 原价 of 299 on goods sold at 169 for 16 days is above the 7-day low."""
    history = [{"at": at(day), "price": "169"} for day in range(10, 26)]
    shown = {**CLEAN, "price_type": "discount", "price": "299", "price2": "169", "price_history": history}
    findings = [f for f in run(shown, engine=engine) if f.topic == "pricing"]
    assert [f.rule for f in findings] == ["PRICE-007"]
    assert findings[0].message == "商品 P1 显示的原价 299.00 元高于7日内最低成交价 169.00 元。"
    assert [f.rule for f in run({**shown, "price": "169.01", "price2": "149"}, engine=engine) if f.topic == "pricing"] == ["PRICE-007"]
    assert [f.rule for f in run({**shown, "price": "169", "price2": "149"}, engine=engine) if f.topic == "pricing"] == []
    assert [f.rule for f in run({**shown, "price_history": []}, engine=engine) if f.topic == "pricing"] == ["PRICE-008"]


def test_a_time_limited_discount_without_an_end_time_shows_no_period(engine) -> None:
    promo = {"id": "T1", "kind": "direct_discount", "products": ["P1"], "start": at(24), "time_limited": True,
             "period_shown": True, "price": "49"}
    assert "PROMO-005" in [f.rule for f in run(CLEAN, promotions=[promo], engine=engine)]
    assert "PROMO-005" not in [f.rule for f in run(CLEAN, promotions=[{**promo, "end": at(25)}], engine=engine)]


@pytest.mark.parametrize(("category", "extra", "days", "go_live"), [
    ("apparel", [], "1-3", "2026-12-01"),          # seed: 普通实物商品 1-3 working days
    ("cross_border", [{"type": "customs_filing"}, {"type": "ciq_certificate"}], "3-5", "2026-12-03"),
    ("virtual_service", [{"type": "icp_licence"}, {"type": "service_agreement"}], "2-4", "2026-12-02"),
])
def test_review_days_follow_the_seed(category: str, extra: list, days: str, go_live: str) -> None:
    product = {**CLEAN, "category": category, "audit_status": "auditing", "qualifications": [*QUALS, *extra],
               "qualifications_submitted_on": "2026-11-26"}
    merchant = {**MERCHANT, "mini_program_categories": [category]}
    review = [f for f in run(product, merchant=merchant) if f.rule == "QUAL-021"]
    assert len(review) == 1
    assert f"审核需 {days} 个工作日，最早可上线日期 {go_live}" in review[0].message


def test_special_categories_borrow_no_review_time_and_an_unknown_status_says_nothing() -> None:
    product = {**CLEAN, "category": "cosmetics", "audit_status": "auditing",
               "qualifications": [*QUALS, {"type": "cosmetics_filing"}]}
    merchant = {**MERCHANT, "mini_program_categories": ["cosmetics"]}
    assert [f.rule for f in run(product, merchant=merchant) if f.topic == "qualification"] == ["QUAL-022"]
    unknown = {k: v for k, v in CLEAN.items() if k != "audit_status"}
    assert [f.rule for f in run(unknown) if f.topic == "qualification"] == []


def test_room_readiness_before_the_start(engine) -> None:
    """seed 二/三: every bound product is in the library and approved, its review done before the start."""
    approved = CLEAN
    pending = {**CLEAN, "id": "P2", "audit_status": "auditing", "qualifications_submitted_on": "2026-11-26"}
    special = {**CLEAN, "id": "P3", "category": "cosmetics", "audit_status": "auditing",
               "qualifications": [*QUALS, {"type": "cosmetics_filing"}], "qualifications_submitted_on": "2026-11-20"}
    merchant = {**MERCHANT, "mini_program_categories": ["apparel", "cosmetics"]}
    room = {"id": "R1", "phase": "pre", "starts_at": "2026-11-30T20:00:00+08:00",
            "products": [{"product": "P1"}, {"product": "P2"}, {"product": "P3"}, {"product": "P9"}]}
    report = run(approved, pending, special, live_rooms=[room], merchant=merchant, engine=engine)
    pairs = sorted((f.subject, f.rule) for f in report if f.topic == "room")
    # P2: apparel takes up to 3 working days from Thu 11-26, so Tue 12-01 > Mon 11-30; P3: no known time
    assert pairs == [("room:R1/product:P2", "ROOM-006"), ("room:R1/product:P3", "ROOM-006"),
                     ("room:R1/product:P9", "ROOM-005")]
    later = {**room, "starts_at": "2026-12-01T20:00:00+08:00"}
    pairs = sorted((f.subject, f.rule) for f in run(approved, pending, special, live_rooms=[later], merchant=merchant,
                                                     engine=engine) if f.topic == "room")
    assert ("room:R1/product:P2", "ROOM-006") not in pairs


def test_a_merchant_without_the_live_component_cannot_list() -> None:
    findings = run(CLEAN, merchant={**MERCHANT, "live_component": False})
    assert "PERM-008" in [f.rule for f in findings]
    assert "PERM-008" not in [f.rule for f in run(CLEAN, merchant={**MERCHANT, "live_component": True})]


def test_a_sponsored_product_must_show_the_ad_label_and_the_seller() -> None:
    assert "CONTENT-013" in [f.rule for f in run({**CLEAN, "sponsored": True})]
    assert "CONTENT-013" not in [f.rule for f in run({**CLEAN, "sponsored": True, "ad_label_shown": True})]
    assert "CONTENT-013" in [f.rule for f in run({**CLEAN, "sponsored": True, "ad_label_shown": True,
                                                  "seller_identity_shown": False})]
    assert "CONTENT-013" not in [f.rule for f in run(CLEAN)]


def test_taobao_titles_are_counted_in_bytes() -> None:
    thirty = "纯" * 30
    assert "LIST-015" not in [f.rule for f in run({**CLEAN, "name": thirty}, platform="taobao")]
    assert "LIST-015" in [f.rule for f in run({**CLEAN, "name": thirty + "A"}, platform="taobao")]
    assert "LIST-015" not in [f.rule for f in run({**CLEAN, "name": thirty + "A"})]  # wechat


def test_a_bundle_without_stock_numbers_is_reported_not_passed() -> None:
    products = [CLEAN, {**{k: v for k, v in CLEAN.items() if k != "stock"}, "id": "P2"}]
    bundle = {"id": "B2", "kind": "bundle", "components": [{"product": "P1"}, {"product": "P2"}], "stock": 3}
    rules = [f.rule for f in run(*products, promotions=[bundle]) if f.subject == "promotion:B2"]
    assert rules == ["PROMO-006"]
    assert [f.rule for f in run(CLEAN, promotions=[{**bundle, "components": [{"product": "P1"}]}])
            if f.subject == "promotion:B2"] == []


def test_a_store_product_has_at_most_500_skus() -> None:
    store = {**CLEAN, "channels": ["weixin_store"], "name": "纯棉圆领T恤男款", "head_images": ["a", "b", "c"]}
    assert "LIST-016" in [f.rule for f in run({**store, "sku_count": 501})]
    assert "LIST-016" not in [f.rule for f in run({**store, "sku_count": 500})]


def test_several_merchants_and_a_product_naming_none_get_the_advice(tmp_path) -> None:
    path = tmp_path / "two.json"
    path.write_text(json.dumps({"merchants": [{**MERCHANT, "id": "M1"}, {**MERCHANT, "id": "M2"}],
                                "products": [CLEAN, {**CLEAN, "id": "P2", "merchant": "M2"}]}, ensure_ascii=False),
                    encoding="utf-8")
    report = guard.check_files([str(path)], now=NOW)
    assert sorted((f.subject, f.rule) for f in report if f.topic == "permission") == [("product:P1", "PERM-007")]


@pytest.mark.parametrize(("seconds", "zh", "en"), [
    (86401, "24小时0分1秒", "24 h 0 min 1 s"), (601, "10分1秒", "10 min 1 s"), (59, "59秒", "59 s"), (0, "0秒", "0 s")])
def test_durations_read_in_hours_minutes_and_seconds(seconds: int, zh: str, en: str) -> None:
    from guard.findings import format_value

    assert format_value(seconds, "duration") == zh
    assert format_value(seconds, "duration_en") == en


def test_english_messages_name_bases_and_categories_in_english() -> None:
    history = [{"at": at(10), "price": "79"}, {"at": at(22), "price": "89"}]
    promo = {"id": "D1", "kind": "direct_discount", "products": ["P1"], "start": at(24, 20), "end": at(25, 23),
             "reference_price": "99", "price": "69", "period_shown": True}
    [price] = [f for f in guard.check([{**CLEAN, "price": "89", "price_history": history}], merchant=MERCHANT, now=NOW,
                                      promotions=[promo], lang="en") if f.rule == "PRICE-001"]
    assert "above the lowest transaction price of the 7 days before of 89.00 yuan" in price.message
    [perm] = [f for f in guard.check([{**CLEAN, "category": "general"}], merchant=MERCHANT, now=NOW, lang="en")
              if f.rule == "PERM-002"]
    assert "(apparel, health_food, cross_border, food, prepackaged_food)" in perm.message
