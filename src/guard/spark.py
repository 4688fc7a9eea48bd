"""Check catalogs on Apache Spark: the same rules, facts and engines, on Arrow batches.

    result = guard.spark.check(spark, ["products.jsonl"])        # files Spark reads
    result = guard.spark.check_frame(products_df, merchants=[...])  # a DataFrame of products
    result.findings.write.parquet("out/")                         # the fields of --format jsonl

Products are validated and checked on the executors (``mapInArrow``): each Python worker loads
the rule set and builds the engine once and keeps them for every batch it is given. A record
that fails validation becomes a problem with its file and location, as in one process, and the
rest of its batch goes on. Merchants, promotions and live rooms are few: they are collected to
the driver, merchants are shipped with the task, and promotions and rooms are checked on the
driver against the (few) products they reference. Duplicate product ids are found with a window
over the id, ordered by input position: the first valid record wins, as in one process.

Locations: JSON lines get ``line N`` as ``guard check`` gives them; Parquet and CSV rows get
``row N`` in the order Spark reads the file (CSV counting the header as row 1).

A warehouse export is read as it is. A CSV or Parquet table's column names go through the same
header reading as ``guard check``'s (Chinese names and aliases, units in brackets, a back end's
profile such as 微信小店's fields in fen, ``--columns``), and each row through the same cell
reading (lists, qualifications, 原价 beside 售价, platform categories). JSON-lines records in a
back end's own shape are adapted as in one process. What Spark reads row by row cannot do:
a CSV must be UTF-8 (or name its encoding to Spark) with its header on the first line, and each
row is a whole product: SKU columns give that row's one SKU (SKU rows of one SPU are not
gathered; give the SKUs as a JSON list in a ``skus`` column instead).
"""

from __future__ import annotations

import io
import json
import os
import sys
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from guard.errors import InputProblem
from guard.facts import REFERENCE_WINDOW
from guard.io.catalog import Catalog, parse_records
from guard.io.profiles import adapt_record, detect, detect_record, resolve_category
from guard.io.readers import (Columns, RawRecord, ReadItem, header_columns, ignored_notice, read_jsonl, row_record,
                              single_row_product)
from guard.model import CHINA_TZ
from guard.parallel import check_product_records, check_references
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
    """Findings as a DataFrame (the fields of ``--format jsonl``) and the input problems, in input order."""

    findings: DataFrame
    problems: list[InputProblem]
    read: int
    rejected: int


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
    item = replace(items[0], location=location)
    if isinstance(item, RawRecord) and item.kind == "product" and isinstance(item.data, dict):
        profile = detect_record(item.data)
        data = adapt_record(item.data, profile)[0] if profile is not None else item.data
        if categories and "category" in data:
            data = {**data, "category": resolve_category(data["category"], categories)}
        if data is not item.data:
            item = replace(item, data=data)
    return item


def _row_item(table: Columns, file: str, location: str, record: str,
              categories: Mapping[str, str] | None) -> RawRecord | None:
    """One CSV or Parquet row (its cells as a JSON object keyed by column position) as ``guard check``
    reads a table's row; None for a row with nothing in it, which one process skips too."""
    cells = json.loads(record)
    row = [cells.get(f"c{index}") for index in range(len(table.fields))]
    data = row_record(table, row, categories)
    if not data:
        return None
    return RawRecord("product", single_row_product(data), file, location, table.labels)


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


