"""Large row matrices that can shrink in place (the body signatures after LSH).

A 1M x 256 uint32 signature matrix is 1 GB; after candidate search only some of its rows are
read again. Copying those rows out costs a second matrix while the first still lives; this
module instead moves them to the front of the matrix's own memory and hands the rest back to
the system. That needs memory the process can release piecewise: an anonymous private memory
map per matrix (``page_array``), released with ``madvise(MADV_DONTNEED)``. Trade-off: Linux and
macOS only (elsewhere, and for arrays not made here, ``compact_rows`` copies).
"""

from __future__ import annotations

import mmap

import numpy as np

PAGE_ARRAY_BYTES = 16 << 20  # matrices at least this large get their own memory map


def page_array(shape: tuple[int, ...], dtype: type) -> np.ndarray:
    """An uninitialised array in its own anonymous memory map when it is large (at least
    ``PAGE_ARRAY_BYTES``), else ``np.empty``: ``compact_rows`` can then hand the unused
    end of it back to the system while the array lives on."""
    size = int(np.prod(shape)) * np.dtype(dtype).itemsize
    if size < PAGE_ARRAY_BYTES or not hasattr(mmap, "MAP_PRIVATE"):  # (Windows)
        return np.empty(shape, dtype=dtype)
    memory = mmap.mmap(-1, size, flags=mmap.MAP_PRIVATE)  # private: MADV_DONTNEED frees it
    return np.frombuffer(memory, dtype=dtype).reshape(shape)


def compact_rows(matrix: np.ndarray, rows: np.ndarray, *, cells: int = 8_000_000) -> np.ndarray:
    """``matrix[rows]`` for ascending distinct ``rows``, built in ``matrix``'s own memory:
    rows move to the front a slice at a time (a temporary of at most ~``cells`` values) and,
    when ``matrix`` lies in a memory map of its own (``page_array``), the pages past the
    kept rows are handed back (``MADV_DONTNEED``). Returns a view of the front; ``matrix``
    itself is spent (its other rows are gone) and must be the only user of its map.
    Without a memory map (or without ``madvise``) the rows are copied, as
    ``matrix[rows]``."""
    rows = np.asarray(rows, dtype=np.int64)
    base = _memory_map(matrix)
    if base is None or not hasattr(base, "madvise") or not matrix.flags.c_contiguous:
        return matrix[rows]
    if len(rows) and (np.any(np.diff(rows) <= 0) or rows[0] < 0 or rows[-1] >= len(matrix)):
        raise ValueError("rows must be ascending, distinct and in range")
    step = max(1, cells // max(1, matrix.shape[1] if matrix.ndim > 1 else 1))
    for lo in range(0, len(rows), step):  # destination k <= rows[k]: no row is overwritten
        part = rows[lo : lo + step]  # before it has been moved
        matrix[lo : lo + len(part)] = matrix[part]
    offset = matrix.ctypes.data - np.frombuffer(base, dtype=np.uint8).ctypes.data
    keep = offset + len(rows) * matrix.strides[0]
    start = -(-keep // mmap.PAGESIZE) * mmap.PAGESIZE
    if start < len(base):
        base.madvise(mmap.MADV_DONTNEED, start, len(base) - start)
    return matrix[: len(rows)]


def _memory_map(matrix: np.ndarray) -> mmap.mmap | None:
    """The memory map ``matrix`` lies in (``page_array``), if any."""
    base = matrix.base
    while isinstance(base, np.ndarray):
        base = base.base
    if isinstance(base, memoryview):  # np.frombuffer's view of the map
        base = base.obj
    return base if isinstance(base, mmap.mmap) else None
