"""The small storage interface behind ``syndup.Index``, and the row schemas it moves.

Backends store and return plain tables (polars frames with the fixed schemas below), opaque
binary runs (band buckets as sorted ``(key, doc)`` entries, see ``syndup.index.bands``) and a
metadata map. They know nothing of normalisation, MinHash or rules: the index computes, the
store keeps. Every write happens inside ``writing()``: one SQLite transaction (``BEGIN
IMMEDIATE``) or one Redis ``MULTI/EXEC`` under a lock, so a batch is stored whole or not at
all. Stored data is plain values and raw little-endian arrays whose dtype and width the
schema fixes; nothing is ever unpickled.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass

import numpy as np
import polars as pl

from syndup.errors import SyndupError
from syndup.rules import FEATURES

SCHEMA_VERSION = 2  # 2: wire-feed keys
APPLICATION = "syndup-index"
# One band table per LSH index, and the wire-feed keys (``syndup.wire_feed.feed_keys``).
INDEXES = ("body", "lead", "headline", "wire_feed")

ARTICLE_SCHEMA: dict[str, pl.DataType] = {
    "doc": pl.Int64(),
    "id": pl.String(),
    "outlet": pl.String(),
    "published": pl.Int64(),  # microseconds since the epoch, UTC; null = unknown
    "headline": pl.String(),
    # Every other per-article column of ``Prepared.docs`` (normalised headline, counts,
    # flags), as one JSON object; its columns and types are recorded in the metadata.
    "facts": pl.String(),
    "batch": pl.Int64(),
    "added": pl.Float64(),  # seconds since the epoch
    "body_sig": pl.Binary(),  # uint32 little-endian, SignatureConfig.num_perm values
    "lead_sig": pl.Binary(),  # uint32, lead_num_perm values
    "headline_sig": pl.Binary(),  # uint32, headline_num_perm values
    "figures": pl.Binary(),  # uint32, Prepared.figures row (empty when there are none)
    "body": pl.Binary(),  # cleaned body, UTF-8, zstd-compressed
    "body_len": pl.Int64(),  # its uncompressed size in bytes
}
BODY_COLUMNS = ("body", "body_len")
SCALAR_COLUMNS = tuple(c for c, t in ARTICLE_SCHEMA.items() if t != pl.Binary())
MEMBER_SCHEMA: dict[str, pl.DataType] = {
    "doc": pl.Int64(),
    "cluster": pl.Int64(),
    "component": pl.Int64(),  # smallest doc of its connected component of matched edges
    "similarity": pl.Float64(),
    "rule": pl.String(),
    "evidence": pl.String(),
}
EDGE_FEATURES = FEATURES  # the verify stage's features, recorded in the metadata
EDGE_SCHEMA: dict[str, pl.DataType] = {
    "a": pl.Int64(),
    "b": pl.Int64(),
    "rule": pl.String(),
    **{f: pl.Float64() for f in EDGE_FEATURES},
}
CLUSTER_SCHEMA: dict[str, pl.DataType] = {
    "cluster": pl.Int64(),
    "size": pl.Int64(),
    "canonical": pl.Int64(),
    "decided_by": pl.String(),
    "founded": pl.Float64(),
    "updated": pl.Float64(),
    "merged_into": pl.Int64(),  # set when this cluster was merged into an older one
}
EVENT_SCHEMA: dict[str, pl.DataType] = {
    "seq": pl.Int64(),
    "time": pl.Float64(),
    "batch": pl.Int64(),
    "kind": pl.String(),  # founded | joined | merged | canonical_changed | removed
    "cluster": pl.Int64(),
    "article": pl.String(),
    "other": pl.String(),
}
BATCH_SCHEMA: dict[str, pl.DataType] = {
    "batch": pl.Int64(),
    "time": pl.Float64(),
    "articles": pl.Int64(),
    "first_doc": pl.Int64(),
}


@dataclass
class Counters:
    """Next free numbers, kept in the store's metadata."""

    doc: int = 1
    cluster: int = 1
    seq: int = 0
    batch: int = 0
    segment: int = 1

    def to_meta(self) -> dict[str, str]:
        return {
            "next_doc": str(self.doc),
            "next_cluster": str(self.cluster),
            "last_seq": str(self.seq),
            "last_batch": str(self.batch),
            "next_segment": str(self.segment),
        }

    @classmethod
    def from_meta(cls, meta: dict[str, str]) -> Counters:
        return cls(
            int(meta.get("next_doc", 1)),
            int(meta.get("next_cluster", 1)),
            int(meta.get("last_seq", 0)),
            int(meta.get("last_batch", 0)),
            int(meta.get("next_segment", 1)),
        )


