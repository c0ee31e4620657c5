"""The ``syndup`` command line: a thin layer over the library, one module per command."""

from __future__ import annotations

from typing import Annotated

import typer

from syndup.cli import cluster_cmd, config_cmd, evaluate_cmd, explain_cmd, index_cmd
from syndup.cli.options import DEBUG

app = typer.Typer(
    name="syndup",
    help="Find syndicated copies of news stories and group them into clusters.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback()
def _root(
    debug: Annotated[
        bool, typer.Option("--debug", help="Show tracebacks for internal errors.")
    ] = False,
) -> None:
    """Find syndicated copies of news stories and group them into clusters."""
    DEBUG["on"] = debug


app.command("cluster")(cluster_cmd.cluster)
app.command("explain")(explain_cmd.explain)
app.command("evaluate")(evaluate_cmd.evaluate)
app.command("config")(config_cmd.config)
app.add_typer(index_cmd.app, name="index")


def main() -> None:
    app()
