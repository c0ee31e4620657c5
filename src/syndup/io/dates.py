"""Publication times: many written forms in, one ``Datetime(us, UTC)`` column out.

Vectorised first (polars ``strptime`` over the forms below, digits as epoch or ``YYYYMMDD``);
only the values no form matched are looked at in Python, once per distinct value: RFC 2822
with named zones (``GMT``, ``EST``), a recognised date followed by junk (salvaged, with a
note), and the reason a value cannot be read. Values without an offset are taken as UTC.

Numeric day/month forms (``05/06/2019``) are never guessed: which comes first differs by
country, so they are refused with a hint to pass ``date_format``.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import re

import polars as pl

UTC = pl.Datetime("us", "UTC")

#: Tried in order after ``date_format``; the first that parses a value wins.
DATE_FORMATS = (
    "%Y-%m-%dT%H:%M:%S%.f%z",
    "%Y-%m-%d %H:%M:%S%.f%z",
    "%Y-%m-%dT%H:%M:%S%.fZ",
    "%Y-%m-%dT%H:%M:%S%.f",
    "%Y-%m-%d %H:%M:%S%.f",
    "%Y-%m-%dT%H:%M%z",
    "%Y-%m-%dT%H:%MZ",
    "%Y-%m-%dT%H:%M",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%d",
    "%Y/%m/%d",
    "%d-%b-%Y %H:%M:%S%.f",  # Reuters-21578: 26-FEB-1987 15:01:01.79
    "%a, %d %b %Y %H:%M:%S %z",  # RFC 2822 (RSS) with a numeric offset
    "%a, %d %b %Y %H:%M %z",
    "%d %b %Y %H:%M:%S %z",
    "%B %d, %Y %H:%M",
    "%B %d, %Y",  # May 31, 2019
    "%b %d, %Y",  # May 31, 2019 / Sep 3, 2019
    "%b. %d, %Y",
    "%d %B %Y",  # 31 May 2019
    "%d %b %Y",
    "%A, %B %d, %Y",
)
_FORMS = "ISO 8601, RFC 2822, 'May 31, 2019', '31 May 2019', YYYYMMDD or epoch seconds/ms"
_AMBIGUOUS = re.compile(r"^\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}\b")
# A complete date (and time) at the start of a value, for salvaging values with junk after.
_PREFIXES = (
    (
        re.compile(r"^\d{1,2}-[A-Za-z]{3}-\d{4} \d{1,2}:\d{2}:\d{2}(?:\.\d+)?"),
        "%d-%b-%Y %H:%M:%S.%f",
    ),
    (re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}"), "%Y-%m-%dT%H:%M:%S"),
    (re.compile(r"^\d{4}-\d{2}-\d{2}"), "%Y-%m-%d"),
)
_REUTERS_DAY = re.compile(r"^(\d{1,2}-[A-Za-z]{3}-\d{4})\b(.*)$")


#: Times outside these years are taken as misread (an id or a count in the date column).
YEARS = (1800, 2300)


def parse_dates(
    values: pl.Series, *, date_format: str | None = None
) -> tuple[pl.Series, pl.Series]:
    """Parse a column of publication times.

    Args:
        values: Strings, numbers (epoch seconds, or milliseconds from 1e11 up), Date or
            Datetime (naive means UTC).
        date_format: A strftime/chrono form tried before the built-in ones, e.g. "%d/%m/%Y".

    Returns:
        ``(parsed, note)``: the times as ``Datetime(us, UTC)``, and per value a note where
        something was wrong: with ``parsed`` null, why it could not be read; with ``parsed``
        set, what was ignored to read it (a salvaged value). Null notes mean clean values.
        Times outside :data:`YEARS` are nulled with a note.
    """
    parsed, note = _parse(values, date_format)
    low, high = (pl.datetime(y, 1, 1, time_zone="UTC") for y in YEARS)
    t = pl.lit(parsed)
    out = pl.select(
        pl.when(t.is_between(low, high, closed="left") | t.is_null()).then(t).alias("t"),
        pl.when(t.is_not_null() & ~t.is_between(low, high, closed="left"))
        .then(pl.lit(f"outside the years {YEARS[0]}-{YEARS[1]}"))
        .otherwise(pl.lit(note))
        .alias("n"),
    )
    return out["t"].cast(UTC), out["n"]


ONE_PASS_ROWS = 64  # up to this many values, every form is tried in one pass


def _parse(values: pl.Series, date_format: str | None) -> tuple[pl.Series, pl.Series]:
    n = len(values)
    no_note = pl.repeat(None, n, dtype=pl.String, eager=True)
    if isinstance(values.dtype, pl.Datetime):
        tz = values.dtype.time_zone
        utc = values.dt.convert_time_zone("UTC") if tz else values.dt.replace_time_zone("UTC")
        return utc.cast(UTC), no_note
    if values.dtype == pl.Date:
        return values.cast(pl.Datetime("us")).dt.replace_time_zone("UTC"), no_note
    if values.dtype.is_numeric():
        return _epoch(values.cast(pl.Float64)), no_note
    text = values.cast(pl.String).str.strip_chars()
    t = pl.col("t")
    digits = t.str.contains(r"^\d+$")
    number = t.cast(pl.Float64, strict=False)
    numeric = (  # epoch seconds, epoch milliseconds, YYYYMMDD
        pl.when(digits & t.str.len_chars().is_in([9, 10]))
        .then(pl.from_epoch((number * 1e6).cast(pl.Int64), time_unit="us"))
        .when(digits & t.str.len_chars().is_in([12, 13]))
        .then(pl.from_epoch((number * 1e3).cast(pl.Int64), time_unit="us"))
        .when(digits & (t.str.len_chars() == 8))
        .then(t.str.to_datetime("%Y%m%d", strict=False, time_unit="us"))
        .dt.replace_time_zone("UTC")
    )
    forms = [
        t.str.to_datetime(f, strict=False, time_unit="us", time_zone="UTC")
        for f in ((date_format,) if date_format else ()) + DATE_FORMATS
    ]
    # Each form is tried only on the values no earlier form read: a clean column costs
    # one or two passes, not one per form. A few values (a one-article query) take every
    # form in one pass instead: the first form that reads a value wins either way.
    left = pl.DataFrame({"t": text}).with_row_index("i").filter(t.is_not_null() & (t != ""))
    found = []
    if 0 < left.height <= ONE_PASS_ROWS:
        got = left.select("i", pl.coalesce([f.cast(UTC) for f in (numeric, *forms)]).alias("d"))
        found.append(got.filter(pl.col("d").is_not_null()))
        left = left.clear()
    for form in (numeric, *forms):
        if left.height == 0:
            break
        got = left.select("i", form.cast(UTC).alias("d"))
        miss = got["d"].is_null()
        found.append(got.filter(~miss))
        left = left.filter(miss)
    parsed = pl.repeat(None, n, dtype=UTC, eager=True)
    if found:
        hits = pl.concat(found)
        parsed = parsed.scatter(hits["i"], hits["d"])
    todo = text.is_not_null() & (text != "") & parsed.is_null()
    if not todo.any():
        return parsed, no_note
    fixed = {v: _slow(v, date_format) for v in text.filter(todo).unique().to_list()}
    slow_dt = text.replace_strict(
        {k: v[0] for k, v in fixed.items()}, default=None, return_dtype=UTC
    )
    slow_note = text.replace_strict(
        {k: v[1] for k, v in fixed.items()}, default=None, return_dtype=pl.String
    )
    out = pl.select(
        pl.when(pl.lit(todo)).then(pl.lit(slow_dt)).otherwise(pl.lit(parsed)).alias("t"),
        pl.when(pl.lit(todo)).then(pl.lit(slow_note)).alias("n"),
    )
    return out["t"], out["n"]


def _epoch(seconds: pl.Series) -> pl.Series:
    """Numbers as epoch seconds, or milliseconds when too large to be seconds (>= 1e11)."""
    micros = pl.when(pl.lit(seconds).abs() >= 1e11).then(pl.lit(seconds) * 1e3)
    micros = micros.otherwise(pl.lit(seconds) * 1e6)
    micros = pl.when(micros.abs() < 9e18).then(micros).cast(pl.Int64, strict=False)
    out = pl.select(pl.from_epoch(micros, time_unit="us").dt.replace_time_zone("UTC"))
    return out.to_series().cast(UTC)


def _slow(value: str, date_format: str | None) -> tuple[dt.datetime | None, str | None]:
    """One value no vectorised form read: ``(time or None, note)``."""
    try:  # RFC 2822 with a named zone (GMT, EST, ...) or other small variations
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        when = None
    if when is not None:
        return _as_utc(when), None
    for pattern, form in _PREFIXES:
        match = pattern.match(value)
        if match is None:
            continue
        head = match.group(0).replace(" ", "T", 1) if "%Y-%m-%dT" in form else match.group(0)
        head = head if "." in head or "%f" not in form else head + ".0"
        try:
            when = dt.datetime.strptime(head, form)
        except ValueError:
            continue
        rest = value[match.end() :].strip()
        return _as_utc(when), f"trailing text ignored: {_clip(rest)!r}"
    day = _REUTERS_DAY.match(value)
    if day is not None:
        return None, f"invalid time of day {_clip(day.group(2).strip())!r}"
    if _AMBIGUOUS.match(value) and not date_format:
        return None, (
            "ambiguous day/month order; give the form with date_format, e.g. '%d/%m/%Y' or "
            "'%m/%d/%Y'"
        )
    hint = " or set date_format" if not date_format else f" or date_format {date_format!r}"
    return None, f"unrecognised date (expected {_FORMS}{hint})"


def _as_utc(when: dt.datetime) -> dt.datetime:
    if when.tzinfo is None:
        return when.replace(tzinfo=dt.timezone.utc)
    return when.astimezone(dt.timezone.utc)


def _clip(text: str, width: int = 40) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"
