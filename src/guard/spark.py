"""Check catalogs on Apache Spark: the same rules, facts and engines, on Arrow batches.

    result = guard.spark.check(spark, ["products.jsonl"])        # files Spark reads
    result = guard.spark.check_frame(products_df, merchants=[...])  # a DataFrame of products
    result = guard.spark.check_frame(products_df, promotions=promotions_df, collect_limit=0)  # joined
    result.findings.write.parquet("out/")                         # the fields of --format jsonl

Products are validated and checked on the executors (``mapInArrow``): each Python worker loads
the rule set and builds the engine once and keeps them for every batch it is given. A record
that fails validation becomes a problem with its file and location, as in one process, and the
rest of its batch goes on. Duplicate product ids are found with a window over the id, ordered by
input position: the first valid record wins, as in one process.

Merchants, promotions and live rooms are counted first (``joined_parts``; the joined steps are in
``guard.spark_join``):

- up to ``broadcast_limit`` merchants (10,000) are collected and shipped with every task; more
  are validated on the executors (repeats found with a window over file and id) and joined to
  the products by merchant id, so each product meets only its own merchant. Either way a
  merchant id repeated in a later file is that file's merchant, as ``load_catalog`` reads files;
- up to ``collect_limit`` promotions and rooms together (100,000) are collected and checked on the
  driver against the products they name, whose records the check keeps; more are validated on
  the executors, exploded into the product ids they name, joined with those products' first
  valid records (and their whole price history), grouped back per promotion or room with, for a
  promotion, every promotion naming its first product (they stack), and checked by
  ``check_references`` in ``mapInArrow``, the rules loaded once per worker.

Both ways give the same findings and problems as ``guard check`` (repeated ids, a promotion of
an unknown or rejected product, a product of an unknown merchant, which is told every merchant).

Locations: JSON lines get ``line N`` as ``guard check`` gives them; Parquet and CSV rows get
``row N`` in the order Spark reads the file (CSV counting the header as row 1).

A warehouse export is read as it is. A CSV or Parquet table's column names go through the same
header reading as ``guard check``'s (Chinese names and aliases, units in brackets, a back end's
profile such as 微信小店's fields in fen, ``--columns``), and each row through the same cell
reading (lists, qualifications, 原价 beside 售价, platform categories). JSON-lines records in a
back end's own shape are adapted as in one process. A table's rows are read as one process reads
them: a row with nothing in it is skipped, and consecutive rows with SKU columns and the same
product id are one SPU (``_spu_of``, ``_gather_skus``). A SKU row that leaves the id blank belongs
to the row above, as in one process (``_fill_blank_spus``); the SKUs may also come as a JSON list in
a ``skus`` column. A CSV file of this machine is read in the encoding (UTF-8 or GB18030), with the
delimiter and from the header row (below any title rows) that one process finds, with quotes doubled
inside quoted cells, cells over several lines and row numbers as one process gives them (``_csv_layout``);
a CSV Spark reads from elsewhere (a folder of parts, HDFS) must be UTF-8 with its header on the
first line, and a UTF-16 file is refused (Spark cannot split it into lines).
"""

from __future__ import annotations

import bisect
import csv
import io
import json
import os
import re
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from guard.check import unknown_merchant
from guard.errors import InputFileError, InputProblem
from guard.facts import REFERENCE_WINDOW
from guard.findings import Finding
from guard.io.catalog import Catalog, parse_records
from guard.io.profiles import detect
from guard.io.readers import (HEADER_SEARCH_ROWS, SKU_FIELDS, Columns, ProfileAdapter, RawRecord, ReadItem,
                              _open_text, _text_encoding, gathered_product, header_columns, ignored_notice,
                              locate_header, profile_notice, read_jsonl, row_record, single_row_product,
                              sniff_delimiter)
from guard.model import CHINA_TZ, Merchant
from guard.parallel import ProductRef, check_product_records, check_references
from guard.report.json import finding_line

try:
    import pyarrow as pa
    from pyspark import StorageLevel
    from pyspark.sql import DataFrame, SparkSession, Window
    from pyspark.sql import functions as F
    from pyspark.sql import types as T
except ImportError as exc:  # pragma: no cover - the extra is not installed
    raise ImportError("guard.spark needs the spark extra: pip install 'guard[spark]'") from exc

_SEQ_PER_FILE = 1 << 40  # a record's input position: file number * this + its index in the file
OTHER_KINDS = ("merchant", "promotion", "live_room")
COLLECT_LIMIT = 100_000  # promotions and rooms: checked on the driver up to this many, joined in Spark above
BROADCAST_LIMIT = 10_000  # merchants: shipped with every task up to this many, joined to the products above

_SOURCE = T.StructType([T.StructField(name, T.StringType()) for name in ("source", "title", "section", "confidence", "url")])
FINDING_SCHEMA = T.StructType([
    *(T.StructField(name, T.StringType()) for name in
      ("rule", "name", "topic", "tier", "penalty", "platform", "product", "subject", "path", "message", "fix")),
    T.StructField("configurable_default", T.BooleanType()),
    T.StructField("file", T.StringType()),
    *(T.StructField(name, T.LongType()) for name in ("start", "end", "line", "column")),
    *(T.StructField(name, T.StringType()) for name in ("matched", "term", "family")),
    T.StructField("sources", T.ArrayType(_SOURCE)),
])
_OUTCOME = T.StructType([
    T.StructField("seq", T.LongType()),
    T.StructField("file", T.StringType()),
    T.StructField("location", T.StringType()),
    T.StructField("record", T.StringType()),
    T.StructField("id", T.StringType()),
    T.StructField("problems", T.StringType()),
    T.StructField("late", T.StringType()),
    T.StructField("findings", T.ArrayType(T.StringType())),
    T.StructField("merchant", T.StringType()),
])
@dataclass(frozen=True)
class Options:
    """How to check: shipped to the executors, where the rules are loaded from it once per worker."""

    config: str | Mapping[str, Any] | None = None
    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    engine: str | None = None
    platform: str | None = None
    now: datetime | None = None
    lang: str = "zh"
    categories: tuple[tuple[str, str], ...] = ()  # platform category -> guard category (``--columns``)


