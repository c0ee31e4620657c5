"""``syndup report``: cluster INPUTS and write a self-contained HTML report."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated, Any

import polars as pl
import typer

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
from syndup.io import OutputPlan, Target, check_output
from syndup.pipeline import Detector
from syndup.result import Result


def report_target(path: Path) -> Target:
    """The report's output, checked before the run (a text file, written as is)."""
    return check_output(path, format="json")


def write_report(
    result: Result,
    corpus: pl.DataFrame | None,
    target: Target,
    plan: OutputPlan,
    *,
    quiet: bool,
    full: int = 200,
) -> None:
    """Build the HTML report into ``plan`` and say how big it is and how long it took."""
    from syndup.htmlreport import build_html, report_data

    start = time.perf_counter()
    html = build_html(report_data(result, corpus, full=full)).encode("utf-8")
    plan.write(target, lambda fh: fh.write(html))
    if not quiet:
        size = len(html)
        shown = f"{size / 1e6:.1f} MB" if size >= 1e6 else f"{size / 1e3:.0f} KB"
        stderr_console().print(
            f"report: {target.label} ({shown}, {result.clusters.height:,} clusters, "
            f"{min(full, result.clusters.height):,} with diffs; "
            f"{time.perf_counter() - start:.1f} s)",
            highlight=False,
            markup=False,
        )


@handle_errors
def report(
    inputs: InputsArg,
    output: Annotated[
        Path,
        typer.Option("--output", "-o", help="The HTML file to write.", metavar="FILE"),
    ] = Path("report.html"),
    full: Annotated[
        int,
        typer.Option(
            "--full",
            help="Largest clusters embedded with text and diffs; the rest list members.",
            min=0,
            metavar="N",
        ),
    ] = 200,
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
    """Cluster INPUTS and write one self-contained HTML page (no network, works from
    file://): summary, originators and republishers, copy matrix, clusters with search
    and filters; per cluster a timeline, members with evidence, diffs against the
    canonical."""
    console = stderr_console()
    setup_logging(quiet=quiet, verbose=verbose, console=console)
    target = report_target(output)
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
    start = time.perf_counter()
    with OutputPlan([target]) as plan:
        with stage_progress(console, enabled=not quiet and console.is_terminal) as progress:
            detector.progress = progress
            result = detector.run(source, **opts)
        if not quiet:
            console.print(
                f"clustered {result.stats.get('articles', 0):,} articles in "
                f"{time.perf_counter() - start:.1f} s",
                highlight=False,
            )
        assert detector.last_reading is not None
        write_report(result, detector.last_reading.table, target, plan, quiet=quiet, full=full)
        plan.commit()
