"""JSON documents streamed: a number that a chunk cuts after its point or exponent is read whole."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from guard.io.readers import _CHUNK, RawRecord, _document_records, read_json


def _whole(path: Path, kinds: frozenset[str] | None = None) -> list[tuple[str, object, str]]:
    doc = json.loads(path.read_text(encoding="utf-8"), parse_float=Decimal)
    return [(r.kind, r.data, r.location) for r in _document_records(doc, str(path))
            if isinstance(r, RawRecord) and (kinds is None or r.kind in kinds)]


def _read(path: Path, kinds: frozenset[str] | None = None) -> list[tuple[str, object, str]]:
    return [(r.kind, r.data, r.location) for r in read_json(path, kinds) if isinstance(r, RawRecord)]


def _cut_after(head: str, number: str, tail: str, cut: int) -> str:
    """``head`` padded with spaces so that the first ``cut`` characters of ``number`` end the first chunk."""
    pad = _CHUNK - len(head) - cut
    return head + " " * pad + number + tail


@pytest.mark.parametrize("number, cut", [("1.5", 2), ("0.25", 2), ("2e3", 2), ("1.0e+10", 5), ("1.5E-2", 4)])
def test_a_top_level_list_element_number_cut_after_its_point_or_exponent(tmp_path: Path, number: str,
                                                                          cut: int) -> None:
    # the first chunk of the file ends inside the number, just after "1." or "2e": the number read so far
    # is a whole number: the stream must read on before it gives it
    path = tmp_path / "c.json"
    path.write_text(_cut_after('{"products": [', number, "]}", cut), encoding="utf-8")
    assert _whole(path) == [("product", Decimal(number) if "." in number or "e" in number.lower() else int(number),
                             "$.products[0]")]
    assert _read(path) == _whole(path)


def test_a_top_level_scalar_entry_cut_after_its_point(tmp_path: Path) -> None:
    # after "products", an entry is given as it is decoded: "merchant": 1.5 must not be read as 1
    path = tmp_path / "c.json"
    path.write_text(_cut_after('{"products": [], "merchant": ', "1.5", "}", 2), encoding="utf-8")
    assert _whole(path) == [("merchant", Decimal("1.5"), "$.merchant")]
    assert _read(path) == _whole(path)
    kinds = frozenset({"merchant"})
    assert _read(path, kinds) == _whole(path, kinds)
