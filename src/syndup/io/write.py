"""Write tables and documents safely: every path checked before the run, files land whole.

Writing policy (also in the README):

- Every output path is checked *before* any work (:func:`plan_outputs`): its format from
  the suffix (an unknown suffix is an error naming the formats), the directory exists and
  is writable, the target is not a directory or a read-only file, binary output is not
  sent to a terminal.
- A regular file is written to a temporary file next to it (``.NAME.syndup-PID-XXXX.tmp``),
  fsynced and renamed over the target, so no reader ever sees half a file. Temporaries are
  removed on errors, Ctrl-C and SIGTERM; one left by a killed process (SIGKILL, power
  loss) is swept by the next run that writes to that directory.
- Devices, FIFOs and sockets are written *through* (opened and written, like ``cp`` or a
  shell redirect would), never replaced; a symlink is followed and its target written (the
  link stays a link). Such writes cannot be atomic.
- ``.gz`` compresses the text formats (jsonl, json, csv, tsv); ``.parquet.gz`` is an error
  (Parquet compresses internally, use ``.parquet``).
- Several outputs of one run (main, ``--rejects``, ``--pairs``, ``--clusters``) are
  written to temporaries first and renamed together at the end: a failure leaves none.
"""

from __future__ import annotations

import contextlib
import gzip
import io
import os
import re
import secrets
import signal
import stat
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import IO, Any

import polars as pl

from syndup.errors import OutputError

WRITE_FORMATS = ("jsonl", "json", "csv", "tsv", "parquet")
BINARY_FORMATS = ("parquet",)
SUFFIX_FORMATS = {
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "json",
    ".csv": "csv",
    ".tsv": "tsv",
    ".parquet": "parquet",
    ".pq": "parquet",
}
_LIVE: set[str] = set()  # temporaries of this process, removed on SIGTERM
_LOCK = threading.Lock()
_TEMP = re.compile(r"^\.(?P<name>.+)\.syndup-(?P<pid>\d+)-[0-9a-f]+\.tmp$")

Writer = Callable[[IO[bytes]], Any]


def jsonable(value: Any) -> Any:
    """``value`` with datetimes as ISO strings, NaN as None and ``_private`` keys dropped,
    ready for ``json.dumps`` (here, not in ``report``, so ``index explain`` need not import
    the report and rich's tables)."""
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items() if not k.startswith("_")}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, float) and value != value:  # NaN
        return None
    return value


def format_for(path: str | os.PathLike[str] | None, format: str | None = None) -> str:
    """The output format: ``format`` if given, else from the suffix (``.gz`` looked past).

    Raises:
        OutputError: Unknown format, or a suffix that names none (with no ``format``).
    """
    if format is not None:
        fmt = format.lower()
        if fmt not in WRITE_FORMATS:
            raise OutputError(
                f"unknown output format {format!r}; use one of {', '.join(WRITE_FORMATS)}"
            )
        return fmt
    if path is None or os.fspath(path) == "-":
        raise OutputError("writing to stdout needs a format")
    name = os.path.basename(os.fspath(path)).lower().removesuffix(".gz")
    suffix = os.path.splitext(name)[1]
    if suffix not in SUFFIX_FORMATS:
        known = ", ".join(SUFFIX_FORMATS)
        what = f"suffix {suffix!r}" if suffix else "no suffix"
        raise OutputError(
            f"{os.fspath(path)}: cannot tell the output format ({what}); name the file with one "
            f"of {known} (optionally + .gz), or give the format"
        )
    return SUFFIX_FORMATS[suffix]


@dataclass
class Target:
    """One checked output: a regular file (atomic), a stream (stdout, device, FIFO)."""

    path: str | None  # None = stdout
    format: str
    gzip: bool
    stream: bool  # written through, not via a temporary
    temp: str | None = None

    @property
    def label(self) -> str:
        return self.path or "<stdout>"


