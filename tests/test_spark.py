"""guard.spark in local mode: the findings and problems of guard check, record for record."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import NOW, replicate_module

from guard.check import check_files
from guard.cli import main
from guard.engine import durable
from guard.io.readers import RawRecord, read_csv
from guard.report.json import render_jsonl

pytest.importorskip("pyspark", reason="the spark extra (pyspark) is not installed")
if shutil.which("java") is None:
    pytest.skip("Spark needs Java (java is not on PATH)", allow_module_level=True)

import guard.spark  # noqa: E402  (after the skips: it needs pyspark)

pytestmark = [
    pytest.mark.slow,
    # py4j leaves its gateway sockets to the collector
    pytest.mark.filterwarnings("ignore::ResourceWarning"),
    pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning"),
]
BENCH = Path(__file__).resolve().parent.parent / "bench"



@pytest.fixture(scope="module")
def spark() -> Iterator[Any]:
    session = guard.spark.session("local[2]")
    yield session
    session.stop()


@pytest.fixture(scope="module")
def catalog_files(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """JSON lines: merchants, products and rooms with every cross-product edge case, a bad line, a second file."""
    replicate = replicate_module()
    folder = tmp_path_factory.mktemp("spark")
    first, second = folder / "catalog.jsonl", folder / "more.jsonl"
    replicate.write(replicate.replicate(300, edge_cases=True), first, jsonl=True)
    with first.open("a", encoding="utf-8") as sink:
        sink.write("\n{not json\n[1, 2]\n")
    more = replicate.replicate(60)
    more["products"][5] = {"id": more["products"][4]["id"], "category": "apparel"}
    more["merchants"] = []
    replicate.write(more, second, jsonl=True)
    return [first, second]


@pytest.fixture(scope="module")
def earlier_merchant(catalog_files: list[Path]) -> Path:
    """The catalog's merchant as an earlier file has it (no apparel): the later file's one is the catalog's."""
    merchant = json.loads(catalog_files[0].read_text(encoding="utf-8").splitlines()[0])
    assert merchant["kind"] == "merchant"
    earlier = catalog_files[0].parent / "earlier-merchant.jsonl"
    earlier.write_text(json.dumps({**merchant, "mini_program_categories": [
        c for c in merchant["mini_program_categories"] if c != "apparel"]}, ensure_ascii=False) + "\n", encoding="utf-8")
    return earlier


def _key(record: dict[str, Any]) -> str:
    return json.dumps({k: v for k, v in record.items() if v is not None}, sort_keys=True, ensure_ascii=False)


def _problems(problems: Any) -> list[str]:
    return sorted(json.dumps(p.to_dict(), sort_keys=True, ensure_ascii=False) for p in problems)


@pytest.mark.parametrize("engine_name", ["native", pytest.param("durable", marks=pytest.mark.durable)])
def test_spark_finds_what_guard_check_finds(spark: Any, catalog_files: list[Path], earlier_merchant: Path,
                                            engine_name: str, tmp_path: Path) -> None:
    if engine_name == "durable" and not durable.available():
        pytest.skip(durable.unavailable_reason())
    paths = [str(p) for p in (earlier_merchant, *catalog_files)]
    result = guard.spark.check(spark, paths, now=NOW, lang="en", engine=engine_name)
    guard.spark.write(result, tmp_path / "out", "jsonl")
    written = [json.loads(line) for part in sorted((tmp_path / "out").glob("part-*"))
               for line in part.read_text(encoding="utf-8").splitlines()]
    expected = check_files(paths, now=NOW, lang="en", engine=engine_name)
    assert sorted(map(_key, written)) == sorted(_key(json.loads(line)) for line in render_jsonl(expected).splitlines())
    assert _problems(result.problems) == _problems(expected.problems)
    assert (result.read, result.rejected) == (expected.summary.read, expected.summary.rejected)
    messages = [p.message for p in result.problems]
    assert any(m.startswith("duplicate product id") for m in messages)
    assert any(m.startswith("malformed JSON") for m in messages)
    assert any(f["subject"].startswith("room:EDGE-ROOM") for f in written)
    assert result.joined == ()  # two merchants and a few rooms: collected, as the defaults say


def test_joined_parts_follow_the_limits() -> None:
    counts = {"merchant": 3, "promotion": 2, "live_room": 2, "product": 10}
    assert guard.spark.joined_parts(counts, collect_limit=4, broadcast_limit=3) == ()
    assert guard.spark.joined_parts(counts, collect_limit=4, broadcast_limit=2) == ("merchants",)
    assert guard.spark.joined_parts(counts, collect_limit=3, broadcast_limit=3) == ("references",)
    assert guard.spark.joined_parts({}, collect_limit=0, broadcast_limit=0) == ()


