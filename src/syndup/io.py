"""Read and write article corpora: JSONL, CSV/TSV and Parquet (JSONL/CSV optionally gzipped).

``read_corpus`` returns the *standard table*: ``id, headline, body, outlet, url, published``,
then ``row`` (1-based JSONL line, CSV data row, or Parquet/DataFrame row), then every other
source column unchanged. Bad input raises :class:`~syndup.errors.InputError` naming the file,
row and field. The happy path is vectorised (polars readers and expressions, pyarrow for CSV);
per-line Python code runs only on the error path, or on the few JSONL lines a regex flags.
"""

from __future__ import annotations

import contextlib
import csv
import functools
import gzip
import io
import json
import os
import re
import sys
import tempfile
import zlib
from collections.abc import Callable, Mapping
from typing import IO, Any

import polars as pl

from syndup.errors import InputError

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
WRITE_FORMATS = ("jsonl", "csv", "parquet", "json")
UTC = pl.Datetime("us", "UTC")

_FORMATS = {"jsonl": "jsonl", "ndjson": "jsonl", "csv": "csv", "tsv": "csv", "parquet": "parquet"}
_SUFFIXES = {**_FORMATS, "json-lines": "jsonl", "pq": "parquet"}
# Tried in order, first match wins; values without an offset are taken as UTC.
_DATE_FORMATS = (
    "%Y-%m-%dT%H:%M:%S%.f%z",
    "%Y-%m-%d %H:%M:%S%.f%z",
    "%Y-%m-%dT%H:%M:%S%.fZ",
    "%Y-%m-%dT%H:%M:%S%.f",
    "%Y-%m-%d %H:%M:%S%.f",
    "%Y-%m-%dT%H:%M",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%d",
    "%Y/%m/%d",
    "%d-%b-%Y %H:%M:%S%.f",  # Reuters-21578: 26-FEB-1987 15:01:01.79
    "%a, %d %b %Y %H:%M:%S %z",  # RFC 2822 (RSS)
)
_KEY = re.compile(r'"((?:[^"\\]|\\.)*)"\s*:')
_AS_LINES: dict[str, Any] = dict(
    has_header=False, quote_char=None, schema={"line": pl.String}, empty_string_is_null=False
)
_READ_ERRORS = (pl.exceptions.PolarsError, pl.exceptions.PanicException, OSError, ValueError)


def read_corpus(
    source: str | os.PathLike[str] | pl.DataFrame,
    *,
    format: str | None = None,
    columns: Mapping[str, str] | None = None,
) -> pl.DataFrame:
    """Read articles into the standard table (see module docstring).

    The whole input is held in memory once as bytes (needed for stdin, gzip and pinpointing
    errors); the readers then parse it in parallel. JSONL schemas are inferred from every
    line (about 1.5x slower than sampling, but a key first seen late is never dropped).

    Args:
        source: A path (.jsonl/.ndjson/.json-lines, .csv/.tsv, .parquet/.pq; .gz for the text
            formats), ``"-"`` for JSONL on stdin, or an already-loaded DataFrame.
        format: "jsonl", "csv", "tsv" or "parquet"; overrides the file suffix.
        columns: Standard name -> source column, e.g. ``{"id": "doc_no"}``. Other standard
            columns are found by :data:`ALIASES`, case-insensitively, first alias wins.

    Returns:
        The standard table. Source columns named like a standard column (or ``row``) but not
        used as one are kept with an ``_orig`` suffix; nothing is dropped.

    Raises:
        InputError: Any bad input, naming file, 1-based row and field where known.
    """
    if isinstance(source, pl.DataFrame):
        file, df, raw = "<dataframe>", source, None
    else:
        stdin = isinstance(source, str) and source == "-"
        file = "<stdin>" if stdin else os.fspath(source)
        fmt, sep = _resolve_format(file, format, stdin)
        if stdin:
            buffer = getattr(sys.stdin, "buffer", None)
            data = _unwrap(buffer.read() if buffer else sys.stdin.read().encode(), file)
        else:
            data = _read_file(file)
        if not data or data.isspace():
            raise InputError("no articles (the input is empty)", file=file)
        raw = data if fmt == "jsonl" else None
        if fmt == "parquet":
            try:
                df = pl.read_parquet(io.BytesIO(data))
            except _READ_ERRORS as exc:
                raise InputError(f"not a Parquet file ({_first_line(exc)})", file=file) from None
        else:
            df = _parse_csv(data, file, sep) if fmt == "csv" else _parse_jsonl(data, file)
    if df.height == 0:
        raise InputError("no articles (no data rows)", file=file)
    mapping = _map_columns(df.columns, columns, file)
    rows = pl.int_range(1, df.height + 1, dtype=pl.UInt32, eager=True)
    rows = rows if raw is None else _jsonl_rows(raw, df, mapping, file)
    return _standardise(df, mapping, rows.alias("row"), file)


