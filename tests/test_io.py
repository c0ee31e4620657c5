"""Tests for syndup.io: real files in tmp_path, assertions on what was read or written."""

from __future__ import annotations

import datetime as dt
import gzip
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

from syndup.errors import InputError, OutputError
from syndup.io import STANDARD_COLUMNS, parse_dates, read_articles, read_corpus, write_table

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
    assert df["id"].to_list() == ["10", " 11 "]  # as given: no silent strip
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
    assert df.select("id", "id_orig", "row", "row_orig").row(0) == (5, "old", 1, 9)


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "parquet"])
def test_round_trip(tmp_path: Path, fmt: str) -> None:
    original = sample()
    path = tmp_path / f"out.{fmt}"
    write_table(original, path, format=fmt)
    again = read_corpus(path).drop("row_orig")
    if fmt == "csv":  # csv has no types: ids and extras come back as strings
        again = again.with_columns(pl.col("id", "cluster").cast(pl.Int64))
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
    with pytest.raises(InputError, match=r"<dataframe>:2: field 'uid': duplicate id '1' \(first"):
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
    ("idl.jsonl", '{"id": [1]}\n', 1, "id", "expected a string or integer id, got a list"),
    ("more.csv", "id,title,body\n1,a,b\n2,a,b,c\n", 2, None, "ragged row: 4 fields"),
    ("less.csv", "id,title,body\n1,a,b\n2,a\n", 2, "body", "ragged row: 2 fields"),
    ("quote.csv", 'id,title,body\n1,a,b\n2,"a,b\n3,c,d\n', 2, None, "unterminated quoted"),
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
        (
            "noid.jsonl",
            jsonl({"doc": 1, "title": "x"}),
            'found: doc, title; name it with columns={"id"',
        ),
        ("x.parquet", "not parquet at all", "not a Parquet file"),
        ("x.xml", "<a/>", "set format to one of jsonl, json, csv, tsv, parquet"),
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
    assert records[0] == {"id": 1, "published": iso, "members": ["a", "b"], "meta": {"k": 1}}
    write_table(df, tmp_path / "o.csv", format="csv")
    lines = (tmp_path / "o.csv").read_text().splitlines()
    assert lines[0] == "id,published,members,meta"
    assert lines[1] == '1,2019-05-31T00:00:00+00:00,a|b,"{""k"":1}"'
    assert lines[3] == '3,2019-05-31T21:45:53+00:00,,"{""k"":2}"'
    write_table(df.drop("meta"), "-", format="jsonl")
    first = json.loads(capsys.readouterr().out.splitlines()[0])
    assert first == {"id": 1, "published": "2019-05-31T00:00:00+00:00", "members": ["a", "b"]}
    write_table(df, tmp_path / "o.jsonl.gz", format="jsonl")
    assert gzip.decompress((tmp_path / "o.jsonl.gz").read_bytes()).startswith(b'{"id":1')


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
    with pytest.raises(OutputError, match="unknown output format"):
        write_table(sample(), target, format="xml")


# --- reading policy --------------------------------------------------------------------


def test_bad_optional_values_are_nulled_and_listed(tmp_path: Path) -> None:
    path = put(
        tmp_path,
        "a.jsonl",
        jsonl(
            {"id": "a", "title": "t", "outlet": 7, "date": "soon"},
            {"id": "b", "title": "u", "url": ["x"], "date": "2019-05-31"},
        ),
    )
    reading = read_articles(path)
    assert reading.records == 2 and reading.table.height == 2
    assert reading.table["outlet"].to_list() == [None, None]
    assert reading.table["url"].to_list() == [None, None]
    assert reading.table["published"].to_list() == [None, dt.datetime(2019, 5, 31, tzinfo=UTC)]
    problems = reading.problems.select("row", "id", "field", "value", "action").rows()
    assert sorted(problems) == [
        (1, "a", "date", "soon", "nulled"),
        (1, "a", "outlet", "7", "nulled"),
        (2, "b", "url", '["x"]', "nulled"),
    ]
    with pytest.raises(InputError) as info:
        read_corpus(path, strict=True)
    assert len(info.value.problems) == 3
    assert "3 unreadable record(s) in total" in str(info.value)


def test_every_unreadable_record_is_listed_then_capped(tmp_path: Path) -> None:
    lines = "".join(
        f'{{"id": {i}, "body": \n' if i % 2 else jsonl({"id": i, "body": "x"}) for i in range(60)
    )
    path = put(tmp_path, "a.jsonl", lines)
    with pytest.raises(InputError) as info:
        read_corpus(path)
    err = info.value
    assert len(err.problems) == 30
    assert [p.row for p in err.problems[:3]] == [2, 4, 6]
    message = str(err).splitlines()
    assert len(message) == 21  # the first 20 and the total
    assert message[-1].startswith("30 unreadable record(s) in total (the first 20 above)")
    reading = read_articles(path, on_error="reject")
    assert reading.records == 60 and reading.table.height == 30
    rejected = reading.rejected
    assert rejected.height == 30 and rejected["raw"][0] == '{"id": 1, "body": '
    assert reading.table["id"].to_list() == list(range(0, 60, 2))


