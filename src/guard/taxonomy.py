"""Categories, qualification types and platform facts, read from ``rules/*.yaml``."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

import yaml

from guard.data import data_dir, load_yaml
from guard.errors import RuleFileError


@dataclass(frozen=True, slots=True)
class Category:
    id: str
    zh: str
    group: str
    review: str | None  # review group with a known time; None where no source gives one
    requires: tuple[str, ...]
    food: bool = False
    medical: bool = False
    strict: bool = False


@dataclass(frozen=True, slots=True)
class Taxonomy:
    categories: dict[str, Category]
    qualification_types: dict[str, dict[str, str]]
    requirements: dict[str, tuple[str, ...]]
    review_days: dict[str, tuple[int, int]]
    platforms: dict[str, dict[str, str]]
    store_title_symbols: frozenset[str]
    store_head_images_min: dict[str, int]
    category_by_zh: dict[str, str]

    def category(self, value: str) -> Category:
        key = self.category_by_zh.get(value, value)
        try:
            return self.categories[key]
        except KeyError:
            known = ", ".join(sorted(self.categories))
            raise ValueError(f"unknown category {value!r}; known: {known}") from None


def _read(name: str) -> dict[str, Any]:
    path = data_dir("rules") / name
    try:
        with path.open(encoding="utf-8") as fh:
            loaded = load_yaml(fh)
    except (OSError, yaml.YAMLError) as exc:
        raise RuleFileError(str(path), f"cannot read: {exc}") from exc
    if not isinstance(loaded, dict):
        raise RuleFileError(str(path), "expected a mapping at the top level")
    return loaded


@cache
def taxonomy() -> Taxonomy:
    """Load and cross-check categories.yaml and platforms.yaml (cached)."""
    cats = _read("categories.yaml")
    plats = _read("platforms.yaml")
    qtypes = cats["qualification_types"]
    requirements = {req: tuple(types) for req, types in cats["requirements"].items()}
    for req, types in requirements.items():
        for qtype in types:
            if qtype not in qtypes:
                raise RuleFileError("categories.yaml", f"requirement {req} names unknown qualification {qtype}")
    review_days = {k: (int(v[0]), int(v[1])) for k, v in cats["review_days"].items()}
    categories: dict[str, Category] = {}
    for cid, spec in cats["categories"].items():
        for req in spec.get("requires", []):
            if req not in requirements:
                raise RuleFileError("categories.yaml", f"category {cid} requires unknown requirement {req}")
        if spec.get("review") is not None and spec["review"] not in review_days:
            raise RuleFileError("categories.yaml", f"category {cid} has unknown review group {spec['review']}")
        categories[cid] = Category(
            id=cid,
            zh=spec["zh"],
            group=spec["group"],
            review=spec.get("review"),
            requires=tuple(spec.get("requires", [])),
            food=bool(spec.get("food", False)),
            medical=bool(spec.get("medical", False)),
            strict=bool(spec.get("strict", False)),
        )
    return Taxonomy(
        categories=categories,
        qualification_types=qtypes,
        requirements=requirements,
        review_days=review_days,
        platforms=plats["platforms"],
        store_title_symbols=frozenset(plats["weixin_store_title_symbols"]),
        store_head_images_min={k: int(v) for k, v in plats["weixin_store_head_images_min"].items()},
        category_by_zh={c.zh: c.id for c in categories.values()},
    )