def _check_batches(options: Options, merchant_records: list[RawRecord], referenced: frozenset[str],
                   tables: Sequence[Columns]) -> Any:
    def run(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        ruleset, engine = _rules(options)
        merchants = parse_records(merchant_records).merchants
        now = options.now or datetime.now(CHINA_TZ)
        categories = dict(options.categories)
        for batch in batches:
            rows = batch.to_pylist()
            items = []
            records: dict[int, str] = {}  # as the driver re-reads a referenced product: JSON of the record read
            for row in rows:
                table = row.get("table", -1)
                if table is None or table < 0:
                    item: ReadItem | None = _item(row["file"], row["location"], row["record"], categories)
                    records[row["seq"]] = row["record"]
                else:
                    item = _row_item(tables[table], row["file"], row["location"], row["record"], categories)
                    if item is not None:
                        records[row["seq"]] = json.dumps(item.data, ensure_ascii=False, default=str)
                if item is not None:
                    items.append((row["seq"], _with_history(item, row.get("history"))))
            result = check_product_records(items, merchants=merchants, referenced=frozenset(), ruleset=ruleset,
                                           engine=engine, platform=options.platform, now=now, lang=options.lang)
            first_of: dict[str, int] = {}
            for seq, product_id in result.ids.items():
                first_of.setdefault(product_id, seq)
            out: dict[str, list[Any]] = {name: [] for name in _OUTCOME.names}
            for row in rows:
                seq = row["seq"]
                product_id = result.ids.get(seq)
                first = product_id is not None and first_of[product_id] == seq
                out["seq"].append(seq)
                out["file"].append(row["file"])
                out["location"].append(row["location"])
                out["record"].append(records.get(seq) if product_id in referenced else None)
                out["id"].append(product_id)
                out["problems"].append(_problems_json(result.problems.get(seq, [])))
                out["late"].append(_problems_json(result.late.get(product_id, [])) if first else None)
                out["findings"].append([finding_line(f) for f in result.findings[product_id]] if first else [])
            yield pa.RecordBatch.from_pydict(out, schema=_arrow_outcome())
    return run


def _arrow_outcome() -> pa.Schema:
    return pa.schema([("seq", pa.int64()), ("file", pa.string()), ("location", pa.string()), ("record", pa.string()),
                      ("id", pa.string()), ("problems", pa.string()), ("late", pa.string()),
                      ("findings", pa.list_(pa.string()))])


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
        builder = builder.config("spark.ui.enabled", "false").config("spark.driver.memory", "4g")
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
                .withColumn("table", F.lit(-1))
        elif suffix in (".parquet", ".csv"):
            table = spark.read.parquet(name) if suffix == ".parquet" else spark.read.option("header", True).csv(name)
            first_row = 2 if suffix == ".csv" else 1
            profile = detect(str(column).strip() for column in table.columns)
            header = header_columns(table.columns, columns, profile)
            if not any(header.fields):
                raise ValueError(f"{name}: none of its columns names a field guard reads (商品ID, 商品名称, 类目, 价格 …); "
                                 "on Spark a CSV must be UTF-8 with its header on the first line (no title rows): "
                                 "convert it, or check it without --spark")
            where = "row 1" if suffix == ".csv" else "columns"
            if profile is not None:
                notices.append(InputProblem(name, where, "$", f"read as {profile.en} ({profile.source})", warning=True,
                                            message_zh=f"按「{profile.zh}」格式读取（依据：{profile.source}）"))
            if header.ignored:
                notices.append(ignored_notice(name, where, header.ignored))
            cells = [F.col(f"`{column}`").alias(f"c{index}") for index, column in enumerate(table.columns)
                     if header.fields[index] is not None]
            rows = table.select(F.to_json(F.struct(*cells)).alias("record")).rdd.map(lambda row: row.record)
            frame = rows.zipWithIndex().map(
                lambda pair, n=number, f=name, r=first_row: (n * _SEQ_PER_FILE + pair[1], f, f"row {pair[1] + r}",
                                                             pair[0])).toDF("seq long, file string, location string, record string")
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


def check_frame(products: DataFrame, *, name: str = "<dataframe>", merchants: Sequence[Mapping[str, Any]] = (),
                promotions: Sequence[Mapping[str, Any]] = (), rooms: Sequence[Mapping[str, Any]] = (),
                **options: Any) -> SparkResult:
    """Check a DataFrame of products (columns named as guard's fields), with merchants, promotions and rooms as dicts."""
    rows = products.select(F.to_json(F.struct(*products.columns)).alias("record")).rdd.map(lambda row: row.record)
    records = rows.zipWithIndex().map(lambda pair: (pair[1], name, f"row {pair[1] + 1}", pair[0], "product", -1)) \
        .toDF("seq long, file string, location string, record string, kind string, table int")
    spark = products.sparkSession
    extra = [(_SEQ_PER_FILE + i, "<input>", f"$.{kind}s[{i}]", json.dumps(dict(item), ensure_ascii=False, default=str), kind, -1)
             for kind, items in (("merchant", merchants), ("promotion", promotions), ("live_room", rooms))
             for i, item in enumerate(items)]
    if extra:
        records = records.unionByName(spark.createDataFrame(extra, records.schema))
    return check_records(records, **options)


def check_records(records: DataFrame, *, config: str | Mapping[str, Any] | None = None, select: Sequence[str] = (),
                  ignore: Sequence[str] = (), engine: str | None = None, platform: str | None = None,
                  now: datetime | None = None, lang: str = "zh", history: DataFrame | None = None,
                  tables: Sequence[Columns] = (), notices: Sequence[InputProblem] = (),
                  categories: Mapping[str, str] | None = None) -> SparkResult:
    """Check records read by ``read_records``: findings as a DataFrame, problems in input order.

    ``history`` (columns product, at, price) is the products' price history as a table: it
    replaces any history in the records, and the 7-day low is found in Spark (``history_digest``).
    ``tables`` and ``notices`` come from ``read_records``; ``categories`` maps platform categories.
    """
    options = Options(config, tuple(select), tuple(ignore), engine, platform, now or datetime.now(CHINA_TZ), lang,
                      tuple(sorted((categories or {}).items())))
    if "table" not in records.columns:
        records = records.withColumn("table", F.lit(-1))
    others = [row for row in records.filter(F.col("kind") != "product").orderBy("seq").collect()]
    other_items = [_item(row.file, row.location, row.record) for row in others]
    other_items = [replace(item, kind=row.kind) if isinstance(item, RawRecord) else item  # a promotion's own "kind"
                   for row, item in zip(others, other_items)]
    catalog = Catalog()
    for file in dict.fromkeys(row.file for row in others):  # one parse per file, as guard check does
        parse_records([item for row, item in zip(others, other_items) if row.file == file], catalog)
    merchant_records = [item for item in other_items if isinstance(item, RawRecord) and item.kind == "merchant"]
    referenced: set[str] = set()
    for promo, _, _ in catalog.promotions:
        referenced.update(promo.products or [c.product for c in promo.components])
    for room, _, _ in catalog.rooms:
        referenced.update(item.product for item in room.products)
    frozen = frozenset(referenced)
    products = records.filter(F.col("kind") == "product").select("seq", "file", "location", "table", "record")
    if history is not None:
        digest = history_digest(history, options.now)  # type: ignore[arg-type]
        key = F.get_json_object("record", "$.id")
        for index, table in enumerate(tables):  # a table's id is in the column its header names
            if "id" in table.fields:
                key = F.when(F.col("table") == index, F.get_json_object("record", f"$.c{table.fields.index('id')}")) \
                    .otherwise(key)
        products = products.withColumn("key", key) \
            .join(digest, F.col("key") == digest.product, "left").select("seq", "file", "location", "table", "record",
                                                                         "history")
    outcome = products.mapInArrow(_check_batches(options, merchant_records, frozen, list(tables)), _OUTCOME) \
        .persist(StorageLevel.MEMORY_AND_DISK)
    read = outcome.count() + len(others)
    duplicates = _duplicates(outcome)
    spark = records.sparkSession
    kept = outcome.join(F.broadcast(spark.createDataFrame([(seq,) for seq in duplicates], "seq long")), "seq", "left_anti")
    findings = kept.select("seq", F.posexplode("findings").alias("index", "line")) \
        .select("seq", "index", F.from_json("line", FINDING_SCHEMA).alias("finding")).select("seq", "index", "finding.*")
    problems, rejected = _problems(outcome, duplicates, catalog)
    problems[:0] = notices
    ruleset, runner = _rules(options)
    referenced_rows = sorted(kept.filter(F.col("record").isNotNull()).select("seq", "id", "file", "location", "record")
                             .toLocalIterator(), key=lambda row: row.seq)  # a partition at a time, not all at once
    full = _full_history(history, frozen) if history is not None else {}
    models = parse_records([_with_history(_item(row.file, row.location, row.record, categories),
                                          full.get(row.id, []) if history is not None else None)
                            for row in referenced_rows]).products
    found, late, _ = check_references(models, merchants=catalog.merchants, promotions=catalog.promotions,
                                      rooms=catalog.rooms, ruleset=ruleset, engine=runner, platform=options.platform,
                                      now=options.now, lang=lang)
    problems.extend(late)
    if found:
        lines = spark.createDataFrame([(2 * _SEQ_PER_FILE * 1000 + i, 0, finding_line(f)) for i, f in enumerate(found)],
                                      "seq long, index int, line string")
        findings = findings.unionByName(
            lines.select("seq", "index", F.from_json("line", FINDING_SCHEMA).alias("finding")).select("seq", "index", "finding.*"))
    return SparkResult(findings.drop("seq", "index"), problems, read, rejected + len(late))


def _duplicates(outcome: DataFrame) -> dict[int, InputProblem]:
    """Valid records whose id an earlier valid record has (found with a window over the id, on the ids alone)."""
    by_id = Window.partitionBy("id").orderBy("seq")
    ranked = outcome.filter(F.col("id").isNotNull()).select("seq", "id", "file", "location") \
        .withColumn("rank", F.row_number().over(by_id)) \
        .withColumn("first_at", F.first(F.concat_ws(" ", "file", "location")).over(by_id))
    return {row.seq: InputProblem(row.file, row.location, "$.id", f"duplicate product id {row.id!r} (first at {row.first_at})",
                                  row.id)
            for row in ranked.filter(F.col("rank") > 1).collect()}


def _problems(outcome: DataFrame, duplicates: dict[int, InputProblem],
              catalog: Catalog) -> tuple[list[InputProblem], int]:
    """The input problems in input order: read problems, then duplicates, then products' unresolved merchants."""
    rows = outcome.filter(F.col("problems").isNotNull() | F.col("late").isNotNull()) \
        .select("seq", "problems", "late").collect()
    by_seq = {row.seq: row for row in rows}
    problems: list[InputProblem] = []
    late: list[InputProblem] = []
    rejected = catalog.rejected
    for seq in sorted({*by_seq, *duplicates}):
        row = by_seq.get(seq)
        if row is not None and row.problems:
            problems.extend(InputProblem(**p) for p in json.loads(row.problems))
            rejected += 1
        elif seq in duplicates:
            problems.append(duplicates[seq])
            rejected += 1
        elif row is not None and row.late:
            late.extend(InputProblem(**p) for p in json.loads(row.late))
    return [*catalog.problems, *problems, *late], rejected + len(late)


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

