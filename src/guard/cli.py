"""The ``guard`` command line: a thin door over the library.

Exit codes: 0 nothing at or above the fail level; 1 findings at or above it; 2 usage, input
or rule-file error (findings for the readable records are still printed).
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import sqlite3
import sys
import tempfile
from pathlib import Path
from typing import Any
from collections.abc import Iterable, Sequence
from datetime import datetime

from guard import __version__
from guard.check import Checking
from guard.engine import ENGINES, make_engine
from guard.errors import GuardError, InputFileError
from guard.findings import Finding, Report, Summary
from guard.io.stream import stream_catalog
from guard.io.readers import load_column_map
from guard.model import CHINA_TZ
from guard.parallel import PIECE_BYTES, check_files_parallel, default_jobs
from guard.parallel_lines import check_lines_parallel, splittable
from guard.perf import gc_paused
from guard.report import FORMATS, RENDERERS
from guard.report.stream import file_chunks as _file_chunks, rendered_check
from guard.report.text import summary_line
from guard.rules.loader import RuleSet, load_rules
from guard.rules.schema import PLATFORMS
from guard.stream.options import add_arguments as add_flink_arguments
from guard.stream.options import parse_time

FAIL_LEVELS = ("severe", "general", "minor", "never")
LINES_BYTES = 2 * PIECE_BYTES  # JSON lines up to this size are checked in one process by default (workers cost more)
PROGRESS_BYTES = 1 << 20  # by default a terminal shows progress for inputs this large (about 2,000 products)
# Objects that the command-line process keeps until it exits: freeing a 100,000-product catalog
# object by object takes about a second, and the process is about to end anyway (see ``run``).
_KEEP_UNTIL_EXIT: list[object] = []


def _split(values: list[str] | None) -> list[str]:
    return [part.strip() for value in values or [] for part in value.split(",") if part.strip()]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="guard", description="Keep live-commerce listings and scripts legal.")
    parser.add_argument("--version", action="version", version=f"guard {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    check = sub.add_parser("check", help="check product catalogs before they are published")
    check.add_argument("catalogs", nargs="+", metavar="CATALOG", help="JSON, JSONL, YAML, CSV or XLSX files; together one catalog")
    check.add_argument("--platform", choices=PLATFORMS, help="check every product as if listed on this platform")
    check.add_argument("--engine", choices=ENGINES, help="rule engine (default: $GUARD_ENGINE or native)")
    check.add_argument("--format", choices=(*FORMATS, "xlsx", "parquet"), default="text",
                       help="text, json, jsonl, sarif, github, or xlsx (a workbook; needs --output); with --spark jsonl or parquet")
    check.add_argument("--output", metavar="FILE", help="write the findings to FILE instead of stdout")
    check.add_argument("--lang", choices=("zh", "en"), default="zh")
    check.add_argument("--select", action="append", metavar="IDS", help="only rules whose id starts with these (comma-separated), or topics")
    check.add_argument("--ignore", action="append", metavar="IDS", help="skip rules whose id starts with these, or topics")
    check.add_argument("--fail-on", choices=FAIL_LEVELS, default="minor", help="lowest tier that makes the exit code 1 (default minor)")
    check.add_argument("--config", metavar="FILE", help="YAML overriding params, tiers, select and ignore")
    check.add_argument("--columns", metavar="FILE", help="YAML `columns: {your header: field}` for your own export")
    check.add_argument("--verbose", action="store_true", help="text format: each finding's location, penalty and sources")
    check.add_argument("--now", metavar="ISO-TIME", help="evaluate as of this time (default: now, China time)")
    check.add_argument("--jobs", type=int, metavar="N",
                       help="processes to check a large catalog on (default: one per core for large JSON lines written as "
                            "jsonl, else 1; 0: one per core); findings as with 1")
    check.add_argument("--spark", action="store_true",
                       help="check on Apache Spark (JSON lines, Parquet, CSV in; --output DIR of jsonl or parquet parts)")
    check.add_argument("--master", help="with --spark: the Spark master (default: spark-submit's, else local[*])")
    check.add_argument("--collect-limit", type=_count, metavar="N",
                       help="with --spark: above N promotions and rooms together, join them in Spark instead of "
                            "checking them on the driver (default 100000)")
    check.add_argument("--broadcast-limit", type=_count, metavar="N",
                       help="with --spark: above N merchants, join them to the products instead of shipping them "
                            "with every task (default 10000)")
    progress = check.add_mutually_exclusive_group()
    progress.add_argument("--progress", dest="progress", action="store_true", default=None, help="show a progress bar on stderr")
    progress.add_argument("--no-progress", dest="progress", action="store_false")

    lint = sub.add_parser("lint", help="lint live scripts or caption streams for banned terms")
    lint.add_argument("scripts", nargs="*", metavar="FILE", help="script files (UTF-8 or GB18030), or - for stdin")
    lint.add_argument("--category", help="product category the script sells (medical terms are lawful for some)")
    lint.add_argument("--platform", choices=PLATFORMS, default="wechat")
    lint.add_argument("--engine", choices=ENGINES, help="rule engine (default: $GUARD_ENGINE or native)")
    lint.add_argument("--format", choices=FORMATS, default="text")
    lint.add_argument("--lang", choices=("zh", "en"), default="zh")
    lint.add_argument("--select", action="append", metavar="IDS")
    lint.add_argument("--ignore", action="append", metavar="IDS")
    lint.add_argument("--fail-on", choices=FAIL_LEVELS, default="minor")
    lint.add_argument("--config", metavar="FILE")
    lint.add_argument("--follow", action="store_true",
                      help="read caption lines from stdin and print one JSON finding per line as each line arrives")
    lint.add_argument("--catalog", nargs="+", metavar="FILE",
                      help="also check what the host says (price, 原价, discount, stock, time limits, gifts) against "
                           "these catalog files; bind speech to a product with 【P1】 or 【1号链接】 at a line's start")
    lint.add_argument("--columns", metavar="FILE", help="with --catalog: YAML `columns:`/`categories:` for your export")
    lint.add_argument("--now", metavar="ISO-TIME", help="with --catalog: the time prices and promotions are taken at")

    monitor = sub.add_parser("monitor", help="enforce order and live-room deadlines over event streams")
    monitor_sub = monitor.add_subparsers(dest="monitor_command", required=True)
    replay = monitor_sub.add_parser("replay", help="replay a JSONL event file; the clock is the events' time")
    replay.add_argument("events", metavar="FILE")
    replay.add_argument("--until", metavar="ISO-TIME", help="after the file, advance the clock to this time")
    replay_progress = replay.add_mutually_exclusive_group()
    replay_progress.add_argument("--progress", dest="progress", action="store_true", default=None,
                                 help="show a progress bar on stderr (default: when stderr is a terminal)")
    replay_progress.add_argument("--no-progress", dest="progress", action="store_false")
    follow = monitor_sub.add_parser("follow", help="read events from stdin; the clock is wall time")
    follow.add_argument("--max-skew", type=int, default=300, metavar="SECONDS",
                        help="an event this far ahead of the clock is taken as happening now (default 300)")
    flink = monitor_sub.add_parser("flink", help="run the monitor's rules on Apache Flink over a JSONL event file "
                                                 "(a local mini-cluster; needs the flink extra and Java)")
    add_flink_arguments(flink)
    for p in (replay, follow):
        p.add_argument("--db", default="guard-monitor.db", help="SQLite state file (default ./guard-monitor.db)")
        p.add_argument("--engine", choices=ENGINES)
        p.add_argument("--format", choices=("jsonl", "text"), default="jsonl")
        p.add_argument("--lang", choices=("zh", "en"), default="zh")
        p.add_argument("--lateness", type=int, default=0, metavar="SECONDS",
                       help="how long past a deadline to wait for late events before firing it (default 0)")
        p.add_argument("--batch", type=int, default=5000, help="events per commit when replaying (default 5000)")
        p.add_argument("--output", metavar="FILE",
                       help="append findings and actions to FILE, each exactly once across kills and restarts "
                            "(not a power cut; nothing else may write to FILE). Default: stdout, at least once "
                            "across a kill: every output carries its seq, keep the first of each")
        p.add_argument("--checkpoint-every", type=int, default=100_000, metavar="EVENTS",
                       help="checkpoint the open state after this many events (default 100000): "
                            "a restart re-applies at most this many")
        p.add_argument("--price-retention-days", type=int, default=1096, metavar="DAYS",
                       help="keep price-change log entries this long after their time, then drop them "
                            "(default and minimum 1096: three years, 电子商务法 第三十一条)")
        p.add_argument("--config", metavar="FILE")
    audit = sub.add_parser("audit", help="check the tamper-evident price-change log")
    audit_sub = audit.add_subparsers(dest="audit_command", required=True)
    verify = audit_sub.add_parser("verify", help="verify the price-change log's hash chain")
    verify.add_argument("--db", default="guard-monitor.db")
    verify.add_argument("--expect-head", metavar="COUNT:HASH",
                        help="the anchor printed by `guard audit head` and kept elsewhere: finds a cut or wiped log")
    head = audit_sub.add_parser("head", help="print the log's anchor (entries:last hash) to keep outside the database")
    head.add_argument("--db", default="guard-monitor.db")

    serve = sub.add_parser("serve", help="serve checks and linting over HTTP (JSON)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8080)
    serve.add_argument("--engine", choices=ENGINES)
    serve.add_argument("--config", metavar="FILE")
    serve.add_argument("--db", metavar="FILE", help="the monitor's database, for post-live reports on the page")
    serve.add_argument("--max-body", type=int, default=10 * 1024 * 1024, metavar="BYTES")
    serve.add_argument("--api-key-file", metavar="FILE",
                       help="require this key (or $GUARD_API_KEY) on /v1; required off loopback")
    serve.add_argument("--max-concurrency", type=int, default=4, metavar="N", help="checks and lints run at once")
    serve.add_argument("--processes", type=int, default=2, metavar="N",
                       help="worker processes for lints and uploaded catalogs of 256 KB and more, which then hold "
                            "no GIL of the server (0: all in threads)")
    serve.add_argument("--max-connections", type=int, default=1024, metavar="N", help="open connections served")
    serve.add_argument("--read-timeout", type=float, default=30.0, metavar="SECONDS",
                       help="time a client has to send a request's headers, and its body")

    report = sub.add_parser("report", help="the post-live report: metrics and the monitor's database in, advice out")
    report.add_argument("--db", required=True, metavar="FILE", help="the monitor's database of the live")
    report.add_argument("--metrics", required=True, metavar="FILE",
                        help="the platform's metrics export (CSV, XLSX or JSON; per-minute and per-SKU rows)")
    report.add_argument("--room", metavar="ID", help="the live room (default: the first room in the database)")
    report.add_argument("--format", choices=("html", "json", "text"), default="html")
    report.add_argument("--output", metavar="FILE", help="write here instead of stdout")
    report.add_argument("--lang", choices=("zh", "en"), default="zh")
    report.add_argument("--engine", choices=ENGINES)
    report.add_argument("--config", metavar="FILE")

    rules = sub.add_parser("rules", help="list, explain and test the rules")
    rules_sub = rules.add_subparsers(dest="rules_command", required=True)
    listing = rules_sub.add_parser("list", help="one line per rule")
    listing.add_argument("--topic")
    listing.add_argument("--platform", choices=("wechat", "douyin", "taobao"), help="only the rules of one platform")
    show = rules_sub.add_parser("show", help="everything about one rule")
    show.add_argument("rule_id")
    show.add_argument("--lang", choices=("zh", "en"), default="zh")
    coverage = rules_sub.add_parser("coverage", help="the fidelity table: seed and reference statements against rules")
    test = rules_sub.add_parser("test", help="run every rule's own test cases on the engines")
    test.add_argument("--engine", choices=ENGINES, action="append", help="engine(s) to run (default: all available)")
    for p in (listing, show, test, coverage):
        p.add_argument("--config", metavar="FILE")
    return parser


def _exit_code(report: Report, fail_on: str, ruleset: RuleSet) -> int:
    if report.problems:
        return 2
    if fail_on == "never":
        return 0
    threshold = ruleset.tier_rank[fail_on]
    return 1 if any(ruleset.tier_rank[tier] >= threshold for tier in report.counts()) else 0


def _write_output(path: str | None, chunks: Iterable[bytes]) -> None:
    if path is None:
        for data in chunks:
            if hasattr(sys.stdout, "buffer"):
                sys.stdout.buffer.write(data)
            else:  # a text stream without bytes underneath (an embedding host's capture)
                sys.stdout.write(data.decode("utf-8"))
        sys.stdout.flush()
        return
    try:
        with Path(path).open("wb") as out:
            for data in chunks:
                out.write(data)
    except OSError as exc:
        raise InputFileError(f"{path}: cannot write: {exc.strerror or exc}") from exc


def _parse_now(text: str) -> datetime:
    """``--now``: an ISO time, China time when it names no zone."""
    try:
        now = datetime.fromisoformat(text)
    except ValueError:
        raise InputFileError(f"--now {text!r}: not an ISO time such as 2026-11-26T20:00:00+08:00") from None
    return now if now.tzinfo is not None else now.replace(tzinfo=CHINA_TZ)


def _count(text: str) -> int:
    """A whole number of 0 or more, for argparse."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"{text!r}: give 0 or more")
    return value


