"""Texts kept (optionally compressed) in memory, for the few stages that need a body back.

After signatures are computed, bodies are only needed again for exact checks on a minority
of pairs. On a large corpus, holding them as polars strings next to everything else costs
gigabytes; ``TextStore(compress=True)`` keeps them as zstd-compressed Arrow IPC blocks
(about 4x smaller on news text, ~1 s of CPU per 100k articles to compress) and decompresses
whole blocks on demand. Trade-off: a lookup costs a pass over each block it touches, so
callers should ask for all the rows they need at once.
"""

from __future__ import annotations

import io
import threading

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
        out = TextStore(compress=self.compress)
        out._blocks, out._lengths = self._blocks, self._lengths
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
