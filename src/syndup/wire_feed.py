"""Candidate pairs from a wire's own feed: versions of one wire story that LSH does not pair.

A wire re-files its main story of the day many times (write-throughs); each version keeps
its dateline ("DETROIT (AP)") and writes a new top, so versions a few write-throughs apart
share too little text for the body index (Jaccard under its threshold) and outlets print
whichever version they caught. Every version is on the wire's own feed, so the chain's
spine is there: this index pairs each article that carries a wire dateline with the rows
of that wire's feed (its outlet in ``ClusterConfig.wire_outlets``) under the same wire and
dateline city, published within ``LSHConfig.wire_feed_hours``. It only proposes pairs;
the rules decide (``write_through_wire_city`` and the other version rules need shared
narrative, the same wire and city, hours apart).

Trade-offs: a wire files many stories a day from one city, so most pairs are rejected
(at 100k realistic rows ~0.45M pairs more to verify, most cheap, decided on MinHash
estimates); the pair count grows with the feed's stories per city and day, not with the
corpus. Feed rows under ``wire_feed_min_shingles`` (120: about six paragraphs) are no
spine: a short filing (a daily notice such as a T-bill auction result, ~100 shingles, or a
brief) is not re-written through the day, while its template is filed by several desks
in the same words (an OCR'd notice breaks words and gains distinct shingles, hence the
margin). Copies that strip the dateline are reached only through the versions they copy.
"""

from __future__ import annotations

import numpy as np
import polars as pl

#: The docs columns ``feed_pairs`` reads.
COLUMNS = ("outlet", "wire", "dateline_city", "published", "body_shingles", "usable")


def feed_pairs(
    docs: pl.DataFrame,
    *,
    feeds: tuple[str, ...],
    hours: float,
    min_shingles: int,
) -> np.ndarray:
    """Distinct pairs ``(a, b)``, ``a < b``, of rows of ``docs`` as sorted uint64 codes
    ``a << 32 | b`` (as ``lsh.signature_candidates``): one side a feed row (its outlet one
    of ``feeds``, case-insensitive, with ``min_shingles`` or more body shingles), both with
    a body and the same wire and dateline city, published at most ``hours`` apart.

    Rows are bucketed by ``hours``-long time slots; a feed row meets the rows of its own
    slot and of the two beside it, then the exact time difference decides (so the pairs
    do not depend on the row order)."""
    empty = np.zeros(0, dtype=np.uint64)
    if hours <= 0 or not docs.height or not set(COLUMNS) <= set(docs.columns):
        return empty
    width = int(hours * 3_600_000_000)
    lower = [f.lower() for f in feeds]
    rows = (
        docs.select(
            pl.int_range(pl.len(), dtype=pl.Int64).alias("r"),
            "wire",
            "dateline_city",
            pl.col("published").dt.cast_time_unit("us").cast(pl.Int64).alias("t"),
            (
                pl.col("outlet").fill_null("").str.to_lowercase().is_in(lower)
                & (pl.col("body_shingles") >= min_shingles)
            ).alias("feed"),
            (
                pl.col("usable")
                & (pl.col("body_shingles") > 0)
                & (pl.col("wire") != "")
                & (pl.col("dateline_city") != "")
                & pl.col("published").is_not_null()
            ).alias("ok"),
        )
        .filter("ok")
        .with_columns((pl.col("t") // width).alias("slot"))
    )
    feed = rows.filter("feed")
    if not feed.height:
        return empty
    near = feed.select(
        pl.col("r").alias("f"), "wire", "dateline_city", "slot", pl.col("t").alias("tf")
    )
    near = pl.concat([near.with_columns(pl.col("slot") + step) for step in (-1, 0, 1)])
    pairs = (
        near.join(
            rows.select("r", "wire", "dateline_city", "slot", "t"),
            on=["wire", "dateline_city", "slot"],
        )
        .filter((pl.col("f") != pl.col("r")) & ((pl.col("t") - pl.col("tf")).abs() <= width))
        .select(
            pl.min_horizontal("f", "r").cast(pl.UInt64) * pl.lit(1 << 32, dtype=pl.UInt64)
            + pl.max_horizontal("f", "r").cast(pl.UInt64)
        )
        .to_series()
    )
    return pairs.unique().sort().to_numpy()