def check_output(
    path: str | os.PathLike[str] | None, *, format: str | None = None, stdout: IO[Any] | None = None
) -> Target:
    """Check one output path before the run (see module docstring) and return its target.

    Raises:
        OutputError: The path cannot be written as asked, saying why.
    """
    if path is None or os.fspath(path) == "-":
        fmt = format_for(None, format) if format else "jsonl"
        out = stdout or sys.stdout
        if fmt in BINARY_FORMATS and _isatty(out):
            raise OutputError(
                f"refusing to write binary {fmt} to a terminal; give an output file or redirect"
            )
        return Target(None, fmt, False, True)
    raw = os.fspath(path)
    if os.path.isdir(raw):
        raise OutputError(f"{raw}: is a directory; give a file name")
    fmt = format_for(raw, format)
    zipped = raw.lower().endswith(".gz")
    if zipped and fmt in BINARY_FORMATS:
        raise OutputError(f"{raw}: {fmt} is compressed internally; drop the .gz (e.g. out.{fmt})")
    real = os.path.realpath(raw)  # a symlink is written through: check what it points to
    try:
        st = os.stat(real)
    except FileNotFoundError:
        st = None
    except OSError as exc:
        raise OutputError(f"{raw}: cannot use this path: {exc.strerror or exc}") from None
    if st is not None and stat.S_ISDIR(st.st_mode):
        raise OutputError(f"{raw}: is a directory; give a file name")
    if st is not None and not stat.S_ISREG(st.st_mode):
        if not os.access(real, os.W_OK):
            raise OutputError(f"{raw}: cannot write to this device or pipe (permission denied)")
        return Target(real, fmt, zipped, True)
    directory = os.path.dirname(real) or "."
    if not os.path.isdir(directory):
        raise OutputError(f"{raw}: directory {os.path.dirname(raw) or '.'!r} does not exist")
    if st is not None and not st.st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH):
        raise OutputError(f"{raw}: is read-only; not replaced (remove it or pick another name)")
    if st is not None and not os.access(real, os.W_OK):
        raise OutputError(f"{raw}: no permission to replace this file")
    if not os.access(directory, os.W_OK | os.X_OK):
        raise OutputError(f"{raw}: no permission to create files in {directory!r}")
    return Target(real, fmt, zipped, False)


