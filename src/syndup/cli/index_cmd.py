"""``syndup index``: a persistent index that articles join as they arrive.

``DB`` is a file path (SQLite) or a ``redis://host:port/db?prefix=name`` URL. Data goes to
stdout (or ``--output``), messages to stderr.
"""

from __future__ import annotations

import json
import os
import queue
import sys
import tempfile
import threading
import time
from enum import Enum
from pathlib import Path
from typing import Annotated, Any

import polars as pl
import typer

from syndup.cli.fast import FORMATS, read_explanation, show_explanation
from syndup.cli.options import (
    BodyCol,
    ConfigOpt,
    DateFormatOpt,
    EncodingOpt,
    HeadlineCol,
    IdCol,
    InputArg,
    InputFormatOpt,
    OutletCol,
    OutputOpt,
    PublishedCol,
    QuietOpt,
    UrlCol,
    handle_errors,
    load_config,
    read_options,
    setup_logging,
    stderr_console,
    stdout_console,
)
from syndup.index import Index
from syndup.io import write_table, write_text
from syndup.io.write import jsonable as _jsonable


class Format(str, Enum):
    """``--format`` of every command (the values of ``syndup cluster --format``; defined here
    so an index command does not import the batch commands)."""

    table = "table"
    json = "json"
    jsonl = "jsonl"
    csv = "csv"
    tsv = "tsv"
    parquet = "parquet"


app = typer.Typer(
    name="index",
    help="A persistent index (SQLite file or redis:// URL) that new articles join, "
    "with stable cluster ids.",
    no_args_is_help=True,
)
DbArg = Annotated[str, typer.Argument(help="Index: a file path (SQLite) or a redis:// URL.")]
FormatOpt = Annotated[
    Format | None,
    typer.Option(
        "--format",
        "-f",
        help="table | json | jsonl | csv | parquet (default: table, or from --output's suffix).",
    ),
]


def _open(db: str, config: Path | None = None, *, create: bool = False) -> Index:
    return Index.open(db, config=load_config(config) if config else None, create=create)


