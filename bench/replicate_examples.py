"""Replicate the bundled example catalog (products, promotions, live rooms) to any size.

    python bench/replicate_examples.py --count 100000 --out bench/out/examples-100k.json [--jsonl]

Copy k renames every product, promotion and room id with a ``-k`` suffix and points the copy's
promotions and rooms at the copy's products, so every cross-product fact (a promotion's stack,
a room's library prices) is as in the example. ``--edge-cases`` adds the records that make a
split check hard: a product id repeated far from its first occurrence, an invalid product before
a valid one with the same id, a product of an unknown merchant, a promotion of an unknown
product, a second merchant and a room that lists products from distant copies. The tests of the
parallel and Spark runners use it with ``--edge-cases``.
"""

from __future__ import annotations

import argparse
import copy
import json
from pathlib import Path
from typing import Any

import yaml

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def _renamed(record: dict[str, Any], suffix: str) -> dict[str, Any]:
    item = copy.deepcopy(record)
    item["id"] = f"{item['id']}{suffix}"
    return item


def replicate(count: int, *, edge_cases: bool = False) -> dict[str, Any]:
    """A catalog document of ``count`` products (plus the copies' promotions and rooms)."""
    example = json.loads((EXAMPLES / "catalog.json").read_text(encoding="utf-8"))
    merchant = yaml.safe_load((EXAMPLES / "merchant.yaml").read_text(encoding="utf-8"))["merchant"]
    products: list[dict[str, Any]] = []
    promotions: list[dict[str, Any]] = []
    rooms: list[dict[str, Any]] = []
    ids = {p["id"] for p in example["products"]}
    copy_index = 0
    while len(products) < count:
        suffix = f"-{copy_index}"
        kept: set[str] = set()  # this copy's products (the last copy may be cut short)
        for product in example["products"]:
            if len(products) == count:
                break
            products.append(_renamed(product, suffix))
            kept.add(products[-1]["id"])
        for promo in example["promotions"]:
            item = _renamed(promo, suffix)
            if "products" in item:
                item["products"] = [f"{pid}{suffix}" if pid in ids else pid for pid in item["products"]]
            for component in item.get("components", []):
                component["product"] = f"{component['product']}{suffix}"
            refs = item.get("products") or [c["product"] for c in item.get("components", [])]
            if all(ref in kept for ref in refs):
                promotions.append(item)
        for room in example["live_rooms"]:
            item = _renamed(room, suffix)
            for listed in item["products"]:
                listed["product"] = f"{listed['product']}{suffix}"
            item["quick_bar"] = [f"{pid}{suffix}" for pid in item.get("quick_bar", [])]
            if all(listed["product"] in kept for listed in item["products"]):
                rooms.append(item)
        copy_index += 1
    doc: dict[str, Any] = {"merchants": [merchant], "products": products, "promotions": promotions, "live_rooms": rooms}
    if edge_cases:
        _add_edge_cases(doc)
    return doc


def _add_edge_cases(doc: dict[str, Any]) -> None:
    products = doc["products"]
    first, middle, last = products[0], products[len(products) // 2], products[-1]
    second_merchant = copy.deepcopy(doc["merchants"][0])
    second_merchant.update(id="other-shop", name="另一家店", mode="agent", enterprise_verified=False)
    doc["merchants"].append(second_merchant)
    for product in products:  # with two merchants, a product names its own
        product["merchant"] = doc["merchants"][0]["id"]
    products.append(copy.deepcopy(first))  # the same id again, far from the first: rejected, first kept
    invalid = copy.deepcopy(middle)
    invalid["id"] = "EDGE-TWICE"
    invalid["price"] = "not a price"
    products.append(invalid)  # invalid, so the valid one after it is the first "EDGE-TWICE"
    valid = copy.deepcopy(middle)
    valid["id"] = "EDGE-TWICE"
    valid["merchant"] = "other-shop"
    products.append(valid)
    stranger = copy.deepcopy(last)
    stranger["id"] = "EDGE-STRANGER"
    stranger["merchant"] = "no-such-shop"
    products.append(stranger)
    products.insert(1, {"id": "EDGE-NOT-A-PRODUCT", "category": "apparel"})
    doc["promotions"].append({"id": "EDGE-PROMO-UNKNOWN", "kind": "direct_discount", "label": "不存在的商品",
                              "products": ["NO-SUCH-PRODUCT"], "start": "2026-11-28T20:00:00+08:00",
                              "end": "2026-11-30T23:59:59+08:00", "price": "9.90"})
    doc["promotions"].append({"id": "EDGE-PROMO-FAR", "kind": "direct_discount", "label": "远处的商品",
                              "products": [last["id"]], "start": "2026-11-28T20:00:00+08:00",
                              "end": "2026-11-30T23:59:59+08:00", "reference_price": "9999.00", "price": "1.00",
                              "period_shown": True})
    doc["live_rooms"].append({"id": "EDGE-ROOM", "platform": "wechat", "name": "跨副本直播间", "phase": "pre",
                              "products": [{"product": first["id"], "room_price": "1.00"},
                                           {"product": last["id"], "room_price": "1.00"},
                                           {"product": "EDGE-TWICE", "room_price": "1.00"},
                                           {"product": "NO-SUCH-PRODUCT", "room_price": "1.00"}],
                              "quick_bar": [first["id"]], "sales_record_retention_days": 30})


def write(doc: dict[str, Any], out: Path, jsonl: bool = False) -> None:
    """Write ``doc`` as one JSON document, or its merchants, products and rooms as JSON lines with a ``kind`` per
    line (a promotion's own ``kind`` field takes that key, so promotions stay in JSON documents)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    if not jsonl:
        out.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
        return
    with out.open("w", encoding="utf-8") as sink:
        for key, kind in (("merchants", "merchant"), ("products", "product"), ("live_rooms", "live_room")):
            for record in doc[key]:
                sink.write(json.dumps({"kind": kind, **record}, ensure_ascii=False) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--out", default="bench/out/examples.json")
    parser.add_argument("--jsonl", action="store_true", help="merchants, products and rooms as JSON lines")
    parser.add_argument("--edge-cases", action="store_true")
    args = parser.parse_args()
    doc = replicate(args.count, edge_cases=args.edge_cases)
    write(doc, Path(args.out), args.jsonl)
    print(f"wrote {len(doc['products'])} products, {len(doc['promotions'])} promotions, "
          f"{len(doc['live_rooms'])} rooms to {args.out}")


if __name__ == "__main__":
    main()
