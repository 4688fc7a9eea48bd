"""Check one large catalog on every core of a machine, with findings identical to one process.

The catalog's files are read in this process. Merchants, promotions and live rooms (few) are
validated here too; the product records (many) are split into chunks that worker processes
validate and check, each worker with the rule set and engine built once. The workers inherit
the records, the merchants and the rule set from this process (the ``fork`` start method), so
nothing large is sent to them; each chunk comes back as per-record outcomes and findings.

What depends on more than one product stays in this process:

- duplicate product ids (the first occurrence wins, across chunks and files);
- promotions and rooms, checked against every accepted product (the few products they
  reference are sent back by the workers);
- the order of findings and problems, which is the order one process gives: products in input
  order, then promotions, then rooms; read problems in input order, then unresolved references.

Where ``fork`` is unavailable, or the catalog is small, the check runs in this process. JSON-lines
files are not read here at all: the workers read their own pieces of them (``guard.parallel_lines``).
"""

from __future__ import annotations

import multiprocessing
import os
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from datetime import date, datetime
from pathlib import Path
from typing import Any, NamedTuple

from guard.check import check_catalog
from guard.engine import Engine, make_engine
from guard.errors import InputProblem
from guard.facts import Subject, promotion_facts, room_subjects
from guard.findings import Finding, FindingBuilder, Report, Summary
from guard.io.catalog import NO_RECORDS, Catalog, parse_records
from guard.io.readers import RawRecord, ReadItem, read_file
from guard.model import CHINA_TZ, Product
from guard.perf import gc_paused
from guard.rules.loader import RuleSet, default_rules
from guard.text.matcher import bundled_matcher
from guard.text.segment import warm

DEFAULT_CHUNK = 2000  # products per task: large enough to amortise a task, small enough to balance two to many cores
PIECE_BYTES = 1 << 20  # JSON lines per task (guard.parallel_lines): about 1,200 products of the example catalog


