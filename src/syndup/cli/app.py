"""The typer command tree (built by ``syndup.cli.main`` and ``syndup.cli.app``)."""

from __future__ import annotations

from typing import Annotated

import typer

from syndup.cli.options import CONTEXT, STATE

EPILOG = (
    "Exit codes: 0 success; 1 internal error (a bug, please report it); 2 usage error "
    "(options, config file, output paths); 3 bad input data."
)


def _version(value: bool) -> None:
    if value:
        from syndup import __version__

        typer.echo(f"syndup {__version__}")
        raise typer.Exit(0)


def _root(
    debug: Annotated[
        bool, typer.Option("--debug", help="Show tracebacks for internal errors.")
    ] = False,
    version: Annotated[
        bool,
        typer.Option(
            "--version", help="Print the version and exit.", callback=_version, is_eager=True
        ),
    ] = False,
) -> None:
    """Find syndicated copies of news stories and group them into clusters."""
    STATE["debug"] = debug


def build_app(*, only: str | None = None) -> typer.Typer:
    """The command tree. ``only="index"`` builds the ``index`` group alone: a subcommand
    then imports only what it needs."""
    app = typer.Typer(
        name="syndup",
        help="Find syndicated copies of news stories and group them into clusters.",
        epilog=EPILOG,
        no_args_is_help=True,
        add_completion=False,
        pretty_exceptions_enable=False,
        context_settings=CONTEXT,
        rich_markup_mode=None,
    )
    app.callback()(_root)
    if only != "index":
        from syndup.cli import (
            cluster_cmd,
            config_cmd,
            dedup_cmd,
            evaluate_cmd,
            explain_cmd,
            report_cmd,
        )

        for name, func in (
            ("cluster", cluster_cmd.cluster),
            ("explain", explain_cmd.explain),
            ("evaluate", evaluate_cmd.evaluate),
            ("config", config_cmd.config),
            ("report", report_cmd.report),
            ("dedup", dedup_cmd.dedup),
        ):
            app.command(name, epilog=EPILOG, context_settings=CONTEXT)(func)
    from syndup.cli import index_cmd

    app.add_typer(index_cmd.app, name="index", epilog=EPILOG, context_settings=CONTEXT)
    return app