def _run_check_spark(args: argparse.Namespace, now: datetime) -> int:
    if not args.output or args.format not in ("jsonl", "parquet"):
        print("guard: --spark writes part files: give --output DIR and --format jsonl or parquet", file=sys.stderr)
        return 2
    from guard import spark

    columns = load_column_map(args.columns) if args.columns else None
    session = spark.session(args.master)
    limits = {name: value for name, value in (("collect_limit", args.collect_limit),
                                               ("broadcast_limit", args.broadcast_limit)) if value is not None}
    result = spark.check(session, args.catalogs, columns=columns, config=args.config, select=_split(args.select),
                         ignore=_split(args.ignore), engine=args.engine, platform=args.platform, now=now, lang=args.lang,
                         **limits)
    spark.write(result, args.output, args.format)
    for problem in (*result.warnings, *result.problems):
        label = ("提示" if args.lang == "zh" else "warning") if problem.warning else ("错误" if args.lang == "zh" else "error")
        print(f"{label}: {problem.render(args.lang)}", file=sys.stderr)
    by_tier = spark.read_back(session, args.output, args.format)
    joined = f" (joined in Spark: {', '.join(result.joined)})" if result.joined else ""
    print(f"guard: {result.read} records read, {result.rejected} rejected, {sum(by_tier.values())} findings in "
          f"{args.output}{joined}", file=sys.stderr)
    if result.problems:
        return 2
    if args.fail_on == "never":
        return 0
    ruleset = load_rules(config=args.config)
    threshold = ruleset.tier_rank[args.fail_on]
    return 1 if any(ruleset.tier_rank.get(tier, -1) >= threshold for tier in by_tier) else 0


