"""One incremental step: new articles against the stored ones, through the batch stages.

A batch of new articles runs the same stage functions as ``syndup cluster``:
``Detector.candidates`` over the new articles plus the stored articles that share a band
bucket with them (the first ``LSHConfig.anchors`` of each bucket, as in the batch join),
``pair_features`` + ``apply_rules`` on the pairs that involve a new article, then
``build_clusters`` and ``assemble`` over every connected component the new matches touch
(its stored members and edges re-enter as a ``Prepared``). Components are independent in
``build_clusters``, so re-clustering only the touched components gives what a batch run gives
for them. Stable ids are then mapped onto the new clusters: a cluster keeps its id as it
grows, a merge keeps the oldest id, a split-off part gets a new one (``syndup.index.stable``).

Differences from a batch run (measured in the parity tests):

* Learned boilerplate and learned generic headlines (``prepare``) are learned from the batch
  being added, not the whole corpus; stored articles keep what was learned when they came.
* Batch verification skips pairs whose ends are already connected; here every candidate pair
  with a new article is verified, so the stored graph can hold a few more edges.
* The anchors of a band bucket are its oldest stored members; in a batch run they are the
  bucket's first rows in id order. The two agree when articles arrive in id order (each
  batch is taken in id order); out of order a few pairs are verified that the batch run
  does not verify, and vice versa.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import polars as pl

from syndup.cluster import build_clusters
from syndup.config import Config
from syndup.graph_cuts import components
from syndup.index.anchors import ThinRows, step_candidates
from syndup.index.articles import concat, read_prepared, take, to_rows
from syndup.index.bands import PER_KEY, BandRuns, first_live
from syndup.index.stable import stable_ids, step_assignments
from syndup.index.store import (
    CLUSTER_SCHEMA,
    EDGE_FEATURES,
    EDGE_SCHEMA,
    MEMBER_SCHEMA,
    Counters,
    Store,
    unique,
)
from syndup.lsh import band_keys, band_params
from syndup.prepare import Prepared
from syndup.result import ASSIGNED_SCHEMA, assignment_table
from syndup.rules import apply_rules, feature_scopes
from syndup.verify import pair_features
from syndup.wire_feed import feed_keys


@dataclass
class Plan:
    """Everything one step writes; ``assignments`` is what it reports per new article."""

    assignments: pl.DataFrame
    articles: pl.DataFrame | None = None
    members: pl.DataFrame | None = None
    buckets: dict[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)
    edges: pl.DataFrame | None = None
    clusters: pl.DataFrame | None = None
    drop_clusters: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    events: list[dict[str, Any]] = field(default_factory=list)


def index_keys(prepared: Prepared, config: Config) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Band keys per LSH index, ``(articles, bands)`` uint64, same bands as the batch run,
    with the wire-feed entries; and the wire-feed probes (``syndup.wire_feed.feed_keys``,
    one pass for both)."""
    lcfg = config.lsh
    out = {}
    for name, sig, threshold in (
        ("body", prepared.body_sig, lcfg.body_threshold),
        ("lead", prepared.lead_sig, lcfg.lead_threshold),
        ("headline", prepared.headline_sig, lcfg.headline_threshold),
    ):
        bands, rows = band_params(threshold, sig.shape[1], recall_weight=lcfg.recall_weight)
        out[name] = band_keys(sig, bands=bands, rows=rows)
    out["wire_feed"], probes = _feed_keys(prepared.docs, config)
    return out, probes


def _feed_keys(docs: pl.DataFrame, config: Config) -> tuple[np.ndarray, np.ndarray]:
    """The wire-feed search's ``(entries, probes)`` (``syndup.wire_feed.feed_keys``)."""
    return feed_keys(
        docs,
        feeds=config.cluster.wire_outlets,
        hours=config.lsh.wire_feed_hours,
        min_shingles=config.lsh.wire_feed_min_shingles,
    )


