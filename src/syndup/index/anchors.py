"""The LSH search of an incremental step, over the stored bucket anchors it reaches.

``step_candidates`` runs ``Detector.candidates`` (the batch search, unchanged) on the
anchors of the new articles' buckets plus the new articles, reading whole only the stored
articles it needs whole; see its docstring for why the others can be read thin.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from syndup.config import Config
from syndup.index.articles import (
    LazyBodies,
    _facts_schema,
    _matrix,
    concat,
    read_prepared,
    take,
)
from syndup.index.store import Store, unique
from syndup.pipeline import Detector
from syndup.prepare import Prepared
from syndup.signature import EMPTY
from syndup.wire_feed import COLUMNS as FEED_COLUMNS


def step_candidates(
    store: Store,
    found: dict[str, np.ndarray],
    new: Prepared,
    config: Config,
    layout: list[tuple[str, str]],
    thin: ThinRows | None = None,
) -> tuple[np.ndarray, Prepared, pl.DataFrame]:
    """``Detector.candidates`` over the bucket anchors ``found`` (per LSH index) plus the
    new articles, keeping the pairs with a new article: ``(old docs, their Prepared,
    pairs)``, pair rows numbered into ``concat([old, new])``.

    Most anchors come through headline buckets only (generic headlines are shared by
    thousands of articles; ~55k of the ~57k stored articles a 10k batch reaches at 100k),
    and the headline index pairs only where one side has no body. Such an anchor takes
    part in the search with its headline signature and the three counts the indexes read;
    its body and lead signatures are left empty: it is no anchor of any body or lead bucket
    a new article is in (those anchors are the ``body`` and ``lead`` ones, all read whole),
    so it could only pair there with anchors, which are stored articles (pairs dropped).
    Only the anchors left in a pair are then read whole. Stored rows the wire-feed keys
    reach (``found["wire_feed"]``: every row of the probed slots) are read whole.
    ``thin``: those thin rows held from earlier steps (``ThinRows``)."""
    none = np.zeros(0, dtype=np.int64)
    whole = unique(
        np.concatenate([found.get(name, none) for name in ("body", "lead", "wire_feed")])
    )
    every = unique(np.concatenate([*found.values(), none]))
    light = every[~np.isin(every, whole)]
    whole, full = read_prepared(store, whole, config, layout)
    if not len(light):
        pairs = Detector(config).candidates(concat([full, new], config))
        return whole, full, pairs.filter(pl.col("b") >= len(whole))
    light, counts, heads = (thin or ThinRows()).get(store, light, config, layout)
    docs = unique(np.concatenate([whole, light]))
    n_old = len(docs)
    pairs = Detector(config).candidates(_search_view(docs, whole, full, light, counts, heads, new))
    pairs = pairs.filter(pl.col("b") >= n_old)
    a = pairs["a"].to_numpy().astype(np.int64)
    used = docs[unique(a[a < n_old])]
    extra_docs, extra = read_prepared(store, used[np.isin(used, light)], config, layout)
    keep_docs = np.concatenate([whole, extra_docs])
    keep = concat([full, extra], config) if len(extra_docs) else full
    order = np.argsort(keep_docs, kind="stable")
    keep_docs, keep = keep_docs[order], take(keep, order)
    # Renumber: old rows into ``keep_docs``, new rows after them (order kept, so a < b).
    old_row = np.searchsorted(keep_docs, docs[np.minimum(a, n_old - 1)])
    b = pairs["b"].to_numpy().astype(np.int64)
    shift = len(keep_docs) - n_old
    pairs = pairs.with_columns(
        pl.Series("a", np.where(a < n_old, old_row, a + shift), dtype=pl.UInt32),
        pl.Series("b", b + shift, dtype=pl.UInt32),
    )
    return keep_docs, keep, pairs


_COUNTS = ("body_words", "headline_words", "headline_generic")  # what the search reads


def _search_view(
    docs: np.ndarray,
    whole: np.ndarray,
    full: Prepared,
    light: np.ndarray,
    counts: pl.DataFrame,
    heads: np.ndarray,
    new: Prepared,
) -> Prepared:
    """What ``Detector.candidates`` reads (three signatures, three counts) of the stored
    ``docs`` (ascending: ``whole`` rows of ``full`` and ``light`` rows of ``counts`` /
    ``heads``, body and lead signatures empty) followed by the new articles."""
    at_whole, at_light = np.searchsorted(docs, whole), np.searchsorted(docs, light)

    def stack(old_whole: np.ndarray, old_light: np.ndarray | None, tail: np.ndarray) -> np.ndarray:
        out = np.full((len(docs) + len(tail), tail.shape[1]), EMPTY, dtype=np.uint32)
        out[at_whole] = old_whole
        if old_light is not None:
            out[at_light] = old_light
        out[len(docs) :] = tail
        return out

    row = np.empty(len(docs), dtype=np.int64)
    row[at_whole] = np.arange(len(whole))
    row[at_light] = len(whole) + np.arange(len(light))
    # Whole rows also carry what the wire-feed search reads; thin rows leave it null (no
    # feed pair: they are reached through headline buckets only).
    wide = (*_COUNTS, *FEED_COLUMNS)
    frame = pl.concat([full.docs.select(wide), counts.select(_COUNTS)], how="diagonal_relaxed")
    view = pl.concat([frame[row], new.docs.select(wide)], how="vertical_relaxed")
    return Prepared(
        docs=view,
        body_sig=stack(full.body_sig, None, new.body_sig),
        lead_sig=stack(full.lead_sig, None, new.lead_sig),
        headline_sig=stack(full.headline_sig, heads, new.headline_sig),
        source=pl.DataFrame(),
        bodies=LazyBodies(0, lambda at: []),
        rejected=pl.DataFrame(),
        learned=None,
        config=new.config,
    )


class ThinRows:
    """What the search reads of stored articles reached through headline buckets (the three
    counts and the headline signature), kept in memory by doc number across steps.

    A stored article's row never changes and a doc number is never reused for another
    committed article, so rows read once stay valid; removed articles are dropped by the
    live check before they get here. ~270 bytes an article (64-value headline signatures):
    ~270 MB at 1M, against reading ~55% of the stored articles' facts back on every batch.
    """

    def __init__(self) -> None:
        self.known = np.zeros(0, dtype=bool)
        self.counts: dict[str, np.ndarray] = {}
        self.heads = np.zeros((0, 0), dtype=np.uint32)

    def _grow(self, size: int, counts: pl.DataFrame, width: int) -> None:
        if size <= len(self.known):
            return
        cap = max(size, int(len(self.known) * 1.25) + 1024)
        known = np.zeros(cap, dtype=bool)
        known[: len(self.known)] = self.known
        heads = np.full((cap, width), EMPTY, dtype=np.uint32)
        if len(self.heads):
            heads[: len(self.heads)] = self.heads
        for c in _COUNTS:
            col = np.zeros(cap, dtype=counts[c].to_numpy().dtype)
            old = self.counts.get(c)
            if old is not None:
                col[: len(old)] = old
            self.counts[c] = col
        self.known, self.heads = known, heads

    def get(
        self, store: Store, docs: np.ndarray, config: Config, layout: list[tuple[str, str]]
    ) -> tuple[np.ndarray, pl.DataFrame, np.ndarray]:
        """``headline_rows`` of ``docs`` (ascending), reading only those not yet held."""
        docs = np.asarray(docs, dtype=np.int64)
        held = docs < len(self.known)
        held[held] = self.known[docs[held]]
        missing = docs[~held]
        if len(missing):
            got, counts, heads = headline_rows(store, missing, config, layout)
            if len(got):
                self._grow(int(got.max()) + 1, counts, heads.shape[1])
                self.known[got] = True
                self.heads[got] = heads
                for c in _COUNTS:
                    self.counts[c][got] = counts[c].to_numpy()
            if len(got) < len(missing):  # not stored (removed meanwhile): not in the result
                docs = np.concatenate([docs[held], got])
                docs.sort()
        schema = _facts_schema(layout)
        counts = (
            pl.DataFrame({c: pl.Series(c, self.counts[c][docs], dtype=schema[c]) for c in _COUNTS})
            if len(self.known)
            else pl.DataFrame(schema={c: schema[c] for c in _COUNTS})
        )
        heads = (
            self.heads[docs]
            if len(self.known)
            else np.zeros((0, config.signature.headline_num_perm), np.uint32)
        )
        return docs, counts, heads


def headline_rows(
    store: Store, docs: np.ndarray, config: Config, layout: list[tuple[str, str]]
) -> tuple[np.ndarray, pl.DataFrame, np.ndarray]:
    """``(docs found, their three counts, headline signatures)``: stored articles as the
    search reads them through the headline indexes."""
    rows = store.articles(
        np.asarray(docs, dtype=np.int64), columns=("doc", "facts", "headline_sig")
    )
    schema = _facts_schema(layout)
    wanted = {c: schema[c] for c in _COUNTS}
    counts = (
        rows["facts"].str.json_decode(pl.Struct(wanted)).struct.unnest()
        if rows.height
        else pl.DataFrame(schema=wanted)
    )
    heads = _matrix(rows["headline_sig"], config.signature.headline_num_perm)
    return rows["doc"].to_numpy(), counts, heads
