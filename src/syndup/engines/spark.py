"""The Spark engine: the same stage functions, executed by Apache Spark.

Every step is a Spark job over DataFrames; Python work runs in ``mapInArrow`` /
``applyInArrow`` tasks calling ``syndup.engines.tasks`` (which call the stage modules), and
no article data is collected to the driver (only learned boilerplate keys, a small table,
are broadcast, and per-partition row counts are read to number rows).

1. Read (parquet / JSONL paths, directories, globs) and standardise with ``read_corpus``'s
   rules per batch; rows numbered 0..n-1 in id order (``_key``), so every "first" (the
   boilerplate sample, LSH anchors, ties) means what it means locally.
2. Boilerplate learned from the per-outlet sample (grouped by paragraph key), broadcast.
3. Per article: normalise, sign (``prepare.sign_batch``); learned generic headlines per
   headline group (``prepare.learned_generic``).
4. Band keys per article (``lsh.band_keys``), exploded and grouped per bucket; a bucket's
   members are ranked by ``_key`` and each pairs with the first ``anchors`` (the rule of
   ``lsh.signature_candidates``).
5. Candidate pairs joined with both articles and verified (``verify.pair_features``,
   ``apply_rules``). Unlike the local engine, every candidate is verified.
6. Connected components of matched pairs by alternating large-star / small-star
   (Kiveris et al., SoCC 2014); each component labelled by its minimum ``_key``.
7. Whole components, grouped into buckets, through ``result.assemble`` (chaining guard,
   canonical, why each joined); clusters numbered by (size desc, canonical id) as locally.
"""

from __future__ import annotations

import glob
import logging
import os
import shutil
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import polars as pl
import pyarrow as pa

from syndup.config import Config
from syndup.engines import Engine, EngineError
from syndup.engines import tasks as T
from syndup.errors import InputError
from syndup.result import NO_TEXT
from syndup.verify import FEATURES

if TYPE_CHECKING:  # pragma: no cover
    from pyspark.sql import DataFrame, SparkSession

log = logging.getLogger("syndup")

INSTALL = "pip install 'syndup[spark]'"
FAST_JVM = "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC"
GROUP_ROWS = 20_000  # articles per cluster-stage group (whole components)
MAX_STAR_ROUNDS = 64


def _pyspark() -> Any:
    try:
        import pyspark
    except ImportError:
        raise EngineError(f"the Spark engine needs pyspark (Python >= 3.11): {INSTALL}") from None
    if not os.environ.get("JAVA_HOME") and shutil.which("java") is None:
        raise EngineError(
            "the Spark engine needs a Java 17 runtime: install one (e.g. apt-get install "
            "openjdk-17-jre-headless) and put java on PATH or set JAVA_HOME"
        )
    return pyspark


def session(master: str = "local[2]", conf: Mapping[str, str] | None = None) -> SparkSession:
    """A SparkSession tuned for quick start-up (C1 JIT, serial GC, no UI; few shuffle
    partitions in local mode). ``conf`` overrides any setting."""
    _pyspark()
    from pyspark.sql import SparkSession

    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    settings = {
        "spark.driver.extraJavaOptions": FAST_JVM,
        "spark.executor.extraJavaOptions": FAST_JVM,
        "spark.ui.enabled": "false",
        "spark.ui.showConsoleProgress": "false",
        "spark.sql.session.timeZone": "UTC",
        "spark.sql.execution.arrow.maxRecordsPerBatch": "2000",
        "spark.sql.adaptive.enabled": "true",
        "spark.python.worker.reuse": "true",
    }
    if master.startswith("local"):
        settings["spark.sql.shuffle.partitions"] = "8"
        settings["spark.default.parallelism"] = "4"
    settings.update(conf or {})
    builder = SparkSession.builder.master(master).appName("syndup")
    for k, v in settings.items():
        builder = builder.config(k, v)
    try:
        spark = builder.getOrCreate()
    except Exception as exc:  # the JVM did not start: say what is missing
        raise EngineError(f"Spark could not start ({str(exc).splitlines()[0]})") from None
    spark.sparkContext.setLogLevel("ERROR")
    return spark


