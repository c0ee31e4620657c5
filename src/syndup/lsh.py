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


# ``band_params`` of the default config's four indexes, so a process that only reads (an
# ``index explain``) skips numpy.polynomial's import and the quadrature (~40 ms of CPU);
# a test recomputes every entry.
KNOWN_PARAMS: dict[tuple[float, int, float], tuple[int, int]] = {
    (0.3, 256, 0.9): (85, 3),
    (0.5, 64, 0.9): (21, 3),
    (0.3, 64, 0.9): (32, 2),
    (0.8, 64, 0.9): (9, 7),
}


def band_params(threshold: float, num_perm: int, *, recall_weight: float = 0.5) -> tuple[int, int]:
    """``(bands, rows)`` minimising the weighted false positive plus false negative
    probability: datasketch's ``_optimal_param`` with ``weights=(1 - recall_weight,
    recall_weight)``, the same choice (tested), without importing datasketch and scipy.

    The integrands ``1 - (1 - s^r)^b`` are polynomials of degree ``r * b <= num_perm``, so
    Gauss-Legendre quadrature with ``num_perm // 2 + 1`` nodes integrates them exactly.

    A candidate costs microseconds to verify while a missed pair is lost for good, so
    syndup weighs misses heavily (``LSHConfig.recall_weight``)."""
    known = KNOWN_PARAMS.get((threshold, num_perm, recall_weight))
    return known if known is not None else _band_params(threshold, num_perm, recall_weight)


