"""Generate a deterministic JSONL stream of order and live-room events (for the monitor benchmark and tests)."""

from __future__ import annotations

import argparse
import json
import random
from datetime import datetime, timedelta, timezone
from pathlib import Path

CST = timezone(timedelta(hours=8))


def generate(count: int, seed: int = 11) -> list[str]:
    """About ``count`` events: orders that ship, get refunded, ask for changes, go abnormal, oversell."""
    rng = random.Random(seed)
    start = datetime(2026, 11, 26, 20, 0, tzinfo=CST)
    lines: list[str] = []
    clock = 0.0
    order_number = 0
    products = [f"P{i:03d}" for i in range(200)]

    timed: list[tuple[int, int, str]] = []

    def emit(kind: str, when: float, **fields: object) -> None:
        line = json.dumps({"type": kind, "at": (start + timedelta(seconds=int(when))).isoformat(), **fields},
                          ensure_ascii=False, separators=(",", ":"))
        timed.append((int(when), len(timed), line))
        lines.append(line)

    for product in products:
        emit("stock_changed", 0, product=product, stock=rng.randint(50, 5000))
    emit("room_created", 0, room="R1")
    emit("room_started", 1, room="R1")
    while len(lines) < count:
        clock += rng.expovariate(1 / 2.0)  # about one order every 2 seconds
        order_number += 1
        oid = f"O{order_number:08d}"
        product = rng.choice(products)
        emit("order_created", clock, order=oid, product=product, quantity=rng.randint(1, 3),
             price=f"{rng.randint(10, 300)}.00")
        roll = rng.random()
        if roll < 0.02:
            emit("oversold_detected", clock + 1, order=oid)
            emit("refund_issued", clock + rng.choice([60, 300, 599, 900]), order=oid)
        elif roll < 0.05:
            emit("address_change_requested", clock + rng.choice([600, 3600, 9000]), order=oid)
        elif roll < 0.06:
            emit("order_flagged_abnormal", clock + 30, order=oid)
            if rng.random() < 0.8:
                emit("order_handled", clock + 3600, order=oid)
        else:
            emit("shipped", clock + 3600, order=oid)
            if rng.random() < 0.02:
                emit("interception_requested", clock + 3600 + rng.choice([1800, 30000]), order=oid)
        if rng.random() < 0.01:
            emit("stock_changed", clock, product=product, stock=rng.randint(50, 5000))
    timed.sort()  # a stream arrives in time order ...
    ordered = [line for _, _, line in timed[:count]]
    for index in range(100, len(ordered) - 1, 997):  # ... except about 0.1 % of neighbours, swapped
        ordered[index], ordered[index + 1] = ordered[index + 1], ordered[index]
    return ordered


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=1_000_000)
    parser.add_argument("--out", default="bench/out/events.jsonl")
    args = parser.parse_args()
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("\n".join(generate(args.count)) + "\n", encoding="utf-8")
    print(f"wrote {args.count} events to {out} ({out.stat().st_size / 1e6:.1f} MB)")


if __name__ == "__main__":
    main()
