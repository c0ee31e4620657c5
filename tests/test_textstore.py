"""The compressed text store returns exactly what was put, in the order asked."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from syndup.textstore import PairTask, Sets, TextStore, walk_pairs


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


class CountingStore(TextStore):
    """A store that counts how often each block is decompressed."""

    def __init__(self) -> None:
        super().__init__(compress=True)
        self.reads: dict[int, int] = {}

    def block(self, start: int) -> pl.Series:
        self.reads[start] = self.reads.get(start, 0) + 1
        return super().block(start)


def _lengths(texts: pl.Series) -> tuple[np.ndarray]:
    return (texts.str.len_chars().to_numpy().astype(np.float64),)


def _gap(data: tuple[np.ndarray], ia: np.ndarray, ib: np.ndarray) -> np.ndarray:
    return np.vstack([data[0][ia] - data[0][ib], data[0][ia] + data[0][ib]])


def _words(texts: pl.Series) -> tuple[Sets]:
    values = [sorted({hash(w) & 0xFFFF for w in t.split()}) for t in texts.to_list()]
    offsets = np.zeros(len(values) + 1, dtype=np.int64)
    np.cumsum([len(v) for v in values], out=offsets[1:])
    flat = np.array([x for v in values for x in v], dtype=np.uint32)
    return (Sets(flat, offsets),)


def _shared(data: tuple[Sets], ia: np.ndarray, ib: np.ndarray) -> np.ndarray:
    ((values, offsets),) = data
    sets = [set(values[offsets[i] : offsets[i + 1]].tolist()) for i in range(len(offsets) - 1)]
    return np.array([[len(sets[i] & sets[j]) for i, j in zip(ia, ib)]], dtype=np.float64)


@pytest.mark.parametrize("reorder", [False, True])
def test_walk_pairs_measures_every_pair_reading_each_block_once(reorder: bool) -> None:
    rng = np.random.default_rng(1)
    texts = [
        " ".join(f"w{int(x)}" for x in rng.integers(0, 30, rng.integers(1, 40))) for _ in range(500)
    ]
    store = CountingStore()
    for start in range(0, 500, 60):
        store.put(start, pl.Series(texts[start : start + 60]))
    order = rng.permutation(500) if reorder else np.arange(500)
    view = store.reordered(order) if reorder else store
    logical = [texts[i] for i in order]
    a, b = rng.integers(0, 500, 3000), rng.integers(0, 500, 3000)  # pairs across all blocks
    some, few = np.flatnonzero(rng.random(3000) < 0.5), np.array([7, 2999])
    lengths, shared, none = walk_pairs(
        view,
        a,
        b,
        [
            PairTask(some, _lengths, _gap, 2),
            PairTask(few, _words, _shared),
            PairTask(np.zeros(0, dtype=np.int64), _lengths, _gap, 2),
        ],
        workers=2,
    )
    size = np.array([len(t) for t in logical], dtype=np.float64)
    expect = np.full((2, 3000), np.nan)
    expect[:, some] = [size[a[some]] - size[b[some]], size[a[some]] + size[b[some]]]
    np.testing.assert_array_equal(lengths, expect)
    for k in few:
        common = {hash(w) & 0xFFFF for w in logical[a[k]].split()} & {
            hash(w) & 0xFFFF for w in logical[b[k]].split()
        }
        assert shared[0, k] == len(common)
    assert np.isnan(np.delete(shared[0], few)).all() and np.isnan(none).all()
    assert set(store.reads.values()) == {1}  # each block decompressed once for all tasks
