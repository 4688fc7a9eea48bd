"""The database: clear errors, one process per database, a tamper-evident price-change log.

Kills and restarts are tested in test_monitor_delivery.py and test_monitor_restart.py.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from contextlib import closing
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
from make_events import generate  # noqa: E402

from guard.cli import main  # noqa: E402

GUARD = [sys.executable, "-c", "import sys; from guard.cli import run; sys.argv[0] = 'guard'; run()"]


def price_db(tmp_path: Path) -> Path:
    events = tmp_path / "prices.jsonl"
    lines = [
        {"type": "price_changed", "at": f"2026-11-26T20:0{i}:00+08:00", "product": "P1", "price": str(100 - i),
         "operator": "amy", "reason": "直播让利"} for i in range(5)
    ]
    events.write_text("\n".join(json.dumps(line, ensure_ascii=False) for line in lines) + "\n", encoding="utf-8")
    db = tmp_path / "state.db"
    assert main(["monitor", "replay", str(events), "--db", str(db)]) == 0
    return db


def tamper(db: Path, statement: str) -> None:
    with closing(sqlite3.connect(db)) as conn, conn:
        conn.execute("DROP TRIGGER price_log_no_update")
        conn.execute("DROP TRIGGER price_log_no_delete")
        conn.execute(statement)


def test_intact_log_verifies(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["audit", "verify", "--db", str(price_db(tmp_path))]) == 0
    assert "5 price-log entries checked, 0 problems" in capsys.readouterr().err


def test_log_refuses_edits_in_place(tmp_path: Path) -> None:
    with closing(sqlite3.connect(price_db(tmp_path))) as conn, pytest.raises(sqlite3.IntegrityError, match="append-only"):
        conn.execute("UPDATE price_log SET new_fen = 1 WHERE seq = 2")


@pytest.mark.parametrize(
    ("statement", "expected"),
    [
        ("UPDATE price_log SET new_fen = 1 WHERE seq = 3", "entry 3: content does not match its hash (edited)"),
        ("DELETE FROM price_log WHERE seq = 2", "entry 3: entries 2..2 are missing (deleted)"),
        ("DELETE FROM price_log WHERE seq = 5", "is missing from the log (deleted)"),
    ],
)
def test_edited_or_deleted_entry_is_found(tmp_path: Path, capsys: pytest.CaptureFixture[str], statement: str,
                                          expected: str) -> None:
    db = price_db(tmp_path)
    tamper(db, statement)
    assert main(["audit", "verify", "--db", str(db)]) == 1
    assert expected in capsys.readouterr().out


def test_follow_reads_stdin_through_the_command(tmp_path: Path) -> None:
    lines = "\n".join(json.dumps(e) for e in [
        {"type": "order_created", "at": "2026-11-26T20:00:00+08:00", "order": "O1", "product": "P1"},
        {"type": "address_change_requested", "at": "2026-11-26T23:00:00+08:00", "order": "O1"},
    ]) + "\n"
    done = subprocess.run(GUARD + ["monitor", "follow", "--db", str(tmp_path / "f.db")], input=lines,
                          capture_output=True, text=True, timeout=60, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    assert done.returncode == 1, done.stderr
    assert [json.loads(line).get("rule") for line in done.stdout.splitlines()] == ["ORDER-002", "ORDER-002"]


def test_replay_progress_goes_to_stderr(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    events = tmp_path / "events.jsonl"
    events.write_text("\n".join(generate(3000, seed=2)) + "\n", encoding="utf-8")
    assert main(["monitor", "replay", str(events), "--db", str(tmp_path / "p.db"), "--progress", "--batch", "500"]) in (1, 2)
    out, err = capsys.readouterr()
    assert "%|" in err and "3000 events applied" in err
    assert all(line.startswith("{") for line in out.splitlines())


def test_an_absurd_amount_is_one_located_error_and_never_jams_the_stream(tmp_path: Path,
                                                                          capsys: pytest.CaptureFixture[str]) -> None:
    from guard.cli import main

    events = tmp_path / "events.jsonl"
    events.write_text(
        '{"type": "price_changed", "at": "2026-11-26T10:00:00+08:00", "product": "P1", "price": 1e30, '
        '"operator": "a", "reason": "r"}\n'
        '{"type": "price_changed", "at": "2026-11-26T10:01:00+08:00", "product": "P1", "price": "99", '
        '"operator": "a", "reason": "r"}\n', encoding="utf-8")
    db = str(tmp_path / "state.db")
    assert main(["monitor", "replay", str(events), "--db", db]) == 2
    err = capsys.readouterr().err
    assert "line 1" in err and "price cap" in err and "1 events applied" in err and "1 invalid" in err
    assert main(["monitor", "replay", str(events), "--db", db]) == 0  # a restart goes on, nothing jams


@pytest.mark.parametrize("case", ["missing events", "events is a directory", "db is not sqlite", "audit on text",
                                  "audit without a log"])
def test_bad_paths_are_clear_errors_and_leave_no_database(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                           case: str) -> None:
    from guard.cli import main

    events = tmp_path / "events.jsonl"
    events.write_text("", encoding="utf-8")
    text_file = tmp_path / "notes.db"
    text_file.write_text("not a database", encoding="utf-8")
    empty_sqlite = tmp_path / "empty.db"
    with closing(sqlite3.connect(empty_sqlite)) as db:
        db.execute("CREATE TABLE other (x)")
    fresh = tmp_path / "fresh.db"
    argv = {
        "missing events": ["monitor", "replay", str(tmp_path / "absent.jsonl"), "--db", str(fresh)],
        "events is a directory": ["monitor", "replay", str(tmp_path), "--db", str(fresh)],
        "db is not sqlite": ["monitor", "replay", str(events), "--db", str(text_file)],
        "audit on text": ["audit", "verify", "--db", str(text_file)],
        "audit without a log": ["audit", "verify", "--db", str(empty_sqlite)],
    }[case]
    assert main(argv) == 2
    assert "guard: " in capsys.readouterr().err
    assert not fresh.exists()
    assert text_file.read_text(encoding="utf-8") == "not a database"


def test_a_second_process_on_one_database_is_refused_and_told_who_holds_it(tmp_path: Path,
                                                                            capsys: pytest.CaptureFixture[str]) -> None:
    from guard.cli import main

    db = str(tmp_path / "state.db")
    holder = subprocess.Popen(
        [sys.executable, "-c", "import fcntl, sys, time\nf = open(sys.argv[1] + '.lock', 'a+')\n"
         "fcntl.flock(f, fcntl.LOCK_EX)\nf.seek(0); f.truncate(); f.write('process 4242'); f.flush()\n"
         "print('locked', flush=True)\ntime.sleep(30)\n", db],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        events = tmp_path / "events.jsonl"
        events.write_text("", encoding="utf-8")
        assert main(["monitor", "replay", str(events), "--db", db]) == 2
        assert "in use by process 4242" in capsys.readouterr().err
    finally:
        holder.kill()
        holder.wait()
        if holder.stdout is not None:
            holder.stdout.close()
    assert main(["monitor", "replay", str(events), "--db", db]) in (0, 2)  # the lock is free again
    assert "in use by" not in capsys.readouterr().err


def _recompute_chain(db: Path, key: bytes | None = None) -> None:
    """What an attacker with write access does after an edit: rehash every entry in order."""
    from guard.monitor.store import GENESIS, entry_hash

    fields = ("event_key", "product", "at", "old_fen", "new_fen", "operator", "reason")
    with closing(sqlite3.connect(db)) as conn, conn:
        conn.execute("DROP TRIGGER IF EXISTS price_log_no_update")
        prev = GENESIS
        for row in conn.execute(f"SELECT seq, {', '.join(fields)} FROM price_log ORDER BY seq").fetchall():
            digest = entry_hash(prev, dict(zip(fields, row[1:])), key)
            conn.execute("UPDATE price_log SET prev_hash = ?, hash = ? WHERE seq = ?", (prev, digest, row[0]))
            prev = digest


def test_each_hash_covers_the_previous_one() -> None:
    from guard.monitor.store import GENESIS, entry_hash

    entry = {"event_key": "e", "product": "P1", "at": "t", "old_fen": 1, "new_fen": 2, "operator": "a", "reason": "r"}
    assert entry_hash(GENESIS, entry) != entry_hash("1" * 64, entry)


def test_a_relinked_entry_is_found_by_the_link_check(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Entry 3 made to point at another predecessor, its own hash recomputed to match: only the link check sees it."""
    from guard.monitor.store import entry_hash

    db = price_db(tmp_path)
    fields = ("event_key", "product", "at", "old_fen", "new_fen", "operator", "reason")
    with closing(sqlite3.connect(db)) as conn, conn:
        conn.execute("DROP TRIGGER price_log_no_update")
        row = conn.execute(f"SELECT {', '.join(fields)} FROM price_log WHERE seq = 3").fetchone()
        conn.execute("UPDATE price_log SET prev_hash = ?, hash = ? WHERE seq = 3",
                     ("f" * 64, entry_hash("f" * 64, dict(zip(fields, row)))))
    assert main(["audit", "verify", "--db", str(db)]) == 1
    assert "entry 3: links to a different previous entry" in capsys.readouterr().out


