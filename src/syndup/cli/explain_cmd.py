"""``syndup explain``: the evidence for one pair and which rules held or failed."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.table import Table

from syndup.cli.options import (
    BodyCol,
    ConfigOpt,
    Format,
    FormatOpt,
    HeadlineCol,
    IdCol,
    InputArg,
    InputFormatOpt,
    OutletCol,
    PublishedCol,
    UrlCol,
    handle_errors,
    load_config,
    read_options,
    setup_logging,
    stdout_console,
)
from syndup.explain import Explanation
from syndup.explain import explain as explain_pair
from syndup.report import _jsonable


@handle_errors
def explain(
    input: InputArg,
    id_a: Annotated[str, typer.Argument(help="First article id.")],
    id_b: Annotated[str, typer.Argument(help="Second article id.")],
    format: FormatOpt = Format.table,
    config: ConfigOpt = None,
    input_format: InputFormatOpt = None,
    id_col: IdCol = None,
    headline_col: HeadlineCol = None,
    body_col: BodyCol = None,
    outlet_col: OutletCol = None,
    url_col: UrlCol = None,
    published_col: PublishedCol = None,
) -> None:
    """Why ID_A and ID_B are (or are not) copies: features, each rule, LSH and clusters."""
    setup_logging(quiet=True, debug=False)
    opts = read_options(
        input_format, id_col, headline_col, body_col, outlet_col, url_col, published_col
    )
    exp = explain_pair(input, id_a, id_b, config=load_config(config), **opts)
    if format == Format.table:
        print_explanation(exp)
    elif format in (Format.json, Format.jsonl):
        indent = 2 if format == Format.json else None
        print(json.dumps(_jsonable(exp.to_dict()), indent=indent, ensure_ascii=False))
    else:
        raise typer.BadParameter("explain prints table, json or jsonl")


def print_explanation(exp: Explanation) -> None:
    verdict = f"[green]MATCH[/] by rule [bold]{exp.rule}[/]" if exp.rule else "[red]NO MATCH[/]"
    stdout_console().print(f"[bold]{exp.id_a}[/]: {exp.headline_a}")
    stdout_console().print(f"[bold]{exp.id_b}[/]: {exp.headline_b}")
    stdout_console().print(f"Direct verdict: {verdict}")
    if exp.same_cluster is not None:
        ca, cb = exp.cluster_a or {}, exp.cluster_b or {}
        where = (
            f"same cluster {ca.get('cluster_id')} (canonical {ca.get('canonical_id')})"
            if exp.same_cluster
            else f"different clusters {ca.get('cluster_id')} / {cb.get('cluster_id')}"
        )
        stdout_console().print(f"After clustering: {where}")
    if exp.path and exp.same_cluster:
        chain = " ".join(f"—{step['rule']}→ {step['id_b']}" for step in exp.path)
        stdout_console().print(f"Joined through matched edges: {exp.path[0]['id_a']} {chain}")
    elif exp.path:
        for step in exp.path:
            if "cut" in step:
                stdout_console().print(
                    f"Split: edge {step['id_a']}–{step['id_b']} ({step['rule']}) cut at "
                    f"member {step['cut']}: {step['reason']}"
                )
    lsh = ", ".join(f"{k}: {'yes' if v else 'no'}" for k, v in exp.lsh.items())
    stdout_console().print(f"Shares an LSH band — {lsh}")
    feats = Table(title="Features", title_justify="left")
    feats.add_column("feature")
    feats.add_column("value", justify="right")
    for key, value in exp.features.items():
        feats.add_row(key, "—" if value is None else str(value))
    stdout_console().print(feats)
    rules = Table(
        title="Rules (tried in order; the first that holds decides)", title_justify="left"
    )
    rules.add_column("rule")
    rules.add_column("held")
    rules.add_column("conditions")
    for name, held, checks in exp.rules:
        cond = "  ".join(f"{'✓' if ok else '✗'} {c}" for c, ok in checks)
        rules.add_row(name, "yes" if held else "no", cond)
    stdout_console().print(rules)
