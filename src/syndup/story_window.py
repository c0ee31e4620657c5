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
    row; ties cut together), until none does.

    Only the components too wide at the start can ever be cut, and cutting one only
    splits it: the rounds run on the subgraph of those components alone (its rows and
    edges renumbered), so a round costs the wide part of the graph, not all of it.
    ``labels`` is left as it came (the caller recomputes components from ``keep``)."""
    from syndup.graph_cuts import components

    published = prepared.arrays["published"] / 86_400e6
    known = ~np.isnan(published)
    if not known.any() or not len(a):
        return
    wide = _span(labels, published, known) > _limits(labels, series, config)
    if not wide.any():
        return
    rows = np.flatnonzero(wide[labels])
    local = np.full(len(labels), -1, dtype=np.int64)
    local[rows] = np.arange(len(rows))
    # Every kept edge of those components (an edge without days joins but is never cut).
    edges = np.flatnonzero(keep & wide[labels[a]])
    la, lb, ldays = local[a[edges]], local[b[edges]], days[edges]
    lkeep = np.ones(len(edges), dtype=bool)
    cuttable = ~np.isnan(ldays)
    lpub, lknown, lseries = published[rows], known[rows], series[rows]
    why = np.full(len(edges), "", dtype=object)
    sub = components(len(rows), la, lb)
    for _ in range(64):
        limit_of = _limits(sub, lseries, config)
        wide = _span(sub, lpub, lknown) > limit_of
        if not wide.any():
            break
        inside = lkeep & cuttable & wide[sub[la]]
        if not inside.any():
            break
        top = (
            pl.DataFrame({"label": sub[la[inside]], "days": ldays[inside]})
            .group_by("label")
            .agg(pl.col("days").max())
        )
        limit = np.full(sub.max() + 1, np.inf)
        limit[top["label"].to_numpy()] = top["days"].to_numpy()
        cut = inside & (ldays >= limit[sub[la]])
        lkeep[cut] = False
        why[cut] = np.where(
            lseries[la[cut]] | lseries[lb[cut]] | (limit_of[sub[la[cut]]] < config.story_days),
            "a templated series: each filing's copies lie within series_days",
            "the story would span more than story_days",
        )
        sub = components(len(rows), la[lkeep], lb[lkeep])
    gone = ~lkeep
    keep[edges[gone]] = False
    reason[edges[gone]] = why[gone]


def _limits(labels: np.ndarray, series: np.ndarray, config: ClusterConfig) -> np.ndarray:
    """Per component, the days its members may span: ``series_days`` where it holds a
    ``series`` row, else ``story_days``."""
    limit_of = np.full(labels.max() + 1, config.story_days, dtype=np.float64)
    limit_of[np.unique(labels[series])] = config.series_days
    return limit_of


def template_series(prepared: Prepared, labels: np.ndarray, days: float) -> np.ndarray:
    """Rows of components spanning more than ``days`` that hold one template refilled with
    other figures (``body_checks.template_refill``): each member with a body against its
    component's first such member (earliest published, then row), read where their
    figures differ or their bodies are near-identical; the flag then covers every member
    (headline-only flashes too).

    Approximation: only pairs with the first member are read, so a series is found when
    some filing differs in figures from the component's first one."""
    from syndup.body_checks import _estimates, figures_changed, template_refill

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


def dated_series(prepared: Prepared, labels: np.ndarray) -> np.ndarray:
    """Rows of components holding two filings of different days: members whose wire
    datelines carry different dates ("WASHINGTON, Feb 12 (Reuters)" and "Feb 15"; a page's
    date stamp is not a dateline: ``prepare.WIRE_DATELINE_DATE``) and that were
    published a day or more apart. A story is a copy of one filing; a notice refiled in the
    same words on another day (its figures the same by chance) is told apart only by the
    date its dateline carries, so such a component is cut to ``series_days`` like a
    templated series. Only datelines naming the day the page was published (a day either
    way, for time zones) count: a filing's copies carry its date, so a reprint days later
    keeps an older date, and an OCR'd dateline may misread it. A write-through version
    filed after midnight carries the next date but lies hours away: it does not count.

    Trade-off: a wire story re-filed a day or more later under a newly dated dateline (a
    correction, a late "UPDATE") parts from its earlier filing, and a chain running for
    more than a day under dated datelines is cut to pieces of at most ``series_days``."""
    out = np.zeros(len(labels), dtype=bool)
    published = prepared.arrays["published"] / 86_400e6
    date = prepared.docs["wire_dateline_date"]
    own = _dated_on_own_day(prepared, date)
    code = date.rank("dense").to_numpy().astype(np.int64)
    dated = np.flatnonzero(~np.isnan(published) & (date != "").to_numpy() & own)
    if len(dated) < 2:
        return out
    per_date = (
        pl.DataFrame(
            {
                "label": labels[dated],
                "date": code[dated],
                "at": published[dated],
            }
        )
        .group_by("label", "date")
        .agg(pl.col("at").min().alias("lo"), pl.col("at").max().alias("hi"))
        .filter(pl.len().over("label") >= 2)
    )
    if not per_date.height:
        return out
    pairs = per_date.join(per_date, on="label", suffix="_2").filter(
        (pl.col("date") != pl.col("date_2")) & (pl.col("hi_2") - pl.col("lo") >= 1.0)
    )
    out[np.isin(labels, pairs["label"].unique().to_numpy())] = True
    return out


def _dated_on_own_day(prepared: Prepared, date: pl.Series) -> np.ndarray:
    """Rows whose dateline's date ("feb 15") is the day they were published, or a day
    either side (the dateline's time zone is not known)."""
    us = prepared.arrays["published"]
    known = ~np.isnan(us)
    at = pl.Series(np.where(known, us, 0).astype(np.int64)).cast(pl.Datetime("us")).dt.date()
    parts = date.str.extract_groups(r"^([a-z]{3})[a-z]* (\d{1,2})$")
    month = parts.struct.field("1").replace_strict(_MONTHS, default=0, return_dtype=pl.Int8)
    mday = parts.struct.field("2").cast(pl.Int8, strict=False)
    own = np.zeros(len(at), dtype=bool)
    for shift in ("-1d", "0d", "1d"):
        day = at.dt.offset_by(shift)
        same = (day.dt.month().cast(pl.Int8) == month) & (day.dt.day().cast(pl.Int8) == mday)
        own |= same.fill_null(False).to_numpy()
    return own & known


_MONTHS = {
    m: i + 1
    for i, m in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
    )
}


def _span(labels: np.ndarray, published: np.ndarray, known: np.ndarray) -> np.ndarray:
    size = labels.max() + 1
    lo = np.full(size, np.inf)
    hi = np.full(size, -np.inf)
    np.minimum.at(lo, labels[known], published[known])
    np.maximum.at(hi, labels[known], published[known])
    return np.where(hi >= lo, hi - lo, 0.0)