def test_reject_sets_aside_duplicates_and_bad_types_with_raw_text(tmp_path: Path) -> None:
    path = put(
        tmp_path,
        "a.jsonl",
        jsonl({"id": "a", "title": "t"}, {"id": "b", "title": 5}, {"id": "a", "title": "again"}),
    )
    reading = read_articles(path, on_error="reject")
    assert reading.table["id"].to_list() == ["a"]
    rows = reading.rejected.select("row", "field", "reason").rows()
    assert rows == [
        (2, "title", "expected a string, got a number"),
        (3, "id", "duplicate id 'a' (first at row 1)"),
    ]
    assert json.loads(reading.rejected["raw"][1]) == {"id": "a", "headline": "again"} | {
        k: None for k in ("body", "outlet", "url", "published")
    }


@pytest.mark.parametrize(
    ("value", "expected", "note"),
    [
        ("Fri, 31 May 2019 17:45:53 GMT", dt.datetime(2019, 5, 31, 17, 45, 53), None),
        ("Fri, 31 May 2019 13:45:53 EDT", dt.datetime(2019, 5, 31, 17, 45, 53), None),
        ("May 31, 2019", dt.datetime(2019, 5, 31), None),
        ("31 May 2019", dt.datetime(2019, 5, 31), None),
        ("20190531", dt.datetime(2019, 5, 31), None),
        ("1559324753", dt.datetime(2019, 5, 31, 17, 45, 53), None),
        ("1559324753000", dt.datetime(2019, 5, 31, 17, 45, 53), None),
        (
            "27-MAR-1987 00:02:59.13&#5;&#5;&#5;RM",
            dt.datetime(1987, 3, 27, 0, 2, 59, 130000),
            "trailing text ignored",
        ),
        (
            "9-APR-1987 00:00:00.00    # date added by S Finch as guesswork",
            dt.datetime(1987, 4, 9),
            "trailing text ignored",
        ),
        ("31-MAR-1987 605:12:19.12", None, "invalid time of day '605:12:19.12'"),
        ("05/06/2019", None, "ambiguous day/month order"),
        ("soon", None, "unrecognised date"),
    ],
)
def test_date_forms(value: str, expected: dt.datetime | None, note: str | None) -> None:
    parsed, notes = parse_dates(pl.Series([value]))
    want = expected.replace(tzinfo=UTC) if expected else None
    assert parsed.to_list() == [want]
    assert (notes[0] is None) if note is None else (note in notes[0])


def test_date_format_and_numeric_epochs() -> None:
    parsed, notes = parse_dates(pl.Series(["05/06/2019"]), date_format="%d/%m/%Y")
    assert parsed.to_list() == [dt.datetime(2019, 6, 5, tzinfo=UTC)] and notes[0] is None
    parsed, _ = parse_dates(pl.Series([1559324753, 1559324753000, None]))
    assert parsed.to_list() == [dt.datetime(2019, 5, 31, 17, 45, 53, tzinfo=UTC)] * 2 + [None]


def test_ids_round_trip_as_given(tmp_path: Path) -> None:
    ints = read_corpus(put(tmp_path, "i.jsonl", jsonl({"id": 9}, {"id": 10}, {"id": 100})))
    assert ints.schema["id"] == pl.Int64 and ints["id"].to_list() == [9, 10, 100]
    spaced = read_corpus(put(tmp_path, "s.jsonl", jsonl({"id": " a "}, {"id": "a"})))
    assert spaced["id"].to_list() == [" a ", "a"]  # distinct ids, nothing stripped
    floats = read_corpus(pl.DataFrame({"id": [1.0, 2.0]}))
    assert floats["id"].to_list() == [1, 2]


def test_json_arrays_tsv_stdin_encoding(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    arr = put(tmp_path, "a.json", json.dumps([{"id": "x", "title": "T"}, {"id": "y"}]))
    df = read_corpus(arr)
    assert df["id"].to_list() == ["x", "y"] and df["row"].to_list() == [1, 2]
    tsv = b"id\ttitle\n1\tA, b\n"
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(tsv)))
    assert read_corpus("-", format="tsv")["headline"].to_list() == ["A, b"]
    latin = put(tmp_path, "l.csv", "id,title\n1,café\n".encode("latin-1"))
    with pytest.raises(InputError, match="not valid UTF-8"):
        read_corpus(latin)
    assert read_corpus(latin, encoding="latin-1")["headline"].to_list() == ["café"]


