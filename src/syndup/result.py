"""The result of a run, and its assembly from verified pairs."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import polars as pl

from syndup.cluster import build_clusters
from syndup.config import Config
from syndup.graph_cuts import EDGE_FEATURES, similarity_to
from syndup.prepare import Prepared
from syndup.titles import article_context
from syndup.verify import evidence_expr

#: Typed evidence columns of ``assignments``: the features of the edge each member joined by.
EVIDENCE = (
    "body_jaccard",
    "body_containment",
    "unquoted_containment",
    "lead_jaccard",
    "headline_ratio",
)

#: Where each record went: the leading columns of every engine's and the index's assignments,
#: with the types the index stores them in (ids as text).
ASSIGNED_SCHEMA: dict[str, pl.DataType] = {
    "id": pl.String(),
    "cluster_id": pl.String(),
    "cluster_size": pl.Int64(),
    "canonical_id": pl.String(),
    "is_canonical": pl.Boolean(),
    "similarity": pl.Float64(),
    "rule": pl.String(),
    "evidence": pl.String(),
}
ASSIGNED = tuple(ASSIGNED_SCHEMA)

NO_TEXT = "no usable text (headline and body empty after cleanup)"


@dataclass(frozen=True)
class Result:
    """What a run produces. All tables are polars DataFrames.

    Attributes:
        assignments: one row per input record, in input order: id, cluster_id,
            cluster_size, canonical_id, is_canonical, similarity (to the canonical, 0-1),
            rule (why it joined), evidence (one line) and the same values typed
            (``EVIDENCE`` columns), reason (why a row was not clustered: no usable
            text, or an unreadable record set aside; null otherwise), row (input row).
        clusters: one row per cluster of 2+: cluster_id, size, canonical_id, decided_by,
            headline, outlets, first_published, last_published.
        pairs: every candidate pair (all are verified) with its features, ``rule``,
            ``matched`` and ``status``.
        rejects: every input problem (``syndup.io.PROBLEM_SCHEMA``: file, row, id, field,
            value, reason, action, raw): values nulled or salvaged, records rejected, and
            rows not clustered for lack of text (``action="not_clustered"``).
        stats: per-stage seconds and counts.
        context: the input columns of every article except the body (id, headline as one
            clean line, outlet, url, published and any other input column), for the
            analyst's outputs in ``syndup.analysis``.
    """

    assignments: pl.DataFrame
    clusters: pl.DataFrame
    pairs: pl.DataFrame
    rejects: pl.DataFrame
    stats: dict[str, Any] = field(default_factory=dict)
    config: Config = field(default_factory=Config)
    outlets: pl.DataFrame = field(
        default_factory=lambda: pl.DataFrame(schema={"id": pl.String, "outlet": pl.String})
    )
    context: pl.DataFrame = field(
        default_factory=lambda: pl.DataFrame(
            schema={
                "id": pl.String,
                "headline": pl.String,
                "outlet": pl.String,
                "url": pl.String,
                "published": pl.Datetime("us", "UTC"),
            }
        )
    )

    def summary(self, *, top: int = 10) -> dict[str, Any]:
        """Headline numbers: articles, clusters, duplicates, largest clusters, top outlets."""
        asg = self.assignments
        pairs = self.stats.get("pairs", {})
        dup = asg.filter(~pl.col("is_canonical") & (pl.col("cluster_size") > 1))
        outlets = (
            asg.filter(pl.col("cluster_size") > 1)
            .join(self.outlets, on="id", how="left")
            .group_by("outlet")
            .agg(pl.len().alias("articles_in_clusters"))
            .drop_nulls("outlet")
            .sort(["articles_in_clusters", "outlet"], descending=[True, False])
            .head(top)
        )
        return {
            "articles": self.stats.get("articles", asg.height),
            "usable": asg.height - asg["cluster_id"].null_count(),
            "rejected": int(asg["cluster_id"].is_null().sum()),
            "clusters": self.clusters.height,
            "duplicates": dup.height,
            "candidate_pairs": pairs.get("candidates", self.pairs.height),
            "verified_pairs": pairs.get("verified", self.pairs.height),
            "matched_pairs": int(self.pairs["matched"].sum()) if self.pairs.height else 0,
            "largest_clusters": self.clusters.head(top).to_dicts(),
            "top_outlets": outlets.to_dicts(),
        }


def assemble(
    prepared: Prepared,
    feats: pl.DataFrame,
    config: Config,
    stats: dict[str, Any],
    *,
    edges: pl.DataFrame | None = None,
    clusters: tuple[np.ndarray, np.ndarray, pl.DataFrame] | None = None,
    similarity: np.ndarray | None = None,
) -> Result:
    """Result tables from verified pairs: clusters, canonical records, why each joined.

    ``edges`` (``cluster_edges(feats)``), ``clusters`` (``build_clusters`` of the edges) and
    ``similarity`` (``canonical_similarity``) if already computed: with all three given,
    ``prepared``'s body signatures are not read (a caller may release them first)."""
    if edges is None:
        edges = cluster_edges(feats)
    if clusters is None:
        clusters = build_clusters(prepared, edges, config.cluster)
    asg = assignment_table(prepared, edges, clusters, similarity=similarity)
    canon = clusters[2]
    context = article_context(prepared.source, prepared.bodies)
    clusters_table = _cluster_table(prepared, asg, canon, context)
    rejects = prepared.rejected.with_columns(pl.lit(NO_TEXT).alias("reason"))
    id_col = prepared.docs["id"].cast(pl.String)  # gathered in polars: no Python strings
    pairs = feats.with_columns(
        id_col.gather(feats["a"]).alias("id_a"), id_col.gather(feats["b"]).alias("id_b")
    )
    pairs = pairs.select("id_a", "id_b", pl.exclude("id_a", "id_b", "a", "b"))
    stats["clusters"] = clusters_table.height
    outlets = prepared.docs.select("id", "outlet")
    return Result(asg, clusters_table, pairs, rejects, stats, config, outlets, context)