def test_joined_in_spark_finds_what_guard_check_finds(spark: Any, catalog_files: list[Path],
                                                      earlier_merchant: Path) -> None:
    """Merchants joined to their products and rooms joined to theirs, in Spark: the findings and problems of
    guard check, place for place (a product of an unknown merchant is told every merchant there is; a
    merchant repeated in a later file is that file's)."""
    paths = [str(p) for p in (earlier_merchant, *catalog_files)]
    result = guard.spark.check(spark, paths, now=NOW, lang="en", collect_limit=0, broadcast_limit=0)
    assert result.joined == ("merchants", "references")
    found = [json.loads(line) for line in result.findings.toJSON().collect()]
    expected = check_files(paths, now=NOW, lang="en")
    assert sorted(map(_key, found)) == sorted(_key(json.loads(line)) for line in render_jsonl(expected).splitlines())
    assert _problems(result.problems) == _problems(expected.problems)
    assert (result.read, result.rejected) == (expected.summary.read, expected.summary.rejected)
    known = "unknown merchant 'no-such-shop'; known: ['"  # every merchant, though no executor saw them all
    assert any(p.message.startswith(known) for p in result.problems)
    assert any(f["subject"] == "room:EDGE-ROOM/product:EDGE-TWICE" for f in found)


def test_promotions_rooms_and_merchants_as_dataframes_joined(spark: Any, tmp_path: Path) -> None:
    """Every kind as a DataFrame, all joined: repeated and invalid promotions and merchants, a promotion of an
    unknown product, stacked promotions, products naming no merchant beside the catalog's one merchant, and
    the price history as a table (a promotion's reference ceiling is found from its product's history)."""
    replicate = replicate_module()
    doc = replicate.replicate(60, edge_cases=True)
    doc["merchants"] = [doc["merchants"][0], {**doc["merchants"][0], "name": "again"}, {"id": "bad", "mode": "?"}]
    for product in doc["products"][::2]:  # the one merchant is theirs; EDGE-TWICE's other-shop is now unknown
        product.pop("merchant", None)
    doc["promotions"] += [{**doc["promotions"][0], "label": "again"}, {"id": "BAD-PROMO", "kind": "nonsense"}]
    document = tmp_path / "catalog.json"
    replicate.write(doc, document)
    reference = check_files([document], now=NOW, lang="en")
    assert any(f.subject.startswith("promotion:") and "lowest transaction price of the 7 days before" in f.message
               for f in reference.findings)
    history: dict[str, list[tuple[str, str, str]]] = {}
    for product in doc["products"]:  # the first record of an id has the history guard check reads
        points = product.pop("price_history", [])
        history.setdefault(product["id"], [(product["id"], point["at"], point["price"]) for point in points])
    transactions = spark.createDataFrame([row for rows in history.values() for row in rows],
                                         "product string, at string, price string")

    def frame(name: str, records: list[dict[str, Any]]) -> Any:
        path = tmp_path / f"{name}.jsonl"
        path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
        return spark.read.json(str(path), primitivesAsString=True)

    result = guard.spark.check_frame(frame("products", doc["products"]), merchants=frame("merchants", doc["merchants"]),
                                     promotions=frame("promotions", doc["promotions"]),
                                     rooms=frame("rooms", doc["live_rooms"]), history=transactions, now=NOW, lang="en",
                                     collect_limit=0, broadcast_limit=0)
    assert result.joined == ("merchants", "references")
    found = [json.loads(line) for line in result.findings.toJSON().collect()]

    def without_place(record: dict[str, Any]) -> str:
        return _key({k: v for k, v in record.items() if k not in ("file", "path")})

    def message(problem: Any) -> str:  # a repeat names where the first one is, a row here and a JSON path there
        return str(problem.message).split(" (first at ")[0]

    assert sorted(map(without_place, found)) == sorted(without_place(f.to_dict()) for f in reference.findings)
    assert sorted(map(message, result.problems)) == sorted(map(message, reference.problems))
    assert (result.read, result.rejected) == (reference.summary.read, reference.summary.rejected)
    messages = [message(p) for p in reference.problems]
    for expected in ("duplicate promotion id 'PROMO-1201-0'", "duplicate merchant id", "unknown product(s) ['NO-SUCH-PRODUCT']",
                     "unknown merchant 'other-shop'"):
        assert any(m.startswith(expected) for m in messages), expected
    stacked = sorted(f["subject"] for f in found if f["name"] == "stacked-discounts-reach-zero")
    assert stacked[:2] == ["promotion:PROMO-1205-0", "promotion:PROMO-1206-0"]  # each sees the other