def default_jobs() -> int:
    """The number of cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


class PriceRef(NamedTuple):
    at: datetime
    price: int


class ProductRef(NamedTuple):
    """What promotions and live rooms read of a product they refer to.

    A worker sends this back rather than the product's model: a tuple pickles in a fraction of
    the model's time. Promotion and room facts read only these fields (``guard.facts.promotion_facts``,
    ``room_subjects``); any other would fail loudly, as an attribute error.
    """

    id: str
    platform: str
    category: str
    current_price: int
    stock: int | None
    audit_status: str | None
    qualifications_submitted_on: date | None
    price_history: tuple[PriceRef, ...]

    @classmethod
    def of(cls, product: Product) -> ProductRef:
        return cls(product.id, product.platform, product.category, product.current_price, product.stock,
                   product.audit_status, product.qualifications_submitted_on,
                   tuple(PriceRef(point.at, point.price) for point in product.price_history))


@dataclass
class WorkerSetup:
    """What every worker of a parallel check needs, inherited at fork time rather than sent; each worker
    builds its own engine (``start``) as it starts."""

    merchants: Mapping[str, Any]
    referenced: frozenset[str]
    ruleset: RuleSet
    engine: str | None
    platform: str | None
    now: datetime
    lang: str
    runner: Engine | None = field(default=None, init=False)

    def start(self) -> None:
        self.runner = make_engine(self.ruleset, self.engine)


@dataclass
class _Shared(WorkerSetup):
    items: Sequence[ReadItem]  # the records, read by this process


@dataclass
class _ChunkResult:
    """Per product record of one chunk: its id when valid (else its problems), its findings and late problems."""

    ids: dict[int, str] = field(default_factory=dict)
    problems: dict[int, list[InputProblem]] = field(default_factory=dict)
    findings: dict[str, list[Finding]] = field(default_factory=dict)
    late: dict[str, list[InputProblem]] = field(default_factory=dict)
    models: dict[str, ProductRef] = field(default_factory=dict)
    engine: str = "native"


_SHARED: _Shared | None = None
_FINDING_FIELDS = tuple(f.name for f in fields(Finding))


def finding_tuple(finding: Finding) -> tuple[Any, ...]:
    """A finding as a plain tuple of its fields: half the time to send between processes than the dataclass."""
    return tuple(getattr(finding, name) for name in _FINDING_FIELDS)


def _start_worker() -> None:
    assert _SHARED is not None
    _SHARED.start()


def _check_chunk(indices: Sequence[int]) -> _ChunkResult:
    """Validate and check the product records at ``indices`` (one worker task)."""
    shared = _SHARED
    assert shared is not None and shared.runner is not None
    result = check_product_records([(index, shared.items[index]) for index in indices], merchants=shared.merchants,
                                   referenced=shared.referenced, ruleset=shared.ruleset, engine=shared.runner,
                                   platform=shared.platform, now=shared.now, lang=shared.lang)
    for found in result.findings.values():  # as plain tuples: half the time to send than the dataclasses
        found[:] = [finding_tuple(finding) for finding in found]
    return result


def check_product_records(records: Iterable[tuple[int, ReadItem]], *, merchants: Mapping[str, Any],
                          referenced: frozenset[str], ruleset: RuleSet, engine: Engine, platform: str | None,
                          now: datetime, lang: str) -> _ChunkResult:
    """Validate and check product records, each keyed by its position in the input.

    Every product is checked on its own, so any split of a catalog gives the same per-record
    results; a later record with an id already seen here is left for the caller to reject as a
    duplicate. The models of the products in ``referenced`` are kept for the promotions and rooms.
    """
    result = _ChunkResult()
    chunk = Catalog(merchants=dict(merchants))
    with gc_paused():
        for index, record in records:
            single = parse_records([record])
            if not single.products:
                result.problems[index] = single.problems
                continue
            entry = single.products[0]
            product_id = entry[0].id
            result.ids[index] = product_id
            if product_id in result.findings:
                continue
            result.findings[product_id] = []
            chunk.products.append(entry)
            if product_id in referenced:
                result.models[product_id] = ProductRef.of(entry[0])
        report = check_catalog(chunk, ruleset=ruleset, engine=engine, platform=platform, now=now, lang=lang)
    result.engine = report.engine
    for finding in report.findings:
        result.findings[finding.product or ""].append(finding)
    for problem in report.problems:
        result.late.setdefault(problem.record or "", []).append(problem)
    return result


def check_references(products: Iterable[ProductRef], *, merchants: Mapping[str, Any], promotions: list[Any],
                     rooms: list[Any], ruleset: RuleSet, engine: Engine | str | None, platform: str | None,
                     now: datetime, lang: str, stacks: Mapping[str, list[Any]] | None = None,
                     ) -> tuple[list[Finding], list[InputProblem], int]:
    """Check promotions and rooms against the products they reference (the accepted ones, first occurrences).

    Returns their findings, their unresolved references and how many of them were checked, as
    ``check_catalog`` over the whole catalog gives them. The subjects are built as
    ``guard.check.subjects`` builds its promotions and rooms; the products themselves are
    checked elsewhere, so they are not checked again here. ``stacks`` gives, per product id,
    every promotion of the catalog that names it (in input order), when ``promotions`` is a part.
    """
    if not promotions and not rooms:
        return [], [], 0
    runner = engine if isinstance(engine, Engine) else make_engine(ruleset, engine)
    builder = FindingBuilder(ruleset, lang)
    library: dict[str, Product] = {}
    for product in products:
        library[product.id] = product if platform is None else product._replace(platform=platform)  # type: ignore[assignment]
    by_product: dict[str, list[Any]] = {}
    for promo, _, _ in promotions:
        for pid in promo.products or [c.product for c in promo.components]:
            by_product.setdefault(pid, []).append(promo)
    stacked = by_product if stacks is None else stacks
    subjects: list[Subject] = []
    late: list[InputProblem] = []
    for promo, file, path in promotions:
        refs = promo.products or [c.product for c in promo.components]
        unknown = [pid for pid in refs if pid not in library]
        if unknown:
            late.append(InputProblem(file, path, "$.products", f"unknown product(s) {unknown}", promo.id))
            continue
        stack = stacked.get(refs[0], []) if refs else []
        facts = promotion_facts(promo, library, stack, now)
        subjects.append(Subject("promotion", f"promotion:{promo.id}", refs[0] if refs else None, str(facts["platform"]),
                                path, facts, file=file))
    for room, file, path in rooms:
        if platform is not None:
            room = room.model_copy(update={"platform": platform})
        subjects.extend(room_subjects(room, library, now, path, file))
    findings: list[Finding] = []
    checked: set[str] = set()
    with gc_paused():
        for subject in subjects:
            if subject.kind in ("promotion", "room"):
                checked.add(subject.key)
            for rule in runner.fired(subject.kind, subject.platform, subject.facts):
                findings.append(builder.build(rule, subject))
    return findings, late, len(checked)


def _is_product(item: ReadItem) -> bool:
    return isinstance(item, RawRecord) and item.kind == "product"


def _references(catalog: Catalog) -> frozenset[str]:
    refs: set[str] = set()
    for promo, _, _ in catalog.promotions:
        refs.update(promo.products or [c.product for c in promo.components])
    for room, _, _ in catalog.rooms:
        refs.update(item.product for item in room.products)
    return frozenset(refs)


def duplicate_problem(file: str, location: str, product_id: str, first: str) -> InputProblem:
    """A product record whose id an earlier valid record has (``first``: where that one is)."""
    return InputProblem(file, location, "$.id", f"duplicate product id {product_id!r} (first at {first})", product_id)


def _read_other(items: Sequence[ReadItem], indices: list[int], catalog: Catalog,
                attributed: dict[int, list[InputProblem]]) -> None:
    """Validate one file's non-product items into ``catalog``, noting which problems each item caused.

    ``parse_records`` takes them all in one call (so a duplicate merchant, promotion or room id
    within a file is found as in one process); the generator notes what each item added.
    """
    def feed() -> Iterable[ReadItem]:
        for index in indices:
            before = len(catalog.problems)
            yield items[index]
            attributed[index] = catalog.problems[before:]

    parse_records(feed(), catalog)


def check_files_parallel(
    paths: Iterable[str | Path],
    *,
    columns: Mapping[str, str] | None = None,
    jobs: int | None = None,
    chunk_size: int = DEFAULT_CHUNK,
    piece_bytes: int = PIECE_BYTES,
    ruleset: RuleSet | None = None,
    engine: str | None = None,
    platform: str | None = None,
    now: datetime | None = None,
    lang: str = "zh",
    progress: bool | None = False,
    split_lines: bool = True,
) -> Report:
    """Read catalog files (one catalog together) and check them on ``jobs`` processes.

    The report equals ``check_files``'s for the same files and options: findings, problems,
    warnings and counts, in the same order. ``engine`` is an engine name; each worker builds
    its own. ``progress`` shows a bar on stderr (None: when stderr is a terminal and the
    catalog is large).

    When every file is JSON lines (UTF-8) and they hold more than ``piece_bytes``, the workers
    read the files themselves, in pieces of about ``piece_bytes`` (``guard.parallel_lines``);
    otherwise (or with ``split_lines=False``: a caller that tried that already) this process reads the
    records and hands them out in chunks of ``chunk_size``.
    """
    paths = list(paths)
    ruleset = ruleset if ruleset is not None else default_rules()
    clock = now if now is not None else datetime.now(CHINA_TZ)
    jobs = default_jobs() if jobs is None else jobs
    if jobs < 1:
        raise ValueError(f"jobs must be at least 1, got {jobs}")
    if chunk_size < 1:
        raise ValueError(f"chunk_size must be at least 1, got {chunk_size}")
    if piece_bytes < 1:
        raise ValueError(f"piece_bytes must be at least 1, got {piece_bytes}")
    if split_lines and jobs > 1 and "fork" in multiprocessing.get_all_start_methods():
        from guard.parallel_lines import check_lines_parallel, splittable

        if splittable(paths) and sum(os.path.getsize(p) for p in paths) > piece_bytes:
            report = check_lines_parallel(paths, jobs=jobs, ruleset=ruleset, engine=engine, platform=platform, now=clock,
                                          lang=lang, categories=getattr(columns, "categories", None),
                                          piece_bytes=piece_bytes)
            if report is not None:
                return report
    with gc_paused():
        items: list[ReadItem] = []
        files: list[tuple[str, int, int]] = []
        for path in paths:
            start = len(items)
            items.extend(read_file(path, columns))
            files.append((str(path), start, len(items)))
        product_indices = [i for i, item in enumerate(items) if _is_product(item)]
        if progress is None:
            progress = sys.stderr.isatty() and sum(isinstance(item, RawRecord) for item in items) >= 2000
        if jobs == 1 or len(product_indices) <= chunk_size or "fork" not in multiprocessing.get_all_start_methods():
            return _in_process(items, files, ruleset, engine, platform, clock, lang, progress)
        others: list[Catalog] = []
        attributed: dict[int, list[InputProblem]] = {}
        for _, start, end in files:
            catalog = Catalog()
            _read_other(items, [i for i in range(start, end) if not _is_product(items[i])], catalog, attributed)
            others.append(catalog)
        merchants: dict[str, Any] = {}
        gathered = Catalog()
        for catalog in others:
            merchants.update(catalog.merchants)
            gathered.promotions.extend(catalog.promotions)
            gathered.rooms.extend(catalog.rooms)
        chunks = [product_indices[i:i + chunk_size] for i in range(0, len(product_indices), chunk_size)]
        shared = _Shared(merchants, _references(gathered), ruleset, engine, platform, clock, lang, items=items)
        results = _run_workers(shared, chunks, jobs, progress)
        outcome = _ChunkResult(engine=results[0].engine)
        for result in results:  # in input order: where chunks share an id, the first chunk's product is the one kept
            outcome.ids.update(result.ids)
            outcome.problems.update(result.problems)
            for product_id, found in result.findings.items():
                if product_id in outcome.findings:
                    continue
                outcome.findings[product_id] = found
                if product_id in result.late:
                    outcome.late[product_id] = result.late[product_id]
                if product_id in result.models:
                    outcome.models[product_id] = result.models[product_id]
        return _merge(items, files, others, attributed, outcome, merchants, gathered, ruleset, engine, platform, clock,
                      lang)


def preload() -> None:
    """Build what every worker needs before forking them, so they inherit it rather than each build it:
    the matcher, jieba's dictionary and its part-of-speech tagger (about 0.5 s to load)."""
    matcher = bundled_matcher()
    warm()
    matcher.segmenter.tags("预热")


