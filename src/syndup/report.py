"""Human-readable reports (rich tables) and machine-readable summaries of a Result."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

import polars as pl
from rich.console import Console
from rich.table import Table

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
    """The summary plus stage timings as one JSON document."""
    doc = result.summary(top=top)
    doc["seconds"] = result.stats.get("seconds", {})
    doc["candidates_by_index"] = result.stats.get("candidates", {})
    return json.dumps(_jsonable(doc), indent=2, ensure_ascii=False)


def print_summary(result: Result, console: Console, *, top: int = 10) -> None:
    """Counts, the largest clusters with their canonical headline and outlets, top outlets."""
    s = result.summary(top=top)
    console.print(
        f"[bold]{s['articles']:,}[/] articles: [bold]{s['clusters']:,}[/] clusters of 2+, "
        f"[bold]{s['duplicates']:,}[/] duplicates, "
        f"{s['rejected']:,} not clustered (no text or unreadable); "
        f"{s['candidate_pairs']:,} candidate pairs, {s['verified_pairs']:,} verified, "
        f"{s['matched_pairs']:,} matched"
    )
    if s["largest_clusters"]:
        table = Table(title="Largest clusters", title_justify="left", show_lines=False)
        for col in ("cluster", "size", "canonical", "decided by", "headline", "outlets"):
            table.add_column(col, overflow="fold")
        for c in s["largest_clusters"]:
            outlets = c.get("outlets") or []
            shown = ", ".join(outlets[:4]) + (f" +{len(outlets) - 4}" if len(outlets) > 4 else "")
            table.add_row(
                c["cluster_id"],
                str(c["size"]),
                str(c["canonical_id"]),
                str(c.get("decided_by") or ""),
                _clip(c.get("headline") or "", 70),
                shown,
            )
        console.print(table)
    if s["top_outlets"]:
        table = Table(title="Top syndicating outlets", title_justify="left")
        table.add_column("outlet")
        table.add_column("articles in clusters", justify="right")
        for row in s["top_outlets"]:
            table.add_row(str(row["outlet"]), str(row["articles_in_clusters"]))
        console.print(table)


def print_table(df: pl.DataFrame, console: Console, *, title: str = "", limit: int = 50) -> None:
    """Any DataFrame as a rich table (first ``limit`` rows)."""
    table = Table(title=title or None, title_justify="left")
    for col in df.columns:
        table.add_column(col, overflow="fold")
    for row in df.head(limit).iter_rows():
        table.add_row(*["" if v is None else _clip(str(v), 80) for v in row])
    console.print(table)
    if df.height > limit:
        console.print(
            f"... {df.height - limit:,} more rows (use --format csv/jsonl/parquet -o FILE)"
        )


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"
