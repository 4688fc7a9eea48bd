"""The joined path of ``guard.spark``: merchants, promotions and rooms checked in Spark when they are many.

``guard.spark.check_records`` counts them first (``guard.spark.joined_parts``); above the limits it
uses these steps instead of collecting them to the driver:

- ``others_in_spark`` validates the records on the executors, one by one, and finds repeated ids
  with a window over (file, kind, id), as one process does per file;
- ``merchant_winners`` keeps per merchant id the record the catalog keeps (the last file's), and
  ``key_batches`` reads each product's id and merchant id, so products are joined to their merchant;
- ``references_in_spark`` explodes each promotion and room into the product ids it names, joins
  them with those products' first valid records, and with, for a promotion, every promotion naming
  its first product (they stack), groups them back and runs ``check_references`` per batch.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pyarrow as pa
from pyspark import StorageLevel
from pyspark.sql import DataFrame, Window
from pyspark.sql import functions as F
from pyspark.sql import types as T

from guard.errors import InputProblem
from guard.io.catalog import Catalog, parse_records
from guard.io.readers import Columns, RawRecord, ReadItem
from guard.model import CHINA_TZ
from guard.parallel import ProductRef, check_references
from guard.report.json import finding_line
from guard.spark import Options, _item, _other_item, _problems_json, _product_item, _rules, _with_history, ranked

KEYS = [T.StructField("key", T.StringType()), T.StructField("merchant_key", T.StringType())]
_PARSED = T.StructType([
    T.StructField("seq", T.LongType()),
    *(T.StructField(name, T.StringType()) for name in ("file", "location", "kind", "record", "id", "problems")),
    T.StructField("wanted", T.ArrayType(T.StringType())),
    T.StructField("refs", T.ArrayType(T.StringType())),
])
_CHECKED = T.StructType([T.StructField("seq", T.LongType()), T.StructField("finding", T.StringType()),
                         T.StructField("late", T.StringType())])


def _text(value: Any) -> str | None:
    return value.strip() if isinstance(value, str) else None  # as the models read an id


def key_batches(tables: Sequence[Columns], categories: Mapping[str, str]) -> Any:
    """Each product row with its id and merchant id as read (``key``, ``merchant_key``), for the joins."""
    def run(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        for batch in batches:
            ids: list[str | None] = []
            merchants: list[str | None] = []
            for row in batch.to_pylist():
                item, _ = _product_item(row, tables, categories)
                data = item.data if isinstance(item, RawRecord) and isinstance(item.data, dict) else {}
                ids.append(_text(data.get("id")))
                merchants.append(_text(data.get("merchant")))
            yield pa.RecordBatch.from_arrays([*batch.columns, pa.array(ids, pa.string()), pa.array(merchants, pa.string())],
                                             names=[*batch.schema.names, "key", "merchant_key"])
    return run


def _parse_others(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
    """Validate merchant, promotion and room records one by one: each one's id (or its problems) and the
    product ids it names (``wanted``: every one; ``refs``: a promotion's targets, which stack)."""
    for batch in batches:
        out: dict[str, list[Any]] = {name: [] for name in _PARSED.names}
        for row in batch.to_pylist():
            single = parse_records([_other_item(row["file"], row["location"], row["kind"], row["record"])])
            models = [*single.merchants.values(), *(m for m, _, _ in single.promotions), *(m for m, _, _ in single.rooms)]
            wanted: list[str] = []
            refs: list[str] = []
            if single.promotions:
                promo = single.promotions[0][0]
                wanted = [*promo.products, *(c.product for c in promo.components)]
                refs = list(promo.products or [c.product for c in promo.components])
            elif single.rooms:
                wanted = [item.product for item in single.rooms[0][0].products]
            for name in ("seq", "file", "location", "kind", "record"):
                out[name].append(row[name])
            out["id"].append(models[0].id if models else None)
            out["problems"].append(_problems_json(single.problems))
            out["wanted"].append(wanted)
            out["refs"].append(refs)
        yield pa.RecordBatch.from_pydict(out, schema=pa.schema([
            ("seq", pa.int64()), *((name, pa.string()) for name in ("file", "location", "kind", "record", "id", "problems")),
            ("wanted", pa.list_(pa.string())), ("refs", pa.list_(pa.string()))]))


@dataclass
class Others:
    """Merchants, promotions or rooms validated in Spark: the valid first records of each (file, kind, id), with the
    problems of the others in input order (each with its position)."""

    survivors: DataFrame
    problems: list[tuple[int, InputProblem]]
    rejected: int


def others_in_spark(records: DataFrame, kinds: Sequence[str]) -> Others:
    """Validate the records of ``kinds`` on the executors; their problems and repeats come back to the driver."""
    parsed = records.filter(F.col("kind").isin(*kinds)).select("seq", "file", "location", "kind", "record") \
        .mapInArrow(_parse_others, _PARSED)
    # as one process: ids are unique per file; kept after the window's shuffle: the problems, the merchants
    # and the references all read it
    repeats = ranked(parsed, "file", "kind", "id").persist(StorageLevel.MEMORY_AND_DISK)
    problems: list[tuple[int, InputProblem]] = []
    bad = repeats.filter(F.col("problems").isNotNull() | (F.col("rank") > 1)) \
        .select("seq", "file", "location", "kind", "id", "problems", "first_at").collect()
    for row in bad:
        if row.problems:  # invalid: no id, so never a repeat
            problems.extend((row.seq, InputProblem(**p)) for p in json.loads(row.problems))
        else:
            problems.append((row.seq, InputProblem(row.file, row.location, "$.id",
                                                   f"duplicate {row.kind} id {row.id!r} (first at {row.first_at})",
                                                   row.id)))
    survivors = repeats.filter(F.col("id").isNotNull() & (F.col("rank") == 1)).drop("rank", "first_at")
    return Others(survivors, problems, len(bad))


def merchant_winners(survivors: DataFrame) -> DataFrame:
    """Per merchant id, the record the catalog keeps, as ``load_catalog`` reads files: the first in its file,
    of the last file that has one."""
    latest = Window.partitionBy("id").orderBy(F.col("seq").desc())
    return survivors.filter(F.col("kind") == "merchant").withColumn("pick", F.row_number().over(latest)) \
        .filter(F.col("pick") == 1) \
        .select(F.col("id").alias("merchant_id"), F.col("file").alias("merchant_file"),
                F.col("location").alias("merchant_location"), F.col("record").alias("merchant_record"))


def _reference_batches(options: Options, history: bool) -> Any:
    """Check promotions and rooms, each row with the products it names (``library``) and, for a promotion,
    every promotion naming its first product (``stack``): ``check_references`` once per batch."""
    def run(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        ruleset, engine = _rules(options)
        now = options.now or datetime.now(CHINA_TZ)
        categories = dict(options.categories)
        for batch in batches:
            rows = sorted(batch.to_pylist(), key=lambda row: row["seq"])
            subjects = Catalog()
            library: dict[str, ReadItem] = {}
            stacks: dict[str, list[Any]] = {}
            parsed: dict[int, Any] = {}
            for row in rows:
                parse_records([_other_item(row["file"], row["location"], row["kind"], row["record"])], subjects)
                for entry in row["library"] or ():
                    if entry["pid"] not in library:
                        points = json.loads(entry["p_history"] or "[]") if history else None
                        library[entry["pid"]] = _with_history(
                            _item(entry["p_file"], entry["p_location"], entry["p_record"], categories), points)
                if row["stack"] and row["refs"][0] not in stacks:
                    stack = []
                    for entry in sorted(row["stack"], key=lambda e: (e["q_seq"], e["q_pos"])):
                        promo = parsed.get(entry["q_seq"])
                        if promo is None:
                            item = _other_item(entry["q_file"], entry["q_location"], "promotion", entry["q_record"])
                            promo = parsed[entry["q_seq"]] = parse_records([item]).promotions[0][0]
                        stack.append(promo)
                    stacks[row["refs"][0]] = stack
            products = [ProductRef.of(product) for product, _, _ in parse_records(library.values()).products]
            found, late, _ = check_references(products, merchants={}, promotions=subjects.promotions,
                                              rooms=subjects.rooms, ruleset=ruleset, engine=engine,
                                              platform=options.platform, now=now, lang=options.lang, stacks=stacks)
            where = {(row["file"], row["location"]): row["seq"] for row in rows}
            seqs = [rows[0]["seq"] if rows else 0] * len(found) + [where[(p.file, p.location)] for p in late]
            lines = [finding_line(f) for f in found] + [None] * len(late)
            problems = [None] * len(found) + [json.dumps(p.to_dict(), ensure_ascii=False) for p in late]
            yield pa.RecordBatch.from_pydict({"seq": seqs, "finding": lines, "late": problems}, schema=pa.schema(
                [("seq", pa.int64()), ("finding", pa.string()), ("late", pa.string())]))
    return run


def references_in_spark(kept: DataFrame, survivors: DataFrame, history: DataFrame | None,
                         options: Options) -> DataFrame:
    """Promotions and rooms checked on the executors: each joined with the products it names (their first
    valid records) and a promotion with the promotions that stack with it. Rows: (seq, finding, late)."""
    library = kept.filter(F.col("record").isNotNull()).select(
        F.col("id").alias("pid"), F.col("file").alias("p_file"), F.col("location").alias("p_location"),
        F.col("record").alias("p_record"))
    if history is not None:  # the whole history of the named products: a promotion's start is not the check's time
        points = history.select(F.col("product").cast("string").alias("product"),
                                F.struct(F.col("at").cast("string").alias("at"),
                                         F.col("price").cast("string").alias("price")).alias("point"))
        full = points.groupBy("product").agg(F.to_json(F.collect_list("point")).alias("p_history"))
        library = library.join(full, library.pid == full.product, "left").drop("product")
    else:
        library = library.withColumn("p_history", F.lit(None).cast("string"))
    subjects = survivors.filter(F.col("kind") != "merchant").select("seq", "file", "location", "kind", "record",
                                                                     "wanted", "refs")
    named = subjects.select("seq", F.explode(F.array_distinct("wanted")).alias("pid")).join(library, "pid") \
        .groupBy("seq").agg(F.collect_list(F.struct("pid", "p_file", "p_location", "p_record", "p_history"))
                            .alias("library"))
    promotions = subjects.filter(F.col("kind") == "promotion")
    naming = promotions.select(F.col("seq").alias("q_seq"), F.posexplode("refs").alias("q_pos", "pid"),
                               F.col("file").alias("q_file"), F.col("location").alias("q_location"),
                               F.col("record").alias("q_record"))
    stacks = promotions.filter(F.size("refs") > 0).select("seq", F.col("refs")[0].alias("pid")).join(naming, "pid") \
        .groupBy("seq").agg(F.collect_list(F.struct("q_seq", "q_pos", "q_file", "q_location", "q_record"))
                            .alias("stack"))
    return subjects.join(named, "seq", "left").join(stacks, "seq", "left") \
        .mapInArrow(_reference_batches(options, history is not None), _CHECKED)