@pytest.mark.parametrize("statements", [
    ["DELETE FROM price_log WHERE seq = 5", "DELETE FROM events WHERE seq = (SELECT MAX(seq) FROM events)"],
    ["DELETE FROM price_log", "DELETE FROM events"],
])
def test_an_anchor_kept_elsewhere_finds_a_cut_or_wiped_log(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                            statements: list[str]) -> None:
    db = price_db(tmp_path)
    assert main(["audit", "head", "--db", str(db)]) == 0
    anchor = capsys.readouterr().out.strip()
    assert anchor.startswith("5:")
    for statement in statements:
        tamper(db, statement) if "price_log" in statement else _execute(db, statement)
    assert main(["audit", "verify", "--db", str(db)]) == 0  # without the anchor this cannot be seen
    capsys.readouterr()
    assert main(["audit", "verify", "--db", str(db), "--expect-head", anchor]) == 1
    assert "anchored" in capsys.readouterr().out


def _execute(db: Path, statement: str) -> None:
    with closing(sqlite3.connect(db)) as conn, conn:
        conn.execute(statement)


def test_a_keyed_chain_recomputed_without_the_key_fails(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    key_file = tmp_path / "audit.key"
    key_file.write_text("s3cret-key-kept-off-the-database\n", encoding="utf-8")
    monkeypatch.setenv("GUARD_AUDIT_KEY_FILE", str(key_file))
    db = price_db(tmp_path)
    assert main(["audit", "verify", "--db", str(db)]) == 0
    capsys.readouterr()
    tamper(db, "UPDATE price_log SET new_fen = 1 WHERE seq = 3")
    _recompute_chain(db)  # without the key
    assert main(["audit", "verify", "--db", str(db)]) == 1
    assert "content does not match its hash" in capsys.readouterr().out
    monkeypatch.delenv("GUARD_AUDIT_KEY_FILE")
    assert main(["audit", "verify", "--db", str(db)]) == 0  # without a key a recomputed chain looks intact
    assert "no audit key" in capsys.readouterr().err


def test_a_replaced_input_file_is_read_from_its_start(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from guard.cli import main

    first = [{"type": "order_created", "at": "2026-11-26T10:00:00+08:00", "order": f"A{i}", "product": "P1"}
             for i in range(3)]
    events = tmp_path / "events.jsonl"
    events.write_text("".join(json.dumps(e) + "\n" for e in first), encoding="utf-8")
    db = str(tmp_path / "state.db")
    assert main(["monitor", "replay", str(events), "--db", db]) == 0
    capsys.readouterr()
    rotated = [{"type": "order_created", "at": "2026-11-27T10:00:00+08:00", "order": "B1", "product": "P1"},
               {"type": "oversold_detected", "at": "2026-11-27T10:00:01+08:00", "order": "B1"}]
    events.unlink()
    events.write_text("".join(json.dumps(e) + "\n" for e in rotated), encoding="utf-8")  # shorter than before
    main(["monitor", "replay", str(events), "--db", db, "--until", "2026-11-27T11:00:00+08:00"])
    out, err = capsys.readouterr()
    assert "not the file read before" in err
    assert "ORDER-001" in out  # the new file's events were read, not skipped up to the old offset
