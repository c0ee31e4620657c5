"""``syndup report``: cluster INPUT and write a self-contained HTML report."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import polars as pl
import typer

from syndup.cli.options import (
    BodyCol,
    ConfigOpt,
    HeadlineCol,
    IdCol,
    InputArg,
    InputFormatOpt,
    OutletCol,
    PublishedCol,
    QuietOpt,
    UrlCol,
    handle_errors,
    load_config,
    read_options,
    setup_logging,
    stderr_console,
)
from syndup.io import read_corpus
from syndup.pipeline import Detector
from syndup.result import Result


def write_report(
    result: Result, corpus: pl.DataFrame | None, path: Path, *, quiet: bool, full: int = 200
) -> None:
    """Write the HTML report and say where, how big and how long it took (stderr)."""
    from syndup.htmlreport import write_html

    start = time.perf_counter()
    size = write_html(result, corpus, path, full=full)
    if not quiet:
        shown = f"{size / 1e6:.1f} MB" if size >= 1e6 else f"{size / 1e3:.0f} KB"
        stderr_console().print(
            f"report: {path} ({shown}, {result.clusters.height:,} clusters, "
            f"{min(full, result.clusters.height):,} with diffs; "
            f"{time.perf_counter() - start:.1f} s)",
            highlight=False,
        )


@handle_errors
def report(
    input: InputArg,
    output: Annotated[
        Path, typer.Option("--output", "-o", help="The HTML file to write (atomically).")
    ] = Path("report.html"),
    full: Annotated[
        int,
        typer.Option(
            "--full", help="Largest clusters embedded with text and diffs; the rest list members."
        ),
    ] = 200,
    config: ConfigOpt = None,
    quiet: QuietOpt = False,
    input_format: InputFormatOpt = None,
    id_col: IdCol = None,
    headline_col: HeadlineCol = None,
    body_col: BodyCol = None,
    outlet_col: OutletCol = None,
    url_col: UrlCol = None,
    published_col: PublishedCol = None,
) -> None:
    """Cluster INPUT and write one self-contained HTML page (no network, works from file://):
    summary, originators and republishers, copy matrix, clusters with search and filters,
    per cluster a timeline, members with evidence, and diffs against the canonical."""
    setup_logging(quiet=quiet, debug=False)
    opts = read_options(
        input_format, id_col, headline_col, body_col, outlet_col, url_col, published_col
    )
    start = time.perf_counter()
    corpus = read_corpus(input, **opts)
    result = Detector(load_config(config)).run(corpus)
    if not quiet:
        stderr_console().print(
            f"clustered {corpus.height:,} articles in {time.perf_counter() - start:.1f} s",
            highlight=False,
        )
    write_report(result, corpus, output, quiet=quiet, full=full)
