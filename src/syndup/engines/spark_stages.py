"""The Spark engine's stages: each builds a DataFrame whose Python work runs in
``mapInArrow`` / ``applyInArrow`` tasks calling ``syndup.engines.tasks`` (which call the
stage modules). ``SparkEngine.run`` sequences them (see ``spark``'s step list).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import polars as pl
import pyarrow as pa

from syndup.config import Config
from syndup.engines import spark_frames as S
from syndup.engines import tasks as T
from syndup.result import ASSIGNED, EVIDENCE, NO_TEXT
from syndup.rules import FEATURES

if TYPE_CHECKING:  # pragma: no cover
    from pyspark.sql import DataFrame, SparkSession

GROUP_ROWS = 20_000  # articles per cluster-stage group (whole components)
VERIFY_ROWS = 20_000  # pairs per verification call (the rules' fixed cost is per call)
BAND_ROWS_PER_PARTITION = 2_000_000  # band rows one Python task pairs at once
PAIR_COLUMNS = ["a", "b", "index", *FEATURES, "rule", "matched", "estimate", "needs_text"]
ASG_COLUMNS = [
    *(c for c in ASSIGNED if c != "cluster_id"),  # cluster ids are given after the stage
    *EVIDENCE,
    "reason",
    "decided_by",
    "c_headline",
    "c_outlets",
    "c_first",
    "c_last",
]
ASG_SCHEMA = (
    "id string, cluster_size long, canonical_id string, is_canonical boolean, "
    "similarity double, rule string, evidence string, "
    + "".join(f"{c} float, " for c in EVIDENCE)
    + "reason string, decided_by string, "
    "c_headline string, c_outlets array<string>, c_first timestamp, c_last timestamp"
)
VIEW_SCHEMA = "_doc long, _outlet string, _key long, _story long, _words long, _pos long"


def learn(spark: SparkSession, std: DataFrame, config: Config) -> Any:
    """Boilerplate keys from each outlet's first ``boilerplate_sample`` rows (in id
    order, as locally), learned per paragraph key; broadcast (a small table)."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    ncfg = config.normalize
    if not ncfg.learn_boilerplate:
        return spark.sparkContext.broadcast(None)
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

    view_target = S.arrow(VIEW_SCHEMA)
    keys_target = S.arrow("_outlet string, _key long")

    def rows(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        for batch in batches:
            frame = pl.from_arrow(batch)
            assert isinstance(frame, pl.DataFrame)
            yield from S.batches(T.learning_rows(frame, config), view_target)

    view = sample.drop(*T.PLACE).mapInArrow(rows, VIEW_SCHEMA)

    def learned_keys(table: pa.Table) -> pa.Table:
        frame = pl.from_arrow(table)
        assert isinstance(frame, pl.DataFrame)
        frame = frame.drop("_all", strict=False)
        return S.table(T.learn(frame, config).select("_outlet", "_key"), keys_target)

    # One group: learning reads across keys (a page's other paragraphs decide which story
    # it is, furniture is tested by what else comes with it). The view is a capped sample
    # per outlet of short paragraphs' keys, so it grows with outlets, not with articles.
    keys = (
        view.withColumn("_all", F.lit(0))
        .groupBy("_all")
        .applyInArrow(learned_keys, "_outlet string, _key long")
    )
    learned = pl.from_arrow(keys.toArrow())
    assert isinstance(learned, pl.DataFrame)
    return spark.sparkContext.broadcast(T.as_learned(learned))


def sign(std: DataFrame, config: Config, learned: Any, schema: Any) -> DataFrame:
    """Per article: normalise and sign (``prepare.sign_batch``): one docs row each."""
    target = S.arrow(schema)

    def signed(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        for batch in batches:
            frame = pl.from_arrow(batch)
            assert isinstance(frame, pl.DataFrame)
            yield from T.sign(frame, config, learned.value).cast(target).to_batches()

    return std.drop(*T.PLACE).mapInArrow(signed, schema)


def generic(spark: SparkSession, docs: DataFrame) -> DataFrame:
    """Headlines that top several different stories become generic (per headline)."""
    from pyspark.sql import functions as F

    target = S.arrow("_key long")

    def flips(table: pa.Table) -> pa.Table:
        frame = pl.from_arrow(table)
        assert isinstance(frame, pl.DataFrame)
        return S.table(T.generic_flips(frame), target)

    cols = ["_key", "headline_norm", "headline_generic", "body_words", "_slot"]
    flipped = (
        docs.filter((F.col("headline_norm") != "") & ~F.col("headline_generic"))
        .select(cols)
        .groupBy(S.buckets(spark, "headline_norm"))  # whole headlines per group
        .applyInArrow(flips, "_key long")
        .withColumn("_flip", F.lit(True))
    )
    return (
        docs.join(flipped, "_key", "left")
        .withColumn("headline_generic", F.col("headline_generic") | F.col("_flip").isNotNull())
        .drop("_flip")
    )


def candidates(spark: SparkSession, docs: DataFrame, config: Config, n: int) -> DataFrame:
    """Distinct pairs ``a < b`` (keys) sharing a bucket, by the anchor rule, with the
    local engine's index names (``verify`` keeps the pairs of usable articles).

    Band rows (two longs per article and band) are computed per batch, hash-partitioned
    by bucket so every bucket is whole in one partition, and each partition is paired in
    one Python call by the local engine's kernel; pairs found in several partitions
    (several bands or indexes) are merged by one aggregation."""
    from pyspark.sql import functions as F

    bands_target = S.arrow("_key long, bk long")
    pairs_target = S.arrow("a long, b long, f int")

    def bands(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        for batch in batches:
            rows = T.band_rows(pa.Table.from_batches([batch]), config)
            yield from S.batches(rows, bands_target)

    def pairs_of(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        frame = S.whole_partition(batches)
        if frame is not None:
            yield from S.batches(T.bucket_pairs(frame, config), pairs_target)

    shuffle = int(spark.conf.get("spark.sql.shuffle.partitions") or 200)
    parts = max(shuffle, -(-n * T.bands_per_article(config) // BAND_ROWS_PER_PARTITION))
    cols = ["_key", "body_words", "headline_words", "headline_generic", *T.SIGS]
    rows = docs.select(cols).mapInArrow(bands, "_key long, bk long")
    pairs = rows.repartition(parts, F.shiftright("bk", 1)).mapInArrow(  # a bucket = bk >> 1
        pairs_of, "a long, b long, f int"
    )
    if config.lsh.wire_feed_hours > 0:
        # Versions through the wire's own feed (``syndup.wire_feed``): pairs form only
        # within one wire and dateline city, so each (wire, city) group is one call of
        # the local engine's function, spread over the executors.
        from syndup.wire_feed import COLUMNS

        def feed(table: pa.Table) -> pa.Table:
            frame = pl.from_arrow(table)
            assert isinstance(frame, pl.DataFrame)
            return T.feed_candidates(frame, config)

        feed_pairs = (
            docs.select("_key", "body_sig", *COLUMNS)
            .filter((F.col("wire") != "") & (F.col("dateline_city") != ""))
            .groupBy("wire", "dateline_city")
            .applyInArrow(feed, "a long, b long, f int")
        )
        pairs = pairs.unionByName(feed_pairs)
    pairs = pairs.groupBy("a", "b").agg(F.bit_or("f").alias("f"))
    names = F.array(*[F.lit(name) for name in T.INDEX_NAMES])
    return pairs.select("a", "b", F.element_at(names, F.col("f") + 1).alias("index"))


def verify(pairs: DataFrame, docs: DataFrame, config: Config, schema: Any) -> DataFrame:
    """Candidate pairs verified with the local engine's features and rules, in two
    passes: every pair joined with both articles' docs rows without the bodies (the
    large column); then the pairs that need text (``tasks.verify``: ambiguous MinHash
    estimates) joined with the bodies and verified again. The second pass's results
    replace the first's; the rest never read a body, so both passes agree with
    verifying everything with the bodies."""
    from pyspark.sql import functions as F

    target = S.arrow(schema)
    side = docs.filter("usable")  # pairs of usable articles only

    def joined(p: DataFrame, cols: list[str]) -> DataFrame:
        one = side.select(cols)
        out = p.join(one.toDF(*[f"{c}_a" for c in cols]).withColumnRenamed("_key_a", "a"), "a")
        out = out.join(one.toDF(*[f"{c}_b" for c in cols]).withColumnRenamed("_key_b", "b"), "b")
        return out.withColumn("_key_a", F.col("a")).withColumn("_key_b", F.col("b"))

    def verified(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        for chunk in S.chunks(batches, VERIFY_ROWS):
            feats = T.verify(chunk, config)
            yield from S.batches(feats.select(PAIR_COLUMNS), target)

    narrow = [c for c in side.columns if c != "body_clean"]
    first = S.persist(joined(pairs, narrow).mapInArrow(verified, schema))
    again = first.filter("needs_text").select("a", "b", "index")
    second = joined(again, side.columns).mapInArrow(verified, schema)
    return first.filter(~F.col("needs_text")).unionByName(second)


def clusters(
    spark: SparkSession, docs: DataFrame, comp: DataFrame, pairs: DataFrame, config: Config
) -> tuple[DataFrame, DataFrame]:
    """Whole components, grouped into buckets, through ``result.assemble`` (chaining
    guard, canonical, why each joined); clusters numbered by (size desc, canonical id)
    as locally. Returns (assignments without input positions, clusters)."""
    from pyspark.sql import functions as F

    usable = docs.filter("usable")
    n = usable.count()
    groups = max(1, -(-n // GROUP_ROWS))
    # Bodies are read back only for a display headline where the headline is blank.
    members = usable.withColumn(
        "body_clean", F.when(F.col("headline_words") == 0, F.col("body_clean")).otherwise("")
    )
    members = members.join(comp, "_key", "left").withColumn("_comp", F.coalesce("_comp", "_key"))
    members = members.withColumn("_g", F.pmod(F.xxhash64("_comp"), F.lit(groups)))
    edges = (
        pairs.filter("matched")
        .drop("needs_text")
        .join(comp.withColumnRenamed("_key", "a"), "a")
        .withColumn("_g", F.pmod(F.xxhash64("_comp"), F.lit(groups)))
        .drop("_comp")
    )
    target = S.arrow(ASG_SCHEMA)

    def build(left: pa.Table, right: pa.Table) -> pa.Table:
        out = T.cluster_group(left, right.drop_columns(["_g"]), config)
        return S.table(out.select(ASG_COLUMNS), target)

    built = S.persist(
        members.groupBy("_g").cogroup(edges.groupBy("_g")).applyInArrow(build, ASG_SCHEMA)
    )
    # Clusters numbered as locally: by size (desc), then canonical id, counting every
    # article's cluster (unusable articles are clusters of one there too).
    heads = built.filter("is_canonical").select(
        F.col("cluster_size").alias("_size"), F.col("id").alias("_canon")
    )
    unusable = docs.filter(~F.col("usable")).select(
        F.lit(1).cast("long").alias("_size"), F.col("id").alias("_canon")
    )
    numbered = S.ranked(heads.unionByName(unusable), [F.desc("_size"), F.asc("_canon")], "_no")
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
    columns = [*ASSIGNED, *EVIDENCE, "reason"]
    no_text = docs.filter(~F.col("usable")).select(
        "id",
        *[F.lit(None).cast(labelled.schema[c].dataType).alias(c) for c in columns[1:-1]],
        F.lit(NO_TEXT).alias("reason"),
    )
    asg = labelled.select(columns).unionByName(no_text)
    table = labelled.filter(F.col("is_canonical") & (F.col("cluster_size") > 1)).select(
        "cluster_id",
        F.col("cluster_size").alias("size"),
        "canonical_id",
        "decided_by",
        F.col("c_headline").alias("headline"),
        F.col("c_outlets").alias("outlets"),
        F.col("c_first").alias("first_published"),
        F.col("c_last").alias("last_published"),
    )
    return asg, table


def probe(config: Config) -> tuple[Any, Any]:
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
    joined = pa.table({"a": [0], "b": [1], "index": ["body"]})
    for s, row in (("a", 0), ("b", 1)):
        for name in docs.column_names:
            joined = joined.append_column(f"{name}_{s}", docs.column(name).slice(row, 1))
    feats = T.arrow_ready(T.verify(joined, config).select(PAIR_COLUMNS)).to_arrow()
    return from_arrow_schema(S.plain(docs.schema)), from_arrow_schema(S.plain(feats.schema))
