"""What the host says against what the shop sells: spoken claims bound to products and compared.

A claim binds to a product by a marker at the start of a line (【P1】 or 【1号链接】, binding the
speech that follows until the next marker), else by the product whose name or alias the speech
mentions; a claim nothing binds is reported as unbound. Each bound claim becomes a
``spoken_claim`` subject whose facts hold both sides, the spoken value and the catalog's at ``now``,
so the script rules decide on both engines.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from guard.claims.extract import Claim, extract
from guard.facts import PRICE_CUTTING, FactValue, Subject, _put, _stacked_price, reference_ceiling
from guard.io.catalog import Catalog
from guard.model import CHINA_TZ, Product, Promotion

_MARKER = re.compile(r"^\s*[【\[]\s*(?P<ref>[^】\]\s]{1,40})\s*[】\]]")
_LINK = re.compile(r"^(?:(?P<n>\d{1,3})号?链接|链接(?P<m>\d{1,3}))$")


@dataclass(frozen=True, slots=True)
class Offer:
    """A product as a buyer meets it now: the price charged, its reference, stock and live promotions."""

    product: Product
    charged_fen: int
    reference_fen: int | None  # the 原价 the catalog shows (a discount display, or an active promotion's)
    ceiling_fen: int | None  # the 7-day lowest transaction price, else the last one
    ceiling_basis: str
    ends_at: datetime | None  # the earliest end of an active price-cutting promotion
    cutting: bool  # an active promotion cuts the price
    gifts: tuple[Promotion, ...]
    lotteries: tuple[Promotion, ...]


def _active(promo: Promotion, now: datetime) -> bool:
    return (promo.start is None or promo.start <= now) and (promo.end is None or now < promo.end)


def offers(catalog: Catalog, now: datetime) -> dict[str, Offer]:
    """Every product's offer at ``now``."""
    by_product: dict[str, list[Promotion]] = {}
    shop_wide: list[Promotion] = []
    for promo, _, _ in catalog.promotions:
        if not _active(promo, now):
            continue
        targets = promo.products or tuple(c.product for c in promo.components)
        if not targets:
            shop_wide.append(promo)
        for pid in targets:
            by_product.setdefault(pid, []).append(promo)
    found = {}
    for product, _, _ in catalog.products:
        promos = by_product.get(product.id, []) + shop_wide
        cutting = [p for p in promos if p.kind in PRICE_CUTTING]
        charged = _stacked_price(product.current_price, cutting) if cutting else product.current_price
        reference = next((p.reference_price for p in cutting if p.reference_price is not None), None)
        if reference is None and product.price_type == "discount" and product.price2 is not None:
            reference = product.price
        history = [(p.at, p.price) for p in product.price_history]
        ceiling, basis = reference_ceiling(history, now)
        ends = [p.end for p in cutting if p.end is not None]
        found[product.id] = Offer(
            product, charged, reference, ceiling, basis, min(ends) if ends else None, bool(cutting),
            tuple(p for p in promos if p.kind == "gift"), tuple(p for p in promos if p.kind == "lottery"),
        )
    return found


class Binder:
    """Which product the speech is about, line by line."""

    def __init__(self, catalog: Catalog) -> None:
        self.products = {p.id: p for p, _, _ in catalog.products}
        self.links: dict[int, str] = {}  # 1号链接 → the first live room's products, in order
        for room, _, _ in catalog.rooms:
            self.links = {i: rp.product for i, rp in enumerate(room.products, start=1)}
            break
        names: dict[str, set[str]] = {}
        for product in self.products.values():
            for name in (product.name, *product.aliases):
                if name and len(name) >= 2:
                    names.setdefault(name, set()).add(product.id)
        self.names = sorted(names.items(), key=lambda item: -len(item[0]))
        self.current: str | None = None
        self.by_marker = False
        self.unknown_marker: str | None = None

    def line(self, text: str) -> tuple[str | None, str]:
        """The product this line's claims bind to, and how ("marker", "mention" or "none").

        A caption stream may also switch the product by an event line, ``{"product": "P1"}``
        (what a live console sends when the host puts up another link)."""
        event = _product_event(text)
        if event is not None:
            self.current, self.by_marker = (event if event in self.products else None), True
            return self.current, "marker" if self.current else "none"
        marker = _MARKER.match(text)
        if marker:
            ref = marker.group("ref")
            link = _LINK.match(ref)
            pid = self.links.get(int(link.group("n") or link.group("m"))) if link else (ref if ref in self.products else None)
            self.current, self.by_marker = pid, True
            self.unknown_marker = None if pid else ref
            return pid, "marker" if pid else "none"
        if self.by_marker:
            return self.current, "marker" if self.current else "none"
        mentioned = self._mentioned(text)
        if len(mentioned) == 1:
            self.current = mentioned.pop()
        elif len(mentioned) > 1:
            self.current = None  # two products named: nothing is guessed
        return self.current, "mention" if self.current else "none"

    def _mentioned(self, text: str) -> set[str]:
        found: set[str] = set()
        rest = text
        for name, pids in self.names:
            if name in rest:
                found |= pids
                rest = rest.replace(name, "\0")
        return found


