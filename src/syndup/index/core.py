"""``Index``: a persistent, incremental clustering of a news stream (SQLite or Redis)."""

from __future__ import annotations

import dataclasses
import json
import os
import re
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from typing import Any

import numpy as np
import polars as pl

from syndup.config import Config
from syndup.errors import ConfigError, InputError
from syndup.explain import Explanation, explain_pairs
from syndup.index.articles import UTC, doc_layout, take, to_prepared
from syndup.index.bands import BandRuns, append_run
from syndup.index.store import (
    APPLICATION,
    EDGE_FEATURES,
    INDEXES,
    SCALAR_COLUMNS,
    SCHEMA_VERSION,
    Retry,
    Store,
    StoreError,
    open_store,
)
from syndup.index.update import Counters, Plan, plan_add, recluster
from syndup.io import read_corpus
from syndup.prepare import prepare

# Settings that change how work is scheduled, never what is stored or matched.
RUNTIME_ONLY = {
    ("signature", "workers"),
    ("signature", "batch_size"),
    ("signature", "compress_text_above_mb"),
    ("lsh", "warn_bucket"),
}
ASSIGNMENT_COLUMNS = (
    "id",
    "cluster_id",
    "cluster_size",
    "canonical_id",
    "is_canonical",
    "similarity",
    "rule",
    "evidence",
    "action",
)
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*$")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_duration(text: str) -> timedelta:
    """``"7d"``, ``"12h"``, ``"30m"``, ``"90s"``, ``"2w"`` -> timedelta."""
    match = _DURATION.match(text)
    if not match:
        raise ConfigError(f"cannot read duration {text!r}: use a number and s, m, h, d or w")
    return timedelta(seconds=float(match.group(1)) * _UNITS[match.group(2)])


def _differences(stored: dict[str, Any], given: dict[str, Any]) -> list[str]:
    out = []
    for section in sorted(set(stored) | set(given)):
        a, b = stored.get(section, {}), given.get(section, {})
        for key in sorted(set(a) | set(b)):
            if (section, key) not in RUNTIME_ONLY and a.get(key) != b.get(key):
                out.append(f"{section}.{key}")
    return out


class Index:
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
                        **_layouts(config),
                        "created": str(time.time()),
                        **Counters().to_meta(),
                    }
                )
                meta = store.read_meta() or {}
            return cls(store, _check_meta(meta, config, str(location)))
        except BaseException:
            store.close()
            raise

    def close(self) -> None:
        self._store.close()

    def __enter__(self) -> Index:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

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
        prepared = prepare(fresh, self.config)  # pure: outside the write lock
        session = self._store.writing() if write else self._store.reading()
        with session, self._fresh_bands():
            meta = self._store.read_meta() or {}
            counters = Counters.from_meta(meta)
            counters.batch += 1
            now = time.time()
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
                )
                if new.docs.height
                else Plan(assignments=pl.DataFrame())
            )
            if write and new.docs.height:
                self._write(plan, counters, now, articles=new.docs.height)
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

    def _write(self, plan: Plan, counters: Counters, now: float, *, articles: int) -> None:
        s = self._store
        if plan.articles is not None:
            s.put_articles(plan.articles)
        for name, (keys, docs) in plan.buckets.items():
            counters.segment = append_run(
                s, self._bands, name, keys, docs, next_seg=counters.segment
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

    # ------------------------------------------------------------------ reading
    def _current(self, ids: list[str], *, exclude: pl.Series | None = None) -> pl.DataFrame:
        """Assignment rows of stored articles (``ids`` that are stored), action ``exists``."""
        docs = self._store.lookup_ids(ids)
        if exclude is not None:
            for i in exclude.to_list():
                docs.pop(i, None)
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

        def read() -> Explanation:
            docs = self._store.lookup_ids([str(id_a), str(id_b)])
            missing = [i for i in (str(id_a), str(id_b)) if i not in docs]
            if missing:
                raise InputError(f"id(s) not in the index: {', '.join(missing)}", field="id")
            order = np.array([docs[str(id_a)], docs[str(id_b)]], dtype=np.int64)
            rows = self._store.articles(np.unique(order))
            rows = rows[np.searchsorted(rows["doc"].to_numpy(), order)]
            exp = explain_pairs(
                to_prepared(rows, self.config, self._layout), [(str(id_a), str(id_b))], self.config
            )[0]
            cur = {r["id"]: r for r in self._rows_of(np.unique(order)).to_dicts()}
            brief = (
                "cluster_id",
                "cluster_size",
                "canonical_id",
                "is_canonical",
                "similarity",
                "rule",
            )
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
        s = self._store
        gone = s.articles(docs)
        mem = s.members(docs)
        comps = mem["component"].unique().to_numpy()
        rest = np.setdiff1d(s.component_docs(comps), docs)
        edges = s.edges(rest)
        edges = edges.filter(~pl.col("a").is_in(docs) & ~pl.col("b").is_in(docs))
        old = s.clusters(mem["cluster"].unique().to_numpy())
        s.delete_docs(docs)
        plan = Plan(assignments=pl.DataFrame())
        if len(rest):
            rest_mem = s.members(rest)
            plan = recluster(
                s,
                to_prepared(s.articles(rest), self.config, self._layout),
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


def _layouts(config: Config) -> dict[str, str]:
    """What the stored rows hold besides the schema: the article columns and edge features
    of this syndup version (an index built by another layout is refused, not misread)."""
    return {
        "doc_layout": json.dumps(doc_layout(config)),
        "edge_features": json.dumps(list(EDGE_FEATURES)),
    }


def _check_meta(meta: dict[str, str], config: Config | None, where: str) -> Config:
    version = meta.get("schema_version")
    if version != str(SCHEMA_VERSION):
        raise StoreError(
            f"{where}: index schema version {version}, this syndup reads {SCHEMA_VERSION}"
        )
    for key, value in _layouts(config or Config()).items():
        if meta.get(key) != value:
            raise StoreError(
                f"{where}: index built by a syndup with other stored article data ({key}); "
                "rebuild it with this version"
            )
    try:
        stored = json.loads(meta["config"])
        # Indexes built before body signatures had a scheme hold datasketch's affine32.
        stored.setdefault("signature", {}).setdefault("scheme", "affine32")
        stored_config = Config.from_dict(stored)
    except (KeyError, ValueError, ConfigError) as exc:
        raise StoreError(f"{where}: unreadable stored config ({exc})") from None
    if config is None:
        return stored_config
    diff = _differences(stored, config.to_dict())
    if diff:
        raise ConfigError(
            f"{where}: config differs from the one the index was built with "
            f"({', '.join(diff[:6])}); open it without a config or rebuild the index"
        )
    return config


def _cluster_number(cluster_id: str | int) -> int:
    text = str(cluster_id).strip()
    digits = text[1:] if text[:1].lower() == "c" else text
    if not digits.isdigit():
        raise InputError(f"not a cluster id: {cluster_id!r} (expected c<number>)", field="cluster")
    return int(digits)


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
