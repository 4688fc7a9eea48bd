"""Drivers: replay a JSONL file by event time, or follow stdin by wall time; both persist to SQLite."""

from __future__ import annotations

import hashlib
import json
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
from guard.monitor.core import DEFAULT_HORIZON, Monitor, Output, Stats
from guard.monitor.delivery import CallbackDestination, Destination, Record, crash_point
from guard.monitor.events import epoch, event_key, parse_event
from guard.monitor.pricelog import LEGAL_RETENTION_DAYS
from guard.monitor.state import decode, encode
from guard.monitor.store import SLA_RETENTION_DAYS, Store
from guard.rules.loader import RuleSet

Sink = Callable[[dict[str, Any]], None]
Problem = Callable[[int, str], None]
MONITOR_TOPICS = ("order", "inventory", "room", "pricing")
CHECKPOINT_EVERY = 100_000


def invalid_reason(exc: ValidationError) -> str:
    """An invalid event line's problem: the first failing field and what is wrong with it."""
    first = exc.errors(include_url=False)[0]
    where = ".".join(str(p) for p in first["loc"]) or "$"
    return f"{where}: {first['msg']}"


def monitor_rules(ruleset: RuleSet) -> RuleSet:
    """The rules the monitor evaluates (catalog-only rules such as retention need catalog facts)."""
    return ruleset.select(MONITOR_TOPICS)


@dataclass
class Session:
    """A monitor bound to its store: restored from the checkpoint and journal, then fed new events.

    ``restored`` counts the journal entries re-applied on opening: the work a restart did.
    """

    store: Store
    monitor: Monitor
    output: Destination
    problem: Problem
    batch: int = 5000
    checkpoint_every: int = CHECKPOINT_EVERY
    retention_days: int = LEGAL_RETENTION_DAYS
    pending: list[Record] = field(default_factory=list)
    uncommitted: int = 0
    restored: int = 0

    @classmethod
    def open(cls, db: str | Path, ruleset: RuleSet, engine: Engine, output: Destination | Sink, problem: Problem, *,
             lang: str = "zh", lateness: int = 0, batch: int = 5000, source: str = "<events>",
             checkpoint_every: int = CHECKPOINT_EVERY, horizon: int = DEFAULT_HORIZON,
             retention_days: int = LEGAL_RETENTION_DAYS) -> Session:
        if retention_days < LEGAL_RETENTION_DAYS:
            raise ValueError(f"the price-change log is kept at least {LEGAL_RETENTION_DAYS} days (three years), "
                             f"not {retention_days}")
        store = Store(db)
        monitor = Monitor(ruleset, engine, lang=lang, lateness=lateness, horizon=horizon,
                          emitted=store.legacy_emitted(), source=source)
        blob = store.checkpoint()
        try:
            if blob is not None:
                decode(monitor, blob)
        except (ValueError, KeyError, TypeError):
            store.close()
            raise
        destination = CallbackDestination(output) if callable(output) else output
        session = cls(store, monitor, destination, problem, batch, checkpoint_every, retention_days)
        for _, key, body in store.journal():  # outputs and problems of these were committed and reported then
            session._reapply(key, body)
            session.restored += 1
        monitor.price_log.clear()
        monitor.problems.clear()
        monitor.problem_lines.clear()
        monitor.stats = Stats()
        session._deliver(store.undelivered(), reconcile=True)  # what a kill kept from its destination, first
        return session

    def _reapply(self, key: str, body: str) -> None:
        if key.startswith("tick:"):
            self.monitor.advance(int(key[5:]))
        elif key == "release":
            self.monitor.release_held()
        else:
            self.monitor.process(parse_event(body), key)

    def feed(self, raw: str | bytes, line_number: int, now: int | None = None, max_skew: int = 300) -> None:
        """Validate and apply one JSON line; invalid lines are problems and the stream goes on."""
        if not raw.strip():
            return
        try:
            event = parse_event(raw)
        except ValidationError as exc:
            self.monitor.stats.errors += 1
            self.problem(line_number, invalid_reason(exc))
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
        self.store.add_event(key, body.strip() if clamp is None else event.model_dump_json())
        self._drain_problems(line_number)
        self._record(outputs)
        self.uncommitted += 1

    def _drain_problems(self, line_number: int) -> None:
        for message, line in zip(self.monitor.problems, self.monitor.problem_lines):
            self.problem(line if line is not None else line_number, message)
        self.monitor.problems.clear()
        self.monitor.problem_lines.clear()

    def advance(self, now: int) -> None:
        """Fire the deadlines ``now`` has passed; a tick that changed state is journaled for a rebuild."""
        self.monitor.ticked = False
        outputs = self.monitor.advance(now)
        if self.monitor.ticked:
            self.store.add_event(f"tick:{now}", json.dumps({"type": "tick", "now": now}))
        self._record(outputs)
        self._drain_problems(0)

    def release(self, line_number: int) -> None:
        """The input has ended: held events whose order never came are applied (and journaled) now."""
        if self.monitor.held:
            self.store.add_event("release", json.dumps({"type": "release"}))
        self._record(self.monitor.release_held())
        self._drain_problems(line_number)

    def _record(self, outputs: list[Output]) -> None:
        for entry in self.monitor.price_log:
            self.store.add_price_change(entry)
        self.monitor.price_log.clear()
        for key, body, _ in outputs:
            self.pending.append((self.store.add_output(key, body), body))

    def commit(self, meta: dict[str, str] | None = None, final: bool = False) -> None:
        """Persist the batch (and input position), then deliver its outputs; a checkpoint replaces
        the journal every ``checkpoint_every`` events and at the end of a run."""
        checkpoint, prune_before, sla_before = None, None, None
        if self.store.journal_length >= (1 if final else self.checkpoint_every):  # nothing new: nothing to write
            checkpoint = encode(self.monitor)
            if self.monitor.watermark is not None:
                prune_before = self.monitor.watermark - self.retention_days * 86400
                sla_before = self.monitor.watermark - SLA_RETENTION_DAYS * 86400
        self.store.commit(meta or {}, checkpoint, prune_before, sla_before)
        if self.pending:
            crash_point("after-commit")
        self._deliver(self.pending)
        self.pending = []
        self.uncommitted = 0

    def _deliver(self, records: list[Record], reconcile: bool = False) -> None:
        if reconcile:
            done, mark = self.output.reconcile(self.store, records)
            if done or mark:
                self.store.mark_delivered(records[done - 1][0] if done else self.store.delivered, mark)
            records = records[done:]
        if not records:
            return
        mark = self.output.write(records)
        crash_point("after-write")
        self.store.mark_delivered(records[-1][0], mark)
        self.monitor.stats.delivered += len(records)

    def close(self) -> None:
        close = getattr(self.output, "close", None)
        if close is not None:
            close()
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
    session.release(number)  # the file has ended: nothing held can still match
    session.commit({f"offset:{name}": str(offset), f"line:{name}": str(number), f"identity:{name}": identity},
                   final=True)
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
    session.commit(final=True)
    return session.monitor.stats