def test_a_dataframe_of_products_with_promotions(spark: Any, tmp_path: Path) -> None:
    replicate = replicate_module()
    doc = replicate.replicate(80, edge_cases=True)
    merchants, promotions, rooms = doc["merchants"], doc["promotions"], doc["live_rooms"]
    lines = tmp_path / "products.jsonl"
    lines.write_text("".join(json.dumps(p, ensure_ascii=False) + "\n" for p in doc["products"]), encoding="utf-8")
    frame = spark.read.json(str(lines), primitivesAsString=True)
    result = guard.spark.check_frame(frame, merchants=merchants, promotions=promotions, rooms=rooms, now=NOW, lang="en")
    found = [json.loads(line) for line in result.findings.toJSON().collect()]
    document = tmp_path / "catalog.json"
    replicate.write(doc, document)
    reference = check_files([document], now=NOW, lang="en")

    def without_place(record: dict[str, Any]) -> str:
        return _key({k: v for k, v in record.items() if k not in ("file", "path")})

    assert sorted(map(without_place, found)) == sorted(without_place(f.to_dict()) for f in reference.findings)
    assert any(f["subject"].startswith("promotion:EDGE-PROMO-FAR") for f in found)
    def message(problem: Any) -> str:  # a duplicate names where the first one is, a row here and a JSON path there
        return str(problem.message).split(" (first at ")[0]

    assert sorted(map(message, result.problems)) == sorted(map(message, reference.problems))


def test_parquet_output_has_the_fields_of_jsonl(spark: Any, catalog_files: list[Path], tmp_path: Path) -> None:
    result = guard.spark.check(spark, [str(catalog_files[1])], now=NOW, lang="en")
    guard.spark.write(result, tmp_path / "parquet", "parquet")
    table = spark.read.parquet(str(tmp_path / "parquet"))
    assert table.columns == [field.name for field in guard.spark.FINDING_SCHEMA.fields]
    assert table.count() == len(check_files([catalog_files[1]], now=NOW))


def test_price_history_as_a_table(spark: Any, tmp_path: Path) -> None:
    replicate = replicate_module()
    doc = replicate.replicate(150)
    base = next(p for p in doc["products"] if p["category"] == "apparel")
    for number, points in enumerate((
        [("2026-11-10T10:00:00+08:00", "199.00"), ("2026-11-20T10:00:00+08:00", "110.00"),
         ("2026-11-24T10:00:00+08:00", "120.00")],  # the 7-day low (110) is not the last price (120)
        [("2026-10-01T10:00:00+08:00", "300.00"), ("2026-11-01T10:00:00+08:00", "150.00")],  # none in 7 days: the last
    )):
        doc["products"].append({**base, "id": f"HISTORY-{number}", "price_type": "discount", "price": "199.00",
                                "price2": "99.00", "price_history": [{"at": at, "price": price} for at, price in points]})
    embedded, separate = tmp_path / "embedded.jsonl", tmp_path / "separate.jsonl"
    replicate.write(doc, embedded, jsonl=True)
    rows = [(p["id"], point["at"], point["price"]) for p in doc["products"] for point in p.pop("price_history", [])]
    for p in doc["products"][:3]:  # a transaction after the check's time changes nothing
        rows.append((p["id"], "2026-12-25T10:00:00+08:00", "0.01"))
    replicate.write(doc, separate, jsonl=True)
    history = spark.createDataFrame(rows, "product string, at string, price string")
    result = guard.spark.check(spark, [str(separate)], now=NOW, lang="en", history=history)
    found = [json.loads(line) for line in result.findings.toJSON().collect()]
    expected = [json.loads(line) for line in render_jsonl(check_files([embedded], now=NOW, lang="en")).splitlines()]

    def without_file(record: dict[str, Any]) -> str:
        return _key({k: v for k, v in record.items() if k != "file"})

    assert sorted(map(without_file, found)) == sorted(map(without_file, expected))
    messages = [f["message"] for f in expected if f["product"] in ("HISTORY-0", "HISTORY-1")]
    assert any("110.00" in m and "lowest transaction price of the 7 days before" in m for m in messages)
    assert any("150.00" in m and "last transaction price" in m for m in messages)
    digest = {row.product: json.loads(row.history) for row in guard.spark.history_digest(history, NOW).collect()}
    assert len(digest) == len({r[0] for r in rows if r[1] < "2026-11-26"})
    assert all(len(points) == 1 for points in digest.values())


