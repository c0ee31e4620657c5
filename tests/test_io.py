"""Tests for syndup.io: real files in tmp_path, assertions on what was read or written."""

from __future__ import annotations

import datetime as dt
import gzip
import io
import json
import os
import sys
from pathlib import Path

import polars as pl
import pytest

from syndup.errors import InputError
from syndup.io import STANDARD_COLUMNS, read_corpus, write_table

UTC = dt.timezone.utc


def put(tmp_path: Path, name: str, content: str | bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    return path


def jsonl(*records: dict) -> str:
    return "".join(json.dumps(r) + "\n" for r in records)


def sample() -> pl.DataFrame:
    text = jsonl(
        {
            "id": 1,
            "title": " Quake hits ",
            "text": "Body one.",
            "source": "AP",
            "date": "2019-05-31",
        },
        {"id": 2, "title": "Headline only", "cluster": 7},
        {"id": 3, "text": "Body only.", "link": "http://x/3", "date": "2019-05-31T17:45:53-04:00"},
    )
    return read_corpus(pl.read_ndjson(text.encode()))


def test_jsonl_aliases_int_ids_rows_and_extras(tmp_path: Path) -> None:
    lines = jsonl({"id": 10, "title": " Quake ", "source": "AP", "cluster": 1}).strip()
    path = put(tmp_path, "a.jsonl", lines + "\n\n" + jsonl({"id": " 11 ", "text": "Body only."}))
    df = read_corpus(path)
    assert df.columns == [*STANDARD_COLUMNS, "row", "cluster"]
    assert df.schema["published"] == pl.Datetime("us", "UTC")
    assert df.schema["row"] == pl.UInt32
    assert df["id"].to_list() == ["10", "11"]
    assert df["headline"].to_list() == [" Quake ", None]
    assert df["body"].to_list() == [None, "Body only."]
    assert df["outlet"].to_list() == ["AP", None]
    assert df["row"].to_list() == [1, 3]  # line numbers, blank line counted
    assert df["cluster"].to_list() == [1, None]


def test_first_alias_wins_and_explicit_mapping(tmp_path: Path) -> None:
    path = put(tmp_path, "a.jsonl", jsonl({"ID": "a", "heading": "h2", "Title": "h1", "hed": "x"}))
    df = read_corpus(path)
    assert (df["id"][0], df["headline"][0], df["heading"][0]) == ("a", "h1", "h2")
    df = read_corpus(path, columns={"id": "hed", "headline": "heading"})
    assert (df["id"][0], df["headline"][0], df["ID"][0], df["Title"][0]) == ("x", "h2", "a", "h1")
    # a source column named like a standard one, but not used as it, is kept renamed
    path = put(tmp_path, "b.jsonl", jsonl({"doc_no": 5, "id": "old", "row": 9}))
    df = read_corpus(path, columns={"id": "doc_no"})
    assert df.select("id", "id_orig", "row", "row_orig").row(0) == ("5", "old", 1, 9)


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "parquet"])
def test_round_trip(tmp_path: Path, fmt: str) -> None:
    original = sample()
    path = tmp_path / f"out.{fmt}"
    write_table(original, path, format=fmt)
    again = read_corpus(path).drop("row_orig")
    if fmt == "csv":  # csv has no types: extras come back as strings
        again = again.with_columns(pl.col("cluster").cast(pl.Int64))
    assert again.equals(original)


def test_tsv_gzip_and_format_override(tmp_path: Path) -> None:
    tsv = "id\ttitle\tdate\n1\tA, b\t2025-08-20 10:00:00\n2\t\t\n"
    df = read_corpus(put(tmp_path, "a.tsv", tsv))
    assert df["headline"].to_list() == ["A, b", None]
    assert df["published"][0] == dt.datetime(2025, 8, 20, 10, tzinfo=UTC)
    assert df["row"].to_list() == [1, 2]
    gz = put(tmp_path, "a.jsonl.gz", gzip.compress(jsonl({"id": 1, "body": "b"}).encode()))
    assert read_corpus(gz)["body"].to_list() == ["b"]
    odd = put(tmp_path, "corpus.txt", "id,body\n1,x\n")
    assert read_corpus(odd, format="csv")["body"].to_list() == ["x"]


