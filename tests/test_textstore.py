"""The compressed text store returns exactly what was put, in the order asked."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from syndup.textstore import TextStore


@pytest.mark.parametrize("compress", [False, True])
def test_get_returns_rows_in_requested_order(compress: bool) -> None:
    rng = np.random.default_rng(0)
    texts = [f"story {i} " + "word " * int(rng.integers(0, 50)) for i in range(1000)]
    store = TextStore(compress=compress)
    for start in range(0, 1000, 300):  # blocks of unequal size
        store.put(start, pl.Series(texts[start : start + 300]))
    rows = rng.integers(0, 1000, 500)
    assert store.get(rows).to_list() == [texts[r] for r in rows]
    assert len(store) == 1000
    assert store.get(np.array([], dtype=np.int64)).to_list() == []
    with pytest.raises(IndexError):
        store.get(np.array([1000]))


def test_compression_shrinks_news_like_text() -> None:
    text = pl.Series(["The council voted on Tuesday to approve the budget. " * 20] * 200)
    plain, packed = TextStore(compress=False), TextStore(compress=True)
    plain.put(0, text)
    packed.put(0, text)
    assert packed.nbytes * 4 < plain.nbytes


def test_groups_read_each_block_once() -> None:
    store = TextStore(compress=True)
    store.put(0, pl.Series(["a", "b", "c"]))
    store.put(3, pl.Series(["d", "e"]))
    groups = store.groups(np.array([1, 2, 3, 4]))
    assert [(s, g.tolist()) for s, g in groups] == [(0, [1, 2]), (3, [3, 4])]
    assert [store.block(s).gather(g - s).to_list() for s, g in groups] == [["b", "c"], ["d", "e"]]
    with pytest.raises(ValueError):
        store.groups(np.array([2, 1]))
    big = TextStore(compress=False)
    for start in range(0, 1000, 100):
        big.put(start, pl.Series([str(i) for i in range(start, start + 100)]))
    rows = np.array([5, 7, 150, 420, 421, 999])
    got = [(s, big.block(s).gather(g - s).to_list()) for s, g in big.groups(rows)]
    assert got == [(0, ["5", "7"]), (100, ["150"]), (400, ["420", "421"]), (900, ["999"])]
