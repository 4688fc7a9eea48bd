"""Products per second past one core: guard check --jobs 1 and --jobs N, and Spark in local mode, on one file.

    python bench/bench_scale.py [--count 1000000] [--jobs 2] [--skip-spark]

The catalog is the bundled example catalog (products, promotions, live rooms) replicated to
``--count`` products, as JSON lines (what Spark reads). Every run is a fresh process and writes
its findings; the findings of each run are compared with the ``--jobs 1`` run's (as sorted lines:
Spark writes part files in no particular order, and omits null fields).

- ``guard check --jobs 1 --format jsonl``: the whole command, start-up included;
- ``guard check --jobs N``: the same command on N worker processes;
- Spark ``local[N]``: ``guard check --spark --master local[N] --format jsonl --output DIR``, JVM
  start-up included; the time to start the session alone is measured too and reported apart.

CPU time (this process's children) is reported beside wall time, so a run on a shared machine
can be read for what it is.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
NOW = "2026-11-26T10:00:00+08:00"


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run(command: list[str]) -> tuple[float, float]:
    """Wall and CPU seconds of one command (its exit code must be 0, 1 or 2: findings and problems are fine)."""
    cpu, start = _cpu(), time.perf_counter()
    done = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    wall = time.perf_counter() - start
    if done.returncode not in (0, 1, 2):
        raise SystemExit(done.stderr[-3000:])
    return wall, _cpu() - cpu


def _lines(path: Path) -> list[str]:
    files = sorted(path.glob("part-*")) if path.is_dir() else [path]
    out = []
    for file in files:
        for line in file.read_text(encoding="utf-8").splitlines():
            record = {k: v for k, v in json.loads(line).items() if v is not None}
            out.append(json.dumps(record, sort_keys=True, ensure_ascii=False))
    return sorted(out)


def spark_start_seconds(master: str) -> float:
    code = ("import time; t=time.perf_counter(); from guard.spark import session; s=session(%r); "
            "s.range(1).count(); print(time.perf_counter()-t)" % master)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return float(done.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=1_000_000)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--skip-spark", action="store_true")
    parser.add_argument("--keep", metavar="DIR", help="write the catalog and outputs here (default: a temporary folder)")
    args = parser.parse_args()
    folder = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="guard-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    catalog = folder / f"examples-{args.count}.jsonl"
    if not catalog.exists():
        subprocess.run([sys.executable, str(HERE / "replicate_examples.py"), "--count", str(args.count), "--jsonl",
                        "--out", str(catalog)], check=True)
    guard_bin = str(Path(sys.executable).with_name("guard"))
    common = [guard_bin, "check", str(catalog), "--now", NOW, "--format", "jsonl", "--no-progress"]
    results: list[tuple[str, float, float]] = []
    outputs: dict[str, list[str]] = {}
    for jobs in (1, args.jobs):
        out = folder / f"jobs{jobs}.jsonl"
        wall, cpu = run([*common, "--jobs", str(jobs), "--output", str(out)])
        results.append((f"guard check --jobs {jobs}", wall, cpu))
        outputs[f"jobs{jobs}"] = _lines(out)
    if not args.skip_spark:
        out = folder / "spark"
        shutil.rmtree(out, ignore_errors=True)
        master = f"local[{args.jobs}]"
        wall, cpu = run([guard_bin, "check", "--spark", "--master", master, str(catalog), "--now", NOW, "--format", "jsonl",
                         "--output", str(out)])
        results.append((f"guard check --spark --master {master}", wall, cpu))
        outputs["spark"] = _lines(out)
        startup = spark_start_seconds(master)
    print(f"{args.count:,} products ({catalog.stat().st_size / 1e6:.0f} MB of JSON lines), {os.cpu_count()} cores, "
          f"load average {os.getloadavg()[0]:.1f}")
    base = results[0][1]
    for name, wall, cpu in results:
        print(f"  {name:<42} {wall:8.1f} s wall {cpu:8.1f} s cpu  {args.count / wall:10,.0f} products/s  "
              f"x{base / wall:.2f}")
    if not args.skip_spark:
        print(f"  of which Spark session start-up: {startup:.1f} s")
    reference = outputs["jobs1"]
    for name, lines in outputs.items():
        print(f"  findings of {name}: {len(lines):,}, {'same as' if lines == reference else 'DIFFERENT FROM'} --jobs 1")
    return 0 if all(lines == reference for lines in outputs.values()) else 1


if __name__ == "__main__":
    raise SystemExit(main())
