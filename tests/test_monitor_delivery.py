"""Delivery across kills: every committed finding and action reaches the output exactly once (a file)
or at least once with its ``seq`` (stdout), wherever the process is killed.

Run the random-kill test alone with
``python -m pytest -q tests/test_monitor_delivery.py -k random_kills``.
"""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from contextlib import closing
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
from make_events import generate  # noqa: E402

GUARD = [sys.executable, "-c", "import sys; from guard.cli import run; sys.argv[0] = 'guard'; run()"]
UNTIL = "2026-12-31T00:00:00+08:00"


def command(events: Path, db: Path, output: Path | None) -> list[str]:
    return GUARD + ["monitor", "replay", str(events), "--db", str(db), "--batch", "200", "--checkpoint-every", "3000",
                    "--until", UNTIL, "--no-progress"] + (["--output", str(output)] if output else [])


@pytest.fixture(scope="module")
def streams(tmp_path_factory: pytest.TempPathFactory) -> dict[int, tuple[Path, list[str]]]:
    """Event files by length, each with the output of one uninterrupted replay (the reference)."""
    made: dict[int, tuple[Path, list[str]]] = {}
    for count in (4000, 12000):
        folder = tmp_path_factory.mktemp(f"stream-{count}")
        events = folder / "events.jsonl"
        events.write_text("\n".join(generate(count, seed=5)) + "\n", encoding="utf-8")
        done = subprocess.run(command(events, folder / "clean.db", None), capture_output=True, text=True, timeout=300)
        assert done.returncode == 1, done.stderr
        lines = done.stdout.splitlines()
        assert any(json.loads(line).get("rule") == "ORDER-001" for line in lines)  # deadlines fired too
        made[count] = events, lines
    return made


def start(cmd: list[str], stdout: Path, env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
    with stdout.open("wb") as out:
        return subprocess.Popen(cmd, stdout=out, stderr=subprocess.DEVNULL, env=env)


def delivered(destination: str, output: Path, stdouts: list[Path]) -> tuple[list[str], int]:
    """The combined output and how many repeats were dropped: a file is read as is; stdout of every
    run is concatenated and a line whose ``seq`` came before is a repeat (it must be identical)."""
    if destination == "file":
        return output.read_text(encoding="utf-8").splitlines(), 0
    first: dict[object, str] = {}
    repeats = 0
    for path in stdouts:
        for line in path.read_text(encoding="utf-8").splitlines():
            try:
                key = json.loads(line).get("seq", line)
            except json.JSONDecodeError:
                continue  # a line torn by the kill; its output is written again whole
            if key in first:
                assert first[key] == line, f"seq {key} delivered twice with different content"
                repeats += 1
            else:
                first[key] = line
    return list(first.values()), repeats


def lines_committed(db: Path, events: Path) -> int:
    """How far into the input the killed replay's database says it is."""
    if not db.exists():
        return 0
    try:
        with closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1)) as conn:
            row = conn.execute("SELECT value FROM meta WHERE name = ?", (f"line:{events}",)).fetchone()
    except sqlite3.Error:
        return 0
    return int(row[0]) if row else 0


def size(paths: list[Path]) -> int:
    return sum(path.stat().st_size for path in paths if path.exists())


