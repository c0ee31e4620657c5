"""The read side of ``syndup.Index``: clusters, members, explanations, events, checks.

Every read runs in one read session (a SQLite WAL snapshot; on Redis, read again when a
commit slipped in between), so it sees whole batches only.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import TYPE_CHECKING, Any

import numpy as np
import polars as pl

from syndup.config import Config
from syndup.errors import InputError
from syndup.index.articles import UTC, to_prepared
from syndup.index.store import SCALAR_COLUMNS, Counters, Retry, Store, StoreError, unique
from syndup.result import ASSIGNED, ASSIGNED_SCHEMA

if TYPE_CHECKING:
    from syndup.explain import Explanation

ASSIGNMENT_COLUMNS = (*ASSIGNED, "action")


_ASSIGNMENT_SCHEMA = {**ASSIGNED_SCHEMA, "action": pl.String()}


class Reads:
    """Read methods of ``Index`` (which sets ``_store``, ``config`` and ``_layout``)."""

    _store: Store
    config: Config
    _layout: list[tuple[str, str]]

    @contextmanager
    def _read(self) -> Iterator[None]:
        with self._store.reading():
            yield

    def _retrying(self, fn: Any) -> Any:
        """Run a read, again if it overlapped a commit (Redis)."""
        for _ in range(50):
            try:
                with self._read():
                    return fn()
            except Retry:
                time.sleep(0.01)
        raise StoreError(f"{self._store.url}: index kept changing while reading")

    # ------------------------------------------------------------------ reading
    def _current(self, ids: list[str], *, exclude: pl.Series | None = None) -> pl.DataFrame:
        """Assignment rows of stored articles (``ids`` that are stored), action ``exists``."""
        docs = self._store.lookup_ids(ids)
        if exclude is not None:
            for i in exclude.to_list():
                docs.pop(i, None)
        if not docs:  # every article is new (a query's usual case): nothing to read
            return pl.DataFrame(schema={"doc": pl.Int64, **_ASSIGNMENT_SCHEMA})
        return self._rows_of(np.array(sorted(docs.values()), dtype=np.int64))

    def _rows_of(self, docs: np.ndarray) -> pl.DataFrame:
        s = self._store
        mem = s.members(docs)
        info = s.articles(docs, columns=("doc", "id"))
        clusters = s.clusters(mem["cluster"].unique().to_numpy()).filter(
            pl.col("merged_into").is_null()
        )
        canon_ids = s.articles(clusters["canonical"].to_numpy(), columns=("doc", "id"))
        clusters = clusters.join(
            canon_ids.rename({"doc": "canonical", "id": "canonical_id"}), on="canonical", how="left"
        )
        out = (
            mem.join(info, on="doc")
            .join(clusters.select("cluster", "size", "canonical_id"), on="cluster", how="left")
            .with_columns(
                pl.format("c{}", pl.col("cluster")).alias("cluster_id"),
                pl.col("size").fill_null(1).alias("cluster_size"),
                pl.coalesce("canonical_id", "id").alias("canonical_id"),
            )
        )
        return out.with_columns(
            (pl.col("canonical_id") == pl.col("id")).alias("is_canonical"),
            pl.lit("exists").alias("action"),
        ).select("doc", *ASSIGNMENT_COLUMNS)

    def clusters(self, *, min_size: int = 2) -> pl.DataFrame:
        """One row per live cluster of ``min_size``+ members (the ``cluster`` clusters table,
        plus when it was founded and last updated)."""
        return self._retrying(lambda: self._clusters(min_size))

    def _clusters(self, min_size: int) -> pl.DataFrame:
        s = self._store
        rows = s.clusters().filter(pl.col("merged_into").is_null() & (pl.col("size") >= min_size))
        docs = s.component_docs(
            s.members(rows["canonical"].to_numpy())["component"].unique().to_numpy()
        )
        mem = s.members(docs).join(
            s.articles(docs, columns=("doc", "id", "outlet", "published", "headline")), on="doc"
        )
        per = mem.group_by("cluster").agg(
            pl.col("outlet").drop_nulls().unique().sort().alias("outlets"),
            pl.col("published").min().cast(UTC).alias("first_published"),
            pl.col("published").max().cast(UTC).alias("last_published"),
        )
        heads = mem.select(
            pl.col("doc").alias("canonical"), pl.col("id").alias("canonical_id"), "headline"
        )
        return (
            rows.join(per, on="cluster", how="left")
            .join(heads, on="canonical", how="left")
            .with_columns(
                pl.format("c{}", pl.col("cluster")).alias("cluster_id"),
                pl.from_epoch(pl.col("founded"), time_unit="s").cast(UTC).alias("founded"),
                pl.from_epoch(pl.col("updated"), time_unit="s").cast(UTC).alias("updated"),
            )
            .sort(["size", "cluster"], descending=[True, False])
            .select(
                "cluster_id",
                "size",
                "canonical_id",
                "decided_by",
                "headline",
                "outlets",
                "first_published",
                "last_published",
                "founded",
                "updated",
            )
        )

    def assignments(self) -> pl.DataFrame:
        """One row per indexed article (the ``cluster`` assignment columns)."""
        return self._retrying(
            lambda: self._rows_of(self._store.members(None)["doc"].to_numpy())
        ).drop("doc", "action")

    def get(self, cluster_id: str | int) -> pl.DataFrame:
        """Members of a cluster (a merged id resolves to the cluster it was merged into)."""

        def read() -> pl.DataFrame:
            cid = _cluster_number(cluster_id)
            s = self._store
            for _ in range(100):
                row = s.clusters(np.array([cid]))
                if row.height == 0 or row["merged_into"][0] is None:
                    break
                cid = int(row["merged_into"][0])
            if row.height:
                comp = s.members(np.array([row["canonical"][0]]))["component"].to_numpy()
                docs = s.component_docs(comp)
            else:  # a singleton's id lives on its member row only
                every = s.members(None)
                docs = every.filter(pl.col("cluster") == cid)["doc"].to_numpy()
            rows = self._rows_of(docs).filter(pl.col("cluster_id") == f"c{cid}")
            extra = s.articles(
                rows["doc"].to_numpy(), columns=("doc", "outlet", "published", "headline")
            )
            return (
                rows.join(extra, on="doc")
                .with_columns(pl.col("published").cast(UTC))
                .drop("doc", "action")
                .sort(["is_canonical", "published"], descending=[True, False], nulls_last=True)
            )

        return self._retrying(read)

    def explain(self, id_a: str, id_b: str) -> Explanation:
        """Why two indexed articles are (not) one story, from stored data (no re-run)."""
        from syndup.explain import explain_pairs

        def read() -> Explanation:
            docs = self._store.lookup_ids([str(id_a), str(id_b)])
            missing = [i for i in (str(id_a), str(id_b)) if i not in docs]
            if missing:
                raise InputError(f"id(s) not in the index: {', '.join(missing)}", field="id")
            order = np.array([docs[str(id_a)], docs[str(id_b)]], dtype=np.int64)
            rows = self._store.articles(unique(order))
            rows = rows[np.searchsorted(rows["doc"].to_numpy(), order)]
            exp = explain_pairs(
                to_prepared(rows, self.config, self._layout), [(str(id_a), str(id_b))], self.config
            )[0]
            cur = {r["id"]: r for r in self._rows_of(unique(order)).to_dicts()}
            brief = [c for c in ASSIGNED if c not in ("id", "evidence")]
            ca, cb = cur[str(id_a)], cur[str(id_b)]
            return dataclasses.replace(
                exp,
                same_cluster=ca["cluster_id"] == cb["cluster_id"],
                cluster_a={k: ca[k] for k in brief},
                cluster_b={k: cb[k] for k in brief},
            )

        return self._retrying(read)

    def events(self, *, since: int | datetime = 0) -> pl.DataFrame:
        """Events after sequence number ``since`` (or after a datetime): founded, joined,
        merged, canonical_changed, removed (``cluster`` is the stable id, ``article`` /
        ``other`` article or cluster ids)."""
        seq = 0 if isinstance(since, datetime) else int(since)
        out = self._retrying(lambda: self._store.events(seq))
        if isinstance(since, datetime):
            out = out.filter(pl.col("time") > since.timestamp())
        return out.with_columns(
            pl.from_epoch(pl.col("time"), time_unit="s").cast(UTC).alias("time"),
            pl.format("c{}", pl.col("cluster")).alias("cluster"),
        )

    def stats(self) -> dict[str, Any]:
        """Counts, size on disk (or in Redis memory) and the stored schema version."""

        def read() -> dict[str, Any]:
            s = self._store
            meta = s.read_meta() or {}
            clusters = s.clusters()
            live = clusters.filter(pl.col("merged_into").is_null() & (pl.col("size") >= 2))
            articles = int(Counters.from_meta(meta).doc - 1)
            n = s.members(None).height
            size = s.size_bytes()
            return {
                "store": s.url,
                "schema_version": int(meta.get("schema_version", 0)),
                "articles": n,
                "articles_ever_added": articles,
                "clusters": live.height,
                "articles_in_clusters": int(live["size"].sum() or 0),
                "largest_cluster": int(live["size"].max() or 0) if live.height else 0,
                "batches": int(meta.get("last_batch", 0)),
                "events": int(meta.get("last_seq", 0)),
                "bytes": size,
                "bytes_per_article": round(size / n, 1) if n else None,
            }

        return self._retrying(read)

    # ------------------------------------------------------------------ integrity
    def check(self) -> list[str]:
        """Integrity problems (empty when sound): storage-level checks, then every article
        has a member row, every edge joins stored articles, every cluster's size and canonical
        agree with its members, members of a cluster share a component."""

        def read() -> list[str]:
            s = self._store
            problems = list(getattr(s, "integrity", list)())
            meta = s.read_meta() or {}
            counters = Counters.from_meta(meta)
            arts = s.articles(None, columns=SCALAR_COLUMNS)
            mem = s.members(None)
            docs = arts["doc"].to_numpy()
            if not np.array_equal(docs, mem["doc"].to_numpy()):
                problems.append("articles and member rows differ")
            if len(docs) and docs.max() >= counters.doc:
                problems.append("a doc number is beyond the stored counter")
            edges = s.edges(docs) if len(docs) else pl.DataFrame({"a": [], "b": []})
            stray = edges.filter(~pl.col("a").is_in(docs) | ~pl.col("b").is_in(docs))
            if stray.height:
                problems.append(f"{stray.height} edge(s) point at missing articles")
            live = s.clusters().filter(pl.col("merged_into").is_null())
            counts = mem.group_by("cluster").agg(
                pl.len().alias("n"), pl.col("component").n_unique().alias("comps")
            )
            joined = live.join(counts, on="cluster", how="left")
            bad = joined.filter(pl.col("n").fill_null(0) != pl.col("size"))
            if bad.height:
                problems.append(f"{bad.height} cluster(s) whose size disagrees with members")
            if counts.filter(pl.col("comps") > 1).height:
                problems.append("a cluster spans several components")
            canon = mem.filter(pl.col("doc").is_in(live["canonical"].to_list()))
            pairs = live.join(canon, left_on="canonical", right_on="doc", how="left")
            if pairs.filter(pl.col("cluster") != pl.col("cluster_right")).height or (
                canon.height != live.height
            ):
                problems.append("a cluster's canonical is not its member")
            if arts.height and not set(arts["batch"].unique().to_list()) <= set(
                s.batches()["batch"].to_list()
            ):
                problems.append("articles of an unrecorded batch")
            return problems

        return self._retrying(read)


def _cluster_number(cluster_id: str | int) -> int:
    text = str(cluster_id).strip()
    digits = text[1:] if text[:1].lower() == "c" else text
    if not digits.isdigit():
        raise InputError(f"not a cluster id: {cluster_id!r} (expected c<number>)", field="cluster")
    return int(digits)
