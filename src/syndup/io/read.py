"""Read article corpora into the standard table, with every problem found and reported.

Reading policy (also in the README):

- A bad value in an optional field (``published``, ``outlet``, ``url``) keeps the row, sets
  the field to null and is listed as a problem with ``action="nulled"`` (or ``"salvaged"``
  when a usable part was kept, e.g. a date followed by junk). ``strict=True`` treats these
  as unreadable records instead.
- An unreadable record (bad JSON or CSV syntax, bytes not in the encoding, no id, a
  duplicate id, a headline/body that is not text) aborts the read with *every* such problem
  listed (:class:`~syndup.errors.InputError` carries them all), or, with
  ``on_error="reject"``, is set aside with its raw text (``action="rejected"``) and the
  read goes on. Problems that make the whole file unreadable (no id column, not Parquet,
  an unterminated quote) always abort.

So every input record is either in the table or in the problems with ``action="rejected"``.
The happy path is vectorised (polars/pyarrow readers); Python looks at single lines only on
the error path, or at the few JSONL lines a regex flags.
"""

from __future__ import annotations

import csv
import glob
import gzip
import io
import json
import logging
import os
import re
import sys
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal

import polars as pl

from syndup.errors import InputError, Problem
from syndup.io.dates import UTC, parse_dates

log = logging.getLogger("syndup")

STANDARD_COLUMNS = ("id", "headline", "body", "outlet", "url", "published")
ALIASES: dict[str, tuple[str, ...]] = {
    "id": ("id", "article_id", "doc_id", "uid"),
    "headline": ("headline", "title", "heading"),
    "body": ("body", "text", "content", "article", "description"),
    "outlet": ("outlet", "source", "publisher", "site", "domain"),
    "url": ("url", "link"),
    "published": ("published", "date", "published_at", "pubdate", "timestamp", "time"),
}
TEXT_COLUMNS = ("headline", "body", "outlet", "url")
OPTIONAL_COLUMNS = ("outlet", "url", "published")
READ_FORMATS = ("jsonl", "json", "csv", "tsv", "parquet")
PROBLEM_SCHEMA = {
    "file": pl.String,
    "row": pl.UInt32,
    "id": pl.String,
    "field": pl.String,
    "value": pl.String,
    "reason": pl.String,
    "action": pl.String,
    "raw": pl.String,
}
OnError = Literal["abort", "reject"]

_SUFFIXES = {
    "jsonl": "jsonl",
    "ndjson": "jsonl",
    "json-lines": "jsonl",
    "json": "json",
    "csv": "csv",
    "tsv": "tsv",
    "tab": "tsv",
    "parquet": "parquet",
    "pq": "parquet",
}
_AS_LINES: dict[str, Any] = dict(
    has_header=False, quote_char=None, schema={"line": pl.String}, empty_string_is_null=False
)
_READ_ERRORS = (pl.exceptions.PolarsError, pl.exceptions.PanicException, OSError, ValueError)
_KEY = re.compile(r'"((?:[^"\\]|\\.)*)"\s*:')
_GLOB = re.compile(r"[*?\[]")
_POSITION = "__syndup_pos"


@dataclass(frozen=True)
class Reading:
    """What a read produced.

    Attributes:
        table: The standard table of the records kept (see :func:`read_corpus`).
        problems: One row per problem (:data:`PROBLEM_SCHEMA`): ``file, row, id, field,
            value, reason, action`` (``nulled``, ``salvaged`` or ``rejected``) and ``raw``
            (the record's text, for rejected records).
        records: Records in the input: ``table.height`` plus the rejected ones.
    """

    table: pl.DataFrame
    problems: pl.DataFrame
    records: int

    @property
    def rejected(self) -> pl.DataFrame:
        return self.problems.filter(pl.col("action") == "rejected")


@dataclass
class _Part:
    """One input parsed to strings/values, before standardising."""

    file: str
    df: pl.DataFrame
    rows: pl.Series
    problems: list[Problem] = field(default_factory=list)
    # JSONL: position -> {key: value} where a text key held a number/list/object/boolean
    clashes: dict[int, dict[str, Any]] = field(default_factory=dict)


