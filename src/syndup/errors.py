"""Exceptions. The CLI turns every `SyndupError` into a one-line message and exit code 2."""

from __future__ import annotations


class SyndupError(Exception):
    """Base class for errors a user can act on (bad input, bad config)."""

    exit_code: int = 2


class InputError(SyndupError):
    """A corpus file cannot be read as articles.

    Always names the file and, where known, the 1-based row (line for JSONL/CSV, row for
    Parquet) and the field, so the message reads ``file:row: field 'x': what is wrong``.
    """

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        row: int | None = None,
        field: str | None = None,
    ) -> None:
        self.file, self.row, self.field, self.message = file, row, field, message
        where = file or "<input>"
        if row is not None:
            where += f":{row}"
        what = f"field '{field}': " if field else ""
        super().__init__(f"{where}: {what}{message}")


class ConfigError(SyndupError):
    """A configuration value or file is invalid."""
