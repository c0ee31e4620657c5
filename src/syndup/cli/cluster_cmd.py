"""``syndup cluster``: group reprints, write one row per article, summarise on stderr_console()."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import polars as pl
import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

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
    stdout_console,
)
from syndup.io import write_table, write_text
from syndup.pipeline import Detector
from syndup.report import _jsonable, print_summary, print_table, summary_json
from syndup.result import Result

_SUFFIX_FORMATS = {
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".csv": "csv",
    ".parquet": "parquet",
    ".json": "json",
}


def output_format(format: Format | None, output: Path | None) -> str:
    """Explicit --format wins; else the output suffix; else table."""
    if format is not None:
        return format.value
    if output is not None:
        name = output.name[:-3] if output.name.endswith(".gz") else output.name
        return _SUFFIX_FORMATS.get(Path(name).suffix.lower(), "jsonl")
    return "table"


def write_extra(df: pl.DataFrame, path: Path) -> None:
    """Side outputs (--rejects, --pairs, --clusters): format from the suffix, jsonl default."""
    write_table(df, str(path), format=output_format(None, path))


def progress_bar(enabled: bool) -> tuple[Progress | None, object]:
    if not enabled:
        return None, None
    progress = Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TextColumn("{task.completed:,}/{task.total:,}"),
        TimeElapsedColumn(),
        console=stderr_console(),
        transient=True,
    )
    tasks: dict[str, int] = {}

    def update(stage: str, done: int, total: int) -> None:
        if stage not in tasks:
            tasks[stage] = progress.add_task(stage, total=total)
        progress.update(tasks[stage], completed=done, total=total)

    return progress, update


@handle_errors
def cluster(
    input: InputArg,
    output: OutputOpt = None,
    format: Annotated[
        Format | None,
        typer.Option(
            "--format",
            "-f",
            help="table | json | jsonl | csv | parquet "
            "(default: from --output's suffix, else table).",
        ),
    ] = None,
    config: ConfigOpt = None,
    rejects: Annotated[
        Path | None, typer.Option("--rejects", help="Write rows with no usable text here.")
    ] = None,
    pairs: Annotated[
        Path | None,
        typer.Option("--pairs", help="Write every candidate pair with its features and rule."),
    ] = None,
    clusters: Annotated[
        Path | None, typer.Option("--clusters", help="Write one row per cluster here.")
    ] = None,
    top: Annotated[
        int, typer.Option("--top", help="Clusters and outlets shown in the summary.")
    ] = 10,
    quiet: QuietOpt = False,
    input_format: InputFormatOpt = None,
    id_col: IdCol = None,
    headline_col: HeadlineCol = None,
    body_col: BodyCol = None,
    outlet_col: OutletCol = None,
    url_col: UrlCol = None,
    published_col: PublishedCol = None,
    engine: Annotated[
        str, typer.Option("--engine", help="local, or spark (pip install 'syndup[spark]').")
    ] = "local",
    spark_master: Annotated[
        str, typer.Option("--spark-master", help="Spark master URL (--engine spark).")
    ] = "local[2]",
    spark_conf: Annotated[
        list[str] | None, typer.Option("--spark-conf", help="Spark setting k=v (repeatable).")
    ] = None,
) -> None:
    """Cluster reprints in INPUT: one row per article with its cluster, canonical and evidence.

    Data goes to stdout (or --output); the summary and progress go to stderr_console().
    """
    setup_logging(quiet=quiet, debug=False)
    fmt = output_format(format, output)
    if fmt == "table" and output is not None:
        raise typer.BadParameter("--format table prints to the terminal; pick a data format")
    opts = read_options(
        input_format, id_col, headline_col, body_col, outlet_col, url_col, published_col
    )
    if engine != "local":  # writes parquet part files; the summary is the local engine's
        from syndup.engines.spark import cluster_to_files

        extra = {"rejects": rejects, "pairs": pairs, "clusters": clusters}
        cluster_to_files(input, output, load_config(config), spark_master, spark_conf, extra, opts)
        return
    show_progress = not quiet and input != "-" and stderr_console().is_terminal
    bar, update = progress_bar(show_progress)
    detector = Detector(load_config(config), progress=update)  # type: ignore[arg-type]
    if bar is not None:
        with bar:
            result = detector.run(input, **opts)
    else:
        result = detector.run(input, **opts)
    emit(result, fmt, output, top=top, quiet=quiet)
    if rejects is not None:
        write_extra(result.rejects, rejects)
    if pairs is not None:
        write_extra(result.pairs, pairs)
    if clusters is not None:
        write_extra(result.clusters, clusters)
    if result.rejects.height and not quiet:
        where = f" (written to {rejects})" if rejects else " (see --rejects)"
        stderr_console().print(f"{result.rejects.height:,} row(s) had no usable text{where}")


def emit(result: Result, fmt: str, output: Path | None, *, top: int, quiet: bool) -> None:
    """Write the data in ``fmt``; the human summary goes to stderr unless it is the data."""
    if fmt == "table":
        print_summary(result, stdout_console(), top=top)
        multi = result.assignments.filter(pl.col("cluster_size") > 1).sort("cluster_id")
        if multi.height:
            print_table(multi.drop("cluster_size"), stdout_console(), title="Articles in clusters")
        return
    if fmt == "json":
        doc = {
            "summary": json.loads(summary_json(result, top=top)),
            "clusters": _jsonable(result.clusters.to_dicts()),
            "assignments": _jsonable(result.assignments.to_dicts()),
        }
        write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n", output)
    else:
        write_table(result.assignments, str(output) if output else None, format=fmt)
    if not quiet:
        print_summary(result, stderr_console(), top=top)
