"""Band buckets of the stored articles as sorted runs (a small log-structured merge).

An article has ~140 band keys (85 body, 21 lead, 32 headline bands by default), so a batch of
10,000 articles brings 1.4 million ``(key, doc)`` entries. Written one row per entry, that is
the whole cost of an index (SQLite manages ~100k-300k upserts a second; Redis spends most of
it encoding commands). Instead each batch writes one *run* per LSH index: its entries sorted
by ``(key, doc)``, as two raw little-endian arrays (uint64 keys, uint32 docs). Runs are
merged pairwise when the newest is at least half the size of the one before (a binary
counter: ~log2(batches) runs, each entry rewritten ~log2(batches) times), up to
``MAX_RUN`` entries. Readers keep the runs in memory (12 bytes an entry) and look a whole
batch's keys up with ``searchsorted``; a process picks up runs other writers added by their
ids at the start of each session.

Removed articles are not deleted from the runs at once: lookups drop documents that are no
longer stored before taking each bucket's first ``anchors``, and merges purge them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from syndup.index._search import positions
from syndup.index.store import INDEXES, Store, unique

MAX_RUN = 32_000_000  # entries per run: 256 MB of keys (Redis strings stop at 512 MB)
PER_KEY = 16  # entries read per key and run (buckets are paired with their first anchors)
_MERGE_SLICE = 1 << 20  # newer entries placed at a time by ``merge_sorted``


@dataclass
class Run:
    seg: int
    keys: np.ndarray  # uint64, ascending (with docs as the tie-break)
    docs: np.ndarray  # uint32


@dataclass
class BandRuns:
    """The in-memory copy of every index's runs; ``sync`` refreshes it from the store."""

    runs: dict[str, list[Run]] = field(default_factory=lambda: {n: [] for n in INDEXES})

    def sync(self, store: Store) -> None:
        every = store.segment_ids_of(INDEXES)
        for name in INDEXES:
            ids = every[name]
            have = {r.seg: r for r in self.runs[name]}
            fresh = []
            for seg in ids:
                run = have.get(seg)
                if run is None:
                    keys, docs = store.segment(name, seg)
                    run = Run(seg, np.frombuffer(keys, "<u8"), np.frombuffer(docs, "<u4"))
                fresh.append(run)
            self.runs[name] = fresh

    def entries(self) -> int:
        return sum(len(r.keys) for runs in self.runs.values() for r in runs)

    def lookup(
        self, name: str, keys: np.ndarray, *, per_key: int = PER_KEY
    ) -> tuple[np.ndarray, np.ndarray]:
        """``(key_index, doc)`` for up to ``per_key`` docs of each key per run, ordered by key
        then doc (oldest first). ``keys``: unique, ascending."""
        parts: list[np.ndarray] = []
        for run in self.runs[name]:
            if not len(run.keys):
                continue
            lo, hi = positions(run.keys, keys)  # one pass over both sorted arrays
            hit = np.flatnonzero(hi > lo)  # most of a batch's keys are in no stored bucket
            if not len(hit):
                continue
            lo = lo[hit]
            count = np.minimum(hi[hit] - lo, per_key)
            starts = np.repeat(lo, count)
            offsets = np.arange(count.sum()) - np.repeat(np.cumsum(count) - count, count)
            docs = run.docs[starts + offsets].astype(np.uint64)
            parts.append(np.repeat(hit.astype(np.uint64), count) << np.uint64(32) | docs)
        if not parts:
            return np.zeros(0, np.int64), np.zeros(0, np.int64)
        # One sort of ``key_index << 32 | doc`` codes: by key, then doc.
        codes = np.sort(np.concatenate(parts))
        k = (codes >> np.uint64(32)).astype(np.int64)
        d = (codes & np.uint64(0xFFFFFFFF)).astype(np.int64)
        return k, d