def read_corpus(
    source: Any,
    *,
    format: str | None = None,
    columns: Mapping[str, str] | None = None,
    strict: bool = False,
    on_error: OnError = "abort",
    date_format: str | None = None,
    encoding: str | None = None,
) -> pl.DataFrame:
    """Read articles into the standard table.

    The table: ``id, headline, body, outlet, url, published`` (``published`` as
    ``Datetime(us, UTC)``), then ``row`` (1-based JSONL line, CSV data row, JSON array
    element, or Parquet/DataFrame row), then ``file`` when several inputs were read, then
    every other source column unchanged. Ids keep their type (integers stay integers) and
    their exact text. Problems are logged as one warning line; :func:`read_articles`
    returns them as a table.

    The whole input is held in memory once as bytes (needed for stdin, gzip and
    pinpointing errors); the readers then parse it in parallel. JSONL schemas are inferred
    from every line (about 1.5x slower than sampling, but a key first seen late is kept).

    Args:
        source: A path (.jsonl/.ndjson, .json holding an array of objects, .csv, .tsv,
            .parquet; .gz for the text formats), a glob pattern, a list of paths, ``"-"``
            for stdin, or a polars DataFrame/LazyFrame or pandas DataFrame.
        format: "jsonl", "json", "csv", "tsv" or "parquet"; overrides the file suffix
            (stdin defaults to jsonl).
        columns: Standard name -> source column, e.g. ``{"id": "doc_no"}``. Other standard
            columns are found by :data:`ALIASES`, case-insensitively, first alias wins.
        strict: Bad optional values are errors instead of nulls with a warning.
        on_error: "abort" (default): unreadable records raise, all listed; "reject": they
            are set aside (see :func:`read_articles`) and reading goes on.
        date_format: A strftime form for ``published`` tried before the built-in ones.
        encoding: Text encoding of the text formats (default UTF-8), e.g. "latin-1".

    Returns:
        The standard table. Source columns named like a standard column (or ``row``/``file``)
        but not used as one are kept with an ``_orig`` suffix; nothing is dropped.

    Raises:
        InputError: Unreadable input, naming file, 1-based row and field; ``.problems``
            lists every problem found.
    """
    reading = read_articles(
        source,
        format=format,
        columns=columns,
        strict=strict,
        on_error=on_error,
        date_format=date_format,
        encoding=encoding,
    )
    if reading.problems.height:
        counts = reading.problems.group_by("action").len().sort("action").iter_rows()
        log.warning(
            "input problems: %s (read_articles lists them)",
            ", ".join(f"{n:,} {action}" for action, n in counts),
        )
    return reading.table


def read_articles(
    source: Any,
    *,
    format: str | None = None,
    columns: Mapping[str, str] | None = None,
    strict: bool = False,
    on_error: OnError = "abort",
    date_format: str | None = None,
    encoding: str | None = None,
) -> Reading:
    """Like :func:`read_corpus`, but returns the table with its problems and record count."""
    if on_error not in ("abort", "reject"):
        raise ValueError(f"on_error must be 'abort' or 'reject', got {on_error!r}")
    if format is not None and format.lower() not in READ_FORMATS:
        raise InputError(f"unknown format {format!r}; use one of {', '.join(READ_FORMATS)}")
    parts = [_load(item, format, encoding, on_error) for item in _sources(source, format=format)]
    return _standardise(
        parts,
        columns,
        strict=strict,
        on_error=on_error,
        date_format=date_format,
        several=len(parts) > 1,
    )


# --- sources -------------------------------------------------------------------------------


def _sources(source: Any, *, format: str | None) -> list[Any]:
    """Normalise ``source`` to a list of paths/"-"/DataFrames, expanding globs."""
    if isinstance(source, (str, os.PathLike)):
        items: Sequence[Any] = [source]
    elif isinstance(source, (list, tuple)):
        items = source
        if not items:
            raise InputError("no input given (an empty list of sources)")
    else:
        return [_frame(source)]
    out: list[Any] = []
    for item in items:
        if not isinstance(item, (str, os.PathLike)):
            out.append(_frame(item))
            continue
        path = os.fspath(item)
        if path != "-" and not os.path.lexists(path) and _GLOB.search(path):
            found = sorted(glob.glob(path))
            if not found:
                raise InputError("no file matches this pattern", file=path)
            out.extend(found)
        else:
            out.append(path)
    return out


