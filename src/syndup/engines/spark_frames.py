"""DataFrame plumbing for the Spark engine: reading with input positions, Arrow schemas,
deterministic row numbers, persisting, connected components. Nothing here knows the
pipeline's stages (see ``spark_stages``); nothing collects article data to the driver.
"""

from __future__ import annotations

import glob
import logging
import os
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

import polars as pl
import pyarrow as pa

from syndup.errors import InputError

if TYPE_CHECKING:  # pragma: no cover
    from pyspark.sql import DataFrame, SparkSession

log = logging.getLogger("syndup")

MAX_STAR_ROUNDS = 64
FORMATS = {"parquet": "parquet", "jsonl": "jsonl", "ndjson": "jsonl"}


# ---------------------------------------------------------------------- reading
def read_raw(spark: SparkSession, path: str, fmt: str) -> DataFrame:
    """The input's own columns plus ``_row`` (1-based row of its file: Parquet row, JSONL
    line counting blank lines, as the local reader numbers them) and, when several files
    are read, ``_path`` (the path as given, relative when the argument was relative).

    JSONL is read as text lines so each line keeps its number: lines are numbered within
    each file split as they are read, and each split's offset is the count of the lines
    before it in its file (one small aggregate per split, no article data on the driver);
    each line is then parsed with the schema Spark infers from the files."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    place = F.col("_metadata.file_path")
    if fmt == "parquet":
        raw = spark.read.parquet(path)
        raw = raw.select("*", (F.col("_metadata.row_index") + 1).alias("_row"), place.alias("_f"))
    else:
        schema = spark.read.json(path).schema
        lines = spark.read.text(path).select(
            "value", place.alias("_f"), F.col("_metadata.file_block_start").alias("_block")
        )
        # Deterministic: a split's lines always arrive in order, so two reads agree.
        numbered = lines.mapInArrow(
            _number_lines, "value string, _f string, _block long, _pos long"
        )
        blocks = numbered.groupBy("_f", "_block").agg(F.count("*").alias("_n"))
        before = (
            Window.partitionBy("_f").orderBy("_block").rowsBetween(Window.unboundedPreceding, -1)
        )
        blocks = blocks.select(
            "_f", "_block", F.coalesce(F.sum("_n").over(before), F.lit(0)).alias("_at")
        )
        raw = (
            numbered.join(F.broadcast(blocks), ["_f", "_block"])
            .filter(F.trim("value") != "")  # the local reader skips blank lines too
            .select(
                F.from_json("value", schema).alias("_j"),
                (F.col("_at") + F.col("_pos") + 1).alias("_row"),
                "_f",
            )
            .select("_j.*", "_row", "_f")
        )
    files = raw.inputFiles()
    if len(files) <= 1:
        return raw.drop("_f")
    names = {_uri_path(f): _display(f, path) for f in files}
    to_name = F.create_map(*[F.lit(x) for kv in names.items() for x in kv])
    return raw.withColumn("_path", to_name[_uri_path_col(F.col("_f"))]).drop("_f")


def _number_lines(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
    """Each line's position in its file split (a task reads a split's lines in order)."""
    seen: dict[tuple[str, int], int] = {}
    for batch in batches:
        files = batch.column("_f").to_pylist()
        blocks = batch.column("_block").to_pylist()
        pos = []
        for key in zip(files, blocks):
            at = seen.get(key, 0)
            pos.append(at)
            seen[key] = at + 1
        yield pa.RecordBatch.from_arrays(
            [*batch.columns, pa.array(pos, pa.int64())], names=[*batch.schema.names, "_pos"]
        )


def _uri_path(uri: str) -> str:
    """``file:///a/b`` and ``file:/a/b`` -> ``/a/b``; other schemes unchanged."""
    if uri.startswith("file:"):
        rest = uri[5:]
        return "/" + rest.lstrip("/")
    return uri


def _uri_path_col(col: Any) -> Any:
    from pyspark.sql import functions as F

    return F.when(col.startswith("file:"), F.regexp_replace(col, "^file:/*", "/")).otherwise(col)


