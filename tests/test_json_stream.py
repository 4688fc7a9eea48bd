"""JSON catalog documents are read element by element, with the records a whole parse gives."""

from __future__ import annotations

import io
import json
import tracemalloc
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from guard.errors import InputFileError
from guard.io.readers import JsonStream, RawRecord, _document_records, read_json
from guard.io.stream import scan_others

SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-10**20, 10**20), st.text(max_size=6),
                    st.decimals(allow_nan=False, allow_infinity=False, places=2).map(str).map(Decimal))
VALUES = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner,
                                                                                           max_size=3), max_leaves=8)
RECORD = st.dictionaries(st.sampled_from(["id", "category", "name", "price", "kind", "x"]), VALUES, max_size=5)
KEYS = st.sampled_from(["merchant", "products", "promotions", "live_rooms", "rooms", "product", "other", "id", "category"])
DOCS = st.one_of(st.lists(RECORD, max_size=5),
                 st.dictionaries(KEYS, st.one_of(st.lists(RECORD, max_size=4), RECORD, VALUES), max_size=5))


def _dumps(doc: Any, indent: int | None) -> str:
    return json.dumps(doc, ensure_ascii=False, indent=indent, default=str)


def _streamed(text: str, chunk: int, kinds: frozenset[str] | None = None) -> list[Any]:
    stream = JsonStream(io.StringIO(text), "c.json", kinds, chunk=chunk)
    return [(i.kind, i.data, i.location) if isinstance(i, RawRecord) else (i.location, i.path, i.message)
            for i in stream.records()]


def _whole(text: str) -> list[Any]:
    doc = json.loads(text, parse_float=Decimal)
    return [(i.kind, i.data, i.location) if isinstance(i, RawRecord) else (i.location, i.path, i.message)
            for i in _document_records(doc, "c.json")]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(doc=DOCS, chunk=st.integers(1, 40), indent=st.sampled_from([None, 1]))
def test_a_streamed_document_gives_the_records_of_a_whole_parse(doc: Any, chunk: int, indent: int | None) -> None:
    text = _dumps(json.loads(_dumps(doc, None), parse_float=Decimal), indent)  # no repeated keys: json.dumps
    assert _streamed(text, chunk) == _whole(text)


def test_products_are_given_before_the_document_is_read_whole() -> None:
    products = [{"id": f"P{i}", "category": "apparel", "name": "纯棉圆领T恤", "price": "59.00"} for i in range(2000)]
    text = json.dumps({"merchant": {"mode": "self_operated"}, "products": products}, ensure_ascii=False)
    handle = io.StringIO(text)
    records = JsonStream(handle, "c.json", chunk=1024).records()
    assert next(records).kind == "merchant"
    assert next(records).data["id"] == "P0"
    assert handle.tell() < len(text) // 50  # a few kilobytes of about 150
    assert sum(1 for _ in records) == 1999


def test_a_streamed_document_is_never_held_whole_in_memory() -> None:
    products = [{"id": f"P{i}", "category": "apparel", "name": "纯棉圆领T恤", "price": "59.00"} for i in range(5000)]
    text = json.dumps({"merchant": {"mode": "self_operated"}, "products": products}, ensure_ascii=False)
    handle = io.StringIO(text)
    tracemalloc.start()
    try:
        assert sum(1 for _ in JsonStream(handle, "c.json", chunk=4096).records()) == 5001
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < len(text) // 2  # a few chunks and one record at a time (about 30 KB), not the text (760 KB)