def _run_check(args: argparse.Namespace) -> int:
    if args.spark:
        return _run_check_spark(args, _parse_now(args.now) if args.now else datetime.now(CHINA_TZ))
    spark_only = [flag for flag, value in (("--master", args.master), ("--collect-limit", args.collect_limit),
                                           ("--broadcast-limit", args.broadcast_limit)) if value is not None]
    if spark_only:
        print(f"guard: {', '.join(spark_only)} go with --spark", file=sys.stderr)
        return 2
    if args.format == "parquet":
        print("guard: --format parquet needs --spark", file=sys.stderr)
        return 2
    if args.format == "xlsx" and not args.output:
        print("guard: --format xlsx writes a workbook: give --output FILE.xlsx", file=sys.stderr)
        return 2
    ruleset = load_rules(config=args.config).select(_split(args.select), _split(args.ignore))
    engine = make_engine(ruleset, args.engine)
    now = _parse_now(args.now) if args.now else datetime.now(CHINA_TZ)
    # A large catalog of JSON lines written as JSON lines is checked on every core by default: the workers read,
    # check and render their own pieces of the files (guard.parallel_lines). Anything else takes one process
    # unless --jobs asks for more (--jobs 0: every core); the findings are the same either way.
    columns = load_column_map(args.columns) if args.columns else None
    lines = (args.format == "jsonl" and splittable(args.catalogs) and "fork" in multiprocessing.get_all_start_methods()
             and sum(os.path.getsize(p) for p in args.catalogs) > LINES_BYTES)
    if args.jobs is None:
        jobs = default_jobs() if lines else 1
    else:
        jobs = default_jobs() if args.jobs == 0 else args.jobs
    if jobs < 1:
        print("guard: --jobs must be 0 (every core) or more", file=sys.stderr)
        return 2
    if jobs > 1 and lines:
        with gc_paused(), tempfile.TemporaryFile() as spool:
            report = check_lines_parallel(args.catalogs, jobs=jobs, ruleset=ruleset, engine=args.engine,
                                          platform=args.platform, now=now, lang=args.lang,
                                          categories=getattr(columns, "categories", None), spool=spool,
                                          progress=args.progress if args.progress is not None else sys.stderr.isatty())
            if report is not None:
                _write_output(args.output, _file_chunks(spool))
                return _finish_check(args, report, ruleset)
        if args.jobs is None:  # not UTF-8: one process, as by default for other files
            jobs = 1
    if jobs > 1:  # N worker processes; a catalog of up to one chunk of products stays in this one
        with gc_paused():
            report = check_files_parallel(args.catalogs, columns=columns, jobs=jobs, ruleset=ruleset, engine=args.engine,
                                          now=now, lang=args.lang, platform=args.platform, progress=args.progress,
                                          split_lines=not lines)  # the files were not UTF-8: cutting them again is waste
            _KEEP_UNTIL_EXIT.append(report)
        _write_output(args.output, [_render_report(args, report)])
        return _finish_check(args, report, ruleset)
    with gc_paused():  # read and check without collector passes (models and findings hold no cycles)
        catalog = stream_catalog(args.catalogs, columns)  # products are read as they are checked
        size = sum(os.path.getsize(p) for p in args.catalogs if os.path.isfile(p))
        progress = args.progress if args.progress is not None else (sys.stderr.isatty() and size >= PROGRESS_BYTES)
        checking = Checking(catalog, ruleset=ruleset, engine=engine, now=now, lang=args.lang,
                            platform=args.platform, progress=progress)
        with rendered_check(checking, args.format, args.lang, args.verbose) as (report, chunks):
            _write_output(args.output, chunks)
        _KEEP_UNTIL_EXIT.append(catalog)
    return _finish_check(args, report, ruleset)


