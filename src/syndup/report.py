"""Terminal summaries (rich tables readable at 80 columns) and the JSON summary of a Result.

Tables never wrap a cell: long headlines end in an ellipsis and evidence is left to the data
outputs (typed columns in parquet/jsonl) and the HTML report, so one row is one line.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

import polars as pl
from rich import box
from rich.console import Console
from rich.table import Table

from syndup.analysis import members, outlet_roles, overview
from syndup.result import Result


def _jsonable(value: Any) -> Any:
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items() if not k.startswith("_")}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, float) and value != value:  # NaN
        return None
    return value


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
    return Table(
        title=title, title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False, padding=(0, 1)
    )


def _day(value: Any) -> str:
    return value.strftime("%Y-%m-%d") if isinstance(value, (datetime, date)) else ""


def _hours(value: float | None) -> str:
    if value is None or value != value:
        return ""
    return f"{value:.1f}h" if value < 48 else f"{value / 24:.1f}d"


def print_summary(result: Result, console: Console, *, top: int = 10) -> None:
    """Counts, the ``top`` largest clusters, originators and republishers, one line each."""
    o = overview(result)
    span = ""
    if o["first_published"] is not None:
        span = f"; {_day(o['first_published'])} to {_day(o['last_published'])}"
        span += f" ({o['span_days']:.1f} days)"
    console.print(
        f"[bold]{o['articles']:,}[/] articles, [bold]{o['clusters']:,}[/] clusters, "
        f"[bold]{o['duplicates']:,}[/] duplicates "
        f"([bold]{o['duplication_rate']:.1%}[/] duplication rate){span}",
        highlight=False,
    )
    pairs = result.stats.get("pairs", {})
    matched = int(result.pairs["matched"].sum()) if result.pairs.height else 0
    console.print(
        f"[dim]{o['rejected']:,} rejected (no text); pipeline: "
        f"{pairs.get('candidates', result.pairs.height):,} candidate pairs, "
        f"{pairs.get('verified', result.pairs.height):,} verified, {matched:,} matched[/]",
        highlight=False,
    )
    if result.clusters.height:
        table = _table("Largest clusters")
        table.add_column("cluster", no_wrap=True)
        table.add_column("size", justify="right", no_wrap=True)
        table.add_column("outlets", justify="right", no_wrap=True)
        table.add_column("first", no_wrap=True)
        table.add_column("headline", no_wrap=True, overflow="ellipsis", ratio=1)
        for c in result.clusters.head(top).iter_rows(named=True):
            table.add_row(
                c["cluster_id"],
                str(c["size"]),
                str(len(c.get("outlets") or [])),
                _day(c.get("first_published")),
                c.get("headline") or "",
            )
        console.print(table)
        print_roles(result, console, top=top)


def print_roles(result: Result, console: Console, *, top: int = 10) -> None:
    """Who files first (originators) and who copies most (republishers), with median lag."""
    roles = outlet_roles(result)
    first = roles.filter(pl.col("originated") > 0).sort(
        ["originated", "republished", "outlet"], descending=[True, True, False]
    )
    copiers = roles.filter(pl.col("republished") > 0)
    for title, rows, count in (
        ("Originators (filed first in a cluster)", first, "originated"),
        ("Republishers (copies of another's first)", copiers, "republished"),
    ):
        if rows.height == 0:
            continue
        table = _table(title)
        table.add_column("outlet", no_wrap=True, overflow="ellipsis", ratio=1)
        table.add_column(count, justify="right", no_wrap=True)
        table.add_column(
            "also " + ("copied" if count == "originated" else "first"), justify="right"
        )
        table.add_column("median lag", justify="right", no_wrap=True)
        other = "republished" if count == "originated" else "originated"
        for r in rows.head(top).iter_rows(named=True):
            table.add_row(r["outlet"], str(r[count]), str(r[other]), _hours(r["median_lag_hours"]))
        console.print(table)


def print_members(result: Result, console: Console, *, top: int = 10) -> None:
    """Members of the ``top`` largest clusters (at most ``top`` each): outlet, date, lag to
    the originator, rule and headline, one line per article."""
    if result.clusters.height == 0:
        return
    shown = result.clusters.head(top)["cluster_id"]
    m = members(result).filter(pl.col("cluster_id").is_in(shown))
    table = _table("Articles in the largest clusters (earliest first)")
    for col in ("cluster", "id", "outlet", "date", "lag", "rule"):
        table.add_column(col, no_wrap=True, overflow="ellipsis", max_width=18)
    table.add_column("headline", no_wrap=True, overflow="ellipsis", ratio=1, min_width=12)
    for cid in shown:
        rows = m.filter(pl.col("cluster_id") == cid)
        for i, r in enumerate(rows.head(top).iter_rows(named=True)):
            rule = "first" if r["is_originator"] else (r["rule"] or "")
            if r["is_canonical"]:
                rule = "canonical" if not r["is_originator"] else "first, canonical"
            table.add_row(
                cid if i == 0 else "",
                r["id"],
                r["outlet"] or "",
                _day(r["published"]),
                "" if r["is_originator"] else _hours(r["lag_hours"]),
                rule,
                r["headline"] or "",
            )
        if rows.height > top:
            table.add_row("", f"+{rows.height - top} more", "", "", "", "", "")
    console.print(table)


def print_table(df: pl.DataFrame, console: Console, *, title: str = "", limit: int = 50) -> None:
    """Any DataFrame as a rich table (first ``limit`` rows), one line per row."""
    table = _table(title)
    for col in df.columns:
        table.add_column(col, no_wrap=True, overflow="ellipsis")
    for row in df.head(limit).iter_rows():
        table.add_row(*["" if v is None else _clip(str(v), 80) for v in row])
    console.print(table)
    if df.height > limit:
        console.print(
            f"... {df.height - limit:,} more rows (use --format csv/jsonl/parquet -o FILE)"
        )


def _clip(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"
