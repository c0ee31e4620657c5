"""``syndup index explain`` answered without building the typer app.

typer coerces every parameter through pydantic: importing both and parsing one command
line costs ~0.15-0.25 CPU-s, about as much as reading and scoring the pair. The command is
defined once, in ``syndup.cli.index_cmd`` (its typer signature and help); here only its
plain forms are recognised, ``index explain DB ID_A ID_B [--format|-f table|json|jsonl]``,
and run through the same functions as the typer command (``read_explanation``,
``show_explanation``). Anything else (``--help``,
another option, another format, ``--``) and any error return False: the typer app then
handles the whole command line as usual, so usage errors, messages and exit codes come
from one place. The trade-off: a failing command does its reading twice.
"""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from syndup.explain import Explanation

FORMAT_FLAGS = ("--format", "-f")  # index_cmd.explain's options (a test keeps them equal)
FORMATS = ("table", "json", "jsonl")


def parse_explain(args: list[str]) -> tuple[str, str, str, str | None] | None:
    """``(db, id_a, id_b, format)`` of a plain ``index explain`` command line (the words
    after ``explain``), or None when typer must read it."""
    words: list[str] = []
    fmt: str | None = None
    i = 0
    while i < len(args):
        arg = args[i]
        if arg in FORMAT_FLAGS and i + 1 < len(args) and fmt is None:
            fmt = args[i + 1]
            i += 2
            continue
        if arg.startswith("--format=") and fmt is None:
            fmt = arg.removeprefix("--format=")
        elif arg.startswith("-"):
            return None
        else:
            words.append(arg)
        i += 1
    if len(words) != 3 or (fmt is not None and fmt not in FORMATS):
        return None
    return words[0], words[1], words[2], fmt


def index_explain(args: list[str]) -> bool:
    """Run ``index explain`` for the words after ``explain``; False if typer must."""
    parsed = parse_explain(args)
    if parsed is None:
        return False
    db, id_a, id_b, fmt = parsed
    try:
        exp = read_explanation(db, id_a, id_b)
    except Exception:  # the typer path reports it, with the exit code of its kind
        return False
    show_explanation(exp, fmt or "table")
    sys.stdout.flush()
    return True


def read_explanation(db: str, id_a: str, id_b: str) -> Explanation:
    """The stored pair's explanation (``Index.explain``), the index opened read-only."""
    from syndup.index import Index

    with Index.open(db, create=False) as index:
        return index.explain(id_a, id_b)


def show_explanation(exp: Explanation, fmt: str) -> None:
    """``exp`` on stdout: a rich table, or one JSON document (indented for ``json``)."""
    if fmt == "table":
        from syndup.cli.explain_cmd import print_explanation
        from syndup.cli.options import stdout_console

        print_explanation(exp, stdout_console())
    else:
        from syndup.io.write import jsonable

        print(json.dumps(jsonable(exp.to_dict()), indent=2 if fmt == "json" else None))