@dataclass(frozen=True)
class SparkResult:
    """The Spark engine's tables, with the local ``Result``'s columns (Spark DataFrames)."""

    assignments: DataFrame
    clusters: DataFrame
    pairs: DataFrame
    rejects: DataFrame
    stats: dict[str, Any] = field(default_factory=dict)  # per-stage seconds, star rounds


class SparkEngine(Engine):
    """Runs the pipeline on Spark. ``SparkEngine(master="local[2]").run("corpus/*.parquet")``."""

    name = "spark"

    def __init__(
        self,
        *,
        master: str = "local[2]",
        conf: Mapping[str, str] | None = None,
        spark: SparkSession | None = None,
    ) -> None:
        _pyspark()  # fail early, naming what to install
        self._spark = spark
        self._options = (master, conf)

    @property
    def spark(self) -> SparkSession:
        """The session: the one given, else one started on first use."""
        if self._spark is None:
            self._spark = session(*self._options)
        return self._spark

    # ------------------------------------------------------------------ read / write
    def read(
        self,
        source: Any,
        *,
        format: str | None = None,
        columns: Mapping[str, str] | None = None,
        **options: Any,
    ) -> DataFrame:
        """Parquet or JSONL (a path, a directory or a glob), or a Spark DataFrame, as the
        standard columns (``read_corpus``'s aliases and checks, applied per batch)."""
        from pyspark.sql import DataFrame

        if isinstance(source, DataFrame):
            raw = source
            self._spark = self._spark or source.sparkSession
        else:
            path = os.fspath(source)
            fmt = _FORMATS.get(format or _format_of(path))
            if fmt is None:
                raise InputError("the Spark engine reads Parquet or JSONL", file=path)
            reader = self.spark.read
            raw = reader.parquet(path) if fmt == "parquet" else reader.json(path)
        schema = (
            "id string, headline string, body string, outlet string, url string, "
            "published timestamp"
        )
        target = _arrow(schema)

        def standardise(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
            for batch in batches:
                frame = pl.from_arrow(batch)
                assert isinstance(frame, pl.DataFrame)
                yield from _cast(T.standardise(frame, columns, **options), target)

        return raw.mapInArrow(standardise, schema)

    def write(self, result: Any, path: str | os.PathLike[str], *, format: str = "parquet") -> None:
        """Assignments as a directory of parquet (or JSON lines) part files."""
        writer = result.assignments.write.mode("overwrite")
        (writer.parquet if format == "parquet" else writer.json)(os.fspath(path))

    # ------------------------------------------------------------------ run
    def run(self, data: Any, *, config: Config | None = None, **read_opts: Any) -> SparkResult:
        from pyspark.sql import functions as F

        config = config or Config()
        stats: dict[str, Any] = {"seconds": {}}
        clock = [time.perf_counter()]

        def lap(stage: str) -> None:  # stages are persisted eagerly: their time is theirs
            now = time.perf_counter()
            stats["seconds"][stage] = round(now - clock[0], 2)
            log.info("%s: %.1fs", stage, now - clock[0])
            clock[0] = now

        self._schemas = _probe(config)
        std = _ranked(self.read(data, **read_opts), ["id"], "_key")
        _check_unique(std)
        lap("read")
        learned = self._learn(std, config)
        lap("learn")
        docs = _persist(self._sign(std, config, learned))
        docs = _persist(self._generic(docs))
        lap("normalise+signatures")
        candidates = _persist(self._candidates(docs, config))
        lap("candidates")
        pairs = _persist(self._verify(candidates, docs, config))
        lap("verify")
        edges = pairs.filter("matched").select("a", "b")
        comp = _persist(_components(edges, stats))
        lap("components")
        asg, clusters = self._clusters(docs, comp, pairs, config)
        lap("cluster")
        rejects = std.join(docs.filter(~F.col("usable")).select("_key"), "_key", "left_semi")
        rejects = rejects.drop("_key").withColumn("reason", F.lit(NO_TEXT))
        ids = docs.select("_key", "id")
        out_pairs = (
            pairs.join(ids.withColumnRenamed("_key", "a").withColumnRenamed("id", "id_a"), "a")
            .join(ids.withColumnRenamed("_key", "b").withColumnRenamed("id", "id_b"), "b")
            .withColumn("verified", F.lit(True))
            .withColumn("status", F.when(F.col("matched"), "matched").otherwise("rejected"))
            .select("id_a", "id_b", "index", *FEATURES, "rule", "matched", "verified", "status")
        )
        return SparkResult(asg, clusters, out_pairs, rejects, stats)

    def _learn(self, std: DataFrame, config: Config) -> Any:
        """Boilerplate keys from each outlet's first ``boilerplate_sample`` rows (in id
        order, as locally), learned per paragraph key; broadcast (a small table)."""
        from pyspark.sql import Window
        from pyspark.sql import functions as F

        ncfg = config.normalize
        if not ncfg.learn_boilerplate:
            return self.spark.sparkContext.broadcast(None)
        sample = std
        if ncfg.boilerplate_sample > 0:
            by_outlet = Window.partitionBy(F.coalesce("outlet", F.lit(""))).orderBy("_key")
            # Ranked on the narrow (key, outlet) columns; the sample's texts joined back.
            keys = (
                std.select("_key", "outlet")
                .withColumn("_n", F.row_number().over(by_outlet))
                .filter(F.col("_n") <= ncfg.boilerplate_sample)
                .select("_key")
            )
            sample = std.join(keys, "_key", "left_semi")

        view_target = _arrow(_VIEW_SCHEMA)
        keys_target = _arrow("_outlet string, _key long")

        def rows(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
            for batch in batches:
                frame = pl.from_arrow(batch)
                assert isinstance(frame, pl.DataFrame)
                yield from _cast(T.learning_rows(frame, config), view_target)

        view = sample.mapInArrow(rows, _VIEW_SCHEMA)

        def learn(table: pa.Table) -> pa.Table:
            frame = pl.from_arrow(table)
            assert isinstance(frame, pl.DataFrame)
            learned = T.learn(frame, config).select("_outlet", "_key")
            return _table(learned, keys_target)

        # Whole paragraph keys per group (learning counts within a key), many keys a call.
        keys = view.groupBy(_buckets(self.spark, "_key")).applyInArrow(
            learn, "_outlet string, _key long"
        )
        learned = pl.from_arrow(keys.toArrow())
        assert isinstance(learned, pl.DataFrame)
        return self.spark.sparkContext.broadcast(T.as_learned(learned))

    def _sign(self, std: DataFrame, config: Config, learned: Any) -> DataFrame:
        schema = self._schemas[0]
        target = _arrow(schema)

        def sign(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
            for batch in batches:
                frame = pl.from_arrow(batch)
                assert isinstance(frame, pl.DataFrame)
                yield from T.sign(frame, config, learned.value).cast(target).to_batches()

        return std.mapInArrow(sign, schema)

    def _generic(self, docs: DataFrame) -> DataFrame:
        """Headlines that top several different stories become generic (per headline)."""
        from pyspark.sql import functions as F

        target = _arrow("_key long")

        def flips(table: pa.Table) -> pa.Table:
            frame = pl.from_arrow(table)
            assert isinstance(frame, pl.DataFrame)
            return _table(T.generic_flips(frame), target)

        cols = ["_key", "headline_norm", "headline_generic", "body_words", "_slot"]
        flipped = (
            docs.filter((F.col("headline_norm") != "") & ~F.col("headline_generic"))
            .select(cols)
            .groupBy(_buckets(self.spark, "headline_norm"))  # whole headlines per group
            .applyInArrow(flips, "_key long")
            .withColumn("_flip", F.lit(True))
        )
        return (
            docs.join(flipped, "_key", "left")
            .withColumn("headline_generic", F.col("headline_generic") | F.col("_flip").isNotNull())
            .drop("_flip")
        )

    def _candidates(self, docs: DataFrame, config: Config) -> DataFrame:
        """Distinct pairs ``a < b`` (keys) sharing a bucket, by the anchor rule, with the
        local engine's index names (``_verify`` keeps the pairs of usable articles)."""
        from pyspark.sql import functions as F

        schema = "_key long, idx byte, bkey long, marked boolean"
        target = _arrow(schema)

        def bands(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
            for batch in batches:
                yield from _cast(T.band_rows(pa.Table.from_batches([batch]), config), target)

        cols = ["_key", "body_words", "headline_words", "headline_generic", *T.SIGS]
        rows = docs.select(cols).mapInArrow(bands, schema)
        # One bucket = one (index, band key); members in key order; the member at
        # position i < anchors pairs with every later member (lsh.signature_candidates).
        members = F.array_sort(F.collect_list(F.struct("_key", "marked")))
        buckets = rows.groupBy("idx", "bkey").agg(members.alias("m")).filter(F.size("m") > 1)
        anchors = config.lsh.anchors
        pair_list = F.expr(
            f"flatten(transform(slice(m, 1, {anchors}), (x, i) -> transform("
            "slice(m, i + 2, size(m)), y -> struct(x._key AS a, y._key AS b, "
            "x.marked OR y.marked AS marked))))"
        )
        pairs = (
            buckets.select("idx", F.explode(pair_list).alias("p"))
            .filter((F.col("idx") < 2) | F.col("p.marked"))
            .select(
                F.col("p.a").alias("a"),
                F.col("p.b").alias("b"),
                F.expr("shiftleft(1, cast(idx as int))").alias("f"),
            )
            .groupBy("a", "b")
            .agg(F.bit_or("f").alias("f"))
        )
        names = F.array(*[F.lit(n) for n in T.INDEX_NAMES])
        return pairs.withColumn("index", F.element_at(names, F.col("f").cast("int") + 1)).drop("f")

    def _verify(self, pairs: DataFrame, docs: DataFrame, config: Config) -> DataFrame:
        side = docs.filter("usable")  # pairs of usable articles only
        cols = side.columns
        joined = pairs.join(
            side.toDF(*[f"{c}_a" for c in cols]).withColumnRenamed("_key_a", "a"), "a"
        ).join(side.toDF(*[f"{c}_b" for c in cols]).withColumnRenamed("_key_b", "b"), "b")
        joined = joined.withColumn("_key_a", joined["a"]).withColumn("_key_b", joined["b"])

        schema = self._schemas[1]
        target = _arrow(schema)

        def verify(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
            for batch in batches:
                feats = T.verify(pa.Table.from_batches([batch]), config)
                yield from _cast(feats.select(_PAIR_COLUMNS), target)

        return joined.mapInArrow(verify, schema)

    def _clusters(
        self, docs: DataFrame, comp: DataFrame, pairs: DataFrame, config: Config
    ) -> tuple[DataFrame, DataFrame]:
        from pyspark.sql import functions as F

        usable = docs.filter("usable")
        n = usable.count()
        groups = max(1, -(-n // GROUP_ROWS))
        members = usable.join(comp, "_key", "left").withColumn("_comp", F.coalesce("_comp", "_key"))
        members = members.withColumn("_g", F.pmod(F.xxhash64("_comp"), F.lit(groups)))
        edges = (
            pairs.filter("matched")
            .join(comp.withColumnRenamed("_key", "a"), "a")
            .withColumn("_g", F.pmod(F.xxhash64("_comp"), F.lit(groups)))
            .drop("_comp")
        )

        target = _arrow(_ASG_SCHEMA)

        def build(left: pa.Table, right: pa.Table) -> pa.Table:
            out = T.cluster_group(left, right.drop_columns(["_g"]), config)
            return _table(out.select(_ASG_COLUMNS), target)

        built = _persist(
            members.groupBy("_g").cogroup(edges.groupBy("_g")).applyInArrow(build, _ASG_SCHEMA)
        )
        # Clusters numbered as locally: by size (desc), then canonical id, counting every
        # article's cluster (unusable articles are clusters of one there too).
        heads = built.filter("is_canonical").select(
            F.col("cluster_size").alias("_size"), F.col("id").alias("_canon")
        )
        unusable = docs.filter(~F.col("usable")).select(
            F.lit(1).cast("long").alias("_size"), F.col("id").alias("_canon")
        )
        numbered = _ranked(heads.unionByName(unusable), [F.desc("_size"), F.asc("_canon")], "_no")
        width = numbered.agg(F.count("*").alias("n")).select(
            F.greatest(F.lit(4), F.length(F.col("n").cast("string"))).alias("_w")
        )
        numbered = numbered.crossJoin(width).select(
            F.col("_canon").alias("canonical_id"),
            F.concat(F.lit("c"), F.lpad((F.col("_no") + 1).cast("string"), F.col("_w"), "0")).alias(
                "cluster_id"
            ),
        )
        labelled = built.join(numbered, "canonical_id")
        columns = [
            "id",
            "cluster_id",
            "cluster_size",
            "canonical_id",
            "is_canonical",
            "similarity",
            "rule",
            "evidence",
            "reason",
        ]
        no_text = docs.filter(~F.col("usable")).select(
            "id", *[F.lit(None).alias(c) for c in columns[1:-1]], F.lit(NO_TEXT).alias("reason")
        )
        asg = labelled.select(columns).unionByName(no_text)
        clusters = labelled.filter(F.col("is_canonical") & (F.col("cluster_size") > 1)).select(
            "cluster_id",
            F.col("cluster_size").alias("size"),
            "canonical_id",
            "decided_by",
            F.col("c_headline").alias("headline"),
            F.col("c_outlets").alias("outlets"),
            F.col("c_first").alias("first_published"),
            F.col("c_last").alias("last_published"),
        )
        return asg, clusters


def cluster_to_files(
    source: str,
    output: str | os.PathLike[str] | None,
    config: Config,
    master: str,
    conf: Sequence[str] | None,
    extra: Mapping[str, str | os.PathLike[str] | None],
    read_opts: Mapping[str, Any],
) -> None:
    """``syndup cluster --engine spark``: assignments to ``output`` (a directory of parquet
    part files), and ``extra`` tables (``rejects``, ``pairs``, ``clusters``) likewise."""
    if output is None or source == "-":
        raise EngineError("--engine spark reads files and writes a directory: give INPUT and -o")
    settings = {}
    for item in conf or ():
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise EngineError(f"--spark-conf takes key=value, got {item!r}")
        settings[key.strip()] = value.strip()
    engine = SparkEngine(master=master, conf=settings)
    result = engine.run(source, config=config, **read_opts)
    engine.write(result, output)
    for name, path in extra.items():
        if path is not None:
            getattr(result, name).write.mode("overwrite").parquet(os.fspath(path))
    log.info("wrote %s", output)


# ---------------------------------------------------------------------- helpers
_PAIR_COLUMNS = ["a", "b", "index", *FEATURES, "rule", "matched", "estimate"]
_ASG_COLUMNS = [
    "id",
    "cluster_size",
    "canonical_id",
    "is_canonical",
    "similarity",
    "rule",
    "evidence",
    "reason",
    "decided_by",
    "c_headline",
    "c_outlets",
    "c_first",
    "c_last",
]
_ASG_SCHEMA = (
    "id string, cluster_size long, canonical_id string, is_canonical boolean, "
    "similarity double, rule string, evidence string, reason string, decided_by string, "
    "c_headline string, c_outlets array<string>, c_first timestamp, c_last timestamp"
)


_FORMATS = {"parquet": "parquet", "jsonl": "jsonl", "ndjson": "jsonl"}
_VIEW_SCHEMA = "_doc long, _outlet string, _key long, _story long, _words long, _pos long"


def _table(frame: pl.DataFrame, schema: pa.Schema) -> pa.Table:
    """A polars frame as an Arrow table of exactly the Spark-declared types."""
    table = frame.with_columns(pl.col(pl.Categorical).cast(pl.String)).to_arrow()
    return table.cast(schema)


def _cast(frame: pl.DataFrame, schema: pa.Schema) -> Iterator[pa.RecordBatch]:
    yield from _table(frame, schema).to_batches()


def _arrow(schema: Any) -> pa.Schema:
    """The Arrow schema Spark expects for a DDL string or StructType (driver side)."""
    from pyspark.sql.pandas.types import to_arrow_schema
    from pyspark.sql.types import _parse_datatype_string

    struct = _parse_datatype_string(schema) if isinstance(schema, str) else schema
    return to_arrow_schema(struct, timezone="UTC")


def _probe(config: Config) -> tuple[Any, Any]:
    """Spark schemas of the docs and verified-pairs tables, read off the tasks' own output
    on two tiny articles (so a column added to a stage reaches Spark with no edit here)."""
    import datetime as dt

    from pyspark.sql.pandas.types import from_arrow_schema

    text = "The storm reached the coast on Monday night and closed the main roads."
    when = dt.datetime(2019, 1, 1, tzinfo=dt.timezone.utc)
    frame = pl.DataFrame(
        {
            "id": ["a", "b"],
            "headline": ["Storm closes coast roads", "Storm closes coast roads"],
            "body": [text, text + " Schools stayed open."],
            "outlet": ["x", "y"],
            "url": [None, None],
            "published": [when, when],
            "_key": [0, 1],
        },
        schema_overrides={"url": pl.String, "published": pl.Datetime("us", "UTC")},
    )
    docs = T.sign(frame, config, None)
    side = docs
    joined = pa.table({"a": [0], "b": [1], "index": ["body"]})
    for s, row in (("a", 0), ("b", 1)):
        for name in side.column_names:
            joined = joined.append_column(f"{name}_{s}", side.column(name).slice(row, 1))
    feats = T.arrow_ready(T.verify(joined, config).select(_PAIR_COLUMNS)).to_arrow()
    return from_arrow_schema(_plain(docs.schema)), from_arrow_schema(_plain(feats.schema))


def _plain(schema: pa.Schema) -> pa.Schema:
    """Large/view string and binary types as their plain forms (what Spark maps)."""
    swap = {pa.large_string(): pa.string(), pa.large_binary(): pa.binary()}
    if hasattr(pa, "string_view"):
        swap |= {pa.string_view(): pa.string(), pa.binary_view(): pa.binary()}
    return pa.schema([f.with_type(swap.get(f.type, f.type)) for f in schema])


def _format_of(path: str) -> str:
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


def _buckets(spark: SparkSession, column: str) -> Any:
    """A grouping column that keeps every row of one ``column`` value together, with as
    many groups as shuffle partitions (one Python call per group, not per value)."""
    from pyspark.sql import functions as F

    groups = int(spark.conf.get("spark.sql.shuffle.partitions") or 200)
    return F.pmod(F.xxhash64(column), F.lit(groups)).alias("_bucket")


def _persist(df: DataFrame) -> DataFrame:
    """Materialise once (memory, spilling to disk) and cut the lineage."""
    return df.localCheckpoint(eager=True)


def _ranked(df: DataFrame, order: Sequence[Any], name: str) -> DataFrame:
    """``df`` with ``name`` = 0..n-1 in ``order`` (a total order): a distributed sort, then
    each partition's rows numbered from the partition's offset (only the per-partition
    counts reach the driver)."""
    from pyspark import TaskContext
    from pyspark.sql import functions as F
    from pyspark.sql.types import LongType, StructField, StructType

    ordered = _persist(df.sort(*order))
    counts = dict(
        ordered.groupBy(F.spark_partition_id().alias("p")).count().collect()  # one row a partition
    )
    offsets, total = {}, 0
    for p in sorted(counts):
        offsets[p], total = total, total + counts[p]

    def number(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        ctx = TaskContext.get()
        at = offsets.get(ctx.partitionId() if ctx else 0, 0)
        for batch in batches:
            keys = pa.array(range(at, at + batch.num_rows), pa.int64())
            at += batch.num_rows
            yield pa.RecordBatch.from_arrays(
                [*batch.columns, keys], names=[*batch.schema.names, name]
            )

    schema = StructType([*ordered.schema.fields, StructField(name, LongType(), False)])
    return _persist(ordered.mapInArrow(number, schema))


def _check_unique(std: DataFrame) -> None:
    from pyspark.sql import functions as F

    dup = std.groupBy("id").agg(F.count("*").alias("n")).filter("n > 1").limit(1).collect()
    if dup:
        raise InputError(f"duplicate id {dup[0]['id']!r} ({dup[0]['n']} rows)", field="id")


def _components(edges: DataFrame, stats: dict[str, Any] | None = None) -> DataFrame:
    """``(_key, _comp)`` for every node of ``edges`` (``a``, ``b``): the component's
    minimum key, by alternating large-star and small-star rounds until every edge points
    at its component's minimum (Kiveris et al., "Connected Components in MapReduce and
    Beyond", SoCC 2014; O(log^2 n) rounds in theory, a handful in practice)."""
    from pyspark.sql import functions as F

    e = _persist(
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
        e = _persist(small)
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
