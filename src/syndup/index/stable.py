"""Stable cluster ids for a re-clustered subgraph, and the rows a step reports.

A re-clustered component (``syndup.index.update.recluster``) comes back with the build's own
cluster labels; these functions map the stored ids onto them (a cluster keeps its id as it
grows, a merge keeps the oldest id, a split-off part gets a new one) and record the events.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import polars as pl

from syndup.index.store import Counters


def stable_ids(
    local: np.ndarray,
    old_cluster: np.ndarray,
    sub_docs: np.ndarray,
    canon_row: np.ndarray,
    old_canon: dict[int, int],
    counters: Counters,
) -> tuple[np.ndarray, dict[int, int], list[tuple[str, int, int | None, Any]]]:
    """Stable id per row, merges (gone -> kept) and events ``(kind, cluster, row, other)``.

    Each stored id goes to the new cluster holding its old canonical, else to the one holding
    most of its old members; a new cluster keeps the oldest id it received and records the
    others as merged into it; a cluster that received none (all new, or split off) gets a new
    id."""
    doc_row = dict(zip(sub_docs.tolist(), range(len(sub_docs))))
    local_l, old_l = local.tolist(), old_cluster.tolist()
    # Rows per (old id, new cluster), most first, then by new cluster (as before: sorted).
    tally: dict[int, dict[Any, int]] = {}
    first_old: dict[int, int] = {}  # first row of each stored id
    olds_of: dict[Any, set[int]] = {}  # stored ids found in each new cluster
    for i, (loc, old) in enumerate(zip(local_l, old_l)):
        if old < 0:
            continue
        per = tally.setdefault(old, {})
        per[loc] = per.get(loc, 0) + 1
        first_old.setdefault(old, i)
        olds_of.setdefault(loc, set()).add(old)
    winner: dict[int, Any] = {}
    for old_id in sorted(tally):
        per = tally[old_id]
        canon = old_canon.get(old_id)
        where = local_l[doc_row[canon]] if canon in doc_row else None
        winner[old_id] = where if where in per else min(per, key=lambda loc: (-per[loc], loc))
    won: dict[Any, list[int]] = {}
    for old_id, loc in winner.items():
        won.setdefault(loc, []).append(old_id)
    stable_of: dict[Any, int] = {}
    merged_into: dict[int, int] = {}
    events: list[tuple[str, int, int | None, Any]] = []
    first_row: dict[Any, int] = {}
    size_of: dict[Any, int] = {}
    for i, loc in enumerate(local_l):
        first_row.setdefault(loc, i)
        size_of[loc] = size_of.get(loc, 0) + 1
    for loc in first_row:
        got = sorted(won.get(loc, []))
        if got:
            keep = got[0]
            for gone in got[1:]:
                merged_into[gone] = keep
                events.append(("merged", keep, None, str(gone)))
        else:
            keep = counters.cluster
            counters.cluster += 1
        stable_of[loc] = keep
    stable = np.array([stable_of[loc] for loc in local_l], dtype=np.int64)
    for loc, i in first_row.items():
        keep = stable_of[loc]
        canon = int(canon_row[i])
        if size_of[loc] < 2:
            continue
        if not won.get(loc):
            split = sorted(olds_of.get(loc, ()))
            events.append(("founded", keep, canon, f"split from {split}" if split else None))
            continue
        before = old_canon.get(keep)
        if before is None:  # the kept id was a singleton's: its article was the canonical
            before = int(sub_docs[first_old[keep]])
        if int(sub_docs[canon]) != before:
            events.append(("canonical_changed", keep, canon, doc_row.get(before)))
    for i in np.flatnonzero(old_cluster < 0).tolist():
        loc = local_l[i]
        if won.get(loc) and size_of[loc] >= 2:
            events.append(("joined", stable_of[loc], int(i), None))
    return stable, merged_into, events


def step_assignments(
    asg: pl.DataFrame,
    stable: np.ndarray,
    old_cluster: np.ndarray,
    merged_into: dict[int, int],
    events: list[tuple[str, int, int | None, Any]],
) -> pl.DataFrame:
    """Rows of the new articles: the batch columns with stable ids, plus ``action``."""
    merged_keep = {keep for keep in merged_into.values()}
    existed = set(old_cluster[old_cluster >= 0].tolist())
    action = [
        "merged" if c in merged_keep else "joined" if c in existed else "new"
        for c in stable.tolist()
    ]
    out = asg.with_columns(
        pl.Series("cluster_id", [f"c{c}" for c in stable.tolist()]),
        pl.Series("action", action),
    )
    return out.filter(pl.Series(old_cluster < 0))
