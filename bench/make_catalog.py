"""Generate a large, realistic-looking catalog (deterministic) for the check benchmark."""

from __future__ import annotations

import argparse
import json
import random
from pathlib import Path

CATEGORIES = ["apparel", "general", "home", "electronics", "prepackaged_food", "cosmetics", "fresh_produce",
              "health_food", "cross_border", "virtual_service", "special_cosmetics", "medical_device_2"]
NOUNS = ["纯棉T恤", "保温杯", "蓝牙耳机", "面霜", "坚果礼盒", "羊毛围巾", "收纳箱", "防晒霜", "燕麦片", "数据线", "连衣裙", "电饭煲"]
ADJ = ["新款", "经典", "轻薄", "加厚", "简约", "复古", "家用", "便携"]
DESCRIPTIONS = ["面料柔软透气，日常百搭。", "容量适中，方便携带。", "口感香脆，独立小包装。", "做工扎实，细节用心。",
                "这是全网最好的一款，效果第一。", "可以消炎祛痘，天然无刺激。", "适合通勤和居家使用。", "颜色有三种可选。"]
CLEAN_DESCRIPTIONS = DESCRIPTIONS[:4] + DESCRIPTIONS[6:]
# what each generated category needs (mirrors rules/categories.yaml, so clean products are clean)
NEEDS = {
    "apparel": ["business_licence", "brand_authorization"], "general": ["business_licence", "brand_authorization"],
    "home": ["business_licence", "brand_authorization"], "electronics": ["business_licence", "brand_authorization"],
    "prepackaged_food": ["business_licence", "brand_authorization", "food_licence"],
    "cosmetics": ["business_licence", "brand_authorization", "cosmetics_filing"],
    "fresh_produce": ["business_licence", "food_licence"],
    "health_food": ["business_licence", "brand_authorization", "food_licence", "health_food_registration"],
    "cross_border": ["business_licence", "customs_filing", "ciq_certificate"],
    "virtual_service": ["icp_licence", "service_agreement"],
    "special_cosmetics": ["business_licence", "brand_authorization", "special_cosmetics_registration"],
    "medical_device_2": ["business_licence", "brand_authorization", "device_registration", "device_trading_filing"],
}


def product(index: int, rng: random.Random, violation_rate: float) -> dict:
    """A product; with probability ``violation_rate`` it carries one to three typical mistakes."""
    price = rng.randint(500, 99900)
    category = rng.choice(CATEGORIES)
    item: dict = {
        "id": f"B{index:07d}",
        "platform": rng.choice(["wechat", "wechat", "wechat", "douyin", "taobao"]),
        "category": category,
        "name": rng.choice(ADJ) + rng.choice(NOUNS),
        "description": rng.choice(CLEAN_DESCRIPTIONS) + ("本品不能代替药物。" if category == "health_food" else ""),
        "price": f"{price // 100}.{price % 100:02d}",
        "cover_width": 300,
        "cover_height": 300,
        "detail_url": f"pages/goods/detail?id={index}",
        "qualifications": [{"type": q, "number": f"N{index}-{q[:3]}", "valid_until": "2028-12-31"} for q in NEEDS[category]],
        "stock": rng.randint(300, 2000),
        "expected_peak_sales": rng.randint(1, 100),
        "audit_status": "approved",
    }
    if rng.random() < 0.3:
        second = price - rng.randint(100, 5000)
        item["price_type"] = "discount"
        item["price2"] = f"{max(second, 1) // 100}.{max(second, 1) % 100:02d}"
    if rng.random() < 0.2:
        item["channels"] = ["miniprogram_live", "weixin_store"]
        item["head_images"] = [f"img{i}" for i in range(4)]
    if rng.random() < violation_rate:
        for mistake in rng.sample(MISTAKES, rng.randint(1, 3)):
            mistake(item, rng)
    return item


def _wide_name(item: dict, rng: random.Random) -> None:
    item["name"] += "加长版特别款限量"


def _banned_words(item: dict, rng: random.Random) -> None:
    item["description"] = rng.choice(DESCRIPTIONS[4:6])


def _big_cover(item: dict, rng: random.Random) -> None:
    item["cover_width"] = 800


def _no_detail(item: dict, rng: random.Random) -> None:
    del item["detail_url"]


def _expired(item: dict, rng: random.Random) -> None:
    item["qualifications"][0]["valid_until"] = "2026-01-01"


def _missing_document(item: dict, rng: random.Random) -> None:
    item["qualifications"].pop()


def _low_stock(item: dict, rng: random.Random) -> None:
    item["stock"] = item["expected_peak_sales"]


def _in_review(item: dict, rng: random.Random) -> None:
    item["audit_status"] = "auditing"


MISTAKES = [_wide_name, _banned_words, _big_cover, _no_detail, _expired, _missing_document, _low_stock, _in_review]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--violation-rate", type=float, default=0.25)
    parser.add_argument("--out", default="bench/out/catalog.json")
    args = parser.parse_args()
    rng = random.Random(20261126)
    doc = {
        "merchant": {"mode": "self_operated", "enterprise_verified": True,
                     "mini_program_categories": CATEGORIES},
        "products": [product(i, rng, args.violation_rate) for i in range(args.count)],
    }
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    print(f"wrote {args.count} products to {out} ({out.stat().st_size / 1e6:.1f} MB), violation rate {args.violation_rate}")


if __name__ == "__main__":
    main()
