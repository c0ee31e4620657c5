"""LSH banding: band parameters, band keys, candidate pairs joined in polars.

Two documents become candidates when all ``r`` rows of any one of ``b`` bands agree; the
probability for Jaccard ``s`` is ``1 - (1 - s^r)^b``. ``band_params`` picks ``(b, r)`` with
datasketch's optimal-parameter rule (minimise the integrated false-positive plus
false-negative probability around the threshold), so our candidates are the ones
``datasketch.MinHashLSH(threshold, num_perm)`` would return.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
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


def band_keys(
    signatures: np.ndarray, *, bands: int, rows: int, first: int = 0, count: int | None = None
) -> np.ndarray:
    """64-bit key per (document, band): ``(n_docs, count)`` uint64 for bands
    ``first .. first + count`` (all bands by default).

    The band index is mixed into the key, so keys of different bands never meet. Empty
    signatures get key 0 in every band and are never paired.
    """
    n = signatures.shape[0]
    count = bands - first if count is None else min(count, bands - first)
    keys = np.zeros((n, count), dtype=np.uint64)
    for col, band in enumerate(range(first, first + count)):
        acc = np.full(n, ((band + 1) * 0xD6E8FEB86659FD93) % (1 << 64), dtype=np.uint64)
        for j in range(rows):
            acc ^= signatures[:, band * rows + j].astype(np.uint64) * _BAND_MULT[j]
            acc = (acc << np.uint64(31)) | (acc >> np.uint64(33))
        keys[:, col] = acc | np.uint64(1)
    empty = (signatures == EMPTY).all(axis=1)
    keys[empty] = 0
    return keys


def signature_candidates(
    signatures: np.ndarray,
    *,
    bands: int,
    rows: int,
    anchors: int = 4,
    warn_bucket: int = 2000,
    index: str = "body",
    only: np.ndarray | None = None,
) -> np.ndarray:
    """``candidate_codes`` straight from signatures, computing band keys a few bands at a
    time so the full (documents x bands) key matrix never exists."""
    n = signatures.shape[0]
    step = max(1, _ENTRIES_PER_CHUNK // max(n, 1))
    groups = (
        band_keys(signatures, bands=bands, rows=rows, first=lo, count=step)
        for lo in range(0, bands, step)
    )
    return _join_groups(groups, anchors, warn_bucket, index, only)


def candidate_pairs(
    keys: np.ndarray,
    *,
    anchors: int = 4,
    warn_bucket: int = 2000,
    index: str = "body",
    only: np.ndarray | None = None,
) -> pl.DataFrame:
    """``candidate_codes`` as a frame of ``(a, b)`` row pairs (see there)."""
    codes = candidate_codes(keys, anchors=anchors, warn_bucket=warn_bucket, index=index, only=only)
    return _pairs_frame(codes >> 32, codes & 0xFFFFFFFF)


def candidate_codes(
    keys: np.ndarray,
    *,
    anchors: int = 4,
    warn_bucket: int = 2000,
    index: str = "body",
    only: np.ndarray | None = None,
) -> np.ndarray:
    """Distinct pairs ``(a, b)``, ``a < b``, of document rows sharing any band key, encoded
    as sorted uint64 codes ``a << 32 | b``.

    ``only`` (boolean per row) restricts output to pairs of a marked row and one of its
    buckets' anchors (the headline index uses it for headline-only records, the one case
    where a headline can decide a match).

    A bucket with more than ``anchors`` members pairs every member with the bucket's first
    ``anchors`` members only: linear instead of quadratic in the bucket size, and every
    member still reaches the same anchors, so a story copied 300 times costs ~8 candidate
    pairs per copy rather than 300. Buckets over ``warn_bucket`` members (usually one
    degenerate text repeated: empty pages, a paywall notice) are reported in a warning.

    This is the polars-style "group by band key, pair within bucket" join done with one
    numpy sort: the same pairs, without materialising a frame of every (doc, band) key.
    """
    n, bands = keys.shape
    # Bands are joined a few at a time so memory stays ~flat in corpus size x bands.
    step = max(1, _ENTRIES_PER_CHUNK // max(n, 1))
    groups = (keys[:, lo : lo + step] for lo in range(0, bands, step))
    return _join_groups(groups, anchors, warn_bucket, index, only)


def _join_groups(
    groups: Iterator[np.ndarray],
    anchors: int,
    warn_bucket: int,
    index: str,
    only: np.ndarray | None,
) -> np.ndarray:
    chunks, big_buckets, largest = [], 0, 0
    for group in groups:
        codes, big, top = _band_codes(group, anchors, warn_bucket, only)
        chunks.append(codes)
        big_buckets, largest = big_buckets + big, max(largest, top)
    if big_buckets:
        log.warning(
            "%s index: %d bucket(s) with more than %d articles (largest %d): often one "
            "boilerplate text repeated; their members are paired with %d anchors only",
            index,
            big_buckets,
            warn_bucket,
            largest,
            anchors,
        )
    if not chunks:
        return np.zeros(0, dtype=np.int64)
    return pl.Series(np.concatenate(chunks)).unique().sort().to_numpy()


_ENTRIES_PER_CHUNK = 4_000_000


def _band_codes(
    keys: np.ndarray, anchors: int, warn_bucket: int, only: np.ndarray | None
) -> tuple[np.ndarray, int, int]:
    """Distinct pair codes for a group of bands, plus (#buckets over warn_bucket, largest)."""
    n, bands = keys.shape
    flat = keys.reshape(-1)
    docs = np.repeat(np.arange(n, dtype=np.int64), bands)
    live = flat != 0
    if only is not None:
        marked = np.repeat(np.asarray(only, dtype=bool), bands)
        flat, docs, marked = flat[live], docs[live], marked[live]
    else:
        flat, docs = flat[live], docs[live]
        marked = None
    # Stable sort by key keeps docs ascending inside a bucket: rank 0 is its smallest doc.
    order = np.argsort(flat, kind="stable")
    flat, docs = flat[order], docs[order]
    if marked is not None:
        marked = marked[order]
    m = len(flat)
    if m < 2:
        return np.zeros(0, dtype=np.int64), 0, 0
    new = np.ones(m, dtype=bool)
    new[1:] = flat[1:] != flat[:-1]
    start = np.flatnonzero(new)
    run = np.repeat(np.arange(len(start)), np.diff(np.append(start, m)))
    rank = np.arange(m) - start[run]
    size = np.diff(np.append(start, m))[run]
    big = size > warn_bucket
    n_big = len(np.unique(run[big])) if big.any() else 0
    # Each member pairs with the anchors ranked before it: min(rank, anchors) pairs.
    fan = np.minimum(rank, anchors)
    member = np.repeat(np.arange(m), fan)
    offset = np.arange(int(fan.sum())) - np.repeat(np.cumsum(fan) - fan, fan)
    anchor = start[run[member]] + offset
    a, b = docs[anchor], docs[member]
    if marked is not None:
        keep = marked[anchor] | marked[member]
        a, b = a[keep], b[keep]
    lo, hi = np.minimum(a, b), np.maximum(a, b)
    keep = lo != hi
    # polars' hash-based unique is ~4x faster than numpy's sort on tens of millions.
    codes = pl.Series((lo[keep] << 32) | hi[keep]).unique().to_numpy()
    return codes, n_big, int(size.max())


def _pairs_frame(a: np.ndarray, b: np.ndarray) -> pl.DataFrame:
    return pl.DataFrame(
        {"a": a.astype(np.uint32), "b": b.astype(np.uint32)},
        schema={"a": pl.UInt32, "b": pl.UInt32},
    )