def test_cli_spark_writes_the_findings_of_guard_check(spark: Any, catalog_files: list[Path], tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "findings"
    code = main(["check", "--spark", "--master", "local[2]", str(catalog_files[0]), "--now", NOW.isoformat(),
                 "--format", "jsonl", "--output", str(out), "--lang", "en", "--collect-limit", "0"])
    assert code == 2  # the catalog has bad records
    written = sorted(_key(json.loads(line)) for part in out.glob("part-*")
                     for line in part.read_text(encoding="utf-8").splitlines())
    expected = render_jsonl(check_files([catalog_files[0]], now=NOW, lang="en"))
    assert written == sorted(_key(json.loads(line)) for line in expected.splitlines())
    err = capsys.readouterr().err
    assert "malformed JSON" in err and "joined in Spark: references" in err  # the limit reached the check


def test_cli_spark_needs_an_output_folder(catalog_files: list[Path], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "--spark", str(catalog_files[0]), "--format", "json"]) == 2
    assert "give --output DIR and --format jsonl or parquet" in capsys.readouterr().err
    assert main(["check", str(catalog_files[0]), "--collect-limit", "0"]) == 2  # a Spark option without --spark
    assert "--collect-limit go with --spark" in capsys.readouterr().err
    assert main(["check", "--spark", str(catalog_files[0]), "--collect-limit", "-1"]) == 2
    assert "give 0 or more" in capsys.readouterr().err


def _export_files(folder: Path) -> tuple[Path, Path, Path]:
    """The example products as a shop's export: a merchant's own id header, units, an extra column, a
    platform category path; its --columns file; the merchant as a JSON line (Spark reads no YAML)."""
    import csv
    import io

    import yaml

    examples = BENCH.parent / "examples"
    rows = list(csv.reader(io.StringIO((examples / "products.csv").read_text(encoding="utf-8"))))
    header = ["货品编号" if h == "商品ID" else "价格（元）" if h == "价格" else h for h in rows[0]] + ["仓库备注"]
    body = [row + [f"A-{n}"] for n, row in enumerate(rows[1:])]
    category = header.index("类目")
    body[0][category] = "男装>T恤"
    export = folder / "export.csv"
    with export.open("w", encoding="utf-8", newline="") as sink:
        csv.writer(sink).writerows([header, *body])
    columns = folder / "columns.yaml"
    columns.write_text("columns:\n  货品编号: id\ncategories:\n  T恤: apparel\n", encoding="utf-8")
    merchant = yaml.safe_load((examples / "merchant.yaml").read_text(encoding="utf-8"))["merchant"]
    merchants = folder / "merchant.jsonl"
    merchants.write_text(json.dumps({"kind": "merchant", **merchant}, ensure_ascii=False, default=str) + "\n",
                         encoding="utf-8")
    return export, columns, merchants


def test_a_shop_export_is_read_as_guard_check_reads_it(spark: Any, tmp_path: Path) -> None:
    import pandas

    from guard.io.readers import load_column_map

    export, columns_file, merchants = _export_files(tmp_path)
    columns = load_column_map(columns_file)
    expected = check_files([export, merchants], columns=columns, now=NOW, lang="en")
    assert len(expected.findings) > 5 and not expected.problems

    def without_file(record: dict[str, Any], row_offset: int = 0) -> str:
        path = str(record.get("path") or "")
        if path.startswith("row ") and row_offset:  # a Parquet table has no header row: its rows count from 1
            number, _, rest = path[4:].partition(".")
            path = f"row {int(number) + row_offset}.{rest}"
        return _key({**{k: v for k, v in record.items() if k != "file"}, "path": path or None})

    reference = sorted(without_file(json.loads(line)) for line in render_jsonl(expected).splitlines())
    parquet = tmp_path / "export.parquet"
    pandas.read_csv(export, dtype=str, keep_default_na=False).replace("", None).to_parquet(parquet)
    for source, offset in ((export, 0), (parquet, 1)):
        result = guard.spark.check(spark, [str(source), str(merchants)], columns=columns, now=NOW, lang="en")
        found = [json.loads(line) for line in result.findings.toJSON().collect()]
        assert sorted(without_file(f, offset) for f in found) == reference, source.suffix
        assert result.problems == [] and [p.message for p in result.warnings] == [
            "columns ignored (not used by any rule): 仓库备注"]
        assert result.rejected == 0
    ids_only = tmp_path / "ids.yaml"  # without the category map, the row with a platform category path is refused
    ids_only.write_text("columns:\n  货品编号: id\n", encoding="utf-8")
    result = guard.spark.check(spark, [str(export), str(merchants)], columns=load_column_map(ids_only), now=NOW)
    assert result.rejected == 1 and [p.location for p in result.problems] == ["row 2"]


