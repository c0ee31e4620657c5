"""Texts kept (optionally compressed) in memory, for the few stages that need a body back.

After signatures are computed, bodies are only needed again for exact checks on a minority
of pairs. On a large corpus, holding them as polars strings next to everything else costs
gigabytes; ``TextStore(compress=True)`` keeps them as zstd-compressed Arrow IPC blocks
(about 4x smaller on news text, ~1 s of CPU per 100k articles to compress) and decompresses
whole blocks on demand. Trade-off: a lookup costs a pass over each block it touches, so
callers should ask for all the rows they need at once.
"""

from __future__ import annotations

import copy
import io
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np
import polars as pl


class TextStore:
    """Blocks of consecutive rows, each compressed on its own (or kept as is with
    ``compress=False``); ``put`` is thread-safe."""

    def __init__(self, *, compress: bool = True) -> None:
        self.compress = compress
        self._blocks: dict[int, bytes | pl.Series] = {}
        self._lengths: dict[int, int] = {}
        self._lock = threading.Lock()
        self._order: np.ndarray | None = None  # logical row -> stored row (see reordered)

    def reordered(self, order: np.ndarray) -> TextStore:
        """The same texts seen in another order: row ``i`` of the result is stored row
        ``order[i]`` of this store (blocks are shared, nothing is copied). ``block`` and
        ``groups`` keep addressing stored rows; ``get`` and ``physical`` take the new
        rows."""
        order = np.asarray(order, dtype=np.int64)
        if len(order) != len(self):
            raise ValueError(f"order has {len(order)} rows, the store {len(self)}")
        out = copy.copy(self)  # shares the blocks (and a subclass's state)
        out._order = order if self._order is None else self._order[order]
        return out

    def physical(self, rows: np.ndarray) -> np.ndarray:
        """Stored row of each (logical) row: the identity unless ``reordered``."""
        rows = np.asarray(rows, dtype=np.int64)
        return rows if self._order is None else self._order[rows]

    def put(self, start: int, texts: pl.Series) -> None:
        """Store ``texts`` as rows ``start .. start + len(texts)``."""
        block: bytes | pl.Series = texts.cast(pl.String).alias("text")
        if self.compress:
            buf = io.BytesIO()
            block.to_frame().write_ipc(buf, compression="zstd")
            block = buf.getvalue()
        with self._lock:
            self._blocks[start] = block
            self._lengths[start] = len(texts)

    @property
    def nbytes(self) -> int:
        """Bytes held (compressed size when compressing)."""
        return sum(
            len(b) if isinstance(b, bytes) else b.estimated_size() for b in self._blocks.values()
        )

    def __len__(self) -> int:
        return sum(self._lengths.values())

    def starts(self) -> list[int]:
        """First row of each block, ascending."""
        return sorted(self._blocks)

    def block(self, start: int) -> pl.Series:
        """All texts of the block that starts at row ``start``."""
        data = self._blocks[start]
        return pl.read_ipc(io.BytesIO(data))["text"] if isinstance(data, bytes) else data

    def groups(self, rows: np.ndarray) -> list[tuple[int, np.ndarray]]:
        """``(block start, rows in that block)`` for ascending stored ``rows`` (see
        ``physical``): read each block once with ``block(start).gather(rows - start)``."""
        rows = np.asarray(rows, dtype=np.int64)
        starts = np.array(sorted(self._blocks), dtype=np.int64)
        if len(rows) == 0:
            return []
        if np.any(np.diff(rows) < 0):
            raise ValueError("rows must be ascending")
        block = np.searchsorted(starts, rows, side="right") - 1
        cuts = np.flatnonzero(np.diff(block)) + 1
        firsts = np.concatenate([[0], cuts])
        return [(int(starts[block[f]]), part) for f, part in zip(firsts, np.split(rows, cuts))]

    def get(self, rows: np.ndarray) -> pl.Series:
        """Texts of the given rows, in that order (rows may repeat)."""
        rows = np.asarray(rows, dtype=np.int64)
        starts = np.array(sorted(self._blocks), dtype=np.int64)
        if len(rows) == 0 or len(starts) == 0:
            return pl.Series("text", [], dtype=pl.String)
        if rows.min() < 0 or rows.max() >= len(self):
            raise IndexError(f"row out of range 0..{len(self) - 1}")
        rows = self.physical(rows)
        order = np.argsort(rows, kind="stable")
        parts = [self.block(start).gather(part - start) for start, part in self.groups(rows[order])]
        gathered = pl.concat(parts)
        back = np.empty(len(rows), dtype=np.int64)
        back[order] = np.arange(len(rows))
        return gathered.gather(back).alias("text")


