"""Options shared by every command, and the one place that turns errors into exit codes.

Exit codes: 0 success; 1 internal error (a bug); 2 usage error (options, config file,
output paths); 3 bad input data. Library messages name arguments (``columns={"id": ...}``,
``date_format``); :func:`cli_words` rewrites them to this command line's flags.
"""

from __future__ import annotations

import functools
import logging
import re
import sys
from collections.abc import Callable
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer

from syndup.cli import quiet_stdout
from syndup.config import Config
from syndup.errors import EXIT_INTERNAL, SyndupError

if TYPE_CHECKING:  # rich is imported on first use: a json answer never loads it
    from rich.console import Console

F = TypeVar("F", bound=Callable[..., Any])
STATE: dict[str, bool] = {"debug": False}
CONTEXT = {"help_option_names": ["-h", "--help"]}


def stderr_console() -> Console:
    """A console on stderr, made per call so it sees the current terminal and COLUMNS."""
    from rich.console import Console

    return Console(stderr=True)


def stdout_console() -> Console:
    """A console on stdout; ``syndup ... | head`` (a broken pipe) ends quietly, exit 0."""
    from rich.console import Console

    class _StdoutConsole(Console):
        def on_broken_pipe(self) -> None:
            quiet_stdout()
            raise SystemExit(0)

    return _StdoutConsole()


class InputFormat(str, Enum):
    jsonl = "jsonl"
    json = "json"
    csv = "csv"
    tsv = "tsv"
    parquet = "parquet"


class OnError(str, Enum):
    abort = "abort"
    reject = "reject"


InputArg = Annotated[
    str,
    typer.Argument(
        help="Corpus: .jsonl, .json (array), .csv, .tsv or .parquet (.gz for text), a glob "
        "such as 'feeds/*.jsonl', or - for stdin (JSONL unless --input-format).",
        show_default=False,
        metavar="INPUT",
    ),
]
InputsArg = Annotated[
    list[str],
    typer.Argument(
        help="One or more corpora: .jsonl, .json (array), .csv, .tsv or .parquet (.gz for "
        "text), globs such as 'feeds/*.jsonl', or - for stdin (JSONL unless --input-format).",
        show_default=False,
        metavar="INPUTS",
    ),
]
OutputOpt = Annotated[
    Path | None,
    typer.Option(
        "--output",
        "-o",
        help="Write the data here instead of stdout; the format follows the suffix "
        "(.jsonl .json .csv .tsv .parquet, + .gz to compress). Regular files are replaced "
        "atomically; devices, FIFOs and symlinks are written through.",
        show_default=False,
        metavar="FILE",
    ),
]
ConfigOpt = Annotated[
    Path | None,
    typer.Option(
        "--config",
        "-c",
        help="TOML config (see `syndup config`).",
        show_default=False,
        metavar="FILE",
    ),
]
InputFormatOpt = Annotated[
    InputFormat | None,
    typer.Option(
        "--input-format",
        help="Read the input as this format instead of what its suffix says.",
        show_default=False,
    ),
]
EncodingOpt = Annotated[
    str | None,
    typer.Option(
        "--encoding",
        help="Text encoding of the input (default UTF-8), e.g. latin-1, cp1252.",
        show_default=False,
        metavar="NAME",
    ),
]
DateFormatOpt = Annotated[
    str | None,
    typer.Option(
        "--date-format",
        help="strftime form of the published dates, tried first, e.g. '%d/%m/%Y'.",
        show_default=False,
        metavar="FORM",
    ),
]
StrictOpt = Annotated[
    bool,
    typer.Option(
        "--strict",
        help="Treat a bad optional value (published, outlet, url) as an unreadable record "
        "instead of setting it to null with a warning.",
    ),
]
OnErrorOpt = Annotated[
    OnError,
    typer.Option(
        "--on-error",
        help="What an unreadable record does: abort (list every problem and stop) or "
        "reject (set it aside in --rejects with its raw text and go on).",
        case_sensitive=False,
    ),
]
IdCol = Annotated[
    str | None,
    typer.Option(
        "--id-col", help="Column holding the article id.", show_default=False, metavar="COLUMN"
    ),
]
HeadlineCol = Annotated[
    str | None,
    typer.Option(
        "--headline-col", help="Column holding the headline.", show_default=False, metavar="COLUMN"
    ),
]
BodyCol = Annotated[
    str | None,
    typer.Option(
        "--body-col", help="Column holding the body text.", show_default=False, metavar="COLUMN"
    ),
]
OutletCol = Annotated[
    str | None,
    typer.Option(
        "--outlet-col", help="Column holding the outlet.", show_default=False, metavar="COLUMN"
    ),
]
UrlCol = Annotated[
    str | None,
    typer.Option("--url-col", help="Column holding the URL.", show_default=False, metavar="COLUMN"),
]
PublishedCol = Annotated[
    str | None,
    typer.Option(
        "--published-col",
        help="Column holding the publication time.",
        show_default=False,
        metavar="COLUMN",
    ),
]
QuietOpt = Annotated[
    bool, typer.Option("--quiet", "-q", help="No progress bar, summary or warnings on stderr.")
]
VerboseOpt = Annotated[
    bool, typer.Option("--verbose", "-v", help="Log each stage's timing and details on stderr.")
]
DebugOpt = Annotated[bool, typer.Option("--debug", help="Show tracebacks for internal errors.")]


