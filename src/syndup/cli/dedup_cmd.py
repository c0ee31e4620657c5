"""``syndup dedup``: write the corpus with copies removed, one article per cluster."""

from __future__ import annotations

from enum import Enum
from typing import Annotated

import polars as pl
import typer

from syndup.analysis import deduplicate
from syndup.cli.cluster_cmd import output_format
from syndup.cli.options import (
    BodyCol,
    ConfigOpt,
    Format,
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
)
from syndup.io import read_corpus, write_table
from syndup.pipeline import Detector


class Keep(str, Enum):
    canonical = "canonical"
    first = "first"


@handle_errors
def dedup(
    input: InputArg,
    output: OutputOpt = None,
    format: Annotated[
        Format | None,
        typer.Option(
            "--format",
            "-f",
            help="jsonl | csv | parquet | json (default: from --output, else jsonl).",
        ),
    ] = None,
    keep: Annotated[
        Keep,
        typer.Option(
            "--keep",
            help="Which article of a cluster stays: its canonical record or the first filed.",
        ),
    ] = Keep.canonical,
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
    """Write INPUT without its copies: every article outside a cluster, one per cluster.

    Rows keep their input columns and order. The counts go to stderr. Rows with no usable
    text are kept too (they were never compared), and counted.
    """
    setup_logging(quiet=quiet, debug=False)
    fmt = output_format(format, output)
    if fmt == "table":
        fmt = "jsonl"
    opts = read_options(
        input_format, id_col, headline_col, body_col, outlet_col, url_col, published_col
    )
    corpus = read_corpus(input, **opts)
    result = Detector(load_config(config)).run(corpus)
    kept_ids = pl.concat([deduplicate(result, keep=keep.value), result.rejects["id"]])
    kept = corpus.filter(pl.col("id").is_in(kept_ids.implode())).drop("row")
    write_table(kept, str(output) if output else None, format=fmt)
    if not quiet:
        removed = corpus.height - kept.height
        stderr_console().print(
            f"dedup: {corpus.height:,} articles in, {kept.height:,} kept, {removed:,} copies "
            f"removed ({removed / max(corpus.height, 1):.1%}) from {result.clusters.height:,} "
            f"clusters (kept: {keep.value}); {result.rejects.height:,} rows with no text kept",
            highlight=False,
        )
