"""Row matrices compacted in place (``syndup.compact``): the kept rows, the memory handed back."""

from __future__ import annotations

import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from syndup.compact import PAGE_ARRAY_BYTES, compact_rows, page_array

ROWS = PAGE_ARRAY_BYTES // (4 * 64)  # a (ROWS, 64) uint32 matrix is just large enough


def filled(rows: int = ROWS, width: int = 64) -> np.ndarray:
    m = page_array((rows, width), np.uint32)
    m[:] = np.arange(rows * width, dtype=np.uint32).reshape(rows, width)
    return m


@settings(max_examples=25, deadline=None)
@given(st.data())
def test_compacted_rows_equal_a_copy_and_share_the_memory(data: st.DataObject) -> None:
    m = filled()
    ref = m.copy()
    keep = data.draw(st.sets(st.integers(0, ROWS - 1), max_size=400))
    if data.draw(st.booleans()):  # a long run of rows too (several moving slices)
        lo = data.draw(st.integers(0, ROWS - 1))
        keep |= set(range(lo, min(ROWS, lo + 20_000)))
    rows = np.array(sorted(keep), dtype=np.int64)
    out = compact_rows(m, rows, cells=64 * 3000)
    assert out.shape == (len(rows), 64)
    assert (out == ref[rows]).all()
    assert np.shares_memory(out, m) or not len(rows)  # built in place, not copied


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="MADV_DONTNEED zero-fills")
def test_the_rows_past_the_kept_ones_are_handed_back() -> None:
    m = filled()
    out = compact_rows(m, np.arange(0, ROWS, 4))
    page_rows = 4096 // m.strides[0] + 1  # rows past the kept ones' last (partial) page
    assert (out[-1] == np.arange(m.shape[1]) + (ROWS - 4) * m.shape[1]).all()
    # Released private pages read back as zeros: the memory went back to the system.
    assert not m[len(out) + page_rows :].any()


def test_an_ordinary_array_is_copied_and_left_alone() -> None:
    m = np.arange(40, dtype=np.uint32).reshape(10, 4)
    out = compact_rows(m, np.array([1, 5, 9]))
    assert (out == np.arange(40).reshape(10, 4)[[1, 5, 9]]).all()
    assert not np.shares_memory(out, m)
    assert (m == np.arange(40).reshape(10, 4)).all()


def test_small_arrays_are_plain_and_rows_must_ascend() -> None:
    assert page_array((3, 4), np.uint32).base is None  # below PAGE_ARRAY_BYTES: np.empty
    m = filled()
    with pytest.raises(ValueError, match="ascending"):
        compact_rows(m, np.array([5, 3]))
    assert compact_rows(m, np.zeros(0, dtype=np.int64)).shape == (0, 64)
