"""The ``syndup`` command line: a thin layer over the library, one module per command.

Exit codes: 0 success; 1 internal error (a bug); 2 usage error (options, config file,
output paths); 3 bad input data (the message names file, row and field).

The typer app (``syndup.cli.app``) is built on first use: ``syndup index explain`` in its
plain forms is answered without it (``syndup.cli.fast``), since typer, the pydantic it
coerces parameters with and rich cost more start-up than the answer itself.
"""

from __future__ import annotations

import gc
import os
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import typer


def __getattr__(name: str) -> typer.Typer:
    if name == "app":  # the whole tree, built on first use (``from syndup.cli import app``)
        from syndup.cli.app import build_app

        globals()["app"] = built = build_app()
        return built
    raise AttributeError(f"module 'syndup.cli' has no attribute {name!r}")


def quiet_stdout() -> None:
    """Point stdout at /dev/null so the interpreter's final flush does not fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass


def main() -> None:
    """Entry point: run the app; a closed stdout (``| head``) ends the run quietly.

    The process ends with the command: its objects are frozen first (``gc.freeze``), so
    the interpreter's last garbage collection skips them. That collection otherwise costs
    ~1 CPU-s at exit (numba's and the libraries' module graphs; measured 2-4 s of wall
    under load) after every output has landed."""
    args = sys.argv[1:]
    try:
        if args[:2] == ["index", "explain"]:
            from syndup.cli.fast import index_explain

            if index_explain(args[2:]):
                return
        from syndup.cli.app import build_app

        build_app(only="index" if args[:1] == ["index"] else None)()
    except BrokenPipeError:
        quiet_stdout()
        sys.exit(0)
    except KeyboardInterrupt:
        print("syndup: interrupted", file=sys.stderr)
        sys.exit(130)
    finally:
        gc.freeze()
