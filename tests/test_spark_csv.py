"""Local CSV files on Spark: every row read as guard check (one process) reads it, at its row number."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import NOW

from guard.check import check_files
from guard.io.readers import RawRecord, read_csv

pytest.importorskip("pyspark", reason="the spark extra (pyspark) is not installed")
if shutil.which("java") is None:
    pytest.skip("Spark needs Java (java is not on PATH)", allow_module_level=True)

import guard.spark  # noqa: E402  (after the skips: it needs pyspark)

pytestmark = [
    pytest.mark.slow,
    pytest.mark.filterwarnings("ignore::ResourceWarning"),
    pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning"),
]

HEAD = "商品ID,商品名称,类目,价格\n"
ROWS = "P1,纯棉T恤,apparel,59\nP2,羊毛围巾,apparel,99\n"


@pytest.fixture(scope="module")
def spark() -> Iterator[Any]:
    session = guard.spark.session("local[2]")
    yield session
    session.stop()


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
    "   \n" + HEAD + ROWS,
    "\t\n" + HEAD + ROWS,
    # a quoted title cell over two lines is one row for csv (and for Spark, which then reads the file multiLine)
    '"店铺商品导出\n2026-11"\n' + HEAD + ROWS,
    # a blank line between rows takes a row number in one process; Spark passes over it
    HEAD + "P1,纯棉T恤,apparel,59\n\nP2,羊毛围巾,apparel,99\n",
    HEAD + "P1,纯棉T恤,apparel,59\n   \nP2,羊毛围巾,apparel,99\n",
    HEAD.replace("\n", "\r\n") + "P1,纯棉T恤,apparel,59\r\n\r\nP2,羊毛围巾,apparel,99\r\n",
    # a quote doubled inside a quoted cell (as spreadsheets write it) is one quote
    HEAD + 'P1,"14""屏 平板",apparel,59\n',
    # a backslash is an ordinary character to csv
    HEAD + 'P1,"C:\\",apparel,59\nP2,羊毛围巾,apparel,99\n',
    # a quoted cell over two lines (a description with a line break) is one row
    HEAD + 'P1,"纯棉T恤\n白色",apparel,59\nP2,羊毛围巾,apparel,99\n',
])
def test_a_local_csv_row_is_read_as_one_process_reads_it(spark: Any, tmp_path: Path, text: str) -> None:
    path = tmp_path / "export.csv"
    path.write_bytes(text.encode("utf-8"))
    expected = _one_process(path)
    assert expected
    assert _on_spark(spark, path) == expected


def test_a_line_of_spaces_above_the_header_loses_no_product(spark: Any, tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    path.write_text("   \n" + HEAD + "P1,纯棉T恤,,59\nP2,羊毛围巾,,99\n", encoding="utf-8")  # no 类目: a problem each
    expected = check_files([path], now=NOW, lang="en")
    assert [p.location for p in expected.problems if p.path == "$.category"] == ["row 3", "row 4"]
    result = guard.spark.check(spark, [str(path)], now=NOW, lang="en")
    assert sorted((p.location, p.path) for p in result.problems) == sorted((p.location, p.path)
                                                                           for p in expected.problems)
    assert result.read == expected.summary.read