def test_the_sku_rows_of_an_spu_are_gathered_as_guard_check_gathers_them(spark: Any, tmp_path: Path) -> None:
    _, _, merchants = _export_files(tmp_path)
    export = tmp_path / "skus.csv"
    export.write_text("商品ID,商品名称,类目,规格,SKU价格(元),SKU库存\n"
                      "S1,最好的纯棉T恤,apparel,白色 M,59,100\n"
                      "S1,最好的纯棉T恤,apparel,白色 L,59,80\n"
                      "S1,最好的纯棉T恤,apparel,黑色 M,69,0\n"
                      "S2,羊毛围巾,apparel,均码,89,5\n"
                      "S3,真丝睡衣,apparel,,,\n"  # no SKU (and so no price): the S3 row after it is a product apart
                      "S3,真丝睡衣,apparel,M,299,3\n"
                      "S2,羊毛围巾,apparel,大码,89,5\n"  # S2 again, after another product: a repeat
                      "S4,亚麻衬衫,apparel,S,129,0\n"
                      "S4,亚麻衬衫,apparel,M,129,10\n", encoding="utf-8")
    expected = check_files([export, merchants], now=NOW, lang="en")
    assert [(p.location, p.path) for p in expected.problems] == [("row 6", "$.price"), ("row 8", "$.id")]
    assert expected.summary.by_kind["product"] == 6 and any(f.product == "S1" for f in expected.findings)
    result = guard.spark.check(spark, [str(export), str(merchants)], now=NOW, lang="en")
    found = [json.loads(line) for line in result.findings.toJSON().collect()]
    assert sorted(map(_key, found)) == sorted(_key(json.loads(line)) for line in render_jsonl(expected).splitlines())
    assert _problems(result.problems) == _problems(expected.problems)
    assert (result.read, result.rejected) == (expected.summary.read, expected.summary.rejected)


def test_a_gathered_spu_meets_its_price_history(spark: Any, tmp_path: Path) -> None:
    _, _, merchants = _export_files(tmp_path)
    export = tmp_path / "discounts.csv"
    export.write_text("商品ID,商品名称,类目,售价,原价,规格,SKU价格(元),SKU库存\n"
                      "H1,羊毛围巾,apparel,99,199,白色,99,10\n"
                      "H1,羊毛围巾,apparel,99,199,黑色,99,5\n", encoding="utf-8")
    history = spark.createDataFrame([("H1", "2026-11-20T10:00:00+08:00", "110.00"),
                                     ("H1", "2026-11-24T10:00:00+08:00", "120.00")], "product string, at string, price string")
    result = guard.spark.check(spark, [str(export), str(merchants)], now=NOW, lang="en", history=history)
    assert result.read == 2 and result.problems == []  # the SPU and the merchant
    messages = [json.loads(line)["message"] for line in result.findings.toJSON().collect()]
    assert any("110.00" in m and "lowest transaction price of the 7 days before" in m for m in messages), messages


