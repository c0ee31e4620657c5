"""``syndup cluster``: group reprints, write one row per article, summarise on stderr."""

from __future__ import annotations

import io
import json
from enum import Enum
from pathlib import Path
from typing import Annotated, Any

import polars as pl
import typer
from rich.console import Console

from syndup.analysis import articles
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
    stdout_console,
)
from syndup.cli.progress import stage_progress
from syndup.cli.report_cmd import report_target, write_report
from syndup.errors import OutputError
from syndup.io import OutputPlan, Target, check_output, table_writer
from syndup.io.write import SUFFIX_FORMATS
from syndup.pipeline import Detector
from syndup.report import _jsonable, print_members, print_summary, summary_json
from syndup.result import Result


class Format(str, Enum):
    table = "table"
    json = "json"
    jsonl = "jsonl"
    csv = "csv"
    tsv = "tsv"
    parquet = "parquet"


FormatOpt = Annotated[
    Format | None,
    typer.Option(
        "--format",
        "-f",
        help="table (for people) | json | jsonl | csv | tsv | parquet. Default: from "
        "--output's suffix (.txt = table), else table.",
        show_default=False,
    ),
]


def output_target(
    format: Enum | None, output: Path | None, *, default: str = "table"
) -> tuple[str, Target | None]:
    """The output format and its checked target (None: a table to the terminal).

    An explicit --format wins; else the output's suffix (``.txt`` is the table as text);
    else ``default``. Raises OutputError for paths that cannot be written.
    """
    fmt = format.value if format is not None else None
    if fmt is None and output is not None:
        name = output.name.lower().removesuffix(".gz")
        fmt = "table" if name.endswith(".txt") else None
    if fmt is None and output is None:
        fmt = default
    if fmt == "table":
        if output is None:
            return "table", None
        return "table", check_output(output, format="json")  # text, written as-is
    target = check_output(output, format=fmt)
    return target.format, target


def side_target(path: Path | None, flag: str) -> Target | None:
    """A side output (--rejects, --pairs, --clusters): format from the suffix."""
    if path is None:
        return None
    if str(path) == "-":
        raise OutputError(f"{flag} needs a file name (stdout carries the main output)")
    name = path.name.lower().removesuffix(".gz")
    if not any(name.endswith(s) for s in SUFFIX_FORMATS):
        known = ", ".join(SUFFIX_FORMATS)
        raise OutputError(f"{path}: {flag} takes its format from the suffix: one of {known}")
    return check_output(path)


def table_text(render: Any) -> str:
    """What ``render(console)`` prints, as plain text (for ``-f table -o FILE``)."""
    buffer = io.StringIO()
    render(Console(file=buffer, width=120, no_color=True, force_terminal=False))
    return buffer.getvalue()