def _display(uri: str, given: str) -> str:
    """A file's name as the local reader would print it: relative if ``given`` was."""
    path = _uri_path(uri)
    if uri.startswith("file:") and not os.path.isabs(given) and "://" not in given:
        return os.path.relpath(path)
    return path


def format_of(path: str) -> str:
    """parquet or jsonl, from the suffix of the path or of the files it names."""
    names = [path]
    if os.path.isdir(path):
        names = [f for f in os.listdir(path) if not f.startswith(("_", "."))]
    elif glob.has_magic(path):
        names = glob.glob(path)
    for name in names:
        low = name.lower().removesuffix(".gz")
        if low.endswith((".parquet", ".pq")):
            return "parquet"
        if low.endswith((".jsonl", ".ndjson", ".json")):
            return "jsonl"
    raise InputError("cannot tell the format: use .parquet or .jsonl files", file=path)


# ---------------------------------------------------------------------- Arrow
def table(frame: pl.DataFrame, schema: pa.Schema) -> pa.Table:
    """A polars frame as an Arrow table of exactly the Spark-declared types."""
    out = frame.with_columns(pl.col(pl.Categorical).cast(pl.String)).to_arrow()
    return out.cast(schema)


def batches(frame: pl.DataFrame, schema: pa.Schema) -> Iterator[pa.RecordBatch]:
    yield from table(frame, schema).to_batches()


def arrow(schema: Any) -> pa.Schema:
    """The Arrow schema Spark expects for a DDL string or StructType (driver side)."""
    from pyspark.sql.pandas.types import to_arrow_schema
    from pyspark.sql.types import _parse_datatype_string

    struct = _parse_datatype_string(schema) if isinstance(schema, str) else schema
    return to_arrow_schema(struct, timezone="UTC")


def plain(schema: pa.Schema) -> pa.Schema:
    """Large/view string and binary types as their plain forms (what Spark maps)."""
    swap = {pa.large_string(): pa.string(), pa.large_binary(): pa.binary()}
    if hasattr(pa, "string_view"):
        swap |= {pa.string_view(): pa.string(), pa.binary_view(): pa.binary()}
    return pa.schema([f.with_type(swap.get(f.type, f.type)) for f in schema])


def chunks(batches_: Iterator[pa.RecordBatch], rows: int) -> Iterator[pa.Table]:
    """Incoming batches regrouped into tables of at least ``rows`` rows (the last may be
    smaller): one Python call per chunk amortises a stage's fixed cost per call."""
    buf: list[pa.RecordBatch] = []
    n = 0
    for batch in batches_:
        buf.append(batch)
        n += batch.num_rows
        if n >= rows:
            yield pa.Table.from_batches(buf)
            buf, n = [], 0
    if buf:
        yield pa.Table.from_batches(buf)


def whole_partition(batches_: Iterator[pa.RecordBatch]) -> pl.DataFrame | None:
    """Every batch of one partition as one frame (None when the partition is empty)."""
    parts = list(batches_)
    if not parts:
        return None
    frame = pl.from_arrow(pa.Table.from_batches(parts))
    assert isinstance(frame, pl.DataFrame)
    return frame


# ---------------------------------------------------------------------- rows
def buckets(spark: SparkSession, column: str) -> Any:
    """A grouping column that keeps every row of one ``column`` value together, with as
    many groups as shuffle partitions (one Python call per group, not per value)."""
    from pyspark.sql import functions as F

    groups = int(spark.conf.get("spark.sql.shuffle.partitions") or 200)
    return F.pmod(F.xxhash64(column), F.lit(groups)).alias("_bucket")


def persist(df: DataFrame) -> DataFrame:
    """Materialise once (memory, spilling to disk) and cut the lineage."""
    return df.localCheckpoint(eager=True)


