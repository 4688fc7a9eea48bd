"""Pre-publish checks: catalog -> facts -> engine -> findings."""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from guard.engine import Engine, make_engine
from guard.errors import InputProblem
from guard.facts import Subject, product_facts, promotion_facts, room_subjects
from guard.findings import Finding, FindingBuilder, Report, Summary
from guard.io.catalog import Catalog, parse_records
from guard.io.readers import RawRecord
from guard.io.stream import stream_catalog
from guard.lint import field_hits, text_subjects
from guard.model import CHINA_TZ, LiveRoom, Merchant, Product, Promotion
from guard.perf import gc_paused
from guard.rules.loader import RuleSet, default_rules, load_rules
from guard.text.matcher import Matcher, bundled_matcher

TEXT_FIELDS = ("name", "description")


def unknown_merchant(merchant_id: str, known: Iterable[str]) -> str:
    """The problem of a product naming a merchant that is not in the catalog."""
    return f"unknown merchant {merchant_id!r}; known: {sorted(known) or 'none'}"


def _resolve_merchant(product: Product, merchants: Mapping[str, Merchant]) -> tuple[Merchant | None, str | None]:
    if product.merchant is not None:
        merchant = merchants.get(product.merchant)
        if merchant is None:
            return None, unknown_merchant(product.merchant, merchants)
        return merchant, None
    if len(merchants) == 1:
        return next(iter(merchants.values())), None
    return None, None


def subjects(catalog: Catalog, *, platform: str | None, now: datetime, matcher: Matcher,
             problems: list[tuple[InputProblem, bool]]) -> Iterator[Subject]:
    """Every subject of a catalog in input order.

    An unresolved reference is appended to ``problems`` as (problem, whether the record was
    rejected); the catalog itself is not changed, so it can be checked again. Of the products,
    only those that promotions and rooms refer to are kept past their own subjects.
    """
    today = now.date()
    wanted = catalog.referenced()
    products: dict[str, Product] = {}
    for product, file, path in catalog.products:
        if platform is not None and product.platform != platform:
            product = product.model_copy(update={"platform": platform})
        if product.id in wanted:
            products[product.id] = product
        merchant, problem = _resolve_merchant(product, catalog.merchants)
        if problem:
            problems.append((InputProblem(file, path, "$.merchant", problem, product.id), True))
            continue
        facts = product_facts(product, merchant, today, now)
        yield Subject("product", f"product:{product.id}", product.id, product.platform, path, facts, file=file)
        texts = [getattr(product, field) for field in TEXT_FIELDS]
        for field, text, hits in zip(TEXT_FIELDS, texts, field_hits(matcher, texts)):
            if hits:
                yield from text_subjects(
                    text, platform=product.platform, category=product.category, path=f"{path}.{field}",
                    product=product.id, key=f"product:{product.id}/{field}", file=file, hits=hits,
                )
    by_product: dict[str, list[Promotion]] = {}
    for promo, _, _ in catalog.promotions:
        for pid in promo.products or [c.product for c in promo.components]:
            by_product.setdefault(pid, []).append(promo)
    for promo, file, path in catalog.promotions:
        refs = promo.products or [c.product for c in promo.components]
        unknown = [pid for pid in refs if pid not in products]
        if unknown:
            problems.append((InputProblem(file, path, "$.products", f"unknown product(s) {unknown}", promo.id), True))
            continue
        stack = by_product.get(refs[0], []) if refs else []
        facts = promotion_facts(promo, products, stack, now)
        plat = str(facts["platform"])
        yield Subject("promotion", f"promotion:{promo.id}", refs[0] if refs else None, plat, path, facts, file=file)
    for room, file, path in catalog.rooms:
        if platform is not None:
            room = room.model_copy(update={"platform": platform})
        yield from room_subjects(room, products, now, path, file)


def _progress(iterable: Iterable[Subject], total: int | None, enabled: bool) -> Iterable[Subject]:
    if not enabled:
        return iterable
    from tqdm import tqdm

    return tqdm(iterable, total=total, unit="subject", file=sys.stderr, mininterval=0.5, leave=False)