class Sets(NamedTuple):
    """Sorted distinct hash sets of several texts: set ``k`` is
    ``values[offsets[k]:offsets[k + 1]]`` (the layout ``_kernels.containment`` reads)."""

    values: np.ndarray
    offsets: np.ndarray


@dataclass(frozen=True)
class PairTask:
    """One measure of pairs of stored texts, for ``walk_pairs``.

    ``pairs``: positions (into ``walk_pairs``' ``a``, ``b``) of the pairs to measure;
    ``build(texts)``: per-text data of some stored texts, a tuple whose items are ``Sets``
    or per-text numpy arrays; ``score(data, ia, ib)``: ``width`` values per pair of rows
    ``(ia[k], ib[k])`` of such data, shape ``(width, len(ia))``."""

    pairs: np.ndarray
    build: Callable[[pl.Series], tuple[Any, ...]]
    score: Callable[[tuple[Any, ...], np.ndarray, np.ndarray], np.ndarray]
    width: int = 1


def walk_pairs(
    store: TextStore,
    a: np.ndarray,
    b: np.ndarray,
    tasks: list[PairTask],
    *,
    workers: int = 1,
) -> list[np.ndarray]:
    """Measure pairs of stored texts ``(a[k], b[k])`` (logical rows) reading each block once.

    Blocks are read in stored order (up to ``workers`` built ahead on threads); a block's
    data for each task (``PairTask.build`` of its rows that task reads) is kept until the
    last block any of its pairs waits for has been read, and a pair is measured once both
    its blocks are held. Returns, per task, a ``(width, len(a))`` float array, NaN where the
    task measured no pair. Trade-off: memory follows how far apart (in stored order) the
    two sides of a pair lie; copies of a story stored near each other (a corpus in time
    or crawl order) keep only a few blocks alive, a shuffled corpus up to every block's
    data at once (as reading all of it up front would)."""
    from concurrent.futures import ThreadPoolExecutor

    a, b = np.asarray(a, dtype=np.int64), np.asarray(b, dtype=np.int64)
    out = [np.full((t.width, len(a)), np.nan) for t in tasks]
    if not any(len(t.pairs) for t in tasks):
        return out
    pa, pb = store.physical(a), store.physical(b)
    starts = np.array(store.starts(), dtype=np.int64)
    nblocks = len(starts)

    def block_of(rows: np.ndarray) -> np.ndarray:
        return np.searchsorted(starts, rows, side="right") - 1

    due = np.maximum(block_of(pa), block_of(pb))  # the block after which a pair is measured
    last = np.full(nblocks, -1, dtype=np.int64)  # the block after which a block is dropped
    plans = []
    for t in tasks:
        p = np.asarray(t.pairs, dtype=np.int64)
        rows = _distinct(pa[p], pb[p])
        for side in (pa[p], pb[p]):
            np.maximum.at(last, block_of(side), due[p])
        order = p[np.argsort(due[p], kind="stable")]
        cuts = np.searchsorted(due[order], np.arange(nblocks + 1))
        row_cuts = np.searchsorted(rows, starts)
        row_last = np.full(len(rows), -1, dtype=np.int64)  # the block after which a row goes
        for side in (pa[p], pb[p]):
            np.maximum.at(row_last, np.searchsorted(rows, side), due[p])
        plans.append((rows, np.append(row_cuts, len(rows)), order, cuts, row_last))
    needed = [j for j in range(nblocks) if any(pl_[1][j + 1] > pl_[1][j] for pl_ in plans)]

    def build(j: int) -> list[tuple[np.ndarray, tuple[Any, ...]] | None]:
        texts = store.block(int(starts[j]))
        held: list[tuple[np.ndarray, tuple[Any, ...]] | None] = []
        for t, (rows, row_cuts, *_) in zip(tasks, plans):
            mine = rows[row_cuts[j] : row_cuts[j + 1]]
            held.append((mine, t.build(texts.gather(mine - starts[j]))) if len(mine) else None)
        return held

    resident: dict[int, list[tuple[np.ndarray, tuple[Any, ...]] | None]] = {}
    ahead = max(1, workers)
    with ThreadPoolExecutor(ahead) as pool:
        futures = {j: pool.submit(build, j) for j in needed[:ahead]}
        for step, j in enumerate(needed):
            resident[j] = futures.pop(j).result()
            if step + ahead < len(needed):
                nxt = needed[step + ahead]
                futures[nxt] = pool.submit(build, nxt)
            for ti, (t, (_, _, order, cuts, _)) in enumerate(zip(tasks, plans)):
                sel = order[cuts[j] : cuts[j + 1]]
                if not len(sel):
                    continue
                # Each row's data is copied once for all of this step's pairs that read it
                # (sorted rows lie block by block: blocks are ranges of stored rows).
                rows_, inv = np.unique(np.concatenate([pa[sel], pb[sel]]), return_inverse=True)
                inv = inv.reshape(-1)
                blk = block_of(rows_)
                parts = []
                for seg in np.split(np.arange(len(rows_)), np.flatnonzero(np.diff(blk)) + 1):
                    held = resident[int(blk[seg[0]])][ti]
                    assert held is not None
                    parts.append((held[1], np.searchsorted(held[0], rows_[seg])))
                out[ti][:, sel] = t.score(_gather(parts), inv[: len(sel)], inv[len(sel) :])
            for k in [k for k in resident if last[k] <= j]:
                del resident[k]
            if j in resident:  # keep only the rows later blocks still pair with
                resident[j] = [_later(h, p[0], p[4], j) for h, p in zip(resident[j], plans)]
    return out