def _render_report(args: argparse.Namespace, report: Report) -> bytes:
    """A whole report in the chosen format (text that cannot be encoded, a lone surrogate, is escaped)."""
    if args.format == "xlsx":
        from guard.report.xlsx import render_xlsx

        return render_xlsx(report, args.lang)
    if args.format == "text":
        return render_text(report, args.lang, verbose=args.verbose).encode("utf-8", "backslashreplace")
    return RENDERERS[args.format](report, args.lang).encode("utf-8", "backslashreplace")


def _finish_check(args: argparse.Namespace, report: Report, ruleset: RuleSet) -> int:
    for warning in report.warnings:
        print(f"{'提示' if args.lang == 'zh' else 'warning'}: {warning.render(args.lang)}", file=sys.stderr)
    for problem in report.problems:
        print(f"{'错误' if args.lang == 'zh' else 'error'}: {problem.render(args.lang)}", file=sys.stderr)
    print(summary_line(report, args.lang), file=sys.stderr)
    return _exit_code(report, args.fail_on, ruleset)


def _run_lint(args: argparse.Namespace) -> int:
    from guard.lint import Linter, read_script
    from guard.report.json import finding_line

    ruleset = load_rules(config=args.config).select(_split(args.select), _split(args.ignore))
    catalog = None
    if args.catalog:
        from guard.io.catalog import load_catalog
        from guard.io.readers import load_column_map

        catalog = load_catalog(args.catalog, load_column_map(args.columns) if args.columns else None)
        for problem in catalog.warnings + catalog.problems:
            print(("提示" if problem.warning else "错误") + f": {problem.render(args.lang)}" if args.lang == "zh" else
                  ("notice" if problem.warning else "error") + f": {problem.render(args.lang)}", file=sys.stderr)
        if not catalog.products:
            print("guard: --catalog holds no product to check the script against", file=sys.stderr)
            return 2
    elif args.now or args.columns:
        print("guard: --now and --columns go with --catalog", file=sys.stderr)
        return 2
    linter = Linter(rules=ruleset, engine=args.engine, lang=args.lang, catalog=catalog,
                    now=_parse_now(args.now) if args.now else None)
    if args.follow:
        if args.scripts:
            print("guard: --follow reads stdin; give no files", file=sys.stderr)
            return 2
        worst = 0
        for number, line in enumerate(sys.stdin, start=1):
            for finding in linter.line(line.rstrip("\r\n"), number, category=args.category,
                                       platform=args.platform, file="<stdin>"):
                sys.stdout.write(finding_line(finding) + "\n")
                worst = max(worst, ruleset.tier_rank[finding.tier])
            sys.stdout.flush()
        return 1 if args.fail_on != "never" and worst >= ruleset.tier_rank[args.fail_on] else 0
    if not args.scripts:
        print("guard: give script files, - for stdin, or --follow", file=sys.stderr)
        return 2
    findings: list[Finding] = []
    lines = 0
    for name in args.scripts:
        text = sys.stdin.read() if name == "-" else read_script(name)
        report = linter.text(text, category=args.category, platform=args.platform,
                             file="<stdin>" if name == "-" else name)
        findings.extend(report.findings)
        lines += report.summary.read
    combined = Report(tuple(findings), (), Summary(lines, lines, 0, {"line": lines}), linter.engine.name)
    sys.stdout.write(RENDERERS[args.format](combined, args.lang))
    print(f"guard: {len(args.scripts)} script(s), {lines} lines; {len(findings)} findings", file=sys.stderr)
    return _exit_code(combined, args.fail_on, ruleset)


