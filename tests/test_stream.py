"""Streamed checks (guard.io.stream, guard.report.stream) give exactly the in-memory path's output,
and hold neither the products nor the findings."""

from __future__ import annotations

import csv
import gc
import json
import random
import tracemalloc
from datetime import datetime
from pathlib import Path

import pytest

from guard.check import Checking, check_catalog
from guard.cli import main
from guard.io.catalog import load_catalog
from guard.io.readers import may_be_kind, read_file
from guard.io.stream import OTHER_KINDS, stream_catalog
from guard.model import Product
from guard.report import RENDERERS
from guard.report.stream import rendered_check
from guard.report.text import summary_line

NOW = "2026-11-26T10:00:00+08:00"
QUALS = [{"type": "business_licence", "valid_until": "2028-12-31"}, {"type": "brand_authorization", "valid_until": "2028-12-31"}]
NAMES = ["玻璃水杯", "纯棉T恤加长版特别款限量款式新品上市", "全网最好的面霜", "保温杯", "可以消炎的眼霜"]


def _product(index: int, rng: random.Random) -> dict:
    price = rng.randint(100, 99900)
    item: dict = {"id": f"P{index:05d}", "category": rng.choice(["general", "cosmetics", "apparel"]),
                  "name": rng.choice(NAMES), "price": f"{price / 100:.2f}", "stock": rng.randint(1, 500),
                  "expected_peak_sales": rng.randint(1, 100), "qualifications": QUALS,
                  "platform": rng.choice(["wechat", "wechat", "douyin", "taobao"])}
    if rng.random() < 0.6:
        item.update(detail_url="pages/d", cover_width=rng.choice([300, 800]), cover_height=300, audit_status="approved")
    if rng.random() < 0.3:
        item.update(price_type="discount", price2=f"{max(price - 50, 1) / 100:.2f}",
                    price_history=[{"at": "2026-11-20T20:00:00+08:00", "price": f"{price / 100:.2f}"}])
    if rng.random() < 0.2:
        item["merchant"] = rng.choice(["M1", "M2", "M9"])  # M9 is no merchant of the catalog
    return item


def write_catalog(folder: Path, count: int, seed: int = 3) -> list[Path]:
    """A JSONL file with its merchants last (one spelled with escapes) and a room naming products of
    later files; a JSON file of promotions (one on a product read later), rooms and duplicate ids; a
    CSV export with SKU rows; bad lines and rows throughout."""
    rng = random.Random(seed)
    lines = [json.dumps(_product(i, rng), ensure_ascii=False) for i in range(count)]
    lines[3] = "{not json"
    lines[5] = json.dumps({"id": "P00005", "name": "缺类目"}, ensure_ascii=False)
    lines.append(json.dumps(_product(7, rng)))  # a duplicate id
    lines.append(json.dumps({"kind": "live_room", "id": "R1", "phase": "pre", "starts_at": "2026-11-27T20:00:00+08:00",
                             "products": [{"product": "P00010", "room_price": "1.00"}, {"product": "C-1"},
                                          {"product": "NOPE"}], "quick_bar": [f"P{i:05d}" for i in range(25)]}))
    lines.append(json.dumps({"kind": "merchant", "id": "M1", "mode": "self_operated", "enterprise_verified": True,
                             "mini_program_categories": ["general", "apparel"]}))
    lines.append('{"kind" : "\\u006derchant", "id": "M2", "mode": "service_provider", "authorized_categories": ["cosmetics"]}')
    jsonl = folder / "a.jsonl"
    jsonl.write_text("\n".join(lines) + "\n", encoding="utf-8")
    doc = {
        "promotions": [
            {"id": "X1", "kind": "direct_discount", "products": ["P00012"], "reference_price": "999.00", "price": "1.00",
             "start": "2026-11-26T20:00:00+08:00", "end": "2026-11-27T20:00:00+08:00"},
            {"id": "X2", "kind": "coupon", "products": ["C-2"], "discount": "5.00", "start": "2026-11-26T20:00:00+08:00"},
            {"id": "X3", "kind": "bundle", "components": [{"product": "P00014", "quantity": 2}, {"product": "B1"}], "stock": 9999},
            {"id": "X4", "kind": "lottery", "products": ["NOPE"], "top_prize": "60000"},
            {"id": "X5", "kind": "direct_discount", "products": ["P00012"], "discount": "2.00"},
        ],
        "products": [{"id": "B1", "category": "general", "name": "第一品牌保温杯", "price": "59.00", "stock": 3},
                     {"id": "P00020", "category": "general", "name": "重复", "price": "1.00"}],
        "live_rooms": [{"id": "R2", "phase": "post", "ended_at": "2026-11-25T22:00:00+08:00",
                        "products": [{"product": "B1", "sale_ends_at": "2026-11-25T00:00:00+08:00"}],
                        "sales_record_retention_days": 10}],
    }
    document = folder / "b.json"
    document.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    table = folder / "c.csv"
    with table.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["商品导出"])
        writer.writerow(["商品ID", "商品名称", "类目", "售价(元)", "原价(元)", "规格", "SKU价格", "SKU库存", "销量"])
        writer.writerow(["C-1", "羊毛围巾", "apparel", "", "", "灰色", "99.00", "5", "12"])
        writer.writerow(["", "", "", "", "", "黑色", "89.00", "7", ""])
        writer.writerow(["C-2", "最好的面霜", "cosmetics", "59.90", "89.00", "", "", "", "3"])
        writer.writerow(["C-3", "杯子", "general", "abc", "", "", "", "", ""])
    return [jsonl, document, table]