def _distinct(*rows: np.ndarray) -> np.ndarray:
    """The distinct values of non-negative row arrays, ascending (a mask, not a sort)."""
    size = max((int(r.max()) + 1 for r in rows if len(r)), default=0)
    seen = np.zeros(size, dtype=bool)
    for r in rows:
        seen[r] = True
    return np.flatnonzero(seen)


def _later(
    held: tuple[np.ndarray, tuple[Any, ...]] | None, rows: np.ndarray, row_last: np.ndarray, j: int
) -> tuple[np.ndarray, tuple[Any, ...]] | None:
    """A block's data for one task without the rows no pair after block ``j`` reads."""
    if held is None:
        return None
    keep = np.flatnonzero(row_last[np.searchsorted(rows, held[0])] > j)
    if len(keep) == len(held[0]):
        return held
    return (held[0][keep], _gather([(held[1], keep)])) if len(keep) else None


def _gather(parts: list[tuple[tuple[Any, ...], np.ndarray]]) -> tuple[Any, ...]:
    """The rows ``idx`` of each ``(data, idx)``, concatenated into one data tuple."""
    joined: list[Any] = []
    for item in range(len(parts[0][0])):
        pieces = [(data[item], idx) for data, idx in parts]
        if isinstance(pieces[0][0], Sets):
            joined.append(_gather_sets(pieces))
        else:
            joined.append(np.concatenate([arr[idx] for arr, idx in pieces]))
    return tuple(joined)


def _gather_sets(pieces: list[tuple[Sets, np.ndarray]]) -> Sets:
    """Sets ``idx`` of each ``(sets, idx)``, concatenated (a compiled copy, numpy when small)."""
    from syndup import _kernels

    count = sum(len(idx) for _, idx in pieces)
    total = sum(int((s.offsets[idx + 1] - s.offsets[idx]).sum()) for s, idx in pieces)
    values = np.empty(total, dtype=pieces[0][0].values.dtype)
    offsets = np.zeros(count + 1, dtype=np.int64)
    at = 0
    for sets, idx in pieces:
        at = _kernels.gather_sets(sets.values, sets.offsets, idx, values, offsets, at)
    return Sets(values, offsets)
