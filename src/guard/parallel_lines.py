"""JSON-lines catalogs checked on every core, each worker reading its own part of the files.

``guard.parallel`` reads every record in this process and hands the parsed records out; for JSON
lines, that reading (decoding, parsing) is much of the work. Here a helper process cuts each file
at line ends into pieces of about ``PIECE_BYTES`` and reads the few lines that may hold merchants,
promotions or live rooms (the lines ``guard.io.stream.scan_others`` would read), while this one
loads the matcher, jieba and its tagger. The workers (forked, so they inherit those, the open
files, the merchants and the rule set) read, validate and check the products of one piece each,
and render their findings as JSON lines when asked to, so only bytes come back. What depends on
more than one product is settled here, in input order, as one process settles it:

- a product id read again in a later piece is a duplicate (the first occurrence wins; the later
  one's findings are dropped), named with the first occurrence's location;
- problems are put in file and line order, then the late ones (unknown merchants, then unknown
  products of promotions);
- promotions and rooms are checked here, against ``ProductRef``s of the products they name.

A file that turns out not to be UTF-8 (GB18030 or UTF-16 JSON lines) is left to ``guard.parallel``:
``check_lines_parallel`` then returns None.
"""

from __future__ import annotations

import io
import json
import multiprocessing
import os
import re
import sys
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from guard.check import Checking
from guard.engine import make_engine
from guard.errors import InputProblem
from guard.findings import Finding, Report, Summary
from guard.io.catalog import Catalog, FirstSeen, Intake
from guard.io.readers import ProfileAdapter, RawRecord, read_jsonl
from guard.io.stream import OTHER_KINDS
from guard.parallel import (PIECE_BYTES, ProductRef, WorkerSetup, check_references, duplicate_problem, finding_tuple,
                            no_records, preload)
from guard.perf import gc_paused
from guard.report.json import finding_line
from guard.rules.loader import RuleSet

SUFFIXES = (".jsonl", ".ndjson")
# a line that names another kind than a product (``guard.io.readers.may_be_kind``, on bytes: the quote after the
# name makes it the whole ``[a-z_]+`` that may_be_kind reads)
_OTHER_KIND = re.compile(rb'"kind"\s*:\s*"(?:%s)"' % b"|".join(sorted(kind.encode() for kind in OTHER_KINDS)))
_BOM = b"\xef\xbb\xbf"


def splittable(paths: Iterable[str | Path]) -> bool:
    """Whether every file is an existing JSON-lines file, the kind this module reads in pieces."""
    files = [Path(p) for p in paths]
    return bool(files) and all(f.suffix.lower() in SUFFIXES and f.is_file() for f in files)


def _encode(text: str) -> bytes:
    return text.encode("utf-8", "backslashreplace")  # as the one-process output does


@dataclass(frozen=True, slots=True)
class _Piece:
    file: int  # index into the files
    start: int  # byte offsets, at line starts
    end: int
    first_line: int  # the number of the line at ``start``


class _Unseen(FirstSeen):
    """Lets every valid product through ``Intake``: duplicates are judged across pieces, in this process."""

    def add(self, key: str, file: str, location: str) -> None:
        pass

    def get(self, key: str) -> str | None:
        return None


@dataclass
class _Shared(WorkerSetup):
    names: list[str]
    fds: list[int]  # open in this process, inherited: workers read their pieces with os.pread
    pieces: list[_Piece]
    categories: Mapping[str, str] | None
    render: bool


@dataclass
class _PieceResult:
    """One piece's products in order, as (line, id, duplicate within the piece), and all the piece gave."""

    products: list[tuple[int, str, bool]] = field(default_factory=list)
    problems: list[tuple[int, InputProblem]] = field(default_factory=list)  # read and validation problems, by line
    late: dict[str, list[InputProblem]] = field(default_factory=dict)  # unknown merchants, by product id
    refs: dict[str, ProductRef] = field(default_factory=dict)
    read: int = 0
    rejected: int = 0
    product_records: int = 0
    first_product_line: int | None = None
    adapter: ProfileAdapter | None = None
    blob: bytes = b""  # the rendered findings of the piece's products, in order
    spans: dict[str, tuple[int, int]] = field(default_factory=dict)  # each product's findings within the blob
    tally: Counter[str] = field(default_factory=Counter)
    findings: dict[str, list[tuple[Any, ...]]] = field(default_factory=dict)  # unrendered: per product, as tuples
    not_utf8: bool = False