def in_memory(files: list[Path], fmt: str, *options: str) -> tuple[int, bytes, str]:
    """The pre-streaming path: load every model, check, render the whole report."""
    lang = "en" if "en" in options else "zh"
    platform = options[options.index("--platform") + 1] if "--platform" in options else None
    from datetime import datetime

    report = check_catalog(load_catalog(files), now=datetime.fromisoformat(NOW), lang=lang, platform=platform)
    if fmt == "text":
        from guard.report.text import render_text

        text = render_text(report, lang, verbose="--verbose" in options)
    else:
        text = RENDERERS[fmt](report, lang)
    code = 2 if report.problems else int(bool(report.findings))
    return code, text.encode("utf-8", "backslashreplace"), summary_line(report, lang)


@pytest.mark.parametrize("fmt, options", [
    ("text", ()), ("text", ("--verbose", "--lang", "en")), ("jsonl", ()), ("json", ()), ("sarif", ("--lang", "en")),
    ("github", ()), ("text", ("--platform", "douyin")), ("jsonl", ("--platform", "taobao")),
])
def test_streamed_check_gives_the_in_memory_output(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                   fmt: str, options: tuple[str, ...]) -> None:
    files = write_catalog(tmp_path, 300)
    out = tmp_path / "out"
    code = main(["check", *map(str, files), "--now", NOW, "--format", fmt, "--output", str(out), *options])
    expected_code, expected, summary = in_memory(files, fmt, *options)
    assert (code, out.read_bytes()) == (expected_code, expected)
    assert capsys.readouterr().err.splitlines()[-1] == summary
    assert expected.count(b"\n") > 300  # the catalog has findings of every kind of subject to order
    for subject in (b"promotion:X1", b"room:R1/product:P00010", b"room:R2", b"product:C-2"):
        assert fmt != "jsonl" or subject in expected


def test_streamed_catalog_matches_the_loaded_one(tmp_path: Path) -> None:
    files = write_catalog(tmp_path, 60)
    loaded, streamed = load_catalog(files), stream_catalog(files)
    assert list(streamed.products) == loaded.products  # read once, in order, the same models
    for name in ("merchants", "promotions", "rooms", "problems", "warnings", "read", "rejected", "by_kind"):
        assert getattr(streamed, name) == getattr(loaded, name), name
    assert streamed.kept == loaded.referenced() == {"P00010", "P00012", "P00014", "C-1", "C-2", "B1", "NOPE"}


def test_merchants_after_the_products_apply_to_them(tmp_path: Path) -> None:
    files = write_catalog(tmp_path, 40)
    merchants = stream_catalog(files).merchants  # known before the first product is checked
    assert sorted(merchants) == ["M1", "M2"] and merchants["M2"].mode == "service_provider"


def test_a_kind_spelled_with_escapes_or_spaces_is_never_skipped() -> None:
    for line in ('{"kind": "merchant", "mode": "自营"}', '{"kind" :\t"live_room"}', '{"\\u006bind": "merchant"}',
                 '{"kind": "\\u006derchant"}', '{"id": "P1", "kind": "promotion"}'):
        assert may_be_kind(line, OTHER_KINDS), line
    for line in ('{"id": "P1", "name": "kind merchant"}', '{"kind": "product"}', '{"desc": "\\"kind\\": \\"merchant\\""}'):
        assert not may_be_kind(line, OTHER_KINDS), line


