"""Parse the text and binary formats into string/value tables, finding every bad record.

Fast paths are vectorised (polars for JSON Lines and Parquet, pyarrow for CSV/TSV); when
they fail, Python goes through the input record by record so that *every* bad record is
reported (and can be set aside), not just the first. Row numbers: 1-based JSONL line, CSV
data row, JSON array element.
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from syndup.errors import InputError, Problem

READ_ERRORS = (pl.exceptions.PolarsError, pl.exceptions.PanicException, OSError, ValueError)


_KEY = re.compile(r'"((?:[^"\\]|\\.)*)"\s*:')


_AS_LINES: dict[str, Any] = dict(
    has_header=False, quote_char=None, schema={"line": pl.String}, empty_string_is_null=False
)


@dataclass
class Part:
    """One input parsed to strings/values, before standardising."""

    file: str
    df: pl.DataFrame
    rows: pl.Series
    problems: list[Problem] = field(default_factory=list)
    # JSONL: position -> {key: value} where a text key held a number/list/object/boolean
    clashes: dict[int, dict[str, Any]] = field(default_factory=dict)


def counting(n: int) -> pl.Series:
    return pl.int_range(1, n + 1, dtype=pl.UInt32, eager=True)


def parse_jsonl(data: bytes, file: str) -> Part:
    try:
        df = pl.read_ndjson(data, infer_schema_length=None)
    except READ_ERRORS:
        return _jsonl_slow(data, file)
    scan = _lines(data, df)
    if scan is None or scan.height != df.height:
        return _jsonl_slow(data, file)
    return Part(file, df, scan["row"], clashes=_clashes(scan, df))


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
    except READ_ERRORS:
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


def _jsonl_slow(data: bytes, file: str) -> Part:
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
    return Part(file, df, pl.Series(rows, dtype=pl.UInt32), problems, clashes)


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
        return f"expected a JSON object, got {py_kind(record)}", None
    return None, None


def _records(lines: bytes, file: str) -> pl.DataFrame:
    try:
        return pl.read_ndjson(lines, infer_schema_length=None)
    except READ_ERRORS as exc:  # every line is valid JSON: a type polars cannot hold
        raise InputError(f"cannot read the JSON records: {first_line(exc)}", file=file) from None


def parse_json_array(data: bytes, file: str) -> Part:
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
        raise InputError(f"expected a JSON array of objects, got {py_kind(doc)}", file=file)
    problems, good, rows = [], [], []
    for number, item in enumerate(doc, 1):
        if isinstance(item, dict):
            good.append(json.dumps(item, ensure_ascii=False))
            rows.append(number)
        else:
            reason = f"expected a JSON object, got {py_kind(item)}"
            problems.append(Problem(reason, file=file, row=number, raw=json.dumps(item)[:1000]))
    df = _records("\n".join(good).encode("utf-8"), file) if good else pl.DataFrame()
    return Part(file, df, pl.Series(rows, dtype=pl.UInt32), problems)


def parse_csv(data: bytes, file: str, sep: str) -> Part:
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
    return Part(file, df, counting(df.height)) if df is not None else _csv_slow(data, file, sep)


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


def _csv_slow(data: bytes, file: str, sep: str) -> Part:
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
    return Part(file, df, pl.Series(rows, dtype=pl.UInt32), problems)


def _has_surrogate(text: str) -> bool:
    return any("\udc80" <= c <= "\udcff" for c in text)


def _esc(text: str) -> str:
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def py_kind(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    kinds = {int: "a number", float: "a number", list: "a list", dict: "an object", str: "a string"}
    return kinds.get(type(value), "null" if value is None else type(value).__name__)


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON value")


def _last_key(text: str) -> str | None:
    keys = _KEY.findall(text)
    return keys[-1] if keys else None


def first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]