class Checking:
    """One check of a catalog: iterate it (once) for the findings in order, then ``report``.

    The findings are made as the subjects are, so a streamed catalog (``stream_catalog``) is
    checked without holding its products; whoever iterates decides whether to keep the findings.
    """

    def __init__(
        self,
        catalog: Catalog,
        *,
        ruleset: RuleSet | None = None,
        engine: Engine | str | None = None,
        platform: str | None = None,
        now: datetime | None = None,
        lang: str = "zh",
        progress: bool = False,
    ) -> None:
        self.catalog = catalog
        self.ruleset = ruleset if ruleset is not None else default_rules()
        self.runner = engine if isinstance(engine, Engine) else make_engine(self.ruleset, engine)
        self.builder = FindingBuilder(self.ruleset, lang)
        self.now = now if now is not None else datetime.now(CHINA_TZ)
        self.platform = platform
        self.progress = progress
        self.late: list[tuple[InputProblem, bool]] = []
        self.checked_products = 0  # a streamed catalog's product ids are unique: counting is enough
        self.checked_keys: set[str] = set()  # promotions and rooms, and the products of a list (ids may repeat)

    def __iter__(self) -> Iterator[Finding]:
        catalog = self.catalog
        sized = isinstance(catalog.products, list)
        total = len(catalog.products) + len(catalog.promotions) + len(catalog.rooms) if sized else None
        stream = _progress(subjects(catalog, platform=self.platform, now=self.now, matcher=bundled_matcher(),
                                    problems=self.late), total, self.progress)
        fired, build = self.runner.fired, self.builder.build
        with gc_paused():
            for subject in stream:
                if subject.kind == "product" and not sized:
                    self.checked_products += 1
                elif subject.kind in ("product", "promotion", "room"):
                    self.checked_keys.add(subject.key)
                for rule in fired(subject.kind, subject.platform, subject.facts):
                    yield build(rule, subject)

    def report(self, findings: tuple[Finding, ...] = (), tally: Mapping[str, int] | None = None) -> Report:
        """The report of the finished check: ``findings`` if they were kept, else their ``tally`` by tier."""
        catalog = self.catalog
        rejected = catalog.rejected + sum(1 for _, was_rejected in self.late if was_rejected)
        summary = Summary(read=catalog.read, checked=self.checked_products + len(self.checked_keys), rejected=rejected,
                          by_kind=catalog.by_kind)
        return Report(findings, (*catalog.problems, *(p for p, _ in self.late)), summary, self.runner.name,
                      tuple(catalog.warnings), tally=tally)


def check_catalog(
    catalog: Catalog,
    *,
    ruleset: RuleSet | None = None,
    engine: Engine | str | None = None,
    platform: str | None = None,
    now: datetime | None = None,
    lang: str = "zh",
    progress: bool = False,
) -> Report:
    """Evaluate every rule over a parsed catalog (or, once, over a streamed one)."""
    checking = Checking(catalog, ruleset=ruleset, engine=engine, platform=platform, now=now, lang=lang,
                        progress=progress)
    findings = tuple(checking)
    return checking.report(findings)


def check(
    products: Iterable[Product | Mapping[str, Any]] = (),
    *,
    merchant: Merchant | Mapping[str, Any] | None = None,
    promotions: Iterable[Promotion | Mapping[str, Any]] = (),
    live_rooms: Iterable[LiveRoom | Mapping[str, Any]] = (),
    platform: str | None = None,
    engine: Engine | str | None = None,
    rules: RuleSet | None = None,
    config: str | Path | Mapping[str, Any] | None = None,
    now: datetime | None = None,
    lang: str = "zh",
) -> Report:
    """Check products (models or dicts in yuan), with optional merchant, promotions and rooms.

    Returns a Report: iterate it for frozen, JSON-serialisable findings; ``report.problems``
    lists records that could not be checked and why.
    """
    catalog = Catalog()
    records: list[RawRecord] = []

    def add(kind: str, items: Iterable[Any]) -> None:
        for index, item in enumerate(items):
            where = f"$.{kind}s[{index}]"
            if isinstance(item, (Product, Promotion, LiveRoom, Merchant)):
                _add_model(catalog, kind, item, where)
            else:
                records.append(RawRecord(kind, dict(item), "<input>", where))

    add("merchant", [merchant] if merchant is not None else [])
    add("product", products)
    add("promotion", promotions)
    add("live_room", live_rooms)
    parse_records(records, catalog)
    if rules is not None:
        ruleset = rules
    else:
        ruleset = load_rules(config=config) if config is not None else default_rules()
    return check_catalog(catalog, ruleset=ruleset, engine=engine, platform=platform, now=now, lang=lang)


def _add_model(catalog: Catalog, kind: str, model: Any, where: str) -> None:
    catalog.read += 1
    catalog.by_kind[kind] = catalog.by_kind.get(kind, 0) + 1
    if kind == "merchant":
        catalog.merchants[model.id] = model
    elif kind == "product":
        catalog.products.append((model, "<input>", where))
    elif kind == "promotion":
        catalog.promotions.append((model, "<input>", where))
    else:
        catalog.rooms.append((model, "<input>", where))


def check_files(paths: Iterable[str | Path], *, columns: Mapping[str, str] | None = None, **options: Any) -> Report:
    """Read catalog files (one catalog together) and check them as they are read; ``columns`` maps
    your own headers to fields. The report holds every finding, but no product outlives its check."""
    with gc_paused():
        return check_catalog(stream_catalog(paths, columns), **options)
