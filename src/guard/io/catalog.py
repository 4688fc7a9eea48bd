"""Turn raw records into validated models, collecting every problem with its location."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from guard.errors import InputProblem
from guard.io.readers import RawRecord, ReadItem, read_file
from guard.model import LiveRoom, Merchant, Product, Promotion
from guard.perf import gc_paused

MODELS: dict[str, type[BaseModel]] = {
    "merchant": Merchant,
    "product": Product,
    "promotion": Promotion,
    "live_room": LiveRoom,
}


@dataclass
class Catalog:
    """Everything read from one or more catalog files, ready to check.

    ``products`` is a list, or for a streamed catalog (``guard.io.stream``) an iterable read once
    that fills the other fields as it goes; ``kept`` then names, in advance, the products that
    promotions and rooms refer to.
    """

    merchants: dict[str, Merchant] = field(default_factory=dict)
    # each entry: (model, file, location) where location is "$.products[3]", "row 4" or "line 7"
    products: list[tuple[Product, str, str]] = field(default_factory=list)
    promotions: list[tuple[Promotion, str, str]] = field(default_factory=list)
    rooms: list[tuple[LiveRoom, str, str]] = field(default_factory=list)
    problems: list[InputProblem] = field(default_factory=list)
    warnings: list[InputProblem] = field(default_factory=list)
    read: int = 0
    rejected: int = 0
    by_kind: dict[str, int] = field(default_factory=dict)
    kept: frozenset[str] | None = None

    def product_index(self) -> dict[str, Product]:
        return {p.id: p for p, _, _ in self.products}

    def referenced(self) -> frozenset[str]:
        """Ids of the products that promotions and live rooms refer to (all a check keeps)."""
        if self.kept is not None:
            return self.kept
        return referenced_ids((p for p, _, _ in self.promotions), (r for r, _, _ in self.rooms))


def referenced_ids(promotions: Iterable[Promotion], rooms: Iterable[LiveRoom]) -> frozenset[str]:
    """Every product id a promotion (targets and bundle components) or a room (bound products) names."""
    ids: set[str] = set()
    for promo in promotions:
        ids.update(promo.products)
        ids.update(component.product for component in promo.components)
    for room in rooms:
        ids.update(item.product for item in room.products)
    return frozenset(ids)


def _json_path(loc: Iterable[Any]) -> str:
    path = "$"
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else f".{part}"
    return path


def _record_id(data: Any) -> str | None:
    if isinstance(data, dict):
        value = data.get("id")
        return str(value) if value is not None else None
    return None


_VALUE_ERRORS_ZH = (  # guard's own value errors, by their English start
    ("at most 2 decimal places", "金额最多两位小数：{value}"),
    ("not an amount in yuan", "不是有效金额：{value}"),
    ("amount may not be negative", "金额不能为负数：{value}"),
    ("amount must be a finite number", "金额必须是有限的数：{value}"),
    ("amount above the platform's price cap", "金额超过平台上限 1,000万元：{value}"),
    ("expected an amount in yuan", "应为以元为单位的金额"),
    ("unknown category", "未知类目 {value}：请填写 guard 的类目（如 普通化妆品、预包装食品），或在 --columns 文件的 "
                         "categories: 中把平台类目映射到 guard 的类目"),
)
_TYPES_ZH = {
    "missing": "缺少必填项",
    "extra_forbidden": "未知字段",
    "string_too_short": "不能为空",
    "bool_parsing": "应为 是/否",
    "bool_type": "应为 是/否",
    "int_parsing": "应为整数",
    "int_type": "应为整数",
    "int_from_float": "应为整数",
    "datetime_parsing": "不是有效的日期时间",
    "datetime_from_date_parsing": "不是有效的日期时间",
    "date_parsing": "不是有效的日期",
    "date_from_datetime_parsing": "不是有效的日期",
    "list_type": "应为多项（用分号分隔）",
    "dict_type": "应为一组字段",
    "model_type": "应为一组字段",
}


def _message_zh(error: Any, message: str) -> str | None:
    kind, ctx, value = error["type"], error.get("ctx") or {}, error.get("input")
    if kind in _TYPES_ZH:
        return _TYPES_ZH[kind]
    if kind == "greater_than":
        return f"必须大于 {ctx.get('gt')}，实际为 {value!r}"
    if kind == "greater_than_equal":
        return f"不能小于 {ctx.get('ge')}，实际为 {value!r}"
    if kind == "less_than_equal":
        return f"不能大于 {ctx.get('le')}，实际为 {value!r}"
    if kind == "literal_error":
        return f"取值应为 {ctx.get('expected')}，实际为 {value!r}"
    if kind == "value_error":
        for start, template in _VALUE_ERRORS_ZH:
            if message.startswith(start):
                return template.format(value=repr(value) if isinstance(value, str) else value)
    return None


def validation_problems(exc: ValidationError, record: RawRecord) -> list[InputProblem]:
    problems = []
    labels = record.labels or {}
    cells = record.cells or {}
    for error in exc.errors(include_url=False):
        message = error["msg"].removeprefix("Value error, ")
        if error["type"] == "missing":
            message = "required field is missing"
        elif error["type"] == "extra_forbidden":
            message = "unknown field"
        first = error["loc"][0] if error["loc"] else None
        problems.append(InputProblem(record.file, record.location, _json_path(error["loc"]), message, _record_id(record.data),
                                     column=labels.get(first) if isinstance(first, str) else None,
                                     message_zh=_message_zh(error, message),
                                     cell=cells.get(first) if isinstance(first, str) else None))
    return problems


class FirstSeen:
    """Where each product id was first read, to name it when the id comes again.

    One dict per file, so each entry holds the id and its location as the reader made them and the
    file name is stored once; this is all a streamed check keeps per product.
    """

    def __init__(self) -> None:
        self._by_file: dict[str, dict[str, str]] = {}

    def add(self, key: str, file: str, location: str) -> None:
        self._by_file.setdefault(file, {})[key] = location

    def get(self, key: str) -> str | None:
        """"file location" of the id's first record, or None when it has not been read."""
        for file, locations in self._by_file.items():
            location = locations.get(key)
            if location is not None:
                return f"{file} {location}"
        return None


