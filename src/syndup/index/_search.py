"""Where sorted keys fall in a sorted band run: one merge-like pass (numba), or numpy.

``np.searchsorted`` answers each of a batch's ~850k body keys with its own binary search
over a run of up to 32M entries (~0.12 s a run at 1M articles, most of it cache misses).
Both sides are sorted, so one pass that gallops forward from the previous key's position
touches the run in order instead (~10x less). Compiled on first use and cached on disk
like ``syndup._jit`` (``syndup.warmup`` compiles it); a few keys (a one-article query)
take ``np.searchsorted`` and never load numba.
"""

from __future__ import annotations

import sys

import numpy as np

SMALL = 20_000  # keys answered by np.searchsorted unless numba is loaded anyway


def positions(run: np.ndarray, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(lo, hi)``: ``np.searchsorted(run, keys, side="left")`` and ``side="right"``
    for ascending ``run`` and ascending ``keys`` (int64 each)."""
    if (len(keys) > SMALL or "numba" in sys.modules) and run.dtype == keys.dtype == np.uint64:
        from syndup._kernels import _ro  # one compiled variant: read-only, contiguous
        from syndup.index._search_jit import gallop

        return gallop(_ro(np.ascontiguousarray(run)), _ro(np.ascontiguousarray(keys)))
    return (
        np.searchsorted(run, keys, side="left").astype(np.int64, copy=False),
        np.searchsorted(run, keys, side="right").astype(np.int64, copy=False),
    )
