"""Durable monitor state in SQLite: a checkpoint of the open state, the journal of events after it,
the outbox of outputs not yet delivered, the input position, and the append-only, hash-chained
price-change log.

Each batch commits in one transaction: its events (journal), the findings and actions they caused
(outbox, numbered by ``seq``), price-log entries and the input position; every so often the same
transaction also replaces the checkpoint and drops the journal it covers. A restart loads the
checkpoint and re-applies the journal after it, so its cost follows the open state and what came
after the last checkpoint, not the history. Outputs leave the outbox once delivered
(see ``guard.monitor.delivery``). Missed order deadlines are also kept in ``sla_log``, one short
row per breach (rule, subject, time, tier, message), for ``SLA_RETENTION_DAYS`` after it: the
post-live report reads them there after the outbox is gone.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from guard.monitor import pricelog
from guard.monitor.pricelog import (  # noqa: F401 - re-exported: the audit API predates pricelog
    GENESIS,
    AuditProblem,
    PriceLog,
    audit_key,
    entry_hash,
    price_log_head,
    verify_price_log,
)

SCHEMA = """
CREATE TABLE IF NOT EXISTS events (seq INTEGER PRIMARY KEY, key TEXT NOT NULL, body TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS outbox (seq INTEGER PRIMARY KEY, key TEXT NOT NULL, body TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS checkpoint (id INTEGER PRIMARY KEY CHECK (id = 1), event_seq INTEGER NOT NULL,
    state BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS sla_log (key TEXT PRIMARY KEY, at INTEGER NOT NULL, body TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS sla_log_at ON sla_log (at);
"""


SLA_RETENTION_DAYS = 90  # breaches a post-live report may still ask for; older ones go at a checkpoint
_BREACH_FIELDS = ("rule", "subject", "product", "tier", "message", "breached_at")


def _breach(body: dict[str, Any]) -> tuple[int, str] | None:
    """An order finding as kept in ``sla_log``: when its deadline was missed (or the late request
    came), in epoch seconds, and its short form; None for other outputs."""
    if body.get("topic") != "order" or "rule" not in body:
        return None
    subject = str(body.get("subject") or "")
    text = body.get("breached_at") or (subject.rpartition("@")[2] if "@" in subject else None)
    try:
        at = datetime.fromisoformat(str(text))
    except ValueError:
        return None
    short = {name: body[name] for name in _BREACH_FIELDS if body.get(name) is not None}
    return int(at.timestamp()), json.dumps({**short, "topic": "order", "at": at.isoformat()}, ensure_ascii=False,
                                           separators=(",", ":"))


class Store:
    """One SQLite file; writes are batched and committed together with the input position."""

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        self.db = sqlite3.connect(self.path, isolation_level=None)
        if not self.db.execute("SELECT 1 FROM sqlite_master LIMIT 1").fetchone():
            self.db.execute("PRAGMA auto_vacuum=INCREMENTAL")  # a new file: freed pages can be handed back
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.execute("PRAGMA journal_size_limit=16777216")  # the WAL is cut back to 16 MB after a checkpoint
        self.db.execute("PRAGMA cache_size=-8192")  # 8 MB: appends need few pages
        self.db.executescript(SCHEMA)
        pricelog.create(self.db)
        self._events: list[tuple[int, str, str]] = []
        self._outputs: list[tuple[int, str, str]] = []
        self._breaches: list[tuple[str, int, str]] = []
        self._prices: list[tuple[Any, ...]] = []
        self.prices = PriceLog(self.db)
        row = self.db.execute("SELECT event_seq FROM checkpoint WHERE id = 1").fetchone()
        self.checkpoint_seq = row[0] if row else 0
        last_event = self.db.execute("SELECT MAX(seq) FROM events").fetchone()[0] or 0
        self.next_seq = max(last_event, self.checkpoint_seq) + 1
        last_output = self.db.execute("SELECT MAX(seq) FROM outbox").fetchone()[0] or 0
        self.next_output = max(last_output + 1, int(self.meta("next_output") or 1))
        self.delivered = int(self.meta("delivered") or 0)

    def close(self) -> None:
        """Hand the pages freed by pruning back to the file system, then close."""
        if self.db.execute("PRAGMA auto_vacuum").fetchone()[0] == 2:
            self.db.executescript("PRAGMA incremental_vacuum;")  # executescript steps it to the end
        elif 2 * self.db.execute("PRAGMA freelist_count").fetchone()[0] > self.db.execute("PRAGMA page_count").fetchone()[0]:
            self.db.executescript("PRAGMA auto_vacuum=INCREMENTAL; VACUUM;")  # a database of an earlier guard, once
        self.db.close()

    # reading, for a restart
    def checkpoint(self) -> bytes | None:
        row = self.db.execute("SELECT state FROM checkpoint WHERE id = 1").fetchone()
        return bytes(row[0]) if row else None

    def journal(self) -> Iterator[tuple[int, str, str]]:
        """The events (and clock ticks) applied after the checkpoint, in order."""
        yield from self.db.execute("SELECT seq, key, body FROM events WHERE seq > ? ORDER BY seq",
                                   (self.checkpoint_seq,))

    @property
    def journal_length(self) -> int:
        return self.next_seq - 1 - self.checkpoint_seq

    def legacy_emitted(self) -> set[str]:
        """Keys of the findings a database of an earlier guard kept (all printed by that guard)."""
        if not self.db.execute("SELECT 1 FROM sqlite_master WHERE name = 'findings'").fetchone():
            return set()
        return {row[0] for row in self.db.execute("SELECT key FROM findings")}

    def undelivered(self) -> list[tuple[int, dict[str, Any]]]:
        return [(seq, json.loads(body)) for seq, body in
                self.db.execute("SELECT seq, body FROM outbox WHERE seq > ? ORDER BY seq", (self.delivered,))]

    def meta(self, name: str) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE name = ?", (name,)).fetchone()
        return row[0] if row else None

    # writing, batched
    def add_event(self, key: str, body: str) -> int:
        seq = self.next_seq
        self.next_seq += 1
        self._events.append((seq, key, body))
        return seq

    def add_output(self, key: str, body: dict[str, Any]) -> int:
        """Queue a finding or action for the outbox; its ``seq`` orders delivery."""
        seq = self.next_output
        self.next_output += 1
        encoded = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
        self._outputs.append((seq, key, encoded))
        breach = _breach(body)
        if breach is not None:
            self._breaches.append((key, *breach))
        return seq

    def add_price_change(self, entry: dict[str, Any]) -> None:
        self._prices.append(self.prices.entry(entry))

    def commit(self, meta: dict[str, str], checkpoint: bytes | None = None, prune_before: int | None = None,
               sla_before: int | None = None) -> None:
        """Write the batch and the input position atomically; with ``checkpoint``, replace the
        checkpoint and drop the journal it covers (price changes stay: the audit reads them), and
        drop the price changes older than ``prune_before`` (epoch seconds)."""
        meta = {**meta, "next_output": str(self.next_output)}
        cursor = self.db.cursor()
        cursor.execute("BEGIN")
        try:
            cursor.executemany("INSERT INTO events (seq, key, body) VALUES (?, ?, ?)", self._events)
            cursor.executemany("INSERT INTO outbox (seq, key, body) VALUES (?, ?, ?)", self._outputs)
            cursor.executemany("INSERT OR IGNORE INTO sla_log (key, at, body) VALUES (?, ?, ?)", self._breaches)
            cursor.executemany(
                "INSERT INTO price_log (seq, event_key, product, at, old_fen, new_fen, operator, reason, prev_hash, hash)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", self._prices)
            cursor.executemany("INSERT OR REPLACE INTO meta (name, value) VALUES (?, ?)", meta.items())
            if checkpoint is not None:
                covered = self.next_seq - 1
                cursor.execute("INSERT OR REPLACE INTO checkpoint (id, event_seq, state) VALUES (1, ?, ?)",
                               (covered, checkpoint))
                cursor.execute("DELETE FROM events WHERE seq > ? AND seq <= ? "
                               " AND (body NOT LIKE '%price_changed%' OR json_extract(body, '$.type') IS NOT 'price_changed')",
                               (self.checkpoint_seq, covered))
                cursor.execute("DROP TABLE IF EXISTS findings")
                if prune_before is not None:
                    self.prices.prune(cursor, prune_before)
                if sla_before is not None:
                    cursor.execute("DELETE FROM sla_log WHERE at < ?", (sla_before,))
            cursor.execute("COMMIT")
        except BaseException:
            cursor.execute("ROLLBACK")
            raise
        if checkpoint is not None:
            self.checkpoint_seq = self.next_seq - 1
        self._events.clear()
        self._outputs.clear()
        self._breaches.clear()
        self._prices.clear()

    def mark_delivered(self, seq: int, meta: dict[str, str]) -> None:
        """Move the delivery cursor to ``seq`` and drop the outputs up to it."""
        cursor = self.db.cursor()
        cursor.execute("BEGIN")
        try:
            cursor.executemany("INSERT OR REPLACE INTO meta (name, value) VALUES (?, ?)",
                               [("delivered", str(seq)), *meta.items()])
            cursor.execute("DELETE FROM outbox WHERE seq <= ?", (seq,))
            cursor.execute("COMMIT")
        except BaseException:
            cursor.execute("ROLLBACK")
            raise
        self.delivered = seq
