"""The price-change log: append-only, hash-chained, kept for the legal retention and no longer.

Every price change is an entry whose hash covers the previous entry's hash (an HMAC with the
audit key), so an edit, insertion or deletion breaks the chain. Entries older than the retention
(default and minimum three years: 电子商务法 第三十一条 keeps transaction information at least three
years from the transaction's completion; see rule RET-001) leave from the front of the log only:
the last removed entry's sequence, hash and time stay in ``meta`` as the base the chain continues
from, sealed with an HMAC when there is an audit key, so a cut from the front cannot pose as one.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import sqlite3
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

LEGAL_RETENTION_DAYS = 1096  # three years, a leap day included
SCHEMA = """
CREATE TABLE IF NOT EXISTS price_log (
    seq INTEGER PRIMARY KEY, event_key TEXT NOT NULL UNIQUE, product TEXT NOT NULL, at TEXT NOT NULL,
    old_fen INTEGER, new_fen INTEGER NOT NULL, operator TEXT, reason TEXT,
    prev_hash TEXT NOT NULL, hash TEXT NOT NULL
);
CREATE TRIGGER IF NOT EXISTS price_log_no_update BEFORE UPDATE ON price_log
    BEGIN SELECT RAISE(ABORT, 'price_log is append-only'); END;
CREATE TRIGGER IF NOT EXISTS price_log_no_delete BEFORE DELETE ON price_log
    WHEN old.seq > (SELECT COALESCE(MAX(CAST(value AS INTEGER)), 0) FROM meta WHERE name = 'price_log_pruned_to')
    BEGIN SELECT RAISE(ABORT, 'price_log is append-only; entries leave only past the retention'); END;
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


def create(db: sqlite3.Connection) -> None:
    """The log's table and triggers (a delete trigger of an earlier guard, without the retention, is replaced)."""
    row = db.execute("SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = 'price_log_no_delete'").fetchone()
    if row and "pruned_to" not in row[0]:
        db.execute("DROP TRIGGER price_log_no_delete")
    db.executescript(SCHEMA)


def base(db: sqlite3.Connection) -> tuple[int, str]:
    """(sequence, hash) of the last entry removed past the retention; (0, GENESIS) if none was."""
    rows = dict(db.execute("SELECT name, value FROM meta WHERE name IN ('price_log_pruned_to', 'price_log_base')"))
    return int(rows.get("price_log_pruned_to", 0)), rows.get("price_log_base", GENESIS)


def base_seal(seq: int, digest: str, at: str, key: bytes) -> str:
    """The HMAC that vouches a base was set by pruning, by a holder of the audit key."""
    return hmac.new(key, f"base|{seq}|{digest}|{at}".encode(), hashlib.sha256).hexdigest()


class PriceLog:
    """Appends to the chain; the rows are written by the store's batch commit."""

    def __init__(self, db: sqlite3.Connection) -> None:
        pruned_to, base_hash = base(db)
        row = db.execute("SELECT seq, hash FROM price_log ORDER BY seq DESC LIMIT 1").fetchone()
        self.next_seq, self.last_hash = (row[0] + 1, row[1]) if row else (pruned_to + 1, base_hash)
        self.key = audit_key()

    def entry(self, entry: dict[str, Any]) -> tuple[Any, ...]:
        """The row for ``entry``, chained to the one before."""
        digest = entry_hash(self.last_hash, entry, self.key)
        row = (self.next_seq, *(entry[f] for f in _PRICE_FIELDS), self.last_hash, digest)
        self.next_seq += 1
        self.last_hash = digest
        return row

    def prune(self, cursor: sqlite3.Cursor, before: int) -> int:
        """Remove the entries (and their events) older than ``before`` (epoch seconds) from the front of
        the log, stopping at the first younger one; return how many went."""
        pruned_to, _ = base(cursor.connection)
        last: tuple[int, str, str] | None = None
        reader = cursor.connection.execute("SELECT seq, at, hash FROM price_log WHERE seq > ? ORDER BY seq", (pruned_to,))
        for seq, at, digest in reader:
            if datetime.fromisoformat(at).timestamp() >= before:
                break
            last = (seq, digest, at)
        reader.close()
        if last is None:
            return 0
        seal = base_seal(*last, self.key) if self.key is not None else ""
        cursor.executemany("INSERT OR REPLACE INTO meta (name, value) VALUES (?, ?)",
                           [("price_log_pruned_to", str(last[0])), ("price_log_base", last[1]),
                            ("price_log_base_at", last[2]), ("price_log_base_seal", seal)])
        cursor.execute("DELETE FROM events WHERE json_extract(body, '$.type') = 'price_changed' AND key IN "
                       "(SELECT event_key FROM price_log WHERE seq <= ?)", (last[0],))
        cursor.execute("DELETE FROM price_log WHERE seq <= ?", (last[0],))
        return last[0] - pruned_to


def price_log_head(path: str | Path) -> tuple[int, str]:
    """(entries ever appended, hash of the last one): the anchor to keep outside the database."""
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        row = db.execute("SELECT seq, hash FROM price_log ORDER BY seq DESC LIMIT 1").fetchone()
        return (int(row[0]), row[1]) if row else base(db)
    finally:
        db.close()


def verify_price_log(path: str | Path, key: bytes | None = None, anchor: tuple[int, str] | None = None,
                     ) -> tuple[int, list[AuditProblem]]:
    """Walk the price log's hash chain from its base; report every edited, inserted or deleted entry.

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
        last_seq, expected_prev = base(db)
        sealed = dict(db.execute("SELECT name, value FROM meta WHERE name IN ('price_log_base_at', 'price_log_base_seal')"))
        base_at, seal = sealed.get("price_log_base_at", ""), sealed.get("price_log_base_seal", "")
    finally:
        db.close()
    problems: list[AuditProblem] = []
    if key is not None and last_seq and not hmac.compare_digest(seal, base_seal(last_seq, expected_prev, base_at, key)):
        problems.append(AuditProblem(last_seq + 1, f"entries 1..{last_seq} are gone but the base was not sealed with "
                                                   "the audit key (cut from the front, not past the retention)"))
    hashes = {last_seq: expected_prev}
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
        hashes[seq] = stored
    if anchor is not None:
        count, head = anchor
        if last_seq < count:
            problems.append(AuditProblem(last_seq + 1, f"the log ends at entry {last_seq}, before the {count} anchored"))
        at_anchor = hashes.get(count, GENESIS if count == 0 else None)
        if at_anchor is not None and at_anchor != head:
            problems.append(AuditProblem(count, "the entry at the anchor does not have the anchored hash (rewritten)"))
    logged = {row[1] for row in rows}
    for key in changes:  # the event log names every price change; the tail of the chain cannot hide
        if key not in logged:
            problems.append(AuditProblem(last_seq + 1, f"the price change of event {key} is missing from the log (deleted)"))
    return len(rows), problems