def _frame(source: Any) -> pl.DataFrame:
    """polars DataFrame/LazyFrame, pandas DataFrame or pyarrow Table as a polars DataFrame."""
    if isinstance(source, pl.DataFrame):
        return source
    if isinstance(source, pl.LazyFrame):
        try:
            return source.collect()
        except _READ_ERRORS as exc:
            raise InputError(f"cannot collect the LazyFrame: {_first_line(exc)}") from None
    module = type(source).__module__.split(".")[0]
    if module in ("pandas", "pyarrow"):
        try:
            out = pl.from_pandas(source) if module == "pandas" else pl.from_arrow(source)
        except (*_READ_ERRORS, TypeError) as exc:
            raise InputError(f"cannot convert the {module} table: {_first_line(exc)}") from None
        if isinstance(out, pl.DataFrame):
            return out
    kind = type(source).__name__
    raise InputError(
        f"source must be a path, a glob, a list of paths, '-' or a polars/pandas DataFrame; "
        f"got {kind}"
    )


def _load(item: Any, format: str | None, encoding: str | None, on_error: OnError) -> _Part:
    if isinstance(item, pl.DataFrame):
        file = "<dataframe>"
        df, rows = item, None
        if _is_standard(item):  # read before: keep its row numbers
            df, rows = item.drop("row"), item["row"]
        if df.height == 0:
            raise InputError("no articles (no data rows)", file=file)
        rows = rows if rows is not None else _counting(df.height)
        return _Part(file, df, rows)
    stdin = item == "-"
    file = "<stdin>" if stdin else item
    fmt = _resolve_format(file, format, stdin)
    data = _read_stdin(file) if stdin else _read_file(file)
    if fmt != "parquet":
        data = _decode(data, file, encoding)
    if not data or data.isspace():
        raise InputError("no articles (the input is empty)", file=file)
    if fmt == "parquet":
        try:
            df = pl.read_parquet(io.BytesIO(data))
        except _READ_ERRORS as exc:
            raise InputError(f"not a Parquet file ({_first_line(exc)})", file=file) from None
        part = _Part(file, df, _counting(df.height))
    elif fmt in ("csv", "tsv"):
        part = _parse_csv(data, file, "\t" if fmt == "tsv" else ",")
    elif fmt == "json" or (fmt == "jsonl" and data.lstrip()[:1] == b"["):
        part = _parse_json_array(data, file)
    else:
        part = _parse_jsonl(data, file)
    if part.df.height == 0 and not part.problems:
        raise InputError("no articles (no data rows)", file=file)
    return part


def _is_standard(df: pl.DataFrame) -> bool:
    """A table ``read_corpus`` returned: standard columns then ``row`` as UInt32."""
    return tuple(df.columns[:7]) == (*STANDARD_COLUMNS, "row") and df.schema["row"] == pl.UInt32


def _counting(n: int) -> pl.Series:
    return pl.int_range(1, n + 1, dtype=pl.UInt32, eager=True)


def _resolve_format(file: str, format: str | None, stdin: bool) -> str:
    if format is not None:
        return format.lower()
    if stdin:
        return "jsonl"
    suffix = os.path.splitext(file.lower().removesuffix(".gz"))[1][1:]
    if suffix not in _SUFFIXES:
        raise InputError(
            f"cannot tell the format from the file name; set format to one of "
            f"{', '.join(READ_FORMATS)}",
            file=file,
        )
    return _SUFFIXES[suffix]


def _read_stdin(file: str) -> bytes:
    buffer = getattr(sys.stdin, "buffer", None)
    return _unwrap(buffer.read() if buffer else sys.stdin.read().encode(), file)


def _read_file(file: str) -> bytes:
    try:
        with open(file, "rb") as fh:
            return _unwrap(fh.read(), file)
    except FileNotFoundError:
        raise InputError("file not found", file=file) from None
    except IsADirectoryError:
        raise InputError("is a directory, not a file", file=file) from None
    except OSError as exc:
        raise InputError(f"cannot read file: {exc.strerror or exc}", file=file) from None


def _unwrap(data: bytes, file: str) -> bytes:
    """Gunzip if the data starts with the gzip magic bytes."""
    if data[:2] == b"\x1f\x8b":
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError, zlib.error) as exc:
            raise InputError(f"corrupt gzip data ({exc})", file=file) from None
    return data


