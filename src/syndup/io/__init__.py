"""Read and write article corpora: JSONL, JSON arrays, CSV/TSV and Parquet (text gzipped).

``read_corpus`` returns the *standard table* (see :mod:`syndup.io.read` for the reading
policy: what is nulled, salvaged, rejected or fatal); ``write_table`` writes any table
safely (see :mod:`syndup.io.write` for the writing policy). Dates: :mod:`syndup.io.dates`.
"""

from syndup.io.dates import DATE_FORMATS, UTC, parse_dates
from syndup.io.read import (
    ALIASES,
    OPTIONAL_COLUMNS,
    PROBLEM_SCHEMA,
    READ_FORMATS,
    STANDARD_COLUMNS,
    TEXT_COLUMNS,
    Reading,
    read_articles,
    read_corpus,
)
from syndup.io.write import (
    WRITE_FORMATS,
    OutputPlan,
    Target,
    check_output,
    format_for,
    table_writer,
    write_all,
    write_table,
    write_text,
)

__all__ = [
    "ALIASES",
    "DATE_FORMATS",
    "OPTIONAL_COLUMNS",
    "PROBLEM_SCHEMA",
    "READ_FORMATS",
    "STANDARD_COLUMNS",
    "TEXT_COLUMNS",
    "UTC",
    "WRITE_FORMATS",
    "OutputPlan",
    "Reading",
    "Target",
    "check_output",
    "format_for",
    "parse_dates",
    "read_articles",
    "read_corpus",
    "table_writer",
    "write_all",
    "write_table",
    "write_text",
]