def _run_workers(shared: _Shared, chunks: list[list[int]], jobs: int, progress: bool) -> list[_ChunkResult]:
    global _SHARED
    _SHARED = shared
    preload()
    try:
        context = multiprocessing.get_context("fork")
        with context.Pool(min(jobs, len(chunks)), initializer=_start_worker) as pool:
            results = pool.imap(_check_chunk, chunks)
            if not progress:
                return list(results)
            from tqdm import tqdm

            with tqdm(total=sum(map(len, chunks)), unit="product", file=sys.stderr, mininterval=0.5, leave=False) as bar:
                done = []
                for chunk, result in zip(chunks, results):
                    done.append(result)
                    bar.update(len(chunk))
                return done
    finally:
        _SHARED = None


def _in_process(items: list[ReadItem], files: list[tuple[str, int, int]], ruleset: RuleSet, engine: str | None,
                platform: str | None, now: datetime, lang: str, progress: bool) -> Report:
    catalog = Catalog()
    for name, start, end in files:
        before = catalog.read
        parse_records(items[start:end], catalog)
        if catalog.read == before:
            catalog.problems.append(no_records(name))
    return check_catalog(catalog, ruleset=ruleset, engine=engine, platform=platform, now=now, lang=lang,
                         progress=progress)


def no_records(name: str) -> InputProblem:
    return InputProblem(name, "file", "$", NO_RECORDS[0], message_zh=NO_RECORDS[1])


