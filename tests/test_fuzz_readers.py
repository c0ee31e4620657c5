"""Hypothesis fuzz of the readers: any file either reads with every record accounted for
(rows in = rows kept + rows rejected) or fails with one InputError; never a traceback."""

from __future__ import annotations

import csv
import io
import json
import tempfile
from pathlib import Path

import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from syndup.errors import InputError
from syndup.io import read_articles

text = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
    max_size=12,
)
value = st.one_of(
    st.none(),
    text,
    st.integers(-(2**40), 2**40),
    st.floats(allow_nan=False, allow_infinity=False),
    st.booleans(),
    st.lists(st.integers(0, 9), max_size=2),
    st.sampled_from(["2019-05-31", "May 31, 2019", "05/06/2019", "soon", "1559324753"]),
)
record = st.fixed_dictionaries(
    {"id": st.one_of(text, st.integers(0, 50), st.none())},
    optional={"title": value, "body": value, "outlet": value, "date": value, "extra": value},
)
garbage = st.binary(min_size=1, max_size=20).filter(  # one line; a leading BOM is legal
    lambda b: b"\n" not in b and b"\r" not in b and not b.startswith(b"\xef\xbb\xbf")
)


def _jsonl(records: list[dict], junk: list[tuple[int, bytes]]) -> tuple[bytes, int]:
    lines = [json.dumps(r).encode() for r in records]
    for at, bad in junk:
        lines.insert(at % (len(lines) + 1), bad)
    lines = [x for x in lines if x.strip(b" \t")]
    return b"\n".join(lines) + b"\n", len(lines)


def _csv(records: list[dict], junk: list[tuple[int, bytes]], sep: str) -> tuple[bytes, int]:
    keys = ["id", "title", "body", "outlet", "date"]
    buf = io.StringIO()
    out = csv.writer(buf, delimiter=sep, lineterminator="\n")
    out.writerow(keys)
    for r in records:
        out.writerow(["" if r.get(k) is None else str(r.get(k)) for k in keys])
    lines = buf.getvalue().encode().split(b"\n")[:-1]
    for at, bad in junk:
        lines.insert(1 + at % len(lines), bad.replace(b'"', b"'"))
    data = b"\n".join(lines) + b"\n"
    try:  # what a strict CSV reader sees as records (quoted newlines join lines)
        rows = list(
            csv.reader(
                io.StringIO(data.decode("utf-8", "surrogateescape"), newline=""), delimiter=sep
            )
        )
    except csv.Error:
        return data, -1
    return data, sum(1 for r in rows[1:] if r)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    records=st.lists(record, min_size=1, max_size=8),
    junk=st.lists(st.tuples(st.integers(0, 20), garbage), max_size=3),
    kind=st.sampled_from(["jsonl", "csv", "tsv", "json"]),
    on_error=st.sampled_from(["reject", "abort"]),
    strict=st.booleans(),
)
def test_readers_account_for_every_record(
    records: list[dict], junk: list[tuple[int, bytes]], kind: str, on_error: str, strict: bool
) -> None:
    if kind == "jsonl":
        data, count = _jsonl(records, junk)
    elif kind == "json":
        data, count = json.dumps(records).encode(), len(records)
    else:
        data, count = _csv(records, junk, "\t" if kind == "tsv" else ",")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"fuzz.{kind}"
        path.write_bytes(data)
        try:
            reading = read_articles(path, on_error=on_error, strict=strict)  # type: ignore[arg-type]
        except InputError as exc:
            assert str(exc) and "Traceback" not in str(exc)
            assert exc.problems
            return
    rejected = reading.rejected.select("file", "row").unique().height  # a record once
    assert reading.records == reading.table.height + rejected
    if count >= 0:
        assert reading.records == count
    if on_error == "abort":
        assert rejected == 0
    assert reading.table["id"].cast(pl.String).is_duplicated().sum() == 0
    assert reading.problems.filter(pl.col("action") == "rejected")["raw"].null_count() == 0
