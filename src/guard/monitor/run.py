"""Drivers: replay a JSONL file by event time, or follow stdin by wall time; both persist to SQLite."""

from __future__ import annotations

import hashlib
import os
import queue
import sys
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from pydantic import ValidationError

from guard.engine import Engine
from guard.findings import Finding
from guard.monitor.core import Monitor, Output, Stats
from guard.monitor.events import epoch, event_key, parse_event
from guard.monitor.store import Store
from guard.rules.loader import RuleSet

Sink = Callable[[dict[str, Any], Finding | None], None]
Problem = Callable[[int, str], None]
MONITOR_TOPICS = ("order", "inventory", "room", "pricing")


def monitor_rules(ruleset: RuleSet) -> RuleSet:
    """The rules the monitor evaluates (catalog-only rules such as retention need catalog facts)."""
    return ruleset.select(MONITOR_TOPICS)


@dataclass
class Session:
    """A monitor bound to its store: rebuilt from the stored events, then fed new ones."""

    store: Store
    monitor: Monitor
    sink: Sink
    problem: Problem
    batch: int = 5000
    pending: list[tuple[dict[str, Any], Finding | None]] = field(default_factory=list)
    uncommitted: int = 0
    last_seq: int = 0

    @classmethod
    def open(cls, db: str | Path, ruleset: RuleSet, engine: Engine, sink: Sink, problem: Problem, *,
             lang: str = "zh", lateness: int = 0, batch: int = 5000, source: str = "<events>") -> Session:
        store = Store(db)
        monitor = Monitor(ruleset, engine, lang=lang, lateness=lateness, emitted=store.emitted_keys(), source=source)
        session = cls(store, monitor, sink, problem, batch)
        for seq, key, body in store.stored_events():  # rebuild; every output was stored and printed before
            monitor.process(parse_event(body), key)
            session.last_seq = seq
        monitor.release_held()  # settled in the run that stored them; their problems were reported then
        monitor.price_log.clear()
        monitor.problems.clear()
        monitor.problem_lines.clear()
        monitor.stats = Stats()
        return session

    def feed(self, raw: str | bytes, line_number: int, now: int | None = None, max_skew: int = 300) -> None:
        """Validate and apply one JSON line; invalid lines are problems and the stream goes on."""
        if not raw.strip():
            return
        try:
            event = parse_event(raw)
        except ValidationError as exc:
            self.monitor.stats.errors += 1
            first = exc.errors(include_url=False)[0]
            where = ".".join(str(p) for p in first["loc"]) or "$"
            self.problem(line_number, f"{where}: {first['msg']}")
            return
        clamp = None
        if now is not None and epoch(event.at) > now + max_skew:  # clock skew at the sender
            clamp = now
            self.problem(line_number, f"event time {event.at.isoformat()} is more than {max_skew} s ahead of the "
                                      "clock; it is taken as happening now")
            event = event.model_copy(update={"at": _from_epoch(now, event.at)})
        key = event_key(event, raw)
        if self.monitor.is_duplicate(key):
            self.monitor.stats.duplicates += 1
            return
        outputs = self.monitor.process(event, key, line_number)
        body = raw.decode("utf-8") if isinstance(raw, bytes) else raw
        self.last_seq = self.store.add_event(key, body.strip() if clamp is None else event.model_dump_json())
        self._drain_problems(line_number)
        self._record(outputs)
        self.uncommitted += 1

    def _drain_problems(self, line_number: int) -> None:
        for message, line in zip(self.monitor.problems, self.monitor.problem_lines):
            self.problem(line if line is not None else line_number, message)
        self.monitor.problems.clear()
        self.monitor.problem_lines.clear()

    def advance(self, now: int) -> None:
        self._record(self.monitor.advance(now))
        self._drain_problems(0)

    def _record(self, outputs: list[Output]) -> None:
        for entry in self.monitor.price_log:
            self.store.add_price_change(entry)
        self.monitor.price_log.clear()
        for key, body, finding in outputs:
            self.store.add_finding(key, self.last_seq, body)
            self.pending.append((body, finding))

    def commit(self, meta: dict[str, str] | None = None) -> None:
        """Persist the batch (and input position), then print its outputs: each exactly once."""
        self.store.commit(meta or {})
        for body, finding in self.pending:
            self.sink(body, finding)
        self.pending.clear()
        self.uncommitted = 0

    def close(self) -> None:
        self.store.close()


def _from_epoch(seconds: int, like: datetime) -> datetime:
    return datetime.fromtimestamp(seconds, like.tzinfo)


def replay(session: Session, path: str | Path, until: int | None = None, progress: bool = False) -> Stats:
    """Feed a JSONL file from where an earlier run stopped; the clock is the events' own time."""
    name = os.path.abspath(path)
    offset = int(session.store.meta(f"offset:{name}") or 0)
    number = int(session.store.meta(f"line:{name}") or 0)
    identity = _identity(path)
    known = session.store.meta(f"identity:{name}")
    if offset and (known not in (None, identity) or os.path.getsize(path) < offset):
        # the same name now holds another file (replaced or rotated): it is read from its start;
        # events already applied are recognised as duplicates by their identity
        print(f"guard: {path} is not the file read before (size, inode or first bytes differ); reading it from the start",
              file=sys.stderr)
        offset, number = 0, 0
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=os.path.getsize(path), initial=offset, unit="B", unit_scale=True, file=sys.stderr,
                   mininterval=0.5, leave=False)
    with open(path, "rb") as fh:
        fh.seek(offset)
        for raw in fh:
            number += 1
            offset += len(raw)
            session.feed(raw, number)
            if session.uncommitted >= session.batch:
                session.commit({f"offset:{name}": str(offset), f"line:{name}": str(number), f"identity:{name}": identity})
                if bar is not None:
                    bar.update(offset - bar.n)
    if bar is not None:
        bar.close()
    if until is not None:
        session.advance(until)
    session._record(session.monitor.release_held())  # the file has ended: nothing held can still match
    session._drain_problems(number)
    session.commit({f"offset:{name}": str(offset), f"line:{name}": str(number), f"identity:{name}": identity})
    return session.monitor.stats


def _identity(path: str | Path) -> str:
    """What tells one file from another under the same name: its inode and a hash of its first 4 KB."""
    with open(path, "rb") as fh:
        head = fh.read(4096)
    return f"{os.stat(path).st_ino}:{hashlib.sha256(head).hexdigest()[:16]}"


def follow(session: Session, stream: IO[str] | Iterable[str], clock: Callable[[], float] = time.time,
           max_skew: int = 300, poll: float = 1.0) -> Stats:
    """Feed lines as they arrive and fire deadlines as ``clock`` passes them, committing each step."""
    lines: queue.Queue[str | None] = queue.Queue()

    def read() -> None:
        for line in stream:
            lines.put(line)
        lines.put(None)

    threading.Thread(target=read, daemon=True).start()
    number = 0
    while True:
        now = int(clock())
        session.advance(now)
        session.commit()
        due = session.monitor.deadlines[0][0] + session.monitor.lateness if session.monitor.deadlines else None
        wait = poll if due is None else max(0.0, min(poll, due - clock()))
        try:
            line = lines.get(timeout=wait)
        except queue.Empty:
            continue
        if line is None:
            break
        number += 1
        session.feed(line, number, now=int(clock()), max_skew=max_skew)
    session.advance(int(clock()))
    session.commit()
    return session.monitor.stats