def test_several_inputs_and_globs(tmp_path: Path) -> None:
    put(tmp_path, "a.jsonl", jsonl({"id": "a", "title": "A"}))
    put(tmp_path, "b.csv", "id,title\nb,B\n")
    df = read_corpus(str(tmp_path / "*.*"))
    assert df["id"].to_list() == ["a", "b"]
    assert df["file"].to_list() == [str(tmp_path / "a.jsonl"), str(tmp_path / "b.csv")]
    put(tmp_path, "c.jsonl", jsonl({"id": "a", "title": "again"}))
    with pytest.raises(InputError, match=r"c\.jsonl:1: field 'id': duplicate id 'a' \(first at "):
        read_corpus([tmp_path / "a.jsonl", tmp_path / "c.jsonl"])
    with pytest.raises(InputError, match="no file matches"):
        read_corpus(str(tmp_path / "*.nothing"))


def test_every_library_input_goes_through_one_validation() -> None:
    df = pl.DataFrame({"id": ["a", "a"], "row": [1, 2], "title": ["x", "y"]})
    with pytest.raises(InputError, match="<dataframe>:2: field 'id': duplicate id 'a'"):
        read_corpus(df)  # a column named row does not skip validation
    ok = read_corpus(df.with_columns(pl.Series("id", ["a", "b"])))
    assert ok["row_orig"].to_list() == [1, 2] and ok["row"].to_list() == [1, 2]
    assert read_corpus(ok).equals(ok)  # a standard table passes through unchanged
    lazy = read_corpus(pl.LazyFrame({"id": [1, 2], "body": ["x", "y"]}))
    assert lazy["id"].to_list() == [1, 2]
    with pytest.raises(InputError, match="source must be a path"):
        read_corpus(42)
    with pytest.raises(InputError, match=r"no id column.*columns=\{\"id\": \.\.\.\}"):
        read_corpus(pl.DataFrame({"doc": [1]}))


def test_pandas_input() -> None:
    pd = pytest.importorskip("pandas")
    out = read_corpus(pd.DataFrame({"id": [3, 4], "text": ["x", None]}))
    assert out["id"].to_list() == [3, 4] and out["body"].to_list() == ["x", None]


def test_header_only_csv_under_load(tmp_path: Path) -> None:
    """pyarrow's threaded CSV reader could abort the interpreter at exit (exit 134) on a
    header-only file while the machine was busy; header-only input never reaches it now,
    and the reader runs single-threaded."""
    path = put(tmp_path, "h.csv", "id,headline,body\n")
    code = (
        "import sys, syndup\n"
        "try:\n    syndup.read_corpus(sys.argv[1])\nexcept syndup.InputError as e:\n"
        "    print(e); sys.exit(3)\n"
    )
    busy = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(2)]
    try:
        for _ in range(5):
            run = subprocess.run(
                [sys.executable, "-c", code, str(path)], capture_output=True, text=True
            )
            assert run.returncode == 3, run.stderr
            assert "no articles (only a header line)" in run.stdout
    finally:
        for proc in busy:
            proc.kill()
            proc.wait()


REUTERS = Path("/work/shared/data/reuters21578/articles.parquet")


@pytest.mark.skipif(not REUTERS.exists(), reason="shared Reuters-21578 corpus not present")
def test_reuters_reads_in_one_go_with_its_bad_dates_listed() -> None:
    reading = read_articles(REUTERS)
    assert reading.records == reading.table.height == 21578
    dates = reading.problems.filter(pl.col("field") == "published")
    by_row = {r["row"]: r for r in dates.iter_rows(named=True)}
    assert by_row[10279]["action"] == "salvaged"  # '27-MAR-1987 00:02:59.13&#5;&#5;&#5;RM'
    assert by_row[15370]["action"] == "salvaged"  # '... # date added by S Finch as guesswork'
    assert by_row[17192]["action"] == "nulled"  # '31-MAR-1987 605:12:19.12'
    assert reading.table["published"][10278] == dt.datetime(1987, 3, 27, 0, 2, 59, 130000, UTC)


def test_dates_parsed_one_at_a_time_equal_a_column() -> None:
    """A few values try every form in one pass, a column one form at a time on what is
    left: the same times and notes either way."""
    values = [
        "2019-01-01T00:01:38Z",
        "2019-01-01 00:01:38+0100",
        "1546300898",
        "1546300898000",
        "20190101",
        "26-FEB-1987 15:01:01.79",
        "2019/01/05",
        "2019-01-01T00:01",
        "Tue, 05 Mar 2019 10:00:00 GMT",
        "garbage",
        "",
        None,
        "1700-01-01",
    ] * 10
    parsed, notes = parse_dates(pl.Series(values, dtype=pl.String))
    assert parsed.null_count() < len(values)
    for i, value in enumerate(values):
        one, note = parse_dates(pl.Series([value], dtype=pl.String))
        assert one[0] == parsed[i] and note[0] == notes[i], value