def _run_monitor(args: argparse.Namespace) -> int:
    if args.monitor_command == "flink":
        from guard.stream import flink  # raises RunnerUnavailable without the flink extra

        return flink.run_command(args)
    from guard.monitor.delivery import Destination, FileDestination, StreamDestination
    from guard.monitor.pricelog import LEGAL_RETENTION_DAYS
    from guard.monitor.run import Session, follow, monitor_rules, replay

    ruleset = monitor_rules(load_rules(config=args.config))
    engine = make_engine(ruleset, args.engine)
    problems = 0
    if args.batch < 1 or args.checkpoint_every < 1:
        raise InputFileError("--batch and --checkpoint-every must be at least 1")
    if args.price_retention_days < LEGAL_RETENTION_DAYS:
        raise InputFileError(f"--price-retention-days: at least {LEGAL_RETENTION_DAYS} (three years, "
                             f"电子商务法 第三十一条), got {args.price_retention_days}")

    def problem(line: int, message: str) -> None:
        nonlocal problems
        problems += 1
        print(f"error: line {line}: {message}", file=sys.stderr)

    if args.monitor_command == "replay":
        _require_file(args.events, "events file")
    _require_database(args.db, may_create=True)
    lock = _lock_database(args.db)
    created = not os.path.exists(args.db)
    output: Destination
    if args.output:
        try:
            output = FileDestination(args.output, args.format, args.lang)
        except OSError as exc:
            lock.close()
            raise InputFileError(f"{args.output}: cannot open the output file: {exc.strerror}") from None
    else:
        output = StreamDestination(sys.stdout, args.format, args.lang)
    try:
        session = Session.open(args.db, ruleset, engine, output, problem, lang=args.lang, lateness=args.lateness,
                               batch=1 if args.monitor_command == "follow" else args.batch,
                               source=args.events if args.monitor_command == "replay" else "<stdin>",
                               checkpoint_every=args.checkpoint_every, retention_days=args.price_retention_days)
    except (sqlite3.Error, ValueError, KeyError, TypeError) as exc:  # the last three: an unreadable checkpoint
        lock.close()
        if isinstance(output, FileDestination):
            output.close()
        if created:  # no empty database is left behind
            for suffix in ("", "-wal", "-shm"):
                Path(args.db + suffix).unlink(missing_ok=True)
        raise InputFileError(f"{args.db}: cannot open the monitor's database: {exc}") from None
    try:
        if args.monitor_command == "replay":
            until = parse_time(args.until) if args.until else None
            progress = args.progress if args.progress is not None else sys.stderr.isatty()
            stats = replay(session, args.events, until, progress=progress)
        else:
            stats = follow(session, sys.stdin, max_skew=args.max_skew)
    finally:
        session.close()
        lock.close()
    print(f"guard: {stats.processed} events applied, {stats.duplicates} duplicates skipped, {stats.late} late, "
          f"{stats.errors} invalid; {stats.findings} findings, {stats.actions} actions, {stats.delivered} outputs "
          f"delivered; state in {args.db}", file=sys.stderr)
    return 2 if problems else (1 if stats.findings or stats.delivered else 0)