def test_dataframe_source_and_temporal_columns() -> None:
    naive = dt.datetime(2020, 1, 2, 3, 4, 5)
    df = pl.DataFrame({"uid": [1, 2], "published": [naive, None], "day": [dt.date(2020, 1, 2)] * 2})
    out = read_corpus(df)
    assert out["published"].to_list() == [naive.replace(tzinfo=UTC), None]
    aware = df.with_columns(pl.col("published").dt.replace_time_zone("America/New_York"))
    assert read_corpus(aware)["published"][0] == dt.datetime(2020, 1, 2, 8, 4, 5, tzinfo=UTC)
    dates = read_corpus(df.drop("published"), columns={"published": "day"})
    assert dates["published"][0] == dt.datetime(2020, 1, 2, tzinfo=UTC)
    with pytest.raises(InputError, match=r"<dataframe>:2: field 'uid': duplicate id '1'"):
        read_corpus(pl.DataFrame({"uid": [1, 1]}))


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2019-05-31T17:45:53-04:00", dt.datetime(2019, 5, 31, 21, 45, 53, tzinfo=UTC)),
        ("2019-05-31T17:45:53Z", dt.datetime(2019, 5, 31, 17, 45, 53, tzinfo=UTC)),
        ("2025-08-20", dt.datetime(2025, 8, 20, tzinfo=UTC)),
        ("2025-08-20 10:00:00", dt.datetime(2025, 8, 20, 10, tzinfo=UTC)),
        (" 2025-08-20T10:00:00.5 ", dt.datetime(2025, 8, 20, 10, 0, 0, 500000, tzinfo=UTC)),
        ("26-FEB-1987 15:01:01.79", dt.datetime(1987, 2, 26, 15, 1, 1, 790000, tzinfo=UTC)),
        ("Fri, 31 May 2019 17:45:53 +0000", dt.datetime(2019, 5, 31, 17, 45, 53, tzinfo=UTC)),
        ("", None),
        (None, None),
    ],
)
def test_published_parsing(tmp_path: Path, value: str | None, expected: dt.datetime) -> None:
    path = put(tmp_path, "a.jsonl", jsonl({"id": 1, "published": value}))
    assert read_corpus(path)["published"].to_list() == [expected]


def test_stdin(monkeypatch: pytest.MonkeyPatch) -> None:
    data = jsonl({"id": "a", "title": "T"}, {"id": "b", "text": "B"}).encode()
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))
    df = read_corpus("-")
    assert df["id"].to_list() == ["a", "b"]
    assert df["body"].to_list() == [None, "B"]
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b'{"id": 1}\n{"id": 1}\n')))
    with pytest.raises(InputError, match=r"<stdin>:2: field 'id': duplicate id '1'"):
        read_corpus("-")


ROWS = '{"id": 1, "title": "ok", "body": "b"}\n'
ERRORS = [  # name, content, row, field, message fragment
    ("bad.jsonl", ROWS + '\n{"id": 2, "title": "x", "body": \n', 3, "body", "invalid JSON"),
    ("list.jsonl", ROWS + "[1, 2]\n", 2, None, "expected a JSON object, got a list"),
    ("num.jsonl", ROWS + '{"id": 2, "title": 5}\n', 2, "title", "expected a string, got a number"),
    ("lst.jsonl", ROWS + '{"id": 2, "title": ["a"]}\n', 2, "title", "got a list"),
    ("obj.jsonl", '{"id": 1, "body": {"a": 1}}\n', 1, "body", "got an object"),
    ("utf.jsonl", ROWS + b'{"id": 2, "body": "caf\xe9"}\n'.decode("latin-1"), 2, "body", "UTF-8"),
    ("dup.jsonl", ROWS + '{"id": 3}\n{"id": 1}\n', 3, "id", "duplicate id '1' (first at row 1)"),
    ("nul.jsonl", ROWS + '{"id": null, "title": "x"}\n', 2, "id", "missing or empty id"),
    ("emp.jsonl", ROWS + '{"id": "  ", "title": "x"}\n', 2, "id", "missing or empty id"),
    ("idl.jsonl", '{"id": [1]}\n', 1, "id", "expected a string or integer, got a list"),
    ("date.jsonl", ROWS + '{"id": 2, "date": "soon"}\n', 2, "date", "cannot parse date 'soon'"),
    ("more.csv", "id,title,body\n1,a,b\n2,a,b,c\n", 2, None, "ragged row: 4 fields"),
    ("less.csv", "id,title,body\n1,a,b\n2,a\n", 2, "body", "ragged row: 2 fields"),
    ("quote.csv", 'id,title,body\n1,a,b\n2,"a,b\n3,c,d\n', 2, None, "cannot parse CSV"),
    ("utf.csv", b"id,title,body\n1,a,b\n2,\xff,b\n".decode("latin-1"), 2, "title", "UTF-8"),
]


