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
    """Everything read from one or more catalog files, ready to check."""

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

    def product_index(self) -> dict[str, Product]:
        return {p.id: p for p, _, _ in self.products}


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


def validation_problems(exc: ValidationError, record: RawRecord) -> list[InputProblem]:
    problems = []
    for error in exc.errors(include_url=False):
        message = error["msg"].removeprefix("Value error, ")
        if error["type"] == "missing":
            message = "required field is missing"
        elif error["type"] == "extra_forbidden":
            message = "unknown field"
        problems.append(InputProblem(record.file, record.location, _json_path(error["loc"]), message, _record_id(record.data)))
    return problems


def parse_records(items: Iterable[ReadItem], catalog: Catalog | None = None) -> Catalog:
    """Validate records into ``catalog`` (a new one by default); bad records become problems."""
    catalog = catalog if catalog is not None else Catalog()
    seen_products = {p.id: f"{file} {where}" for p, file, where in catalog.products}
    seen_other: dict[tuple[str, str], str] = {}
    for item in items:
        if isinstance(item, InputProblem) and item.warning:
            catalog.warnings.append(item)
            continue
        if isinstance(item, InputProblem):
            catalog.problems.append(item)
            catalog.rejected += 1
            catalog.read += 1
            continue
        catalog.read += 1
        catalog.by_kind[item.kind] = catalog.by_kind.get(item.kind, 0) + 1
        if not isinstance(item.data, dict):
            catalog.problems.append(InputProblem(item.file, item.location, "$", "expected an object (mapping)"))
            catalog.rejected += 1
            continue
        try:
            model = MODELS[item.kind].model_validate(item.data)
        except ValidationError as exc:
            catalog.problems.extend(validation_problems(exc, item))
            catalog.rejected += 1
            continue
        path = f"{item.file} {item.location}"
        key: str = model.id  # type: ignore[attr-defined]
        if item.kind == "product":
            if key in seen_products:
                catalog.problems.append(InputProblem(
                    item.file, item.location, "$.id", f"duplicate product id {key!r} (first at {seen_products[key]})", key))
                catalog.rejected += 1
                continue
            seen_products[key] = path
            catalog.products.append((model, item.file, item.location))  # type: ignore[arg-type]
            continue
        if (item.kind, key) in seen_other:
            catalog.problems.append(InputProblem(
                item.file, item.location, "$.id", f"duplicate {item.kind} id {key!r} (first at {seen_other[(item.kind, key)]})", key))
            catalog.rejected += 1
            continue
        seen_other[(item.kind, key)] = path
        if item.kind == "merchant":
            catalog.merchants[key] = model  # type: ignore[assignment]
        elif item.kind == "promotion":
            catalog.promotions.append((model, item.file, item.location))  # type: ignore[arg-type]
        else:
            catalog.rooms.append((model, item.file, item.location))  # type: ignore[arg-type]
    return catalog


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
                catalog.problems.append(InputProblem(str(path), "file", "$", "no records: the file holds nothing to check"))
    return catalog