_SQLITE_MAGIC = b"SQLite format 3\x00"


def _require_file(path: str, what: str) -> None:
    if not os.path.exists(path):
        raise InputFileError(f"{path}: no such {what}")
    if not os.path.isfile(path):
        raise InputFileError(f"{path}: the {what} is not a regular file")


def _require_database(path: str, *, may_create: bool) -> None:
    """A --db that exists must be an SQLite database; otherwise nothing is touched."""
    if not os.path.exists(path):
        if not may_create:
            raise InputFileError(f"{path}: no such database")
        return
    if not os.path.isfile(path):
        raise InputFileError(f"{path}: the database is not a regular file")
    with open(path, "rb") as fh:
        head = fh.read(len(_SQLITE_MAGIC))
    if head and head != _SQLITE_MAGIC:
        raise InputFileError(f"{path}: not an SQLite database (refusing to touch it)")


def _lock_database(path: str) -> Any:
    """Hold ``PATH.lock`` for this process's lifetime; a second process on the same --db is refused."""
    import fcntl

    lock = open(path + ".lock", "a+", encoding="utf-8")  # noqa: SIM115 - held until the run ends
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        lock.seek(0)
        holder = lock.read().strip() or "another process"
        lock.close()
        raise InputFileError(f"{path}: in use by {holder}; one monitor per database") from None
    lock.seek(0)
    lock.truncate()
    lock.write(f"process {os.getpid()}")
    lock.flush()
    return lock


