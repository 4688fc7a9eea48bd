"""The monitor: folds live-room and order events into state and deadlines, under an injected clock.

Time never comes from the machine here. ``process`` takes events in arrival order and moves a
watermark (the latest event time seen); ``advance(now)`` fires the deadlines that ``now`` has
passed. The replay driver advances to each event's time; the follow driver to wall time.

Deadlines are kept in plain Python (a heap), not in durable_rules: its timers read the C
wall clock in whole seconds and cannot be injected. The thresholds come from the rule files: a
rule on ``order_sla`` facts of the shape ``sla eq NAME and elapsed_seconds gt {param}`` defines
the deadline for NAME; the same rules then judge the facts, on either engine.

Defined behaviour for awkward streams:
- duplicate: an event whose identity (``id`` or content hash) was seen within the horizon is
  skipped and counted;
- out of order: an event older than the watermark is applied with its own time; a deadline fires
  only once the watermark is past it by ``lateness`` seconds; a breach already emitted is final
  (a refund that arrives later, even stamped before the deadline, does not retract it) and the
  event is counted as late;
- deadlines are inclusive: at exactly the limit (600 s) there is no breach; one second later there is.
"""

from __future__ import annotations

import heapq
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from guard.engine import Engine
from guard.facts import (
    LAST_PRICE,
    NO_HISTORY,
    REFERENCE_WINDOW,
    WINDOW_LOW,
    Subject,
    raise_facts,
)
from guard.findings import Finding, FindingBuilder
from guard.model import CHINA_TZ
from guard.monitor import events as ev
from guard.rules.ir import All, Cmp
from guard.rules.loader import RuleSet

TIMED_SLAS = ("oversold_refund", "abnormal_handling")
DEFAULT_HORIZON = 2 * 24 * 3600


def iso(epoch_seconds: int) -> str:
    return datetime.fromtimestamp(epoch_seconds, CHINA_TZ).isoformat()


@dataclass(slots=True)
class Order:
    id: str
    product: str
    platform: str
    created_at: int
    last_at: int
    shipped_at: int | None = None
    closed: bool = False
    open_slas: dict[str, tuple[int, str]] = field(default_factory=dict)  # sla -> (started_at, event key)
    done_slas: tuple[str, ...] = ()


class SlidingLow:
    """Lowest transaction price of the last 7 days, and the last price, in O(1) amortised memory.

    A monotonic queue: each kept price is lower than every later one, so the front is the
    window's minimum; prices that can never be a minimum again are dropped on arrival.
    """

    __slots__ = ("queue", "last")

    def __init__(self) -> None:
        self.queue: deque[tuple[datetime, int]] = deque()
        self.last: tuple[datetime, int] | None = None

    def add(self, moment: datetime, price: int) -> None:
        while self.queue and self.queue[-1][1] >= price:
            self.queue.pop()
        self.queue.append((moment, price))
        self.last = (moment, price)

    def ceiling(self, start: datetime) -> tuple[int | None, str]:
        """As ``facts.reference_ceiling`` for transactions before ``start`` arriving in time order."""
        while self.queue and self.queue[0][0] < start - REFERENCE_WINDOW:
            self.queue.popleft()
        if self.queue and self.queue[0][0] < start:
            return self.queue[0][1], WINDOW_LOW
        if self.last is not None and self.last[0] < start:
            return self.last[1], LAST_PRICE
        return None, NO_HISTORY


@dataclass
class Room:
    platform: str
    phase: str = "pre"
    listed: dict[str, None] = field(default_factory=dict)  # insertion-ordered set
    quick_bar: dict[str, None] = field(default_factory=dict)


@dataclass
class Stats:
    processed: int = 0
    duplicates: int = 0
    late: int = 0
    errors: int = 0
    findings: int = 0
    actions: int = 0
    evicted: int = 0
    delivered: int = 0  # outputs delivered by this run, those a kill left undelivered included


Output = tuple[str, dict[str, Any], Finding | None]  # (dedupe key, JSON body, finding or None for actions)


def sla_limits(ruleset: RuleSet) -> dict[tuple[str, str], int]:
    """(sla, platform) -> the shortest limit in seconds any rule sets for it."""
    limits: dict[tuple[str, str], int] = {}
    for rule in ruleset.rules:
        if rule.applies_to != "order_sla":
            continue
        for platform, condition in rule.conditions.items():
            if not isinstance(condition, All) or len(condition.items) != 2:
                continue
            first, second = condition.items
            if (isinstance(first, Cmp) and first.field == "sla" and first.op == "eq"
                    and isinstance(second, Cmp) and second.field == "elapsed_seconds" and second.op == "gt"
                    and isinstance(second.value, int)):
                key = (str(first.value), platform)
                limits[key] = min(limits.get(key, second.value), second.value)
    return limits


