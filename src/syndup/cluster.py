"""Clusters from verified pairs: connected components, a chaining guard, the canonical record.

Connected components alone let one bridging article (a roundup quoting two wire stories)
join two stories. The guard re-checks every member against its cluster's canonical and splits
off members that do not resemble it; split members are clustered again among themselves.
The canonical is chosen by ordered rules (``ClusterConfig.canonical_rules``); the first rule
that separates the best member from the runner-up is recorded per cluster.
"""

from __future__ import annotations

import numpy as np
import polars as pl
from rapidfuzz import fuzz, process

from syndup.config import ClusterConfig
from syndup.errors import ConfigError
from syndup.prepare import Prepared
from syndup.signature import pair_jaccard

_RULE_KEYS = {
    "has_body": ("_has_body", True),
    "wire_outlet": ("_wire_outlet", True),
    "wire_byline": ("wire_byline", True),
    "earliest_published": ("published", False),
    "most_complete": ("body_words", True),
    "smallest_id": ("_id_key", False),
}
MAX_GUARD_ROUNDS = 3


def components(n: int, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Component label per row for an undirected graph of ``n`` nodes."""
    from syndup._kernels import union_find_labels

    return union_find_labels(n, np.asarray(a, dtype=np.int64), np.asarray(b, dtype=np.int64))


def similarity_to(prepared: Prepared, members: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """Similarity of each member to its target: body containment (MinHash estimate) when both
    have bodies, else headline ``fuzz.ratio`` / 100, else 0."""
    cols = prepared.arrays
    nsh = cols["shingles"]
    both = (nsh[members] > 0) & (nsh[targets] > 0)
    jac = pair_jaccard(prepared.body_sig, members, targets)
    inter = jac / (1.0 + jac) * (nsh[members] + nsh[targets])
    cont = np.clip(inter / np.maximum(np.minimum(nsh[members], nsh[targets]), 1.0), 0.0, 1.0)
    heads = cols["headline"]
    if len(members):
        ratio = process.cpdist(list(heads[members]), list(heads[targets]), scorer=fuzz.ratio)
        head = np.asarray(ratio, dtype=np.float64) / 100.0
    else:
        head = np.zeros(0)
    has_heads = (cols["headline_words"][members] > 0) & (cols["headline_words"][targets] > 0)
    return np.where(both, cont, np.where(has_heads, head, 0.0))


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
    """Return ``(labels, canonical_row, canon_table)`` after the chaining guard.

    ``edges`` holds matched pairs (row indexes ``a``, ``b``). ``labels[i]`` is a cluster
    label, ``canonical_row[i]`` the row of its cluster's canonical.
    """
    n = prepared.docs.height
    a = edges["a"].to_numpy().astype(np.int64)
    b = edges["b"].to_numpy().astype(np.int64)
    labels = components(n, a, b)
    for _ in range(MAX_GUARD_ROUNDS):
        canon = choose_canonical(prepared.docs, labels, config)
        canonical_row = _canonical_of(labels, canon)
        members = np.flatnonzero(canonical_row != np.arange(n))
        sim = similarity_to(prepared, members, canonical_row[members])
        weak = members[sim < config.guard_similarity]
        if len(weak) == 0:
            break
        # Split weak members off and re-cluster them among themselves.
        offset = labels.max() + 1
        is_weak = np.zeros(n, dtype=bool)
        is_weak[weak] = True
        keep = is_weak[a] & is_weak[b] & (labels[a] == labels[b])
        sub = components(n, a[keep], b[keep])
        labels = np.where(is_weak, offset + sub, labels)
    canon = choose_canonical(prepared.docs, labels, config)
    return labels, _canonical_of(labels, canon), canon


def _canonical_of(labels: np.ndarray, canon: pl.DataFrame) -> np.ndarray:
    lookup = np.zeros(int(labels.max()) + 1 if len(labels) else 0, dtype=np.int64)
    lookup[canon["_label"].to_numpy()] = canon["canonical"].to_numpy()
    return lookup[labels]
