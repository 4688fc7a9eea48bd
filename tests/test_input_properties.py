"""Bad input of any shape is an error value with a location, never a crash."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import guard
from guard.errors import InputFileError
from guard.io.catalog import load_catalog
from guard.model import Product

SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-10**6, 10**6), st.floats(allow_nan=True),
                    st.text(max_size=12), st.sampled_from(["general", "服饰鞋包", "59.999", "-1", "NaN", "1e-05"]))
FIELDS = st.sampled_from(list(Product.model_fields) + ["colour", "kind"])
RECORDS = st.dictionaries(FIELDS, st.one_of(SCALARS, st.lists(SCALARS, max_size=3)), max_size=8)


@settings(max_examples=300, deadline=None)
@given(st.lists(RECORDS, max_size=5))
def test_any_product_records_give_findings_or_problems(records: list[dict[str, Any]]) -> None:
    report = guard.check(records)
    assert report.summary.read == len(records)
    assert report.summary.checked + report.summary.rejected == len(records)
    for problem in report.problems:
        assert problem.location.startswith("$.products[") and problem.path.startswith("$") and problem.message


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.one_of(st.text(max_size=40), st.builds(json.dumps, RECORDS)), max_size=6))
def test_any_jsonl_lines_are_read_or_reported(tmp_path: Path, lines: list[str]) -> None:
    path = tmp_path / "c.jsonl"
    path.write_text("\n".join(line.replace("\n", " ") for line in lines) + "\n", encoding="utf-8")
    try:
        catalog = load_catalog([path])
    except InputFileError:
        return  # a file-level error is a clear error too
    assert catalog.read == sum(1 for line in lines if line.replace("\n", " ").strip())
    kept = len(catalog.products) + len(catalog.merchants) + len(catalog.promotions) + len(catalog.rooms)
    assert kept + catalog.rejected == catalog.read  # every line is kept or reported: nothing dropped silently