class StoreError(SyndupError):
    """The index cannot be opened or used: foreign or corrupt data, incompatible config."""


class Retry(Exception):
    """A reader overlapped a commit (Redis has no snapshots): read again."""


def frame(rows: list[tuple] | list[dict], schema: dict[str, pl.DataType]) -> pl.DataFrame:
    """A frame with exactly ``schema`` from row tuples (in schema order) or dicts."""
    loose = {k: pl.Int64() if v == pl.Boolean() else v for k, v in schema.items()}
    if rows and isinstance(rows[0], dict):
        out = pl.DataFrame(rows, schema=loose)
    else:  # column by column: several times faster than polars' row constructor
        cols = list(zip(*rows)) if rows else [()] * len(loose)
        out = pl.DataFrame([pl.Series(n, v, dtype=t) for (n, t), v in zip(loose.items(), cols)])
    bools = {k: v for k, v in schema.items() if v == pl.Boolean()}
    return out.cast(bools) if bools else out  # type: ignore[arg-type]


class Store(ABC):
    """What a backend provides. Reads may run inside ``reading()`` or ``writing()``; writes
    only inside ``writing()``, and become visible together when it exits without error."""

    url: str

    # ------------------------------------------------------------------ lifecycle
    @abstractmethod
    def read_meta(self) -> dict[str, str] | None:
        """The metadata map, or None for an empty (new) store; raises ``StoreError`` for
        data that is not a syndup index."""

    @abstractmethod
    def writing(self) -> AbstractContextManager[None]:
        """Exclusive write session: waits for other writers, commits atomically on exit."""

    @abstractmethod
    def reading(self) -> AbstractContextManager[None]:
        """A read session that sees whole batches only (may raise ``Retry`` on exit)."""

    @abstractmethod
    def close(self) -> None: ...

    @abstractmethod
    def size_bytes(self) -> int:
        """Bytes the stored data takes (file size, or Redis memory used by its keys)."""

    # ------------------------------------------------------------------ reads
    @abstractmethod
    def lookup_ids(self, ids: list[str]) -> dict[str, int]:
        """Article id -> doc number, for the ids that are stored."""

    @abstractmethod
    def segment_ids(self, index: str) -> list[int]:
        """Ids of the stored band runs of one LSH index, ascending (see ``bands``)."""

    def segment_ids_of(self, indexes: tuple[str, ...]) -> dict[str, list[int]]:
        """``segment_ids`` of several LSH indexes (one round trip where the store can)."""
        return {name: self.segment_ids(name) for name in indexes}

    @abstractmethod
    def segment(self, index: str, seg: int) -> tuple[bytes, bytes]:
        """One run: raw uint64 keys and uint32 docs (little-endian)."""

    @abstractmethod
    def articles(
        self, docs: np.ndarray | None, *, columns: tuple[str, ...] = tuple(ARTICLE_SCHEMA)
    ) -> pl.DataFrame:
        """Rows of ``ARTICLE_SCHEMA`` (only ``columns``) for ``docs`` (all when None), by doc."""

    @abstractmethod
    def members(self, docs: np.ndarray | None) -> pl.DataFrame:
        """Rows of ``MEMBER_SCHEMA`` for ``docs`` (all when None), ordered by doc."""

    def article_count(self) -> int:
        """How many articles are stored."""
        return self.members(None).height

    def live_docs(self, docs: np.ndarray) -> np.ndarray:
        """The ``docs`` that are stored (not removed), ascending."""
        return self.members(docs)["doc"].to_numpy()

    @abstractmethod
    def component_docs(self, components: np.ndarray) -> np.ndarray:
        """Every doc whose component is one of ``components``, ascending."""

    @abstractmethod
    def edges(self, docs: np.ndarray) -> pl.DataFrame:
        """Rows of ``EDGE_SCHEMA`` with either end in ``docs``."""

    @abstractmethod
    def clusters(self, ids: np.ndarray | None = None) -> pl.DataFrame:
        """Rows of ``CLUSTER_SCHEMA`` (clusters of 2+ and merge records), all when None."""

    @abstractmethod
    def events(self, since: int = 0) -> pl.DataFrame:
        """Rows of ``EVENT_SCHEMA`` with ``seq > since``."""

    @abstractmethod
    def batches(self) -> pl.DataFrame:
        """Rows of ``BATCH_SCHEMA``."""

    # ------------------------------------------------------------------ writes
    @abstractmethod
    def put_meta(self, values: dict[str, str]) -> None: ...

    @abstractmethod
    def put_articles(self, rows: pl.DataFrame) -> None:
        """Insert new articles (``ARTICLE_SCHEMA``)."""

    @abstractmethod
    def put_members(self, rows: pl.DataFrame) -> None:
        """Insert or replace member rows (``MEMBER_SCHEMA``)."""

    @abstractmethod
    def put_segment(
        self, index: str, seg: int, keys: bytes | memoryview, docs: bytes | memoryview
    ) -> None:
        """Store one run (raw little-endian uint64 keys and uint32 docs); the buffers stay
        unchanged until the write session ends."""

    @abstractmethod
    def delete_segment(self, index: str, seg: int) -> None: ...

    @abstractmethod
    def put_edges(self, rows: pl.DataFrame) -> None:
        """Insert matched edges (``EDGE_SCHEMA``, ``a < b``)."""

    @abstractmethod
    def delete_docs(self, docs: np.ndarray) -> None:
        """Delete articles, their member rows and every edge touching them."""

    @abstractmethod
    def put_clusters(self, rows: pl.DataFrame) -> None:
        """Insert or replace cluster rows."""

    @abstractmethod
    def delete_clusters(self, ids: np.ndarray) -> None: ...

    @abstractmethod
    def add_events(self, rows: pl.DataFrame) -> None: ...

    @abstractmethod
    def add_batch(self, row: pl.DataFrame) -> None: ...


def open_store(url: str, *, create: bool = True, timeout: float = 30.0) -> Store:
    """A store for a path (SQLite) or a ``redis://`` URL (needs ``syndup[redis]``)."""
    if url.startswith(("redis://", "rediss://", "unix://")):
        from syndup.index.redis import RedisStore

        return RedisStore(url, timeout=timeout)
    from syndup.index.sqlite import SQLiteStore

    return SQLiteStore(url, create=create, timeout=timeout)


def unique(values: np.ndarray) -> np.ndarray:
    """Sorted distinct values. ``np.unique`` of numpy 2.3+ hashes first: 20-70x slower
    than one sort on the million-entry key and doc arrays of a batch."""
    flat = np.sort(np.asarray(values).ravel())
    if len(flat) < 2:
        return flat
    keep = np.empty(len(flat), dtype=bool)
    keep[0] = True
    np.not_equal(flat[1:], flat[:-1], out=keep[1:])
    return flat[keep]


def chunks(values: np.ndarray | list, size: int) -> Iterator:
    for start in range(0, len(values), size):
        yield values[start : start + size]