def _decode(data: bytes, file: str, encoding: str | None) -> bytes:
    """Re-encode text in another encoding as UTF-8; drop a UTF-8 byte-order mark."""
    if encoding and encoding.lower().replace("_", "-") not in ("utf-8", "utf8", "utf-8-sig"):
        try:
            data = data.decode(encoding).encode("utf-8")
        except LookupError:
            raise InputError(f"unknown encoding {encoding!r}", file=file) from None
        except UnicodeDecodeError as exc:
            row = data.count(b"\n", 0, exc.start) + 1
            message = f"not valid {encoding} (byte {data[exc.start]:#04x} at offset {exc.start})"
            raise InputError(message, file=file, row=row) from None
    return data[3:] if data[:3] == b"\xef\xbb\xbf" else data


# --- JSON Lines and JSON arrays ------------------------------------------------------------


def _parse_jsonl(data: bytes, file: str) -> _Part:
    try:
        df = pl.read_ndjson(data, infer_schema_length=None)
    except _READ_ERRORS:
        return _jsonl_slow(data, file)
    scan = _lines(data, df)
    if scan is None or scan.height != df.height:
        return _jsonl_slow(data, file)
    return _Part(file, df, scan["row"], clashes=_clashes(scan, df))


def _lines(data: bytes, df: pl.DataFrame) -> pl.DataFrame | None:
    """Per non-blank line (the reader skips blank lines): its 1-based number, and its text
    where a string-typed key is followed by a non-string value (polars turns a number on
    one line into text when the key holds text elsewhere; see :func:`_clashes`)."""
    keys = [k for k, t in df.schema.items() if t == pl.String]
    line = pl.col("line")
    pattern = "|".join(pl.escape_regex(json.dumps(k, ensure_ascii=False)) for k in keys)
    suspect = line.str.contains(f'(?:{pattern})\\s*:\\s*[^\\s"n]') if keys else pl.lit(False)
    try:  # \x1f never occurs raw in valid JSON, so each line is read as one field
        return (
            pl.scan_csv(io.BytesIO(data), separator="\x1f", **_AS_LINES)
            .with_row_index("row", offset=1)
            .filter(line.str.strip_chars(" \t\r") != "")
            .select(pl.col("row").cast(pl.UInt32), pl.when(suspect).then(line).alias("line"))
            .collect(engine="streaming")
        )
    except _READ_ERRORS:
        return None


def _clashes(scan: pl.DataFrame, df: pl.DataFrame) -> dict[int, dict[str, Any]]:
    """Flagged lines confirmed with ``json.loads`` (a nested key of the same name can match)."""
    keys = [k for k, t in df.schema.items() if t == pl.String]
    out: dict[int, dict[str, Any]] = {}
    flagged = scan.with_row_index("_pos").drop_nulls("line")
    for pos, _row, text in flagged.iter_rows():
        record = json.loads(text)
        bad = {k: record[k] for k in keys if record.get(k) is not None}
        bad = {k: v for k, v in bad.items() if not isinstance(v, str)}
        if bad:
            out[pos] = bad
    return out


def _jsonl_slow(data: bytes, file: str) -> _Part:
    """Line by line (error path): every bad line is a problem, the rest is read."""
    good: list[bytes] = []
    rows: list[int] = []
    problems: list[Problem] = []
    for number, line in enumerate(data.split(b"\n"), 1):
        if not line.strip(b" \t\r"):
            continue
        reason, field_ = _bad_json_line(line)
        if reason is None:
            good.append(line)
            rows.append(number)
        else:
            raw = line.decode("utf-8", "backslashreplace")
            problems.append(Problem(reason, file=file, row=number, field=field_, raw=raw))
    lines = b"\n".join(good)
    df = _records(lines, file) if good else pl.DataFrame()
    scan = _lines(lines, df) if good else None
    clashes = _clashes(scan, df) if scan is not None and scan.height == df.height else {}
    return _Part(file, df, pl.Series(rows, dtype=pl.UInt32), problems, clashes)


def _bad_json_line(line: bytes) -> tuple[str | None, str | None]:
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError as exc:
        key = _last_key(line[: exc.start].decode("utf-8", "replace"))
        return f"not valid UTF-8 (byte {line[exc.start]:#04x}); see encoding", key
    try:
        record = json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        return f"invalid JSON: {exc.msg} (column {exc.colno})", _last_key(text[: exc.pos])
    except ValueError as exc:
        return f"invalid JSON: {exc}", None
    except RecursionError:
        return "invalid JSON: nested too deeply", None
    if not isinstance(record, dict):
        return f"expected a JSON object, got {_py_kind(record)}", None
    return None, None