_SHARED: _Shared | None = None


def _start_worker() -> None:
    assert _SHARED is not None
    _SHARED.start()


def _line_number(location: str) -> int:
    return int(location.rpartition(" ")[2])  # read_jsonl's "line 12"


def _check_piece(index: int) -> _PieceResult:
    """Read, validate and check the products of one piece (one worker task)."""
    shared = _SHARED
    assert shared is not None and shared.runner is not None
    piece = shared.pieces[index]
    try:
        text = _read(shared.fds[piece.file], piece.start, piece.end).decode("utf-8")
    except UnicodeDecodeError:
        return _PieceResult(not_utf8=True)
    name = shared.names[piece.file]
    result = _PieceResult(adapter=ProfileAdapter(shared.categories))
    assert result.adapter is not None
    items = result.adapter.adapt(read_jsonl(Path(name), io.StringIO(text, newline="\n"), first_line=piece.first_line))
    catalog = Catalog(merchants=shared.merchants, kept=shared.referenced)
    intake = Intake(catalog, _Unseen())
    referenced = shared.referenced

    def products() -> Iterator[tuple[Any, str, str]]:
        seen: set[str] = set()
        for item in items:
            if isinstance(item, RawRecord):
                if item.kind != "product":
                    continue  # merchants, promotions and rooms are read by the parent
                if result.first_product_line is None:
                    result.first_product_line = _line_number(item.location)
            before = len(catalog.problems)
            product = intake.take(item)
            if len(catalog.problems) > before:
                line = _line_number(item.location)
                result.problems.extend((line, problem) for problem in catalog.problems[before:])
            if product is None:
                continue
            model = product[0]
            line = _line_number(product[2])
            if model.id in seen:
                result.products.append((line, model.id, True))
                continue
            seen.add(model.id)
            result.products.append((line, model.id, False))
            if model.id in referenced:
                result.refs[model.id] = ProductRef.of(model)
            yield product

    catalog.products = products()  # type: ignore[assignment]
    checking = Checking(catalog, ruleset=shared.ruleset, engine=shared.runner, platform=shared.platform,
                        now=shared.now, lang=shared.lang)
    with gc_paused():
        if shared.render:
            out: list[bytes] = []
            size = 0
            current: str | None = None
            begin = 0
            for finding in checking:
                if finding.product != current:
                    if current is not None:
                        result.spans[current] = (begin, size)
                    current, begin = finding.product, size
                line = _encode(finding_line(finding) + "\n")
                out.append(line)
                size += len(line)
                result.tally[finding.tier] += 1
            if current is not None:
                result.spans[current] = (begin, size)
            result.blob = b"".join(out)
        else:
            for finding in checking:
                result.findings.setdefault(finding.product or "", []).append(finding_tuple(finding))
    for problem, _ in checking.late:
        result.late.setdefault(problem.record or "", []).append(problem)
    result.read, result.rejected = catalog.read, catalog.rejected
    result.product_records = catalog.by_kind.get("product", 0)
    return result




def _read(fd: int, start: int, end: int) -> bytes:
    parts = []
    while start < end:
        part = os.pread(fd, end - start, start)
        if not part:
            raise OSError(f"file shrank while being read (at byte {start})")
        parts.append(part)
        start += len(part)
    return b"".join(parts)


@dataclass
class _File:
    name: str
    fd: int
    pieces: list[_Piece]
    others: list[tuple[int, RawRecord]]  # (line, record) of the merchants, promotions and rooms


def _lines_of(data: bytes, positions: Iterable[int]) -> list[tuple[int, int]]:
    """The (start, end) of the lines holding ``positions`` in ``data``, in order, each once."""
    spans: dict[int, int] = {}
    for position in positions:
        start = data.rfind(b"\n", 0, position) + 1
        if start not in spans:
            end = data.find(b"\n", position)
            spans[start] = len(data) if end < 0 else end + 1
    return sorted(spans.items())


_Cut = tuple[list[_Piece], list[tuple[int, RawRecord]]]


def _cut_files(names: list[str], piece_bytes: int) -> list[_Cut] | None:
    """Each file's pieces and its records of other kinds than products; None when a file is not UTF-8
    or cannot be read here (the other reader then says why)."""
    cuts = []
    for index, name in enumerate(names):
        try:
            fd = os.open(name, os.O_RDONLY)
        except OSError:
            return None
        try:
            cut = _scan(fd, index, name, piece_bytes)
        except OSError:
            cut = None
        finally:
            os.close(fd)
        if cut is None:
            return None
        cuts.append(cut)
    return cuts


