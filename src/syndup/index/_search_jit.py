"""The compiled pass of ``syndup.index._search`` (imports numba)."""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(nogil=True, cache=True)
def _first_at_least(run: np.ndarray, key: np.uint64, j: int) -> int:
    """The first index ``>= j`` whose value is ``>= key`` (``run[j - 1] < key``): gallop
    forward, then a binary search in the last step."""
    n = len(run)
    if j >= n or run[j] >= key:
        return j
    lo, step = j, 1  # run[lo] < key
    hi = lo + step
    while hi < n and run[hi] < key:
        lo = hi
        step *= 2
        hi = lo + step
    hi = min(hi, n)  # answer in (lo, hi]
    while lo + 1 < hi:
        mid = (lo + hi) >> 1
        if run[mid] < key:
            lo = mid
        else:
            hi = mid
    return hi


@njit(nogil=True, cache=True)
def _first_above(run: np.ndarray, key: np.uint64, j: int) -> int:
    """The first index ``>= j`` whose value is ``> key`` (``run[j - 1] <= key``)."""
    n = len(run)
    if j >= n or run[j] > key:
        return j
    lo, step = j, 1  # run[lo] <= key
    hi = lo + step
    while hi < n and run[hi] <= key:
        lo = hi
        step *= 2
        hi = lo + step
    hi = min(hi, n)
    while lo + 1 < hi:
        mid = (lo + hi) >> 1
        if run[mid] <= key:
            lo = mid
        else:
            hi = mid
    return hi


@njit(nogil=True, cache=True)
def gallop(run: np.ndarray, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``searchsorted`` left and right of ascending ``keys`` in ascending ``run``."""
    lo = np.empty(len(keys), dtype=np.int64)
    hi = np.empty(len(keys), dtype=np.int64)
    j = 0
    for i in range(len(keys)):
        j = _first_at_least(run, keys[i], j)
        lo[i] = j
        hi[i] = _first_above(run, keys[i], j)
    return lo, hi