def _records(lines: bytes, file: str) -> pl.DataFrame:
    try:
        return pl.read_ndjson(lines, infer_schema_length=None)
    except _READ_ERRORS as exc:  # every line is valid JSON: a type polars cannot hold
        raise InputError(f"cannot read the JSON records: {_first_line(exc)}", file=file) from None


def _parse_json_array(data: bytes, file: str) -> _Part:
    """A JSON document holding an array of objects; row = 1-based element number."""
    try:
        doc = json.loads(data, parse_constant=_reject_constant)
    except UnicodeDecodeError as exc:
        raise InputError(
            f"not valid UTF-8 (byte offset {exc.start}); see encoding", file=file
        ) from None
    except json.JSONDecodeError as exc:
        message = f"invalid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})"
        raise InputError(message, file=file) from None
    except (ValueError, RecursionError) as exc:
        raise InputError(f"invalid JSON: {exc}", file=file) from None
    if not isinstance(doc, list):
        raise InputError(f"expected a JSON array of objects, got {_py_kind(doc)}", file=file)
    problems, good, rows = [], [], []
    for number, item in enumerate(doc, 1):
        if isinstance(item, dict):
            good.append(json.dumps(item, ensure_ascii=False))
            rows.append(number)
        else:
            reason = f"expected a JSON object, got {_py_kind(item)}"
            problems.append(Problem(reason, file=file, row=number, raw=json.dumps(item)[:1000]))
    df = _records("\n".join(good).encode("utf-8"), file) if good else pl.DataFrame()
    return _Part(file, df, pl.Series(rows, dtype=pl.UInt32), problems)


# --- CSV / TSV -----------------------------------------------------------------------------


def _parse_csv(data: bytes, file: str, sep: str) -> _Part:
    """CSV/TSV as strings. Fast path pyarrow (it rejects rows with too few fields, unlike
    polars); any failure falls back to Python's csv module, which finds every bad row."""
    end = data.find(b"\n")
    try:
        header = data[: end if end >= 0 else len(data)].decode("utf-8").rstrip("\r")
        names = next(csv.reader([header], delimiter=sep))
    except (UnicodeDecodeError, csv.Error, StopIteration):
        raise InputError("cannot parse the header line (see encoding)", file=file) from None
    dupes = [n for n in names if names.count(n) > 1]
    if dupes:
        raise InputError("duplicate column name in the header", file=file, field=dupes[0])
    if end < 0 or not data[end + 1 :].strip():
        raise InputError("no articles (only a header line)", file=file)
    df = _csv_fast(data, names, sep) if data.count(b'"') % 2 == 0 else None
    return _Part(file, df, _counting(df.height)) if df is not None else _csv_slow(data, file, sep)


def _csv_fast(data: bytes, names: list[str], sep: str) -> pl.DataFrame | None:
    import pyarrow as pa
    import pyarrow.csv as pacsv

    try:
        table = pacsv.read_csv(
            io.BytesIO(data),
            read_options=pacsv.ReadOptions(
                column_names=names, skip_rows=1, block_size=8 << 20, use_threads=False
            ),
            parse_options=pacsv.ParseOptions(delimiter=sep, newlines_in_values=True),
            convert_options=pacsv.ConvertOptions(
                column_types=dict.fromkeys(names, pa.string()),
                strings_can_be_null=True,
                quoted_strings_can_be_null=True,
                null_values=[""],
            ),
        )
    except (pa.ArrowException, ValueError, OSError):
        return None
    df = pl.from_arrow(table)
    return df if isinstance(df, pl.DataFrame) else None


