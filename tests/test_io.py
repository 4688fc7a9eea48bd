"""Catalog readers: every format, and bad input reported with its location while the rest is checked."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import NOW
from openpyxl import Workbook

from guard import check_files
from guard.errors import InputFileError
from guard.io.catalog import load_catalog

PRODUCT = {"id": "P1", "category": "apparel", "name": "纯棉圆领T恤", "price": "59.00"}


def test_json_document_with_all_kinds(tmp_path: Path) -> None:
    path = tmp_path / "c.json"
    path.write_text(json.dumps({
        "merchant": {"mode": "self_operated", "enterprise_verified": True, "mini_program_categories": ["apparel"]},
        "products": [PRODUCT],
        "promotions": [{"id": "L1", "kind": "lottery", "products": ["P1"], "top_prize": "60000"}],
        "live_rooms": [{"id": "R1", "phase": "live", "quick_bar": ["P1"]}],
    }, ensure_ascii=False), encoding="utf-8")
    catalog = load_catalog([path])
    assert (len(catalog.merchants), len(catalog.products), len(catalog.promotions), len(catalog.rooms)) == (1, 1, 1, 1)
    assert catalog.problems == []


def test_json_list_keeps_exact_decimals(tmp_path: Path) -> None:
    path = tmp_path / "c.json"
    path.write_text('[{"id": "P1", "category": "general", "name": "杯子", "price": 19.99}]', encoding="utf-8")
    assert load_catalog([path]).products[0][0].price == 1999


def test_bad_records_are_located_and_the_rest_checked(tmp_path: Path) -> None:
    path = tmp_path / "c.jsonl"
    lines = [
        json.dumps(PRODUCT, ensure_ascii=False),
        '{"id": "P2", "category": "general", "name": "x", "price": 1.005}',
        "{not json",
        '{"id": "P3", "category": "martian", "name": "x", "price": 1}',
        '{"id": "P4", "category": "general", "name": "x", "price": -2}',
        '{"id": "P5", "category": "general", "price": 2}',
        '{"id": "P6", "category": "general", "name": "x", "price": NaN}',
        '{"id": "P7", "category": "general", "name": "x", "price": "1", "stock": "many"}',
        json.dumps({**PRODUCT, "id": "P1"}, ensure_ascii=False),
        "[1, 2]",
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    report = check_files([path], now=NOW)
    found = {(p.location, p.path): p.message for p in report.problems}
    assert found == {
        ("line 2", "$.price"): "at most 2 decimal places are allowed in yuan (WeChat goods/add), got 1.005",
        ("line 3", "$"): "malformed JSON at column 2: Expecting property name enclosed in double quotes",
        ("line 4", "$.category"): found[("line 4", "$.category")],
        ("line 5", "$.price"): "amount may not be negative, got -2",
        ("line 6", "$.name"): "required field is missing",
        ("line 7", "$.price"): "amount must be a finite number, got nan",
        ("line 8", "$.stock"): found[("line 8", "$.stock")],
        ("line 9", "$.id"): "duplicate product id 'P1' (first at " + str(path) + " line 1)",
        ("line 10", "$"): "expected a JSON object",
    }
    assert found[("line 4", "$.category")].startswith("unknown category 'martian'")
    assert (report.summary.read, report.summary.checked, report.summary.rejected) == (10, 1, 9)
    assert {f.product for f in report} == {"P1"}


def test_csv_with_chinese_headers_and_compact_cells(tmp_path: Path) -> None:
    path = tmp_path / "p.csv"
    path.write_text(
        "商品ID,类目,商品名称,价格类型,价格,现价,资质,历史成交价,库存\n"
        "C1,服饰鞋包,纯棉T恤,显示折扣价,99,79,营业执照|91310000MA1|2030-01-01; 品牌授权书|BA-1|2020-01-01,"
        "2026-11-20 10:00=89.00; 2026-11-22=99,10\n",
        encoding="utf-8",
    )
    catalog = load_catalog([path])
    assert catalog.problems == []
    product, file, location = catalog.products[0]
    assert (product.price, product.price2, product.stock, location) == (9900, 7900, 10, "row 2")
    assert [q.type for q in product.qualifications] == ["business_licence", "brand_authorization"]
    assert [p.price for p in product.price_history] == [8900, 9900]


def test_csv_in_gb18030(tmp_path: Path) -> None:
    path = tmp_path / "p.csv"
    path.write_bytes("商品ID,类目,商品名称,价格\nG1,家居日用,陶瓷马克杯,29.9\n".encode("gb18030"))
    assert load_catalog([path]).products[0][0].name == "陶瓷马克杯"


def test_xlsx_export(tmp_path: Path) -> None:
    book = Workbook()
    sheet = book.active
    sheet.title = "商品"
    sheet.append(["商品ID", "类目", "商品名称", "价格", "库存", "资质提交日期"])
    sheet.append(["X1", "普通实物商品", "不锈钢保温杯", 89.9, 200, None])
    sheet.append(["X2", "普通实物商品", "玻璃杯", 19.999, 5, None])
    path = tmp_path / "p.xlsx"
    book.save(path)
    catalog = load_catalog([path])
    assert [(p.id, p.price, p.stock) for p, _, _ in catalog.products] == [("X1", 8990, 200)]
    assert [(p.location, p.path) for p in catalog.problems] == [("row 3", "$.price")]


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("c.json", "{broken", "line 1 column 2: malformed JSON"),
        ("c.yaml", "a: [b", "malformed YAML"),
        ("c.txt", "x", "unknown file type '.txt'"),
        ("c.xlsx", "not a zip", "cannot open as XLSX"),
        ("c.json", '"just a string"', "expected a list of products"),
    ],
)
def test_unreadable_file_is_an_input_error(tmp_path: Path, name: str, content: str, message: str) -> None:
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    with pytest.raises(InputFileError, match=message):
        load_catalog([path])


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputFileError, match="no such file"):
        load_catalog([tmp_path / "absent.json"])


def test_unknown_top_level_key_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("products: []\nproducs: []\n", encoding="utf-8")
    catalog = load_catalog([path])
    assert [p.path for p in catalog.problems] == ["$.producs"]


def test_yes_no_columns_read_chinese_words(tmp_path) -> None:
    from guard.io.catalog import load_catalog

    path = tmp_path / "ads.csv"
    path.write_text("商品ID,类目,商品名称,价格,商业推广,已标明广告\nP1,apparel,纯棉T恤,59,是,否\n", encoding="utf-8")
    catalog = load_catalog([str(path)])
    [(product, _, _)] = catalog.products
    assert (product.sponsored, product.ad_label_shown) == (True, False)


def test_deeply_nested_json_is_an_input_error_not_a_traceback(tmp_path) -> None:
    from guard.cli import main

    catalog = tmp_path / "deep.json"
    catalog.write_text("[" * 100000 + "]" * 100000, encoding="utf-8")
    assert main(["check", str(catalog)]) == 2
    lines = tmp_path / "deep.jsonl"
    lines.write_text('{"id": "P1"}\n' + "[" * 100000 + "]" * 100000 + "\n", encoding="utf-8")
    from guard.io.catalog import load_catalog

    problems = load_catalog([str(lines)]).problems
    assert any(p.location == "line 2" and "nested too deeply" in p.message for p in problems)


def test_a_lone_surrogate_never_empties_the_report(tmp_path, capsys) -> None:
    import json

    from guard.cli import main

    path = tmp_path / "s.jsonl"
    path.write_text('{"id": "P\\udc80", "category": "apparel", "name": "T", "price": "x"}\n'
                    '{"id": "P2", "category": "general", "name": "玻璃水杯", "price": "9.9", "cover_width": 900}\n',
                    encoding="utf-8")
    assert main(["check", str(path), "--format", "json"]) == 2
    report = json.loads(capsys.readouterr().out)
    assert "LIST-007" in [f["rule"] for f in report["findings"]]
    assert any(p["record"] == "P\udc80" for p in report["problems"])  # escaped in the output, read back