@pytest.mark.parametrize(("name", "content", "row", "field", "fragment"), ERRORS)
def test_bad_input_names_file_row_field(
    tmp_path: Path, name: str, content: str, row: int, field: str | None, fragment: str
) -> None:
    path = put(tmp_path, name, content.encode("latin-1" if "UTF" in fragment else "utf-8"))
    with pytest.raises(InputError) as info:
        read_corpus(path)
    message = str(info.value)
    assert message.startswith(f"{path}:{row}: ")
    assert (info.value.row, info.value.field) == (row, field)
    if field:
        assert f"field '{field}'" in message
    assert fragment in message


@pytest.mark.parametrize(
    ("name", "content", "fragment"),
    [
        ("empty.jsonl", "", "no articles"),
        ("blank.jsonl", "\n  \n", "no articles"),
        ("header.csv", "id,title\n", "no articles"),
        ("noid.jsonl", jsonl({"doc": 1, "title": "x"}), "columns found: doc, title; use --id-col"),
        ("x.parquet", "not parquet at all", "not a Parquet file"),
        ("x.xml", "<a/>", "use --input-format"),
        ("dups.csv", "id,body,body\n1,a,b\n", "duplicate column name"),
    ],
)
def test_bad_input_without_row(tmp_path: Path, name: str, content: str, fragment: str) -> None:
    path = put(tmp_path, name, content)
    with pytest.raises(InputError, match=fragment) as info:
        read_corpus(path)
    assert str(info.value).startswith(f"{path}: ")


def test_missing_file_and_unknown_mapping(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"nope\.jsonl: file not found"):
        read_corpus(tmp_path / "nope.jsonl")
    path = put(tmp_path, "a.jsonl", jsonl({"id": 1}))
    with pytest.raises(InputError, match="field 'hed': column given for headline not found"):
        read_corpus(path, columns={"headline": "hed"})


def test_write_text_formats(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    df = (
        sample()
        .select("id", "published")
        .with_columns(
            members=pl.Series([["a", "b"], [], None]), meta=pl.Series([{"k": 1}, None, {"k": 2}])
        )
    )
    write_table(df, tmp_path / "o.json", format="json")
    records = json.loads((tmp_path / "o.json").read_text())
    iso = "2019-05-31T00:00:00+00:00"
    assert records[0] == {"id": "1", "published": iso, "members": ["a", "b"], "meta": {"k": 1}}
    write_table(df, tmp_path / "o.csv", format="csv")
    lines = (tmp_path / "o.csv").read_text().splitlines()
    assert lines[0] == "id,published,members,meta"
    assert lines[1] == '1,2019-05-31T00:00:00+00:00,a|b,"{""k"":1}"'
    assert lines[3] == '3,2019-05-31T21:45:53+00:00,,"{""k"":2}"'
    write_table(df.drop("meta"), "-", format="jsonl")
    first = json.loads(capsys.readouterr().out.splitlines()[0])
    assert first == {"id": "1", "published": "2019-05-31T00:00:00+00:00", "members": ["a", "b"]}
    write_table(df, tmp_path / "o.jsonl.gz", format="jsonl")
    assert gzip.decompress((tmp_path / "o.jsonl.gz").read_bytes()).startswith(b'{"id":"1"')


def test_write_is_atomic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = put(tmp_path, "out.csv", "old content\n")
    bad = pl.DataFrame({"id": ["1"], "obj": pl.Series([object()], dtype=pl.Object)})
    with pytest.raises(Exception):  # noqa: B017 - whatever polars raises for Object columns
        write_table(bad, target, format="csv")
    assert target.read_text() == "old content\n"

    def fail(src: str, dst: str) -> None:
        raise OSError("disk on fire")

    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(OSError, match="disk on fire"):
        write_table(sample(), target, format="parquet")
    assert target.read_text() == "old content\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.csv"]
    monkeypatch.undo()
    write_table(sample(), target, format="csv")
    assert read_corpus(target)["id"].to_list() == ["1", "2", "3"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.csv"]
    with pytest.raises(ValueError, match="unknown output format"):
        write_table(sample(), target, format="xml")
