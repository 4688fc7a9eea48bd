"""The monitor: every deadline rule through events, awkward streams, injected clocks, both engines."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from guard.engine import durable, make_engine
from guard.model import CHINA_TZ
from guard.monitor.core import Monitor
from guard.monitor.events import event_key, parse_event
from guard.monitor.run import Session, follow, monitor_rules, replay
from guard.rules.loader import load_rules

T0 = datetime(2026, 11, 26, 20, 0, tzinfo=CHINA_TZ)
RULES = monitor_rules(load_rules())


def at(seconds: int) -> str:
    return (T0 + timedelta(seconds=seconds)).isoformat()


def event(kind: str, seconds: int, **fields: Any) -> str:
    return json.dumps({"type": kind, "at": at(seconds), **fields}, ensure_ascii=False)


def run(lines: list[str], engine: str = "native", until: int | None = None, **options: Any) -> list[tuple[str, str]]:
    monitor = Monitor(RULES, make_engine(RULES, engine), **options)
    outputs = []
    for line in lines:
        parsed = parse_event(line)
        outputs.extend(monitor.process(parsed, event_key(parsed, line)))
    if until is not None:
        outputs.extend(monitor.advance(int((T0 + timedelta(seconds=until)).timestamp())))
    return [(key.split("|")[0], key.split("|")[1]) for key, _, _ in outputs]


def order(oid: str = "O1", seconds: int = 0, **fields: Any) -> str:
    return event("order_created", seconds, order=oid, product=fields.pop("product", "P1"), **fields)


@pytest.mark.parametrize(("refund_after", "expected"), [(599, []), (600, []), (601, [("ORDER-001", "order:O1/oversold_refund")])])
def test_oversold_refund_deadline_is_inclusive(refund_after: int, expected: list, engine_name: str) -> None:
    lines = [order(), event("oversold_detected", 10, order="O1"), event("refund_issued", 10 + refund_after, order="O1")]
    assert run(lines, engine_name) == expected


def test_oversold_breach_fires_from_the_clock_without_a_refund() -> None:
    lines = [order(), event("oversold_detected", 0, order="O1")]
    assert run(lines, until=600) == []
    assert run(lines, until=601) == [("ORDER-001", "order:O1/oversold_refund")]


def test_breach_carries_event_deadline_and_time(tmp_path: Path) -> None:
    monitor = Monitor(RULES, make_engine(RULES, "native"))
    lines = [order(), event("oversold_detected", 5, order="O1", id="evt-9")]
    for line in lines:
        parsed = parse_event(line)
        monitor.process(parsed, event_key(parsed, line))
    [(_, body, finding)] = monitor.advance(int(T0.timestamp()) + 5 + 601)
    assert (body["event"], body["deadline"], body["breached_at"]) == ("id:evt-9", at(605), at(606))
    assert finding is not None and finding.rule == "ORDER-001"


@pytest.mark.parametrize(("after", "fires"), [(7200, False), (7201, True)])
def test_address_change_window(after: int, fires: bool) -> None:
    outputs = run([order(), event("address_change_requested", after, order="O1")])
    assert [o[0] for o in outputs] == (["ORDER-002", "manual_review"] if fires else [])


@pytest.mark.parametrize(("after", "fires"), [(21600, False), (21601, True)])
def test_interception_window_counts_from_shipment(after: int, fires: bool) -> None:
    outputs = run([order(), event("shipped", 3600, order="O1"), event("interception_requested", 3600 + after, order="O1")])
    assert [o[0] for o in outputs] == (["ORDER-003", "manual_review"] if fires else [])


def test_abnormal_order_closes_after_24_hours() -> None:
    lines = [order(), event("order_flagged_abnormal", 100, order="O1")]
    assert run(lines, until=100 + 86400) == []
    assert run(lines, until=100 + 86401) == [("ORDER-004", "order:O1/abnormal_handling"),
                                             ("close_order", "order:O1/abnormal_handling")]
    assert run(lines + [event("order_handled", 100 + 86400, order="O1")], until=200000) == []


def test_stock_never_goes_below_zero_and_oversell_starts_the_refund_clock() -> None:
    lines = [event("stock_changed", 0, product="P1", stock=2), order("O1", 1, quantity=2), order("O2", 2, quantity=1)]
    assert run(lines) == [("INV-003", "order:O2/stock")]
    assert run(lines, until=2 + 601) == [("INV-003", "order:O2/stock"), ("ORDER-001", "order:O2/oversold_refund")]
    monitor = Monitor(RULES, make_engine(RULES, "native"))
    for line in lines:
        parsed = parse_event(line)
        monitor.process(parsed, event_key(parsed, line))
    assert monitor.stock["P1"] == 0


def test_quick_bar_cap_only_while_live_and_listed_products_after_the_end() -> None:
    room = [event("room_created", 0, room="R1"), event("product_imported", 1, room="R1", product="A")]
    adds = [event("quick_bar_added", 10 + i, room="R1", product=f"S{i}") for i in range(21)]
    assert run(room + adds) == []  # before the live
    live = room + [event("room_started", 5, room="R1")] + adds
    assert run(live) == [("ROOM-002", "room:R1")]
    assert run(live[:-1]) == []  # exactly 20
    ended = live + [event("product_delisted", 50, room="R1", product="S0"), event("room_ended", 60, room="R1")]
    still_listed = [o for o in run(ended) if o[0] == "ROOM-003"]
    assert len(still_listed) == 21 and ("ROOM-003", "room:R1/product:S0") not in still_listed


def test_price_changes_need_a_log_and_pass_the_pricing_rules() -> None:
    lines = [
        event("price_changed", 0, product="P1", price="99", operator="amy", reason="开播价"),
        order("O1", 60, price="99"),
        event("price_changed", 3600, product="P1", price="129", operator="amy", reason="原料涨价"),
        event("price_changed", 7200, product="P1", price="89", reference_price="129"),
    ]
    # 99 → 129 inside the window, then 89 shown against 129: the 原价 is the raised price
    assert sorted(o[0] for o in run(lines)) == ["PRICE-004", "PRICE-005", "PRICE-006"]
    honest = [*lines[:3], event("price_changed", 7200, product="P1", price="89", reference_price="99")]
    assert sorted(o[0] for o in run(honest)) == ["PRICE-004"]
    old = [event("price_changed", -9 * 86400, product="P1", price="99", operator="a", reason="r"),
           event("price_changed", -3 * 86400, product="P1", price="129", operator="a", reason="r"),
           event("price_changed", 0, product="P1", price="89", operator="a", reason="r")]
    assert [o[0] for o in run(old)] == ["PRICE-006"]


def test_duplicates_are_skipped_and_late_events_do_not_retract_a_breach() -> None:
    lines = [order(), event("oversold_detected", 0, order="O1"), event("oversold_detected", 0, order="O1"),
             event("stock_changed", 700, product="X", stock=1), event("refund_issued", 300, order="O1")]
    monitor = Monitor(RULES, make_engine(RULES, "native"))
    keys = []
    for line in lines:
        parsed = parse_event(line)
        keys += [k for k, _, _ in monitor.process(parsed, event_key(parsed, line))]
    assert keys == ["ORDER-001|order:O1/oversold_refund"]
    assert (monitor.stats.duplicates, monitor.stats.late, monitor.stats.processed) == (1, 1, 4)


def test_lateness_lets_an_out_of_order_refund_count() -> None:
    lines = [order(), event("oversold_detected", 0, order="O1"), event("stock_changed", 700, product="X", stock=1),
             event("refund_issued", 300, order="O1")]
    assert run(lines, lateness=120) == []
    assert run(lines, lateness=0) == [("ORDER-001", "order:O1/oversold_refund")]


def test_events_for_unknown_orders_are_problems() -> None:
    monitor = Monitor(RULES, make_engine(RULES, "native"))
    parsed = parse_event(event("refund_issued", 0, order="ghost"))
    assert monitor.process(parsed, "k") == []
    assert monitor.problems == ["refund_issued for unknown order 'ghost' (never created, or idle past the horizon)"]


@pytest.fixture(params=["native", "durable"])
def engine_name(request: pytest.FixtureRequest) -> str:
    if request.param == "durable" and not durable.available():
        pytest.skip(durable.unavailable_reason())
    return request.param


SCENARIO = [
    event("room_created", 0, room="R1"), event("room_started", 1, room="R1"),
    event("stock_changed", 2, product="P1", stock=1), order("O1", 3), order("O2", 4),
    event("address_change_requested", 9000, order="O1"), event("order_flagged_abnormal", 9100, order="O1"),
    event("price_changed", 9200, product="P1", price="10"), event("room_ended", 9300, room="R1"),
]


def test_both_engines_agree_on_a_scenario() -> None:
    if not durable.available():
        pytest.skip(durable.unavailable_reason())
    assert run(SCENARIO, "native", until=200000) == run(SCENARIO, "durable", until=200000) != []


def session(db: Path, out: list) -> Session:
    return Session.open(db, RULES, make_engine(RULES, "native"), out.append,
                        lambda line, message: out.append({"problem": line, "message": message}), batch=2)


def test_replay_resumes_and_prints_nothing_twice(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    path.write_text("\n".join(SCENARIO[:5]) + "\n", encoding="utf-8")
    first: list = []
    s = session(tmp_path / "m.db", first)
    replay(s, path)
    s.close()
    with path.open("a", encoding="utf-8") as fh:
        fh.write("\n".join(SCENARIO[5:]) + "\n{not json\n")
    second: list = []
    s = session(tmp_path / "m.db", second)
    replay(s, path, until=int((T0 + timedelta(seconds=200000)).timestamp()))
    s.close()
    clean: list = []
    s = session(tmp_path / "clean.db", clean)
    replay(s, path, until=int((T0 + timedelta(seconds=200000)).timestamp()))
    s.close()
    assert first + second == clean
    assert {"problem": 10, "message": "$: Invalid JSON: key must be a string at line 1 column 2"} in clean


def test_follow_uses_the_injected_clock_and_clamps_skew(tmp_path: Path) -> None:
    now = [int(T0.timestamp())]
    out: list = []
    s = session(tmp_path / "f.db", out)
    lines = [order(), event("oversold_detected", 0, order="O1"), event("stock_changed", 100000, product="X", stock=1)]

    def clock() -> float:
        now[0] += 200  # every look at the clock moves it forward
        return now[0]

    follow(s, iter([line + "\n" for line in lines]), clock=clock, max_skew=300, poll=0.01)
    s.close()
    assert [o.get("rule") for o in out if "rule" in o] == ["ORDER-001"]
    assert any("ahead of the clock" in o.get("message", "") for o in out)


def test_a_late_events_action_carries_the_events_own_time() -> None:
    """An address change judged late arrives after newer events: its manual_review action is at its own time."""
    monitor = Monitor(RULES, make_engine(RULES, "native"))
    lines = [order(), order("O2", 20000), event("address_change_requested", 9000, order="O1")]
    actions = []
    for line in lines:
        parsed = parse_event(line)
        actions += [body for key, body, _ in monitor.process(parsed, event_key(parsed, line)) if key.startswith("manual_review|")]
    assert [a["at"] for a in actions] == [at(9000)]


def test_an_order_event_before_its_order_is_held_within_the_lateness() -> None:
    """oversold_detected arrives one second before its order_created: held, then applied in event-time order."""
    lines = [event("oversold_detected", 11, order="O1"), order("O1", 10), event("refund_issued", 11 + 601, order="O1")]
    assert run(lines, lateness=60) == [("ORDER-001", "order:O1/oversold_refund")]
    monitor = Monitor(RULES, make_engine(RULES, "native"))  # no lateness: an unknown order, as before
    for line in lines:
        parsed = parse_event(line)
        monitor.process(parsed, event_key(parsed, line))
    assert any("unknown order 'O1'" in p for p in monitor.problems)


def test_a_held_event_whose_order_never_comes_is_reported_after_the_lateness() -> None:
    monitor = Monitor(RULES, make_engine(RULES, "native"), lateness=60)
    for line in [event("refund_issued", 0, order="GHOST"), order("O2", 30)]:
        parsed = parse_event(line)
        monitor.process(parsed, event_key(parsed, line))
    assert monitor.problems == []  # still within the lateness
    parsed = parse_event(order("O3", 200))
    monitor.process(parsed, event_key(parsed, order("O3", 200)))
    assert any("unknown order 'GHOST'" in p for p in monitor.problems)
