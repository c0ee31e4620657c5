"""The analyst's view of a Result: article context, originators vs republishers, copy lags,
the outlet-by-outlet copy matrix, the deduplicated corpus.

Everything here is computed from the Result tables (``assignments``, ``clusters`` and the
article ``context`` kept from the input), so it works the same for any run.

Definitions (approximations stated):
    * The *originator* of a cluster is its earliest-published member (ties and missing dates
      fall back to the canonical record). It is who filed first in this corpus, not
      necessarily who wrote the story: a wire seen late in a crawl looks like a copier.
    * A member's *lag* is its ``published`` minus the originator's, in hours; null when
      either date is unknown.
    * A *copy* is every member of a cluster other than its originator; the copy matrix
      counts copies by (originator outlet, copier outlet).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import polars as pl

from syndup.errors import SyndupError
from syndup.result import EVIDENCE, Result
from syndup.titles import display_headlines

__all__ = [
    "EVIDENCE_FIELDS",
    "articles",
    "copy_matrix",
    "deduplicate",
    "display_headlines",
    "members",
    "outlet_roles",
    "overview",
]

#: The typed evidence columns of the per-article output (the chosen edge's features).
EVIDENCE_FIELDS = EVIDENCE

_CONTEXT = ("headline", "outlet", "url", "published")


def articles(result: Result, *, columns: Sequence[str] = ()) -> pl.DataFrame:
    """One row per usable article: the assignment, its context and its typed evidence.

    Columns: those of ``result.assignments`` (id, cluster_id, cluster_size, canonical_id,
    is_canonical, similarity, rule, evidence and the typed :data:`EVIDENCE_FIELDS`), then
    headline (one clean line), outlet, url, published, lag_hours (to the cluster's
    originator), then ``columns``: input columns carried through by name.

    Raises:
        SyndupError: a requested column is not in the input.
    """
    ctx = result.context
    missing = [c for c in columns if c not in ctx.columns and c not in result.assignments.columns]
    if missing:
        have = ", ".join(c for c in ctx.columns if c != "row")
        raise SyndupError(f"--columns: no input column {', '.join(missing)} (have: {have})")
    extra = [c for c in columns if c not in _CONTEXT and c not in result.assignments.columns]
    lag = members(result).select("id", "lag_hours")
    return (
        result.assignments.join(
            ctx.select("id", *_CONTEXT, *extra), on="id", how="left", maintain_order="left"
        )
        .join(lag, on="id", how="left", maintain_order="left")
        .select(*result.assignments.columns, *_CONTEXT, "lag_hours", *extra)
    )


def members(result: Result) -> pl.DataFrame:
    """Articles in clusters of 2+ with outlet, published, whether each is its cluster's
    originator, and its lag in hours to the originator.

    Columns: id, cluster_id, cluster_size, canonical_id, is_canonical, rule, similarity,
    headline, outlet, published, originator_id, originator_outlet, is_originator, lag_hours.
    Sorted by cluster_id then published (unknown dates last).
    """
    ctx = result.context.select("id", "headline", "outlet", "published")
    multi = (
        result.assignments.filter(pl.col("cluster_size") > 1)
        .select(
            "id",
            "cluster_id",
            "cluster_size",
            "canonical_id",
            "is_canonical",
            "rule",
            "similarity",
        )
        .join(ctx, on="id", how="left")
        .sort(
            ["cluster_id", "published", "is_canonical", "id"],
            descending=[False, False, True, False],
            nulls_last=True,
        )
    )
    first = multi.group_by("cluster_id", maintain_order=True).agg(
        pl.col("id").first().alias("originator_id"),
        pl.col("outlet").first().alias("originator_outlet"),
        pl.col("published").first().alias("_origin_time"),
    )
    return (
        multi.join(first, on="cluster_id", how="left")
        .with_columns(
            (pl.col("id") == pl.col("originator_id")).alias("is_originator"),
            ((pl.col("published") - pl.col("_origin_time")).dt.total_seconds() / 3600.0)
            .round(2)
            .alias("lag_hours"),
        )
        .drop("_origin_time")
    )


def outlet_roles(result: Result, *, top: int | None = None) -> pl.DataFrame:
    """Per outlet: clusters it originated (filed first), copies it republished, and the
    median and mean lag of its copies in hours.

    Sorted by copies then originated (most active republishers first); ``top`` keeps the
    first rows. Articles with no outlet are left out.
    """
    m = members(result).filter(pl.col("outlet").is_not_null() & (pl.col("outlet") != ""))
    roles = (
        m.group_by("outlet")
        .agg(
            pl.col("is_originator").sum().cast(pl.Int64).alias("originated"),
            (~pl.col("is_originator")).sum().cast(pl.Int64).alias("republished"),
            pl.col("lag_hours").filter(~pl.col("is_originator")).median().alias("median_lag_hours"),
            pl.col("lag_hours").filter(~pl.col("is_originator")).mean().alias("mean_lag_hours"),
        )
        .with_columns(pl.col("median_lag_hours", "mean_lag_hours").round(2))
        .sort(["republished", "originated", "outlet"], descending=[True, True, False])
    )
    return roles if top is None else roles.head(top)


def copy_matrix(
    result: Result,
    *,
    top: int = 10,
    origins: Sequence[str] | None = None,
    copiers: Sequence[str] | None = None,
) -> pl.DataFrame:
    """Copies by (originator outlet, copier outlet): who copies whom.

    Long form: origin, copier, copies, median_lag_hours. Rows are limited to ``origins``
    (default: the ``top`` outlets that originate most) and ``copiers`` (default: the ``top``
    that republish most). Same-outlet rows are updates or re-runs.
    """
    roles = outlet_roles(result)
    if origins is None:
        origins = (
            roles.filter(pl.col("originated") > 0)
            .sort(["originated", "outlet"], descending=[True, False])
            .head(top)["outlet"]
            .to_list()
        )
    if copiers is None:
        copiers = roles.filter(pl.col("republished") > 0).head(top)["outlet"].to_list()
    return (
        members(result)
        .filter(~pl.col("is_originator"))
        .filter(
            pl.col("outlet").is_in(pl.Series(list(copiers), dtype=pl.String).implode())
            & pl.col("originator_outlet").is_in(pl.Series(list(origins), dtype=pl.String).implode())
        )
        .group_by(pl.col("originator_outlet").alias("origin"), pl.col("outlet").alias("copier"))
        .agg(
            pl.len().cast(pl.Int64).alias("copies"),
            pl.col("lag_hours").median().round(2).alias("median_lag_hours"),
        )
        .sort(["copies", "origin", "copier"], descending=[True, False, False])
    )


def overview(result: Result) -> dict[str, Any]:
    """The analyst's counts: articles (input records), usable (clustered), not_clustered
    (no usable text, or unreadable), clusters (2+), duplicates (members that are not
    canonical), duplication rate (duplicates / usable articles), articles in clusters, the
    corpus's time span (first/last published, days)."""
    asg = result.assignments
    clustered = asg.filter(pl.col("reason").is_null()) if "reason" in asg.columns else asg
    dup = int(asg.filter(~pl.col("is_canonical") & (pl.col("cluster_size") > 1)).height)
    in_clusters = int(asg.filter(pl.col("cluster_size") > 1).height)
    published = result.context["published"] if "published" in result.context.columns else None
    first = published.min() if published is not None else None
    last = published.max() if published is not None else None
    span = (
        (last - first).total_seconds() / 86400 if first is not None and last is not None else None
    )
    usable = clustered.height
    return {
        "articles": result.stats.get("articles", asg.height),
        "usable": usable,
        "not_clustered": asg.height - usable,
        "clusters": result.clusters.height,
        "articles_in_clusters": in_clusters,
        "duplicates": dup,
        "duplication_rate": round(dup / usable, 4) if usable else 0.0,
        "first_published": first,
        "last_published": last,
        "span_days": round(span, 2) if span is not None else None,
    }


def deduplicate(result: Result, *, keep: str = "canonical") -> pl.Series:
    """The ids to keep for a corpus with copies removed: every article outside a cluster,
    and one per cluster: its canonical record (``keep="canonical"``) or its earliest-
    published member (``keep="first"``). Rows not clustered (no usable text, unreadable)
    are not among them."""
    asg = result.assignments
    single = asg.filter(pl.col("cluster_size") == 1)["id"]
    if keep == "canonical":
        chosen = asg.filter(pl.col("cluster_size") > 1, pl.col("is_canonical"))["id"]
    elif keep == "first":
        chosen = members(result).filter(pl.col("is_originator"))["id"]
    else:
        raise SyndupError(f"--keep must be canonical or first, not {keep!r}")
    return pl.concat([single, chosen]).alias("id")
