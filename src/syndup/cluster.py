"""Clusters from verified pairs: the story graph (``syndup.graph_cuts``), the canonical record.

The canonical is chosen by ordered rules (``ClusterConfig.canonical_rules``); the first rule
that separates the best member from the runner-up is recorded per cluster.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from syndup.config import ClusterConfig
from syndup.errors import ConfigError
from syndup.graph_cuts import story_graph
from syndup.prepare import Prepared

_RULE_KEYS = {
    "has_body": ("_has_body", True),
    "wire_outlet": ("_wire_outlet", True),
    "wire_byline": ("wire_byline", True),
    "earliest_published": ("published", False),
    "most_complete": ("body_words", True),
    "smallest_id": ("_id_key", False),
}


def choose_canonical(docs: pl.DataFrame, labels: np.ndarray, config: ClusterConfig) -> pl.DataFrame:
    """Per label: ``canonical`` row index and ``decided_by`` (the first separating rule)."""
    wire = [w.lower() for w in config.wire_outlets]
    frame = docs.select("id", "published", "body_words", "wire_byline", "outlet").with_columns(
        pl.Series("_label", labels),
        pl.int_range(pl.len(), dtype=pl.UInt32).alias("_row"),
        pl.col("outlet").fill_null("").str.to_lowercase().is_in(wire).alias("_wire_outlet"),
        (pl.col("body_words") > 0).alias("_has_body"),
        _id_key(docs["id"]).alias("_id_key"),
    )
    unknown = [r for r in config.canonical_rules if r not in _RULE_KEYS]
    if unknown:
        raise ConfigError(f"unknown canonical rule(s) {unknown}; known: {', '.join(_RULE_KEYS)}")
    cols = [_RULE_KEYS[r][0] for r in config.canonical_rules] + ["_row"]
    desc = [_RULE_KEYS[r][1] for r in config.canonical_rules] + [False]
    ranked = frame.sort(["_label", *cols], descending=[False, *desc], nulls_last=True)
    top = ranked.group_by("_label", maintain_order=True).agg(
        pl.col("_row").first().alias("canonical"),
        *[pl.col(c).head(2).alias(f"_top_{c}") for c in cols[:-1]],
        pl.len().alias("size"),
    )
    decided: pl.Expr = pl.lit("only_member")
    for rule in reversed(config.canonical_rules):
        col = f"_top_{_RULE_KEYS[rule][0]}"
        differs = (
            pl.col(col)
            .list.get(0, null_on_oob=True)
            .ne_missing(pl.col(col).list.get(1, null_on_oob=True))
        )
        decided = pl.when((pl.col("size") > 1) & differs).then(pl.lit(rule)).otherwise(decided)
    return top.select("_label", "canonical", decided.alias("decided_by"))


def _id_key(ids: pl.Series) -> pl.Series:
    """Ids ordered as numbers when every id is an integer (9 < 10 < 100), else as text."""
    if ids.dtype.is_integer():
        return ids
    numeric = ids.cast(pl.Int64, strict=False)
    if numeric.null_count() == ids.null_count() and ids.str.contains(r"^-?\d+$").all():
        return numeric
    return ids


def build_clusters(
    prepared: Prepared, edges: pl.DataFrame, config: ClusterConfig
) -> tuple[np.ndarray, np.ndarray, pl.DataFrame]:
    """Return ``(labels, canonical_row, canon_table)`` of ``story_graph``.

    ``edges`` holds matched pairs (row indexes ``a``, ``b``) with their features.
    ``labels[i]`` is a cluster label, ``canonical_row[i]`` the row of its cluster's
    canonical.
    """
    labels = story_graph(prepared, edges, config).labels
    canon = choose_canonical(prepared.docs, labels, config)
    return labels, _canonical_of(labels, canon), canon


def _canonical_of(labels: np.ndarray, canon: pl.DataFrame) -> np.ndarray:
    lookup = np.zeros(int(labels.max()) + 1 if len(labels) else 0, dtype=np.int64)
    lookup[canon["_label"].to_numpy()] = canon["canonical"].to_numpy()
    return lookup[labels]
