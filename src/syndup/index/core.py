"""``Index``: a persistent, incremental clustering of a news stream (SQLite or Redis).

This module holds the write side (open, add, query, remove, expire); the read side is
``syndup.index.reads``. The stages (``syndup.prepare``, ``syndup.index.update``) are imported
on first use, so a read-only command loads only what it reads with.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

import numpy as np
import polars as pl

from syndup.config import Config
from syndup.index.articles import check_docs, doc_layout, read_prepared, take
from syndup.index.bands import BandRuns, append_run
from syndup.index.meta import check_meta, layouts, parse_duration
from syndup.index.reads import ASSIGNMENT_COLUMNS, Reads
from syndup.index.store import (
    APPLICATION,
    INDEXES,
    SCHEMA_VERSION,
    Counters,
    Store,
    StoreError,
    open_store,
)
from syndup.io import read_corpus

if TYPE_CHECKING:
    from syndup.index.anchors import ThinRows
    from syndup.index.update import Plan


class Index(Reads):
    """A persistent index that new articles join as they arrive, with stable cluster ids.

    Open with ``Index.open("news.db")`` (SQLite, WAL mode) or
    ``Index.open("redis://host:6379/0?prefix=news")``. ``add`` runs the batch stages on the
    new articles against their stored candidates (see ``syndup.index.update`` for how that
    matches ``syndup cluster`` and where it cannot). Each ``add`` is one atomic step;
    concurrent writers wait for each other; readers see whole batches.
    """

    def __init__(self, store: Store, config: Config) -> None:
        self._store = store
        self.config = config
        self._bands = BandRuns()
        self._thin: ThinRows | None = None  # stored rows read thin, kept across sessions
        self._layout = doc_layout(config)

    # ------------------------------------------------------------------ opening
    @classmethod
    def open(
        cls,
        location: str | os.PathLike[str],
        *,
        config: Config | None = None,
        create: bool = True,
        timeout: float = 30.0,
    ) -> Index:
        """Open (or create) an index. ``config``: must agree with the stored one except for
        runtime settings (workers, batch size); None uses the stored config (or the default
        for a new index). Raises ``ConfigError`` on a mismatch and ``StoreError`` for data
        that is not a syndup index or has another schema version."""
        store = open_store(str(location), create=create, timeout=timeout)
        try:
            meta = store.read_meta()
            if meta is None:
                if not create:
                    raise StoreError(f"{location}: no such index")
                config = config or Config()
                store.create(
                    {
                        "application": APPLICATION,
                        "schema_version": str(SCHEMA_VERSION),
                        "config": json.dumps(config.to_dict(), sort_keys=True),
                        **layouts(config),
                        "created": str(time.time()),
                        **Counters().to_meta(),
                    }
                )
                meta = store.read_meta() or {}
            return cls(store, check_meta(meta, config, str(location)))
        except BaseException:
            store.close()
            raise

    def close(self) -> None:
        self._store.close()

    def __enter__(self) -> Index:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ adding
    def add(self, data: pl.DataFrame | str | os.PathLike[str], **read_opts: Any) -> pl.DataFrame:
        """Add articles; returns one row per input row: the ``cluster`` assignment columns
        with stable ``cluster_id`` plus ``action``: new (founded a cluster, possibly of one),
        joined, merged (its arrival merged clusters), exists (id already indexed: not added
        again) or rejected (no usable text)."""
        return self._step(data, read_opts, write=True)

    def query(self, data: pl.DataFrame | str | os.PathLike[str], **read_opts: Any) -> pl.DataFrame:
        """What ``add`` would report for these articles, without writing anything."""
        return self._step(data, read_opts, write=False)

    def _step(self, data: Any, read_opts: dict[str, Any], *, write: bool) -> pl.DataFrame:
        df = read_corpus(data, **read_opts)
        known = self._store.lookup_ids(df["id"].unique().to_list())
        first = df.select(pl.int_range(pl.len()).over("id") == 0).to_series()
        # In id order, as the batch run takes rows (its anchors and samples follow row order).
        fresh = df.filter(first & ~pl.col("id").is_in(list(known))).sort("id")
        from syndup.index.anchors import ThinRows
        from syndup.index.update import Plan, plan_add
        from syndup.prepare import prepare

        if self._thin is None:
            self._thin = ThinRows()

        prepared = prepare(fresh, self.config)  # pure: outside the write lock
        check_docs(prepared.docs)
        session = self._store.writing() if write else self._store.reading()
        with session, self._fresh_bands():
            meta = self._store.read_meta() or {}
            counters = Counters.from_meta(meta)
            counters.batch += 1
            now = time.time()
            removed = write and self._store.article_count() < counters.doc - 1
            raced = self._store.lookup_ids(fresh["id"].to_list())
            usable = prepared.docs["usable"].to_numpy()
            if raced:
                usable &= ~prepared.docs["id"].is_in(list(raced)).to_numpy()
            new = take(prepared, np.flatnonzero(usable))
            plan = (
                plan_add(
                    self._store,
                    new,
                    config=self.config,
                    counters=counters,
                    now=now,
                    bands=self._bands,
                    layout=self._layout,
                    write=write,
                    all_live=write and not removed,
                    thin=self._thin,
                )
                if new.docs.height
                else Plan(assignments=pl.DataFrame())
            )
            if write and new.docs.height:
                self._write(plan, counters, now, articles=new.docs.height, purge=removed)
            stored = self._current(df["id"].unique().to_list(), exclude=new.docs["id"])
        return _report(df, first, plan.assignments, stored)

    @contextmanager
    def _fresh_bands(self) -> Iterator[None]:
        """Bring the in-memory band runs up to date; drop them if the session fails (the
        next sync reloads what the store really holds)."""
        try:
            self._bands.sync(self._store)
            yield
        except BaseException:
            self._bands = BandRuns()
            raise

    def _write(
        self, plan: Plan, counters: Counters, now: float, *, articles: int, purge: bool = True
    ) -> None:
        s = self._store
        if plan.articles is not None:
            s.put_articles(plan.articles)
        for name, (keys, docs) in plan.buckets.items():
            counters.segment = append_run(
                s, self._bands, name, keys, docs, next_seg=counters.segment, purge=purge
            )
        if plan.edges is not None:
            s.put_edges(plan.edges)
        if plan.members is not None:
            s.put_members(plan.members)
        if plan.clusters is not None:
            s.put_clusters(plan.clusters)
        if len(plan.drop_clusters):
            s.delete_clusters(plan.drop_clusters)
        events = pl.DataFrame(
            [
                {"seq": counters.seq + 1 + i, "time": now, "batch": counters.batch, **e}
                for i, e in enumerate(plan.events)
            ],
            schema={
                "seq": pl.Int64,
                "time": pl.Float64,
                "batch": pl.Int64,
                "kind": pl.String,
                "cluster": pl.Int64,
                "article": pl.String,
                "other": pl.String,
            },
        )
        counters.seq += events.height
        s.add_events(events)
        first_doc = int(plan.articles["doc"].min()) if plan.articles is not None else None
        s.add_batch(
            pl.DataFrame(
                [
                    {
                        "batch": counters.batch,
                        "time": now,
                        "articles": articles,
                        "first_doc": first_doc,
                    }
                ]
            )
        )
        s.put_meta(counters.to_meta())

    # ------------------------------------------------------------------ removing
    def remove(self, ids: Iterable[str]) -> int:
        """Remove articles by id; their clusters are re-clustered without them (a cluster
        may split; the part holding its canonical, else its largest part, keeps the id).
        Returns how many were removed; unknown ids are ignored."""
        with self._store.writing():
            docs = np.array(sorted(self._store.lookup_ids([str(i) for i in ids]).values()))
            if len(docs) == 0:
                return 0
            meta = self._store.read_meta() or {}
            counters = Counters.from_meta(meta)
            counters.batch += 1
            now = time.time()
            self._remove_docs(docs.astype(np.int64), counters, now)
        return len(docs)

    def _remove_docs(self, docs: np.ndarray, counters: Counters, now: float) -> None:
        from syndup.index.update import Plan, recluster

        s = self._store
        gone = s.articles(docs)
        mem = s.members(docs)
        comps = mem["component"].unique().to_numpy()
        rest = s.component_docs(comps)
        rest = rest[~np.isin(rest, docs)]
        edges = s.edges(rest)
        edges = edges.filter(~pl.col("a").is_in(docs) & ~pl.col("b").is_in(docs))
        old = s.clusters(mem["cluster"].unique().to_numpy())
        s.delete_docs(docs)
        plan = Plan(assignments=pl.DataFrame())
        if len(rest):
            rest_mem = s.members(rest)
            plan = recluster(
                s,
                read_prepared(s, rest, self.config, self._layout)[1],
                rest,
                edges,
                old_cluster=rest_mem["cluster"].to_numpy(),
                config=self.config,
                counters=counters,
                now=now,
            )
        kept = set(plan.members["cluster"].to_list()) if plan.members is not None else set()
        lost = [c for c in old["cluster"].to_list() if c not in kept]
        plan.drop_clusters = np.union1d(plan.drop_clusters, np.array(lost, dtype=np.int64))
        plan.events = [
            {"kind": "removed", "cluster": c, "article": i, "other": None}
            for i, c in zip(gone["id"].to_list(), mem["cluster"].to_list())
        ] + plan.events
        self._write(plan, counters, now, articles=0)

    def expire(self, *, older_than: timedelta | str, now: datetime | None = None) -> int:
        """Remove articles published (or, without a date, added) before ``now - older_than``."""
        age = parse_duration(older_than) if isinstance(older_than, str) else older_than
        cutoff = (now or datetime.now(timezone.utc)) - age
        micros = int(cutoff.timestamp() * 1_000_000)
        with self._store.writing():
            rows = self._store.articles(None, columns=("doc", "published", "added"))
            old = rows.filter(
                pl.when(pl.col("published").is_not_null())
                .then(pl.col("published") < micros)
                .otherwise(pl.col("added") < cutoff.timestamp())
            )["doc"].to_numpy()
            if len(old):
                meta = self._store.read_meta() or {}
                counters = Counters.from_meta(meta)
                counters.batch += 1
                self._remove_docs(old, counters, time.time())
        return len(old)


def _report(
    df: pl.DataFrame, first: pl.Series, added: pl.DataFrame, stored: pl.DataFrame
) -> pl.DataFrame:
    """One row per input row, in input order."""
    parts = [stored.drop("doc")]
    if added.height:
        parts.insert(0, added.select(ASSIGNMENT_COLUMNS))
    known = pl.concat(parts, how="vertical_relaxed").unique("id", keep="first")
    base = df.select("id", first.alias("_first"))
    out = base.join(known, on="id", how="left", maintain_order="left")
    return out.with_columns(
        pl.when(pl.col("action").is_null())
        .then(pl.lit("rejected"))
        .when(~pl.col("_first") & (pl.col("action") != "exists"))
        .then(pl.lit("exists"))
        .otherwise(pl.col("action"))
        .alias("action")
    ).select(ASSIGNMENT_COLUMNS)


__all__ = ["INDEXES", "Index", "parse_duration"]
