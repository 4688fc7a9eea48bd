"""Files shaped like a shop back end's export: extra columns, units in headers, title rows, numbers."""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import Workbook

import guard
from guard.cli import main
from guard.io.catalog import load_catalog
from guard.io.readers import RawRecord, read_file

MERCHANT = {"mode": "self_operated", "enterprise_verified": True, "mini_program_categories": ["apparel"]}


def _csv(tmp_path: Path, text: str, name: str = "export.csv") -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_extra_columns_are_one_warning_per_file_and_every_row_is_checked(tmp_path: Path) -> None:
    path = _csv(tmp_path, "商品ID,商品名称,类目,售价,销量,上架时间,商品状态,品牌\n"
                          "1001,纯棉圆领T恤,apparel,59.00,120,2026-11-01,在售,某牌\n"
                          "1002,羊毛围巾,apparel,89.00,30,2026-11-02,在售,某牌\n")
    catalog = load_catalog([path])
    assert catalog.problems == [] and len(catalog.products) == 2
    [warning] = catalog.warnings
    assert warning.warning and "销量、上架时间、商品状态、品牌" in warning.message


def test_units_in_headers_and_a_title_row_above_the_header(tmp_path: Path) -> None:
    path = _csv(tmp_path, "某某旗舰店 商品导出 2026-11-30,,,\n"
                          "商品ID,商品标题,价格（元）,库存（件）,类目\n"
                          "A1,纯棉圆领T恤,59.9,300,apparel\n")
    catalog = load_catalog([path])
    assert catalog.problems == []
    [(product, _, location)] = catalog.products
    assert (product.id, product.price, product.stock, location) == ("A1", 5990, 300, "row 3")


def test_a_row_naming_one_known_column_is_not_the_header(tmp_path: Path) -> None:
    path = _csv(tmp_path, "店铺,某某旗舰店,,\n"
                          "商品ID,商品名称,类目,售价\n"
                          "A1,纯棉圆领T恤,apparel,59.00\n")
    catalog = load_catalog([path])
    assert catalog.problems == []
    [(product, _, location)] = catalog.products
    assert (product.id, product.price, location) == ("A1", 5900, "row 3")


def test_a_header_naming_just_two_known_columns_is_the_header(tmp_path: Path) -> None:
    path = _csv(tmp_path, "商品名称,售价,销量\n纯棉圆领T恤,59.00,120\n")
    records = [(r.data, r.location) for r in read_file(path) if isinstance(r, RawRecord)]
    assert records == [({"name": "纯棉圆领T恤", "price": "59.00"}, "row 2")]


def test_the_header_is_found_below_nine_rows_of_notes_but_not_below_ten(tmp_path: Path) -> None:
    notes = "".join(f"说明第{i}行,,,\n" for i in range(1, 10))
    table = "商品ID,商品名称,类目,售价\nA1,纯棉圆领T恤,apparel,59.00\n"
    [(product, _, location)] = load_catalog([_csv(tmp_path, notes + table)]).products
    assert (product.id, location) == ("A1", "row 11")
    [problem] = load_catalog([_csv(tmp_path, "说明第0行,,,\n" + notes + table, "deeper.csv")]).problems
    assert "no header row" in problem.message


def test_both_original_and_selling_price_columns_make_a_discount_display(tmp_path: Path) -> None:
    path = _csv(tmp_path, "商品ID,商品名称,类目,原价,售价(元)\nB1,纯棉圆领T恤,apparel,299,169\n")
    [(product, _, _)] = load_catalog([path]).products
    assert (product.price_type, product.price, product.price2, product.current_price) == ("discount", 29900, 16900, 16900)


def test_xlsx_numeric_ids_and_float_noise(tmp_path: Path) -> None:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["店铺商品导出"])
    sheet.append(["商品ID", "商品名称", "类目", "售价(元)", "销量"])
    sheet.append([100234, "纯棉圆领T恤", "apparel", 59.69999999999999, 7])  # shown as 59.70
    path = tmp_path / "export.xlsx"
    workbook.save(path)
    catalog = load_catalog([str(path)])
    assert catalog.problems == []
    [(product, _, _)] = catalog.products
    assert (product.id, product.price) == ("100234", 5970)
    assert any("read to the fen" in w.message for w in catalog.warnings)


