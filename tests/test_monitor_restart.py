"""Restarts cost what is new, not what is old; the database stays compact.

Work is counted, not timed: the events a restart re-applies, and the entries its checkpoint holds.
"""

from __future__ import annotations

import sqlite3
import sys
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
from make_events import generate  # noqa: E402

from guard.engine import make_engine  # noqa: E402
from guard.monitor.core import Monitor  # noqa: E402
from guard.monitor.events import event_key, parse_event  # noqa: E402
from guard.monitor.run import Session, monitor_rules, replay  # noqa: E402
from guard.monitor.state import decode, encode, snapshot  # noqa: E402
from guard.rules.loader import load_rules  # noqa: E402

RULES = monitor_rules(load_rules())
HOUR = 3600


def open_session(db: Path, out: list, **options: Any) -> Session:
    return Session.open(db, RULES, make_engine(RULES, "native"), out.append, lambda line, message: None, **options)


def events_file(tmp_path: Path, count: int, name: str = "events.jsonl") -> Path:
    path = tmp_path / name
    path.write_text("\n".join(generate(count, seed=7)) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def applied(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts every event a monitor applies: [count]."""
    count = [0]
    original = Monitor.process

    def counting(self: Monitor, *args: Any, **kwargs: Any) -> Any:
        count[0] += 1
        return original(self, *args, **kwargs)

    monkeypatch.setattr(Monitor, "process", counting)
    return count


def test_a_restart_with_nothing_new_applies_no_event(tmp_path: Path, applied: list[int]) -> None:
    path, db = events_file(tmp_path, 3000), tmp_path / "m.db"
    session = open_session(db, [], batch=500)
    replay(session, path)
    session.close()
    applied[0] = 0
    session = open_session(db, [], batch=500)
    assert (applied[0], session.restored) == (0, 0)
    replay(session, path)
    session.close()
    assert applied[0] == 0


def test_after_a_kill_a_restart_applies_only_the_journal_after_the_checkpoint(tmp_path: Path,
                                                                              applied: list[int]) -> None:
    """Batches committed, then the process gone before the end: the restart re-applies what came
    after the last checkpoint, and the run goes on to the same outputs as one that never stopped."""
    path, db = events_file(tmp_path, 3000), tmp_path / "m.db"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    first: list = []
    session = open_session(db, first, batch=100, checkpoint_every=700)
    for number, line in enumerate(lines[:2250], start=1):
        session.feed(line, number)
        if session.uncommitted >= session.batch:
            session.commit()
    session.store.close()  # no final commit, no checkpoint: as if killed
    applied[0] = 0
    second: list = []
    session = open_session(db, second, batch=100, checkpoint_every=700)
    assert applied[0] == session.restored == 2200 - 2100  # checkpoints at 700, 1400, 2100; 2200 committed
    for number, line in enumerate(lines[2200:], start=2201):
        session.feed(line, number)
        if session.uncommitted >= session.batch:
            session.commit()
    session.release(len(lines))
    session.commit(final=True)
    session.close()
    clean: list = []
    session = open_session(tmp_path / "clean.db", clean, batch=100, checkpoint_every=700)
    replay(session, path)
    session.close()
    assert first + second == clean and clean


def checkpoint_entries(db: Path) -> int:
    """How many orders, event identities, emitted keys and deadlines a restart reads back."""
    with closing(sqlite3.connect(db)) as conn:
        blob = conn.execute("SELECT state FROM checkpoint").fetchone()[0]
    monitor = Monitor(RULES, make_engine(RULES, "native"))
    decode(monitor, blob)
    return len(monitor.orders) + len(monitor.seen) + len(monitor.emitted) + len(monitor.deadlines)


def database_bytes(db: Path) -> int:
    return sum(Path(f"{db}{suffix}").stat().st_size for suffix in ("", "-wal") if Path(f"{db}{suffix}").exists())


def breach_log(db: Path) -> tuple[int, int]:
    """Rows and bytes of sla_log: the missed deadlines kept for post-live reports (one short row each)."""
    with closing(sqlite3.connect(db)) as conn:
        rows = conn.execute("SELECT count(*) FROM sla_log").fetchone()[0]
        pages = conn.execute("SELECT coalesce(sum(pgsize), 0) FROM dbstat WHERE name IN ('sla_log', 'sla_log_at', "
                             "'sqlite_autoindex_sla_log_1')").fetchone()[0]
    return rows, pages


def test_restart_work_and_database_size_do_not_grow_with_history(tmp_path: Path) -> None:
    """Twice the history (a 10-hour horizon, far shorter than either stream) leaves the checkpoint
    and the database about the same size, apart from the breach log, which grows by one short row
    per missed deadline (and is cut at SLA_RETENTION_DAYS)."""
    sizes, entries = [], []
    for count in (8000, 16000):
        db = tmp_path / f"m{count}.db"
        session = open_session(db, [], batch=1000, checkpoint_every=4000, horizon=10 * HOUR)
        replay(session, events_file(tmp_path, count, f"events-{count}.jsonl"))
        session.close()
        entries.append(checkpoint_entries(db))
        rows, breach_bytes = breach_log(db)
        assert rows and breach_bytes < 1024 * rows + 4 * 4096  # short rows (no sources, no fix texts), index included
        sizes.append(database_bytes(db) - breach_bytes)
    assert entries[1] < 1.2 * entries[0]
    assert sizes[1] < 1.2 * sizes[0]


def test_a_checkpoint_holds_the_whole_state(tmp_path: Path) -> None:
    """A monitor restored from a checkpoint mid-stream ends where the one that never stopped ends,
    with the same outputs: held events, prices, rooms, deadlines and counters included."""
    lines = generate(2500, seed=3)
    extra = [
        '{"type":"room_created","at":"2026-11-26T20:00:00+08:00","room":"R2","platform":"douyin"}',
        '{"type":"quick_bar_added","at":"2026-11-26T20:00:05+08:00","room":"R2","product":"P001"}',
        '{"type":"price_changed","at":"2026-11-26T20:10:00+08:00","product":"P001","price":"99"}',
        '{"type":"refund_issued","at":"2026-11-26T20:20:00+08:00","order":"LATE"}',
    ]
    lines = extra + lines + ['{"type":"price_changed","at":"2026-11-27T20:10:00+08:00","product":"P001",'
                             '"price":"199","reference_price":"299"}', '{"type":"room_ended","at":'
                             '"2026-11-27T21:00:00+08:00","room":"R2"}']
    engine = make_engine(RULES, "native")

    def feed(monitor: Monitor, part: list[str]) -> list:
        outputs = []
        for line in part:
            parsed = parse_event(line)
            outputs += [key for key, _, _ in monitor.process(parsed, event_key(parsed, line))]
        return outputs + [key for key, _, _ in monitor.release_held()]

    whole = Monitor(RULES, engine, lateness=60)
    expected = feed(whole, lines)
    first = Monitor(RULES, engine, lateness=60)
    head = [key for line in lines[:1500] for key, _, _ in first.process(parse_event(line), event_key(parse_event(line), line))]
    assert first.held or first.deadlines  # something is pending at the cut
    second = Monitor(RULES, engine, lateness=60)
    decode(second, encode(first))
    assert snapshot(second) == snapshot(first)
    assert head + feed(second, lines[1500:]) == expected
    assert snapshot(second) == snapshot(whole)


def test_a_final_checkpoint_leaves_only_price_changes_in_the_journal(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    path.write_text("\n".join(generate(1000, seed=1) + [
        '{"type":"price_changed","at":"2026-11-27T20:10:00+08:00","product":"P1","price":"9","operator":"a",'
        '"reason":"r"}']) + "\n", encoding="utf-8")
    db = tmp_path / "m.db"
    session = open_session(db, [], batch=300)
    replay(session, path)
    session.close()
    with closing(sqlite3.connect(db)) as conn:
        kinds = conn.execute("SELECT json_extract(body, '$.type'), COUNT(*) FROM events GROUP BY 1").fetchall()
        outbox = conn.execute("SELECT COUNT(*) FROM outbox").fetchone()[0]
    assert (kinds, outbox) == ([("price_changed", 1)], 0)


def test_the_emitted_keys_of_a_forgotten_order_are_forgotten_with_it() -> None:
    """Emitted keys would otherwise grow with history: an evicted order's go, an open one's stay."""
    monitor = Monitor(RULES, make_engine(RULES, "native"), horizon=HOUR)

    def feed(line: str) -> None:
        parsed = parse_event(line)
        monitor.process(parsed, event_key(parsed, line))

    feed('{"type":"order_created","at":"2026-11-26T10:00:00+08:00","order":"OLD","product":"P1"}')
    feed('{"type":"address_change_requested","at":"2026-11-26T13:00:00+08:00","order":"OLD"}')  # late: ORDER-002
    feed('{"type":"order_created","at":"2026-11-26T14:00:00+08:00","order":"OPEN","product":"P1"}')
    feed('{"type":"address_change_requested","at":"2026-11-26T17:00:00+08:00","order":"OPEN"}')
    old = {key for key in monitor.emitted if "order:OLD/" in key}
    assert old and any("order:OPEN/" in key for key in monitor.emitted)
    for second in range(1000):  # eviction runs every 1000 events; OPEN stays active
        feed(f'{{"type":"stock_changed","at":"2026-11-26T17:{second // 60:02d}:{second % 60:02d}+08:00",'
             f'"product":"X{second}","stock":1}}')
    assert "OLD" not in monitor.orders and "OPEN" in monitor.orders
    assert not old & monitor.emitted
    assert any("order:OPEN/" in key for key in monitor.emitted)


def test_an_unreadable_checkpoint_is_one_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from guard.cli import main

    path, db = events_file(tmp_path, 200), tmp_path / "m.db"
    assert main(["monitor", "replay", str(path), "--db", str(db)]) in (0, 1)
    with closing(sqlite3.connect(db)) as conn, conn:
        conn.execute("UPDATE checkpoint SET state = x'00ff'")
    capsys.readouterr()
    assert main(["monitor", "replay", str(path), "--db", str(db)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "cannot open the monitor's database" in err and "checkpoint" in err


def test_a_database_of_the_earlier_layout_is_read_and_shrunk(tmp_path: Path) -> None:
    """An earlier guard kept every event and finding, without auto_vacuum: its events are applied
    once, its finding keys are not emitted again, then the file is vacuumed to the open state."""
    path, db = events_file(tmp_path, 3000), tmp_path / "old.db"
    lines = path.read_text(encoding="utf-8").splitlines()
    with closing(sqlite3.connect(db)) as conn, conn:
        conn.executescript("""
            CREATE TABLE events (seq INTEGER PRIMARY KEY, key TEXT NOT NULL, body TEXT NOT NULL);
            CREATE TABLE findings (key TEXT PRIMARY KEY, event_seq INTEGER, body TEXT NOT NULL);
            CREATE TABLE meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
        """)
        conn.executemany("INSERT INTO events (seq, key, body) VALUES (?, ?, ?)",
                         [(number, event_key(parse_event(line), line), line) for number, line in enumerate(lines, 1)])
    before = db.stat().st_size
    out: list = []
    session = open_session(db, out)
    assert session.restored == 3000
    replay(session, path)  # no stored position: read from the start, every event a duplicate
    session.close()
    assert out == []  # nothing new: the earlier guard printed what these events caused
    with closing(sqlite3.connect(db)) as conn:
        assert conn.execute("PRAGMA auto_vacuum").fetchone()[0] == 2
        assert conn.execute("SELECT COUNT(*) FROM events").fetchone()[0] == 0
    assert db.stat().st_size < before / 2