_SUFFIXES = {".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "json", ".csv": "csv"}
_SUFFIXES |= {".tsv": "tsv", ".parquet": "parquet"}


def _fmt(format: Format | None, output: Path | None) -> str:
    """Explicit --format wins; else --output's suffix; else table."""
    if format is not None:
        fmt = format.value
    elif output is not None:
        name = output.name.lower().removesuffix(".gz")
        fmt = next((f for s, f in _SUFFIXES.items() if name.endswith(s)), "jsonl")
    else:
        fmt = "table"
    if fmt == "table" and output is not None:
        raise typer.BadParameter("--format table prints to the terminal; pick a data format")
    return fmt


def print_table(df: pl.DataFrame, console: Any, *, title: str = "", limit: int = 50) -> None:
    """A table for people: its first ``limit`` rows (use a data format for all of them)."""
    from rich.table import Table

    table = Table(title=title or None, title_justify="left")
    for col in df.columns:
        table.add_column(col, overflow="fold")
    for row in df.head(limit).iter_rows():
        table.add_row(*["" if v is None else str(v) for v in row])
    console.print(table)
    if df.height > limit:
        console.print(f"... {df.height - limit:,} more row(s): use --format for all of them")


def emit(df: pl.DataFrame, fmt: str, output: Path | None, *, title: str = "") -> None:
    """A table in ``fmt`` to ``output`` or stdout."""
    if fmt == "table":
        print_table(df, stdout_console(), title=title)
    elif fmt == "json":
        text = json.dumps(_jsonable(df.to_dicts()), indent=2, ensure_ascii=False) + "\n"
        write_text(text, output)
    else:
        write_table(df, str(output) if output else None, format=fmt)


def emit_doc(doc: dict[str, Any], fmt: str) -> None:
    if fmt == "table":
        for key, value in doc.items():
            stdout_console().print(f"[bold]{key}[/]: {value}")
    else:
        print(json.dumps(_jsonable(doc), indent=2 if fmt == "json" else None))


@app.command("add")
@handle_errors
def add(
    db: DbArg,
    input: InputArg,
    follow: Annotated[
        bool,
        typer.Option(
            "--follow",
            help="Read a never-ending stream (JSONL) in micro-batches; print each "
            "batch's assignments as JSONL once it is committed.",
        ),
    ] = False,
    batch: Annotated[int, typer.Option("--batch", help="--follow: rows per batch.")] = 1000,
    every: Annotated[
        float, typer.Option("--every", help="--follow: commit at least every S seconds.")
    ] = 5.0,
    output: OutputOpt = None,
    format: FormatOpt = None,
    config: ConfigOpt = None,
    quiet: QuietOpt = False,
    input_format: InputFormatOpt = None,
    encoding: EncodingOpt = None,
    date_format: DateFormatOpt = None,
    id_col: IdCol = None,
    headline_col: HeadlineCol = None,
    body_col: BodyCol = None,
    outlet_col: OutletCol = None,
    url_col: UrlCol = None,
    published_col: PublishedCol = None,
) -> None:
    """Add INPUT's articles to DB (created when absent); print each article's assignment
    with `action` (new, joined, merged, exists, rejected)."""
    setup_logging(quiet=quiet)
    opts = read_options(
        input_format,
        id_col,
        headline_col,
        body_col,
        outlet_col,
        url_col,
        published_col,
        encoding=encoding,
        date_format=date_format,
    )
    with _open(db, config, create=True) as index:
        if follow:
            if input != "-":
                raise typer.BadParameter("--follow reads stdin: give - as INPUT")
            _follow(index, batch=max(1, batch), every=max(0.01, every), quiet=quiet, opts=opts)
            return
        fmt = _fmt(format, output)
        out = index.add(input, **opts)
        emit(out, fmt, output, title="Assignments")
        if not quiet:
            counts = out["action"].value_counts().sort("action").rows()
            stderr_console().print(
                f"{out.height:,} article(s): " + ", ".join(f"{n:,} {a}" for a, n in counts)
            )


def _follow(index: Index, *, batch: int, every: float, quiet: bool, opts: dict) -> None:
    """Micro-batches from stdin: ``batch`` lines or ``every`` seconds, whichever first."""
    lines: queue.Queue[bytes | None] = queue.Queue(maxsize=batch * 4)

    def reader() -> None:
        for line in sys.stdin.buffer:
            if line.strip():
                lines.put(line)
        lines.put(None)

    threading.Thread(target=reader, daemon=True).start()
    done, number = False, 0
    while not done:
        pending: list[bytes] = []
        deadline = None
        while len(pending) < batch:
            timeout = None if deadline is None else max(0.0, deadline - time.monotonic())
            try:
                line = lines.get(timeout=timeout)
            except queue.Empty:
                break
            if line is None:
                done = True
                break
            if deadline is None:
                deadline = time.monotonic() + every
            pending.append(line if line.endswith(b"\n") else line + b"\n")
        if not pending:
            continue
        number += 1
        out = _add_lines(index, pending, number, opts)
        sys.stdout.write(out.write_ndjson())
        sys.stdout.flush()
        if not quiet:
            stderr_console().print(f"batch {number}: {out.height:,} article(s) committed")


def _add_lines(index: Index, pending: list[bytes], number: int, opts: dict) -> pl.DataFrame:
    fd, path = tempfile.mkstemp(prefix=f"syndup-batch{number}-", suffix=".jsonl")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(b"".join(pending))
        return index.add(path, **opts)
    finally:
        os.unlink(path)


@app.command("query")
@handle_errors
def query(
    db: DbArg,
    input: InputArg,
    output: OutputOpt = None,
    format: FormatOpt = None,
    input_format: InputFormatOpt = None,
    encoding: EncodingOpt = None,
    date_format: DateFormatOpt = None,
    id_col: IdCol = None,
    headline_col: HeadlineCol = None,
    body_col: BodyCol = None,
    outlet_col: OutletCol = None,
    url_col: UrlCol = None,
    published_col: PublishedCol = None,
) -> None:
    """What INPUT's articles would join in DB, without adding them."""
    setup_logging(quiet=True)
    opts = read_options(
        input_format,
        id_col,
        headline_col,
        body_col,
        outlet_col,
        url_col,
        published_col,
        encoding=encoding,
        date_format=date_format,
    )
    fmt = _fmt(format, output)
    with _open(db) as index:
        emit(index.query(input, **opts), fmt, output, title="Would join")


@app.command("clusters")
@handle_errors
def clusters(
    db: DbArg,
    output: OutputOpt = None,
    format: FormatOpt = None,
    min_size: Annotated[int, typer.Option("--min-size", help="Smallest cluster shown.")] = 2,
) -> None:
    """One row per cluster: size, canonical, headline, outlets, first/last published."""
    fmt = _fmt(format, output)
    with _open(db) as index:
        emit(index.clusters(min_size=min_size), fmt, output, title="Clusters")


@app.command("get")
@handle_errors
def get(
    db: DbArg,
    cluster_id: Annotated[str, typer.Argument(help="Cluster id, e.g. c42.")],
    output: OutputOpt = None,
    format: FormatOpt = None,
) -> None:
    """The members of one cluster (a merged id shows the cluster it was merged into)."""
    fmt = _fmt(format, output)
    with _open(db) as index:
        emit(index.get(cluster_id), fmt, output, title=f"Cluster {cluster_id}")


@app.command("explain")
@handle_errors
def explain(
    db: DbArg,
    id_a: Annotated[str, typer.Argument(help="First article id.")],
    id_b: Annotated[str, typer.Argument(help="Second article id.")],
    format: FormatOpt = None,
) -> None:
    """Why two indexed articles are (not) copies, from the stored data (no re-run)."""
    fmt = _fmt(format, None)
    exp = read_explanation(db, id_a, id_b)
    if fmt not in FORMATS:
        raise typer.BadParameter("explain prints table, json or jsonl")
    show_explanation(exp, fmt)


@app.command("stats")
@handle_errors
def stats(db: DbArg, format: FormatOpt = None) -> None:
    """Articles, clusters, batches, events and bytes stored."""
    fmt = _fmt(format, None)
    with _open(db) as index:
        emit_doc(index.stats(), fmt)


@app.command("events")
@handle_errors
def events(
    db: DbArg,
    since: Annotated[int, typer.Option("--since", help="Only events after this seq.")] = 0,
    output: OutputOpt = None,
    format: FormatOpt = None,
) -> None:
    """Cluster events: founded, joined, merged, canonical_changed, removed."""
    fmt = _fmt(format, output)
    with _open(db) as index:
        emit(index.events(since=since), fmt, output, title="Events")


@app.command("expire")
@handle_errors
def expire(
    db: DbArg,
    older_than: Annotated[
        str, typer.Option("--older-than", help="Age, e.g. 7d, 12h, 30m (by published date).")
    ],
    quiet: QuietOpt = False,
) -> None:
    """Remove articles published (or, undated, added) longer ago than --older-than."""
    with _open(db) as index:
        n = index.expire(older_than=older_than)
    if not quiet:
        stderr_console().print(f"expired {n:,} article(s)")


@app.command("remove")
@handle_errors
def remove(
    db: DbArg,
    ids: Annotated[list[str], typer.Argument(help="Article ids to remove.")],
    quiet: QuietOpt = False,
) -> None:
    """Remove articles by id; their clusters are re-clustered without them."""
    with _open(db) as index:
        n = index.remove(ids)
    if not quiet:
        stderr_console().print(f"removed {n:,} of {len(ids):,} article(s)")


@app.command("export")
@handle_errors
def export(
    db: DbArg,
    output: OutputOpt = None,
    format: FormatOpt = None,
    what: Annotated[
        str, typer.Option("--what", help="clusters (one row per cluster) or assignments.")
    ] = "clusters",
) -> None:
    """Write the clusters (or every article's assignment) as a table."""
    if what not in ("clusters", "assignments"):
        raise typer.BadParameter("--what is clusters or assignments")
    fmt = _fmt(format, output) if (format or output) else "jsonl"
    with _open(db) as index:
        df = index.clusters() if what == "clusters" else index.assignments()
    emit(df, fmt, output, title=what)


@app.command("check")
@handle_errors
def check(db: DbArg, quiet: QuietOpt = False) -> None:
    """Integrity check; exit 1 when a problem is found."""
    with _open(db) as index:
        problems = index.check()
    for p in problems:
        typer.echo(f"syndup: index problem: {p}", err=True)
    if problems:
        raise typer.Exit(1)
    if not quiet:
        stderr_console().print("index ok")


@app.command("report")
@handle_errors
def report(
    db: DbArg,
    output: Annotated[
        Path,
        typer.Option("--output", "-o", help="The HTML file to write.", metavar="FILE"),
    ] = Path("report.html"),
    full: Annotated[
        int,
        typer.Option(
            "--full",
            help="Largest clusters embedded with text and diffs; the rest list members.",
        ),
    ] = 200,
    quiet: QuietOpt = False,
) -> None:
    """The HTML report of the index's clusters (as `syndup report`, without re-running):
    diffs are of the stored cleaned bodies."""
    from syndup.cli.report_cmd import report_target, write_report
    from syndup.index.report import index_result
    from syndup.io import OutputPlan

    target = report_target(output)
    with _open(db) as index:
        result, corpus = index_result(index)
    with OutputPlan([target]) as plan:
        write_report(result, corpus, target, plan, quiet=quiet, full=full)
        plan.commit()