def test_cli_spark_reads_columns_and_says_what_it_ignored(spark: Any, tmp_path: Path,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    export, columns_file, merchants = _export_files(tmp_path)
    out = tmp_path / "findings"
    code = main(["check", "--spark", "--master", "local[2]", str(export), str(merchants), "--columns", str(columns_file),
                 "--now", NOW.isoformat(), "--format", "jsonl", "--output", str(out)])
    err = capsys.readouterr().err
    assert code == 1, err  # findings, and a warning is not a problem
    assert "提示" in err and "仓库备注" in err
    assert any(out.glob("part-*"))


def test_a_table_that_names_no_field_is_refused(spark: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    table = tmp_path / "other.csv"
    table.write_text("a,b\n1,2\n", encoding="utf-8")
    with pytest.raises(ValueError, match="no header row: none of the first 2 rows names two known columns"):
        guard.spark.read_records(spark, [str(table)])
    # a folder of part files is read by Spark alone, as UTF-8: a GB18030 header is unreadable there
    parts = tmp_path / "export.csv"
    parts.mkdir()
    (parts / "part-00000.csv").write_bytes("商品ID,商品名称,类目\nA1,T恤,服饰鞋包\n".encode("gb18030"))
    assert main(["check", "--spark", "--master", "local[2]", str(parts), "--format", "jsonl",
                 "--output", str(tmp_path / "out")]) == 2
    assert "must be UTF-8 with its header on the first line" in capsys.readouterr().err


def test_a_back_end_json_shape_is_adapted_on_spark(spark: Any, tmp_path: Path) -> None:
    from guard.io.readers import load_column_map

    examples = BENCH.parent / "examples" / "exports"
    _, _, merchants = _export_files(tmp_path)
    columns = load_column_map(examples / "categories.yaml")
    source = examples / "weixin-store-products.jsonl"
    expected = check_files([source, merchants], columns=columns, now=NOW, lang="en")
    result = guard.spark.check(spark, [str(source), str(merchants)], columns=columns, now=NOW, lang="en")
    found = [json.loads(line) for line in result.findings.toJSON().collect()]

    def without_file(record: dict[str, Any]) -> str:
        return _key({k: v for k, v in record.items() if k != "file"})

    assert expected.findings
    assert sorted(map(without_file, found)) == sorted(without_file(json.loads(line))
                                                      for line in render_jsonl(expected).splitlines())
    assert result.rejected == expected.summary.rejected == 0


# Tables with SKU rows, blank and padded cells, and price history: as one process reads them.
SKU_HEAD = "商品ID,商品名称,类目,规格,SKU价格(元),SKU库存\n"
HISTORY_HEAD = "商品ID,商品名称,类目,售价,原价,规格,SKU价格(元),SKU库存"
WEIXIN_HEAD = "product_id,out_product_id,title,category,out_sku_id,sale_price,stock_num,market_price"


@pytest.fixture
def merchant(tmp_path: Path) -> Path:
    return _export_files(tmp_path)[2]


def _unfiled(record: dict[str, Any]) -> str:
    return json.dumps({k: v for k, v in record.items() if v is not None and k != "file"}, sort_keys=True,
                      ensure_ascii=False)


def _where(problems: Any) -> list[tuple[str, str, str]]:
    return sorted((p.location, p.path, p.message) for p in problems)


def test_table_rows_are_read_as_guard_check_reads_them(spark: Any, tmp_path: Path, merchant: Path) -> None:
    tables = {  # one Spark run over them all; each table has ids of its own
        # an empty row between two SKU rows: skipped (and not counted), the SPU goes on
        "empty_row.csv": SKU_HEAD + "E1,纯棉T恤,apparel,白色 M,59,100\n,,,,,\nE1,纯棉T恤,apparel,白色 L,59,80\n",
        # a row that fills only an ignored column is empty too
        "ignored_only.csv": SKU_HEAD.strip() + ",仓库备注\nI1,纯棉T恤,apparel,白色 M,59,100,\n,,,,,,备注\n"
                            "I1,纯棉T恤,apparel,白色 L,59,80,\n",
        # the cell is read stripped: "T1 " is T1
        "spaces.csv": SKU_HEAD + "T1,纯棉T恤,apparel,白色 M,59,100\nT1 ,纯棉T恤,apparel,白色 L,59,80\n",
        # "\u3000" is blank: the row has no SKU, so it is a product of its own (without a price)
        "full_width.csv": SKU_HEAD + "F1,纯棉T恤,apparel,白色 M,59,100\nF1,纯棉T恤,apparel,\u3000,,\n",
    }
    paths = []
    for name, text in tables.items():
        paths.append(tmp_path / name)
        paths[-1].write_text(text, encoding="utf-8")
    expected = check_files([*paths, merchant], now=NOW, lang="en")
    assert [(p.location, p.path) for p in expected.problems] == [("row 3", "$.price")]
    result = guard.spark.check(spark, [*map(str, paths), str(merchant)], now=NOW, lang="en")
    assert _where(result.problems) == _where(expected.problems)
    assert (result.read, result.rejected) == (expected.summary.read, expected.summary.rejected)
    found = sorted(_unfiled(json.loads(line)) for line in result.findings.toJSON().collect())
    assert found == sorted(_unfiled(json.loads(line)) for line in render_jsonl(expected).splitlines())


@pytest.mark.parametrize("bucket_rows", [1 << 16, 2])
def test_sku_rows_that_leave_the_id_blank_belong_to_the_row_above(spark: Any, tmp_path: Path, merchant: Path,
                                                                   monkeypatch: pytest.MonkeyPatch,
                                                                   bucket_rows: int) -> None:
    # a back end that writes 商品ID on an SPU's first row only; with buckets of two rows the runs cross buckets
    monkeypatch.setattr(guard.spark, "BUCKET_ROWS", bucket_rows)
    table = tmp_path / "blank_ids.csv"
    table.write_text(SKU_HEAD + ",纯棉T恤,apparel,白色 S,59,100\n"  # at the top: a product of its own, no id
                     ",纯棉T恤,apparel,白色 M,59,100\n"  # ... with this SKU
                     "B1,纯棉T恤,apparel,白色 M,59,100\n,,,白色 L,59,80\n,,,白色 XL,69,0\n"  # B1's SKUs
                     "B2,羊毛围巾,apparel,,,\n,羊毛围巾,apparel,黑色,99,5\n,,,白色,99,0\n"  # no SKU above: no id
                     "B3,羊毛围巾,apparel,灰色,99,5\n,,,,,\n,,,黑色,9,5\n"  # an empty row does not end B3
                     "B3,羊毛围巾,apparel,白色,99,5\n", encoding="utf-8")
    expected = check_files([table, merchant], now=NOW, lang="en")
    assert [(p.location, p.path) for p in expected.problems] == [("row 2", "$.id"), ("row 7", "$.price"),
                                                                  ("row 8", "$.id")]
    assert (expected.summary.read, expected.summary.checked) == (6, 2)  # with the merchant: B1 and B3 checked
    result = guard.spark.check(spark, [str(table), str(merchant)], now=NOW, lang="en")
    assert _where(result.problems) == _where(expected.problems)
    assert (result.read, result.rejected) == (expected.summary.read, expected.summary.rejected)
    found = sorted(_unfiled(json.loads(line)) for line in result.findings.toJSON().collect())
    assert found == sorted(_unfiled(json.loads(line)) for line in render_jsonl(expected).splitlines())


def _history(spark: Any) -> Any:
    return spark.createDataFrame([(product, "2026-11-20T10:00:00+08:00", "110.00") for product in ("H1", "101", "P1")],
                                 "product string, at string, price string")


def _history_finding(spark: Any, table: Path, merchant: Path) -> list[str]:
    result = guard.spark.check(spark, [str(table), str(merchant)], now=NOW, lang="en", history=_history(spark))
    return [json.loads(line)["rule"] for line in result.findings.toJSON().collect()
            if "original price" in json.loads(line)["message"]]


def _history_agrees(spark: Any, table: Path, reference: Path, merchant: Path) -> None:
    """guard check, with the history in the table (历史成交价), finds the original price above the 7-day low;
    on Spark the history table must meet the product by its id as read, not by the raw cell."""
    expected = [f.rule for f in check_files([reference, merchant], now=NOW, lang="en").findings
                if "original price" in f.message]
    assert expected and _history_finding(spark, table, merchant) == expected


@pytest.mark.parametrize("head, rows, reference", ids=["padded-id", "weixin-store-out-product-id"], argvalues=[
    # an id padded with spaces
    (HISTORY_HEAD, " H1,羊毛围巾,apparel,99,199,白色,99,10\n H1,羊毛围巾,apparel,99,199,黑色,99,5\n",
     "H1,羊毛围巾,apparel,99,199,白色,99,10,2026-11-20 10:00=110.00\nH1,羊毛围巾,apparel,99,199,黑色,99,5,\n"),
    # 微信小店: the id is the profile's first filled id column (out_product_id here), not the first named for it
    (WEIXIN_HEAD, ",P1,羊毛围巾,apparel,K1,9900,10,19900\n,P1,羊毛围巾,apparel,K2,9900,5,19900\n",
     ",P1,羊毛围巾,apparel,K1,9900,10,19900,2026-11-20 10:00=110.00\n,P1,羊毛围巾,apparel,K2,9900,5,19900,\n"),
])
def test_history_meets_a_table_spu_by_its_id_as_read(spark: Any, tmp_path: Path, merchant: Path, head: str, rows: str,
                                                     reference: str) -> None:
    table, with_history = tmp_path / "table.csv", tmp_path / "reference.csv"
    table.write_text(f"{head}\n{rows}", encoding="utf-8")
    with_history.write_text(f"{head},历史成交价\n{reference}", encoding="utf-8")
    _history_agrees(spark, table, with_history, merchant)


def test_history_meets_an_spu_with_numeric_parquet_ids(spark: Any, tmp_path: Path, merchant: Path) -> None:
    import pandas

    table = tmp_path / "numeric.parquet"  # pandas writes float ids when a column has a gap; read as "101", keyed "101.0"
    pandas.DataFrame({"商品ID": [101.0, 101.0], "商品名称": ["羊毛围巾"] * 2, "类目": ["apparel"] * 2, "售价": ["99"] * 2,
                      "原价": ["199"] * 2, "规格": ["白色", "黑色"], "SKU价格(元)": ["99"] * 2,
                      "SKU库存": ["10", "5"]}).to_parquet(table)
    reference = tmp_path / "numeric-reference.csv"
    reference.write_text(HISTORY_HEAD + ",历史成交价\n101,羊毛围巾,apparel,99,199,白色,99,10,2026-11-20 10:00=110.00\n"
                         "101,羊毛围巾,apparel,99,199,黑色,99,5,\n", encoding="utf-8")
    _history_agrees(spark, table, reference, merchant)


@pytest.mark.parametrize("master, cores", [("local", 1), ("local[3]", 3), ("local[4,2]", 4), ("local[*]", os.cpu_count()),
                                           (None, os.cpu_count())])
def test_a_local_master_names_its_cores(master: str | None, cores: int) -> None:
    assert guard.spark._local_cores(master) == cores


def test_a_local_session_shuffles_into_twice_as_many_partitions_as_cores(spark: Any) -> None:
    assert spark.conf.get("spark.sql.shuffle.partitions") == "4"  # local[2]; Spark's default is 200


def test_a_gb18030_export_with_a_title_row_is_read_as_guard_check_reads_it(spark: Any, tmp_path: Path,
                                                                          merchant: Path) -> None:
    # the bundled shop export: GB18030, a title row above the header, units in the headers, a 历史成交价 column
    export = BENCH.parent / "examples" / "exports" / "shop-export.csv"
    tabbed = tmp_path / "tabbed.csv"  # and a tab-separated copy, with an empty line below its title
    text = export.read_bytes().decode("gb18030").splitlines()
    tabbed.write_bytes("\n".join([text[0], "", *(line.replace(",", "\t") for line in text[1:] if "\"" not in line)])
                       .encode("gb18030"))
    for source in (export, tabbed):
        expected = check_files([source, merchant], now=NOW, lang="en")
        assert len(expected.findings) >= 5 and expected.warnings
        result = guard.spark.check(spark, [str(source), str(merchant)], now=NOW, lang="en")
        assert _where(result.problems) == _where(expected.problems)
        assert _where(result.warnings) == _where(expected.warnings), source.name
        assert (result.read, result.rejected) == (expected.summary.read, expected.summary.rejected)
        found = sorted(_unfiled(json.loads(line)) for line in result.findings.toJSON().collect())
        assert found == sorted(_unfiled(json.loads(line)) for line in render_jsonl(expected).splitlines())


def test_a_utf16_csv_is_refused_with_what_to_do(spark: Any, tmp_path: Path) -> None:
    export = BENCH.parent / "examples" / "exports" / "qianniu-package.csv"
    with pytest.raises(ValueError, match="UTF-16 text, which Spark cannot split into lines; save it as UTF-8"):
        guard.spark.read_records(spark, [str(export)])


# Local CSV files: every row read as guard check (one process) reads it, at its row number.
CSV_HEAD = "商品ID,商品名称,类目,价格\n"
CSV_ROWS = "P1,纯棉T恤,apparel,59\nP2,羊毛围巾,apparel,99\n"


def _one_process(path: Path) -> list[tuple[str, Any]]:
    return sorted((r.location, r.data) for r in read_csv(path) if isinstance(r, RawRecord))


def _on_spark(spark: Any, path: Path) -> list[tuple[str, Any]]:
    records = guard.spark.read_records(spark, [str(path)])
    table = records.tables[0]
    items = [guard.spark._row_item(table, row.file, row.location, row.record, {}) for row in records.frame.collect()]
    return sorted((item.location, item.data) for item in items if item is not None)


@pytest.mark.parametrize("text", ids=[
    "spaces-only-line-above-the-header", "tab-only-line-above-the-header", "title-cell-over-two-lines",
    "blank-line-between-rows", "spaces-only-line-between-rows", "crlf-blank-line-between-rows",
    "doubled-quote-in-a-cell", "backslash-before-a-closing-quote", "cell-over-two-lines",
], argvalues=[
    # a title area with a line of spaces: Spark passes over it, and it must not cost the first row of data
    "   \n" + CSV_HEAD + CSV_ROWS,
    "\t\n" + CSV_HEAD + CSV_ROWS,
    # a quoted title cell over two lines is one row for csv (and for Spark, which then reads the file multiLine)
    '"店铺商品导出\n2026-11"\n' + CSV_HEAD + CSV_ROWS,
    # a blank line between rows takes a row number in one process; Spark passes over it
    CSV_HEAD + "P1,纯棉T恤,apparel,59\n\nP2,羊毛围巾,apparel,99\n",
    CSV_HEAD + "P1,纯棉T恤,apparel,59\n   \nP2,羊毛围巾,apparel,99\n",
    CSV_HEAD.replace("\n", "\r\n") + "P1,纯棉T恤,apparel,59\r\n\r\nP2,羊毛围巾,apparel,99\r\n",
    # a quote doubled inside a quoted cell (as spreadsheets write it) is one quote
    CSV_HEAD + 'P1,"14""屏 平板",apparel,59\n',
    # a backslash is an ordinary character to csv
    CSV_HEAD + 'P1,"C:\\",apparel,59\nP2,羊毛围巾,apparel,99\n',
    # a quoted cell over two lines (a description with a line break) is one row
    CSV_HEAD + 'P1,"纯棉T恤\n白色",apparel,59\nP2,羊毛围巾,apparel,99\n',
])
def test_a_local_csv_row_is_read_as_one_process_reads_it(spark: Any, tmp_path: Path, text: str) -> None:
    path = tmp_path / "export.csv"
    path.write_bytes(text.encode("utf-8"))
    expected = _one_process(path)
    assert expected
    assert _on_spark(spark, path) == expected


def test_a_line_of_spaces_above_the_header_loses_no_product(spark: Any, tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    path.write_text("   \n" + CSV_HEAD + "P1,纯棉T恤,,59\nP2,羊毛围巾,,99\n", encoding="utf-8")  # no 类目: a problem each
    expected = check_files([path], now=NOW, lang="en")
    assert [p.location for p in expected.problems if p.path == "$.category"] == ["row 3", "row 4"]
    result = guard.spark.check(spark, [str(path)], now=NOW, lang="en")
    assert sorted((p.location, p.path) for p in result.problems) == sorted((p.location, p.path)
                                                                           for p in expected.problems)
    assert result.read == expected.summary.read
