"""Benchmark `guard check` on a generated catalog, both engines, against parsing the file with json.

    python bench/bench_check.py [--count 100000] [--violation-rate 0.25] [--repeat 3]

Every measurement runs in a fresh interpreter (no warm caches) and reports products per second:

- json baseline: ``json.loads`` of the same file, nothing else;
- library, native / durable: ``check_files`` plus JSONL rendering, rules and lexicons loaded inside
  the timing (imports outside it);
- command: the ``guard check --format jsonl`` process, start-up included.

Ratios are against the json baseline of the same run. The durable run's findings are compared with
the native run's, line by line.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def child(mode: str, path: str, out: str) -> None:
    """Run one measurement in this (fresh) process and print the seconds it took."""
    if mode == "json":
        start = time.perf_counter()
        json.loads(Path(path).read_text(encoding="utf-8"))
        print(time.perf_counter() - start)
        return
    from guard.check import check_files
    from guard.report.json import render_jsonl
    from guard.rules.loader import load_rules

    start = time.perf_counter()
    report = check_files([path], ruleset=load_rules(), engine=mode)
    text = render_jsonl(report)
    elapsed = time.perf_counter() - start
    Path(out).write_text(text, encoding="utf-8")
    print(elapsed)


def measure(mode: str, path: Path, out: Path, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        done = subprocess.run([sys.executable, __file__, "--child", mode, str(path), str(out)],
                              capture_output=True, text=True, check=True)
        times.append(float(done.stdout.strip().splitlines()[-1]))
    return min(times)


def measure_command(path: Path, repeat: int) -> float:
    guard_bin = Path(sys.executable).with_name("guard")
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        with open(os.devnull, "w") as sink:
            done = subprocess.run([str(guard_bin), "check", str(path), "--format", "jsonl", "--no-progress"],
                                  stdout=sink, stderr=subprocess.PIPE, text=True)
        times.append(time.perf_counter() - start)
        if done.returncode not in (0, 1):
            raise SystemExit(done.stderr)
    return min(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--violation-rate", type=float, default=0.25)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--skip-durable", action="store_true")
    parser.add_argument("--child", nargs=3, metavar=("MODE", "CATALOG", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return 0

    path = HERE / "out" / f"catalog-{args.count}-{args.violation_rate}.json"
    if not path.exists():
        subprocess.run([sys.executable, str(HERE / "make_catalog.py"), "--count", str(args.count),
                        "--violation-rate", str(args.violation_rate), "--out", str(path)], check=True)
    n = args.count
    print(f"catalog: {path.name}, {n} products, {path.stat().st_size / 1e6:.1f} MB; python {sys.version.split()[0]}")
    with tempfile.TemporaryDirectory() as tmp:
        native_out, durable_out = Path(tmp) / "native.jsonl", Path(tmp) / "durable.jsonl"
        rows = [("json.loads (baseline)", measure("json", path, native_out, args.repeat))]
        rows.append(("library, native engine", measure("native", path, native_out, args.repeat)))
        findings = native_out.read_text(encoding="utf-8").count("\n")
        agreement = "not run"
        if not args.skip_durable:
            from guard.engine import durable

            if durable.available():
                rows.append(("library, durable engine", measure("durable", path, durable_out, 1)))
                same = durable_out.read_bytes() == native_out.read_bytes()
                agreement = "identical" if same else "DIFFERENT"
            else:
                agreement = f"unavailable: {durable.unavailable_reason()}"
        rows.append(("guard check command, native", measure_command(path, args.repeat)))

    baseline = rows[0][1]
    print(f"findings: {findings} ({findings / n:.2f} per product); durable vs native findings: {agreement}")
    print(f"{'run':<32}{'seconds':>9}{'products/s':>13}{'time vs json':>14}")
    for label, seconds in rows:
        print(f"{label:<32}{seconds:>9.2f}{n / seconds:>13,.0f}{seconds / baseline:>13.1f}x")
    print(f"(best of {args.repeat} fresh processes; durable once)")
    return 1 if agreement == "DIFFERENT" else 0


if __name__ == "__main__":
    sys.exit(main())
