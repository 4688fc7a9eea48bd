"""Generate a large, realistic-looking catalog (deterministic) for the check benchmarks.

The output's suffix picks the form: ``.json`` (one document), ``.jsonl`` (a merchant line, one line
per product, then live rooms that bind some of them) or ``.xlsx`` (a shop back end's
export: Chinese headers, amounts as numbers, some products as several SKU rows; ``--rows`` counts
rows, and a merchant file is written beside it).
"""

from __future__ import annotations

import argparse
import json
import random
from collections.abc import Iterator
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
    if rng.random() < 0.1:  # a few transactions in the weeks before the check
        item["price_history"] = [{"at": f"2026-11-{day:02d}T20:00:00+08:00", "price": item.get("price2", item["price"])}
                                 for day in (10, 18, 24)]
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


MERCHANT = {"mode": "self_operated", "enterprise_verified": True, "mini_program_categories": CATEGORIES}


def room(index: int, targets: list[dict], rng: random.Random) -> dict:
    """A live room before it starts, with bound products (some at a room price off the library price)."""
    bound = [{"product": t["id"], "room_price": t.get("price2", t["price"]) if rng.random() < 0.9 else "1.00"} for t in targets]
    return {"kind": "live_room", "id": f"ROOM{index:03d}", "phase": "pre", "starts_at": "2026-11-27T20:00:00+08:00",
            "products": bound, "quick_bar": [t["id"] for t in targets[:rng.randint(10, 30)]]}


def jsonl_lines(count: int, rng: random.Random, violation_rate: float) -> Iterator[str]:
    """A merchant line, ``count`` product lines, then live rooms binding one product in a thousand."""
    yield json.dumps({"kind": "merchant", **MERCHANT}, ensure_ascii=False)
    sample: list[dict] = []
    for index in range(count):
        item = product(index, rng, violation_rate)
        if index % 1000 == 7:
            sample.append(item)
        yield json.dumps(item, ensure_ascii=False)
    for index in range(max(1, len(sample) // 40)):
        yield json.dumps(room(index, sample[index * 40:index * 40 + 40], rng), ensure_ascii=False)


HEADERS = ["商品ID", "商品名称", "平台", "类目", "商品描述", "售价(元)", "原价(元)", "库存", "预估峰值销量", "资质", "详情页",
           "封面宽", "封面高", "审核状态", "规格", "SKU价格", "SKU库存", "销量"]
PLATFORM_ZH = {"wechat": "微信", "douyin": "抖音", "taobao": "淘宝"}
AUDIT_ZH = {"approved": "审核通过", "auditing": "审核中"}


def _yuan(text: str) -> float:
    return float(text)


def xlsx_rows(rows: int, rng: random.Random, violation_rate: float) -> Iterator[list]:
    """Spreadsheet rows: one per product, or one per SKU for the one product in ten sold in several specs."""
    written = index = 0
    while written < rows:
        item = product(index, rng, violation_rate)
        index += 1
        discount = "price2" in item
        quals = "; ".join(f"{q['type']}|{q['number']}|{q['valid_until']}" for q in item["qualifications"])
        row = [item["id"], item["name"], PLATFORM_ZH[item["platform"]], item["category"], item["description"],
               _yuan(item["price2"] if discount else item["price"]), _yuan(item["price"]) if discount else None,
               item["stock"], item["expected_peak_sales"], quals, item.get("detail_url"), item["cover_width"],
               item["cover_height"], AUDIT_ZH[item["audit_status"]], None, None, None, rng.randint(0, 5000)]
        specs = rng.randint(2, 4) if rng.random() < 0.1 else 0
        if not specs:
            yield row
            written += 1
            continue
        for number in range(min(specs, rows - written)):
            sku = [f"规格{number + 1}", round(row[5] + number, 2), item["stock"] // specs]
            yield row[:14] + sku + [None] if number == 0 else [None] * 14 + sku + [None]
            written += 1


def write_xlsx(out: Path, rows: int, rng: random.Random, violation_rate: float) -> None:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("商品")
    sheet.append(["商品导出", None, "导出时间 2026-11-26"])  # a title row above the header, as shops export
    sheet.append(HEADERS)
    for row in xlsx_rows(rows, rng, violation_rate):
        sheet.append(row)
    workbook.save(out)
    (out.parent / "merchant.yaml").write_text(
        "merchant:\n  mode: 自营\n  enterprise_verified: true\n  mini_program_categories: [" + ", ".join(CATEGORIES) + "]\n",
        encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=100_000, help="products (JSON, JSONL) or rows (XLSX)")
    parser.add_argument("--violation-rate", type=float, default=0.25)
    parser.add_argument("--out", default="bench/out/catalog.json")
    args = parser.parse_args()
    rng = random.Random(20261126)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    if out.suffix == ".xlsx":
        write_xlsx(out, args.count, rng, args.violation_rate)
    elif out.suffix == ".jsonl":
        with out.open("w", encoding="utf-8") as handle:
            for line in jsonl_lines(args.count, rng, args.violation_rate):
                handle.write(line + "\n")
    else:
        doc = {"merchant": MERCHANT, "products": [product(i, rng, args.violation_rate) for i in range(args.count)]}
        out.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    print(f"wrote {args.count} {'rows' if out.suffix == '.xlsx' else 'products'} to {out} "
          f"({out.stat().st_size / 1e6:.1f} MB), violation rate {args.violation_rate}")


if __name__ == "__main__":
    main()