def write_table(df: pl.DataFrame, path: str | os.PathLike[str] | None, *, format: str) -> None:
    """Write a table atomically as jsonl, csv, parquet or json (one array of objects).

    Datetimes become ISO 8601 strings in the text formats. In csv, lists of scalars become
    ``a|b`` (readable, but ambiguous if an item contains ``|``) and other nested values JSON
    text. A path ending in .gz gzips jsonl/csv. Output goes to a temporary file in the target's
    directory, is fsynced and renamed over the target, so no reader ever sees a half-written
    file; the cost is briefly needing disk space for both copies.

    Args:
        df: The table.
        path: Target file; None or "-" writes to stdout (not atomic).
        format: One of :data:`WRITE_FORMATS`.

    Raises:
        ValueError: Unknown format. Writer and OS errors propagate after the cleanup.
    """
    fmt = format.lower()
    if fmt not in WRITE_FORMATS:
        raise ValueError(f"unknown output format {format!r}; use one of {', '.join(WRITE_FORMATS)}")
    out = df if fmt == "parquet" else _text_ready(df, csv_out=fmt == "csv")
    target = None if path is None or os.fspath(path) == "-" else os.fspath(path)
    zipped = "gzip" if target and fmt != "json" and target.lower().endswith(".gz") else None
    writers: dict[str, Callable[[IO[bytes]], Any]] = {
        "jsonl": lambda fh: out.write_ndjson(fh, compression=zipped or "uncompressed"),
        "csv": lambda fh: out.write_csv(fh, compression=zipped or "uncompressed"),
        "json": lambda fh: out.write_json(fh),
        "parquet": lambda fh: out.write_parquet(fh),
    }
    if target is not None:
        _atomic_write(target, writers[fmt])
        return
    buf = io.BytesIO()
    writers[fmt](buf)
    if fmt == "parquet":
        sys.stdout.buffer.write(buf.getvalue())
    else:
        sys.stdout.write(buf.getvalue().decode("utf-8"))
    sys.stdout.flush()


# --- reading -----------------------------------------------------------------------------


def _resolve_format(file: str, format: str | None, stdin: bool) -> tuple[str, str]:
    suffix = os.path.splitext(file.lower().removesuffix(".gz"))[1][1:]
    fmt = _FORMATS.get((format or "").lower()) or ("jsonl" if stdin else _SUFFIXES.get(suffix))
    if format is not None and format.lower() not in _FORMATS:
        raise InputError(f"unknown format {format!r}; use jsonl, csv, tsv or parquet", file=file)
    if fmt is None:
        raise InputError("cannot tell the format from the file name; use --input-format", file=file)
    tab = (format or "").lower() == "tsv" or (fmt == "csv" and suffix == "tsv")
    return fmt, "\t" if tab else ","


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
    """Gunzip if the data starts with the gzip magic bytes; drop a UTF-8 byte-order mark."""
    if data[:2] == b"\x1f\x8b":
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError, zlib.error) as exc:
            raise InputError(f"corrupt gzip data ({exc})", file=file) from None
    return data[3:] if data[:3] == b"\xef\xbb\xbf" else data


def _parse_jsonl(data: bytes, file: str) -> pl.DataFrame:
    try:
        return pl.read_ndjson(data, infer_schema_length=None)
    except _READ_ERRORS as exc:
        _diagnose_jsonl(data, file)
        raise InputError(f"cannot read JSONL: {_first_line(exc)}", file=file) from None


