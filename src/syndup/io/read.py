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

import glob
import gzip
import io
import logging
import os
import re
import sys
import zlib
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import polars as pl

from syndup.errors import InputError
from syndup.io.parse import (
    READ_ERRORS,
    Part,
    counting,
    first_line,
    parse_csv,
    parse_json_array,
    parse_jsonl,
)
from syndup.io.table import (
    ALIASES,
    OPTIONAL_COLUMNS,
    PROBLEM_SCHEMA,
    STANDARD_COLUMNS,
    TEXT_COLUMNS,
    OnError,
    Reading,
    _map_columns,
    standardise,
)
from syndup.textstore import TextStore

__all__ = [
    "ALIASES",
    "OPTIONAL_COLUMNS",
    "PROBLEM_SCHEMA",
    "READ_FORMATS",
    "STANDARD_COLUMNS",
    "TEXT_COLUMNS",
    "Reading",
    "read_articles",
    "read_corpus",
    "stream_parquet",
]

log = logging.getLogger("syndup")


READ_FORMATS = ("jsonl", "json", "csv", "tsv", "parquet")


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


_GLOB = re.compile(r"[*?\[]")


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
    return standardise(
        parts,
        columns,
        strict=strict,
        on_error=on_error,
        date_format=date_format,
        several=len(parts) > 1,
    )


def stream_parquet(
    source: Any,
    *,
    block_rows: int,
    compress_above_mb: float,
    workers: int = 2,
    format: str | None = None,
    columns: Mapping[str, str] | None = None,
    strict: bool = False,
    on_error: OnError = "abort",
    date_format: str | None = None,
    encoding: str | None = None,
) -> tuple[Reading, TextStore] | None:
    """Read one Parquet file with its body column streamed into a ``TextStore``.

    Every column but the body is read and checked as :func:`read_articles` does (the
    table's ``body`` is null); the body column is read in batches and stored
    zstd-compressed in blocks of ``block_rows`` rows, so the whole text is never held as
    strings. Returns None, and the caller reads the usual way, for anything else: not a
    single plain Parquet file, a body column that is not text or whose uncompressed size
    (from the file's metadata) is not over ``compress_above_mb`` (streaming costs more CPU
    than one whole read and only saves memory when the blocks are compressed), or records
    rejected (their ``raw`` text in the rejects must hold the body). ``encoding`` is
    unused (Parquet text is UTF-8).
    """
    del encoding
    if not isinstance(source, (str, os.PathLike)) or on_error not in ("abort", "reject"):
        return None
    file = os.fspath(source)
    fmt = (format or "").lower() or _SUFFIXES.get(os.path.splitext(file.lower())[1][1:])
    if file == "-" or fmt != "parquet" or not _is_plain_parquet(file):
        return None
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        pf = pq.ParquetFile(file)
    except (OSError, pa.ArrowException):
        return None  # the usual path names the problem
    names = pf.schema_arrow.names
    mapping = _map_columns(names, columns, file)
    body = mapping.get("body")
    if body is None or pf.metadata.num_rows == 0:
        return None
    kind = pf.schema_arrow.field(body).type
    if not (pa.types.is_string(kind) or pa.types.is_large_string(kind)):
        return None
    if hasattr(pa.types, "is_string_view") and pa.types.is_string_view(kind):
        return None
    index = names.index(body)
    size = sum(
        pf.metadata.row_group(g).column(index).total_uncompressed_size
        for g in range(pf.metadata.num_row_groups)
    )
    if size <= compress_above_mb * 1_000_000:
        return None  # small enough to hold: the one-pass reader is cheaper
    try:
        others = pl.read_parquet(file, columns=[c for c in names if c != body])
    except READ_ERRORS:
        return None
    # The body column stays in place (mapping finds it by name) but holds nulls here.
    frame = others.with_columns(pl.lit(None, dtype=pl.String).alias(body)).select(names)
    reading = standardise(
        [Part(file, frame, counting(frame.height))],
        columns,
        strict=strict,
        on_error=on_error,
        date_format=date_format,
        several=False,
    )
    if reading.rejected.height or reading.table.height != pf.metadata.num_rows:
        return None
    store = TextStore(compress=True)
    _stream_column(pf, file, body, store, block_rows, workers)
    return reading, store