def _csv_slow(data: bytes, file: str, sep: str) -> _Part:
    """Every record checked (error path): ragged rows and undecodable bytes are problems."""
    text = data.decode("utf-8", "surrogateescape")
    limit = csv.field_size_limit()
    csv.field_size_limit(2**31 - 1)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sep, strict=True)
    header = next(reader)
    columns: list[list[str | None]] = [[] for _ in header]
    rows: list[int] = []
    problems: list[Problem] = []
    row = 0
    try:
        while True:
            start = reader.line_num + 1
            try:
                record = next(reader)
            except StopIteration:
                break
            except csv.Error as exc:
                message = f"cannot parse CSV: {exc} (file line {start})"
                if "unexpected end of data" in str(exc) or "EOF" in str(exc):
                    message = (
                        f"cannot parse CSV: unterminated quoted field from file line {start}: "
                        "the rest of the file would be inside it"
                    )
                raise InputError(message, file=file, row=row + 1) from None
            if not record:
                continue  # blank line
            row += 1
            raw = sep.join(record)
            bad = next((i for i, v in enumerate(record) if _has_surrogate(v)), None)
            if len(record) != len(header):
                missing = header[len(record)] if len(record) < len(header) else None
                reason = f"ragged row: {len(record)} fields but the header has {len(header)}"
                problems.append(Problem(reason, file=file, row=row, field=missing, raw=_esc(raw)))
            elif bad is not None:
                byte = record[bad].encode("utf-8", "surrogateescape")
                where = next(i for i, c in enumerate(record[bad]) if _has_surrogate(c))
                offset = len(record[bad][:where].encode("utf-8", "surrogateescape"))
                reason = f"not valid UTF-8 (byte {byte[offset]:#04x}); see encoding"
                problems.append(
                    Problem(reason, file=file, row=row, field=header[bad], raw=_esc(raw))
                )
            else:
                rows.append(row)
                for col, value in zip(columns, record):
                    col.append(value if value != "" else None)
    finally:
        csv.field_size_limit(limit)
    df = pl.DataFrame({n: pl.Series(c, dtype=pl.String) for n, c in zip(header, columns)})
    return _Part(file, df, pl.Series(rows, dtype=pl.UInt32), problems)


def _has_surrogate(text: str) -> bool:
    return any("\udc80" <= c <= "\udcff" for c in text)


def _esc(text: str) -> str:
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


# --- the standard table --------------------------------------------------------------------


def _standardise(
    parts: list[_Part],
    columns: Mapping[str, str] | None,
    *,
    strict: bool,
    on_error: OnError,
    date_format: str | None,
    several: bool,
) -> Reading:
    problems = [p for part in parts for p in part.problems]
    frames, id_names = [], {}
    for part in parts:
        mapping = _map_columns(part.df.columns, columns, part.file)
        id_names[part.file] = mapping["id"]
        frames.append(_columns(part, mapping, problems, date_format=date_format))
    try:
        table = pl.concat(frames, how="diagonal_relaxed") if several else frames[0]
    except _READ_ERRORS as exc:
        raise InputError(f"the inputs' columns do not fit together: {_first_line(exc)}") from None
    table = _check_ids(table, problems, id_names)
    if strict:
        problems = [p if p.action == "rejected" else p.as_rejected("strict") for p in problems]
    rejected = [p for p in problems if p.action == "rejected"]
    if rejected and on_error == "abort":
        rejected.sort(key=lambda p: (p.file or "", p.row or 0))
        raise InputError.from_problems(rejected)
    drop = {(p.file, p.row) for p in rejected}
    if drop:
        keys = list(zip(table["_file"].to_list(), table["row"].to_list()))
        gone = pl.Series([k in drop for k in keys])
        raw = _raw_records(table.filter(gone))
        problems = [
            replace(p, raw=raw.get((p.file, p.row)))
            if p.raw is None and p.action == "rejected"
            else p
            for p in problems
        ]
        rejected = [p for p in problems if p.action == "rejected"]
        # the other notes of a rejected row no longer apply
        problems = [p for p in problems if p.action == "rejected" or (p.file, p.row) not in drop]
        table = table.filter(~gone)
    rows_in = table.height + len(rejected)
    keep_file = ["_file"] if several else []
    table = table.select(
        *STANDARD_COLUMNS,
        "row",
        *[pl.col("_file").alias("file") for _ in keep_file],
        pl.exclude(*STANDARD_COLUMNS, "row", "_file"),
    )
    frame = pl.DataFrame([p.as_dict() for p in problems], schema=PROBLEM_SCHEMA)
    frame = frame.sort(["file", "row"], nulls_last=True)
    return Reading(table, frame, rows_in)


def _raw_records(rows: pl.DataFrame) -> dict[tuple[str, int], str]:
    """Rejected rows as JSON text, keyed by (file, row)."""
    if rows.height == 0:
        return {}
    from syndup.io.write import text_ready

    body = text_ready(rows.drop("_file", "row"), csv_out=False)
    lines = body.write_ndjson().splitlines()
    return dict(zip(zip(rows["_file"].to_list(), rows["row"].to_list()), lines))


