"""The post-live report (seed 八): metrics exports, the monitor's database, the METRIC rules and the page."""

from __future__ import annotations

import json
import re
import shutil
import sqlite3
from html.parser import HTMLParser
from datetime import datetime
from pathlib import Path

import pytest

from guard.cli import main
from guard.engine.base import Engine
from guard.errors import InputFileError
from guard.postlive.html import render_html
from guard.postlive.metrics import read_metrics
from guard.postlive.report import build_report
from guard.rules.loader import RuleSet

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
METRICS = EXAMPLES / "metrics"


@pytest.fixture()
def db(tmp_path: Path) -> Path:
    """The example live's monitor database, replayed from examples/events.jsonl."""
    path = tmp_path / "live.db"
    assert main(["monitor", "replay", str(EXAMPLES / "events.jsonl"), "--db", str(path), "--format", "jsonl",
                 "--until", "2026-11-28T00:00:00+08:00"]) in (0, 1, 2)
    return path


def _csv(tmp_path: Path, text: str, name: str = "m.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_a_metrics_export_is_read_under_its_title_row_with_units_and_rates_as_shown(tmp_path: Path) -> None:
    path = _csv(tmp_path, "某直播间数据导出\n时间,观看人数,跳出率,商品点击,成交订单,投诉\n"
                          "2026-11-26 20:00,100,62%,30,3,0\n2026-11-26 20:01,200,0.5,40,4,1\n2026-11-26 20:02,50,40,10,1,0\n")
    metrics = read_metrics(path)
    assert metrics.problems == []
    assert [(m.viewers, m.bounces, m.complaints) for m in metrics.minutes] == [(100, 62, 0), (200, 100, 1), (50, 20, 0)]


def test_a_bad_row_is_located_and_the_rest_is_read(tmp_path: Path) -> None:
    path = _csv(tmp_path, "时间,观看人数,成交订单\n2026-11-26 20:00,100,3\n2026-11-26 20:01,很多,4\n昨天,10,1\n")
    metrics = read_metrics(path)
    assert len(metrics.minutes) == 1
    assert [p.split(":")[0].rsplit(" ", 2)[-2:] for p in metrics.problems] == [["row", "3"], ["row", "4"]]


def test_json_metrics_and_refusals(tmp_path: Path) -> None:
    path = tmp_path / "m.json"
    path.write_text(json.dumps({"minutes": [{"time": "2026-11-26T20:00:00+08:00", "uv": 10, "orders": 1}],
                                "skus": [{"product_id": "A", "clicks": 5, "orders": 1}]}), encoding="utf-8")
    metrics = read_metrics(path)
    assert (len(metrics.minutes), metrics.skus[0].sku) == (1, "A")
    with pytest.raises(InputFileError, match="no header row"):
        read_metrics(_csv(tmp_path, "a,b\n1,2\n", "nothing.csv"))
    with pytest.raises(InputFileError, match="no such file"):
        read_metrics(tmp_path / "missing.csv")


def test_the_example_live_gets_the_seed_s_advice_with_its_tools(db: Path, ruleset: RuleSet, native: Engine) -> None:
    report = build_report(db, METRICS / "LR-20261126.xlsx", ruleset=ruleset, engine=native)
    assert report.live == "LR-20261126" and report.totals["viewers"] > 0
    assert report.rates["bounce"] == report.totals["bounces"] * 10000 // report.totals["viewers"]
    rules = [f.rule for f in report.advice]
    assert {"METRIC-001", "METRIC-002"} <= set(rules) and "METRIC-003" not in rules  # no earlier live yet
    messages = {f.rule: f.message for f in report.advice}
    assert "热力图分析" in messages["METRIC-001"] and "A/B测试页面" in messages["METRIC-002"]
    low = [f.product for f in report.advice if f.rule == "METRIC-004"]
    assert low == ["YJ-1002", "YJ-1004"]  # YJ-1005 converts worst but has too few clicks to say
    assert [s["rule"] for s in report.sla] == ["ORDER-001", "ORDER-003", "ORDER-004"]  # the live's orders, breached after it too
    assert [(p["product"], p["new_fen"]) for p in report.price_changes] == [("YJ-1001", 6900)]  # 19:45 is before the live


def test_complaints_are_compared_with_the_merchant_s_previous_lives(db: Path, ruleset: RuleSet, native: Engine) -> None:
    for live in ("LR-20261119", "LR-20261122"):
        build_report(db, METRICS / f"{live}.csv", ruleset=ruleset, engine=native, room=live)
    report = build_report(db, METRICS / "LR-20261126.xlsx", ruleset=ruleset, engine=native)
    assert [h["live"] for h in report.history] == ["LR-20261119", "LR-20261122"]
    [rising] = [f for f in report.advice if f.rule == "METRIC-003"]
    assert "满意度调研" in rising.message
    with sqlite3.connect(db) as connection:
        assert connection.execute("SELECT count(*) FROM live_reports").fetchone() == (3,)
    again = build_report(db, METRICS / "LR-20261126.xlsx", ruleset=ruleset, engine=native)  # a rerun replaces, never doubles
    assert [h["live"] for h in again.history] == ["LR-20261119", "LR-20261122"]


class _Marks(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.charts: dict[str, list[dict[str, str | None]]] = {}
        self.current: str | None = None
        self.tags: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        self.tags.append(tag)
        if tag == "svg":
            self.current = values.get("data-chart")
            self.charts[self.current or ""] = []
        elif self.current and any(k.startswith("data-") for k in values):
            self.charts[self.current].append({"tag": tag, **values})


def test_the_page_is_self_contained_and_draws_what_the_report_says(db: Path, ruleset: RuleSet, native: Engine) -> None:
    report = build_report(db, METRICS / "LR-20261126.xlsx", ruleset=ruleset, engine=native)
    page = render_html(report)
    assert not re.search(r"(src|href)=['\"]?https?:", page) and "<script" not in page
    marks = _Marks()
    marks.feed(page)
    assert set(marks.charts) == {"sku-conversion", "bounce-over-time", "sla-timeline"}  # no earlier live: no comparison chart
    bars = {m["data-sku"]: (int(m["data-value-bp"] or 0), m["fill"]) for m in marks.charts["sku-conversion"] if m["tag"] == "rect"}
    assert bars == {s["sku"]: (s["conversion_bp"], "#c62828" if s["conversion_bp"] < 300 else "#1565c0") for s in report.skus}
    assert [m["data-threshold-bp"] for m in marks.charts["sku-conversion"] if m["tag"] == "line"] == ["300"]
    dots = [m for m in marks.charts["bounce-over-time"] if m["tag"] == "circle"]
    assert len(dots) == len(report.minutes) and [m["data-threshold-bp"] for m in marks.charts["bounce-over-time"] if m["tag"] == "line"] == ["5000"]
    assert [m["data-rule"] for m in marks.charts["sla-timeline"] if m["tag"] == "circle"] == ["ORDER-001", "ORDER-003", "ORDER-004"]
    assert all(f"data-rule='{f.rule}'" in page for f in report.advice)


def test_the_command_writes_html_json_and_refuses_a_missing_database(db: Path, tmp_path: Path,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "report.html"
    assert main(["report", "--db", str(db), "--metrics", str(METRICS / "LR-20261126.xlsx"), "--output", str(out)]) == 0
    assert out.read_text(encoding="utf-8").startswith("<!doctype html>")
    assert main(["report", "--db", str(db), "--metrics", str(METRICS / "LR-20261126.xlsx"), "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["rates_bp"]["conversion"] < 300
    assert main(["report", "--db", str(tmp_path / "none.db"), "--metrics", str(METRICS / "LR-20261126.xlsx")]) == 2
    not_sqlite = tmp_path / "text.db"
    shutil.copy(METRICS / "LR-20261119.csv", not_sqlite)
    assert main(["report", "--db", str(not_sqlite), "--metrics", str(METRICS / "LR-20261126.xlsx")]) == 2


def test_breaches_outlive_the_monitor_s_compaction_and_only_the_live_s_count(tmp_path: Path, ruleset: RuleSet,
                                                                              native: Engine) -> None:
    """The monitor drops its journal and delivered outputs at each checkpoint; sla_log keeps the breaches."""
    db = tmp_path / "compact.db"
    main(["monitor", "replay", str(EXAMPLES / "events.jsonl"), "--db", str(db), "--checkpoint-every", "2",
          "--output", str(tmp_path / "out.jsonl"), "--until", "2026-11-28T00:00:00+08:00"])
    with sqlite3.connect(db) as connection:
        assert connection.execute("SELECT count(*) FROM outbox").fetchone() == (0,)  # delivered and gone
        kept = connection.execute("SELECT count(*) FROM sla_log").fetchone()[0]
    assert kept == 3
    report = build_report(db, METRICS / "LR-20261126.xlsx", ruleset=ruleset, engine=native)
    assert [s["rule"] for s in report.sla] == ["ORDER-001", "ORDER-003", "ORDER-004"]
    earlier = build_report(db, METRICS / "LR-20261119.csv", ruleset=ruleset, engine=native, room="LR-20261119")
    assert earlier.sla == [] and earlier.price_changes == []  # a week before: none of this live's breaches


def test_the_breach_log_keeps_short_rows_and_forgets_them_after_its_retention(tmp_path: Path) -> None:
    from guard.monitor.store import SLA_RETENTION_DAYS, Store

    store = Store(tmp_path / "s.db")
    body = {"rule": "ORDER-001", "topic": "order", "subject": "order:A/oversold_refund", "tier": "general",
            "message": "超时", "breached_at": "2026-11-26T20:16:01+08:00", "sources": [{"title": "x" * 500}]}
    store.add_output("k1", body)
    store.add_output("k2", {**body, "breached_at": "2026-08-01T10:00:00+08:00"})
    store.add_output("k3", {"rule": "PRICE-004", "topic": "pricing", "subject": "product:P"})  # not a deadline
    store.commit({})
    with sqlite3.connect(tmp_path / "s.db") as connection:
        rows = connection.execute("SELECT key, body FROM sla_log ORDER BY key").fetchall()
    assert [key for key, _ in rows] == ["k1", "k2"] and all("sources" not in text for _, text in rows)
    cut = int(datetime.fromisoformat("2026-11-26T20:16:01+08:00").timestamp()) - SLA_RETENTION_DAYS * 86400
    store.commit({}, checkpoint=b"state", sla_before=cut)
    with sqlite3.connect(tmp_path / "s.db") as connection:
        assert connection.execute("SELECT key FROM sla_log").fetchall() == [("k1",)]
    store.close()
