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
estimates); the pairs per article grow with the feed's stories per city within the
window, not with the corpus: a corpus holding a whole wire feed of a big city (hundreds
of stories a day) gives each article under that dateline hundreds of pairs, far more than
LSH does. The index finds the same pairs through stored keys per wire, city and time slot
(``feed_keys``); the Spark engine runs ``feed_pairs`` per wire and city.
Feed rows under ``wire_feed_min_shingles`` (120: about six paragraphs) are no spine: a
short filing (a daily notice such as a T-bill auction result, ~100 shingles, or a brief)
is not re-written through the day, while its template is filed by several desks in the
same words (an OCR'd notice breaks words and gains distinct shingles, hence the margin).
Copies that strip the dateline are reached only through the versions they copy.
"""

from __future__ import annotations

import numpy as np
import polars as pl
import xxhash

from syndup.signature import pair_jaccard

#: The docs columns ``feed_pairs`` reads.
COLUMNS = ("outlet", "wire", "dateline_city", "published", "body_shingles", "usable")


def on_feed(outlet: pl.Expr, feeds: tuple[str, ...]) -> pl.Expr:
    """True where ``outlet`` is one of ``feeds`` (a wire's own feed), case-insensitive."""
    return outlet.fill_null("").str.to_lowercase().is_in([f.lower() for f in feeds])


def _rows(
    docs: pl.DataFrame, *, feeds: tuple[str, ...], hours: float, min_shingles: int
) -> pl.DataFrame:
    """Row number, wire, city, time, ``feed`` flag and time ``slot`` of the rows that can
    take part (a body, a wire and a dateline city, a date); the one eligibility test both
    the batch search and the index's keys use."""
    width = int(hours * 3_600_000_000)
    return (
        docs.select(
            pl.int_range(pl.len(), dtype=pl.Int64).alias("r"),
            "wire",
            "dateline_city",
            pl.col("published").dt.cast_time_unit("us").cast(pl.Int64).alias("t"),
            (on_feed(pl.col("outlet"), feeds) & (pl.col("body_shingles") >= min_shingles)).alias(
                "feed"
            ),
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


def _key(kind: int, wire: np.ndarray, city: np.ndarray, slot: np.ndarray) -> np.ndarray:
    """Stable 64-bit keys of ``(kind, wire, city, slot)`` (xxh64 of the text, mixed with
    the slot): stored in an index, so no hash that may change between library versions."""
    pairs = {(w, c) for w, c in zip(wire.tolist(), city.tolist(), strict=True)}
    code = {wc: xxhash.xxh64_intdigest(f"{kind}\x1f{wc[0]}\x1f{wc[1]}".encode()) for wc in pairs}
    base = np.array(
        [code[wc] for wc in zip(wire.tolist(), city.tolist(), strict=True)], dtype=np.uint64
    )
    with np.errstate(over="ignore"):
        mixed = base ^ (slot.astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15))
    return mixed | np.uint64(1)  # 0 is "no key"


FEED, ANY = 1, 2  # key kinds: a feed row's entry / every eligible row's entry


def feed_keys(
    docs: pl.DataFrame,
    *,
    feeds: tuple[str, ...],
    hours: float,
    min_shingles: int,
) -> tuple[np.ndarray, np.ndarray]:
    """What an incremental index stores and looks up so that it finds every pair
    ``feed_pairs`` would give between a new row and a stored one: ``(entries, probes)``,
    uint64 matrices with one row per docs row, 0 where there is no key.

    ``entries`` (2 columns): an eligible row's ``ANY`` key of its time slot, and a feed
    row's ``FEED`` key. ``probes`` (3 columns): the keys of the slot before, its own and
    the one after; of ``ANY`` entries for a feed row (it pairs with every row), of ``FEED``
    entries for another row (it pairs with feed rows only). The exact time difference is
    then ``feed_pairs``' to decide."""
    n = docs.height
    entries = np.zeros((n, 2), dtype=np.uint64)
    probes = np.zeros((n, 3), dtype=np.uint64)
    if hours <= 0 or not n or not set(COLUMNS) <= set(docs.columns):
        return entries, probes
    rows = _rows(docs, feeds=feeds, hours=hours, min_shingles=min_shingles)
    if not rows.height:
        return entries, probes
    r = rows["r"].to_numpy()
    wire, city = rows["wire"].to_numpy(), rows["dateline_city"].to_numpy()
    slot = rows["slot"].to_numpy()
    feed = rows["feed"].to_numpy()
    entries[r, 0] = _key(ANY, wire, city, slot)
    entries[r[feed], 1] = _key(FEED, wire[feed], city[feed], slot[feed])
    for col, step in enumerate((-1, 0, 1)):
        any_key = _key(ANY, wire, city, slot + step)
        feed_key = _key(FEED, wire, city, slot + step)
        probes[r, col] = np.where(feed, any_key, feed_key)
    return entries, probes


#: Join rows a ``feed_pairs`` step holds at most (feed rows x the rows of their slots).
JOIN_ROWS = 4_000_000


def feed_pairs(
    docs: pl.DataFrame,
    *,
    feeds: tuple[str, ...],
    hours: float,
    min_shingles: int,
    signatures: np.ndarray | None = None,
    min_jaccard: float = 0.0,
) -> np.ndarray:
    """Distinct pairs ``(a, b)``, ``a < b``, of rows of ``docs`` as sorted uint64 codes
    ``a << 32 | b`` (as ``lsh.signature_candidates``): one side a feed row (its outlet one
    of ``feeds``, case-insensitive, with ``min_shingles`` or more body shingles), both with
    a body and the same wire and dateline city, published at most ``hours`` apart, and,
    given the body ``signatures`` (rows of ``docs``), a MinHash Jaccard estimate of at
    least ``min_jaccard``.

    Rows are bucketed by ``hours``-long time slots; a feed row meets the rows of its own
    slot and of the two beside it, then the exact time difference decides (so the pairs
    do not depend on the row order). The join runs in steps of at most ``JOIN_ROWS`` rows
    and the estimate is applied in each step, so memory stays bounded where a city's feed
    is dense (a big city files hundreds of stories a day): only pairs that share some text
    leave a step. The floor costs recall only below it: a version rule needs 40 shared
    shingles, a Jaccard of ~0.015 between a 400- and a 2,000-shingle page, ~4 of 256
    slots."""
    empty = np.zeros(0, dtype=np.uint64)
    if hours <= 0 or not docs.height or not set(COLUMNS) <= set(docs.columns):
        return empty
    width = int(hours * 3_600_000_000)
    rows = _rows(docs, feeds=feeds, hours=hours, min_shingles=min_shingles)
    if not rows["feed"].any():
        return empty
    # One integer key per (wire, city, slot): the join carries numbers, not strings.
    group = pl.concat_str(["wire", "dateline_city"], separator="\x1f").rank("dense")
    rows = rows.select(
        "r",
        "t",
        "feed",
        (group.cast(pl.Int64) * (1 << 32) + (pl.col("slot") - pl.col("slot").min() + 1)).alias(
            "key"
        ),
    )
    sizes = rows.group_by("key").agg(pl.len().alias("n"))
    near = (
        pl.concat(
            [
                rows.filter("feed").select(
                    pl.col("r").alias("f"), pl.col("t").alias("tf"), pl.col("key") + step
                )
                for step in (-1, 0, 1)
            ]
        )
        .join(sizes, on="key")
        .sort("key", "f")
        .with_columns((pl.col("n").cum_sum() // JOIN_ROWS).alias("step"))
    )
    side = rows.select("r", "key", "t")
    found = []
    for _, part in near.group_by("step", maintain_order=True):
        pairs = (
            part.join(side, on="key")
            .filter((pl.col("f") != pl.col("r")) & ((pl.col("t") - pl.col("tf")).abs() <= width))
            .select(
                pl.min_horizontal("f", "r").cast(pl.Int64).alias("a"),
                pl.max_horizontal("f", "r").cast(pl.Int64).alias("b"),
            )
        )
        a, b = pairs["a"].to_numpy(), pairs["b"].to_numpy()
        if signatures is not None and min_jaccard > 0 and len(a):
            keep = pair_jaccard(signatures, a, b) >= min_jaccard
            a, b = a[keep], b[keep]
        found.append(a.astype(np.uint64) << np.uint64(32) | b.astype(np.uint64))
    codes = np.concatenate(found) if found else empty
    return np.unique(codes)