def bucket_entries(keys: np.ndarray, docs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Flat ``(key, doc)`` pairs for an ``(articles, bands)`` key matrix (empty keys dropped)."""
    doc_grid = np.repeat(np.asarray(docs, dtype=np.int64), keys.shape[1])
    flat = keys.ravel()
    keep = flat != 0
    return flat[keep], doc_grid[keep]


def plan_add(
    store: Store,
    new: Prepared,
    *,
    config: Config,
    counters: Counters,
    now: float,
    bands: BandRuns,
    layout: list[tuple[str, str]],
    write: bool = True,
    all_live: bool = False,
    thin: ThinRows | None = None,
) -> Plan:
    """The step that adds ``new`` (usable articles not yet stored) to the index.
    ``bands``: the stored band runs, synced with the store. ``write=False`` (a query): the
    plan holds the assignments only, not the rows a write would store. ``all_live``: no
    article was ever removed, so every doc in the runs is stored (not looked up). ``thin``:
    stored rows the search read thin in earlier steps (kept across steps)."""
    n_new = new.docs.height
    new_docs = counters.doc + np.arange(n_new, dtype=np.int64)
    keys, probes = index_keys(new, config)
    anchors = max(1, config.lsh.anchors)
    # With every doc of the runs stored, a bucket's first ``anchors`` docs of each run hold
    # its first ``anchors`` overall (``first_live`` takes those): no more need reading.
    # Otherwise read spares (``PER_KEY``) for the removed docs the live check drops.
    per_key = min(anchors, PER_KEY) if all_live else PER_KEY
    hits = {}
    for name, matrix in keys.items():
        if name != "wire_feed":
            hits[name] = bands.lookup(name, unique(matrix[matrix != 0]), per_key=per_key)
    # The wire-feed search pairs a row with every feed row of its wire and city in the
    # window (no anchors): all stored entries of the probed slots.
    hits["wire_feed"] = bands.lookup(
        "wire_feed", unique(probes[probes != 0]), per_key=np.iinfo(np.int64).max
    )
    live = None  # every doc in the runs is stored: nothing to look up or drop
    if not all_live:
        seen = unique(np.concatenate([d for _, d in hits.values()]))
        live = store.live_docs(seen) if len(seen) else seen
    found = {
        name: first_live(k, d, live, anchors)
        for name, (k, d) in hits.items()
        if name != "wire_feed"
    }
    feed_docs = hits["wire_feed"][1]
    found["wire_feed"] = unique(feed_docs if live is None else feed_docs[np.isin(feed_docs, live)])
    old_docs, old, pairs = step_candidates(store, found, new, config, layout, thin)
    n_old = len(old_docs)
    doc_of = np.concatenate([old_docs, new_docs])
    none = np.zeros(0, dtype=np.int64)
    if pairs.height:  # (most one-article queries have no candidate at all)
        feats = pair_features(
            pairs,
            concat([old, new], config),
            body_ngram=config.signature.body_ngram,
            scopes=feature_scopes(config.verify),
            rules=config.verify.rules,
        )
        feats = apply_rules(feats, config.verify).filter(pl.col("matched"))
        new_edges = _edge_rows(feats, doc_of)
        touched = unique(doc_of[feats["a"].to_numpy()[feats["a"].to_numpy() < n_old]])
    else:
        new_edges, touched = _empty_edges(), none
    comps = store.members(touched)["component"].unique().to_numpy() if len(touched) else none
    affected = store.component_docs(comps) if len(comps) else none
    stored_edges = store.edges(affected) if len(affected) else _empty_edges()
    members = store.members(affected) if len(affected) else pl.DataFrame(schema=MEMBER_SCHEMA)
    sub = concat([_gather(store, affected, old_docs, old, config, layout), new], config)
    sub_docs = np.concatenate([affected, new_docs])
    plan = recluster(
        store,
        sub,
        sub_docs,
        pl.concat([stored_edges, new_edges]),
        old_cluster=np.concatenate(
            [members["cluster"].to_numpy(), np.full(n_new, -1, dtype=np.int64)]
        ),
        config=config,
        counters=counters,
        now=now,
    )
    if write:
        plan.articles = to_rows(new, new_docs, batch=counters.batch, added=now)
        plan.edges = new_edges
        plan.buckets = {name: bucket_entries(matrix, new_docs) for name, matrix in keys.items()}
    counters.doc += n_new
    return plan


def _gather(
    store: Store,
    docs: np.ndarray,
    have_docs: np.ndarray,
    have: Prepared,
    config: Config,
    layout: list[tuple[str, str]],
) -> Prepared:
    """Stored articles ``docs`` (ascending) as a ``Prepared`` in that order: rows already
    in ``have`` (numbered ``have_docs``, ascending) are reused, the others read."""
    if not len(have_docs):
        return read_prepared(store, docs, config, layout)[1]
    at = np.searchsorted(have_docs, docs)
    known = (at < len(have_docs)) & (have_docs[np.minimum(at, len(have_docs) - 1)] == docs)
    if known.all():
        return take(have, at)
    extra_docs, extra = read_prepared(store, docs[~known], config, layout)
    if not known.any():
        return extra
    both = concat([take(have, at[known]), extra], config)
    order = np.argsort(np.concatenate([docs[known], extra_docs]), kind="stable")
    return take(both, order)


def _empty_edges() -> pl.DataFrame:
    return pl.DataFrame(schema=EDGE_SCHEMA)


def _edge_rows(feats: pl.DataFrame, doc_of: np.ndarray) -> pl.DataFrame:
    """Matched feature rows as stored edges (doc numbers, ``a < b``)."""
    a = doc_of[feats["a"].to_numpy().astype(np.int64)]
    b = doc_of[feats["b"].to_numpy().astype(np.int64)]
    return feats.select(
        pl.Series("a", np.minimum(a, b)),
        pl.Series("b", np.maximum(a, b)),
        pl.col("rule").cast(pl.String),
        *[pl.col(f).cast(pl.Float64) for f in EDGE_FEATURES],
    )


def recluster(
    store: Store,
    sub: Prepared,
    sub_docs: np.ndarray,
    edges: pl.DataFrame,
    *,
    old_cluster: np.ndarray,
    config: Config,
    counters: Counters,
    now: float,
) -> Plan:
    """Cluster the subgraph ``sub`` (doc numbers ``sub_docs``, whole components) with
    ``build_clusters`` + ``assemble`` and map stable cluster ids onto the result.

    ``old_cluster``: each row's stored cluster id, -1 for new articles."""
    n = len(sub_docs)
    edges = edges.unique(["a", "b"], keep="last").sort("a", "b")  # same order on every store
    order = np.argsort(sub_docs)
    a = order[np.searchsorted(sub_docs[order], edges["a"].to_numpy())]
    b = order[np.searchsorted(sub_docs[order], edges["b"].to_numpy())]
    graph = edges.with_columns(
        pl.Series("a", a.astype(np.int64)),
        pl.Series("b", b.astype(np.int64)),
        pl.col("rule").cast(pl.Categorical),
        *[pl.col(f).cast(pl.Float32) for f in EDGE_FEATURES],
        pl.lit(True).alias("matched"),
    )
    alone = np.ones(n, dtype=bool)
    alone[a], alone[b] = False, False
    alone &= old_cluster < 0
    asg, local, canon_row, decided = _cluster(sub, graph, alone, config)
    comp_label = components(n, a, b)
    comp_min = np.full(int(comp_label.max()) + 1 if n else 0, np.iinfo(np.int64).max)
    np.minimum.at(comp_min, comp_label, sub_docs)
    component = comp_min[comp_label]
    ids = sub.docs["id"].to_numpy()

    old_ids = unique(old_cluster[old_cluster >= 0])
    stored = (
        store.clusters(old_ids) if len(old_ids) else pl.DataFrame(schema=CLUSTER_SCHEMA)
    ).filter(pl.col("merged_into").is_null())
    old_canon = dict(zip(stored["cluster"].to_list(), stored["canonical"].to_list()))
    founded = dict(zip(stored["cluster"].to_list(), stored["founded"].to_list()))
    stable, merged_into, plan_events = stable_ids(
        local, old_cluster, sub_docs, canon_row, old_canon, counters
    )
    members = pl.DataFrame(
        {
            "doc": sub_docs,
            "cluster": stable,
            "component": component,
            "similarity": asg["similarity"].cast(pl.Float64),
            "rule": asg["rule"].cast(pl.String),
            "evidence": asg["evidence"].cast(pl.String),
        },
        schema=MEMBER_SCHEMA,
    )
    sizes = asg["cluster_size"].to_numpy()
    rows, seen = [], set()
    for i in range(n):
        cid = int(stable[i])
        if cid in seen or sizes[i] < 2:
            continue
        seen.add(cid)
        rows.append(
            {
                "cluster": cid,
                "size": int(sizes[i]),
                "canonical": int(sub_docs[canon_row[i]]),
                "decided_by": decided.get(int(canon_row[i])),
                "founded": founded.get(cid, now),
                "updated": now,
                "merged_into": None,
            }
        )
    for gone, into in merged_into.items():
        rows.append(
            {
                "cluster": gone,
                "size": 0,
                "canonical": None,
                "decided_by": None,
                "founded": founded.get(gone, now),
                "updated": now,
                "merged_into": into,
            }
        )
    drop = np.array([c for c in old_canon if c not in seen and c not in merged_into], np.int64)
    events = []
    for kind, cluster, row, other in plan_events:
        events.append(
            {
                "kind": kind,
                "cluster": cluster,
                "article": None if row is None else str(ids[row]),
                "other": other if not isinstance(other, (int, np.integer)) else str(ids[other]),
            }
        )
    plan = Plan(
        assignments=step_assignments(asg, stable, old_cluster, merged_into, plan_events),
        members=members,
        clusters=pl.DataFrame(rows, schema=CLUSTER_SCHEMA),
        drop_clusters=drop,
        events=events,
    )
    return plan


def _cluster(
    sub: Prepared, graph: pl.DataFrame, alone: np.ndarray, config: Config
) -> tuple[pl.DataFrame, np.ndarray, np.ndarray, dict[int, Any]]:
    """``build_clusters`` + ``assignment_table`` over ``sub``: ``(assignments, local
    cluster label per row, canonical row per row, first separating rule by canonical
    row)``. Rows ``alone`` (new articles with no edge) are their own clusters; they are
    left out of the build (components are independent there), so a step of mostly
    unmatched articles, and a one-article query that matched nothing, builds no frames for
    them. Their rows are what the build gives a singleton: its own canonical, similarity
    1, no rule or evidence."""
    n = sub.docs.height
    ids = sub.docs["id"].to_numpy()
    local = np.empty(n, dtype=object)
    canon_row = np.arange(n, dtype=np.int64)
    decided: dict[int, Any] = {}
    keep = np.flatnonzero(~alone)
    parts = []
    if len(keep):
        part = sub if len(keep) == n else take(sub, keep)
        if len(keep) < n:
            graph = graph.with_columns(
                pl.Series("a", np.searchsorted(keep, graph["a"].to_numpy()).astype(np.int64)),
                pl.Series("b", np.searchsorted(keep, graph["b"].to_numpy()).astype(np.int64)),
            )
        built = build_clusters(part, graph, config.cluster)
        asg = assignment_table(part, graph, built)
        local[keep] = asg["cluster_id"].to_numpy()
        row_of_id = {v: int(keep[i]) for i, v in enumerate(ids[keep].tolist())}
        canon_row[keep] = [row_of_id[c] for c in asg["canonical_id"].to_list()]
        # The first separating rule of each cluster, by its canonical row (as
        # ``assemble``'s cluster table has it).
        decided = {
            int(keep[c]): d
            for c, d in zip(built[2]["canonical"].to_list(), built[2]["decided_by"].to_list())
        }
        parts.append(
            asg.select(pl.col(c).cast(t) for c, t in ASSIGNED_SCHEMA.items()).with_columns(
                pl.Series("_row", keep)
            )
        )
    single = np.flatnonzero(alone)
    if len(single):
        for r in single.tolist():  # labels no build gives ("c0001", ...)
            local[r] = f"alone:{r}"
        names = ids[single]
        parts.append(
            pl.DataFrame(
                {
                    "id": names,
                    "cluster_id": None,
                    "cluster_size": 1,
                    "canonical_id": names,
                    "is_canonical": True,
                    "similarity": 1.0,
                    "rule": None,
                    "evidence": None,
                    "_row": single,
                },
                schema={**ASSIGNED_SCHEMA, "_row": pl.Int64},
            )
        )
    asg = parts[0] if len(parts) == 1 else pl.concat(parts).sort("_row")
    return asg.drop("_row"), local, canon_row, decided