def cluster_edges(feats: pl.DataFrame) -> pl.DataFrame:
    """The matched pairs of ``feats`` with only the columns the cluster stage reads (the
    filter copies them alone: ~0.4 GB of features at 1M otherwise; no copy when every pair
    is matched, as ``Detector(keep_pairs=False)`` gives them)."""
    wanted = ("a", "b", "rule", *dict.fromkeys((*EDGE_FEATURES, *EVIDENCE)))
    edges = feats.select(c for c in wanted if c in feats.columns)
    return edges if feats["matched"].all() else edges.filter(feats["matched"])


def canonical_similarity(prepared: Prepared, canon_row: np.ndarray) -> np.ndarray:
    """Per row, ``similarity_to`` its canonical (``canon_row``; 1 for canonicals)."""
    rows = np.arange(len(canon_row))
    sim = np.ones(len(canon_row))
    members = np.flatnonzero(canon_row != rows)
    sim[members] = similarity_to(prepared, members, canon_row[members])
    return sim


def assignment_table(
    prepared: Prepared,
    edges: pl.DataFrame,
    clusters: tuple[np.ndarray, np.ndarray, pl.DataFrame],
    *,
    similarity: np.ndarray | None = None,
) -> pl.DataFrame:
    """The ``assignments`` table of ``assemble`` alone (one row per article): what the
    index needs of a step, without the cluster table and display headlines.
    ``similarity``: ``canonical_similarity`` if already computed."""
    docs = prepared.docs
    n = docs.height
    usable = docs["usable"].to_numpy()
    labels, canon_row, _ = clusters
    ids = docs["id"].to_numpy()
    rows = np.arange(n)
    sim = canonical_similarity(prepared, canon_row) if similarity is None else similarity
    sizes = np.bincount(labels)[labels]
    # Why each member joined: its matched edge to the canonical if any, else its best edge.
    # Chosen on numbers first; evidence text is formatted for the chosen edges only.
    keys = edges.select(
        pl.int_range(pl.len(), dtype=pl.UInt32).alias("edge"),
        "a",
        "b",
        "body_containment",
        "headline_ratio",
    )
    ends = pl.concat(
        [
            keys.select(pl.col("a").alias("row"), pl.col("b").alias("other"), pl.exclude("a", "b")),
            keys.select(pl.col("b").alias("row"), pl.col("a").alias("other"), pl.exclude("a", "b")),
        ]
    ).with_columns(pl.col("row").cast(pl.Int64), pl.col("other").cast(pl.Int64))
    canon_frame = pl.DataFrame({"row": rows, "canon_row": canon_row})
    # Only the sort keys and the edge go through the sort (the permutation depends on the
    # keys alone): two edge ends per matched pair are the cluster stage's largest frame.
    best = (
        ends.join(canon_frame, on="row")
        .select(
            "row",
            (pl.col("other") == pl.col("canon_row")).alias("_to_canon"),
            "body_containment",
            "headline_ratio",
            "edge",
        )
        .sort(
            ["row", "_to_canon", "body_containment", "headline_ratio"],
            descending=[False, True, True, True],
            nulls_last=True,
        )
        .group_by("row", maintain_order=True)
        .agg(pl.col("edge").first())
    )
    del ends
    chosen = edges[best["edge"]].select("rule", evidence_expr().alias("evidence"), *EVIDENCE)
    why = pl.concat([best.select("row"), chosen], how="horizontal")
    order = (
        pl.DataFrame({"label": labels, "size": sizes, "canon_id": ids[canon_row]})
        .unique("label")
        .sort(["size", "canon_id"], descending=[True, False])
        .with_columns(pl.int_range(1, pl.len() + 1).alias("cluster_no"))
    )
    width = max(4, len(str(order.height)))
    asg = (
        pl.DataFrame(
            {
                "row": rows,
                "id": ids,
                "label": labels,
                "cluster_size": sizes.astype(np.int64),
                "canonical_id": ids[canon_row],
                "is_canonical": canon_row == rows,
                "similarity": np.round(sim, 3),
            }
        )
        .join(order.select("label", "cluster_no"), on="label", how="left")
        .join(why, on="row", how="left")
        .with_columns(
            pl.format("c{}", pl.col("cluster_no").cast(pl.String).str.zfill(width)).alias(
                "cluster_id"
            ),
            pl.when(pl.col("is_canonical"))
            .then(pl.lit("canonical"))
            .otherwise(pl.col("rule"))
            .alias("rule"),
        )
        .sort("row")
        .select(*ASSIGNED, *EVIDENCE)
    )
    asg = asg.with_columns(
        pl.when(pl.col("cluster_size") == 1).then(None).otherwise(pl.col("rule")).alias("rule")
    )
    # Rows with no usable text stay (input rows = output rows), with no cluster and a reason.
    no_text = pl.lit(pl.Series(~usable))
    return asg.with_columns(
        pl.when(no_text).then(None).otherwise(pl.exclude("id")).name.keep(),
        pl.when(no_text).then(pl.lit(NO_TEXT)).alias("reason"),
    )


