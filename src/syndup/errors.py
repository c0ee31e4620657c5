"""Exceptions and the problem records behind them.

Exit codes (decided here, used by the CLI in one place): 0 success; 1 internal error (a bug:
please report it); 2 usage error (options, config file, output paths); 3 bad input data.
Library messages name arguments (``columns={"id": ...}``, ``date_format``); the CLI
rewrites them to its flag names.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

EXIT_OK, EXIT_INTERNAL, EXIT_USAGE, EXIT_INPUT = 0, 1, 2, 3
#: Problems listed in an error message; the total is always given.
SHOWN_PROBLEMS = 20


class SyndupError(Exception):
    """Base class for errors a user can act on (bad input, bad config, bad output path)."""

    exit_code: int = EXIT_USAGE


@dataclass(frozen=True)
class Problem:
    """One problem with one record or value of the input.

    ``action``: ``nulled`` (an optional value was set to null, the row kept), ``salvaged``
    (a usable part of the value was kept), ``rejected`` (the record was not read).
    """

    reason: str
    file: str | None = None
    row: int | None = None
    field: str | None = None
    value: str | None = None
    id: str | None = None
    action: str = "rejected"
    raw: str | None = None

    def line(self) -> str:
        """``file:row: field 'x': reason (value '...')``."""
        where = self.file or "<input>"
        if self.row is not None:
            where += f":{self.row}"
        what = f"field '{self.field}': " if self.field else ""
        value = (
            f" (value {self.value!r})"
            if self.value is not None and self.value not in self.reason
            else ""
        )
        return f"{where}: {what}{self.reason}{value}"

    def as_rejected(self, why: str) -> Problem:
        return replace(self, action="rejected", reason=f"{self.reason} [{why}]")

    def as_dict(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "row": self.row,
            "id": self.id,
            "field": self.field,
            "value": self.value,
            "reason": self.reason,
            "action": self.action,
            "raw": self.raw,
        }


class InputError(SyndupError):
    """A corpus cannot be read as articles.

    Always names the file and, where known, the 1-based row (line for JSONL/CSV, row for
    Parquet) and the field, so the message reads ``file:row: field 'x': what is wrong``.
    ``problems`` holds every problem found when the read was aborted for several.
    """

    exit_code = EXIT_INPUT

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        row: int | None = None,
        field: str | None = None,
        problems: tuple[Problem, ...] = (),
    ) -> None:
        self.file, self.row, self.field, self.message = file, row, field, message
        self.problems = problems or (Problem(message, file=file, row=row, field=field),)
        super().__init__(self.problems[0].line() if not problems else message)

    @classmethod
    def from_problems(cls, problems: list[Problem]) -> InputError:
        """One error for several unreadable records; the message lists the first ones."""
        first = problems[0]
        lines = [p.line() for p in problems[:SHOWN_PROBLEMS]]
        if len(problems) > 1:
            more = len(problems) - len(lines)
            tail = f" (the first {len(lines)} above)" if more else ""
            lines.append(
                f"{len(problems):,} unreadable record(s) in total{tail}; "
                "on_error='reject' sets them aside and reads the rest"
            )
        err = cls(
            "\n".join(lines),
            file=first.file,
            row=first.row,
            field=first.field,
            problems=tuple(problems),
        )
        err.message = first.reason
        return err


class ConfigError(SyndupError):
    """A configuration value or file is invalid (names the file and key)."""


class OutputError(SyndupError):
    """An output path cannot be written (checked before the run where possible)."""
