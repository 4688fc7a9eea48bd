"""Benchmark `guard check` on a generated catalog, both engines, against parsing the file with json.

    python bench/bench_check.py [--count 100000] [--violation-rate 0.25] [--repeat 3]

Prints products per second for: json.load alone (baseline), guard end to end in one process
(read + validate + facts + rules + findings + JSONL rendering, rules loaded inside the timing)
on the native engine, the same on the durable engine, and the `guard check` command as a
subprocess. Ratios are against the json baseline measured in the same run. The durable run's
findings are compared with the native run's, field by field.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent


def best(runs: int, work: Callable[[], object]) -> tuple[float, object]:
    times, result = [], None
    for _ in range(runs):
        start = time.perf_counter()
        result = work()
        times.append(time.perf_counter() - start)
    return min(times), result


def guard_end_to_end(path: Path, engine: str) -> list[str]:
    # a fresh ruleset and engine inside the timing: nothing is cached across repeats
    from guard.check import check_files
    from guard.report.json import render_jsonl
    from guard.rules.loader import load_rules

    report = check_files([path], ruleset=load_rules(), engine=engine)
    return render_jsonl(report).splitlines()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--violation-rate", type=float, default=0.25)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--skip-durable", action="store_true")
    args = parser.parse_args()

    path = HERE / "out" / f"catalog-{args.count}-{args.violation_rate}.json"
    if not path.exists():
        subprocess.run([sys.executable, str(HERE / "make_catalog.py"), "--count", str(args.count),
                        "--violation-rate", str(args.violation_rate), "--out", str(path)], check=True)
    n = args.count
    print(f"catalog: {path.name}, {n} products, {path.stat().st_size / 1e6:.1f} MB; python {sys.version.split()[0]}")

    json_time, _ = best(args.repeat, lambda: json.loads(path.read_text(encoding="utf-8")))
    native_time, native_lines = best(args.repeat, lambda: guard_end_to_end(path, "native"))
    rows = [("json.load (baseline)", json_time), ("guard native, in process", native_time)]
    findings = len(native_lines)  # type: ignore[arg-type]

    agreement = "not run"
    if not args.skip_durable:
        from guard.engine import durable

        if durable.available():
            durable_time, durable_lines = best(1, lambda: guard_end_to_end(path, "durable"))
            rows.append(("guard durable, in process", durable_time))
            agreement = "identical" if durable_lines == native_lines else "DIFFERENT"
        else:
            agreement = f"unavailable: {durable.unavailable_reason()}"

    guard_bin = Path(sys.executable).with_name("guard")
    cli_times = []
    for _ in range(args.repeat):
        start = time.perf_counter()
        with open(os.devnull, "w") as sink:
            done = subprocess.run([str(guard_bin), "check", str(path), "--format", "jsonl", "--no-progress"],
                                  stdout=sink, stderr=subprocess.PIPE, text=True)
        cli_times.append(time.perf_counter() - start)
        if done.returncode not in (0, 1):
            print(done.stderr, file=sys.stderr)
            return 2
    rows.append(("guard check command (subprocess)", min(cli_times)))

    print(f"findings: {findings} ({findings / n:.2f} per product); durable vs native findings: {agreement}")
    print(f"{'run':<36}{'seconds':>10}{'products/s':>14}{'vs json':>10}")
    for label, seconds in rows:
        print(f"{label:<36}{seconds:>10.2f}{n / seconds:>14,.0f}{json_time / seconds:>10.3f}")
    print(f"(best of {args.repeat}; durable once; cli spread {statistics.pstdev(cli_times):.2f} s)")
    return 0 if agreement in ("identical", "not run") or agreement.startswith("unavailable") else 1


if __name__ == "__main__":
    sys.exit(main())
