"""Build the post-live report: the metrics export and the monitor's database, judged by rules/metrics.

Definitions (said once, used everywhere): a minute's viewers are the people who entered the room in
that minute, summed as the live's UV; the bounce rate is bounces / viewers; the conversion rate is
paid orders / viewers; a SKU's conversion is its orders / its product clicks; the complaint rate is
complaints / orders. Each live's totals are kept in the database (``live_reports``), so a later
report compares its complaint rate with the merchant's previous lives.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from guard.engine import Engine
from guard.errors import InputFileError
from guard.facts import Subject
from guard.findings import Finding, FindingBuilder
from guard.model import CHINA_TZ
from guard.postlive.metrics import Metrics, read_metrics
from guard.rules.loader import RuleSet

HISTORY = """
CREATE TABLE IF NOT EXISTS live_reports (
    live TEXT PRIMARY KEY, started_at TEXT NOT NULL, viewers INTEGER NOT NULL, bounces INTEGER NOT NULL,
    clicks INTEGER NOT NULL, orders INTEGER NOT NULL, complaints INTEGER NOT NULL
);
"""
PREVIOUS_LIVES = 5  # the complaint rate is compared with the mean of this many previous lives
# The live's orders miss deadlines after it ends: a flagged order has 24 h, and may be flagged a day
# later. Breaches up to this long after the end count for the live.
SLA_AFTER = timedelta(hours=48)


def _bp(part: int, whole: int) -> int | None:
    return part * 10000 // whole if whole else None


@dataclass
class LiveReport:
    live: str
    platform: str
    start: datetime | None
    end: datetime | None
    totals: dict[str, int]
    rates: dict[str, int | None]  # basis points
    minutes: list[dict[str, Any]]
    skus: list[dict[str, Any]]
    history: list[dict[str, Any]]  # previous lives, oldest first
    sla: list[dict[str, Any]]
    price_changes: list[dict[str, Any]]
    advice: list[Finding] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "live": self.live, "platform": self.platform,
            "start": self.start.isoformat() if self.start else None, "end": self.end.isoformat() if self.end else None,
            "totals": self.totals, "rates_bp": self.rates, "minutes": self.minutes, "skus": self.skus,
            "previous_lives": self.history, "sla_breaches": self.sla, "price_changes": self.price_changes,
            "advice": [f.to_dict() for f in self.advice], "problems": self.problems,
        }


def _open(db: str | Path) -> sqlite3.Connection:
    path = Path(db)
    if not path.is_file():
        raise InputFileError(f"{path}: no such monitor database (run guard monitor with --db first)")
    try:
        connection = sqlite3.connect(path)
        connection.execute("SELECT name FROM sqlite_master LIMIT 1").fetchall()
    except sqlite3.DatabaseError as exc:
        raise InputFileError(f"{path}: not a monitor database: {exc}") from None
    return connection


def _tables(connection: sqlite3.Connection) -> set[str]:
    return {row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}


def _when(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=CHINA_TZ)


def _room_window(connection: sqlite3.Connection, room: str | None) -> tuple[str | None, str, datetime | None, datetime | None]:
    """The room, its platform and its start and end, from the stored events (the first room when none is named)."""
    if "events" not in _tables(connection):
        return room, "wechat", None, None
    platform, start, end = "wechat", None, None
    for (body,) in connection.execute("SELECT body FROM events ORDER BY seq"):
        try:
            event = json.loads(body)
        except ValueError:
            continue
        if not isinstance(event, dict) or "room" not in event:
            continue
        if room is None and event.get("type") in ("room_created", "room_started"):
            room = event["room"]
        if event.get("room") != room:
            continue
        if event.get("type") == "room_created":
            platform = event.get("platform", platform)
        elif event.get("type") == "room_started":
            start = _when(event.get("at"))
        elif event.get("type") == "room_ended":
            end = _when(event.get("at"))
    return room, platform, start, end


def _sla(connection: sqlite3.Connection, start: datetime | None, end: datetime | None) -> list[dict[str, Any]]:
    """Order deadlines missed from the live's start until ``SLA_AFTER`` after its end: when each was
    breached, or when the late request came (the monitor keeps them in ``sla_log``)."""
    tables = _tables(connection)
    query = ("SELECT body FROM sla_log" if "sla_log" in tables else
             "SELECT body FROM findings" if "findings" in tables else None)  # a database of the earlier layout
    if query is None:
        return []
    found = []
    for (body,) in connection.execute(query):
        finding = json.loads(body)
        subject = str(finding.get("subject") or "")
        if finding.get("topic") != "order":
            continue
        at = _when(finding.get("breached_at")) or _when(subject.rpartition("@")[2] if "@" in subject else None)
        if at is None or (start and at < start) or (end and at > end + SLA_AFTER):
            continue
        found.append({"rule": finding["rule"], "at": at.isoformat(), "subject": subject,
                      "tier": finding.get("tier"), "message": finding.get("message")})
    return sorted(found, key=lambda f: f["at"])


def _price_changes(connection: sqlite3.Connection, start: datetime | None, end: datetime | None) -> list[dict[str, Any]]:
    if "price_log" not in _tables(connection):
        return []
    rows = connection.execute("SELECT product, at, old_fen, new_fen, operator, reason FROM price_log ORDER BY seq")
    found = []
    for product, at_text, old, new, operator, reason in rows:
        at = _when(at_text)
        if at is None or (start and at < start) or (end and at > end):
            continue
        found.append({"product": product, "at": at.isoformat(), "old_fen": old, "new_fen": new,
                      "operator": operator, "reason": reason})
    return found


def _history(connection: sqlite3.Connection, live: str, start: datetime | None, totals: dict[str, int]) -> list[dict[str, Any]]:
    """The merchant's previous lives (before this one), then this live's totals are stored."""
    connection.executescript(HISTORY)
    rows = connection.execute(
        "SELECT live, started_at, viewers, bounces, clicks, orders, complaints FROM live_reports "
        "WHERE live != ? AND started_at < ? ORDER BY started_at DESC LIMIT ?",
        (live, (start or datetime.max.replace(tzinfo=CHINA_TZ)).isoformat(), PREVIOUS_LIVES)).fetchall()
    history = [{"live": r[0], "started_at": r[1], "viewers": r[2], "bounces": r[3], "clicks": r[4], "orders": r[5],
                "complaints": r[6], "complaint_rate_bp": _bp(r[6], r[5])} for r in reversed(rows)]
    if start is not None:
        with connection:
            connection.execute("INSERT OR REPLACE INTO live_reports VALUES (?, ?, ?, ?, ?, ?, ?)",
                               (live, start.isoformat(), totals["viewers"], totals["bounces"], totals["clicks"],
                                totals["orders"], totals["complaints"]))
    return history


def build_report(db: str | Path, metrics_path: str | Path, *, ruleset: RuleSet, engine: Engine, lang: str = "zh",
                 room: str | None = None) -> LiveReport:
    metrics: Metrics = read_metrics(metrics_path)
    connection = _open(db)
    try:
        room, platform, room_start, room_end = _room_window(connection, room)
        start = metrics.minutes[0].at if metrics.minutes else room_start
        end = metrics.minutes[-1].at + timedelta(minutes=1) if metrics.minutes else room_end
        live = room or Path(metrics_path).stem
        totals = {name: sum(getattr(m, name) for m in metrics.minutes) for name in ("viewers", "bounces", "clicks", "orders", "complaints")}
        if not metrics.minutes:  # only per-SKU rows: clicks and orders are the SKUs' sums
            totals.update(clicks=sum(s.clicks for s in metrics.skus), orders=sum(s.orders for s in metrics.skus))
        history = _history(connection, live, start, totals)
        sla = _sla(connection, start, end)
        prices = _price_changes(connection, start, end)
    finally:
        connection.close()
    rates = {"bounce": _bp(totals["bounces"], totals["viewers"]), "conversion": _bp(totals["orders"], totals["viewers"]),
             "complaint": _bp(totals["complaints"], totals["orders"])}
    previous = [h["complaint_rate_bp"] for h in history if h["complaint_rate_bp"] is not None]
    minutes = [{"at": m.at.isoformat(), "viewers": m.viewers, "bounces": m.bounces, "bounce_rate_bp": _bp(m.bounces, m.viewers),
                "clicks": m.clicks, "orders": m.orders, "complaints": m.complaints, "stay_seconds": m.stay_seconds}
               for m in metrics.minutes]
    sku_clicks = sum(s.clicks for s in metrics.skus)
    sku_orders = sum(s.orders for s in metrics.skus)
    ranked = sorted(metrics.skus, key=lambda s: (_bp(s.orders, s.clicks) if s.clicks else 10**9, s.sku))
    skus = [{"sku": s.sku, "name": s.name, "clicks": s.clicks, "orders": s.orders, "conversion_bp": _bp(s.orders, s.clicks),
             "rank_from_bottom": rank} for rank, s in enumerate(ranked, start=1)]
    report = LiveReport(live, platform, start, end, totals, rates, minutes, skus, history, sla, prices,
                        problems=list(metrics.problems))
    builder = FindingBuilder(ruleset, lang)
    subjects = [Subject("live_metrics", f"live:{live}", None, platform, "$", _live_facts(
        live, platform, totals, rates, previous), record=False)]
    for sku in skus:
        facts: dict[str, Any] = {"platform": platform, "sku": sku["sku"], "clicks": sku["clicks"], "rank_from_bottom": sku["rank_from_bottom"],
                                 "sku_name": sku["name"] or sku["sku"]}
        if sku["conversion_bp"] is not None:
            facts["sku_conversion_bp"] = sku["conversion_bp"]
        overall = _bp(sku_orders, sku_clicks)
        if overall is not None:
            facts["live_sku_conversion_bp"] = overall
        subjects.append(Subject("sku_metrics", f"live:{live}/sku:{sku['sku']}", sku["sku"], platform, "$.skus", facts, record=False))
    for subject in subjects:
        for rule in engine.fired(subject.kind, subject.platform, subject.facts):
            report.advice.append(builder.build(rule, subject))
    return report


def _live_facts(live: str, platform: str, totals: dict[str, int], rates: dict[str, int | None],
                previous: list[int]) -> dict[str, Any]:
    facts: dict[str, Any] = {"platform": platform, "live": live, "viewers": totals["viewers"], "orders": totals["orders"]}
    for name, key in (("bounce", "bounce_rate_bp"), ("conversion", "conversion_bp"), ("complaint", "complaint_rate_bp")):
        if rates[name] is not None:
            facts[key] = rates[name]
    if previous:
        facts["previous_complaint_rate_bp"] = sum(previous) // len(previous)
        facts["previous_lives"] = len(previous)
    return facts
