"""The standard table: columns mapped by name and alias, ids and text checked, dates parsed.

Bad optional values become nulls with a :class:`~syndup.errors.Problem` noting them;
unreadable records become problems with ``action="rejected"`` (see :mod:`syndup.io.read`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any, Literal

import polars as pl

from syndup.errors import InputError, Problem
from syndup.io.dates import UTC, parse_dates
from syndup.io.parse import READ_ERRORS, Part, first_line, py_kind

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


def standardise(
    parts: list[Part],
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
    except READ_ERRORS as exc:
        raise InputError(f"the inputs' columns do not fit together: {first_line(exc)}") from None
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
        gone = pl.Series([k in drop for k in keys], dtype=pl.Boolean)
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
    rows_in = table.height + len(drop)
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
    part: Part, mapping: dict[str, str], problems: list[Problem], *, date_format: str | None
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
    part: Part,
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
                    f"expected a string, got {py_kind(value)}",
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


def _show(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, pl.Series):
        value = value.to_list()
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    return text if len(text) <= 200 else text[:199] + "…"