@dataclass
class SparkResult:
    """Findings as a DataFrame (the fields of ``--format jsonl``), the input problems in input order, and the
    warnings about the input (a back end's profile recognised, columns ignored), as a report keeps them apart."""

    findings: DataFrame
    problems: list[InputProblem]
    read: int
    rejected: int
    joined: tuple[str, ...] = ()  # what was joined in Spark rather than collected: "merchants", "references"
    warnings: list[InputProblem] = field(default_factory=list)


_LOADED: dict[Options, tuple[Any, Any]] = {}


def _rules(options: Options) -> tuple[Any, Any]:
    """The rule set and engine for ``options``, built once per Python worker and kept."""
    loaded = _LOADED.get(options)
    if loaded is None:
        from guard.engine import make_engine
        from guard.rules.loader import load_rules

        ruleset = load_rules(config=options.config).select(list(options.select), list(options.ignore))
        loaded = _LOADED[options] = (ruleset, make_engine(ruleset, options.engine))
    return loaded


def _item(file: str, location: str, record: str, categories: Mapping[str, str] | None = None) -> ReadItem:
    """One JSON line as ``guard check`` reads it (kind, malformed JSON, non-objects, a back end's own
    shape, platform categories), at its real location."""
    items = list(read_jsonl(Path(file), io.StringIO(record)))
    if not items:
        return InputProblem(file, location, "$", "empty record")
    return next(ProfileAdapter(categories).adapt([replace(items[0], location=location)]))


def _row_item(table: Columns, file: str, location: str, record: str,
              categories: Mapping[str, str] | None) -> RawRecord | None:
    """One CSV or Parquet row (its cells as a JSON object keyed by column position) as ``guard check``
    reads a table's row, or an SPU's SKU rows (a JSON list of them, from ``_gather_skus``) as one product;
    None for a row with nothing in it, which one process skips too."""
    cells = json.loads(record)
    rows = [_read_row(table, each, categories) for each in (cells if isinstance(cells, list) else [cells])]
    if not rows[0]:
        return None
    data = gathered_product(rows) if len(rows) > 1 else single_row_product(rows[0])
    return RawRecord("product", data, file, location, table.labels)


def _read_row(table: Columns, cells: Mapping[str, Any], categories: Mapping[str, str] | None) -> dict[str, Any]:
    """A table row's cells (keyed by column position, ``c0``…) through the reading of ``guard check``."""
    return row_record(table, [cells.get(f"c{index}") for index in range(len(table.fields))], categories)


def _has_skus(table: Columns) -> bool:
    return any(name in SKU_FIELDS for name in table.fields)


def _spu_of(table: Columns, record: str, categories: Mapping[str, str]) -> tuple[bool, str | None]:
    """A table row (cells as JSON keyed by column position) as one process reads it: whether it is empty,
    and, when it has SKU columns, its id as read (its SPU's id; "" when it leaves the id blank), else None."""
    data = _read_row(table, json.loads(record), categories)
    if not data:
        return True, None
    if not any(name in data for name in SKU_FIELDS):
        return False, None
    key = data.get("id")
    return False, key.strip() if isinstance(key, str) else "" if key is None else str(key)


BUCKET_ROWS = 1 << 16  # rows of a table whose blank SKU ids are filled in one task (``_fill_blank_spus``)


def _fill_blank_spus(products: DataFrame) -> DataFrame:
    """SKU rows that leave the id blank (``spu`` "") take the SPU of the row above them, as one process
    reads a table: the nearest row above that is not such a row (its anchor). When the anchor is a
    SKU row, they are more SKUs of its SPU; when it is a row without SKU columns, or there is none, they
    are one product of their own with no id (they share a key that names their anchor).

    The table is never ordered whole: its rows are cut into buckets of ``BUCKET_ROWS`` positions, each
    ordered on its own; a bucket's rows above their first anchor take the last anchor of the buckets
    before it, found from one small row per bucket."""
    blank = F.coalesce(F.col("spu") == "", F.lit(False))
    rows = products.withColumn("bucket", F.expr(f"seq div {BUCKET_ROWS}"))
    anchor = F.when(~blank, F.struct(F.col("seq").alias("at"), F.col("spu").alias("spu")))
    upto = Window.partitionBy("table", "bucket").orderBy("seq").rowsBetween(Window.unboundedPreceding,
                                                                           Window.currentRow)
    rows = rows.withColumn("anchor", F.last(anchor, ignorenulls=True).over(upto))
    last = rows.groupBy("table", "bucket").agg(F.max_by(anchor, F.when(~blank, F.col("seq"))).alias("last"))
    before = Window.partitionBy("table").orderBy("bucket").rowsBetween(Window.unboundedPreceding, -1)
    incoming = last.select("table", "bucket", F.last("last", ignorenulls=True).over(before).alias("incoming"))
    rows = rows.join(F.broadcast(incoming), ["table", "bucket"], "left")
    found = F.coalesce(F.col("anchor"), F.col("incoming"))
    filled = F.when(found["spu"].isNotNull(), found["spu"]) \
        .otherwise(F.concat(F.lit("\u0000"), F.coalesce(found["at"].cast("string"), F.lit("start"))))
    return rows.withColumn("spu", F.when(blank, filled).otherwise(F.col("spu"))) \
        .drop("bucket", "anchor", "incoming")