class CountedReads(io.StringIO):
    """A text handle counting the reads made of it."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.reads = 0

    def read(self, size: int | None = -1) -> str:
        self.reads += 1
        return super().read(size)


def test_a_value_far_longer_than_a_chunk_is_read_in_a_few_growing_reads() -> None:
    text = json.dumps({"promotions": [{"id": "L1", "products": [f"P{i}" for i in range(20000)]}]})
    handle = CountedReads(text)
    assert [r.data["id"] for r in JsonStream(handle, "c.json", chunk=64).records()] == ["L1"]
    assert handle.reads < 40  # each read twice the last: about 15, where chunk by chunk would be about 3000


def test_a_value_far_longer_than_a_chunk_is_read_whole() -> None:
    text = json.dumps({"promotions": [{"id": "L1", "products": [f"P{i}" for i in range(5000)]}],
                       "products": [{"id": "P1", "category": "apparel"}]})
    assert _streamed(text, 16) == _whole(text)


def test_a_number_cut_at_a_chunk_end_is_read_whole() -> None:
    text = '[{"id": "P1", "price": 1234.5678}]'
    for chunk in range(1, len(text) + 1):
        assert _streamed(text, chunk)[0][1]["price"] == Decimal("1234.5678")
    assert _streamed("[12345]", 3) == [("product", 12345, "$[0]")]


def test_a_single_product_document_is_one_product() -> None:
    text = json.dumps({"id": "P1", "products": 3, "category": "apparel"})
    assert _streamed(text, 4) == _whole(text)  # "products" here is a field: not a single product, as a whole parse
    text = json.dumps({"merchant": "m1", "id": "P1", "category": "apparel"})
    assert _streamed(text, 4) == [("product", {"merchant": "m1", "id": "P1", "category": "apparel"}, "$")]


def test_a_repeated_top_level_key_is_read_where_it_stands() -> None:
    text = '{"products": [{"id": "P1"}], "products": [{"id": "P2"}]}'
    assert [r[1]["id"] for r in _streamed(text, 8)] == ["P1", "P2"]  # a whole parse kept only the last list


@pytest.mark.parametrize("text", [
    '{"products": [{"id": "P1", "category": "apparel"},\n {"id": "P2", "category": "apparel"},\n {broken',
    '[{"id": "P1"}] [{"id": "P2"}]',
    '{"products": [{"id": "P1"},]}',
    '[{"id": "P1"}; {"id": "P2"}]',
    '{"products": [{"id": "P1"}]; "merchant": {"mode": "self_operated"}}',
    '{"products": [], 5: []}',
    '{"products" [{"id": "P1"}]}',
    "",
])
def test_a_malformed_document_is_the_whole_parse_error(tmp_path: Path, text: str) -> None:
    path = tmp_path / "c.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(json.JSONDecodeError) as whole:
        json.loads(text)
    with pytest.raises(InputFileError, match=f"line {whole.value.lineno} column {whole.value.colno}: malformed JSON"):
        list(read_json(path))


def test_a_gb18030_document_streams(tmp_path: Path) -> None:
    path = tmp_path / "c.json"
    text = json.dumps({"products": [{"id": "P1", "category": "apparel", "name": "纯棉圆领T恤"}]}, ensure_ascii=False)
    path.write_bytes(text.encode("gb18030"))
    assert [(r.kind, r.data["name"]) for r in read_json(path)] == [("product", "纯棉圆领T恤")]


def test_the_first_pass_passes_products_over(tmp_path: Path) -> None:
    path = tmp_path / "c.json"
    path.write_text(json.dumps({"products": [{"id": "P1", "category": "apparel", "price": 1.5}],
                                "promotions": [{"id": "L1", "kind": "lottery", "products": ["P1"],
                                                "top_prize": 60000.5}]}), encoding="utf-8")
    assert [(r.kind, r.location) for r in read_json(path, kinds=frozenset({"promotion"}))] == [
        ("promotion", "$.promotions[0]")]
    assert [p.id for p, _, _ in scan_others([path]).promotions] == ["L1"]


def test_records_of_the_kinds_asked_for_keep_exact_decimals_and_problems_are_always_given(tmp_path: Path) -> None:
    path = tmp_path / "c.json"
    path.write_text(json.dumps({"products": [{"id": "P1", "category": "apparel", "price": 1.5}],
                                "promotions": [{"id": "L1", "kind": "lottery", "top_prize": 60000.1}],
                                "coupons": [{"id": "C1"}]}), encoding="utf-8")
    items = list(read_json(path, kinds=frozenset({"promotion"})))
    assert [(i.kind, i.data["top_prize"]) for i in items if isinstance(i, RawRecord)] == [
        ("promotion", Decimal("60000.1"))]
    assert [(i.path, i.message.split(";")[0]) for i in items if not isinstance(i, RawRecord)] == [
        ("$.coupons", "unknown top-level key 'coupons'")]


def test_a_well_formed_document_is_never_read_whole(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import guard.io.readers as readers

    def whole(path: Path) -> bytes:
        raise AssertionError(f"{path} read whole")

    monkeypatch.setattr(readers, "_read_bytes", whole)
    path = tmp_path / "c.json"
    path.write_text(json.dumps({"products": [{"id": "P1", "category": "apparel"}]}), encoding="utf-8")
    assert [r.data["id"] for r in read_json(path)] == ["P1"]