class Monitor:
    """Event-sourced monitor state; emits findings and actions as outputs."""

    def __init__(self, ruleset: RuleSet, engine: Engine, *, lang: str = "zh", lateness: int = 0,
                 horizon: int = DEFAULT_HORIZON, emitted: set[str] | None = None, source: str = "<events>") -> None:
        self.ruleset = ruleset
        self.engine = engine
        self.builder = FindingBuilder(ruleset, lang)
        self.lateness = lateness
        self.horizon = horizon
        self.source = source
        self.limits = sla_limits(ruleset)
        self.watermark: int | None = None
        self.orders: dict[str, Order] = {}
        self.rooms: dict[str, Room] = {}
        self.stock: dict[str, int] = {}
        self.prices: dict[str, deque[tuple[datetime, int]]] = {}  # marked prices, for raise-then-cut
        self.transactions: dict[str, SlidingLow] = {}  # for the 7-day reference price
        self.seen: dict[str, int] = {}  # event key -> event time, within the horizon
        self.seen_order: deque[tuple[int, str]] = deque()  # (time, key), to forget keys past the horizon
        self.order_queue: deque[tuple[int, str]] = deque()  # (last activity when queued, order id)
        self.deadlines: list[tuple[int, int, str, str]] = []  # (due, tiebreak, order, sla)
        self.emitted: set[str] = emitted if emitted is not None else set()
        self.stats = Stats()
        self.price_log: list[dict[str, Any]] = []  # price changes to append to the durable log
        self.problems: list[str] = []  # events that reference unknown things; drained by the driver
        self.problem_lines: list[int | None] = []  # the input line of each problem, where the driver gave one
        self._line: int | None = None
        # order events that came before their order_created, held for up to ``lateness`` seconds
        self.held: dict[str, list[tuple[int, str, Any, int | None]]] = {}
        self.tiebreak = 0  # the next deadline's tiebreak: deadlines due together fire in the order set
        self.applied = 0  # events applied over the monitor's life (checkpointed): eviction runs every 1000
        self.emitted_queue: deque[tuple[int, str]] = deque()  # (time, key): emitted keys that can be forgotten
        self.ticked = False  # set when ``advance`` changed state: the driver journals the tick for a rebuild
        self._handlers: dict[str, Callable[[Any, str, int], Iterator[Output]]] = {
            name: getattr(self, f"_on_{name}") for name in ev.EVENT_TYPES
        }

    # driving
    def process(self, event: Any, key: str, line: int | None = None) -> list[Output]:
        """Apply one event; return the findings and actions it causes (deadlines included)."""
        self._line = line
        at = ev.epoch(event.at)
        if key in self.seen:
            self.stats.duplicates += 1
            return []
        self.seen[key] = at
        self.seen_order.append((at, key))
        self.stats.processed += 1
        outputs: list[Output] = []
        if self.watermark is None or at > self.watermark:  # time moves first: deadlines before this event fire
            self.watermark = at
            outputs.extend(self.advance(at))
        elif at < self.watermark:
            self.stats.late += 1
        order_id = getattr(event, "order", None)
        if (self.lateness and event.type != "order_created" and order_id is not None
                and order_id not in self.orders):
            self.held.setdefault(order_id, []).append((at, key, event, line))  # its order may still arrive
            return outputs
        outputs.extend(self._handlers[event.type](event, key, at))
        if event.type == "order_created" and order_id in self.held:
            outputs.extend(self._apply_held(order_id))  # in event-time order
        self.applied += 1
        if self.applied % 1000 == 0:
            self._evict()
        return outputs

    def release_held(self) -> list[Output]:
        """At the end of a finite stream: held order events whose order never came are reported now."""
        outputs: list[Output] = []
        for order_id in list(self.held):
            outputs.extend(self._apply_held(order_id))
        return outputs

    def _apply_held(self, order_id: str) -> list[Output]:
        outputs: list[Output] = []
        current = self._line
        for held_at, held_key, held, line in sorted(self.held.pop(order_id), key=lambda item: item[0]):
            self._line = line
            outputs.extend(self._handlers[held.type](held, held_key, held_at))
        self._line = current
        return outputs

    def advance(self, now: int) -> list[Output]:
        """Fire every deadline that ``now`` (minus the allowed lateness) has passed."""
        outputs: list[Output] = []
        cutoff = now - self.lateness
        for order_id in [o for o, items in self.held.items() if min(item[0] for item in items) < cutoff]:
            self.ticked = True
            outputs.extend(self._apply_held(order_id))  # still unknown after the lateness: reported now
        while self.deadlines and self.deadlines[0][0] <= cutoff:
            due, _, order_id, sla = heapq.heappop(self.deadlines)
            order = self.orders.get(order_id)
            if order is None or sla not in order.open_slas:
                continue  # resolved in time
            self.ticked = True
            started, started_by = order.open_slas.pop(sla)
            order.done_slas += (sla,)
            outputs.extend(self._judge_sla(order, sla, due - started, False, started_by, started, due))
        return outputs

    # facts to findings
    def _emit(self, kind: str, subject_key: str, platform: str, facts: dict[str, Any], *,
              event: str, deadline: int | None = None, breached: int | None = None,
              product: str | None = None, at: int | None = None) -> Iterator[Output]:
        """Findings and actions; an action carries the breach time, else the time of the event behind it
        (``at``: a late event's own time, not the watermark), else the watermark."""
        subject = Subject(kind, subject_key, product, platform, subject_key, facts, file=self.source, record=False,
                          text={"event": event, "deadline": iso(deadline) if deadline is not None else None,
                                "breached_at": iso(breached) if breached is not None else None})
        for rule in self.engine.fired(kind, platform, facts):
            for action in rule.actions:  # state effects apply on every pass, a rebuild included
                if action == "close_order" and kind == "order_sla":
                    order = self.orders.get(str(facts["order"]))
                    if order is not None:
                        order.closed = True
            key = f"{rule.id}|{subject_key}"
            if key in self.emitted:
                continue  # emitted before (this run, or before a restart): never twice
            self.emitted.add(key)
            if not subject_key.startswith("room:"):  # a room's keys are kept: rooms are never forgotten
                self.emitted_queue.append((self.watermark or 0, key))
            finding = self.builder.build(rule, subject)
            self.stats.findings += 1
            yield key, finding.to_dict(), finding
            for action in rule.actions:
                self.stats.actions += 1
                yield f"{action}|{subject_key}", {"action": action, "subject": subject_key, "rule": rule.id,
                                                  "at": iso(breached if breached is not None else
                                                            at if at is not None else self.watermark or 0)}, None

    def _start(self, order: Order, sla: str, at: int, key: str) -> None:
        if sla in order.open_slas or sla in order.done_slas:
            return
        order.open_slas[sla] = (at, key)
        limit = self.limits.get((sla, order.platform))
        if limit is not None:
            heapq.heappush(self.deadlines, (at + limit + 1, self.tiebreak, order.id, sla))
            self.tiebreak += 1

    def _resolve(self, order: Order, sla: str, at: int) -> Iterator[Output]:
        if sla not in order.open_slas:
            return
        started, started_by = order.open_slas.pop(sla)
        order.done_slas += (sla,)
        limit = self.limits.get((sla, order.platform))
        deadline = started + limit if limit is not None else None
        breached = deadline + 1 if deadline is not None and at > deadline else None
        yield from self._judge_sla(order, sla, at - started, True, started_by, started, breached)

    def _sla_facts(self, order: Order, sla: str, since: int, elapsed: int, resolved: bool) -> dict[str, Any]:
        limit = self.limits.get((sla, order.platform))
        return {"platform": order.platform, "sla": sla, "elapsed_seconds": elapsed, "resolved": resolved,
                "order": order.id, "limit": iso(since + limit) if limit is not None else "?"}

    def _judge_sla(self, order: Order, sla: str, elapsed: int, resolved: bool, started_by: str,
                   started: int, breached: int | None) -> Iterator[Output]:
        limit = self.limits.get((sla, order.platform))
        yield from self._emit("order_sla", f"order:{order.id}/{sla}", order.platform,
                              self._sla_facts(order, sla, started, elapsed, resolved), event=started_by,
                              deadline=started + limit if limit is not None else None, breached=breached,
                              product=order.product)

    def _request(self, order: Order, sla: str, since: int, at: int, key: str) -> Iterator[Output]:
        """A request that is only acceptable within a window after ``since`` (no timer: judged on arrival)."""
        yield from self._emit("order_sla", f"order:{order.id}/{sla}@{iso(at)}", order.platform,
                              self._sla_facts(order, sla, since, at - since, True), event=key, product=order.product,
                              at=at)

    def _problem(self, message: str) -> None:
        self.stats.errors += 1
        self.problems.append(message)
        self.problem_lines.append(self._line)

    def is_duplicate(self, key: str) -> bool:
        return key in self.seen

    def _order(self, event: Any) -> Order | None:
        order = self.orders.get(event.order)
        if order is None:
            self._problem(f"{event.type} for unknown order {event.order!r} (never created, or idle past the horizon)")
        else:
            order.last_at = max(order.last_at, ev.epoch(event.at))
        return order

    def _evict(self) -> None:
        """Forget what no rule can still need: orders idle past the horizon, old event identities, and
        the emitted keys of forgotten orders and of price changes past the horizon.

        The queues are in (roughly) time order, so each pass only touches what it removes.
        """
        if self.watermark is None:
            return
        cutoff = self.watermark - self.horizon
        while self.seen_order and self.seen_order[0][0] < cutoff:
            _, key = self.seen_order.popleft()
            if self.seen.get(key, cutoff) < cutoff:
                del self.seen[key]
        while self.order_queue and self.order_queue[0][0] < cutoff:
            _, oid = self.order_queue.popleft()
            order = self.orders.get(oid)
            if order is None:
                continue
            if order.last_at < cutoff and not order.open_slas:
                del self.orders[oid]
                self.stats.evicted += 1
            else:  # still active, or an SLA still open: looked at again later (never in this pass)
                self.order_queue.append((order.last_at if order.last_at >= cutoff else self.watermark, oid))
        while self.emitted_queue and self.emitted_queue[0][0] < cutoff:
            _, key = self.emitted_queue.popleft()
            subject = key.partition("|")[2]
            if subject.startswith("order:") and subject[6:].partition("/")[0] in self.orders:
                self.emitted_queue.append((self.watermark, key))  # its order is still open: kept
            else:
                self.emitted.discard(key)

    @staticmethod
    def _remember(history: dict[str, deque[tuple[datetime, int]]], product: str, moment: datetime, price: int) -> None:
        """Keep a product's marked prices of the last 7 days (and the last one before them)."""
        points = history.setdefault(product, deque())
        points.append((moment, price))
        horizon = moment - REFERENCE_WINDOW
        while len(points) > 1 and points[1][0] < horizon:
            points.popleft()

    # handlers: one per event type
    def _on_room_created(self, event: ev.RoomCreated, key: str, at: int) -> Iterator[Output]:
        self.rooms.setdefault(event.room, Room(event.platform))
        return iter(())

    def _room(self, name: str) -> Room:
        return self.rooms.setdefault(name, Room("wechat"))

    def _on_room_started(self, event: ev.RoomStarted, key: str, at: int) -> Iterator[Output]:
        room = self._room(event.room)
        room.phase = "live"
        yield from self._room_facts(event.room, room, key)

    def _on_room_ended(self, event: ev.RoomEnded, key: str, at: int) -> Iterator[Output]:
        room = self._room(event.room)
        room.phase = "post"
        for product in room.listed:  # a room's products expire with it (seed 三: 下播后 下架过期商品)
            facts = {"id": event.room, "product": product, "platform": room.platform, "phase": "post",
                     "on_sale": True, "expired": True}
            yield from self._emit("room_product", f"room:{event.room}/product:{product}", room.platform, facts,
                                  event=key, product=product)

    def _on_product_imported(self, event: ev.ProductImported, key: str, at: int) -> Iterator[Output]:
        self._room(event.room).listed[event.product] = None
        return iter(())

    def _on_quick_bar_added(self, event: ev.QuickBarAdded, key: str, at: int) -> Iterator[Output]:
        room = self._room(event.room)
        room.quick_bar[event.product] = None
        room.listed[event.product] = None
        yield from self._room_facts(event.room, room, key)

    def _room_facts(self, name: str, room: Room, key: str) -> Iterator[Output]:
        if room.phase == "live":
            facts = {"id": name, "platform": room.platform, "phase": "live", "quick_bar_sku_count": len(room.quick_bar)}
            yield from self._emit("room", f"room:{name}", room.platform, facts, event=key)

    def _on_quick_bar_removed(self, event: ev.QuickBarRemoved, key: str, at: int) -> Iterator[Output]:
        self._room(event.room).quick_bar.pop(event.product, None)
        return iter(())

    def _on_product_delisted(self, event: ev.ProductDelisted, key: str, at: int) -> Iterator[Output]:
        room = self._room(event.room)
        room.listed.pop(event.product, None)
        room.quick_bar.pop(event.product, None)
        return iter(())

    def _on_price_changed(self, event: ev.PriceChanged, key: str, at: int) -> Iterator[Output]:
        marked = self.prices.get(event.product, deque())
        previous = marked[-1][1] if marked else None
        facts: dict[str, Any] = {
            "product": event.product, "platform": event.platform, "price_fen": event.price,
            "has_operator": bool(event.operator), "has_reason": bool(event.reason),
            "is_cut": previous is not None and event.price < previous,
        }
        if previous is not None:
            facts["previous_price_fen"] = previous
        if event.reference_price is not None:
            facts["reference_price_fen"] = event.reference_price
        low = self.transactions.get(event.product)
        ceiling, basis = low.ceiling(event.at) if low is not None else (None, NO_HISTORY)
        if ceiling is not None:
            facts["reference_ceiling_fen"] = ceiling
            facts["ceiling_basis"] = basis
        facts.update(raise_facts(list(marked), event.at))
        base = event.reference_price if event.reference_price is not None else previous
        if base is not None:
            facts["cut_base_fen"] = base
        self._remember(self.prices, event.product, event.at, event.price)
        self.price_log.append({"event_key": key, "product": event.product, "at": event.at.isoformat(),
                               "old_fen": previous, "new_fen": event.price, "operator": event.operator,
                               "reason": event.reason})
        yield from self._emit("price_change", f"product:{event.product}/price@{event.at.isoformat()}", event.platform,
                              facts, event=key, product=event.product)

    def _on_stock_changed(self, event: ev.StockChanged, key: str, at: int) -> Iterator[Output]:
        self.stock[event.product] = event.stock
        return iter(())

    def _on_order_created(self, event: ev.OrderCreated, key: str, at: int) -> Iterator[Output]:
        if event.order in self.orders:
            self._problem(f"order {event.order!r} created twice; the second is ignored")
            return
        order = Order(event.order, event.product, event.platform, at, at)
        self.orders[event.order] = order
        self.order_queue.append((at, event.order))
        if event.price is not None:
            low = self.transactions.get(event.product)
            if low is None:
                low = self.transactions[event.product] = SlidingLow()
            low.add(event.at, event.price)
        before = self.stock.get(event.product)
        if before is None:
            return
        self.stock[event.product] = max(before - event.quantity, 0)  # deducted in real time, never below zero
        shortfall = event.quantity - before
        if shortfall > 0:
            facts = {"platform": event.platform, "stock_before": before, "quantity": event.quantity,
                     "shortfall": shortfall, "product": event.product, "order": event.order}
            yield from self._emit("stock", f"order:{event.order}/stock", event.platform, facts, event=key,
                                  product=event.product)
            self._start(order, "oversold_refund", at, key)

    def _on_oversold_detected(self, event: ev.OversoldDetected, key: str, at: int) -> Iterator[Output]:
        order = self._order(event)
        if order is not None:
            self._start(order, "oversold_refund", at, key)
        return iter(())

    def _on_refund_issued(self, event: ev.RefundIssued, key: str, at: int) -> Iterator[Output]:
        order = self._order(event)
        if order is not None:
            yield from self._resolve(order, "oversold_refund", at)

    def _on_address_change_requested(self, event: ev.AddressChangeRequested, key: str, at: int) -> Iterator[Output]:
        order = self._order(event)
        if order is not None:
            yield from self._request(order, "address_change", order.created_at, at, key)

    def _on_shipped(self, event: ev.Shipped, key: str, at: int) -> Iterator[Output]:
        order = self._order(event)
        if order is not None and order.shipped_at is None:
            order.shipped_at = at
        return iter(())

    def _on_interception_requested(self, event: ev.InterceptionRequested, key: str, at: int) -> Iterator[Output]:
        order = self._order(event)
        if order is not None and order.shipped_at is not None:  # before shipment there is nothing to intercept
            yield from self._request(order, "interception", order.shipped_at, at, key)

    def _on_order_flagged_abnormal(self, event: ev.OrderFlaggedAbnormal, key: str, at: int) -> Iterator[Output]:
        order = self._order(event)
        if order is not None and not order.closed:
            self._start(order, "abnormal_handling", at, key)
        return iter(())

    def _on_order_handled(self, event: ev.OrderHandled, key: str, at: int) -> Iterator[Output]:
        order = self._order(event)
        if order is not None:
            yield from self._resolve(order, "abnormal_handling", at)

    def _on_order_closed(self, event: ev.OrderClosed, key: str, at: int) -> Iterator[Output]:
        order = self._order(event)
        if order is not None:
            order.closed = True
            yield from self._resolve(order, "abnormal_handling", at)

