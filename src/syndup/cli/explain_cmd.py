"""``syndup explain``: the evidence for one pair and which rules held or failed."""

from __future__ import annotations

import json
from enum import Enum
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from syndup.cli.cluster_cmd import output_target, table_text
from syndup.cli.options import (
    BodyCol,
    ConfigOpt,
    DateFormatOpt,
    DebugOpt,
    EncodingOpt,
    HeadlineCol,
    IdCol,
    InputArg,
    InputFormatOpt,
    OnError,
    OnErrorOpt,
    OutletCol,
    OutputOpt,
    PublishedCol,
    QuietOpt,
    StrictOpt,
    UrlCol,
    handle_errors,
    load_config,
    read_options,
    setup_logging,
    stderr_console,
    stdout_console,
)
from syndup.explain import Explanation
from syndup.explain import explain as explain_pair
from syndup.io import write_all
from syndup.report import _jsonable


class Format(str, Enum):
    """An explanation is one nested document: a table for people, JSON for tools."""

    table = "table"
    json = "json"
    jsonl = "jsonl"


@handle_errors
def explain(
    input: InputArg,
    id_a: Annotated[
        str, typer.Argument(help="First article id.", show_default=False, metavar="ID_A")
    ],
    id_b: Annotated[
        str, typer.Argument(help="Second article id.", show_default=False, metavar="ID_B")
    ],
    format: Annotated[
        Format | None,
        typer.Option(
            "--format",
            "-f",
            help="table (for people) | json (indented) | jsonl (one line). Default: from "
            "--output's suffix (.txt = table), else table.",
            show_default=False,
        ),
    ] = None,
    output: OutputOpt = None,
    config: ConfigOpt = None,
    quiet: QuietOpt = False,
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
    """Why ID_A and ID_B are (or are not) copies: features, each rule, LSH and clusters."""
    setup_logging(quiet=quiet, console=stderr_console())
    fmt, target = output_target(format, output)
    if fmt not in ("table", "json", "jsonl"):
        raise typer.BadParameter("explain writes table, json or jsonl", param_hint="--output")
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
    exp = explain_pair(input, id_a, id_b, config=load_config(config), **opts)
    if fmt == "table":
        if target is None:
            print_explanation(exp, stdout_console())
            return
        text = table_text(lambda c: print_explanation(exp, c))
    else:
        indent = 2 if fmt == "json" else None
        text = json.dumps(_jsonable(exp.to_dict()), indent=indent, ensure_ascii=False) + "\n"
    if target is None or target.path is None:
        typer.echo(text, nl=False)
        return
    data = text.encode("utf-8")
    write_all([(target, lambda fh: fh.write(data))])


def print_explanation(exp: Explanation, console: Console) -> None:
    verdict = f"[green]MATCH[/] by rule [bold]{exp.rule}[/]" if exp.rule else "[red]NO MATCH[/]"
    console.print(f"[bold]{exp.id_a}[/]: {exp.headline_a}")
    console.print(f"[bold]{exp.id_b}[/]: {exp.headline_b}")
    console.print(f"Direct verdict: {verdict}")
    if exp.same_cluster is not None:
        ca, cb = exp.cluster_a or {}, exp.cluster_b or {}
        where = (
            f"same cluster {ca.get('cluster_id')} (canonical {ca.get('canonical_id')})"
            if exp.same_cluster
            else f"different clusters {ca.get('cluster_id')} / {cb.get('cluster_id')}"
        )
        console.print(f"After clustering: {where}")
    if exp.path and exp.same_cluster:
        chain = " ".join(f"—{step['rule']}→ {step['id_b']}" for step in exp.path)
        console.print(f"Joined through matched edges: {exp.path[0]['id_a']} {chain}")
    elif exp.path:
        for step in exp.path:
            if "cut" in step:
                console.print(
                    f"Split: edge {step['id_a']}–{step['id_b']} ({step['rule']}) cut at "
                    f"member {step['cut']}: {step['reason']}"
                )
    lsh = ", ".join(f"{k}: {'yes' if v else 'no'}" for k, v in exp.lsh.items())
    console.print(f"Shares an LSH band — {lsh}")
    feats = Table(title="Features", title_justify="left")
    feats.add_column("feature")
    feats.add_column("value", justify="right")
    for key, value in exp.features.items():
        feats.add_row(key, "—" if value is None else str(value))
    console.print(feats)
    rules = Table(
        title="Rules (tried in order; the first that holds decides)", title_justify="left"
    )
    rules.add_column("rule")
    rules.add_column("held")
    rules.add_column("conditions")
    for name, held, checks in exp.rules:
        cond = "  ".join(f"{'✓' if ok else '✗'} {c}" for c, ok in checks)
        rules.add_row(name, "yes" if held else "no", cond)
    console.print(rules)
