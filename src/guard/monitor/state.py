"""Checkpoints: the monitor's open state as one compressed JSON document.

A checkpoint holds what the rules can still need (open orders, rooms, stock, the price windows,
event identities and emitted keys within the horizon, pending deadlines, held events), so its
size follows the open state, not the history. Restoring it and re-applying the events journaled
after it gives the state the monitor had. JSON, not pickle: the database may be written by
someone the monitor does not trust, and loading it must not run code.
"""

from __future__ import annotations

import json
import zlib
from collections import deque
from datetime import datetime
from typing import Any

from guard.monitor.core import Monitor, Order, Room, SlidingLow
from guard.monitor.events import parse_event

VERSION = 1


def _moments(points: Any) -> list[list[Any]]:
    return [[moment.isoformat(), price] for moment, price in points]


def _from_moments(points: list[list[Any]]) -> deque[tuple[datetime, int]]:
    return deque((datetime.fromisoformat(moment), price) for moment, price in points)


def snapshot(monitor: Monitor) -> dict[str, Any]:
    """The monitor's state as plain JSON values."""
    return {
        "version": VERSION,
        "watermark": monitor.watermark,
        "applied": monitor.applied,
        "tiebreak": monitor.tiebreak,
        "orders": [[o.id, o.product, o.platform, o.created_at, o.last_at, o.shipped_at, o.closed,
                    {sla: list(value) for sla, value in o.open_slas.items()}, list(o.done_slas)]
                   for o in monitor.orders.values()],
        "rooms": {name: [room.platform, room.phase, list(room.listed), list(room.quick_bar)]
                  for name, room in monitor.rooms.items()},
        "stock": monitor.stock,
        "prices": {product: _moments(points) for product, points in monitor.prices.items()},
        "transactions": {product: [_moments(low.queue), _moments([low.last]) if low.last else []]
                         for product, low in monitor.transactions.items()},
        "seen": list(monitor.seen_order),  # tuples: JSON writes them as arrays
        "order_queue": list(monitor.order_queue),
        "deadlines": list(monitor.deadlines),
        "emitted": sorted(monitor.emitted),
        "emitted_queue": list(monitor.emitted_queue),
        "held": {order: [[at, key, event.model_dump_json(), line] for at, key, event, line in items]
                 for order, items in monitor.held.items()},
    }


def restore(monitor: Monitor, state: dict[str, Any]) -> None:
    """Put ``state`` (from :func:`snapshot`) into a freshly made monitor."""
    if state.get("version") != VERSION:
        raise ValueError(f"checkpoint version {state.get('version')!r}; this guard reads version {VERSION}")
    monitor.watermark = state["watermark"]
    monitor.applied = state["applied"]
    monitor.tiebreak = state["tiebreak"]
    monitor.orders = {
        oid: Order(oid, product, platform, created, last, shipped, closed,
                   {sla: (at, key) for sla, (at, key) in open_slas.items()}, tuple(done))
        for oid, product, platform, created, last, shipped, closed, open_slas, done in state["orders"]
    }
    monitor.rooms = {name: Room(platform, phase, dict.fromkeys(listed), dict.fromkeys(quick_bar))
                     for name, (platform, phase, listed, quick_bar) in state["rooms"].items()}
    monitor.stock = dict(state["stock"])
    monitor.prices = {product: _from_moments(points) for product, points in state["prices"].items()}
    monitor.transactions = {}
    for product, (queue, last) in state["transactions"].items():
        low = monitor.transactions[product] = SlidingLow()
        low.queue = _from_moments(queue)
        low.last = _from_moments(last)[0] if last else None
    monitor.seen_order = deque(map(tuple, state["seen"]))
    monitor.seen = {key: at for at, key in monitor.seen_order}
    monitor.order_queue = deque(map(tuple, state["order_queue"]))
    monitor.deadlines = list(map(tuple, state["deadlines"]))
    monitor.emitted.clear()
    monitor.emitted.update(state["emitted"])
    monitor.emitted_queue = deque(map(tuple, state["emitted_queue"]))
    monitor.held = {order: [(at, key, parse_event(body), line) for at, key, body, line in items]
                    for order, items in state["held"].items()}


def encode(monitor: Monitor) -> bytes:
    """The checkpoint as stored: compact JSON, deflated (level 1: most of the saving, a fraction of the time)."""
    text = json.dumps(snapshot(monitor), ensure_ascii=False, separators=(",", ":"))
    return zlib.compress(text.encode("utf-8"), 1)


def decode(monitor: Monitor, blob: bytes) -> None:
    restore(monitor, json.loads(zlib.decompress(blob)))
