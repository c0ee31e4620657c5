"""The Spark engine: the same stage functions, executed by Apache Spark.

Every step is a Spark job over DataFrames; Python work runs in ``mapInArrow`` /
``applyInArrow`` tasks calling ``syndup.engines.tasks`` (which call the stage modules), and
no article data is collected to the driver (only learned boilerplate keys, a small table,
are broadcast, and per-partition row counts are read to number rows). The stages are in
``spark_stages``, the DataFrame plumbing in ``spark_frames``.

1. Read (parquet / JSONL paths, directories, globs) with each row's input position
   (``row``, ``file``), and standardise with ``read_corpus``'s rules per batch; rows
   numbered 0..n-1 in id order (``_key``: a sort of the ids alone, joined back), so every
   "first" (the boilerplate sample, LSH anchors, ties) means what it means locally.
2. Boilerplate learned from the per-outlet sample (grouped by paragraph key), broadcast.
3. Per article: normalise, sign (``prepare.sign_batch``); learned generic headlines per
   headline group (``prepare.learned_generic``).
4. Band keys per article (``lsh.band_keys``) as two longs a band, hash-partitioned by
   bucket and paired per partition by the local engine's anchor kernel (a bucket's first
   ``anchors`` members pair with every later one); pairs merged across bands.
5. Candidate pairs joined with both articles' compact rows (signatures, facts; no body)
   and verified (``verify.pair_features``, ``apply_rules``); the pairs whose estimate is
   ambiguous are joined with the two bodies and verified again with the exact check.
   As in the local engine, every candidate is verified.
6. Connected components of matched pairs by alternating large-star / small-star
   (Kiveris et al., SoCC 2014); each component labelled by its minimum ``_key``.
7. Whole components, grouped into buckets, through ``result.assemble`` (chaining guard,
   canonical, why each joined); clusters numbered by (size desc, canonical id) as locally.
"""

from __future__ import annotations

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
from syndup.engines import spark_frames as S
from syndup.engines import spark_stages as stages
from syndup.engines import tasks as T
from syndup.errors import InputError
from syndup.io import STANDARD_COLUMNS
from syndup.result import NO_TEXT
from syndup.rules import FEATURES

if TYPE_CHECKING:  # pragma: no cover
    from pyspark.sql import DataFrame, SparkSession

log = logging.getLogger("syndup")

INSTALL = "pip install 'syndup[spark]'"
FAST_JVM = "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC"
STANDARD_SCHEMA = (
    "id string, headline string, body string, outlet string, url string, published timestamp"
)


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
        standard columns (``read_corpus``'s aliases and checks, applied per batch), then
        ``_row`` (1-based row of its file; null for a DataFrame) and, when several files
        are read, ``_path``."""
        from pyspark.sql import DataFrame
        from pyspark.sql import functions as F

        if isinstance(source, DataFrame):
            raw = source.withColumn("_row", F.lit(None).cast("long"))
            self._spark = self._spark or source.sparkSession
        else:
            path = os.fspath(source)
            fmt = S.FORMATS.get(format or S.format_of(path))
            if fmt is None:
                raise InputError("the Spark engine reads Parquet or JSONL", file=path)
            raw = S.read_raw(self.spark, path, fmt)
        schema = (
            STANDARD_SCHEMA + ", _row long" + (", _path string" if "_path" in raw.columns else "")
        )
        target = S.arrow(schema)

        def standardise(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
            for batch in batches:
                frame = pl.from_arrow(batch)
                assert isinstance(frame, pl.DataFrame)
                yield from S.batches(T.standardise(frame, columns, **options), target)

        return raw.mapInArrow(standardise, schema)

    def write(self, result: Any, path: str | os.PathLike[str], *, format: str = "parquet") -> None:
        """Assignments as a directory of parquet (or JSON lines) part files."""
        writer = result.assignments.write.mode("overwrite")
        (writer.parquet if format == "parquet" else writer.json)(os.fspath(path))

    # ------------------------------------------------------------------ run
    def run(self, data: Any, *, config: Config | None = None, **read_opts: Any) -> SparkResult:
        from pyspark.sql import functions as F

        config = config or Config()
        spark = self.spark
        stats: dict[str, Any] = {"seconds": {}, "cpu_seconds": {}}
        seen: dict[int, float] = {}  # pid -> CPU seconds last seen (workers come and go)
        clock = [time.perf_counter(), _tree_cpu(seen)]

        def lap(stage: str) -> None:  # stages are persisted eagerly: their time is theirs
            now, cpu = time.perf_counter(), _tree_cpu(seen)
            stats["seconds"][stage] = round(now - clock[0], 2)
            if cpu is not None and clock[1] is not None:
                stats["cpu_seconds"][stage] = round(cpu - clock[1], 1)
            log.info("%s: %.1fs", stage, now - clock[0])
            clock[:] = [now, cpu]

        docs_schema, pairs_schema = stages.probe(config)
        read = S.persist(self.read(data, **read_opts))
        S.check_unique(read)
        keys = S.ranked(read.select("id"), ["id"], "_key")  # a sort of the ids alone
        std = S.persist(read.join(keys, "id"))
        n = std.count()
        stats["articles"] = n
        lap("read")
        learned = stages.learn(spark, std, config)
        lap("learn")
        docs = S.persist(stages.generic(spark, stages.sign(std, config, learned, docs_schema)))
        lap("normalise+signatures")
        candidates = S.persist(stages.candidates(spark, docs, config, n))
        lap("candidates")
        pairs = S.persist(stages.verify(candidates, docs, config, pairs_schema))
        lap("verify")
        comp = S.persist(S.components(pairs.filter("matched").select("a", "b"), stats))
        lap("components")
        asg, clusters = stages.clusters(spark, docs, comp, pairs, config)
        place = [F.col("_row").alias("row")]
        if "_path" in std.columns:
            place.append(F.col("_path").alias("file"))
        asg = asg.join(std.select("id", *place), "id")
        lap("cluster")
        rejects = std.join(docs.filter(~F.col("usable")).select("_key"), "_key", "left_semi")
        rejects = rejects.select(*STANDARD_COLUMNS, *place, F.lit(NO_TEXT).alias("reason"))
        ids = docs.select("_key", "id")
        out_pairs = (
            pairs.join(ids.withColumnRenamed("_key", "a").withColumnRenamed("id", "id_a"), "a")
            .join(ids.withColumnRenamed("_key", "b").withColumnRenamed("id", "id_b"), "b")
            .withColumn("verified", F.lit(True))
            .withColumn("status", F.when(F.col("matched"), "matched").otherwise("rejected"))
            .select("id_a", "id_b", "index", *FEATURES, "rule", "matched", "verified", "status")
        )
        return SparkResult(asg, clusters, out_pairs, rejects, stats)


def _tree_cpu(seen: dict[int, float]) -> float | None:
    """User + system CPU seconds of this process and its children (in local mode the JVM
    and its Python workers), summed over every process ``seen`` so far (an exited worker
    keeps its last reading): a stage's work measured apart from the machine's load.
    Approximation: work done after a worker's last reading is missed. None without
    psutil (an optional dependency). Off a local master, executors are not counted."""
    try:
        import psutil
    except ImportError:
        return None
    me = psutil.Process()
    try:
        procs = [me, *me.children(recursive=True)]
    except psutil.Error:
        procs = [me]
    for p in procs:
        try:
            t = p.cpu_times()
            seen[p.pid] = t.user + t.system
        except psutil.Error:
            pass
    return sum(seen.values())


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