def _gather_skus(products: DataFrame) -> DataFrame:
    """Each run of consecutive rows of one table that have SKU columns and the same product id (``spu``,
    read by ``_spu_of``), as one record (a JSON list of the rows' cells, at its first row): an SPU and its
    SKUs, as a table is read in one process. Runs are found without ordering the whole table: within
    one table and id, rows whose position minus their rank is the same are consecutive (a row of
    another id, or of this id without SKU columns, between two of them changes it)."""
    products = _fill_blank_spus(products)
    columns = [name for name in products.columns if name != "spu"]
    sku_row = F.col("spu").isNotNull()
    by_id = Window.partitionBy("table", "spu").orderBy("seq")
    rows = F.sort_array(F.collect_list(F.struct(*columns)))  # the struct's first field is seq: input order
    runs = products.filter(sku_row).withColumn("run", F.col("seq") - F.row_number().over(by_id)) \
        .groupBy("table", "spu", "run").agg(rows.alias("rows"))
    record = F.when(F.size("rows") == 1, F.col("rows")[0]["record"]) \
        .otherwise(F.concat(F.lit("["), F.concat_ws(",", F.transform("rows", lambda row: row["record"])), F.lit("]")))
    gathered = runs.select(*[(record if name == "record" else F.col("rows")[0][name]).alias(name) for name in columns])
    return products.filter(~sku_row).select(*columns).unionByName(gathered)


def _with_history(item: ReadItem, history: str | list[dict[str, Any]] | None) -> ReadItem:
    """The record with its price history from the history table (which replaces any in the record)."""
    if history is None or not isinstance(item, RawRecord) or not isinstance(item.data, dict):
        return item
    return replace(item, data={**item.data, "price_history": json.loads(history) if isinstance(history, str) else history})


def history_digest(history: DataFrame, now: datetime) -> DataFrame:
    """Per product, the one transaction that decides its reference ceiling as of ``now``, with window functions.

    ``history`` has columns product, at (ISO time) and price (yuan). A product's ceiling is the
    lowest price of the 7 days before ``now``, else its last price before ``now``
    (``guard.facts.reference_ceiling``); the transaction that gives it is all a product's own
    check needs, so only that row per product reaches the executors' checks:
    (product, history as JSON text).
    """
    points = history.select(F.col("product").cast("string").alias("product"), F.col("at").cast("string").alias("at"),
                            F.col("price").cast("string").alias("price"))
    points = points.withColumn("at_ts", F.try_to_timestamp(F.col("at"))) \
        .withColumn("fen", (F.col("price").try_cast("decimal(14,2)") * 100).cast("long"))
    before = points.filter(F.col("at_ts") < F.lit(now))
    per_product = Window.partitionBy("product")
    in_window = F.col("at_ts") >= F.lit(now - REFERENCE_WINDOW)
    ranked = before.withColumn("window_low", F.min(F.when(in_window, F.col("fen"))).over(per_product))
    is_low = F.when(in_window & (F.col("fen") == F.col("window_low")), 0).otherwise(1)
    ranked = ranked.withColumn("pick", F.row_number().over(
        per_product.orderBy(is_low, F.col("at_ts").desc(), F.col("fen").desc())))  # a window low, else the last one
    return ranked.filter(F.col("pick") == 1).select("product", F.to_json(F.array(F.struct("at", "price"))).alias("history"))


def _full_history(history: DataFrame, products: frozenset[str]) -> dict[str, list[dict[str, str]]]:
    """Every transaction of a few products (those promotions and rooms name), for the checks on the driver."""
    found: dict[str, list[dict[str, str]]] = {}
    if not products:
        return found
    rows = history.select(F.col("product").cast("string").alias("product"), F.col("at").cast("string").alias("at"),
                          F.col("price").cast("string").alias("price")).filter(F.col("product").isin(*sorted(products)))
    for row in rows.collect():
        found.setdefault(row.product, []).append({"at": row.at, "price": row.price})
    return found


def _problems_json(problems: Sequence[InputProblem]) -> str | None:
    return json.dumps([p.to_dict() for p in problems], ensure_ascii=False) if problems else None


def _product_item(row: Mapping[str, Any], tables: Sequence[Columns],
                  categories: Mapping[str, str]) -> tuple[ReadItem | None, str | None]:
    """A product row as ``guard check`` reads it, and its record as the driver re-reads it (JSON text)."""
    table = row.get("table", -1)
    if table is None or table < 0:
        return _item(row["file"], row["location"], row["record"], categories), row["record"]
    item = _row_item(tables[table], row["file"], row["location"], row["record"], categories)
    return item, json.dumps(item.data, ensure_ascii=False, default=str) if item is not None else None


def _other_item(file: str, location: str, kind: str, record: str) -> ReadItem:
    """A merchant, promotion or room record (a promotion's own "kind" field stays its kind)."""
    item = _item(file, location, record)
    return replace(item, kind=kind) if isinstance(item, RawRecord) else item


_MERCHANTS: dict[str, Any] = {}  # joined merchant records, validated once per worker


def _merchant(row: Mapping[str, Any]) -> Any:
    record = row["merchant_record"]
    merchant = _MERCHANTS.get(record)
    if merchant is None:
        if len(_MERCHANTS) > 10_000:
            _MERCHANTS.clear()
        item = _other_item(row["merchant_file"], row["merchant_location"], "merchant", record)
        merchant = _MERCHANTS[record] = next(iter(parse_records([item]).merchants.values()))
    return merchant