def _merge(items: list[ReadItem], files: list[tuple[str, int, int]], others: list[Catalog],
           attributed: dict[int, list[InputProblem]], outcome: _ChunkResult, merchants: dict[str, Any],
           gathered: Catalog, ruleset: RuleSet, engine: str | None, platform: str | None, now: datetime,
           lang: str) -> Report:
    """Put the workers' outcomes back in input order, as ``load_catalog`` and ``check_catalog`` would."""
    problems: list[InputProblem] = []
    warnings: list[InputProblem] = []
    findings: list[Finding] = []
    late: list[InputProblem] = []
    by_kind: dict[str, int] = {}
    read = rejected = checked = 0
    seen: dict[str, str] = {}
    accepted: list[str] = []
    for (name, start, end), other in zip(files, others):
        read_before = read
        for index in range(start, end):
            item = items[index]
            if not _is_product(item):
                problems.extend(attributed.get(index, ()))
                continue
            assert isinstance(item, RawRecord)
            if index in outcome.problems:
                problems.extend(outcome.problems[index])
                continue
            product_id = outcome.ids[index]
            if product_id in seen:
                problems.append(duplicate_problem(item.file, item.location, product_id, seen[product_id]))
                rejected += 1
                continue
            seen[product_id] = f"{item.file} {item.location}"
            accepted.append(product_id)
        products_read = sum(1 for i in range(start, end) if _is_product(items[i]))
        read += other.read + products_read
        rejected += other.rejected + sum(1 for i in range(start, end) if i in outcome.problems)
        for index in range(start, end):  # every record counts, valid or not, in the order its kind first appears
            item = items[index]
            if isinstance(item, RawRecord):
                by_kind[item.kind] = by_kind.get(item.kind, 0) + 1
        warnings.extend(other.warnings)
        if read == read_before:
            problems.append(no_records(name))
    for product_id in accepted:
        findings.extend(Finding(*fields) for fields in outcome.findings[product_id])
        if product_id in outcome.late:
            late.extend(outcome.late[product_id])
        else:
            checked += 1
    models = [outcome.models[pid] for pid in accepted if pid in outcome.models]
    found, unresolved, count = check_references(models, merchants=merchants, promotions=gathered.promotions,
                                                rooms=gathered.rooms, ruleset=ruleset, engine=engine,
                                                platform=platform, now=now, lang=lang)
    findings.extend(found)
    late.extend(unresolved)
    checked += count
    summary = Summary(read=read, checked=checked, rejected=rejected + len(late), by_kind=by_kind)
    return Report(tuple(findings), (*problems, *late), summary, outcome.engine, tuple(warnings))