@pytest.mark.slow
@pytest.mark.parametrize(("destination", "kills_wanted"), [("file", 24), ("stdout", 10)])
def test_random_kills_lose_and_repeat_nothing(tmp_path: Path, streams: dict, destination: str, kills_wanted: int) -> None:
    """SIGKILL at seeded random points, restart; after the last kill let the run complete; compare
    the combined output with a clean run's.

    Kill points are seeded random input lines, sorted, over the whole replay, and the last is the
    end of the input, where the final flush delivers a large batch. At each, once the database has
    committed that far, the kill comes either after a random 0-20 ms (in start-up, restoring,
    reading or committing) or the moment the output next grows (while a batch is being delivered:
    the window where a kill loses or repeats outputs), at random; the last one always the latter.
    """
    count = 12000
    events, expected = streams[count]
    rng = random.Random(f"kills-{destination}")
    targets = sorted(rng.randint(1, count - 400) for _ in range(kills_wanted - 1)) + [count]
    output = tmp_path / "out.jsonl"
    db, stdouts, kills = tmp_path / "killed.db", [], 0
    watched = [output] if destination == "file" else stdouts
    while True:
        stdouts.append(tmp_path / f"stdout-{len(stdouts)}.txt")
        child = start(command(events, db, output if destination == "file" else None), stdouts[-1])
        if kills == kills_wanted:
            assert child.wait(timeout=300) in (0, 1)  # 0 when nothing was left to deliver
            break
        target = targets.pop(0)
        while child.poll() is None and lines_committed(db, events) < target:
            time.sleep(0.005)
        if targets and rng.random() < 0.5:
            time.sleep(rng.uniform(0, 0.02))
        else:
            grown = size(watched) + 1
            while child.poll() is None and size(watched) < grown:
                time.sleep(0.0005)
        if child.poll() is not None:  # it completed first: the kills so far are the test
            break
        child.send_signal(signal.SIGKILL)
        child.wait()
        kills += 1
    assert kills >= kills_wanted * 2 // 3, f"only {kills} kills landed before the replay completed"
    got, repeats = delivered(destination, output, stdouts)
    missing = len(set(expected) - set(got))
    assert (missing, len(got) - len(set(got))) == (0, 0), f"{missing} of {len(expected)} missing after {kills} kills"
    assert got == expected
    if destination == "file":
        assert repeats == 0


@pytest.mark.slow
@pytest.mark.parametrize("destination", ["file", "stdout"])
@pytest.mark.parametrize("point", ["after-commit", "mid-write", "after-write"])
def test_a_kill_at_each_dangerous_point_is_recovered(tmp_path: Path, streams: dict, destination: str, point: str) -> None:
    """Killed (by fault injection) right after a commit, halfway through a write, and after the write
    but before the cursor moves; twice each, at the 1st and 4th batch with outputs."""
    events, expected = streams[4000]
    output = tmp_path / "out.jsonl" if destination == "file" else None
    db, stdouts = tmp_path / "killed.db", []
    for nth in ("1", "4", None):
        env = {**os.environ, "GUARD_MONITOR_CRASH": f"{point}:{nth}"} if nth else None
        stdouts.append(tmp_path / f"stdout-{len(stdouts)}.txt")
        child = start(command(events, db, output), stdouts[-1], env)
        status = child.wait(timeout=300)
        assert status == (-signal.SIGKILL if nth else 1)
    got, repeats = delivered(destination, tmp_path / "out.jsonl", stdouts)
    assert got == expected
    if destination == "stdout" and point == "after-write":
        assert repeats > 0  # at least once: the batch written before the kill is written again
    if destination == "file":
        assert repeats == 0


@pytest.mark.slow
def test_text_output_to_a_file_survives_a_torn_write_and_a_lost_cursor(tmp_path: Path, streams: dict) -> None:
    """Text findings span three lines: a kill halfway through a batch and one after its write
    leave the file exactly as one clean run writes it."""
    events, _ = streams[4000]
    clean, output, db = tmp_path / "clean.txt", tmp_path / "out.txt", tmp_path / "killed.db"
    text = ["--format", "text", "--lang", "en"]
    assert subprocess.run(command(events, tmp_path / "clean.db", clean) + text, capture_output=True,
                          timeout=300).returncode == 1
    for crash in ("mid-write:2", "after-write:3", None):
        env = {**os.environ, "GUARD_MONITOR_CRASH": crash} if crash else None
        done = subprocess.run(command(events, db, output) + text, capture_output=True, timeout=300, env=env)
        assert done.returncode == (-signal.SIGKILL if crash else 1)
    assert output.read_bytes() == clean.read_bytes()
    assert clean.read_text(encoding="utf-8").startswith("[1] ")