def _check_batches(options: Options, merchants: Mapping[str, Merchant], referenced: frozenset[str],
                   tables: Sequence[Columns], joined: tuple[str, ...] = ()) -> Any:
    """Validate and check product rows. With merchants joined, each row carries its merchant's record
    (``merchant_record``); with references joined, ``wanted`` says whether a promotion or room names it."""
    join_merchants, join_references = "merchants" in joined, "references" in joined

    def run(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        ruleset, engine = _rules(options)
        now = options.now or datetime.now(CHINA_TZ)
        categories = dict(options.categories)
        for batch in batches:
            rows = batch.to_pylist()
            records: dict[int, str | None] = {}  # as the driver re-reads a referenced product: JSON of the record read
            # with merchants joined: those with a merchant see theirs (and, when the catalog has one, a product
            # naming none sees it too); those without see none, so a merchant they name is unknown
            parts: list[tuple[dict[str, Any], list[tuple[int, ReadItem]]]] = [({} if join_merchants else dict(merchants),
                                                                                []), ({}, [])]
            for row in rows:
                item, records[row["seq"]] = _product_item(row, tables, categories)
                if item is None:
                    continue
                part = parts[0]
                if join_merchants:
                    if row.get("merchant_record") is None:
                        part = parts[1]
                    else:
                        merchant = _merchant(row)
                        part[0][merchant.id] = merchant
                part[1].append((row["seq"], _with_history(item, row.get("history"))))
            results = {}
            for part_merchants, items in parts:
                if not items:
                    continue
                result = check_product_records(items, merchants=part_merchants, referenced=frozenset(),
                                               ruleset=ruleset, engine=engine, platform=options.platform, now=now,
                                               lang=options.lang)
                first_of: dict[str, int] = {}
                for seq, product_id in result.ids.items():
                    first_of.setdefault(product_id, seq)
                results.update((seq, (result, first_of)) for seq, _ in items)
            out: dict[str, list[Any]] = {name: [] for name in _OUTCOME.names}
            for row in rows:
                seq = row["seq"]
                result, first_of = results.get(seq, (None, {}))
                product_id = result.ids.get(seq) if result is not None else None
                first = product_id is not None and first_of[product_id] == seq
                wanted = bool(row.get("wanted")) if join_references else product_id in referenced
                out["seq"].append(seq)
                out["file"].append(row["file"])
                out["location"].append(row["location"])
                out["record"].append(records.get(seq) if product_id is not None and wanted else None)
                out["id"].append(product_id)
                out["problems"].append(_problems_json(result.problems.get(seq, [])) if result is not None else None)
                out["late"].append(_problems_json(result.late.get(product_id, [])) if first else None)
                out["findings"].append([finding_line(f) for f in result.findings[product_id]] if first else [])
                out["merchant"].append(row.get("merchant_key") if join_merchants else None)
            yield pa.RecordBatch.from_pydict(out, schema=_arrow_outcome())
    return run


def _arrow_outcome() -> pa.Schema:
    return pa.schema([("seq", pa.int64()), ("file", pa.string()), ("location", pa.string()), ("record", pa.string()),
                      ("id", pa.string()), ("problems", pa.string()), ("late", pa.string()),
                      ("findings", pa.list_(pa.string())), ("merchant", pa.string())])


def _local_cores(master: str | None) -> int:
    """The cores a local master uses: ``local[N]`` N, ``local`` 1, ``local[*]`` (and none given) every core.

    Shuffled data (SKU rows gathered, joins) is cut into twice as many partitions as the cores: each
    partition's task costs a quarter of a second in the Python workers here, so Spark's default of
    200 partitions made a catalog of 20,000 products take four times as long."""
    found = re.fullmatch(r"local(?:\[(\d+|\*)(?:,\s*\d+)?\])?", master or "local[*]")
    if found is None or found.group(1) == "*":
        return max(1, os.cpu_count() or 1)
    return int(found.group(1)) if found.group(1) else 1


def session(master: str | None = None, name: str = "guard") -> SparkSession:
    """A Spark session: ``master`` if given, else what spark-submit set, else ``local[*]``.

    In local mode the Python workers run this interpreter, so they import this guard; on a
    cluster they run what ``spark.pyspark.python`` names (see the README).
    """
    local = master is None or master.startswith("local")
    if local:  # the context reads the workers' interpreter from the environment
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    builder = SparkSession.builder.appName(name).config("spark.ui.showConsoleProgress", "false")
    if master is not None:
        builder = builder.master(master)
    if local:  # one JVM is driver and executor: give it room for the cached batches and collected problems
        builder = builder.config("spark.ui.enabled", "false").config("spark.driver.memory", "4g") \
            .config("spark.sql.shuffle.partitions", str(2 * _local_cores(master)))
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    return spark


@dataclass
class Records:
    """Records as Spark read them: (seq, file, location, kind, table, record as JSON text), with the header
    reading of each CSV or Parquet table (``table`` indexes ``tables``; -1 for a JSON line) and the
    notices about the files (a back end's profile, columns ignored)."""

    frame: DataFrame
    tables: list[Columns]
    notices: list[InputProblem]


@dataclass(frozen=True)
class CsvLayout:
    """How to read a CSV file as ``guard check`` reads it: Spark's name of its encoding, its delimiter,
    the header row's cells, whether a quoted cell spans lines (then Spark reads it with ``multiLine``),
    the records Spark reads above the first row of data (``skip``: title rows and the header), the
    header's row number, and the blank rows below it that one process numbers and Spark passes over
    (``gaps``: each one's row number minus the blank rows before it)."""

    encoding: str
    sep: str
    names: list[str]
    multiline: bool
    skip: int
    header_row: int
    gaps: tuple[int, ...]

    def row(self, index: int) -> int:
        """The row number one process gives the ``index``-th record Spark reads below the header."""
        row = self.header_row + 1 + index
        return row + bisect.bisect_right(self.gaps, row)


_SPARK_ENCODINGS = {"utf-8-sig": "UTF-8", "gb18030": "GB18030"}
_SPARK_CHARSETS = frozenset({"UTF-8"})  # of those, what Spark 4 reads without spark.sql.legacy.javaCharsets
_SPARK_BLANK = "".join(map(chr, range(33)))  # reading lines, Spark passes over a line of nothing but these (Java's trim)


def _csv_layout(name: str, columns: Mapping[str, str] | None) -> CsvLayout | None:
    """The layout of a CSV file of this machine, read through once as ``read_csv`` reads it; None for what
    this process cannot open (a folder of parts, another file system): Spark's own reading (UTF-8,
    header on the first line). A file with no header row, a malformed one, or one in an encoding Spark
    cannot split into lines (UTF-16), is refused with what to do."""
    path = Path(name)
    if not path.is_file():
        return None
    encoding = _text_encoding(path)
    if encoding not in _SPARK_ENCODINGS:
        raise ValueError(f"{name}: {encoding.upper()} text, which Spark cannot split into lines; save it as UTF-8 "
                         "(or GB18030), or check it without --spark")
    rows: list[list[str]] = []  # the first rows, where the header is searched
    empty: list[int] = []  # rows of an empty line: no Spark reading keeps them
    blank: list[int] = []  # rows of one line of nothing but blanks: Spark reading lines passes over them too
    multiline = False
    with _open_text(path, "\n") as handle:
        sep = sniff_delimiter(handle)
        lines: list[str] = []

        def feed() -> Iterator[str]:
            for line in handle:
                lines.append(line)
                yield line

        try:
            for number, row in enumerate(csv.reader(feed(), delimiter=sep), start=1):
                if len(rows) < HEADER_SEARCH_ROWS:
                    rows.append(row)
                if len(lines) > 1:
                    multiline = True
                elif not row:
                    empty.append(number)
                elif not lines[0].strip(_SPARK_BLANK):
                    blank.append(number)
                lines.clear()
        except csv.Error as exc:
            raise InputFileError(f"{name}: malformed CSV: {exc}") from None
    found, _ = locate_header(rows, columns)
    if found is None:
        raise ValueError(f"{name}: no header row: none of the first {len(rows)} rows names two known columns "
                         "(商品ID, 商品名称, 类目, 价格 …)")
    header = found + 1
    passed = sorted(empty if multiline else empty + blank)  # a line of blanks is a record of its own in multiLine
    below = [row for row in passed if row > header]
    return CsvLayout(_SPARK_ENCODINGS[encoding], sep, [cell.lstrip("\ufeff") for cell in rows[found]], multiline,
                     header - (len(passed) - len(below)), header, tuple(row - index for index, row in enumerate(below)))


def read_records(spark: SparkSession, paths: Sequence[str | Path], columns: Mapping[str, str] | None = None) -> Records:
    """Every record of the files, read by Spark.

    ``.jsonl``/``.ndjson``/``.json`` are JSON lines; ``.parquet`` and ``.csv`` are tables of products
    whose column names are read as ``guard check`` reads a header row (``columns``: a merchant's own
    names, from ``load_column_map``).
    """
    frames = []
    tables: list[Columns] = []
    notices: list[InputProblem] = []
    for number, path in enumerate(paths):
        name = str(path)
        suffix = Path(name).suffix.lower()
        if suffix in (".jsonl", ".ndjson", ".json"):
            lines = spark.read.text(name).rdd.map(lambda row: row.value).zipWithIndex()
            frame = lines.map(lambda pair, n=number, f=name: (n * _SEQ_PER_FILE + pair[1], f, f"line {pair[1] + 1}",
                                                               pair[0])).toDF("seq long, file string, location string, record string")
            frame = frame.filter(F.trim("record") != "")
            kind = F.get_json_object("record", "$.kind")
            frame = frame.withColumn("kind", F.when(kind.isin(*OTHER_KINDS), kind).otherwise(F.lit("product"))) \
                .withColumn("table", F.lit(-1)).withColumn("spu", F.lit(None).cast("string"))
        elif suffix in (".parquet", ".csv"):
            layout = _csv_layout(name, columns) if suffix == ".csv" else None
            skip = 0  # lines Spark reads above the first row of data (title rows and the header)
            if layout is not None:  # a file of this machine: read as one process reads it (``_csv_layout``)
                if layout.encoding not in _SPARK_CHARSETS:  # Spark 4 reads GB18030 only with Java's charsets allowed
                    spark.conf.set("spark.sql.legacy.javaCharsets", "true")
                as_text = T.StructType([T.StructField(f"_c{i}", T.StringType()) for i in range(len(layout.names))])
                # a quote inside a quoted cell is doubled, as spreadsheets write it and as one process reads it
                table = spark.read.schema(as_text).option("header", False).option("sep", layout.sep) \
                    .option("encoding", layout.encoding).option("escape", '"').option("multiLine", layout.multiline) \
                    .csv(name)
                names, skip, first_row = layout.names, layout.skip, layout.header_row + 1
            elif suffix == ".csv":
                table = spark.read.option("header", True).csv(name)
                names, first_row = table.columns, 2
            else:
                table = spark.read.parquet(name)
                names, first_row = table.columns, 1
            profile = detect(str(column).strip() for column in names)
            header = header_columns(names, columns, profile)
            if not any(header.fields):
                raise ValueError(f"{name}: none of its columns names a field guard reads (商品ID, 商品名称, 类目, 价格 …)"
                                 + ("" if layout is not None or suffix != ".csv" else
                                    "; a CSV that is not a file of this machine (a folder, HDFS) must be UTF-8 with its "
                                    "header on the first line: convert it, or check it without --spark"))
            where = f"row {first_row - 1}" if suffix == ".csv" else "columns"
            if profile is not None:
                notices.append(profile_notice(name, where, profile))
            if header.ignored:
                notices.append(ignored_notice(name, where, header.ignored))
            cells = [F.col(f"`{column}`").alias(f"c{index}") for index, column in enumerate(table.columns)
                     if index < len(header.fields) and header.fields[index] is not None]
            rows = table.select(F.to_json(F.struct(*cells)).alias("record")).rdd.map(lambda row: row.record)
            categories = dict(getattr(columns, "categories", None) or {})
            # each row read as one process reads it: a row with nothing in it is skipped (its number stays
            # taken); the others are numbered again without gaps, so that consecutive rows have consecutive
            # positions, and carry the id of their SPU when they have SKU columns (``_gather_skus``)
            read = rows.zipWithIndex().filter(lambda pair, k=skip: pair[1] >= k) \
                .map(lambda pair, t=header, c=categories, k=skip: (pair[1] - k, pair[0], *_spu_of(t, pair[0], c))) \
                .filter(lambda item: not item[2])
            frame = read.zipWithIndex().map(
                lambda pair, n=number, f=name, r=first_row, at=layout: (n * _SEQ_PER_FILE + pair[1], f,
                                                                      f"row {at.row(pair[0][0]) if at else pair[0][0] + r}",
                                                             pair[0][1], pair[0][3])) \
                .toDF("seq long, file string, location string, record string, spu string")
            if layout is not None and layout.multiline:  # Spark read the file in one task: check it on every core
                frame = frame.repartition(spark.sparkContext.defaultParallelism)
            frame = frame.withColumn("kind", F.lit("product")).withColumn("table", F.lit(len(tables)))
            tables.append(header)
        else:
            raise ValueError(f"{name}: Spark reads .jsonl, .json (JSON lines), .parquet and .csv here")
        frames.append(frame)
    if not frames:
        raise ValueError("no input files")
    records = frames[0]
    for frame in frames[1:]:
        records = records.unionByName(frame)
    return Records(records, tables, notices)


def check(spark: SparkSession, paths: Sequence[str | Path], *, columns: Mapping[str, str] | None = None,
          **options: Any) -> SparkResult:
    """Read catalog files with Spark and check them; see ``check_records`` for the options.

    ``columns`` is a merchant's own column names and platform categories (``load_column_map``)."""
    read = read_records(spark, paths, columns)
    categories = getattr(columns, "categories", None) or {}
    return check_records(read.frame, tables=read.tables, notices=read.notices, categories=categories, **options)


def _frame_records(frame: DataFrame, name: str, kind: str, number: int) -> DataFrame:
    """A DataFrame's rows as records of one kind (each row a JSON object), at ``row N`` of ``name``."""
    rows = frame.select(F.to_json(F.struct(*frame.columns)).alias("record")).rdd.map(lambda row: row.record)
    return rows.zipWithIndex().map(lambda pair, n=number, f=name, k=kind: (n * _SEQ_PER_FILE + pair[1], f,
                                                                           f"row {pair[1] + 1}", pair[0], k, -1)) \
        .toDF("seq long, file string, location string, record string, kind string, table int")


def check_frame(products: DataFrame, *, name: str = "<dataframe>",
                merchants: Sequence[Mapping[str, Any]] | DataFrame = (),
                promotions: Sequence[Mapping[str, Any]] | DataFrame = (),
                rooms: Sequence[Mapping[str, Any]] | DataFrame = (), **options: Any) -> SparkResult:
    """Check a DataFrame of products (columns named as guard's fields), with merchants, promotions and rooms
    as dicts (at ``$.promotions[i]`` of ``<input>``) or as DataFrames of their own (``row N`` of ``<promotions>``)."""
    records = _frame_records(products, name, "product", 0)
    spark = products.sparkSession
    extra = []
    for number, (kind, items) in enumerate((("merchant", merchants), ("promotion", promotions), ("live_room", rooms)),
                                           start=1):
        if isinstance(items, DataFrame):
            records = records.unionByName(_frame_records(items, f"<{kind}s>", kind, number))
        else:
            extra.extend((number * _SEQ_PER_FILE + i, "<input>", f"$.{kind}s[{i}]",
                          json.dumps(dict(item), ensure_ascii=False, default=str), kind, -1)
                         for i, item in enumerate(items))
    if extra:
        records = records.unionByName(spark.createDataFrame(extra, records.schema))
    return check_records(records, **options)


def _parse_collected(rows: Sequence[Any], catalog: Catalog) -> list[tuple[int, InputProblem]]:
    """Validate collected records into ``catalog``, one file at a time as ``guard check`` does, noting the
    position of the record each problem is about."""
    noted: list[tuple[int, InputProblem]] = []

    def feed(file: str) -> Iterator[ReadItem]:
        for row in rows:
            if row.file == file:
                before = len(catalog.problems)
                yield _other_item(row.file, row.location, row.kind, row.record)
                noted.extend((row.seq, problem) for problem in catalog.problems[before:])

    for file in dict.fromkeys(row.file for row in rows):
        parse_records(feed(file), catalog)
    return noted


def joined_parts(counts: Mapping[str, int], collect_limit: int = COLLECT_LIMIT,
                 broadcast_limit: int = BROADCAST_LIMIT) -> tuple[str, ...]:
    """What ``check_records`` joins in Spark for these counts of records by kind: "merchants" when there are
    more than ``broadcast_limit`` of them, "references" when promotions and rooms together are more than
    ``collect_limit``; the rest is collected to the driver."""
    return tuple(name for name, over in (
        ("merchants", counts.get("merchant", 0) > broadcast_limit),
        ("references", counts.get("promotion", 0) + counts.get("live_room", 0) > collect_limit)) if over)


def check_records(records: DataFrame, *, config: str | Mapping[str, Any] | None = None, select: Sequence[str] = (),
                  ignore: Sequence[str] = (), engine: str | None = None, platform: str | None = None,
                  now: datetime | None = None, lang: str = "zh", history: DataFrame | None = None,
                  tables: Sequence[Columns] = (), notices: Sequence[InputProblem] = (),
                  categories: Mapping[str, str] | None = None, collect_limit: int = COLLECT_LIMIT,
                  broadcast_limit: int = BROADCAST_LIMIT) -> SparkResult:
    """Check records read by ``read_records``: findings as a DataFrame, problems in input order.

    ``history`` (columns product, at, price) is the products' price history as a table: it
    replaces any history in the records, the 7-day low is found in Spark (``history_digest``), and it
    meets each product by the id the check reads (a back end's field, a padded or numeric cell).
    ``tables`` and ``notices`` come from ``read_records``; ``categories`` maps platform categories.
    Up to ``collect_limit`` promotions and rooms together are checked on the driver, more in Spark;
    up to ``broadcast_limit`` merchants travel with every task, more are joined to their products.
    """
    options = Options(config, tuple(select), tuple(ignore), engine, platform, now or datetime.now(CHINA_TZ), lang,
                      tuple(sorted((categories or {}).items())))
    if "table" not in records.columns:
        records = records.withColumn("table", F.lit(-1))
    # the few records that are not products, kept after the one scan that counts them: collecting them
    # and joining them read the cache, not the input again
    non_products = records.filter(F.col("kind") != "product").persist(StorageLevel.MEMORY_AND_DISK)
    counts = {row.kind: row["count"] for row in non_products.groupBy("kind").count().collect()}
    joined = joined_parts(counts, collect_limit, broadcast_limit)
    if joined:  # its steps are a module of their own, which imports this one
        from guard import spark_join
    joined_kinds = [kind for kind in OTHER_KINDS if ("merchants" if kind == "merchant" else "references") in joined]
    small_kinds = [kind for kind in OTHER_KINDS if kind not in joined_kinds]
    collected = [kind for kind in small_kinds if counts.get(kind)]
    others = non_products.filter(F.col("kind").isin(*collected)).orderBy("seq").collect() if collected else []
    catalog = Catalog()
    other_problems = _parse_collected(others, catalog)
    rejected_others = catalog.rejected
    spark = records.sparkSession
    products = records.filter(F.col("kind") == "product")
    if any(_has_skus(table) for table in tables):  # read_records marked their rows with their SPU's id
        products = _gather_skus(products.select("seq", "file", "location", "table", "record", "spu"))
    products = products.select("seq", "file", "location", "table", "record")
    if history is not None or joined:
        from guard.spark_join import KEYS, key_batches

        # each product's id and merchant as the check reads them (a back end's shape, a padded or numeric
        # cell, an SPU's rows), for the history and the joins
        products = products.mapInArrow(key_batches(list(tables), dict(options.categories)),
                                       T.StructType([*products.schema.fields, *KEYS]))
    if history is not None:
        digest = history_digest(history, options.now)  # type: ignore[arg-type]
        products = products.join(digest, F.col("key") == digest.product, "left").drop("product")
    known_merchants: DataFrame | None = None
    survivors: DataFrame | None = None
    if joined:
        in_spark = spark_join.others_in_spark(non_products, joined_kinds)
        survivors = in_spark.survivors
        other_problems = sorted([*other_problems, *in_spark.problems], key=lambda pair: pair[0])
        rejected_others += in_spark.rejected
        if "merchants" in joined:
            known_merchants = spark_join.merchant_winners(survivors)
            only = known_merchants.select("merchant_id").limit(2).collect()
            merchant_key = F.col("merchant_key")
            if len(only) == 1:  # a product naming no merchant is the one merchant's
                merchant_key = F.coalesce(merchant_key, F.lit(only[0].merchant_id))
            products = products.withColumn("merchant_join", merchant_key) \
                .join(known_merchants, F.col("merchant_join") == F.col("merchant_id"), "left") \
                .drop("merchant_join", "merchant_id")
        if "references" in joined:
            wanted = survivors.filter(F.col("kind") != "merchant").select(F.explode("wanted").alias("wanted_id")) \
                .distinct().withColumn("wanted", F.lit(True))
            products = products.join(wanted, F.col("key") == F.col("wanted_id"), "left").drop("wanted_id")
    referenced = catalog.referenced()
    outcome = products.mapInArrow(_check_batches(options, catalog.merchants, referenced, list(tables), joined),
                                  _OUTCOME).persist(StorageLevel.MEMORY_AND_DISK)
    read = outcome.count() + sum(counts.values())
    duplicates = _duplicates(outcome)
    kept = outcome.join(F.broadcast(spark.createDataFrame([(seq,) for seq in duplicates], "seq long")), "seq", "left_anti")
    findings = kept.select("seq", F.posexplode("findings").alias("index", "line")) \
        .select("seq", "index", F.from_json("line", FINDING_SCHEMA).alias("finding")).select("seq", "index", "finding.*")

    def every_merchant() -> list[str]:
        assert known_merchants is not None
        return [row.merchant_id for row in known_merchants.select("merchant_id").collect()]

    product_problems, product_late, rejected = _problems(outcome, duplicates,
                                                         every_merchant if known_merchants is not None else None)
    problems = [*notices, *(problem for _, problem in other_problems), *product_problems, *product_late]
    rejected += rejected_others + len(product_late)
    if survivors is not None and "references" in joined:
        checked = spark_join.references_in_spark(kept, survivors, history, options) \
            .persist(StorageLevel.MEMORY_AND_DISK)
        late = [InputProblem(**json.loads(row.late)) for row in
                sorted(checked.filter(F.col("late").isNotNull()).select("seq", "late").collect(), key=lambda row: row.seq)]
        lines = checked.filter(F.col("finding").isNotNull()).select("seq", F.lit(0).alias("index"), "finding")
    else:
        found, late = _driver_references(kept, catalog, referenced, history, options)
        lines = spark.createDataFrame([(2 * _SEQ_PER_FILE * 1000 + i, 0, finding_line(f)) for i, f in enumerate(found)],
                                      "seq long, index int, finding string")
    findings = findings.unionByName(
        lines.select("seq", "index", F.from_json("finding", FINDING_SCHEMA).alias("finding")).select("seq", "index",
                                                                                                     "finding.*"))
    problems.extend(late)
    return SparkResult(findings.drop("seq", "index"), [p for p in problems if not p.warning], read,
                       rejected + len(late), joined, [p for p in problems if p.warning])


def _driver_references(kept: DataFrame, catalog: Catalog, referenced: frozenset[str], history: DataFrame | None,
                       options: Options) -> tuple[list[Finding], list[InputProblem]]:
    """Promotions and rooms (collected) checked on the driver against the products they name, re-read here."""
    if not catalog.promotions and not catalog.rooms:
        return [], []
    ruleset, runner = _rules(options)
    referenced_rows = sorted(kept.filter(F.col("record").isNotNull()).select("seq", "id", "file", "location", "record")
                             .toLocalIterator(), key=lambda row: row.seq)  # a partition at a time, not all at once
    full = _full_history(history, referenced) if history is not None else {}
    categories = dict(options.categories)
    models = [ProductRef.of(product) for product, _, _ in parse_records(
        [_with_history(_item(row.file, row.location, row.record, categories),
                       full.get(row.id, []) if history is not None else None)
         for row in referenced_rows]).products]
    found, late, _ = check_references(models, merchants=catalog.merchants, promotions=catalog.promotions,
                                      rooms=catalog.rooms, ruleset=ruleset, engine=runner, platform=options.platform,
                                      now=options.now or datetime.now(CHINA_TZ), lang=options.lang)
    return found, late


def ranked(frame: DataFrame, *keys: str) -> DataFrame:
    """``frame`` with each record's ``rank`` among the records of its ``keys`` in input order (1: the first)
    and where the first of them is (``first_at``: file and location), as a repeated id is told."""
    window = Window.partitionBy(*keys).orderBy("seq")
    return frame.withColumn("rank", F.row_number().over(window)) \
        .withColumn("first_at", F.first(F.concat_ws(" ", "file", "location")).over(window))


def _duplicates(outcome: DataFrame) -> dict[int, InputProblem]:
    """Valid records whose id an earlier valid record has (found with a window over the id, on the ids alone)."""
    repeats = ranked(outcome.filter(F.col("id").isNotNull()).select("seq", "id", "file", "location"), "id")
    return {row.seq: InputProblem(row.file, row.location, "$.id", f"duplicate product id {row.id!r} (first at {row.first_at})",
                                  row.id)
            for row in repeats.filter(F.col("rank") > 1).collect()}


def _problems(outcome: DataFrame, duplicates: dict[int, InputProblem],
              known_merchants: Callable[[], list[str]] | None) -> tuple[list[InputProblem], list[InputProblem], int]:
    """The products' problems in input order (read problems and duplicates), their unresolved merchants, and how
    many records the first reject. ``known_merchants`` (merchants joined): every merchant id, for the message of
    an unknown one, which the executors could not list."""
    rows = outcome.filter(F.col("problems").isNotNull() | F.col("late").isNotNull()) \
        .select("seq", "problems", "late", "merchant").collect()
    by_seq = {row.seq: row for row in rows}
    problems: list[InputProblem] = []
    late: list[InputProblem] = []
    rejected = 0
    known: list[str] | None = None
    for seq in sorted({*by_seq, *duplicates}):
        row = by_seq.get(seq)
        if row is not None and row.problems:
            problems.extend(InputProblem(**p) for p in json.loads(row.problems))
            rejected += 1
        elif seq in duplicates:
            problems.append(duplicates[seq])
            rejected += 1
        elif row is not None and row.late:
            for problem in (InputProblem(**p) for p in json.loads(row.late)):
                if known_merchants is not None and problem.path == "$.merchant" and row.merchant is not None:
                    known = known_merchants() if known is None else known
                    problem = replace(problem, message=unknown_merchant(row.merchant, known))
                late.append(problem)
    return problems, late, rejected


def read_back(spark: SparkSession, directory: str | Path, fmt: str = "jsonl") -> dict[str, int]:
    """How many findings of each tier ``write`` put in ``directory``."""
    reader = spark.read.schema(FINDING_SCHEMA)
    table = reader.json(str(directory)) if fmt == "jsonl" else reader.parquet(str(directory))
    return {row.tier: row["count"] for row in table.groupBy("tier").count().collect()}


def write(result: SparkResult, directory: str | Path, fmt: str = "jsonl") -> None:
    """Write the findings as JSON-lines part files (``jsonl``) or Parquet into ``directory``."""
    if fmt == "jsonl":
        result.findings.write.mode("overwrite").json(str(directory))
    elif fmt == "parquet":
        result.findings.write.mode("overwrite").parquet(str(directory))
    else:
        raise ValueError(f"format {fmt!r}: Spark writes jsonl or parquet")

