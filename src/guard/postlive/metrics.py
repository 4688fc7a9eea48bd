"""A live's metrics as a platform's data export gives them: per-minute rows and per-SKU rows.

CSV, XLSX or JSON (a list of rows, or ``{"minutes": [...], "skus": [...]}``). A row with a time is a
minute of the live; a row with a product or SKU is that SKU over the live. Headers are Chinese or
English (``metrics_headers`` in ``columns.yaml``); rates are read as shown (62%, 0.62 or 62).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from guard.errors import InputFileError
from guard.io.readers import _decode, _delimiter, _read_bytes
from guard.model import CHINA_TZ, column_aliases

COUNTS = ("viewers", "bounces", "clicks", "orders", "complaints")


@dataclass(frozen=True, slots=True)
class Minute:
    at: datetime
    viewers: int = 0  # entered the room in this minute (UV)
    bounces: int = 0  # of them, left again at once
    clicks: int = 0  # product clicks
    orders: int = 0  # paid orders
    complaints: int = 0
    stay_seconds: int | None = None  # mean stay of this minute's viewers


@dataclass(frozen=True, slots=True)
class SkuRow:
    sku: str
    name: str | None
    clicks: int
    orders: int


@dataclass
class Metrics:
    minutes: list[Minute] = field(default_factory=list)
    skus: list[SkuRow] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def _headers() -> dict[str, str]:
    mapping = {}
    for canonical, aliases in column_aliases()["metrics_headers"].items():
        mapping[canonical] = canonical
        for alias in aliases:
            mapping[str(alias).strip().lower()] = canonical
    return mapping


def _field(label: Any, headers: dict[str, str]) -> str | None:
    text = str(label).strip().lower() if label is not None else ""
    for candidate in (text, text.split("(")[0].split("（")[0].strip()):
        if candidate in headers:
            return headers[candidate]
    return None


def _count(value: Any) -> int:
    if value in (None, ""):
        return 0
    if isinstance(value, bool):
        raise ValueError(f"not a count: {value!r}")
    if isinstance(value, (int, float)) and float(value).is_integer() and value >= 0:
        return int(value)
    text = str(value).strip().replace(",", "")
    if text.isdigit():
        return int(text)
    raise ValueError(f"not a count: {value!r}")


def _rate(value: Any) -> Decimal | None:
    """A rate as shown: 62%, 0.62 or 62 all read as 0.62."""
    if value in (None, ""):
        return None
    text = str(value).strip().rstrip("%").strip()
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise ValueError(f"not a rate: {value!r}") from None
    if number < 0 or number > 100:
        raise ValueError(f"not a rate: {value!r}")
    return number / 100 if (str(value).strip().endswith("%") or number > 1) else number


def _time(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=CHINA_TZ)
    text = str(value).strip().replace("/", "-")
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"not a time: {value!r}") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=CHINA_TZ)


def _row(record: dict[str, Any], metrics: Metrics, where: str) -> None:
    try:
        counts = {name: _count(record.get(name)) for name in COUNTS}
        if record.get("bounce_rate") not in (None, "") and not record.get("bounces"):
            rate = _rate(record["bounce_rate"])
            counts["bounces"] = int((rate or 0) * counts["viewers"] + Decimal("0.5"))
        if record.get("at") not in (None, ""):
            stay = record.get("stay_seconds")
            metrics.minutes.append(Minute(_time(record["at"]), **counts,
                                          stay_seconds=_count(stay) if stay not in (None, "") else None))
        elif record.get("sku") not in (None, ""):
            sku = record["sku"]
            sku_id = str(int(sku)) if isinstance(sku, float) and sku.is_integer() else str(sku).strip()
            metrics.skus.append(SkuRow(sku_id, record.get("name"), counts["clicks"], counts["orders"]))
        else:
            metrics.problems.append(f"{where}: neither a time nor a product: not a row of the live")
    except ValueError as exc:
        metrics.problems.append(f"{where}: {exc}")


def _records(rows: Iterable[list[Any]], name: str) -> Iterable[tuple[str, dict[str, Any]]]:
    headers = _headers()
    columns: list[str | None] | None = None
    for number, row in enumerate(rows, start=1):
        if columns is None:
            found = [_field(cell, headers) for cell in row]
            if sum(1 for f in found if f) >= 2:  # the header row, under any title rows
                columns = found
            continue
        if not any(cell not in (None, "") for cell in row):
            continue
        yield f"{name} row {number}", {c: v for c, v in zip(columns, row) if c}
    if columns is None:
        raise InputFileError(f"{name}: no header row naming the live's metrics (时间, 观看人数, 点击, 成交 …)")


def read_metrics(path: str | Path) -> Metrics:
    """Read a metrics export; a bad row is a problem with its location and the rest is still read."""
    file = Path(path)
    if not file.exists():
        raise InputFileError(f"{file}: no such file")
    metrics = Metrics()
    suffix = file.suffix.lower()
    if suffix == ".json":
        try:
            doc = json.loads(_decode(_read_bytes(file), str(file)))
        except json.JSONDecodeError as exc:
            raise InputFileError(f"{file}: malformed JSON: {exc.msg}") from None
        rows = doc if isinstance(doc, list) else [*doc.get("minutes", []), *doc.get("skus", [])] if isinstance(doc, dict) else None
        if rows is None:
            raise InputFileError(f"{file}: expected a list of rows or {{minutes: [...], skus: [...]}}")
        headers = _headers()
        for index, item in enumerate(rows):
            if not isinstance(item, dict):
                metrics.problems.append(f"{file} $[{index}]: expected an object")
                continue
            _row({_field(k, headers) or k: v for k, v in item.items()}, metrics, f"{file} $[{index}]")
    elif suffix == ".csv":
        text = _decode(_read_bytes(file), str(file))
        for where, record in _records(csv.reader(io.StringIO(text), delimiter=_delimiter(text)), str(file)):
            _row(record, metrics, where)
    elif suffix == ".xlsx":
        from openpyxl import load_workbook

        try:
            workbook = load_workbook(file, read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises several unrelated types for a broken file
            raise InputFileError(f"{file}: cannot open as XLSX: {exc}") from None
        try:
            for sheet in workbook.worksheets:
                try:
                    for where, record in _records((list(r) for r in sheet.iter_rows(values_only=True)), f"{file} {sheet.title}"):
                        _row(record, metrics, where)
                except InputFileError:
                    continue  # a sheet without metrics (notes, a cover)
        finally:
            workbook.close()
    else:
        raise InputFileError(f"{file}: unknown file type {file.suffix!r}; use .csv, .xlsx or .json")
    if not metrics.minutes and not metrics.skus:
        raise InputFileError(f"{file}: no rows of the live's metrics")
    metrics.minutes.sort(key=lambda m: m.at)
    return metrics