def test_a_real_third_decimal_is_still_refused(tmp_path: Path) -> None:
    workbook = Workbook()
    workbook.active.append(["商品ID", "商品名称", "类目", "售价"])
    workbook.active.append(["C1", "纯棉圆领T恤", "apparel", 59.995])
    path = tmp_path / "bad.xlsx"
    workbook.save(path)
    [problem] = load_catalog([str(path)]).problems
    assert "at most 2 decimal places" in problem.message


@pytest.mark.parametrize("name, text", [("empty.csv", ""), ("header-only.csv", "商品ID,商品名称,类目,售价\n"),
                                        ("empty.jsonl", "\n\n")])
def test_a_file_with_no_records_is_an_input_error(tmp_path: Path, name: str, text: str,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    path = _csv(tmp_path, text, name)
    assert main(["check", path]) == 2
    assert "没有任何记录" in capsys.readouterr().err


def test_the_command_prints_warnings_and_exits_on_findings_alone(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _csv(tmp_path, "商品ID,商品名称,类目,售价,销量,详情页,封面宽,封面高,审核状态\n"
                          "1001,纯棉圆领T恤,general,59.00,120,pages/d?id=1,300,300,审核通过\n")
    merchant = tmp_path / "m.json"
    merchant.write_text('{"merchant": {"mode": "self_operated", "enterprise_verified": true, '
                        '"mini_program_categories": ["general"]}}', encoding="utf-8")
    code = main(["check", path, str(merchant), "--ignore", "QUAL", "--now", "2026-11-26T10:00:00"])
    err = capsys.readouterr().err
    assert code == 0, err
    assert "提示: " in err and "销量" in err and "错误" not in err


def test_no_header_row_is_one_clear_problem(tmp_path: Path) -> None:
    [problem] = load_catalog([_csv(tmp_path, "a,b,c\n1,2,3\n")]).problems
    assert "no header row" in problem.message
    assert guard  # the package imports cleanly with the readers


def test_every_sheet_with_a_header_is_read_and_others_are_skipped_with_a_warning(tmp_path: Path) -> None:
    workbook = Workbook()
    first = workbook.active
    first.title = "服装"
    first.append(["商品ID", "商品名称", "类目", "售价"])
    first.append(["S1", "纯棉圆领T恤", "apparel", 59])
    second = workbook.create_sheet("家居")
    second.append(["商品ID", "商品名称", "类目", "售价"])
    second.append(["S2", "玻璃水杯", "home", 19.9])
    notes = workbook.create_sheet("填写说明")
    notes.append(["请按模板填写"])
    path = tmp_path / "many.xlsx"
    workbook.save(path)
    catalog = load_catalog([str(path)])
    assert [(p.id, where) for p, _, where in catalog.products] == [("S1", "row 2"), ("S2", "家居!row 2")]
    assert catalog.problems == []
    assert any("填写说明" in w.message for w in catalog.warnings)


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.startswith("guard ")


def test_a_mapping_file_reads_a_merchants_own_erp_export(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _csv(tmp_path, "货号,品名,分类,零售价\nE1,纯棉圆领T恤,apparel,59\n")
    mapping = tmp_path / "erp.yaml"
    mapping.write_text("columns: {货号: id, 品名: name, 分类: category, 零售价: price}\n", encoding="utf-8")
    report = guard.check_files([path], columns={"货号": "id", "品名": "name", "分类": "category", "零售价": "price"})
    assert report.problems == () and report.summary.checked == 1
    assert main(["check", path, "--columns", str(mapping), "--format", "jsonl", "--select", "LIST-002"]) == 0
    assert "error" not in capsys.readouterr().err
    assert main(["check", path, "--format", "jsonl"]) == 2  # without the mapping no header row is found
    bad = tmp_path / "bad.yaml"
    bad.write_text("columns: {货号: sku_code}\n", encoding="utf-8")
    assert main(["check", path, "--columns", str(bad)]) == 2
    assert "unknown field 'sku_code'" in capsys.readouterr().err


def test_input_errors_read_in_chinese_with_the_column_as_written(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _csv(tmp_path, "商品ID,商品名称,类目,售价(元),库存\n1,纯棉T恤,apparel,abc,5\n2,纯棉T恤,apparel,1.001,x\n")
    assert main(["check", path]) == 2
    err = capsys.readouterr().err
    assert "错误: " in err and "第2行「售价(元)」（1）：不是有效金额：'abc'" in err
    assert "第3行「售价(元)」（2）：金额最多两位小数：'1.001'" in err
    assert "第3行「库存」（2）：应为整数" in err
    assert "读取 2 条记录，检查 0 条，拒收 2 条" in err
    assert main(["check", path, "--lang", "en"]) == 2
    err = capsys.readouterr().err
    assert "error: " in err and "$.price: not an amount in yuan: 'abc'" in err and "2 records read" in err


def test_the_example_export_checks_with_no_rejected_row() -> None:
    root = Path(__file__).resolve().parents[1] / "examples"
    report = guard.check_files([str(root / "exports" / "shop-export.csv"), str(root / "merchant.yaml")])
    assert report.problems == () and report.summary.rejected == 0 and report.summary.checked == 5
    assert [w.message for w in report.warnings] == ["columns ignored (not used by any rule): 销量、上架时间、商品状态、品牌"]


def test_a_spreadsheet_problem_names_its_cell(tmp_path: Path) -> None:
    workbook = Workbook()
    workbook.active.append(["说明：请勿修改表头"])
    workbook.active.append(["商品ID", "商品名称", "类目", "售价(元)"])
    workbook.active.append(["X1", "纯棉圆领T恤", "apparel", "abc"])
    path = tmp_path / "cells.xlsx"
    workbook.save(path)
    [problem] = load_catalog([str(path)]).problems
    assert problem.cell == "D3"
    assert problem.render("zh").endswith("第3行「售价(元)」（D3）（X1）：不是有效金额：'abc'")
    assert "$.price [D3]: not an amount in yuan" in problem.render("en")


def test_sku_rows_make_one_product_with_its_skus(tmp_path: Path) -> None:
    path = _csv(tmp_path, "商品ID,商品名称,类目,规格,SKU价格(元),SKU库存\n"
                          "S1,纯棉T恤,apparel,白色 M,59,100\n"
                          "S1,纯棉T恤,apparel,白色 L,59,80\n"
                          ",,,黑色 M,69,0\n"
                          "S2,羊毛围巾,apparel,均码,89,5\n")
    catalog = load_catalog([path])
    assert catalog.problems == []
    products = {p.id: p for p, _, _ in catalog.products}
    s1 = products["S1"]
    assert (s1.price, s1.stock, s1.sku_count) == (5900, 180, 3)
    assert [(s.spec, s.price, s.stock) for s in s1.skus] == [("白色 M", 5900, 100), ("白色 L", 5900, 80), ("黑色 M", 6900, 0)]
    assert (products["S2"].price, products["S2"].sku_count) == (8900, 1)


def test_column_letters_follow_spreadsheets() -> None:
    from guard.io.readers import _column_letter

    assert [_column_letter(i) for i in (0, 25, 26, 51, 52, 701, 702)] == ["A", "Z", "AA", "AZ", "BA", "ZZ", "AAA"]


def test_a_problem_beside_both_price_columns_names_the_column_it_came_from(tmp_path: Path) -> None:
    # 原价 is read as price and 售价 as price2: labels and cell letters must follow the same swap
    workbook = Workbook()
    workbook.active.append(["商品ID", "商品名称", "类目", "售价(元)", "原价"])
    workbook.active.append(["B1", "纯棉圆领T恤", "apparel", -5, 299])
    workbook.active.append(["B2", "纯棉圆领T恤", "apparel", 169, -299])
    path = tmp_path / "prices.xlsx"
    workbook.save(path)
    problems = load_catalog([str(path)]).problems
    assert [(p.path, p.column, p.cell) for p in problems] == [("$.price2", "售价(元)", "D2"), ("$.price", "原价", "E3")]
