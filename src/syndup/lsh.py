"""LSH banding: band parameters, band keys, candidate pairs joined in polars.

Two documents become candidates when all ``r`` rows of any one of ``b`` bands agree; the
probability for Jaccard ``s`` is ``1 - (1 - s^r)^b``. ``band_params`` picks ``(b, r)`` with
datasketch's optimal-parameter rule (minimise the integrated false-positive plus
false-negative probability around the threshold), so our candidates are the ones
``datasketch.MinHashLSH(threshold, num_perm)`` would return.
"""

from __future__ import annotations

import logging
from functools import lru_cache

import numpy as np
import polars as pl

from syndup.signature import EMPTY

log = logging.getLogger("syndup")

_BAND_MULT = np.array(
    [(0x9E3779B97F4A7C15 + 2 * i * 0x632BE59BD9B4E019) % (1 << 64) for i in range(64)],
    dtype=np.uint64,
)


@lru_cache(maxsize=64)
def band_params(threshold: float, num_perm: int, *, recall_weight: float = 0.5) -> tuple[int, int]:
    """``(bands, rows)`` minimising the weighted false positive plus false negative
    probability, datasketch's rule with ``weights=(1 - recall_weight, recall_weight)``.

    A candidate costs microseconds to verify while a missed pair is lost for good, so
    syndup weighs misses heavily (``LSHConfig.recall_weight``)."""
    from datasketch.lsh import _optimal_param

    if not 0.0 < threshold < 1.0:
        raise ValueError(f"LSH threshold must be in (0, 1), got {threshold}")
    if not 0.0 < recall_weight < 1.0:
        raise ValueError(f"recall_weight must be in (0, 1), got {recall_weight}")
    b, r = _optimal_param(threshold, num_perm, 1.0 - recall_weight, recall_weight)
    return int(b), int(r)


def band_keys(signatures: np.ndarray, *, bands: int, rows: int) -> np.ndarray:
    """64-bit key per (document, band): ``(n_docs, bands)`` uint64.

    The band index is mixed into the key, so keys of different bands never meet. Empty
    signatures get key 0 in every band and are never paired.
    """
    n = signatures.shape[0]
    keys = np.zeros((n, bands), dtype=np.uint64)
    for band in range(bands):
        acc = np.full(n, ((band + 1) * 0xD6E8FEB86659FD93) % (1 << 64), dtype=np.uint64)
        for j in range(rows):
            acc ^= signatures[:, band * rows + j].astype(np.uint64) * _BAND_MULT[j]
            acc = (acc << np.uint64(31)) | (acc >> np.uint64(33))
        keys[:, band] = acc | np.uint64(1)
    empty = (signatures == EMPTY).all(axis=1)
    keys[empty] = 0
    return keys


def candidate_pairs(
    keys: np.ndarray,
    *,
    anchors: int = 8,
    warn_bucket: int = 2000,
    index: str = "body",
    only: np.ndarray | None = None,
) -> pl.DataFrame:
    """Distinct pairs ``(a, b)``, ``a < b``, of document rows sharing any band key.

    ``only`` (boolean per row) restricts output to pairs of a marked row and one of its
    buckets' anchors (the headline index uses it for headline-only records, the one case
    where a headline can decide a match).

    A bucket with more than ``anchors`` members pairs every member with the bucket's first
    ``anchors`` members only: linear instead of quadratic in the bucket size, and every
    member still reaches the same anchors, so a story copied 300 times costs ~8 candidate
    pairs per copy rather than 300. Buckets over ``warn_bucket`` members (usually one
    degenerate text repeated: empty pages, a paywall notice) are reported in a warning.
    """
    n, bands = keys.shape
    frame = pl.DataFrame(
        {
            "doc": np.repeat(np.arange(n, dtype=np.uint32), bands),
            "key": keys.reshape(-1),
        }
    ).filter(pl.col("key") != 0)
    empty = pl.DataFrame(schema={"a": pl.UInt32, "b": pl.UInt32})
    if only is not None:
        marked = pl.Series(np.repeat(np.asarray(only, dtype=bool), bands))
        frame = frame.with_columns(marked.filter(pl.Series(keys.reshape(-1) != 0)).alias("only"))
        frame = frame.filter(pl.col("only").any().over("key"))
    shared = frame.filter(pl.col("key").is_duplicated())
    if shared.height == 0:
        return empty
    shared = shared.with_columns(
        pl.col("doc").rank("ordinal").over("key").cast(pl.UInt32).alias("rank"),
        pl.len().over("key").alias("size"),
    )
    _warn_oversized(shared, warn_bucket, anchors, index)
    anchor_rows = shared.filter(pl.col("rank") <= anchors).select(
        "key", pl.col("doc").alias("x"), pl.col("rank").alias("rank_x")
    )
    if only is not None:
        # Marked rows pair with the bucket's anchors, and anchors with marked rows.
        members = shared.filter(pl.col("only")).select("key", pl.col("doc").alias("y"), "rank")
        pairs = (
            anchor_rows.join(members, on="key")
            .filter(pl.col("x") != pl.col("y"))
            .select(pl.min_horizontal("x", "y").alias("a"), pl.max_horizontal("x", "y").alias("b"))
            .unique()
        )
        return pairs
    pairs = (
        anchor_rows.rename({"x": "a", "rank_x": "rank_a"})
        .join(shared.select("key", pl.col("doc").alias("b"), "rank"), on="key")
        .filter(pl.col("rank_a") < pl.col("rank"))
        .select("a", "b")
        .unique()
    )
    return pairs


def _warn_oversized(shared: pl.DataFrame, warn_bucket: int, anchors: int, index: str) -> None:
    big = shared.filter(pl.col("size") > warn_bucket)
    if big.height:
        log.warning(
            "%s index: %d bucket(s) with more than %d articles (largest %d): often one "
            "boilerplate text repeated; their members are paired with %d anchors only",
            index,
            big.select(pl.col("key").n_unique()).item(),
            warn_bucket,
            big["size"].max(),
            anchors,
        )
