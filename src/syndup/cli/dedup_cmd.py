"""``syndup dedup``: write the corpus with copies removed, one article per cluster."""

from __future__ import annotations

from enum import Enum
from typing import Annotated, Any

import polars as pl
import typer

from syndup.analysis import deduplicate
from syndup.cli.cluster_cmd import Format, output_target
from syndup.cli.options import (
    BodyCol,
    ConfigOpt,
    DateFormatOpt,
    DebugOpt,
    EncodingOpt,
    HeadlineCol,
    IdCol,
    InputFormatOpt,
    InputsArg,
    OnError,
    OnErrorOpt,
    OutletCol,
    OutputOpt,
    PublishedCol,
    QuietOpt,
    StrictOpt,
    UrlCol,
    VerboseOpt,
    handle_errors,
    load_config,
    read_options,
    setup_logging,
    stderr_console,
)
from syndup.cli.progress import stage_progress
from syndup.errors import OutputError
from syndup.io import OutputPlan, table_writer
from syndup.pipeline import Detector


class Keep(str, Enum):
    canonical = "canonical"
    first = "first"


@handle_errors
def dedup(
    inputs: InputsArg,
    output: OutputOpt = None,
    format: Annotated[
        Format | None,
        typer.Option(
            "--format",
            "-f",
            help="json | jsonl | csv | tsv | parquet (default: from --output's suffix, "
            "else jsonl).",
            show_default=False,
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
    verbose: VerboseOpt = False,
    strict: StrictOpt = False,
    on_error: OnErrorOpt = OnError.abort,
    input_format: InputFormatOpt = None,
    encoding: EncodingOpt = None,
    date_format: DateFormatOpt = None,
    id_col: IdCol = None,
    headline_col: HeadlineCol = None,
    body_col: BodyCol = None,
    outlet_col: OutletCol = None,
    url_col: UrlCol = None,
    published_col: PublishedCol = None,
    debug: DebugOpt = False,
) -> None:
    """Write INPUTS without their copies: every article outside a cluster, one per cluster.

    Rows keep their input columns and order; rows that were not clustered (no usable text)
    are kept too, since nothing was compared. The counts go to stderr.
    """
    console = stderr_console()
    setup_logging(quiet=quiet, verbose=verbose, console=console)
    fmt, target = output_target(format, output, default="jsonl")
    if fmt == "table" or target is None:
        raise OutputError("dedup writes data: pick --format jsonl|csv|tsv|parquet|json")
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
        strict=strict,
        on_error=on_error,
    )
    detector = Detector(load_config(config), keep_input=True)
    source: Any = inputs[0] if len(inputs) == 1 else inputs
    with OutputPlan([target]) as plan:
        with stage_progress(console, enabled=not quiet and console.is_terminal) as progress:
            detector.progress = progress
            result = detector.run(source, **opts)
        assert detector.last_reading is not None
        corpus = detector.last_reading.table
        asg = result.assignments
        not_clustered = asg.filter(pl.col("reason").is_not_null() & pl.col("row").is_not_null())
        ids = pl.concat([deduplicate(result, keep=keep.value), not_clustered["id"]])
        kept = corpus.filter(pl.col("id").is_in(ids.cast(corpus.schema["id"]).implode()))
        kept = kept.sort([c for c in ("file", "row") if c in kept.columns]).drop(
            "row", "file", strict=False
        )
        plan.write(target, table_writer(kept, fmt))
        plan.commit()
    if not quiet:
        removed = corpus.height - kept.height
        console.print(
            f"dedup: {corpus.height:,} articles in, {kept.height:,} kept, {removed:,} copies "
            f"removed ({removed / max(corpus.height, 1):.1%}) from {result.clusters.height:,} "
            f"clusters (kept: {keep.value}); {not_clustered.height:,} rows with no text kept",
            highlight=False,
        )
