"""Benchmark `guard check` on large files: rows per second and peak memory against a reader baseline.

    python bench/bench_big.py [--xlsx-rows 300000] [--jsonl-lines 1000000] [--limit-mb 1024] [--only xlsx|jsonl]

Generates (once, into bench/out/) a 300,000-row XLSX export (with a merchant file beside it) and a
1,000,000-line JSONL catalog with bench/make_catalog.py, then runs, each in a fresh process:

- the baseline: openpyxl in read-only mode iterating the same rows, or ``json.loads`` of each line;
- ``guard check --format jsonl --output FILE``;
- ``guard check --output FILE`` (the default text format, grouped by product, worst first).

Rates are per CPU second (user + system) of each process, so a busy machine does not skew the
ratios; wall time is printed beside them. Peak memory is each process's own maximum resident set size (``os.wait4``). A guard run passes
when its peak stays within ``--limit-mb``. The outputs stay in bench/out/ (``--tag`` names them) so
two versions' findings can be compared byte for byte.
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
OUT = HERE / "out"
NOW = "2026-11-26T10:00:00+08:00"


def child(mode: str, path: str) -> None:
    """A baseline run in this (fresh) process: read every row or line and do nothing else."""
    rows = 0
    if mode == "xlsx":
        from openpyxl import load_workbook

        workbook = load_workbook(path, read_only=True, data_only=True)
        for sheet in workbook.worksheets:
            for _ in sheet.iter_rows(values_only=True):
                rows += 1
        workbook.close()
    else:
        with open(path, encoding="utf-8") as handle:
            for line in handle:
                json.loads(line)
                rows += 1
    print(rows)


def measured(command: list[str], stdout_path: str | None = None) -> tuple[float, float, float, int, str]:
    """Run ``command``; return its wall and CPU seconds, its own peak RSS in MB, its exit code and stderr."""
    with tempfile.TemporaryFile() as err, open(stdout_path or os.devnull, "wb") as out:
        start = time.perf_counter()
        process = subprocess.Popen(command, stdout=out, stderr=err)
        _, status, usage = os.wait4(process.pid, 0)
        elapsed = time.perf_counter() - start
        process.returncode = os.waitstatus_to_exitcode(status)
        err.seek(0)
        cpu = usage.ru_utime + usage.ru_stime
        return elapsed, cpu, usage.ru_maxrss / 1024, process.returncode, err.read().decode("utf-8", "replace")


def generate(kind: str, count: int) -> list[Path]:
    """The catalog files of one kind (generated on first use): the XLSX comes with its merchant file."""
    if kind == "xlsx":
        path = OUT / f"xlsx-{count}" / f"big-{count}.xlsx"
    else:
        path = OUT / f"big-{count}.jsonl"
    if not path.exists():
        subprocess.run([sys.executable, str(HERE / "make_catalog.py"), "--count", str(count), "--out", str(path)],
                       check=True)
    return [path, path.parent / "merchant.yaml"] if kind == "xlsx" else [path]


def guard_command(files: list[Path], *options: str) -> list[str]:
    return [sys.executable, "-c", "from guard.cli import run; run()", "check", *map(str, files),
            "--now", NOW, "--no-progress", *options]


Row = tuple[str, str, float, float, float, bool | None]  # file, run, wall s, CPU s, peak MB, within the limit


def bench(kind: str, count: int, limit_mb: float, tag: str) -> list[Row]:
    files = generate(kind, count)
    rows: list[Row] = []
    baseline = "openpyxl read_only rows" if kind == "xlsx" else "json.loads per line"
    seconds, cpu, peak, code, err = measured([sys.executable, __file__, "--child", kind, str(files[0])])
    if code:
        raise SystemExit(err)
    rows.append((files[0].name, f"{baseline} (baseline)", seconds, cpu, peak, None))
    for label, options, suffix in (("guard check --format jsonl", ("--format", "jsonl"), "jsonl"),
                                   ("guard check (text)", (), "txt")):
        result = OUT / f"result-{kind}-{tag}.{suffix}"
        seconds, cpu, peak, code, err = measured(guard_command(files, *options, "--output", str(result)))
        if code not in (0, 1):
            raise SystemExit(f"{label} exited {code}:\n{err}")
        rows.append((files[0].name, label, seconds, cpu, peak, peak <= limit_mb))
        print(f"  {label}: {err.strip().splitlines()[-1]}", file=sys.stderr)
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--xlsx-rows", type=int, default=300_000)
    parser.add_argument("--jsonl-lines", type=int, default=1_000_000)
    parser.add_argument("--limit-mb", type=float, default=1024)
    parser.add_argument("--only", choices=("xlsx", "jsonl"))
    parser.add_argument("--tag", default="current", help="names the output files in bench/out/")
    parser.add_argument("--child", nargs=2, metavar=("KIND", "FILE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return 0
    results = []
    for kind, count in (("xlsx", args.xlsx_rows), ("jsonl", args.jsonl_lines)):
        if args.only in (None, kind):
            results.append((count, bench(kind, count, args.limit_mb, args.tag)))
    print(f"python {sys.version.split()[0]}; peak RSS limit {args.limit_mb:.0f} MB")
    print(f"{'file':<22}{'run':<34}{'wall s':>8}{'CPU s':>8}{'rows/s':>9}{'CPU vs baseline':>17}{'peak RSS':>11}  limit")
    failed = False
    for count, rows in results:
        baseline = rows[0][3]
        for name, label, seconds, cpu, peak, ok in rows:
            verdict = "" if ok is None else ("pass" if ok else "FAIL")
            failed |= ok is False
            print(f"{name:<22}{label:<34}{seconds:>8.1f}{cpu:>8.1f}{count / cpu:>9,.0f}{cpu / baseline:>16.1f}x"
                  f"{peak:>8,.0f} MB  {verdict}")
    print("rows/s: rows (XLSX) or lines (JSONL) per CPU second of the process, which other load on the machine "
          "does not change; wall time is shown beside it")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