def _columns(
    part: _Part, mapping: dict[str, str], problems: list[Problem], *, date_format: str | None
) -> pl.DataFrame:
    """Standard columns of one input (bad optional values nulled and noted)."""
    df, file, rows = part.df, part.file, part.rows
    if part.df.height == 0:
        schema = {"id": pl.String, **dict.fromkeys(STANDARD_COLUMNS[1:5], pl.String)}
        empty = pl.DataFrame(schema={**schema, "published": UTC, "row": pl.UInt32})
        return empty.with_columns(pl.lit(file).alias("_file"))
    ids = df[mapping["id"]]
    out: dict[str, pl.Series] = {"id": _id_column(ids, mapping["id"], rows, file, problems)}
    for std in STANDARD_COLUMNS[1:]:
        name = mapping.get(std)
        if name is None:
            dtype = UTC if std == "published" else pl.String
            out[std] = pl.repeat(None, df.height, dtype=dtype, eager=True)
        elif std == "published":
            out[std] = _published(df[name], name, rows, out["id"], file, problems, date_format)
        else:
            out[std] = _text(df[name], name, std, rows, out["id"], file, problems, part)
    extras = df.select(c for c in df.columns if c not in mapping.values())
    renames, reserved = {}, {*STANDARD_COLUMNS, "row", "file", "_file"}
    for c in extras.columns:
        renames[c] = c
        while renames[c] in reserved or (renames[c] != c and renames[c] in df.columns):
            renames[c] += "_orig"
    standard = [s.alias(std) for std, s in out.items()]
    return (
        pl.DataFrame([*standard, rows.alias("row")])
        .with_columns(pl.lit(file).alias("_file"))
        .hstack(extras.rename(renames))
    )


def _id_column(
    ids: pl.Series, name: str, rows: pl.Series, file: str, problems: list[Problem]
) -> pl.Series:
    """Ids as given: strings, or integers (kept as Int64). Missing/empty ids are problems."""
    if ids.dtype.is_integer():
        ids = ids.cast(pl.Int64)
        text = ids.cast(pl.String)
    elif ids.dtype in (pl.String, pl.Null) or isinstance(ids.dtype, (pl.Categorical, pl.Enum)):
        ids = text = ids.cast(pl.String)
    elif ids.dtype.is_float() and bool(((ids % 1) == 0).fill_null(True).all()):
        ids = ids.cast(pl.Int64)
        text = ids.cast(pl.String)
    else:
        kind = _dtype_kind(ids.dtype)
        for i in range(len(ids)):
            reason = f"expected a string or integer id, got {kind}"
            problems.append(Problem(reason, file=file, row=rows[i], field=name))
        return pl.repeat(None, len(ids), dtype=pl.String, eager=True)
    empty = text.is_null() | (text.str.strip_chars() == "")
    for i in empty.arg_true().to_list():
        problems.append(Problem("missing or empty id", file=file, row=rows[i], field=name))
    return ids


def _check_ids(
    table: pl.DataFrame, problems: list[Problem], id_names: dict[str, str]
) -> pl.DataFrame:
    """Duplicate ids are problems: the first occurrence is kept."""
    text = table["id"].cast(pl.String)
    repeated = (~text.is_first_distinct()) & (text.str.strip_chars().fill_null("") != "")
    if repeated.any():
        first = table.select(text.alias("k"), "_file", "row").unique(
            "k", keep="first", maintain_order=True
        )
        where = {k: (f, r) for k, f, r in first.iter_rows()}
        files, rows = table["_file"], table["row"]
        for i in repeated.arg_true().to_list():
            f0, r0 = where[text[i]]
            at = f"row {r0}" if f0 == files[i] else f"{f0}:{r0}"
            reason = f"duplicate id {text[i]!r} (first at {at})"
            problems.append(
                Problem(reason, file=files[i], row=rows[i], field=id_names[files[i]], id=text[i])
            )
    return table