def read_options(
    input_format: InputFormat | None,
    id_col: str | None,
    headline_col: str | None,
    body_col: str | None,
    outlet_col: str | None,
    url_col: str | None,
    published_col: str | None,
    *,
    encoding: str | None = None,
    date_format: str | None = None,
    strict: bool = False,
    on_error: OnError = OnError.abort,
) -> dict[str, Any]:
    """Keyword arguments for ``syndup.io.read_articles`` from the shared input options."""
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
    opts: dict[str, Any] = {"strict": strict, "on_error": on_error.value}
    if columns:
        opts["columns"] = columns
    if input_format is not None:
        opts["format"] = input_format.value
    if encoding:
        opts["encoding"] = encoding
    if date_format:
        opts["date_format"] = date_format
    return opts


def load_config(path: Path | None) -> Config:
    return Config.from_toml(path) if path else Config()


# Library wording -> command-line wording (the library speaks of its arguments).
_CLI_WORDS = (
    (re.compile(r'name it with columns=\{"id": \.\.\.\}'), "name it with --id-col"),
    (re.compile(r"columns=\{'(\w+)': \.\.\.\}"), r"--\1-col"),
    (re.compile(r"on_error='reject'"), "--on-error reject"),
    (re.compile(r"\bdate_format\b"), "--date-format"),
    (re.compile(r"\bsee encoding\b"), "see --encoding"),
    (re.compile(r"set format to one of"), "use --input-format with one of"),
    (re.compile(r"or give the format"), "or use --format"),
    (re.compile(r"writing to stdout needs a format"), "writing to stdout needs --format"),
)


def cli_words(message: str) -> str:
    for pattern, replacement in _CLI_WORDS:
        message = pattern.sub(replacement, message)
    return message


def handle_errors(func: F) -> F:
    """One-line messages and exit codes for every error; tracebacks only with --debug."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        debug = kwargs.pop("debug", False)
        if debug:
            STATE["debug"] = True
        try:
            out = func(*args, **kwargs)
            sys.stdout.flush()  # a closed pipe shows here, not at exit
            return out
        except SyndupError as exc:
            for line in cli_words(str(exc)).splitlines():
                typer.echo(f"syndup: error: {line}", err=True)
            raise typer.Exit(exc.exit_code) from None
        except BrokenPipeError:  # `syndup ... | head`: the reader has all it wanted
            quiet_stdout()
            raise typer.Exit(0) from None
        except KeyboardInterrupt:  # Ctrl-C: temporaries are already removed
            typer.echo("syndup: interrupted", err=True)
            raise typer.Exit(130) from None
        except (typer.Exit, typer.Abort, typer.BadParameter):
            raise
        except OSError as exc:
            if _broken_pipe(exc):
                quiet_stdout()
                raise typer.Exit(0) from None
            if STATE["debug"]:
                raise
            typer.echo(f"syndup: error: {exc}", err=True)
            raise typer.Exit(EXIT_INTERNAL) from None
        except Exception as exc:
            if STATE["debug"]:
                raise
            typer.echo(
                f"syndup: internal error: {type(exc).__name__}: {exc} "
                "(a bug: run with --debug for the traceback and please report it)",
                err=True,
            )
            raise typer.Exit(EXIT_INTERNAL) from None

    return wrapper  # type: ignore[return-value]


def _broken_pipe(exc: OSError) -> bool:
    """polars reports a closed pipe as a plain OSError with the OS message."""
    return isinstance(exc, BrokenPipeError) or exc.errno == 32 or "os error 32" in str(exc)


def setup_logging(*, quiet: bool, verbose: bool = False, console: Console | None = None) -> None:
    """syndup's log lines on stderr through rich, so they print above a live progress bar."""
    from rich.logging import RichHandler

    level = logging.ERROR if quiet else logging.INFO if verbose else logging.WARNING
    logger = logging.getLogger("syndup")
    for handler in list(logger.handlers):
        if getattr(handler, "_syndup", False):
            logger.removeHandler(handler)
    handler = RichHandler(
        console=console or stderr_console(),
        show_time=False,
        show_path=False,
        markup=False,
        rich_tracebacks=False,
    )
    handler.setFormatter(logging.Formatter("%(message)s"))
    handler._syndup = True  # type: ignore[attr-defined]
    logger.addHandler(handler)
    logger.setLevel(level)
    logger.propagate = False