def _jsonl_rows(data: bytes, df: pl.DataFrame, mapping: dict[str, str], file: str) -> pl.Series:
    """Line numbers of the records (the reader skips blank lines), checking text types.

    polars coerces a key holding a string on one line and a number or list on another to
    String, so lines where a mapped text key is followed by a non-string are flagged by a
    regex here and confirmed with ``json.loads`` (nested keys of the same name can match).
    """
    keys = [mapping[c] for c in TEXT_COLUMNS if c in mapping and df.schema[mapping[c]] == pl.String]
    line = pl.col("line")
    pattern = "|".join(pl.escape_regex(json.dumps(k, ensure_ascii=False)) for k in keys)
    suspect = line.str.contains(f'(?:{pattern})\\s*:\\s*[^\\s"n]') if keys else pl.lit(False)
    try:  # \x1f never occurs raw in valid JSON, so each line is read as one field
        scan = (
            pl.scan_csv(io.BytesIO(data), separator="\x1f", **_AS_LINES)
            .with_row_index("row", offset=1)
            .filter(line.str.strip_chars(" \t\r") != "")
            .select(pl.col("row").cast(pl.UInt32), pl.when(suspect).then(line).alias("line"))
            .collect(engine="streaming")
        )
    except _READ_ERRORS:
        scan = None
    if scan is None or scan.height != df.height:
        _diagnose_jsonl(data, file)
        raise InputError("cannot match JSON records to lines", file=file)
    for row, text in scan.drop_nulls("line").iter_rows():
        record = json.loads(text)
        for key in keys:
            if record.get(key) is not None and not isinstance(record[key], str):
                kind = _py_kind(record[key])
                raise InputError(f"expected a string, got {kind}", file=file, row=row, field=key)
    return scan["row"]


def _diagnose_jsonl(data: bytes, file: str) -> None:
    """Raise an InputError for the first bad line, if Python finds one (error path only)."""
    err = functools.partial(InputError, file=file)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        row, start = data.count(b"\n", 0, exc.start) + 1, data.rfind(b"\n", 0, exc.start) + 1
        field = _last_key(data[start : exc.start].decode("utf-8"))
        raise err(_bad_utf8(data, exc), row=row, field=field) from None
    for number, line in enumerate(text.split("\n"), 1):
        if not line.strip(" \t\r"):
            continue
        try:
            record = json.loads(line, parse_constant=_reject_constant)
        except json.JSONDecodeError as exc:
            field = _last_key(line[: exc.pos])
            raise err(
                f"invalid JSON: {exc.msg} (column {exc.colno})", row=number, field=field
            ) from None
        except ValueError as exc:
            raise err(f"invalid JSON: {exc}", row=number) from None
        if not isinstance(record, dict):
            raise err(f"expected a JSON object, got {_py_kind(record)}", row=number)