def _cluster_table(
    prepared: Prepared, asg: pl.DataFrame, canon: pl.DataFrame, context: pl.DataFrame
) -> pl.DataFrame:
    docs = prepared.docs
    info = docs.select("id", "outlet", "published", "headline", "body_start")
    multi = asg.filter(pl.col("cluster_size") > 1).join(info, on="id")
    if multi.height == 0:
        return pl.DataFrame(
            schema={
                "cluster_id": pl.String,
                "size": pl.Int64,
                "canonical_id": pl.String,
                "decided_by": pl.String,
                "headline": pl.String,
                "outlets": pl.List(pl.String),
                "first_published": pl.Datetime("us", "UTC"),
                "last_published": pl.Datetime("us", "UTC"),
            }
        )
    decided = canon.select(
        pl.Series("canonical_id", docs["id"].to_numpy()[canon["canonical"].to_numpy()]),
        "decided_by",
    )
    canon_head = context.select(pl.col("id").alias("canonical_id"), "headline")
    return (
        multi.group_by("cluster_id")
        .agg(
            pl.len().alias("size"),
            pl.col("canonical_id").first(),
            pl.col("outlet").drop_nulls().unique().sort().alias("outlets"),
            pl.col("published").min().alias("first_published"),
            pl.col("published").max().alias("last_published"),
        )
        .join(decided, on="canonical_id", how="left")
        .join(canon_head, on="canonical_id", how="left")
        .sort(["size", "cluster_id"], descending=[True, False])
        .select(
            "cluster_id",
            "size",
            "canonical_id",
            "decided_by",
            "headline",
            "outlets",
            "first_published",
            "last_published",
        )
    )
