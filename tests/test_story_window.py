"""The story window's cuts on the subgraph of wide components equal the rounds over the
whole graph (the algorithm as first written, kept here as the reference)."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from syndup.config import ClusterConfig
from syndup.graph_cuts import components
from syndup.story_window import cut_story_window


def _reference(published_days, a, b, days, keep, reason, labels, config, series) -> None:
    """Every round over all rows and edges (the pre-subgraph version, verbatim in effect)."""
    known = ~np.isnan(published_days)
    for _ in range(64):
        size = labels.max() + 1
        lo, hi = np.full(size, np.inf), np.full(size, -np.inf)
        np.minimum.at(lo, labels[known], published_days[known])
        np.maximum.at(hi, labels[known], published_days[known])
        span = np.where(hi >= lo, hi - lo, 0.0)
        limit_of = np.full(len(span), config.story_days)
        limit_of[np.unique(labels[series])] = config.series_days
        wide = span > limit_of
        if not wide.any():
            return
        inside = keep & wide[labels[a]] & ~np.isnan(days)
        if not inside.any():
            return
        top = (
            pl.DataFrame({"label": labels[a[inside]], "days": days[inside]})
            .group_by("label")
            .agg(pl.col("days").max())
        )
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


@settings(max_examples=150, deadline=None)
@given(
    n=st.integers(2, 40),
    data=st.data(),
)
def test_subgraph_rounds_equal_whole_graph_rounds(n: int, data: st.DataObject) -> None:
    m = data.draw(st.integers(1, 3 * n))
    a = np.array(data.draw(st.lists(st.integers(0, n - 1), min_size=m, max_size=m)))
    b = np.array(data.draw(st.lists(st.integers(0, n - 1), min_size=m, max_size=m)))
    # Publication days spread over weeks (some unknown), some rows a templated series.
    pub = np.array(
        data.draw(
            st.lists(
                st.one_of(st.floats(0, 60, allow_nan=False), st.just(np.nan)),
                min_size=n,
                max_size=n,
            )
        )
    )
    series = np.array(data.draw(st.lists(st.booleans(), min_size=n, max_size=n)))
    keep0 = np.array(data.draw(st.lists(st.booleans(), min_size=m, max_size=m))) | (a == b)
    days = np.abs(pub[a] - pub[b])  # NaN where either side's date is unknown
    config = ClusterConfig(story_days=14.0, series_days=0.75)
    prepared = SimpleNamespace(arrays={"published": pub * 86_400e6})

    keep_ref, reason_ref = keep0.copy(), np.full(m, "", dtype=object)
    labels = components(n, a[keep_ref], b[keep_ref])
    _reference(pub, a, b, days, keep_ref, reason_ref, labels.copy(), config, series)

    keep_new, reason_new = keep0.copy(), np.full(m, "", dtype=object)
    cut_story_window(prepared, a, b, days, keep_new, reason_new, labels.copy(), config, series)

    assert np.array_equal(keep_new, keep_ref)
    assert list(reason_new) == list(reason_ref)
