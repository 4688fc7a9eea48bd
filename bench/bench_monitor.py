"""Benchmark `guard monitor replay` on a generated stream of order events, against json parsing alone.

    python bench/bench_monitor.py [--count 1000000]
    python bench/bench_monitor.py --restart 300000,600000

Each run is a fresh process with a fresh SQLite file. Reports sustained events per second for
parsing every line with json.loads (baseline) and for the full replay (validate, fold into state,
deadlines, rules, findings, durable log), and the replay's peak resident memory on the first
quarter, half and all of the stream: flat memory means the three peaks stay close.

``--restart N1,N2`` instead replays N1 and N2 events into fresh databases, then runs the same
replay again with nothing new: that restart's time against the start-up of a replay of an empty
file (baseline), and the database's bytes per input byte. A restart that does not grow with
history shows the same ratio for N1 and N2.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
BASELINE = "import json,sys\nfor line in open(sys.argv[1], 'rb'):\n    json.loads(line)\n"


def run(command: list[str]) -> tuple[float, float]:
    """Wall seconds and peak RSS (MB) of one child process."""
    start = time.perf_counter()
    with open(os.devnull, "w") as sink:
        child = subprocess.Popen(command, stdout=sink, stderr=subprocess.PIPE)
        _, status, usage = os.wait4(child.pid, 0)
    elapsed = time.perf_counter() - start
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode not in (0, 1, 2):
        raise SystemExit(f"{command[0]} failed: {child.stderr.read().decode() if child.stderr else ''}")
    return elapsed, usage.ru_maxrss / 1024


def stream(count: int) -> Path:
    path = HERE / "out" / f"events-{count}.jsonl"
    if not path.exists():
        subprocess.run([sys.executable, str(HERE / "make_events.py"), "--count", str(count), "--out", str(path)],
                       check=True)
    return path


def database_bytes(db: Path) -> int:
    return sum(Path(f"{db}{suffix}").stat().st_size for suffix in ("", "-wal") if Path(f"{db}{suffix}").exists())


def restart(counts: list[int]) -> int:
    """Restart time with nothing new, and database size, after each number of events."""
    guard_bin = str(Path(sys.executable).with_name("guard"))
    print(f"restart after N events with nothing new; python {sys.version.split()[0]}")
    print(f"{'events':>10}{'input MB':>10}{'replay s':>10}{'restart s':>11}{'vs start-up':>13}{'db MB':>9}"
          f"{'db bytes/input byte':>21}")
    with tempfile.TemporaryDirectory() as tmp:
        empty = Path(tmp) / "empty.jsonl"
        empty.write_text("", encoding="utf-8")
        baseline = min(run([guard_bin, "monitor", "replay", str(empty), "--db", str(Path(tmp) / f"e{i}.db")])[0]
                       for i in range(3))
        for count in counts:
            path, db = stream(count), Path(tmp) / f"state-{count}.db"
            command = [guard_bin, "monitor", "replay", str(path), "--db", str(db), "--no-progress"]
            replayed, _ = run(command)
            again = min(run(command)[0] for _ in range(2))
            size = database_bytes(db)
            print(f"{count:>10,}{path.stat().st_size / 1e6:>10.1f}{replayed:>10.1f}{again:>11.2f}"
                  f"{again / baseline:>12.1f}x{size / 1e6:>9.1f}{size / path.stat().st_size:>21.2f}")
    print(f"baseline: start-up of a replay of an empty file, {baseline:.2f} s")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=1_000_000)
    parser.add_argument("--restart", metavar="N1,N2", help="measure restart cost and database size instead")
    args = parser.parse_args()
    if args.restart:
        return restart([int(n) for n in args.restart.split(",")])
    path = stream(args.count)
    guard_bin = str(Path(sys.executable).with_name("guard"))
    print(f"stream: {path.name}, {args.count} events, {path.stat().st_size / 1e6:.1f} MB; python {sys.version.split()[0]}")
    baseline, _ = run([sys.executable, "-c", BASELINE, str(path)])
    rows = [("json.loads per line (baseline)", baseline, None)]
    with tempfile.TemporaryDirectory() as tmp:
        peaks = []
        for share in (4, 2, 1):
            part = path if share == 1 else Path(tmp) / f"part-{share}.jsonl"
            if share != 1:
                with path.open("rb") as source, part.open("wb") as target:
                    for index, line in enumerate(source):
                        if index >= args.count // share:
                            break
                        target.write(line)
            elapsed, rss = run([guard_bin, "monitor", "replay", str(part), "--db", str(Path(tmp) / f"state-{share}.db")])
            peaks.append((args.count // share, rss))
            if share == 1:
                rows.append(("guard monitor replay", elapsed, rss))
    print(f"{'run':<34}{'seconds':>9}{'events/s':>12}{'time vs json':>14}{'peak RSS':>10}")
    for label, seconds, rss in rows:
        memory = f"{rss:.0f} MB" if rss is not None else ""
        print(f"{label:<34}{seconds:>9.2f}{args.count / seconds:>12,.0f}{seconds / baseline:>13.1f}x{memory:>10}")
    print("peak RSS by stream length: " + ", ".join(f"{n:,} events {rss:.0f} MB" for n, rss in peaks))
    return 0


if __name__ == "__main__":
    sys.exit(main())
