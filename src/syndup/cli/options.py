"""Options shared by every command, and the one place that turns errors into exit codes."""

from __future__ import annotations

import functools
import logging
import sys
from collections.abc import Callable
from enum import Enum
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console

from syndup.config import Config
from syndup.errors import SyndupError

F = TypeVar("F", bound=Callable[..., Any])


def stderr_console() -> Console:
    """A console on stderr, made per call so it sees the current terminal and COLUMNS."""
    return Console(stderr=True)


def stdout_console() -> Console:
    return Console()


class Format(str, Enum):
    table = "table"
    json = "json"
    jsonl = "jsonl"
    csv = "csv"
    parquet = "parquet"


class InputFormat(str, Enum):
    jsonl = "jsonl"
    csv = "csv"
    parquet = "parquet"


InputArg = Annotated[
    str,
    typer.Argument(
        help="Corpus: .jsonl/.csv/.tsv/.parquet (.gz for text), or - for JSONL on stdin."
    ),
]
FormatOpt = Annotated[
    Format,
    typer.Option("--format", "-f", help="Output format: table for people, the rest for tools."),
]
OutputOpt = Annotated[
    Path | None,
    typer.Option("--output", "-o", help="Write data here (atomically) instead of stdout."),
]
ConfigOpt = Annotated[
    Path | None, typer.Option("--config", "-c", help="TOML config (see `syndup config`).")
]
InputFormatOpt = Annotated[
    InputFormat | None,
    typer.Option("--input-format", help="Override the format the suffix implies."),
]
IdCol = Annotated[str | None, typer.Option("--id-col", help="Column holding the article id.")]
HeadlineCol = Annotated[
    str | None, typer.Option("--headline-col", help="Column holding the headline.")
]
BodyCol = Annotated[str | None, typer.Option("--body-col", help="Column holding the body text.")]
OutletCol = Annotated[str | None, typer.Option("--outlet-col", help="Column holding the outlet.")]
UrlCol = Annotated[str | None, typer.Option("--url-col", help="Column holding the URL.")]
PublishedCol = Annotated[
    str | None, typer.Option("--published-col", help="Column holding the publication time.")
]
QuietOpt = Annotated[
    bool, typer.Option("--quiet", "-q", help="No progress bar or summary on stderr.")
]


def read_options(
    input_format: InputFormat | None,
    id_col: str | None,
    headline_col: str | None,
    body_col: str | None,
    outlet_col: str | None,
    url_col: str | None,
    published_col: str | None,
) -> dict[str, Any]:
    """Keyword arguments for ``syndup.read_corpus`` from the shared column options."""
    columns = {
        name: value
        for name, value in (
            ("id", id_col),
            ("headline", headline_col),
            ("body", body_col),
            ("outlet", outlet_col),
            ("url", url_col),
            ("published", published_col),
        )
        if value
    }
    opts: dict[str, Any] = {}
    if columns:
        opts["columns"] = columns
    if input_format is not None:
        opts["format"] = input_format.value
    return opts


def load_config(path: Path | None) -> Config:
    return Config.from_toml(path) if path else Config()


def handle_errors(func: F) -> F:
    """Exit 2 with a one-line message on bad input or config; tracebacks only with --debug."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except SyndupError as exc:
            typer.echo(f"syndup: error: {exc}", err=True)
            raise typer.Exit(exc.exit_code) from None
        except (typer.Exit, typer.Abort, KeyboardInterrupt):
            raise
        except BrokenPipeError:
            raise typer.Exit(0) from None
        except Exception as exc:
            if DEBUG["on"]:
                raise
            typer.echo(
                f"syndup: internal error: {type(exc).__name__}: {exc} "
                "(run with --debug for the traceback)",
                err=True,
            )
            raise typer.Exit(1) from None

    return wrapper  # type: ignore[return-value]


DEBUG = {"on": False}


def setup_logging(*, quiet: bool, debug: bool) -> None:
    level = logging.DEBUG if debug else logging.ERROR if quiet else logging.WARNING
    logging.basicConfig(level=level, format="syndup: %(levelname)s: %(message)s", stream=sys.stderr)
    logging.getLogger("syndup").setLevel(level)
