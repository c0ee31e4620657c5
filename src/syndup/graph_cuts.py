"""The story graph: components of the matched edges, and the cuts that keep them to one story.

Connected components of the matched edges keep write-through chains whole (version 1 and
version 20 of a story may share little; each shares much with its neighbour). Two cuts keep
components from joining different stories: multi-story pages (roundups, two-story pages)
lose the edges that bridge stories, and a story may not span more than a time window (see
``story_graph``).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
import polars as pl
from rapidfuzz import fuzz, process

from syndup.config import ClusterConfig
from syndup.prepare import Prepared
from syndup.roundup_form import item_share
from syndup.story_window import cut_story_window, dated_series, template_series

MAX_STORIES = 3  # stories told apart per multi-story page (more count as "many")

#: The edge features ``story_graph`` reads (besides ``a``, ``b``): callers may pass edges
#: with only these columns (``result.assemble`` does, to copy less at 1M).
EDGE_FEATURES = (
    "days_apart",
    "hours_apart",
    "body_jaccard",
    "body_containment",
    "ocr_narrative",
    "shared_shingles",
    "lead_jaccard",
    "headline_ratio",
    "same_wire",
)


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
    jac = prepared.body_jaccard(members, targets)
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


@dataclass(frozen=True)
class Graph:
    """The story graph after cuts: ``keep`` marks the matched edges that still join,
    ``labels`` the components of the kept edges, ``cuts`` one row per cut edge
    (``a, b, member, reason``: the member whose edge was cut and why)."""

    labels: np.ndarray
    keep: np.ndarray
    cuts: pl.DataFrame


def story_graph(prepared: Prepared, edges: pl.DataFrame, config: ClusterConfig) -> Graph:
    """Components of the matched edges after two principled cuts.

    1. **Multi-story pages** (roundups, live blogs, two stories one after the other). A
       page that *contains* a story printed elsewhere under another headline (body
       containment >= ``contained`` of the smaller side, which is at most
       ``smaller_share`` of the page, headline ratio below ``foreign_headline``) is a
       suspect; suspects joined to each other (copies of one roundup) form a unit. With
       the suspects removed, the rest of the graph falls into groups; a unit whose edges
       reach two or more groups links stories that do not match each other. Groups the
       unit reaches as its *own* story (under its headline, sharing its lead, or through
       a page of about its length rather than a part of it: a copy or the next version)
       count as one story however little they share, since a second story is printed
       under its own headline and is a part of the page. A page reaching two stories
       (and no generic headline) is a two-story page: it keeps the group it shares most
       shingles with. Trade-off: a two-story page matched to a full-length version of
       its second story (a peer, not a part) keeps that story too.
       A page reaching three or more is left joined: roundups are cut by their headline
       (``roundup``: from every page that is not one, and from a roundup that neither
       shares its lead, ``shared_lead``, nor reads alike, ``copy_jaccard``: two sites'
       briefs sharing some items; trade-off: a copy of a roundup whose top was replaced by
       other items and cut short is parted from it) and by ``held_share`` (each item is at
       most half of the page), while a write-through chain with its suspects removed falls
       into pieces several versions apart that share nothing (on the realistic 100k set
       that verdict cut 952 same-story edges and no edge between stories). Trade-off: an
       unmarked page holding three or more stories, each more than half of it, is not cut.
       The ``held_share`` cut spares an edge of one wire within 24 hours whose held page
       is at least a quarter of the holding one: a write-through version holding its
       earlier (trimmed) version lower down under a new headline. Trade-off: an unmarked
       wire roundup whose item is a quarter of it stays joined to that item.
    1b. **Headline-only records** reaching several filings of one template under their
       headline keep none of those edges (``_cut_shared_headlines``).
    2. **Story time window.** Edges between articles more than ``max_days_apart`` apart
       are dropped; a component still spanning more than ``story_days`` loses its
       longest-spanning edges until it fits, so templated notices cannot chain for weeks.
       A component spanning more than ``series_days`` whose members include one template
       refilled with other figures (``template_series``: a daily notice, an auction
       result) is a series of filings, not one story: it is cut the same way until it
       spans at most ``series_days`` (each filing's copies lie within hours). Trade-off:
       a series whose figures never change (the same notice text every day) is seen only
       when some filing changes them or when two members' datelines carry dates a day or
       more apart (``dated_series``: two filings of different days).

    Chains of version-to-version edges are kept whole: nothing requires a member to
    resemble the canonical (write-through versions 1 and 20 may share little). Trade-offs:
    a unit is judged on its direct edges, so a roundup whose items are only *partly*
    inside it (containment below ``contained``) is never a suspect (it rarely matches at
    all); a story whose copy dropped the top *and* changed the headline looks like a
    second story and may be cut from it. Everything is decided on row order = id order,
    so the result does not depend on the input order.
    """
    n = prepared.docs.height
    a = edges["a"].to_numpy().astype(np.int64)
    b = edges["b"].to_numpy().astype(np.int64)
    keep = np.ones(len(a), dtype=bool)
    reason = np.full(len(a), "", dtype=object)
    member = np.full(len(a), -1, dtype=np.int64)

    read: dict[str, np.ndarray] = {}

    def col(name: str) -> np.ndarray:
        """An edge feature as float64, NaN where null or absent (read once)."""
        assert name in EDGE_FEATURES, f"{name} read by story_graph: list it in EDGE_FEATURES"
        if name not in read:
            read[name] = (
                edges[name].cast(pl.Float64).to_numpy()  # nulls come as NaN
                if name in edges.columns
                else np.full(len(a), np.nan)
            )
        return read[name]

    days = col("days_apart")
    far = days > config.max_days_apart
    keep &= ~far
    reason[far] = "more than max_days_apart apart"
    _cut_multi_story(prepared, a, b, col, keep, reason, member, config)
    # Series are read before headline-only links are cut: a headline that heads several
    # filings is what shows them to be one template refilled.
    before = components(n, a[keep], b[keep])
    series = template_series(prepared, before, config.series_days) | dated_series(prepared, before)
    _cut_shared_headlines(prepared, a, b, keep, reason, member, config)
    labels = components(n, a[keep], b[keep])
    cut_story_window(prepared, a, b, days, keep, reason, labels, config, series)
    labels = components(n, a[keep], b[keep])
    cut = np.flatnonzero(~keep)
    cuts = pl.DataFrame(
        {
            "a": a[cut],
            "b": b[cut],
            "member": member[cut],
            "reason": reason[cut].astype(str),
        },
        schema={"a": pl.Int64, "b": pl.Int64, "member": pl.Int64, "reason": pl.String},
    )
    return Graph(labels, keep, cuts)


def _ends(side: np.ndarray, a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each edge's end on the flagged ``side`` and its other end."""
    on = side[a]
    return np.where(on, a, b), np.where(on, b, a)


def _cut_multi_story(
    prepared: Prepared,
    a: np.ndarray,
    b: np.ndarray,
    col: object,
    keep: np.ndarray,
    reason: np.ndarray,
    member: np.ndarray,
    config: ClusterConfig,
) -> None:
    """Step 1 of ``story_graph`` (edits ``keep``, ``reason``, ``member`` in place)."""
    n = prepared.docs.height
    if not len(a):
        return
    nsh = prepared.arrays["shingles"]
    generic = prepared.arrays["generic"]
    big = np.where(nsh[a] >= nsh[b], a, b)
    small = np.where(nsh[a] >= nsh[b], b, a)
    # The share of the smaller page the larger holds: of its word shingles, or of its
    # narrative's letters where OCR broke the words (the evidence an OCR twin matched on).
    cont = np.fmax(col("body_containment"), col("ocr_narrative"))
    head, shared = col("headline_ratio"), col("shared_shingles")
    shared = np.where(np.isnan(shared), 0.0, shared)
    contains = (
        keep
        & (cont >= config.contained)
        & (nsh[small] <= config.smaller_share * np.maximum(nsh[big], 1))
    )
    lead = col("lead_jaccard")
    elsewhere = (
        keep
        & (head < config.foreign_headline)
        & ~(lead >= config.shared_lead)
        & (nsh[small] <= config.smaller_share * np.maximum(nsh[big], 1))
    )
    foreign = contains & elsewhere
    # A page whose headline says it holds several stories ("The Latest:", "News in brief",
    # "Morning Briefing:") is never a copy of a page that does not; nor is a page that
    # holds a story under another headline when that story is at most half of it.
    roundup = prepared.arrays["roundup"]
    # A later version of the same wire, hours on, holding the earlier one (a roundup's
    # items are each a small part of it): not a page holding a story among others.
    wire_version = (
        (col("same_wire") == 1)
        & (col("hours_apart") <= 24)
        & (nsh[small] >= 0.25 * np.maximum(nsh[big], 1))
    )
    holds = foreign & (nsh[small] <= config.held_share * np.maximum(nsh[big], 1)) & ~wire_version
    # Copies of one roundup open with its first item or read alike throughout; two roundups
    # that share some items (the day's briefs of two sites) are two pages.
    # Copies hold the same items: a shared opening item alone does not make two pages one.
    other_roundup = roundup[a] & roundup[b]
    both = np.flatnonzero(keep & other_roundup)
    other_roundup[both] = item_share(prepared, a[both], b[both]) < config.same_items
    for mask, why in (
        (keep & (roundup[a] != roundup[b]), "roundup page: never a copy of a single story"),
        (keep & other_roundup, "two roundups sharing some items: they do not hold the same items"),
        (keep & holds, "the page holds this story among other material under its own headline"),
    ):
        rows = np.flatnonzero(mask)
        keep[rows] = False
        member[rows] = np.where(
            roundup[a[rows]], a[rows], np.where(roundup[b[rows]], b[rows], big[rows])
        )
        reason[rows] = why
    suspect = np.zeros(n, dtype=bool)
    suspect[big[foreign]] = True
    if not suspect.any():
        return
    # Copies of a suspect page are suspects too (a roundup printed by several outlets),
    # or one copy that misses the tell-tale edge would bridge the stories by itself.
    near = (
        keep
        & (col("body_jaccard") >= config.copy_jaccard)
        & (nsh[small] >= 0.85 * np.maximum(nsh[big], 1))
    )
    for _ in range(3):
        grow = near & (suspect[a] != suspect[b])
        if not grow.any():
            break
        suspect[a[grow]] = True
        suspect[b[grow]] = True
    # Units: suspects joined to each other; groups: the rest of the graph without suspects.
    inner = keep & suspect[a] & suspect[b]
    rest = keep & ~suspect[a] & ~suspect[b]
    unit = components(n, a[inner], b[inner])
    group = components(n, a[rest], b[rest])
    cross = np.flatnonzero(keep & (suspect[a] != suspect[b]))
    if not len(cross):
        return
    u_end, o_end = _ends(suspect, a[cross], b[cross])
    frame = pl.DataFrame(
        {
            "edge": cross,
            "unit": unit[u_end],
            "target": group[o_end],
            "shared": shared[cross],
            "generic": generic[u_end].astype(bool),
            # Under the page's own headline or sharing its lead: a copy of the page itself.
            "own": ~elsewhere[cross],
        }
    )
    # Per (unit, target): the strongest edge; its far end stands for the target's story.
    per_target = (
        frame.with_columns(pl.Series("rep", o_end))
        .sort(["unit", "target", "shared", "rep"], descending=[False, False, True, False])
        .group_by("unit", "target", maintain_order=True)
        .agg(
            pl.col("shared").first(),
            pl.col("rep").first(),
            pl.col("generic").any(),
            pl.col("own").any(),
        )
        .sort(["unit", "shared", "target"], descending=[False, True, False])
        .with_columns(pl.len().over("unit").alias("targets"))
        .filter(pl.col("targets") >= 2)
    )
    if not per_target.height:
        return
    # Targets whose representative resembles an earlier (stronger) target's are the same
    # story: two trims of one story fall into separate groups once the full copies are
    # removed, and so do the pieces of a write-through chain once a version that holds an
    # earlier one is a suspect (pieces a few versions apart share little, so any overlap
    # beyond MinHash noise, ``same_story``, counts: different stories share none). Greedy
    # over each unit's targets, strongest first.
    units = per_target["unit"].to_numpy()
    reps = per_target["rep"].to_numpy()
    story = np.full(len(units), -1, dtype=np.int64)
    bounds = np.flatnonzero(np.r_[True, units[1:] != units[:-1], True])
    for lo, hi in itertools.pairwise(bounds):
        for k in range(MAX_STORIES):
            left = np.flatnonzero(story[lo:hi] < 0) + lo
            if not len(left):
                break
            anchor = left[0]
            story[anchor] = k
            rest = left[1:]
            if len(rest):
                sim = similarity_to(prepared, reps[rest], np.full(len(rest), reps[anchor]))
                story[rest[sim >= config.same_story]] = k
        story[lo:hi][story[lo:hi] < 0] = MAX_STORIES
    # Groups the page reaches under its own headline or lead are copies of the page, so
    # one story however little their representatives share: a write-through version's
    # trimmed copies and its full copies fall into separate groups once the version is a
    # suspect (it holds an earlier version under another headline), and the second story
    # of a two-story page is printed under that story's headline, never the page's.
    per_target = per_target.with_columns(pl.Series("story", story)).with_columns(
        pl.when(pl.col("own"))
        .then(pl.col("story").filter(pl.col("own")).min().over("unit"))
        .otherwise(pl.col("story"))
        .alias("story")
    )
    per_unit = per_target.group_by("unit").agg(
        (pl.col("story").n_unique() - 1).alias("stories"), pl.col("generic").any()
    )
    decided = (
        frame.drop("generic", "own")
        .join(per_target.select("unit", "target", "story"), on=["unit", "target"])
        .join(per_unit, on="unit")
        .filter((pl.col("stories") == 1) & ~pl.col("generic"))
    )
    drop = decided.filter(pl.col("story") != 0)
    rows = drop["edge"].to_numpy()
    keep[rows] = False
    member[rows] = np.where(suspect[a[rows]], a[rows], b[rows])
    reason[rows] = "two-story page: joins the story it shares most with, not this one"


def _cut_shared_headlines(
    prepared: Prepared,
    a: np.ndarray,
    b: np.ndarray,
    keep: np.ndarray,
    reason: np.ndarray,
    member: np.ndarray,
    config: ClusterConfig,
) -> None:
    """Step 1b of ``story_graph``: headline-only records whose headline heads several filings.

    A record without a body joins by its headline alone. Units: headline-only records
    joined to each other; groups: the components of the edges between articles with
    bodies. A unit whose edges reach two or more groups that are different filings of one
    template (representatives that are one template refilled with other figures, or whose
    figures differ while they share under half their text: two towns' weather reports, a
    daily notice filed by several publishers under one headline) cannot say which filing
    it copies: it keeps none of those edges (it stays with its own unit). A unit reaching
    pieces of one story (write-through versions the verification did not join, whose
    figures agree or which share most of their text) keeps them and joins them.
    Trade-off: each group is judged by one representative (the largest body reached,
    then the first row) against the unit's largest, not by all pairs; a chain's pieces
    whose new tops changed the figures and that share under half are parted from the
    headline too (they lose only the headline-only record's pairs).
    """
    from syndup.body_checks import _estimates, figures_changed, template_refill

    n = prepared.docs.height
    nsh = prepared.arrays["shingles"]
    bare = nsh == 0
    cross = np.flatnonzero(keep & (bare[a] != bare[b]))
    if not len(cross):
        return
    inner = keep & bare[a] & bare[b]
    rest = keep & ~bare[a] & ~bare[b]
    unit = components(n, a[inner], b[inner])
    group = components(n, a[rest], b[rest])
    u_end, o_end = _ends(bare, a[cross], b[cross])
    frame = pl.DataFrame(
        {
            "edge": cross,
            "unit": unit[u_end],
            "target": group[o_end],
            "rep": o_end,
            "size": nsh[o_end],
        }
    )
    per_target = (
        frame.sort(["unit", "target", "size", "rep"], descending=[False, False, True, False])
        .group_by("unit", "target", maintain_order=True)
        .agg(pl.col("rep").first(), pl.col("size").first())
        .sort(["unit", "size", "rep"], descending=[False, True, False])
        .with_columns(
            pl.col("rep").first().over("unit").alias("anchor"),
            pl.len().over("unit").alias("targets"),
        )
        .filter((pl.col("targets") >= 2) & (pl.col("rep") != pl.col("anchor")))
    )
    if not per_target.height:
        return
    reps = per_target["rep"].to_numpy().astype(np.int64)
    anchors = per_target["anchor"].to_numpy().astype(np.int64)
    sim = similarity_to(prepared, reps, anchors)
    changed = figures_changed(prepared, reps, anchors).astype(bool)
    _, _, _, cont = _estimates(prepared, reps, anchors)
    refill = template_refill(prepared, reps, anchors, changed, cont).astype(bool)
    filings = refill | (changed & (sim < config.same_filing))
    split = np.unique(per_target["unit"].to_numpy()[filings])
    if not len(split):
        return
    rows = frame.filter(pl.col("unit").is_in(split))["edge"].to_numpy()
    keep[rows] = False
    member[rows] = np.where(bare[a[rows]], a[rows], b[rows])
    reason[rows] = "headline only: its headline heads several filings that do not match"
