"""Durable monitor state in SQLite: a checkpoint of the open state, the journal of events after it,
the outbox of outputs not yet delivered, the input position, and the append-only, hash-chained
price-change log.

Each batch commits in one transaction: its events (journal), the findings and actions they caused
(outbox, numbered by ``seq``), price-log entries and the input position; every so often the same
transaction also replaces the checkpoint and drops the journal it covers. A restart loads the
checkpoint and re-applies the journal after it, so its cost follows the open state and what came
after the last checkpoint, not the history. Outputs leave the outbox once delivered
(see ``guard.monitor.delivery``).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SCHEMA = """
CREATE TABLE IF NOT EXISTS events (seq INTEGER PRIMARY KEY, key TEXT NOT NULL, body TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS outbox (seq INTEGER PRIMARY KEY, key TEXT NOT NULL, body TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS checkpoint (id INTEGER PRIMARY KEY CHECK (id = 1), event_seq INTEGER NOT NULL,
    state BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS price_log (
    seq INTEGER PRIMARY KEY, event_key TEXT NOT NULL UNIQUE, product TEXT NOT NULL, at TEXT NOT NULL,
    old_fen INTEGER, new_fen INTEGER NOT NULL, operator TEXT, reason TEXT,
    prev_hash TEXT NOT NULL, hash TEXT NOT NULL
);
CREATE TRIGGER IF NOT EXISTS price_log_no_update BEFORE UPDATE ON price_log
    BEGIN SELECT RAISE(ABORT, 'price_log is append-only'); END;
CREATE TRIGGER IF NOT EXISTS price_log_no_delete BEFORE DELETE ON price_log
    BEGIN SELECT RAISE(ABORT, 'price_log is append-only'); END;
"""
GENESIS = "0" * 64
_PRICE_FIELDS = ("event_key", "product", "at", "old_fen", "new_fen", "operator", "reason")


def audit_key() -> bytes | None:
    """The optional audit key: the file named by $GUARD_AUDIT_KEY_FILE, else $GUARD_AUDIT_KEY.

    With a key every link is an HMAC, so someone who can write the database but does not hold the
    key cannot edit an entry and recompute the chain.
    """
    path = os.environ.get("GUARD_AUDIT_KEY_FILE")
    if path:
        with open(path, "rb") as fh:
            key = fh.read().strip()
        if not key:
            raise ValueError(f"{path}: the audit key file is empty")
        return key
    value = os.environ.get("GUARD_AUDIT_KEY")
    return value.encode("utf-8") if value else None


def entry_hash(prev_hash: str, entry: dict[str, Any], key: bytes | None = None) -> str:
    """Hash of one price-log entry, chained to the previous entry's hash (an HMAC with ``key``)."""
    canonical = json.dumps([prev_hash] + [entry[f] for f in _PRICE_FIELDS], ensure_ascii=False, separators=(",", ":"))
    if key is not None:
        return hmac.new(key, canonical.encode("utf-8"), hashlib.sha256).hexdigest()
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class AuditProblem:
    seq: int
    message: str


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
        self._events: list[tuple[int, str, str]] = []
        self._outputs: list[tuple[int, str, str]] = []
        self._prices: list[tuple[Any, ...]] = []
        row = self.db.execute("SELECT hash FROM price_log ORDER BY seq DESC LIMIT 1").fetchone()
        self._last_hash = row[0] if row else GENESIS
        self._audit_key = audit_key()
        row = self.db.execute("SELECT event_seq FROM checkpoint WHERE id = 1").fetchone()
        self.checkpoint_seq = row[0] if row else 0
        last_event = self.db.execute("SELECT MAX(seq) FROM events").fetchone()[0] or 0
        self.next_seq = max(last_event, self.checkpoint_seq) + 1
        last_output = self.db.execute("SELECT MAX(seq) FROM outbox").fetchone()[0] or 0
        self.next_output = max(last_output + 1, int(self.meta("next_output") or 1))
        self.delivered = int(self.meta("delivered") or 0)

    def close(self) -> None:
        self.db.execute("PRAGMA incremental_vacuum")  # hand the pages the run freed back to the file system
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
        self._outputs.append((seq, key, json.dumps(body, ensure_ascii=False, separators=(",", ":"))))
        return seq

    def add_price_change(self, entry: dict[str, Any]) -> None:
        digest = entry_hash(self._last_hash, entry, self._audit_key)
        self._prices.append(tuple(entry[f] for f in _PRICE_FIELDS) + (self._last_hash, digest))
        self._last_hash = digest

    def commit(self, meta: dict[str, str], checkpoint: bytes | None = None) -> None:
        """Write the batch and the input position atomically; with ``checkpoint``, replace the
        checkpoint and drop the journal it covers (price changes stay: the audit reads them)."""
        meta = {**meta, "next_output": str(self.next_output)}
        cursor = self.db.cursor()
        cursor.execute("BEGIN")
        try:
            cursor.executemany("INSERT INTO events (seq, key, body) VALUES (?, ?, ?)", self._events)
            cursor.executemany("INSERT INTO outbox (seq, key, body) VALUES (?, ?, ?)", self._outputs)
            cursor.executemany(
                "INSERT INTO price_log (event_key, product, at, old_fen, new_fen, operator, reason, prev_hash, hash)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", self._prices)
            cursor.executemany("INSERT OR REPLACE INTO meta (name, value) VALUES (?, ?)", meta.items())
            if checkpoint is not None:
                covered = self.next_seq - 1
                cursor.execute("INSERT OR REPLACE INTO checkpoint (id, event_seq, state) VALUES (1, ?, ?)",
                               (covered, checkpoint))
                cursor.execute("DELETE FROM events WHERE seq > ? AND seq <= ? "
                               " AND json_extract(body, '$.type') IS NOT 'price_changed'",
                               (self.checkpoint_seq, covered))
                cursor.execute("DROP TABLE IF EXISTS findings")
            cursor.execute("COMMIT")
        except BaseException:
            cursor.execute("ROLLBACK")
            raise
        if checkpoint is not None:
            self.checkpoint_seq = self.next_seq - 1
        self._events.clear()
        self._outputs.clear()
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


def price_log_head(path: str | Path) -> tuple[int, str]:
    """(entries, hash of the last entry): the anchor to keep outside the database."""
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        row = db.execute("SELECT COUNT(*), (SELECT hash FROM price_log ORDER BY seq DESC LIMIT 1) FROM price_log").fetchone()
    finally:
        db.close()
    return int(row[0]), row[1] or GENESIS


def verify_price_log(path: str | Path, key: bytes | None = None, anchor: tuple[int, str] | None = None,
                     ) -> tuple[int, list[AuditProblem]]:
    """Walk the price log's hash chain; report every edited, inserted or deleted entry.

    ``anchor`` (entries, last hash), kept outside the database, also finds a log cut short or wiped
    together with its events; ``key`` finds a chain recomputed after an edit.
    """
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        rows = db.execute(
            "SELECT seq, event_key, product, at, old_fen, new_fen, operator, reason, prev_hash, hash FROM price_log ORDER BY seq"
        ).fetchall()
        changes = [row[0] for row in db.execute(
            "SELECT key FROM events WHERE json_extract(body, '$.type') = 'price_changed' ORDER BY seq")]
    finally:
        db.close()
    problems: list[AuditProblem] = []
    expected_prev = GENESIS
    last_seq = 0
    for row in rows:
        seq = row[0]
        entry = dict(zip(_PRICE_FIELDS, row[1:8]))
        prev_hash, stored = row[8], row[9]
        if seq != last_seq + 1:
            problems.append(AuditProblem(seq, f"entries {last_seq + 1}..{seq - 1} are missing (deleted)"))
        if prev_hash != expected_prev:
            problems.append(AuditProblem(seq, "links to a different previous entry (an entry before it was deleted or replaced)"))
        if entry_hash(prev_hash, entry, key) != stored:
            problems.append(AuditProblem(seq, "content does not match its hash (edited)"))
        expected_prev = stored
        last_seq = seq
    if anchor is not None:
        count, head = anchor
        if len(rows) < count:
            problems.append(AuditProblem(last_seq + 1, f"the log holds {len(rows)} entries, fewer than the {count} anchored"))
        at_anchor = rows[count - 1][9] if 0 < count <= len(rows) else (GENESIS if count == 0 else None)
        if at_anchor is not None and at_anchor != head:
            problems.append(AuditProblem(count, "the entry at the anchor does not have the anchored hash (rewritten)"))
    logged = {row[1] for row in rows}
    for key in changes:  # the event log names every price change; the tail of the chain cannot hide
        if key not in logged:
            problems.append(AuditProblem(last_seq + 1, f"the price change of event {key} is missing from the log (deleted)"))
    return len(rows), problems