def _scan(fd: int, index: int, name: str, piece_bytes: int) -> _Cut | None:
    size = os.fstat(fd).st_size
    head = os.pread(fd, 3, 0)
    if head[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return None  # UTF-16
    position = 3 if head == _BOM else 0
    line = 1
    pieces: list[_Piece] = []
    others: list[tuple[int, RawRecord]] = []
    while position < size:
        data = _read(fd, position, min(position + piece_bytes, size))
        while position + len(data) < size and data.rfind(b"\n") < 0:  # a line longer than a piece
            data += _read(fd, position + len(data), min(position + len(data) + piece_bytes, size))
        if position + len(data) < size:
            data = data[:data.rfind(b"\n") + 1]
        end = position + len(data)
        pieces.append(_Piece(index, position, end, line))
        # the lines that may hold another kind than a product (``guard.io.readers.may_be_kind``, on bytes)
        wanted = [m.start() for m in _OTHER_KIND.finditer(data)]
        escaped = data.find(b"\\u")
        if escaped >= 0:
            wanted.extend(m.start() for m in re.finditer(rb"\\u", data))
        counted, at = 0, line
        for start, stop in _lines_of(data, wanted):
            at += data.count(b"\n", counted, start)
            counted = start
            try:
                text = data[start:stop].decode("utf-8")
            except UnicodeDecodeError:
                return None
            for item in read_jsonl(Path(name), io.StringIO(text, newline="\n"), first_line=at):
                if isinstance(item, RawRecord) and item.kind != "product":
                    others.append((at, item))
        line += data.count(b"\n")
        position = end
    return pieces, others


def check_lines_parallel(
    paths: Iterable[str | Path],
    *,
    jobs: int,
    ruleset: RuleSet,
    engine: str | None,
    platform: str | None,
    now: datetime,
    lang: str,
    categories: Mapping[str, str] | None = None,
    spool: IO[bytes] | None = None,
    piece_bytes: int = PIECE_BYTES,
    progress: bool = False,
) -> Report | None:
    """Check JSON-lines files (one catalog together) on ``jobs`` processes, as ``check_files`` would.

    With ``spool``, the findings are written there as JSON lines (``finding_line``, in order) and the
    report holds only their tally; else the report holds them. None when a file is not UTF-8 (nothing
    was written to ``spool`` then). ``progress`` shows a bar of the bytes checked on stderr.
    """
    given = [str(p) for p in paths]
    names = [str(Path(p)) for p in given]
    # The files are cut in a helper process while this one loads what the workers will inherit.
    with multiprocessing.get_context("fork").Pool(1) as helper:
        pending = helper.apply_async(_cut_files, (names, piece_bytes))
        preload()
        cuts = pending.get()
    if cuts is None:
        return None
    files: list[_File] = []
    try:
        for name, (pieces, others) in zip(names, cuts):
            try:
                files.append(_File(name, os.open(name, os.O_RDONLY), pieces, others))
            except OSError:
                return None
        return _check(files, given, jobs=jobs, ruleset=ruleset, engine=engine, platform=platform, now=now, lang=lang,
                      categories=categories, spool=spool, progress=progress)
    finally:
        for file in files:
            os.close(file.fd)


def _check(files: list[_File], given: list[str], *, jobs: int, ruleset: RuleSet, engine: str | None,
           platform: str | None, now: datetime, lang: str, categories: Mapping[str, str] | None,
           spool: IO[bytes] | None, progress: bool) -> Report | None:
    names = [file.name for file in files]
    # the merchants, promotions and rooms, as one process reads them: one intake per file, in order
    others = Catalog()
    problems: list[tuple[int, int, int, InputProblem]] = []  # (file, line, order, problem)
    first_seen: dict[str, tuple[int, int]] = {}  # kind -> where a record of it was first read
    for index, file in enumerate(files):
        intake = Intake(others)
        for line, record in file.others:
            first_seen.setdefault(record.kind, (index, line))
            before = len(others.problems)
            intake.take(record)
            problems.extend((index, line, len(problems), p) for p in others.problems[before:])
    runner = make_engine(ruleset, engine)
    pieces = [piece for file in files for piece in file.pieces]
    shared = _Shared(dict(others.merchants), others.referenced(), ruleset, engine, platform, now, lang, names=names,
                     fds=[file.fd for file in files], pieces=pieces, categories=categories, render=spool is not None)
    render = spool is not None
    findings: list[Finding] = []
    tally: Counter[str] = Counter()
    late: list[InputProblem] = []
    refs: list[ProductRef] = []
    seen: dict[str, tuple[int, int]] = {}  # product id -> (file, line) of its first occurrence
    read = [0] * len(files)
    rejected = checked = 0
    products_by_kind = 0
    adapters = [ProfileAdapter() for _ in files]
    for piece, result in zip(pieces, _progress(_run(shared, jobs), pieces, progress)):
        if result.not_utf8:
            return None
        name = names[piece.file]
        read[piece.file] += result.read
        rejected += result.rejected
        products_by_kind += result.product_records
        if result.first_product_line is not None:
            first_seen.setdefault("product", (piece.file, result.first_product_line))  # pieces come in input order
        assert result.adapter is not None
        adapters[piece.file].merge(result.adapter)
        problems.extend((piece.file, line, len(problems), p) for line, p in result.problems)
        dropped: set[str] = set()
        late_here, refs_here, found_here = result.late, result.refs, result.findings
        for line, product_id, again in result.products:
            first = seen.get(product_id)
            if first is not None:
                where = f"{names[first[0]]} line {first[1]}"
                problems.append((piece.file, line, len(problems), duplicate_problem(name, f"line {line}", product_id, where)))
                rejected += 1
                if not again:
                    dropped.add(product_id)
                continue
            seen[product_id] = (piece.file, line)
            if product_id in late_here:
                late.extend(late_here[product_id])
            else:
                checked += 1
            if product_id in refs_here:
                refs.append(refs_here[product_id])
            if not render:
                findings.extend(Finding(*values) for values in found_here.get(product_id, ()))
        if render:
            assert spool is not None
            tally.update(result.tally)
            if not dropped:
                spool.write(result.blob)
            else:
                for product_id, (start, end) in result.spans.items():
                    if product_id in dropped:
                        for text in result.blob[start:end].decode("utf-8").splitlines():
                            tally[json.loads(text)["tier"]] -= 1
                    else:
                        spool.write(result.blob[start:end])
    found, unresolved, count = check_references(refs, merchants=others.merchants, promotions=others.promotions,
                                                rooms=others.rooms, ruleset=ruleset, engine=runner,
                                                platform=platform, now=now, lang=lang)
    checked += count
    late.extend(unresolved)
    if render:
        assert spool is not None
        for finding in found:
            tally[finding.tier] += 1
            spool.write(_encode(finding_line(finding) + "\n"))
    else:
        findings.extend(found)
    warnings: list[InputProblem] = []
    for index, (file, adapter) in enumerate(zip(files, adapters)):
        warnings.extend(adapter.notices(file.name))
        if read[index] + len(file.others) == 0:
            problems.append((index, 1 << 62, 0, no_records(given[index])))
    problems.sort(key=lambda entry: entry[:3])
    counts = dict(others.by_kind)
    if products_by_kind:
        counts["product"] = products_by_kind
    by_kind = {kind: counts[kind] for kind in sorted(counts, key=lambda kind: first_seen[kind])}
    summary = Summary(read=sum(read) + others.read, checked=checked, rejected=rejected + others.rejected + len(late),
                      by_kind=by_kind)
    return Report(tuple(findings), (*(p for *_, p in problems), *late), summary, runner.name, tuple(warnings),
                  tally={tier: n for tier, n in tally.items() if n} if render else None)


def _progress(results: Iterator[_PieceResult], pieces: list[_Piece], enabled: bool) -> Iterator[_PieceResult]:
    if not enabled:
        yield from results
        return
    from tqdm import tqdm

    with tqdm(total=sum(p.end - p.start for p in pieces), unit="B", unit_scale=True, file=sys.stderr, mininterval=0.5,
              leave=False) as bar:
        for piece, result in zip(pieces, results):
            bar.update(piece.end - piece.start)
            yield result


def _run(shared: _Shared, jobs: int) -> Iterator[_PieceResult]:
    """The pieces' results in order, from ``jobs`` worker processes (fewer when there are fewer pieces)."""
    global _SHARED
    _SHARED = shared
    try:  # the matcher, jieba and the tagger are loaded: the workers inherit them
        context = multiprocessing.get_context("fork")
        with context.Pool(max(1, min(jobs, len(shared.pieces))), initializer=_start_worker) as pool:
            yield from pool.imap(_check_piece, range(len(shared.pieces)))
    finally:
        _SHARED = None