def test_jsonl_and_csv_are_read_line_by_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    files = write_catalog(tmp_path, 20)
    expected = {path.suffix: list(read_file(path)) for path in files if path.suffix != ".json"}

    def whole_file(self: Path) -> bytes:
        raise AssertionError(f"{self} read whole")

    monkeypatch.setattr(Path, "read_bytes", whole_file)
    for path in files:
        if path.suffix != ".json":
            assert list(read_file(path)) == expected[path.suffix]


def test_gb18030_lines_are_read_in_the_whole_file_encoding(tmp_path: Path) -> None:
    path = tmp_path / "g.jsonl"
    path.write_bytes(('{"id": "G1", "category": "general", "name": "保温杯", "price": 9}\n' * 3).encode("gb18030"))
    assert [p.name for p, _, _ in load_catalog([path]).products[:1]] == ["保温杯"]
    path.write_bytes(b'{"id": "G1"}\n\xff\xff\xff\n')
    with pytest.raises(Exception, match="neither UTF-8 nor GB18030"):
        load_catalog([path])


def _live_products() -> int:
    return sum(1 for item in gc.get_objects() if isinstance(item, Product))


def test_a_streamed_check_keeps_only_the_products_others_refer_to(tmp_path: Path) -> None:
    files = write_catalog(tmp_path, 1500)
    catalog = stream_catalog(files)
    checking = Checking(catalog, now=None)
    counts = []
    for index, finding in enumerate(checking):
        if index % 200 == 199:
            counts.append(_live_products())
    assert len(counts) > 5
    kept = len(catalog.kept or ())  # at most these are held, plus the one being checked
    assert max(counts) <= kept + 2, counts


def _peak_growth(tmp_path: Path, count: int, fmt: str) -> int:
    folder = tmp_path / f"{fmt}-{count}"
    folder.mkdir()
    files = write_catalog(folder, count, seed=count)
    gc.collect()
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        from datetime import datetime

        checking = Checking(stream_catalog(files), now=datetime.fromisoformat(NOW))
        with rendered_check(checking, fmt) as (report, chunks):
            assert report.total() > count  # more than one finding per product, none of them kept
            peak = tracemalloc.get_traced_memory()[1]
            for _ in chunks:
                peak = max(peak, tracemalloc.get_traced_memory()[1])
        return peak - base
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("fmt", ["jsonl", "text"])
def test_memory_per_product_is_small(tmp_path: Path, fmt: str) -> None:
    """Peak traced memory grows by less than 1 KB per product, findings included (about 260 bytes
    now; holding the models adds about 3 KB per product, holding the findings about 1.3 KB)."""
    _peak_growth(tmp_path, 200, fmt)  # lexicons, segmenter and rules loaded outside the measurement
    small, large = _peak_growth(tmp_path, 2000, fmt), _peak_growth(tmp_path, 6000, fmt)
    assert (large - small) / 4000 < 1024, (small, large)


def test_a_merchant_repeated_in_a_later_file_is_the_later_one_for_every_product(tmp_path: Path) -> None:
    """As load_catalog reads files, the last record of a merchant id wins, also for the products read
    before it: the second pass must not put the earlier file's record back while it reads that file."""
    import yaml

    examples = Path(__file__).resolve().parent.parent / "examples"
    merchant = yaml.safe_load((examples / "merchant.yaml").read_text(encoding="utf-8"))["merchant"]
    product = next(p for p in json.loads((examples / "catalog.json").read_text(encoding="utf-8"))["products"]
                   if p["category"] == "cosmetics")
    narrow = {**merchant, "kind": "merchant", "mini_program_categories": ["apparel"]}
    first, second = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    first.write_text("".join(json.dumps(r, ensure_ascii=False, default=str) + "\n"
                             for r in (narrow, {**product, "kind": "product"})), encoding="utf-8")
    second.write_text(json.dumps({**merchant, "kind": "merchant"}, ensure_ascii=False, default=str) + "\n",
                      encoding="utf-8")
    now = datetime.fromisoformat(NOW)
    loaded = check_catalog(load_catalog([first, second]), now=now)
    streamed = check_catalog(stream_catalog([first, second]), now=now)
    assert not loaded.problems and not streamed.problems
    assert [f.rule for f in streamed.findings] == [f.rule for f in loaded.findings]
    assert "PERM-002" not in {f.rule for f in loaded.findings}  # the later record lists cosmetics
    narrowed = check_catalog(load_catalog([first]), now=now)  # the earlier record alone: not in the categories
    assert "PERM-002" in {f.rule for f in narrowed.findings}
