"""A persistent incremental index: ``Index.open("news.db")`` or ``Index.open("redis://...")``.

Articles join as they arrive, through the same stages as ``syndup cluster``; cluster ids are
stable across batches. Storage is behind a small interface (``syndup.index.store.Store``):
SQLite (stdlib, WAL mode) by default, Redis with the ``syndup[redis]`` extra.
"""

from syndup.index.core import Index, parse_duration
from syndup.index.store import SCHEMA_VERSION, Store, StoreError

__all__ = ["SCHEMA_VERSION", "Index", "Store", "StoreError", "parse_duration"]