class Intake:
    """Validates records one at a time into a catalog; bad records become problems.

    ``take`` returns a valid, first-seen product as (model, file, location) and leaves it to the
    caller to keep or check; merchants, promotions and rooms go into the catalog. Product ids are
    unique across files (``seen_products`` may be shared); other ids only within one intake.
    """

    def __init__(self, catalog: Catalog, seen_products: FirstSeen | None = None, merchants_known: bool = False) -> None:
        self.catalog = catalog
        self.merchants_known = merchants_known  # the catalog already holds the final merchants (a second pass)
        if seen_products is None:
            seen_products = FirstSeen()
            for product, file, where in catalog.products:
                seen_products.add(product.id, file, where)
        self.seen_products = seen_products
        self._seen_other: dict[tuple[str, str], str] = {}

    def take(self, item: ReadItem) -> tuple[Product, str, str] | None:
        catalog = self.catalog
        if isinstance(item, InputProblem) and item.warning:
            catalog.warnings.append(item)
            return None
        if isinstance(item, InputProblem):
            catalog.problems.append(item)
            catalog.rejected += 1
            catalog.read += 1
            return None
        catalog.read += 1
        catalog.by_kind[item.kind] = catalog.by_kind.get(item.kind, 0) + 1
        if not isinstance(item.data, dict):
            catalog.problems.append(InputProblem(item.file, item.location, "$", "expected an object (mapping)"))
            catalog.rejected += 1
            return None
        try:
            model = MODELS[item.kind].model_validate(item.data)
        except ValidationError as exc:
            catalog.problems.extend(validation_problems(exc, item))
            catalog.rejected += 1
            return None
        key: str = model.id  # type: ignore[attr-defined]
        if item.kind == "product":
            first = self.seen_products.get(key)
            if first is not None:
                catalog.problems.append(InputProblem(
                    item.file, item.location, "$.id", f"duplicate product id {key!r} (first at {first})", key))
                catalog.rejected += 1
                return None
            self.seen_products.add(key, item.file, item.location)
            return model, item.file, item.location  # type: ignore[return-value]
        if (item.kind, key) in self._seen_other:
            catalog.problems.append(InputProblem(
                item.file, item.location, "$.id",
                f"duplicate {item.kind} id {key!r} (first at {self._seen_other[(item.kind, key)]})", key))
            catalog.rejected += 1
            return None
        self._seen_other[(item.kind, key)] = f"{item.file} {item.location}"
        if item.kind == "merchant":
            if not self.merchants_known:  # else an earlier file's record would stand until a later one is read
                catalog.merchants[key] = model  # type: ignore[assignment]
        elif item.kind == "promotion":
            catalog.promotions.append((model, item.file, item.location))  # type: ignore[arg-type]
        else:
            catalog.rooms.append((model, item.file, item.location))  # type: ignore[arg-type]
        return None


def parse_records(items: Iterable[ReadItem], catalog: Catalog | None = None) -> Catalog:
    """Validate records into ``catalog`` (a new one by default); bad records become problems."""
    catalog = catalog if catalog is not None else Catalog()
    intake = Intake(catalog)
    for item in items:
        product = intake.take(item)
        if product is not None:
            catalog.products.append(product)
    return catalog


NO_RECORDS = ("no records: the file holds nothing to check", "没有任何记录：文件里没有可检查的内容")


def load_catalog(paths: Iterable[str | Path], columns: Mapping[str, str] | None = None) -> Catalog:
    """Read and validate every file; all files form one catalog (merchants, products, promotions, rooms).

    ``columns`` maps a merchant's own column headers to guard's fields (``load_column_map``).
    """
    catalog = Catalog()
    with gc_paused():
        for path in paths:
            before = catalog.read
            parse_records(read_file(path, columns), catalog)
            if catalog.read == before:
                catalog.problems.append(InputProblem(str(path), "file", "$", NO_RECORDS[0], message_zh=NO_RECORDS[1]))
    return catalog

