"""Back-end export profiles: a back end's own names, amounts in fen, SKU lists and platform categories."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from guard.errors import InputFileError
from guard.io.catalog import load_catalog
from guard.io.profiles import ColumnMap, fen_to_yuan, resolve_category
from guard.io.readers import load_column_map

EXPORTS = Path(__file__).resolve().parents[1] / "examples" / "exports"
PACKAGE_HEAD = ["version 1.00", "title\tcid\tprice\tnum\tdescription\touter_id\tnum_id",
                "宝贝名称\t宝贝类目\t宝贝价格\t宝贝数量\t宝贝描述\t商家编码\t数字ID"]


def _package(tmp_path: Path, *rows: str) -> str:
    """A 千牛/淘宝助理 data package as it is saved: UTF-16 with a byte-order mark, tab-separated."""
    path = tmp_path / "package.csv"
    path.write_bytes(("\r\n".join([*PACKAGE_HEAD, *rows]) + "\r\n").encode("utf-16"))
    return str(path)


def _jsonl(tmp_path: Path, *records: dict[str, object]) -> str:
    path = tmp_path / "api.jsonl"
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    return str(path)


def test_a_taobao_data_package_reads_its_chinese_header_row_not_the_api_names_above_it(tmp_path: Path) -> None:
    path = _package(tmp_path, "纯棉圆领T恤\tapparel\t59.00\t300\t<p>纯棉</p>\tTX-1\t680123456789")
    catalog = load_catalog([path])
    assert catalog.problems == []
    [(product, _, location)] = catalog.products
    assert (product.id, product.name, product.price, product.stock, product.platform, location) == (
        "680123456789", "纯棉圆领T恤", 5900, 300, "taobao", "row 4")
    notice = next(w for w in catalog.warnings if "千牛" in (w.message_zh or ""))
    assert notice.location == "row 3" and "宝贝名称" in notice.message_zh


def test_a_profile_names_its_id_columns_in_order_and_the_first_filled_one_wins(tmp_path: Path) -> None:
    path = _package(tmp_path, "圆领T恤\tapparel\t59\t1\t\tTX-1\t680100000001",
                    "羊毛围巾\tapparel\t89\t1\t\tWJ-2\t")  # a new item has no 数字ID yet: its 商家编码 names it
    assert [p.id for p, _, _ in load_catalog([path]).products] == ["680100000001", "WJ-2"]


def test_utf16_text_is_read(tmp_path: Path) -> None:
    path = tmp_path / "unicode-text.csv"
    path.write_bytes("商品ID\t商品名称\t类目\t售价\nA1\t羊毛围巾\tapparel\t89.00\n".encode("utf-16"))
    [(product, _, _)] = load_catalog([str(path)]).products
    assert (product.id, product.name, product.price) == ("A1", "羊毛围巾", 8900)


def test_a_tab_separated_csv_is_split_on_tabs_and_a_comma_separated_one_on_commas(tmp_path: Path) -> None:
    tabbed = tmp_path / "tabbed.csv"
    tabbed.write_text("商品ID\t商品名称\t类目\t售价\nA1\t围巾, 羊毛\tapparel\t89\n", encoding="utf-8")
    comma = tmp_path / "comma.csv"
    comma.write_text("商品ID,商品名称,类目,售价\nA2,围巾\t羊毛,apparel,89\n", encoding="utf-8")
    names = [p.name for p, _, _ in load_catalog([str(tabbed), str(comma)]).products]
    assert names == ["围巾, 羊毛", "围巾\t羊毛"]


def test_a_csv_is_tab_separated_only_when_its_first_lines_hold_more_tabs_than_commas(tmp_path: Path) -> None:
    tabbed = tmp_path / "tabbed.csv"  # 6 tabs, 5 commas
    tabbed.write_text("商品ID\t商品名称\t类目\t售价\nA1\t围巾, 羊毛, 灰色, 加厚, 长款, 冬季\tapparel\t89\n", encoding="utf-8")
    even = tmp_path / "even.csv"  # 6 commas, 6 tabs: comma, the default
    even.write_text("商品ID,商品名称,类目,售价\nA2,围巾\t羊毛\t灰色\t加厚\t长款\t冬季\t男女,apparel,89\n", encoding="utf-8")
    names = [p.name for p, _, _ in load_catalog([str(tabbed), str(even)]).products]
    assert names == ["围巾, 羊毛, 灰色, 加厚, 长款, 冬季", "围巾\t羊毛\t灰色\t加厚\t长款\t冬季\t男女"]


WEIXIN = {"product_id": 10000123, "out_product_id": "WX-1", "title": "陶瓷马克杯 350ml",
          "head_imgs": ["a.jpg", "b.jpg", "c.jpg"], "desc_info": {"desc": "可进洗碗机。", "imgs": []},
          "cats": [{"cat_id": "1421"}, {"cat_id": "1452"}],
          "skus": [{"sku_id": "9001", "sale_price": 5900, "market_price": 7900, "stock_num": 120,
                    "sku_attrs": [{"attr_key": "颜色", "attr_value": "白色"}]},
                   {"sku_id": "9002", "sale_price": 6900, "market_price": 7900, "stock_num": 80}],
          "deliver_method": 0}


def test_a_weixin_store_api_record_reads_fen_skus_and_its_category_path(tmp_path: Path) -> None:
    path = _jsonl(tmp_path, WEIXIN)
    catalog = load_catalog([path], ColumnMap({}, {"1452": "home"}))
    assert catalog.problems == []
    [(product, _, _)] = catalog.products
    assert (product.id, product.name, product.category, product.description) == ("10000123", "陶瓷马克杯 350ml", "home", "可进洗碗机。")
    assert [(s.id, s.price, s.stock, s.spec) for s in product.skus] == [("9001", 5900, 120, "白色"), ("9002", 6900, 80, None)]
    # the 划线价 both SKUs share, beside the lowest selling price: a discount display
    assert (product.price_type, product.price, product.price2, product.stock) == ("discount", 7900, 5900, 200)
    assert (product.platform, product.channels, product.head_images) == ("wechat", ("weixin_store",), ("a.jpg", "b.jpg", "c.jpg"))
    ignored = next(w for w in catalog.warnings if "已忽略" in (w.message_zh or ""))
    assert "deliver_method" in ignored.message_zh


def test_skus_with_different_reference_prices_make_no_discount_display(tmp_path: Path) -> None:
    record = json.loads(json.dumps(WEIXIN))
    record["skus"][1]["market_price"] = 8900
    [(product, _, _)] = load_catalog([_jsonl(tmp_path, record)], ColumnMap({}, {"1452": "home"})).products
    assert (product.price_type, product.price) == ("fixed", 5900)


def test_a_doudian_record_reads_fen_and_maps_a_category_by_the_deepest_level_it_knows(tmp_path: Path) -> None:
    record = {"product_id": 3622967290489916703, "name": "高山乌龙茶 250g", "description": "清香型。",
              "market_price": 16800, "discount_price": 12800,
              "category_detail": {"first_cname": "食品", "second_cname": "茶", "third_cname": "乌龙茶"},
              "spec_prices": [{"sku_id": 1770001, "price": 12800, "stock_num": 300}]}
    categories = ColumnMap({}, {"食品": "food", "乌龙茶": "prepackaged_food"})
    catalog = load_catalog([_jsonl(tmp_path, record)], categories)
    assert catalog.problems == []
    [(product, _, _)] = catalog.products
    assert (product.id, product.category, product.platform) == ("3622967290489916703", "prepackaged_food", "douyin")
    assert (product.price_type, product.price, product.price2, product.stock) == ("discount", 16800, 12800, 300)
    assert [(s.id, s.price) for s in product.skus] == [("1770001", 12800)]


def test_a_flattened_weixin_export_groups_sku_rows_and_converts_fen(tmp_path: Path) -> None:
    path = tmp_path / "flat.csv"
    path.write_text("product_id,title,category,sku_id,sale_price,market_price,stock_num\n"
                    "10000123,陶瓷马克杯,home,9001,5900,7900,120\n"
                    "10000123,,,9002,6900,7900,80\n", encoding="utf-8")
    catalog = load_catalog([str(path)])
    assert catalog.problems == []
    [(product, _, _)] = catalog.products
    assert [(s.id, s.price) for s in product.skus] == [("9001", 5900), ("9002", 6900)]
    assert (product.price_type, product.price, product.price2, product.channels) == ("discount", 7900, 5900, ("weixin_store",))


def test_a_platform_category_without_a_mapping_is_refused_in_chinese_with_the_way_out(tmp_path: Path) -> None:
    catalog = load_catalog([_jsonl(tmp_path, WEIXIN)])
    [problem] = catalog.problems
    assert problem.path == "$.category" and "categories:" in problem.message_zh and "1421>1452" in problem.message_zh


def test_guard_shaped_records_are_not_touched_by_profiles(tmp_path: Path) -> None:
    record = {"id": "G1", "name": "羊毛围巾", "category": "apparel", "price": "89.00", "stock": 5}
    catalog = load_catalog([_jsonl(tmp_path, record)])
    assert catalog.problems == [] and catalog.warnings == []
    assert catalog.products[0][0].price == 8900


def test_a_columns_file_may_map_categories_and_refuses_a_category_guard_does_not_have(tmp_path: Path) -> None:
    good = tmp_path / "good.yaml"
    good.write_text("categories:\n  50011980: 普通化妆品\n  面部护肤: cosmetics\n", encoding="utf-8")
    mapping = load_column_map(good)
    assert (dict(mapping), mapping.categories) == ({}, {"50011980": "cosmetics", "面部护肤": "cosmetics"})
    bad = tmp_path / "bad.yaml"
    bad.write_text("categories:\n  50011980: 面霜\n", encoding="utf-8")
    with pytest.raises(InputFileError, match="面霜"):
        load_column_map(bad)


@pytest.mark.parametrize(("value", "expected"), [
    ("50011980", "cosmetics"),  # a whole id
    (50011980, "cosmetics"),  # an id a spreadsheet stored as a number
    ("美妆>面部护肤>面霜", "cosmetics"),  # any level of a path, deepest first
    ("美妆 / 彩妆", "general"),
    ("家居>收纳", "家居>收纳"),  # unknown: left for the model to refuse, never guessed
])
def test_resolve_category(value: object, expected: str) -> None:
    categories = {"50011980": "cosmetics", "面部护肤": "cosmetics", "美妆": "general"}
    assert resolve_category(value, categories) == expected


@pytest.mark.parametrize(("value", "expected"), [(5900, Decimal("59")), ("1300", Decimal("13")), (59.5, 59.5), ("abc", "abc")])
def test_fen_to_yuan_converts_whole_fen_only(value: object, expected: object) -> None:
    assert fen_to_yuan(value) == expected


@pytest.mark.parametrize("name", ["qianniu-package.csv", "weixin-store-products.jsonl", "doudian-products.jsonl"])
def test_each_example_back_end_export_checks_with_no_rejected_record(name: str) -> None:
    catalog = load_catalog([str(EXPORTS / name)], load_column_map(EXPORTS / "categories.yaml"))
    assert catalog.problems == [] and catalog.rejected == 0 and len(catalog.products) >= 2
