"""The price-change log is kept three years (电子商务法 第三十一条) and then leaves from its front,
with the hash chain, the anchor and the append-only guard still holding."""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

from guard.cli import main

NOW = "2026-11-26T20:00:00+08:00"  # the watermark; three years before it is 2023-11-26T20:00 (1096 days)


def change(at: str, price: str, product: str = "P1") -> str:
    return json.dumps({"type": "price_changed", "at": at, "product": product, "price": price, "operator": "amy",
                       "reason": "直播让利"}, ensure_ascii=False)


def replay(tmp_path: Path, lines: list[str], *extra: str) -> Path:
    events, db = tmp_path / "events.jsonl", tmp_path / "state.db"
    with events.open("a", encoding="utf-8") as fh:
        fh.write("".join(line + "\n" for line in lines))
    assert main(["monitor", "replay", str(events), "--db", str(db), *extra]) in (0, 1)
    return db


def logged(db: Path) -> list[tuple[int, str]]:
    with closing(sqlite3.connect(db)) as conn:
        return conn.execute("SELECT seq, at FROM price_log ORDER BY seq").fetchall()


def journaled_changes(db: Path) -> int:
    with closing(sqlite3.connect(db)) as conn:
        return conn.execute("SELECT COUNT(*) FROM events WHERE json_extract(body, '$.type') = 'price_changed'"
                            ).fetchone()[0]


def test_entries_leave_only_once_three_years_old(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = replay(tmp_path, [change("2022-01-01T10:00:00+08:00", "120"),
                           change("2023-11-26T19:59:59+08:00", "110"),  # three years and a second before NOW
                           change("2023-11-26T20:00:01+08:00", "100", "P2"),  # a second inside the three years
                           change(NOW, "90")])
    assert logged(db) == [(3, "2023-11-26T20:00:01+08:00"), (4, NOW)]
    assert journaled_changes(db) == 2
    assert main(["audit", "verify", "--db", str(db)]) == 0
    assert "2 price-log entries checked, 0 problems" in capsys.readouterr().err


def test_the_chain_goes_on_after_its_front_has_left(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    replay(tmp_path, [change("2022-01-01T10:00:00+08:00", "120"), change(NOW, "90")])
    db = replay(tmp_path, [change("2026-11-27T10:00:00+08:00", "80")])
    assert [seq for seq, _ in logged(db)] == [2, 3]
    assert main(["audit", "head", "--db", str(db)]) == 0
    anchor = capsys.readouterr().out.strip()
    assert anchor.startswith("3:")
    assert main(["audit", "verify", "--db", str(db), "--expect-head", anchor]) == 0


def test_a_kept_entry_still_cannot_be_deleted_or_cut(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = replay(tmp_path, [change("2022-01-01T10:00:00+08:00", "120"), change(NOW, "90"),
                           change("2026-11-26T21:00:00+08:00", "80")])
    with closing(sqlite3.connect(db)) as conn, pytest.raises(sqlite3.IntegrityError, match="append-only"):
        conn.execute("DELETE FROM price_log WHERE seq = 2")
    assert main(["audit", "head", "--db", str(db)]) == 0
    anchor = capsys.readouterr().out.strip()
    with closing(sqlite3.connect(db)) as conn, conn:
        conn.execute("DROP TRIGGER price_log_no_delete")
        conn.execute("DELETE FROM price_log WHERE seq = 2")
    assert main(["audit", "verify", "--db", str(db)]) == 1
    assert "entries 2..2 are missing" in capsys.readouterr().out
    with closing(sqlite3.connect(db)) as conn, conn:
        conn.execute("DELETE FROM price_log WHERE seq = 3")
        conn.execute("DELETE FROM events WHERE json_extract(body, '$.type') = 'price_changed'")
    assert main(["audit", "verify", "--db", str(db)]) == 0  # a cut to the base, events too: only the anchor sees it
    capsys.readouterr()
    assert main(["audit", "verify", "--db", str(db), "--expect-head", anchor]) == 1
    assert "before the 3 anchored" in capsys.readouterr().out


def test_a_retention_below_three_years_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    events = tmp_path / "events.jsonl"
    events.write_text(change(NOW, "90") + "\n", encoding="utf-8")
    assert main(["monitor", "replay", str(events), "--db", str(tmp_path / "s.db"), "--price-retention-days", "30"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "1096" in err and "第三十一条" in err
    assert not (tmp_path / "s.db").exists()


def test_a_longer_retention_keeps_more(tmp_path: Path) -> None:
    db = replay(tmp_path, [change("2022-01-01T10:00:00+08:00", "120"), change(NOW, "90")],
                "--price-retention-days", "2000")
    assert [seq for seq, _ in logged(db)] == [1, 2]


def test_with_an_audit_key_a_cut_from_the_front_cannot_pose_as_the_retention(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    key_file = tmp_path / "audit.key"
    key_file.write_text("kept-off-the-database\n", encoding="utf-8")
    monkeypatch.setenv("GUARD_AUDIT_KEY_FILE", str(key_file))
    db = replay(tmp_path, [change("2022-01-01T10:00:00+08:00", "120"), change(NOW, "90"),
                           change("2026-11-26T21:00:00+08:00", "80")])
    assert main(["audit", "verify", "--db", str(db)]) == 0  # pruned past the retention: sealed
    capsys.readouterr()
    with closing(sqlite3.connect(db)) as conn, conn:  # entry 2 is young; remove it and move the base past it
        digest, key = conn.execute("SELECT hash, event_key FROM price_log WHERE seq = 2").fetchone()
        conn.execute("DROP TRIGGER price_log_no_delete")
        conn.execute("DELETE FROM price_log WHERE seq = 2")
        conn.execute("DELETE FROM events WHERE key = ?", (key,))
        conn.executemany("UPDATE meta SET value = ? WHERE name = ?",
                         [("2", "price_log_pruned_to"), (digest, "price_log_base"), (NOW, "price_log_base_at")])
    assert main(["audit", "verify", "--db", str(db)]) == 1
    assert "not sealed with the audit key" in capsys.readouterr().out