@handle_errors
def cluster(
    inputs: InputsArg,
    output: OutputOpt = None,
    format: FormatOpt = None,
    config: ConfigOpt = None,
    rejects: Annotated[
        Path | None,
        typer.Option(
            "--rejects",
            help="Write every input problem here: values set to null or salvaged, records "
            "rejected (with their raw text) and rows with no usable text.",
            show_default=False,
            metavar="FILE",
        ),
    ] = None,
    pairs: Annotated[
        Path | None,
        typer.Option(
            "--pairs",
            help="Write every verified candidate pair with its features and rule.",
            show_default=False,
            metavar="FILE",
        ),
    ] = None,
    clusters: Annotated[
        Path | None,
        typer.Option(
            "--clusters", help="Write one row per cluster here.", show_default=False, metavar="FILE"
        ),
    ] = None,
    top: Annotated[
        int,
        typer.Option(
            "--top", help="Clusters and outlets shown in the summary.", min=0, metavar="N"
        ),
    ] = 10,
    columns: Annotated[
        str | None,
        typer.Option(
            "--columns",
            help="Input columns to carry into the per-article output (a,b,c).",
            show_default=False,
        ),
    ] = None,
    report: Annotated[
        Path | None,
        typer.Option(
            "--report", help="Also write the HTML report here.", show_default=False, metavar="FILE"
        ),
    ] = None,
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
    """Cluster reprints in INPUTS: one row per input record with its cluster, canonical
    and evidence (rows not clustered have a reason).

    Data goes to stdout (or --output); the summary, warnings and progress go to stderr.
    Every output path is checked before the run; all outputs land together at the end.
    """
    console = stderr_console()
    setup_logging(quiet=quiet, verbose=verbose, console=console)
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
    if engine != "local":  # writes parquet part files; the summary is the local engine's
        from syndup.engines.spark import cluster_to_files

        extra = {"rejects": rejects, "pairs": pairs, "clusters": clusters}
        source_ = inputs[0] if len(inputs) == 1 else ",".join(map(str, inputs))
        cfg = load_config(config)
        cluster_to_files(source_, output, cfg, spark_master, spark_conf, extra, opts)
        return
    fmt, target = output_target(format, output)
    sides = [
        (side_target(rejects, "--rejects"), "rejects"),
        (side_target(pairs, "--pairs"), "pairs"),
        (side_target(clusters, "--clusters"), "clusters"),
    ]
    source: Any = inputs[0] if len(inputs) == 1 else inputs
    page = report_target(report) if report is not None else None
    detector = Detector(
        load_config(config),
        keep_input=page is not None,
        keep_signatures=False,
        keep_pairs=pairs is not None,  # only --pairs writes every pair's features
    )
    targets = [t for t in (target, *(t for t, _ in sides), page) if t is not None]
    with OutputPlan(targets) as plan:  # temporaries exist from here; removed on failure
        with stage_progress(console, enabled=not quiet and console.is_terminal) as progress:
            detector.progress = progress
            result = detector.run(source, **opts)
        keep = [c.strip() for c in columns.split(",") if c.strip()] if columns else []
        if target is not None:
            plan.write(target, _main_writer(result, fmt, top=top, columns=keep))
        for side, name in sides:
            if side is not None:
                plan.write(side, table_writer(getattr(result, name), side.format))
        if page is not None:
            assert detector.last_reading is not None  # the report shows the raw bodies
            write_report(result, detector.last_reading.table, page, plan, quiet=quiet)
        plan.commit()  # every output lands together
    if fmt == "table" and target is None:
        _print_table(result, stdout_console(), top=top)
    elif not quiet:
        print_summary(result, console, top=top)
    if not quiet:
        report_problems(result.rejects, rejects, console)


def _main_writer(result: Result, fmt: str, *, top: int, columns: list[str]) -> Any:
    if fmt == "table":
        text = table_text(lambda c: _print_table(result, c, top=top)).encode("utf-8")
        return lambda fh: fh.write(text)
    if fmt == "json":
        doc = {
            "summary": json.loads(summary_json(result, top=top)),
            "clusters": _jsonable(result.clusters.to_dicts()),
            "assignments": _jsonable(articles(result, columns=columns).to_dicts()),
        }
        data = (json.dumps(doc, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
        return lambda fh: fh.write(data)
    return table_writer(articles(result, columns=columns), fmt)


def _print_table(result: Result, console: Console, *, top: int) -> None:
    print_summary(result, console, top=top)
    print_members(result, console, top=top)


def report_problems(problems: pl.DataFrame, written: Path | None, console: Console) -> None:
    """Counts of input problems by field and action, and the first few, on stderr."""
    if problems.height == 0:
        return
    where = f"all listed in {written}" if written else "--rejects FILE lists them all"
    counts = problems.group_by("action", "field").len().sort("len", descending=True).iter_rows()
    parts = [f"{n:,} {action} ({field or 'record'})" for action, field, n in counts]
    console.print(f"input problems: {', '.join(parts)}; {where}", markup=False, highlight=False)
    # The first few, worst first (rejected, nulled, salvaged), then in input order.
    rank = pl.col("action").replace_strict(
        {"rejected": 0, "nulled": 1, "salvaged": 2}, default=3, return_dtype=pl.Int8
    )
    notes = (
        problems.filter(pl.col("action") != "not_clustered")
        .sort(rank, pl.col("row"), nulls_last=True, maintain_order=True)
        .head(5)
    )
    for row in notes.iter_rows(named=True):
        place = f"{row['file'] or '<input>'}:{row['row']}" if row["row"] is not None else ""
        value = f" value {row['value']!r}" if row["value"] is not None else ""
        console.print(
            f"  {place}: field '{row['field']}': {row['action']}: {row['reason']}{value}",
            markup=False,
            highlight=False,
        )