def _stream_column(
    pf: Any, file: str, column: str, store: TextStore, block_rows: int, workers: int
) -> None:
    """Record batches of one text column into ``store`` blocks of ``block_rows`` rows,
    compressed on ``workers`` threads with at most a few blocks in flight."""
    from concurrent.futures import Future, ThreadPoolExecutor

    rest: pl.Series | None = None
    start = 0
    inflight: list[Future[None]] = []
    with ThreadPoolExecutor(max(1, workers)) as pool:

        def put(block: pl.Series) -> None:
            nonlocal start
            inflight.append(pool.submit(store.put, start, block))
            start += len(block)
            while len(inflight) > 2 * max(1, workers):
                inflight.pop(0).result()

        size = max(block_rows, (65_536 // block_rows) * block_rows)
        for text in _column_batches(pf, file, column, size):
            if rest is not None:  # the tail of the last batch opens this one
                text = pl.concat([rest, text], rechunk=True)
            whole = len(text) // block_rows * block_rows
            for offset in range(0, whole, block_rows):
                put(text.slice(offset, block_rows))
            rest = text.slice(whole) if whole < len(text) else None
        if rest is not None:
            put(rest)
        for future in inflight:
            future.result()


def _column_batches(pf: Any, file: str, column: str, size: int) -> Iterator[pl.Series]:
    """One column of a Parquet file as String Series of about ``size`` rows. polars'
    batched scan when it has one (about half the CPU and memory of pyarrow's batches,
    measured on a 1M-row file), else pyarrow's ``iter_batches``."""
    if hasattr(pl.LazyFrame, "collect_batches"):
        scan = pl.scan_parquet(file).select(column)
        for frame in scan.collect_batches(chunk_size=size):
            yield frame.to_series().cast(pl.String)
        return
    for batch in pf.iter_batches(batch_size=size, columns=[column]):
        yield pl.Series(batch.column(0)).cast(pl.String)


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
        except READ_ERRORS as exc:
            raise InputError(f"cannot collect the LazyFrame: {first_line(exc)}") from None
    module = type(source).__module__.split(".")[0]
    if module in ("pandas", "pyarrow"):
        try:
            out = pl.from_pandas(source) if module == "pandas" else pl.from_arrow(source)
        except (*READ_ERRORS, TypeError) as exc:
            raise InputError(f"cannot convert the {module} table: {first_line(exc)}") from None
        if isinstance(out, pl.DataFrame):
            return out
    kind = type(source).__name__
    raise InputError(
        f"source must be a path, a glob, a list of paths, '-' or a polars/pandas DataFrame; "
        f"got {kind}"
    )


def _load(item: Any, format: str | None, encoding: str | None, on_error: OnError) -> Part:
    if isinstance(item, pl.DataFrame):
        file = "<dataframe>"
        df, rows = item, None
        if _is_standard(item):  # read before: keep its row numbers
            df, rows = item.drop("row"), item["row"]
        if df.height == 0:
            raise InputError("no articles (no data rows)", file=file)
        rows = rows if rows is not None else counting(df.height)
        return Part(file, df, rows)
    stdin = item == "-"
    file = "<stdin>" if stdin else item
    fmt = _resolve_format(file, format, stdin)
    if fmt == "parquet" and not stdin and _is_plain_parquet(file):
        # Read from the path: no copy of the whole file in memory as bytes first (Parquet
        # is column chunks; the reader maps them), so the peak is the decoded table alone.
        try:
            df = pl.read_parquet(file)
        except READ_ERRORS as exc:
            raise InputError(f"not a Parquet file ({first_line(exc)})", file=file) from None
        if df.height == 0:
            raise InputError("no articles (no data rows)", file=file)
        return Part(file, df, counting(df.height))
    data = _read_stdin(file) if stdin else _read_file(file)
    if fmt != "parquet":
        data = _decode(data, file, encoding)
    if not data or data.isspace():
        raise InputError("no articles (the input is empty)", file=file)
    if fmt == "parquet":
        try:
            df = pl.read_parquet(io.BytesIO(data))
        except READ_ERRORS as exc:
            raise InputError(f"not a Parquet file ({first_line(exc)})", file=file) from None
        part = Part(file, df, counting(df.height))
    elif fmt in ("csv", "tsv"):
        part = parse_csv(data, file, "\t" if fmt == "tsv" else ",")
    elif fmt == "json" or (fmt == "jsonl" and data.lstrip()[:1] == b"["):
        part = parse_json_array(data, file)
    else:
        part = parse_jsonl(data, file)
    if part.df.height == 0 and not part.problems:
        raise InputError("no articles (no data rows)", file=file)
    return part


def _is_plain_parquet(file: str) -> bool:
    """A regular, readable file that starts with Parquet's magic bytes (not gzip, not a
    FIFO: those go through the in-memory path and its messages)."""
    try:
        if not os.path.isfile(file):
            return False
        with open(file, "rb") as fh:
            return fh.read(4) == b"PAR1"
    except OSError:
        return False


def _is_standard(df: pl.DataFrame) -> bool:
    """A table ``read_corpus`` returned: standard columns then ``row`` as UInt32."""
    return tuple(df.columns[:7]) == (*STANDARD_COLUMNS, "row") and df.schema["row"] == pl.UInt32


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