def _run_audit(args: argparse.Namespace) -> int:
    from guard.monitor.pricelog import audit_key, price_log_head, verify_price_log

    if not os.path.exists(args.db):
        print(f"guard: no such database {args.db}", file=sys.stderr)
        return 2
    _require_database(args.db, may_create=False)
    try:
        key = audit_key()
    except (OSError, ValueError) as exc:
        raise InputFileError(f"audit key: {exc}") from None
    try:
        if args.audit_command == "head":
            count, digest = price_log_head(args.db)
            print(f"{count}:{digest}")
            return 0
        anchor = None
        if args.expect_head:
            count_text, _, digest = args.expect_head.partition(":")
            if not count_text.isdigit() or len(digest) != 64:
                raise InputFileError(f"--expect-head: expected COUNT:HASH as `guard audit head` prints it, got {args.expect_head!r}")
            anchor = (int(count_text), digest)
        entries, problems = verify_price_log(args.db, key, anchor)
    except sqlite3.Error as exc:
        raise InputFileError(f"{args.db}: not a monitor database with a price log: {exc}") from None
    for problem in problems:
        print(f"tampered: price_log entry {problem.seq}: {problem.message}")
    print(f"guard: {entries} price-log entries checked, {len(problems)} problems"
          f"{'' if key else ' (no audit key: a recomputed chain cannot be told apart)'}", file=sys.stderr)
    return 1 if problems else 0


def _run_serve(args: argparse.Namespace) -> int:
    import logging

    from guard.server import Service, api_key_for, listen, make_app, server_for, settle, url_of

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", stream=sys.stderr)
    api_key = api_key_for(args.host, args.api_key_file, os.environ)
    if args.processes < 0:
        raise InputFileError("--processes must be 0 (all in threads) or more")
    sock = listen(args.host, args.port)
    processes = None
    try:
        service = Service(load_rules(config=args.config), args.engine, db=args.db)
        settle(service)
        if args.processes:  # forked from the warmed service, before the server starts any thread
            from guard.server.offload import WorkerProcesses

            processes = WorkerProcesses(service, args.processes)
        app = make_app(service, max_body=args.max_body, api_key=api_key, max_concurrency=args.max_concurrency,
                       read_timeout=args.read_timeout, processes=processes)
        print(f"guard: serving on {url_of(sock)} (engine {service.engine.name}"
              f"{', API key required' if api_key else ''}); Ctrl-C stops", file=sys.stderr)
        server_for(app, read_timeout=args.read_timeout, max_connections=args.max_connections).run(sockets=[sock])
    finally:
        sock.close()
        if processes is not None:
            processes.close()
    return 0