def _text(
    s: pl.Series,
    name: str,
    std: str,
    rows: pl.Series,
    ids: pl.Series,
    file: str,
    problems: list[Problem],
    part: _Part,
) -> pl.Series:
    """A text column; non-text values are problems (nulled when optional)."""
    action = "nulled" if std in OPTIONAL_COLUMNS else "rejected"
    if s.dtype in (pl.String, pl.Null) or isinstance(s.dtype, (pl.Categorical, pl.Enum)):
        s = s.cast(pl.String)
        bad = sorted(pos for pos, keys in part.clashes.items() if name in keys)
        for pos in bad:
            value = part.clashes[pos][name]
            problems.append(
                Problem(
                    f"expected a string, got {_py_kind(value)}",
                    file=file,
                    row=rows[pos],
                    field=name,
                    value=_show(value),
                    id=_show(ids[pos]),
                    action=action,
                )
            )
        if bad:
            mask = pl.Series([False] * len(s)).scatter(bad, True)
            s = pl.select(pl.when(pl.lit(mask)).then(None).otherwise(pl.lit(s))).to_series()
        return s
    kind = _dtype_kind(s.dtype)
    present = s.is_not_null()
    for i in present.arg_true().to_list():
        problems.append(
            Problem(
                f"expected a string, got {kind}",
                file=file,
                row=rows[i],
                field=name,
                value=_show(s[i]),
                id=_show(ids[i]),
                action=action,
            )
        )
    return pl.repeat(None, len(s), dtype=pl.String, eager=True)


def _published(
    s: pl.Series,
    name: str,
    rows: pl.Series,
    ids: pl.Series,
    file: str,
    problems: list[Problem],
    date_format: str | None,
) -> pl.Series:
    if not (s.dtype.is_temporal() or s.dtype.is_numeric() or s.dtype in (pl.String, pl.Null)):
        kind = _dtype_kind(s.dtype)
        for i in s.is_not_null().arg_true().to_list():
            reason = f"expected a date, got {kind}"
            problems.append(
                Problem(
                    reason,
                    file=file,
                    row=rows[i],
                    field=name,
                    id=_show(ids[i]),
                    value=_show(s[i]),
                    action="nulled",
                )
            )
        return pl.repeat(None, len(s), dtype=UTC, eager=True)
    parsed, note = parse_dates(s, date_format=date_format)
    for i in note.is_not_null().arg_true().to_list():
        action = "salvaged" if parsed[i] is not None else "nulled"
        problems.append(
            Problem(
                note[i],
                file=file,
                row=rows[i],
                field=name,
                id=_show(ids[i]),
                value=_show(s[i]),
                action=action,
            )
        )
    return parsed


def _map_columns(found: list[str], columns: Mapping[str, str] | None, file: str) -> dict[str, str]:
    listed = ", ".join(found) or "none"
    mapping: dict[str, str] = {}
    for std, name in (columns or {}).items():
        if std not in STANDARD_COLUMNS:
            raise InputError(
                f"columns={{{std!r}: ...}}: {std!r} is not one of {', '.join(STANDARD_COLUMNS)}",
                file=file,
                field=name,
            )
        matches = [c for c in found if c == name] or [c for c in found if c.lower() == name.lower()]
        if not matches:
            message = f"column given for {std} not found; columns found: {listed}"
            raise InputError(message, file=file, field=name)
        mapping[std] = matches[0]
    for std in STANDARD_COLUMNS:
        for alias in ALIASES[std] if std not in mapping else ():
            matches = [c for c in found if c.lower() == alias and c not in mapping.values()]
            if matches:
                mapping[std] = alias if alias in matches else matches[0]
                break
    if "id" not in mapping:
        looked = ", ".join(ALIASES["id"])
        message = (
            f"no id column (looked for {looked}); columns found: {listed}; "
            'name it with columns={"id": ...}'
        )
        raise InputError(message, file=file, field="id")
    return mapping


def _dtype_kind(dtype: pl.DataType) -> str:
    if dtype == pl.Boolean:
        return "a boolean"
    if isinstance(dtype, (pl.List, pl.Array)):
        return "a list"
    if isinstance(dtype, pl.Struct):
        return "an object"
    return "a number" if dtype.is_numeric() else f"type {dtype}"


def _py_kind(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    kinds = {int: "a number", float: "a number", list: "a list", dict: "an object", str: "a string"}
    return kinds.get(type(value), "null" if value is None else type(value).__name__)


def _show(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, pl.Series):
        value = value.to_list()
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    return text if len(text) <= 200 else text[:199] + "…"


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON value")


def _last_key(text: str) -> str | None:
    keys = _KEY.findall(text)
    return keys[-1] if keys else None


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]