@lru_cache(maxsize=64)
def _band_params(threshold: float, num_perm: int, recall_weight: float) -> tuple[int, int]:
    if not 0.0 < threshold < 1.0:
        raise ValueError(f"LSH threshold must be in (0, 1), got {threshold}")
    if not 0.0 < recall_weight < 1.0:
        raise ValueError(f"recall_weight must be in (0, 1), got {recall_weight}")
    if num_perm < 1:
        raise ValueError(f"num_perm must be positive, got {num_perm}")
    nodes, weights = _gauss(num_perm // 2 + 1)
    # Every (b, r) at once, in the loop order (b, then r): the first smallest error wins.
    # One pass over a (pairs, nodes) grid instead of ~1,500 small integrals (~40 of
    # the ~80 ms it took in every process's start-up).
    combos = [(b, r) for b in range(1, num_perm + 1) for r in range(1, num_perm // b + 1)]
    bs = np.array([c[0] for c in combos], dtype=np.float64)[:, None]
    rs = np.array([c[1] for c in combos], dtype=np.float64)[:, None]

    def integral(lo: float, hi: float) -> np.ndarray:
        s = (hi - lo) / 2 * nodes + (hi + lo) / 2
        return (hi - lo) / 2 * ((1 - (1 - s[None, :] ** rs) ** bs) @ weights)

    fp = integral(0.0, threshold)
    fn = (1.0 - threshold) - integral(threshold, 1.0)
    error = fp * (1.0 - recall_weight) + fn * recall_weight
    return combos[int(np.argmin(error))]


@lru_cache(maxsize=8)
def _gauss(n: int) -> tuple[np.ndarray, np.ndarray]:
    """Gauss-Legendre nodes and weights (an eigenvalue problem: computed once per size)."""
    return np.polynomial.legendre.leggauss(n)


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
    # Every band at once: one pass per row of a band over an (n_docs, count) block, not a
    # Python loop over bands (same arithmetic, so the same keys).
    block = signatures[:, first * rows : (first + count) * rows].reshape(n, count, rows)
    acc = np.repeat(_BAND_SEED[first : first + count][None, :], n, axis=0)
    for j in range(rows):
        acc ^= block[:, :, j].astype(np.uint64) * _BAND_MULT[j]
        acc = (acc << np.uint64(31)) | (acc >> np.uint64(33))
    keys = acc | np.uint64(1)
    empty = (signatures == EMPTY).all(axis=1)
    keys[empty] = 0
    return keys


_BAND_SEED = np.array(
    [((band + 1) * 0xD6E8FEB86659FD93) % (1 << 64) for band in range(4096)], dtype=np.uint64
)
_ENTRIES_PER_CHUNK = 4_000_000


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
    """Distinct pairs ``(a, b)``, ``a < b``, of document rows sharing any band, encoded as
    sorted uint64 codes ``a << 32 | b``.

    This is the "group by band key, pair within bucket" join done with one sort of
    ``key | doc`` entries per group of bands (bands are joined a few at a time, so memory
    stays flat in corpus size x bands). The key keeps its high ``64 - log2(n)`` bits: two
    different buckets merge with probability ~``entries^2 / 2^(64 - log2 n)`` per group,
    which only adds a candidate pair for verification to reject.

    A bucket with more than ``anchors`` members pairs every member with the bucket's first
    ``anchors`` members only: linear instead of quadratic in the bucket size, and every
    member still reaches the same anchors, so a story copied 300 times costs ~8 candidate
    pairs per copy rather than 300. Buckets over ``warn_bucket`` members (usually one
    degenerate text repeated: empty pages, a paywall notice) are reported in a warning.

    ``only`` (boolean per row) keeps pairs with at least one marked row (the headline index
    uses it for headline-only records, the one case where a headline can decide a match).
    """
    from syndup._kernels import band_entries, bucket_pairs

    n = signatures.shape[0]
    if bands > len(_BAND_SEED):
        raise ValueError(f"at most {len(_BAND_SEED)} bands, got {bands}")
    if bands * rows > signatures.shape[1]:
        raise ValueError(f"{bands} bands x {rows} rows exceed {signatures.shape[1]} permutations")
    doc_bits = max(1, int(n).bit_length())
    empty = (signatures == EMPTY).all(axis=1)
    marked = np.zeros(n, dtype=bool) if only is None else np.asarray(only, dtype=bool)
    step = max(1, _ENTRIES_PER_CHUNK // max(n, 1))
    seen = np.zeros(0, dtype=np.uint64)  # distinct codes of the groups merged so far
    chunks: list[np.ndarray] = []
    pending, big_buckets, largest = 0, 0, 0
    for lo in range(0, bands, step):
        count = min(step, bands - lo)
        entries = band_entries(signatures, lo, count, rows, _BAND_SEED, _BAND_MULT, empty, doc_bits)
        entries = pl.Series(entries).sort().to_numpy()  # polars' sort: ~3x numpy's here
        codes, big, top = bucket_pairs(
            entries, doc_bits, anchors, marked, only is not None, warn_bucket
        )
        # polars' hash-based unique is ~4x faster than numpy's sort on tens of millions.
        chunks.append(pl.Series(codes).unique().to_numpy())
        del codes
        pending += len(chunks[-1])
        # Bands of one story share most pairs: merging once the groups' pending codes
        # outgrow the distinct ones keeps memory near 2x the distinct pairs (not groups x
        # pairs) at an amortised cost of about one extra pass.
        if pending > max(len(seen), _ENTRIES_PER_CHUNK):
            seen = _distinct([seen, *chunks])
            chunks, pending = [], 0
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
    return pl.Series(_distinct([seen, *chunks])).sort().to_numpy()


def _distinct(parts: list[np.ndarray]) -> np.ndarray:
    """Distinct uint64 codes of several arrays, in no particular order."""
    parts = [p for p in parts if len(p)]
    if not parts:
        return np.zeros(0, dtype=np.uint64)
    whole = parts[0] if len(parts) == 1 else np.concatenate(parts)
    return pl.Series(whole).unique().to_numpy()


def candidate_pairs(signatures: np.ndarray, **options: object) -> pl.DataFrame:
    """``signature_candidates`` as a frame of ``(a, b)`` row pairs (same options)."""
    codes = signature_candidates(signatures, **options)  # type: ignore[arg-type]
    return pl.DataFrame(
        {"a": (codes >> 32).astype(np.uint32), "b": (codes & 0xFFFFFFFF).astype(np.uint32)},
        schema={"a": pl.UInt32, "b": pl.UInt32},
    )