def _product_event(text: str) -> str | None:
    stripped = text.strip()
    if not (stripped.startswith("{") and stripped.endswith("}") and '"product"' in stripped):
        return None
    try:
        event = json.loads(stripped)
    except ValueError:
        return None
    product = event.get("product") if isinstance(event, dict) else None
    return str(product) if isinstance(product, (str, int)) and not isinstance(product, bool) else None


def _end_of_day(now: datetime, days: int = 0) -> datetime:
    local = now.astimezone(CHINA_TZ)
    return datetime(local.year, local.month, local.day, tzinfo=CHINA_TZ) + timedelta(days=days + 1)


def claim_facts(claim: Claim, offer: Offer | None, now: datetime, platform: str) -> dict[str, FactValue]:
    """Facts of one claim: the spoken value beside the catalog's."""
    facts: dict[str, FactValue] = {"platform": platform, "claim": claim.kind, "bound": offer is not None,
                                   "spoken": claim.text}
    _put(facts, "spoken_fen", claim.amount_fen)
    _put(facts, "spoken_share_bp", claim.share_bp)
    _put(facts, "spoken_count", claim.count)
    if claim.item:
        facts["item"] = claim.item
    if offer is None:
        return facts
    product = offer.product
    facts.update(product=product.id, charged_fen=offer.charged_fen, ceiling_basis=offer.ceiling_basis)
    if offer.reference_fen is not None:
        facts["catalog_reference_fen"] = offer.reference_fen
        facts["actual_share_bp"] = offer.charged_fen * 10000 // offer.reference_fen
        facts["actual_cut_fen"] = offer.reference_fen - offer.charged_fen
        if claim.share_bp is not None:
            facts["share_gap_bp"] = abs(claim.share_bp - int(facts["actual_share_bp"]))
        if claim.kind == "cut" and claim.amount_fen is not None:
            facts["cut_gap_fen"] = abs(claim.amount_fen - int(facts["actual_cut_fen"]))
    _put(facts, "reference_ceiling_fen", offer.ceiling_fen)
    _put(facts, "stock", product.stock)
    if claim.kind == "deadline":
        facts["offer_active"] = offer.cutting
        if offer.ends_at is not None:
            facts["offer_ends"] = facts["offer_ends_en"] = offer.ends_at.astimezone(CHINA_TZ).strftime("%Y-%m-%d %H:%M")
        else:
            facts["offer_ends"] = "（没有限时优惠）" if not offer.cutting else "（不设截止时间）"
            facts["offer_ends_en"] = "(no time-limited offer)" if not offer.cutting else "(no end time)"
        if claim.deadline == "tonight":
            limit = _end_of_day(now)
        elif claim.deadline == "tomorrow_price_back":
            limit = _end_of_day(now, 1)
        else:
            limit = now + timedelta(minutes=claim.minutes or 0)
        facts["claim_holds"] = offer.cutting and offer.ends_at is not None and offer.ends_at <= limit
    if claim.kind == "gift":
        facts["promotion_defined"] = bool(offer.gifts)
    if claim.kind == "lottery":
        facts["promotion_defined"] = bool(offer.lotteries)
    return facts


class ScriptChecker:
    """Claims of a script or caption stream checked against one catalog at one time."""

    def __init__(self, catalog: Catalog, now: datetime) -> None:
        self.now = now
        self.offers = offers(catalog, now)
        self.binder = Binder(catalog)

    def subjects(self, line: str, *, number: int, offset: int, platform: str, file: str | None,
                 key: str, path: str) -> Iterator[Subject]:
        """One ``spoken_claim`` subject per claim in ``line``; ``offset`` is the line's start in the text."""
        pid, _how = self.binder.line(line)
        offer = self.offers.get(pid) if pid else None
        for claim in extract(line):
            facts = claim_facts(claim, offer, self.now, platform)
            yield Subject(
                "spoken_claim", f"{key}@{offset + claim.start}", pid, platform, path, facts,
                text={"start": offset + claim.start, "end": offset + claim.end, "line": number,
                      "column": claim.start + 1, "matched": claim.text},
                file=file, record=False,
            )