def _parse_csv(data: bytes, file: str, sep: str) -> pl.DataFrame:
    """Read CSV/TSV as strings with pyarrow: unlike polars it rejects rows with few fields."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    end = data.find(b"\n")
    try:
        header = data[: end if end >= 0 else len(data)].decode("utf-8").rstrip("\r")
        names = next(csv.reader([header], delimiter=sep))
    except (UnicodeDecodeError, csv.Error):
        _diagnose_csv(data, file, sep)
        raise InputError("cannot parse the header line", file=file) from None
    dupes = [n for n in names if names.count(n) > 1]
    if dupes:
        raise InputError("duplicate column name in the header", file=file, field=dupes[0])
    try:
        table = pacsv.read_csv(
            io.BytesIO(data),
            read_options=pacsv.ReadOptions(column_names=names, skip_rows=1, block_size=8 << 20),
            parse_options=pacsv.ParseOptions(delimiter=sep, newlines_in_values=True),
            convert_options=pacsv.ConvertOptions(
                column_types=dict.fromkeys(names, pa.string()),
                strings_can_be_null=True,
                quoted_strings_can_be_null=True,
                null_values=[""],
            ),
        )
    except (pa.ArrowException, ValueError, OSError) as exc:
        _diagnose_csv(data, file, sep)
        raise InputError(f"cannot parse CSV: {_first_line(exc)}", file=file) from None
    if data.count(b'"') % 2:  # an unterminated quote would swallow the rest of the file
        _diagnose_csv(data, file, sep)
    df = pl.from_arrow(table)
    assert isinstance(df, pl.DataFrame)
    return df


def _diagnose_csv(data: bytes, file: str, sep: str) -> None:
    """Raise an InputError for the first bad CSV row, if Python finds one (error path only)."""
    err = functools.partial(InputError, file=file)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:  # parse up to the bad byte; "x" marks where it was
        prefix = io.StringIO(data[: exc.start].decode("utf-8") + "x", newline="")
        records = [r for r in csv.reader(prefix, delimiter=sep) if r]
        row, last = len(records) - 1, records[-1]
        field = records[0][len(last) - 1] if len(last) <= len(records[0]) else None
        raise err(_bad_utf8(data, exc), row=row or None, field=field) from None
    limit, row = csv.field_size_limit(), 0
    csv.field_size_limit(2**31 - 1)
    try:
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=sep, strict=True)
        header = next(reader, [])
        for record in filter(None, reader):  # blank lines are skipped by the reader too
            row += 1
            if len(record) != len(header):
                missing = header[len(record)] if len(record) < len(header) else None
                message = f"ragged row: {len(record)} fields but the header has {len(header)}"
                raise err(message, row=row, field=missing)
    except csv.Error as exc:
        raise err(f"cannot parse CSV: {exc}", row=row + 1) from None
    finally:
        csv.field_size_limit(limit)


def _map_columns(found: list[str], columns: Mapping[str, str] | None, file: str) -> dict[str, str]:
    err, listed = functools.partial(InputError, file=file), ", ".join(found)
    mapping: dict[str, str] = {}
    for std, name in (columns or {}).items():
        if std not in STANDARD_COLUMNS:
            raise err(f"cannot map {std!r}: not one of {', '.join(STANDARD_COLUMNS)}", field=name)
        matches = [c for c in found if c == name] or [c for c in found if c.lower() == name.lower()]
        if not matches:
            raise err(f"column given for {std} not found; columns found: {listed}", field=name)
        mapping[std] = matches[0]
    for std in STANDARD_COLUMNS:
        for alias in ALIASES[std] if std not in mapping else ():
            matches = [c for c in found if c.lower() == alias and c not in mapping.values()]
            if matches:
                mapping[std] = alias if alias in matches else matches[0]
                break
    if "id" not in mapping:
        looked = ", ".join(ALIASES["id"])
        message = f"no id column (looked for {looked}); columns found: {listed}; use --id-col"
        raise err(message, field="id")
    return mapping


def _standardise(
    df: pl.DataFrame, mapping: dict[str, str], rows: pl.Series, file: str
) -> pl.DataFrame:
    id_col, n = mapping["id"], df.height
    err = functools.partial(InputError, file=file, field=id_col)
    source = df[id_col].cast(pl.String) if df[id_col].dtype.is_numeric() else df[id_col]
    ids = _as_string(source, id_col, "a string or integer", rows, file).str.strip_chars()
    empty = ids.is_null() | (ids == "")
    if empty.any():
        raise err("missing or empty id", row=rows[int(empty.arg_max())])
    repeated = ~ids.is_first_distinct()
    if repeated.any():
        second = int(repeated.arg_max())
        first = rows[int((ids == ids[second]).arg_max())]
        raise err(f"duplicate id {ids[second]!r} (first at row {first})", row=rows[second])
    out = [ids]
    for std in STANDARD_COLUMNS[1:]:
        name = mapping.get(std)
        if name is None:
            out.append(
                pl.repeat(None, n, dtype=UTC if std == "published" else pl.String, eager=True)
            )
        elif std == "published":
            out.append(_published(df[name], name, rows, file))
        else:
            out.append(_as_string(df[name], name, "a string", rows, file))
    extras = df.select(c for c in df.columns if c not in mapping.values())
    renames, reserved = {}, {*STANDARD_COLUMNS, "row"}
    for c in extras.columns:
        renames[c] = c
        while renames[c] in reserved or (renames[c] != c and renames[c] in df.columns):
            renames[c] += "_orig"
    standard = [s.alias(std) for s, std in zip(out, STANDARD_COLUMNS, strict=True)]
    return pl.DataFrame([*standard, rows]).hstack(extras.rename(renames))


def _as_string(s: pl.Series, field: str, expected: str, rows: pl.Series, file: str) -> pl.Series:
    if s.dtype in (pl.String, pl.Null) or isinstance(s.dtype, (pl.Categorical, pl.Enum)):
        return s.cast(pl.String)
    present = s.is_not_null()
    if not present.any():
        return pl.repeat(None, len(s), dtype=pl.String, eager=True)
    message, row = f"expected {expected}, got {_dtype_kind(s.dtype)}", rows[int(present.arg_max())]
    raise InputError(message, file=file, row=row, field=field)


def _published(s: pl.Series, field: str, rows: pl.Series, file: str) -> pl.Series:
    """Datetime/Date as-is (naive -> UTC), strings parsed by :data:`_DATE_FORMATS`."""
    if isinstance(s.dtype, pl.Datetime):
        utc = s.dt.convert_time_zone("UTC") if s.dtype.time_zone else s.dt.replace_time_zone("UTC")
        return utc.cast(UTC)
    if s.dtype == pl.Date:
        return s.cast(pl.Datetime("us")).dt.replace_time_zone("UTC")
    text = _as_string(s, field, "a date string", rows, file).str.strip_chars()
    to_dt = functools.partial(pl.col("t").str.to_datetime, time_unit="us", time_zone="UTC")
    parse = pl.coalesce([to_dt(f, strict=False) for f in _DATE_FORMATS])
    parsed = pl.DataFrame({"t": text}).select(parse).to_series()
    bad = text.is_not_null() & (text != "") & parsed.is_null()
    if bad.any():
        i = int(bad.arg_max())
        message = f"cannot parse date {text[i]!r} (expected ISO 8601, e.g. 2019-05-31T17:45:53Z)"
        raise InputError(message, file=file, row=rows[i], field=field)
    return parsed


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


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON value")


def _last_key(text: str) -> str | None:
    keys = _KEY.findall(text)
    return keys[-1] if keys else None


def _bad_utf8(data: bytes, exc: UnicodeDecodeError) -> str:
    return f"not valid UTF-8 (byte {data[exc.start]:#04x} at offset {exc.start})"


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


# --- writing -----------------------------------------------------------------------------


def _text_ready(df: pl.DataFrame, *, csv_out: bool) -> pl.DataFrame:
    """Temporal columns to ISO 8601 strings; for csv, nested columns to text."""
    exprs = []
    for name, dtype in df.schema.items():
        col = pl.col(name)
        if isinstance(dtype, pl.Datetime):
            col = col.dt.to_string("%Y-%m-%dT%H:%M:%S%.f" + ("%:z" if dtype.time_zone else ""))
        elif dtype == pl.Date:
            col = col.dt.to_string("%Y-%m-%d")
        elif isinstance(dtype, (pl.Time, pl.Duration)):
            col = col.cast(pl.String)
        elif csv_out and isinstance(dtype, (pl.List, pl.Array)) and not dtype.inner.is_nested():
            items = col.arr.to_list() if isinstance(dtype, pl.Array) else col
            col = items.cast(pl.List(pl.String)).list.join("|")
        elif csv_out and dtype.is_nested():  # JSON text: wrap as {"v": ...}, then unwrap
            text = pl.struct(col.alias("v")).struct.json_encode()
            col = pl.when(col.is_not_null()).then(text.str.slice(5).str.strip_suffix("}"))
        exprs.append(col.alias(name))
    return df.select(exprs)


def write_text(text: str, path: str | os.PathLike[str] | None) -> None:
    """Write a text document to ``path`` atomically, or to stdout when ``path`` is None/"-"."""
    if path is None or str(path) == "-":
        sys.stdout.write(text)
        return
    _atomic_write(str(path), lambda fh: fh.write(text.encode("utf-8")))


def _atomic_write(path: str, writer: Callable[[IO[bytes]], Any]) -> None:
    directory = os.path.dirname(os.path.abspath(path))
    mode = _new_file_mode(path)
    tmp = tempfile.NamedTemporaryFile(  # noqa: SIM115 - closed below; must outlive the block
        dir=directory, prefix=f".{os.path.basename(path)}.", suffix=".tmp", delete=False
    )
    try:
        with tmp:
            writer(tmp.file)
            tmp.flush()
            os.fsync(tmp.fileno())
        os.chmod(tmp.name, mode)
        os.replace(tmp.name, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp.name)
        raise


def _new_file_mode(path: str) -> int:
    """Keep an existing target's mode, else what open() would give (temp files get 0600)."""
    try:
        return os.stat(path).st_mode & 0o7777
    except OSError:
        umask = os.umask(0)  # there is no getter; briefly process-wide
        os.umask(umask)
        return 0o666 & ~umask