def first_live(
    key_index: np.ndarray, docs: np.ndarray, live: np.ndarray | None, anchors: int
) -> np.ndarray:
    """The docs that are among the first ``anchors`` live docs of their key (``live``:
    the stored docs among ``docs``; None when all are)."""
    if live is None:
        k, d = key_index, docs
    else:
        keep = np.isin(docs, live)
        k, d = key_index[keep], docs[keep]
    if not len(k):
        return np.zeros(0, np.int64)
    first = np.ones(len(k), dtype=bool)
    first[1:] = k[1:] != k[:-1]
    group_start = np.maximum.accumulate(np.where(first, np.arange(len(k)), 0))
    rank = np.arange(len(k)) - group_start
    return unique(d[rank < anchors])


def append_run(
    store: Store,
    cache: BandRuns,
    name: str,
    keys: np.ndarray,
    docs: np.ndarray,
    *,
    next_seg: int,
    purge: bool = True,
) -> int:
    """Write a batch's entries (``docs`` are the batch's new articles) as a new run, merging
    runs as the policy says; returns the next free segment id. Call inside a write session,
    after ``cache.sync``. ``purge``: drop removed articles' entries while merging (False
    when the store has never removed an article: nothing to look up)."""
    order = np.lexsort((docs, keys))
    runs = cache.runs[name]
    runs.append(
        Run(next_seg, keys[order].astype(np.uint64, copy=False), docs[order].astype(np.uint32))
    )
    written = [runs[-1]]
    next_seg += 1
    while (
        len(runs) >= 2
        and 2 * len(runs[-1].keys) >= len(runs[-2].keys)
        and len(runs[-1].keys) + len(runs[-2].keys) <= MAX_RUN
    ):
        older, newer = runs[-2], runs[-1]
        k, d = merge_sorted(older, newer)
        if purge:
            fresh = unique(docs)  # sorted only when merging purges: most adds never do
            known = unique(d)
            known = known[~np.isin(known, fresh)]
            live = np.concatenate([store.live_docs(known), fresh])
            keep = np.isin(d, live)
            k, d = k[keep], d[keep]
        merged = Run(next_seg, k, d)
        next_seg += 1
        for old in (older, newer):
            if old in written:
                written.remove(old)
            else:
                store.delete_segment(name, old.seg)
        runs[-2:] = [merged]
        written.append(merged)
    for run in written:  # the arrays' own memory, not two copies of each (a run is <= 384 MB)
        store.put_segment(name, run.seg, _raw(run.keys, "<u8"), _raw(run.docs, "<u4"))
    return next_seg


def _raw(values: np.ndarray, dtype: str) -> memoryview:
    """The bytes of ``values`` as ``dtype`` (little-endian), without a copy when they are."""
    return memoryview(np.ascontiguousarray(values, dtype=dtype)).cast("B")


def merge_sorted(older: Run, newer: Run) -> tuple[np.ndarray, np.ndarray]:
    """The entries of two runs, sorted by ``(key, doc)``. Runs are written in doc order (doc
    numbers grow with every batch), so a newer run's docs all follow the older's and a
    merge is one ``searchsorted`` pass; other runs are re-sorted."""
    n_old, n_new = len(older.keys), len(newer.keys)
    if n_old and n_new and int(older.docs.max()) >= int(newer.docs.min()):
        k = np.concatenate([older.keys, newer.keys])
        d = np.concatenate([older.docs, newer.docs])
        order = np.lexsort((d, k))
        return k[order], d[order]
    is_new = np.zeros(n_old + n_new, dtype=bool)
    k = np.empty(n_old + n_new, dtype=np.uint64)
    d = np.empty(n_old + n_new, dtype=np.uint32)
    # The newer entries' places, a slice at a time: no int64 array of them all (8 bytes an
    # entry, 120 MB for the largest runs, on top of the two runs and their merge).
    for lo in range(0, n_new, _MERGE_SLICE):
        hi = min(lo + _MERGE_SLICE, n_new)
        at = np.searchsorted(older.keys, newer.keys[lo:hi], side="right") + np.arange(lo, hi)
        is_new[at] = True
        k[at], d[at] = newer.keys[lo:hi], newer.docs[lo:hi]
    old = ~is_new
    k[old], d[old] = older.keys, older.docs
    return k, d
