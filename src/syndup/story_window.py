"""The story graph's time window: a story's copies lie within days, a template's filings
recur for months (step 2 of ``graph_cuts.story_graph``)."""

from __future__ import annotations

import numpy as np
import polars as pl

from syndup.config import ClusterConfig
from syndup.prepare import Prepared


def cut_story_window(
    prepared: Prepared,
    a: np.ndarray,
    b: np.ndarray,
    days: np.ndarray,
    keep: np.ndarray,
    reason: np.ndarray,
    labels: np.ndarray,
    config: ClusterConfig,
    series: np.ndarray,
) -> None:
    """Step 2 of ``graph_cuts.story_graph``: drop the longest-spanning edges of any component whose
    members span more than ``story_days`` (``series_days`` when it holds a ``series``
    row; ties cut together), until none does."""
    from syndup.graph_cuts import components

    published = prepared.arrays["published"] / 86_400e6
    known = ~np.isnan(published)
    if not known.any() or not len(a):
        return
    for _ in range(64):
        span = _span(labels, published, known)
        limit_of = np.full(len(span), config.story_days)
        limit_of[np.unique(labels[series])] = config.series_days
        wide = span > limit_of
        if not wide.any():
            return
        inside = keep & wide[labels[a]] & ~np.isnan(days)
        if not inside.any():
            return
        longest = pl.DataFrame({"label": labels[a[inside]], "days": days[inside]})
        top = longest.group_by("label").agg(pl.col("days").max())
        limit = np.full(labels.max() + 1, np.inf)
        limit[top["label"].to_numpy()] = top["days"].to_numpy()
        cut = inside & (days >= limit[labels[a]])
        keep[cut] = False
        reason[cut] = np.where(
            series[a[cut]] | series[b[cut]] | (limit_of[labels[a[cut]]] < config.story_days),
            "a templated series: each filing's copies lie within series_days",
            "the story would span more than story_days",
        )
        labels[:] = components(len(labels), a[keep], b[keep])


def template_series(prepared: Prepared, labels: np.ndarray, days: float) -> np.ndarray:
    """Rows of components spanning more than ``days`` that hold one template refilled with
    other figures (``verify.template_refill``): each member with a body against its
    component's first such member (earliest published, then row), read where their
    figures differ or their bodies are near-identical; the flag then covers every member
    (headline-only flashes too).

    Approximation: only pairs with the first member are read, so a series is found when
    some filing differs in figures from the component's first one."""
    from syndup.verify import _estimates, figures_changed, template_refill

    published = prepared.arrays["published"] / 86_400e6
    known = ~np.isnan(published)
    out = np.zeros(len(labels), dtype=bool)
    if not known.any() or not len(labels):
        return out
    wide = _span(labels, published, known) > days
    rows = np.flatnonzero(wide[labels] & known & (prepared.arrays["shingles"] > 0))
    if not len(rows):
        return out
    order = rows[np.lexsort((rows, published[rows], labels[rows]))]
    first = np.full(labels.max() + 1, -1, dtype=np.int64)
    lab = labels[order]
    starts = np.r_[True, lab[1:] != lab[:-1]]
    first[lab[starts]] = order[starts]
    anchor = first[labels[rows]]
    pick = rows != anchor
    rows, anchor = rows[pick], anchor[pick]
    # Read where the openings' figures differ, or where the bodies are near-identical
    # (a table of figures refilled keeps most of its figures: only masking tells).
    changed = figures_changed(prepared, rows, anchor).astype(bool)
    _, _, _, cont = _estimates(prepared, rows, anchor)
    read = changed | (cont >= 0.5)
    refill = template_refill(prepared, rows, anchor, read, cont).astype(bool)
    out[np.isin(labels, np.unique(labels[rows[refill]]))] = True
    return out


def _span(labels: np.ndarray, published: np.ndarray, known: np.ndarray) -> np.ndarray:
    size = labels.max() + 1
    lo = np.full(size, np.inf)
    hi = np.full(size, -np.inf)
    np.minimum.at(lo, labels[known], published[known])
    np.maximum.at(hi, labels[known], published[known])
    return np.where(hi >= lo, hi - lo, 0.0)