def ranked(df: DataFrame, order: Sequence[Any], name: str) -> DataFrame:
    """``df`` with ``name`` = 0..n-1 in ``order`` (a total order): a distributed sort, then
    each partition's rows numbered from the partition's offset (only the per-partition
    counts reach the driver)."""
    from pyspark import TaskContext
    from pyspark.sql import functions as F
    from pyspark.sql.types import LongType, StructField, StructType

    ordered = persist(df.sort(*order))
    counts = dict(
        ordered.groupBy(F.spark_partition_id().alias("p")).count().collect()  # one row a partition
    )
    offsets, total = {}, 0
    for p in sorted(counts):
        offsets[p], total = total, total + counts[p]

    def number(batches_: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        ctx = TaskContext.get()
        at = offsets.get(ctx.partitionId() if ctx else 0, 0)
        for batch in batches_:
            keys = pa.array(range(at, at + batch.num_rows), pa.int64())
            at += batch.num_rows
            yield pa.RecordBatch.from_arrays(
                [*batch.columns, keys], names=[*batch.schema.names, name]
            )

    schema = StructType([*ordered.schema.fields, StructField(name, LongType(), False)])
    return persist(ordered.mapInArrow(number, schema))


def check_unique(std: DataFrame) -> None:
    from pyspark.sql import functions as F

    dup = std.groupBy("id").agg(F.count("*").alias("n")).filter("n > 1").limit(1).collect()
    if dup:
        raise InputError(f"duplicate id {dup[0]['id']!r} ({dup[0]['n']} rows)", field="id")


# ---------------------------------------------------------------------- components
def components(edges: DataFrame, stats: dict[str, Any] | None = None) -> DataFrame:
    """``(_key, _comp)`` for every node of ``edges`` (``a``, ``b``): the component's
    minimum key, by alternating large-star and small-star rounds until every edge points
    at its component's minimum (Kiveris et al., "Connected Components in MapReduce and
    Beyond", SoCC 2014; O(log^2 n) rounds in theory, a handful in practice)."""
    from pyspark.sql import functions as F

    e = persist(
        edges.select(F.least("a", "b").alias("u"), F.greatest("a", "b").alias("v"))
        .filter(F.col("u") != F.col("v"))
        .distinct()
    )  # u < v
    for rounds in range(1, MAX_STAR_ROUNDS + 1):
        # Large star: each node's larger neighbours attach to the minimum of its
        # neighbourhood (itself included).
        both = e.select(F.col("u").alias("x"), F.col("v").alias("y")).unionByName(
            e.select(F.col("v").alias("x"), F.col("u").alias("y"))
        )
        low = both.groupBy("x").agg(F.min("y").alias("m"))
        low = low.withColumn("m", F.least("m", "x"))
        large = (
            both.filter(F.col("y") > F.col("x"))
            .join(low, "x")
            .select(F.col("m").alias("u"), F.col("y").alias("v"))
            .filter(F.col("u") != F.col("v"))
            .distinct()
        )
        # Small star: each node and its smaller neighbours attach to the smallest of them.
        low2 = large.groupBy("v").agg(F.min("u").alias("m"))
        small = (
            large.join(low2, "v")
            .select(F.col("m").alias("u"), F.col("u").alias("v"))
            .unionByName(low2.select(F.col("m").alias("u"), F.col("v")))
            .filter(F.col("u") != F.col("v"))
            .distinct()
        )
        e = persist(small)
        # Converged when the edges are stars: no edge leads below an edge's smaller end,
        # and every larger end has one edge (so each component is one star on its minimum).
        chained = e.join(e.select(F.col("v").alias("u")), "u", "left_semi").limit(1).count()
        if not chained and not e.groupBy("v").count().filter("count > 1").limit(1).count():
            log.info("components: %d star rounds", rounds)
            if stats is not None:
                stats["star_rounds"] = rounds
            break
    else:  # pragma: no cover - theory bounds the rounds far below this
        raise RuntimeError("connected components did not converge")
    roots = e.select(F.col("u").alias("_key"), F.col("u").alias("_comp")).distinct()
    return e.select(F.col("v").alias("_key"), F.col("u").alias("_comp")).unionByName(roots)