class OutputPlan:
    """Outputs of one run: checked up front, written to temporaries, renamed together.

    Use as a context manager: temporaries are created on entry (which also proves the
    directories writable and sweeps stale temporaries of killed runs), removed on any
    error, Ctrl-C or SIGTERM; :meth:`commit` renames them all.
    """

    def __init__(self, targets: Sequence[Target]):
        labels = [t.path for t in targets if t.path is not None and not t.stream]
        dupes = sorted({p for p in labels if labels.count(p) > 1})
        if dupes:
            raise OutputError(f"{dupes[0]}: given for two outputs")
        self.targets = list(targets)
        self._pending: list[tuple[Target, Writer]] = []

    def __enter__(self) -> OutputPlan:
        _install_signal_cleanup()
        try:
            for t in self.targets:
                if not t.stream and t.path is not None:
                    sweep_stale_temps(t.path)
                    t.temp = _make_temp(t.path)
        except BaseException:
            self._discard()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self._discard()

    def write(self, target: Target, writer: Writer) -> None:
        """Write ``target``'s content now (to its temporary) or, for streams, at commit."""
        if target.stream:
            self._pending.append((target, writer))
            return
        assert target.temp is not None and target.path is not None
        with open(target.temp, "wb") as fh:
            if target.gzip:
                with gzip.GzipFile(fileobj=fh, mode="wb", mtime=0) as gz:
                    writer(gz)  # type: ignore[arg-type]
            else:
                writer(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(target.temp, _new_file_mode(target.path))

    def commit(self) -> None:
        """Rename every written temporary over its target, then write the streams."""
        for t in self.targets:
            if t.temp is not None:
                os.replace(t.temp, t.path)  # type: ignore[arg-type]
                _forget(t.temp)
                t.temp = None
        for target, writer in self._pending:
            _write_stream(target, writer)
        self._pending.clear()

    def _discard(self) -> None:
        for t in self.targets:
            if t.temp is not None:
                with contextlib.suppress(OSError):
                    os.unlink(t.temp)
                _forget(t.temp)
                t.temp = None


def table_writer(df: pl.DataFrame, fmt: str) -> Writer:
    """A writer of ``df`` in ``fmt`` (text formats get ISO dates and flattened lists)."""
    if fmt == "parquet":
        return lambda fh: df.write_parquet(fh)
    out = text_ready(df, csv_out=fmt in ("csv", "tsv"))
    if fmt == "jsonl":
        return lambda fh: out.write_ndjson(fh)
    if fmt == "json":
        return lambda fh: out.write_json(fh)
    sep = "\t" if fmt == "tsv" else ","
    return lambda fh: out.write_csv(fh, separator=sep)


def write_table(
    df: pl.DataFrame, path: str | os.PathLike[str] | None, *, format: str | None = None
) -> None:
    """Write a table safely (see module docstring) as jsonl, json (one array of objects),
    csv, tsv or parquet.

    Datetimes become ISO 8601 strings in the text formats. In csv/tsv, lists of scalars
    become ``a|b`` (readable, but ambiguous if an item contains ``|``) and other nested
    values JSON text. The cost of atomicity is briefly needing disk space for two copies.

    Args:
        df: The table.
        path: Target file; None or "-" writes to stdout.
        format: One of :data:`WRITE_FORMATS`; default from the suffix.

    Raises:
        OutputError: Unknown format or suffix, or a path that cannot be written.
    """
    target = check_output(path, format=format or (None if path not in (None, "-") else "jsonl"))
    write_all([(target, table_writer(df, target.format))])


def write_text(text: str, path: str | os.PathLike[str] | None) -> None:
    """Write a text document safely to ``path``, or to stdout when ``path`` is None/"-"."""
    target = check_output(path, format="json")
    write_all([(target, lambda fh: fh.write(text.encode("utf-8")))])


def write_all(items: Sequence[tuple[Target, Writer]]) -> None:
    """Write several checked targets as one set (all renamed at the end)."""
    with OutputPlan([t for t, _ in items]) as plan:
        for target, writer in items:
            plan.write(target, writer)
        plan.commit()


def sweep_stale_temps(path: str) -> list[str]:
    """Remove temporaries for ``path`` left by processes that no longer run."""
    directory = os.path.dirname(os.path.abspath(path))
    name = os.path.basename(path)
    removed = []
    try:
        entries = os.listdir(directory)
    except OSError:
        return removed
    for entry in entries:
        m = _TEMP.match(entry)
        if m is None or m.group("name") != name or _alive(int(m.group("pid"))):
            continue
        with contextlib.suppress(OSError):
            os.unlink(os.path.join(directory, entry))
            removed.append(entry)
    return removed


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _make_temp(path: str) -> str:
    directory, name = os.path.split(path)
    for _ in range(10):
        temp = os.path.join(directory, f".{name}.syndup-{os.getpid()}-{secrets.token_hex(4)}.tmp")
        try:
            fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            continue
        except OSError as exc:
            raise OutputError(f"{path}: cannot create a file here: {exc.strerror or exc}") from None
        os.close(fd)
        with _LOCK:
            _LIVE.add(temp)
        return temp
    raise OutputError(f"{path}: cannot create a temporary file next to it")


def _forget(temp: str) -> None:
    with _LOCK:
        _LIVE.discard(temp)


def _write_stream(target: Target, writer: Writer) -> None:
    if target.path is None:
        buffer = getattr(sys.stdout, "buffer", None)
        if buffer is None:  # a text-only stdout (tests): decode
            data = io.BytesIO()
            writer(data)
            sys.stdout.write(data.getvalue().decode("utf-8"))
        else:
            sys.stdout.flush()
            writer(buffer)
            buffer.flush()
        return
    try:
        with open(target.path, "wb") as fh:  # no O_TRUNC games: devices and FIFOs
            if target.gzip:
                with gzip.GzipFile(fileobj=fh, mode="wb", mtime=0) as gz:
                    writer(gz)  # type: ignore[arg-type]
            else:
                writer(fh)
    except OSError as exc:
        raise OutputError(f"{target.path}: cannot write: {exc.strerror or exc}") from None


_PREVIOUS: dict[int, Any] = {}


def _install_signal_cleanup() -> None:
    """On SIGTERM/SIGHUP remove this process's temporaries, then die by the signal as
    before. (Ctrl-C raises KeyboardInterrupt, and the plan's cleanup runs.)"""
    if threading.current_thread() is not threading.main_thread():
        return
    for sig in (signal.SIGTERM, getattr(signal, "SIGHUP", None)):
        if sig is None or sig in _PREVIOUS:
            continue
        with contextlib.suppress(ValueError, OSError):
            _PREVIOUS[sig] = signal.signal(sig, _on_signal)


def _on_signal(signum: int, frame: Any) -> None:
    with _LOCK:
        temps = list(_LIVE)
    for temp in temps:
        with contextlib.suppress(OSError):
            os.unlink(temp)
    previous = _PREVIOUS.get(signum)
    if callable(previous):
        previous(signum, frame)
        return
    if previous == signal.SIG_IGN:  # the host process ignores it: so do we
        return
    signal.signal(signum, signal.SIG_DFL)
    os.kill(os.getpid(), signum)


def _isatty(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


def _new_file_mode(path: str) -> int:
    """Keep an existing target's mode, else what open() would give (temp files get 0600)."""
    try:
        return os.stat(path).st_mode & 0o7777
    except OSError:
        umask = os.umask(0)  # there is no getter; briefly process-wide
        os.umask(umask)
        return 0o666 & ~umask


def text_ready(df: pl.DataFrame, *, csv_out: bool) -> pl.DataFrame:
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


@contextlib.contextmanager
def outputs(targets: Sequence[Target]) -> Iterator[OutputPlan]:
    """``with outputs([...]) as plan: ...; plan.commit()`` (see :class:`OutputPlan`)."""
    with OutputPlan(targets) as plan:
        yield plan
