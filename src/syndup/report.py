"""Terminal summaries (rich tables readable at 80 columns) and the JSON summary of a Result.

Tables never wrap a cell: long headlines end in an ellipsis and evidence is left to the data
outputs (typed columns in parquet/jsonl) and the HTML report, so one row is one line.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

import polars as pl

from syndup.analysis import members, outlet_roles, overview
from syndup.io.write import jsonable as _jsonable
from syndup.result import Result

if TYPE_CHECKING:  # rich is imported by the printers: ``_jsonable`` alone does not load it
    from rich.console import Console
    from rich.table import Table


def summary_json(result: Result, *, top: int = 10) -> str:
    """The summary, the analyst's overview, originators/republishers and stage timings as
    one JSON document."""
    doc = result.summary(top=top)
    doc["overview"] = overview(result)
    roles = outlet_roles(result)
    doc["republishers"] = roles.head(top).to_dicts()
    doc["originators"] = (
        roles.filter(pl.col("originated") > 0)
        .sort(["originated", "outlet"], descending=[True, False])
        .head(top)
        .to_dicts()
    )
    doc["seconds"] = result.stats.get("seconds", {})
    doc["candidates_by_index"] = result.stats.get("candidates", {})
    return json.dumps(_jsonable(doc), indent=2, ensure_ascii=False)


def _table(title: str) -> Table:
    from rich import box
    from rich.table import Table

    return Table(
        title=title, title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False, padding=(0, 1)
    )


def _day(value: Any) -> str:
    return value.strftime("%Y-%m-%d") if isinstance(value, (datetime, date)) else ""


def _hours(value: float | None) -> str:
    if value is None or value != value:
        return ""
    return f"{value:.1f}h" if value < 48 else f"{value / 24:.1f}d"


def _fixed_table(
    console: Console, title: str, columns: list[tuple[str, str, int]], rows: list[list[str]]
) -> Table:
    """A table whose last column (a headline) takes what the others leave on the console:
    every other column is as wide as its content (at most its cap), never wraps."""
    table = _table(title)
    used = 0
    for name, justify, cap in columns[:-1]:
        k = len(table.columns)
        width = min(cap, max([len(name), *(len(r[k]) for r in rows)]))
        used += width + 3
        table.add_column(
            name, justify=justify, no_wrap=True, overflow="ellipsis", min_width=width,
            max_width=width,
        )  # fmt: skip
    last = max([len(columns[-1][0]), *(len(r[-1]) for r in rows)])
    table.add_column(
        columns[-1][0], no_wrap=True, overflow="ellipsis",
        max_width=max(8, min(last, console.width - used - 2)),
    )  # fmt: skip
    for r in rows:
        table.add_row(*r)
    return table


def print_summary(result: Result, console: Console, *, top: int = 10) -> None:
    """Counts, the ``top`` largest clusters, originators and republishers, one line each."""
    o = overview(result)
    console.print(
        f"[bold]{o['articles']:,}[/] articles, [bold]{o['clusters']:,}[/] clusters of 2+, "
        f"[bold]{o['duplicates']:,}[/] duplicates "
        f"([bold]{o['duplication_rate']:.1%}[/] duplication rate)",
        highlight=False,
    )
    span = "no publication dates"
    if o["first_published"] is not None:
        span = f"published {_day(o['first_published'])} to {_day(o['last_published'])}"
        span += f" ({o['span_days']:.1f} days)"
    console.print(
        f"{span}; {o['not_clustered']:,} not clustered (no text or unreadable)", highlight=False
    )
    pairs = result.stats.get("pairs", {})
    matched = int(result.pairs["matched"].sum()) if result.pairs.height else 0
    console.print(
        "[dim]pipeline: "
        f"{pairs.get('candidates', result.pairs.height):,} candidate pairs, "
        f"{pairs.get('verified', result.pairs.height):,} verified, {matched:,} matched[/]",
        highlight=False,
    )
    if result.clusters.height:
        rows = [
            [
                c["cluster_id"],
                str(c["size"]),
                str(len(c.get("outlets") or [])),
                _day(c.get("first_published")),
                c.get("headline") or "",
            ]
            for c in result.clusters.head(top).iter_rows(named=True)
        ]
        cols = [("cluster", "left", 8), ("size", "right", 6), ("outlets", "right", 7)]
        cols += [("first", "left", 10), ("headline", "left", 0)]
        console.print(_fixed_table(console, "Largest clusters", cols, rows))
        print_roles(result, console, top=top)


def print_roles(result: Result, console: Console, *, top: int = 10) -> None:
    """Who files first (originators) and who copies most (republishers), with median lag."""
    roles = outlet_roles(result)
    first = roles.filter(pl.col("originated") > 0).sort(
        ["originated", "republished", "outlet"], descending=[True, True, False]
    )
    copiers = roles.filter(pl.col("republished") > 0)
    for title, frame, count, other in (
        ("Originators (filed first in a cluster)", first, "originated", "republished"),
        ("Republishers (copies of another's first)", copiers, "republished", "originated"),
    ):
        if frame.height == 0:
            continue
        rows = [
            [str(r[count]), str(r[other]), _hours(r["median_lag_hours"]), r["outlet"]]
            for r in frame.head(top).iter_rows(named=True)
        ]
        cols = [(count, "right", 11), (other, "right", 11), ("median lag", "right", 10)]
        console.print(_fixed_table(console, title, [*cols, ("outlet", "left", 0)], rows))


_RULE_SHORT = {
    "near_identical_body": "near-copy",
    "contained_body": "contained",
    "write_through": "rewrite",
    "same_outlet_update": "update",
    "same_headline": "headline",
    "exact_headline": "headline",
    "headline_extended": "headline+",
}


def print_members(result: Result, console: Console, *, top: int = 10) -> None:
    """Members of the ``top`` largest clusters (at most ``top`` each, earliest first): id,
    outlet, date, lag to the originator, rule and headline, one line per article."""
    if result.clusters.height == 0:
        return
    shown = result.clusters.head(top)
    m = members(result).filter(pl.col("cluster_id").is_in(shown["cluster_id"].implode()))
    rows: list[list[str]] = []
    for c in shown.iter_rows(named=True):
        part = m.filter(pl.col("cluster_id") == c["cluster_id"])
        size = f"{c['size']} articles"
        rows.append([c["cluster_id"], size, "", "", "", c["headline"] or ""])
        for r in part.head(top).iter_rows(named=True):
            rule = "canonical" if r["is_canonical"] else _RULE_SHORT.get(r["rule"], r["rule"] or "")
            rows.append(
                [
                    r["id"],
                    r["outlet"] or "",
                    _day(r["published"]),
                    "first" if r["is_originator"] else _hours(r["lag_hours"]),
                    rule,
                    r["headline"] or "",
                ]
            )
        if part.height > top:
            rows.append(["", f"+{part.height - top} more", "", "", "", ""])
    cols = [("id", "left", 12), ("outlet", "left", 14), ("date", "left", 10)]
    cols += [("lag", "right", 6), ("rule", "left", 9), ("headline", "left", 0)]
    console.print(
        _fixed_table(console, "Articles in clusters (the largest; earliest first)", cols, rows)
    )