def _run_rules(args: argparse.Namespace) -> int:
    ruleset = load_rules(config=args.config)
    if args.rules_command == "list":
        for rule in ruleset.rules:
            if args.topic and rule.topic != args.topic:
                continue
            if args.platform and args.platform not in rule.platforms:
                continue
            print(f"{rule.id:<12} {rule.tier:<8} {rule.topic:<14} {','.join(rule.platforms):<20} {rule.name}")
        return 0
    if args.rules_command == "coverage":
        from guard.rules.coverage import load_coverage, problems, render

        table = load_coverage()
        for line in render(table, ruleset):
            print(line)
        wrong = problems(table, ruleset)
        for problem in wrong:
            print(f"guard: {problem}", file=sys.stderr)
        return 2 if wrong else 0
    if args.rules_command == "show":
        shown = ruleset.by_id.get(args.rule_id)
        if shown is None:
            print(f"guard: no rule {args.rule_id}", file=sys.stderr)
            return 2
        rule = shown
        basis = {"seed": "set by the seed's risk table", "source": "set by a cited source"}.get(
            rule.spec.tier_basis, "a configurable default: neither the seed nor a source sets it")
        print(f"{rule.id} {rule.name}\n  topic: {rule.topic}\n  tier: {rule.tier} ({basis})\n"
              f"  platforms: {', '.join(rule.platforms)}")
        print(f"  applies to: {rule.applies_to}\n  when: {rule.spec.when}")
        for platform, params in rule.params.items():
            if params:
                print(f"  params ({platform}): {params}")
        print(f"  message: {getattr(rule.message, args.lang)}\n  fix: {getattr(rule.fix, args.lang)}")
        from guard.findings import FindingBuilder

        for ref in FindingBuilder(ruleset, args.lang).sources(rule):
            print(f"  source: {ref.title} {ref.section or ''} [confidence {ref.confidence}]")
        if rule.low_confidence:
            print("  note: rests on a low-confidence source; a configurable default, not law")
        if rule.spec.note:
            print(f"  note: {rule.spec.note}")
        print(f"  file: {rule.file}\n  tests: {', '.join(f'{t.name}={t.expect}' for t in rule.spec.tests)}")
        return 0
    from guard.engine import durable
    from guard.rules.testing import run_rule_tests

    names = args.engine or [name for name in ENGINES if name != "durable" or durable.available()]
    if not args.engine and not durable.available():
        print(f"guard: skipping the durable engine: {durable.unavailable_reason()}", file=sys.stderr)
    failures = total = 0
    for name in names:
        for result in run_rule_tests(ruleset.rules, make_engine(ruleset, name)):
            total += 1
            if not result.ok:
                failures += 1
                print(f"FAIL {result.rule} {result.case} [{result.engine}/{result.platform}]: expected {result.expected}, got {result.actual}")
    print(f"{total - failures} passed, {failures} failed")
    return 1 if failures else 0


def _run_report(args: argparse.Namespace) -> int:
    import json

    from guard.postlive.html import render_html, render_text
    from guard.postlive.report import build_report

    ruleset = load_rules(config=args.config)
    report = build_report(args.db, args.metrics, ruleset=ruleset, engine=make_engine(ruleset, args.engine),
                          lang=args.lang, room=args.room)
    if args.format == "html":
        text = render_html(report, args.lang)
    elif args.format == "json":
        text = json.dumps(report.to_dict(), ensure_ascii=False, indent=2) + "\n"
    else:
        text = render_text(report, args.lang)
    _write_output(args.output, [text.encode("utf-8", "backslashreplace")])
    for problem in report.problems:
        print(f"{'错误' if args.lang == 'zh' else 'error'}: {problem}", file=sys.stderr)
    if args.output:
        print(f"guard: {'复盘报告已写入' if args.lang == 'zh' else 'report written to'} {args.output}"
              f"（{len(report.advice)} {'条建议' if args.lang == 'zh' else 'advice'}）", file=sys.stderr)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``guard`` command; returns the exit code."""
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return int(exc.code or 0) if exc.code in (0, None) else 2
    try:
        if args.command == "check":
            return _run_check(args)
        if args.command == "lint":
            return _run_lint(args)
        if args.command == "monitor":
            return _run_monitor(args)
        if args.command == "audit":
            return _run_audit(args)
        if args.command == "serve":
            return _run_serve(args)
        if args.command == "report":
            return _run_report(args)
        return _run_rules(args)
    except (GuardError, ValueError) as exc:
        print(f"guard: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        return 1
    except KeyboardInterrupt:
        print("guard: interrupted", file=sys.stderr)
        return 2


def run() -> None:
    """Console entry point: ``main`` then an immediate exit, skipping the teardown of big inputs."""
    code = main()
    sys.stdout.flush()
    sys.stderr.flush()
    if _KEEP_UNTIL_EXIT:
        os._exit(code)
    sys.exit(code)


if __name__ == "__main__":
    run()
