"""Back-end export profiles: a shop back end's own field names, recognised and mapped to guard's.

A profile (``profiles:`` in ``columns.yaml``) is recognised from a tabular file's header row or a
JSON record's keys. It maps the back end's names to guard's fields, converts amounts the back end
keeps in fen (分) to yuan, fills what a record does not say (platform, channel), and for JSON
records lifts the SKU list and a few nested fields. Platform category ids and paths are mapped
with the ``categories:`` of a columns file (``ColumnMap``); guard never guesses a category.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache
from typing import Any

from guard.model import column_aliases


@dataclass(frozen=True, slots=True)
class Profile:
    key: str
    zh: str
    en: str
    defaults: Mapping[str, Any]  # what a record does not say: its platform and channel
    source: str
    detect: frozenset[str]
    headers: Mapping[str, str]  # their name -> guard field; earlier names win for one field
    fen: frozenset[str]  # their names whose amounts are in fen
    skus: str | None = None  # JSON: the key holding the SKU list
    sku_fields: Mapping[str, str] = field(default_factory=dict)  # inside one SKU: their name -> guard's
    nested: Mapping[str, str] = field(default_factory=dict)  # JSON: "outer.inner" -> guard field

    def name(self, lang: str) -> str:
        return self.zh if lang == "zh" else self.en


class ColumnMap(dict[str, str]):
    """A merchant's ``--columns`` file: header -> field, plus platform category -> guard category."""

    def __init__(self, columns: Mapping[str, str], categories: Mapping[str, str] | None = None) -> None:
        super().__init__(columns)
        self.categories: dict[str, str] = dict(categories or {})


@cache
def profiles() -> tuple[Profile, ...]:
    found = []
    for key, spec in (column_aliases().get("profiles") or {}).items():
        found.append(Profile(
            key=key, zh=spec["zh"], en=spec["en"], defaults=dict(spec.get("defaults") or {}), source=spec["source"],
            detect=frozenset(spec["detect"]), headers=dict(spec["headers"]), fen=frozenset(spec.get("fen") or ()),
            skus=spec.get("skus"), sku_fields=dict(spec.get("sku_fields") or {}), nested=dict(spec.get("nested") or {}),
        ))
    return tuple(found)


def detect(names: Iterable[Any]) -> Profile | None:
    """The profile whose every detecting name is among ``names`` (header cells or record keys)."""
    present = {str(name).strip() for name in names if name is not None}
    for profile in profiles():
        if profile.detect <= present:
            return profile
    return None


def detect_record(data: Mapping[str, Any]) -> Profile | None:
    """The profile of a JSON record, from its own keys and those of its SKU list's first entry."""
    keys = set(data)
    for profile in profiles():
        names = keys
        skus = data.get(profile.skus) if profile.skus else None
        if isinstance(skus, list) and skus and isinstance(skus[0], dict):
            names = keys | set(skus[0])
        if profile.detect <= names:
            return profile
    return None


def fen_to_yuan(value: Any) -> Any:
    """An amount in fen as yuan; anything that is not a whole number of fen is left for the model to refuse."""
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, Decimal)) or (isinstance(value, float) and value.is_integer()):
        return Decimal(int(value)) / 100
    if isinstance(value, str) and value.strip().isdigit():
        return Decimal(int(value.strip())) / 100
    return value


_PATH_SEPARATORS = re.compile(r"\s*[>/›»＞|]\s*")


def resolve_category(value: Any, categories: Mapping[str, str] | None) -> Any:
    """A platform category (an id, a name or a path such as 美妆>面部护肤>面霜) as guard's category.

    The merchant's ``categories:`` map is tried on the whole value, then on each level of a path from
    the deepest up; a value it does not name is returned unchanged for the model to judge.
    """
    if value is None or isinstance(value, bool):
        return value
    text = str(int(value)) if isinstance(value, (int, float)) and float(value).is_integer() else str(value).strip()
    mapping = categories or {}
    if text in mapping:
        return mapping[text]
    levels = [level for level in _PATH_SEPARATORS.split(text) if level]
    if len(levels) > 1:
        for level in reversed(levels):
            if level in mapping:
                return mapping[level]
    return value if not isinstance(value, (int, float)) else text


def adapt_record(data: dict[str, Any], profile: Profile) -> tuple[dict[str, Any], list[str]]:
    """A JSON record in a back end's shape as guard's product record, and the keys left unused."""
    record: dict[str, Any] = {}
    unused: list[str] = []
    for key, value in data.items():
        if key == profile.skus and isinstance(value, list):
            record["skus"] = [_adapt_sku(sku, profile) for sku in value]
            continue
        if isinstance(value, (dict, list)) and any(n.startswith(f"{key}.") for n in profile.nested):
            _lift_nested(key, value, profile, record)
            continue
        target = profile.headers.get(key)
        if target is None or target.startswith("sku_"):
            unused.append(key)
            continue
        if target in record or value in (None, ""):
            continue  # an earlier name gave this field
        record[target] = fen_to_yuan(value) if key in profile.fen else _text_id(target, value)
    if "category_path" in record:
        record.setdefault("category", ">".join(record.pop("category_path")))
    for key, value in profile.defaults.items():
        record.setdefault(key, value)
    reference_from_skus(record)
    return record, unused


def _text_id(target: str, value: Any) -> Any:
    """Ids are text: an API's numeric product id 10000001 is "10000001"."""
    if target == "id" and isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return value


def _adapt_sku(sku: Any, profile: Profile) -> Any:
    if not isinstance(sku, dict):
        return sku
    adapted: dict[str, Any] = {}
    for key, value in sku.items():
        target = profile.sku_fields.get(key)
        if target is None or target in adapted or value in (None, ""):
            continue
        adapted[target] = fen_to_yuan(value) if key in profile.fen else _text_id(target, value)
    if isinstance(sku.get("sku_attrs"), list):  # 微信小店: [{attr_key, attr_value}, …]
        adapted.setdefault("spec", " ".join(str(a.get("attr_value", "")) for a in sku["sku_attrs"] if isinstance(a, dict)))
    return adapted


def _lift_nested(key: str, value: dict[str, Any] | list[Any], profile: Profile, record: dict[str, Any]) -> None:
    """``outer.inner`` of a nested object; of a list of objects (微信小店 cats), each level in order."""
    parts = [part for part in (value if isinstance(value, list) else [value]) if isinstance(part, dict)]
    for name, target in profile.nested.items():
        outer, _, inner = name.partition(".")
        if outer != key:
            continue
        for part in parts:
            if part.get(inner) in (None, ""):
                continue
            if target == "category_path":
                record.setdefault("category_path", []).append(str(part[inner]))
            else:
                record.setdefault(target, part[inner])


def reference_from_skus(record: dict[str, Any]) -> None:
    """One 划线价 shared by every SKU (or given for the product) beside the selling price: a discount display."""
    skus = record.get("skus") or []
    references = {sku.pop("reference_price") for sku in skus if isinstance(sku, dict) and sku.get("reference_price")}
    reference = record.pop("reference_price", None) or (references.pop() if len(references) == 1 else None)
    if reference is None:
        return
    selling = record.get("price")
    if selling is None and skus:
        prices = [sku["price"] for sku in skus if isinstance(sku, dict) and isinstance(sku.get("price"), Decimal)]
        selling = min(prices) if prices else None
    if selling is not None and reference != selling:
        record["price_type"] = "discount"
        record["price"], record["price2"] = reference, selling
