"""Writes the malformed-input corpus (files beside this script) and ``cases.csv``, the table
of what ``syndup cluster FILE ARGS`` must do with each: exit code, a fragment of the message
and, for runs that can go on, the number of input records (output rows must equal it).

Run ``python tests/malformed/make_cases.py`` after editing CASES; the files are committed.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
from pathlib import Path

import polars as pl

HERE = Path(__file__).parent
OK = [
    {"id": "a1", "title": "Levee vote passes in river town", "body": "Voters approved the bond."},
    {"id": "a2", "title": "Chip plant planned", "body": "Norvane will build a plant."},
    {"id": "a3", "title": "Storm hits coast", "body": "A storm hit the coast on Monday."},
]


def jl(*records: object) -> bytes:
    return b"".join(json.dumps(r).encode() + b"\n" for r in records)


def csv_bytes(rows: list[list[str]], sep: str = ",") -> bytes:
    buf = io.StringIO()
    csv.writer(buf, delimiter=sep, lineterminator="\n").writerows(rows)
    return buf.getvalue().encode()


def parquet(df: pl.DataFrame) -> bytes:
    buf = io.BytesIO()
    df.write_parquet(buf)
    return buf.getvalue()


HEAD = [["id", "title", "body"]]
ROWS = [[r["id"], r["title"], r["body"]] for r in OK]
many_bad = b"".join(
    (b'{"id": "b%d", "body": \n' % i) if i % 4 else jl({"id": f"g{i}", "body": f"text {i}"})
    for i in range(40)
)
deep = b'{"id": "d1", "body": ' + b"[" * 5_000 + b"]" * 5_000 + b"}\n"

# name, content, args, exit code, message fragment, records (None: the run cannot go on)
CASES: list[tuple[str, bytes, str, int, str, int | None]] = [
    ("ok.jsonl", jl(*OK), "", 0, "articles", 3),
    ("empty.jsonl", b"", "", 3, "no articles (the input is empty)", None),
    ("blank.jsonl", b"\n  \n\n", "", 3, "no articles", None),
    (
        "truncated_line.jsonl",
        jl(OK[0]) + b'{"id": "x", "body": \n' + jl(OK[1]),
        "",
        3,
        "truncated_line.jsonl:2: field 'body': invalid JSON",
        3,
    ),
    ("many_bad.jsonl", many_bad, "", 3, "30 unreadable record(s) in total (the first 20", 40),
    ("list_line.jsonl", jl(OK[0]) + b"[1, 2]\n", "", 3, "expected a JSON object, got a list", 2),
    ("string_line.jsonl", jl(OK[0]) + b'"hello"\n', "", 3, "got a string", 2),
    ("number_line.jsonl", jl(OK[0]) + b"42\n", "", 3, "got a number", 2),
    (
        "title_number.jsonl",
        jl(OK[0], {"id": "x", "title": 5}),
        "",
        3,
        ":2: field 'title': expected a string, got a number",
        2,
    ),
    ("body_object.jsonl", jl({"id": "x", "body": {"a": 1}}, OK[1]), "", 3, "got an object", 2),
    ("body_list.jsonl", jl(OK[0], {"id": "x", "body": ["a"]}), "", 3, "got a list", 2),
    ("body_bool.jsonl", jl(OK[0], {"id": "x", "body": True}), "", 3, "got a boolean", 2),
    ("outlet_number.jsonl", jl(OK[0], {**OK[1], "outlet": 7}), "", 0, "1 nulled (outlet)", 2),
    (
        "outlet_number_strict.jsonl",
        jl(OK[0], {**OK[1], "outlet": 7}),
        "--strict",
        3,
        "field 'outlet': expected a string, got a number",
        2,
    ),
    ("url_list.jsonl", jl(OK[0], {**OK[1], "url": ["x"]}), "", 0, "1 nulled (url)", 2),
    (
        "bad_utf8.jsonl",
        jl(OK[0]) + b'{"id": "x", "body": "caf\xe9"}\n',
        "",
        3,
        ":2: field 'body': not valid UTF-8 (byte 0xe9); see --encoding",
        2,
    ),
    (
        "latin1.jsonl",
        b'{"id": "x", "body": "caf\xe9 cr\xe8me"}\n',
        "--encoding latin-1",
        0,
        "articles",
        1,
    ),
    ("bad_encoding_name.jsonl", jl(OK[0]), "--encoding klingon", 3, "unknown encoding", None),
    ("bom.jsonl", b"\xef\xbb\xbf" + jl(*OK), "", 0, "articles", 3),
    ("nan.jsonl", jl(OK[0]) + b'{"id": "x", "body": NaN}\n', "", 3, "NaN is not a JSON value", 2),
    ("null_id.jsonl", jl(OK[0], {"id": None, "title": "x"}), "", 3, "missing or empty id", 2),
    ("blank_id.jsonl", jl(OK[0], {"id": "  ", "title": "x"}), "", 3, "missing or empty id", 2),
    (
        "dup_id.jsonl",
        jl(*OK, {**OK[0], "title": "again"}),
        "",
        3,
        ":4: field 'id': duplicate id 'a1' (first at row 1)",
        4,
    ),
    (
        "id_list.jsonl",
        jl({"id": [1], "title": "x"}),
        "",
        3,
        "expected a string or integer id, got a list",
        1,
    ),
    ("id_bool.jsonl", jl({"id": True, "title": "x"}), "", 3, "got a boolean", 1),
    ("id_float.jsonl", jl({"id": 1.5, "title": "x"}), "", 3, "got a number", 1),
    ("no_id.jsonl", jl({"doc": 1, "title": "x"}), "", 3, "no id column", None),
    ("no_id_hint.jsonl", jl({"doc": 1, "title": "x"}), "", 3, "name it with --id-col", None),
    ("id_col_missing.jsonl", jl(*OK), "--id-col nope", 3, "column given for id not found", None),
    ("date_soon.jsonl", jl(OK[0], {**OK[1], "date": "soon"}), "", 0, "unrecognised date", 2),
    (
        "date_ambiguous.jsonl",
        jl({**OK[0], "date": "05/06/2019"}),
        "",
        0,
        "ambiguous day/month order",
        1,
    ),
    (
        "date_ambiguous_strict.jsonl",
        jl({**OK[0], "date": "05/06/2019"}),
        "--strict",
        3,
        "ambiguous day/month order; give the form with --date-format",
        1,
    ),
    (
        "date_dmy.jsonl",
        jl({**OK[0], "date": "31/05/2019"}),
        "--date-format %d/%m/%Y",
        0,
        "articles",
        1,
    ),
    (
        "date_reuters_junk.jsonl",
        jl({**OK[0], "date": "27-MAR-1987 00:02:59.13&#5;&#5;RM"}),
        "",
        0,
        "1 salvaged (date)",
        1,
    ),
    (
        "date_bad_time.jsonl",
        jl({**OK[0], "date": "31-MAR-1987 605:12:19.12"}),
        "",
        0,
        "invalid time of day",
        1,
    ),
    (
        "date_forms.jsonl",
        jl(
            {**OK[0], "date": "Fri, 31 May 2019 17:45:53 GMT"},
            {**OK[1], "date": "May 31, 2019"},
            {**OK[2], "date": "20190531"},
            {"id": "a4", "title": "Epoch", "date": "1559324753"},
            {"id": "a5", "title": "Epoch ms", "date": "1559324753000"},
        ),
        "",
        0,
        "articles",
        5,
    ),
    ("date_number.jsonl", jl({**OK[0], "date": 1559324753}), "", 0, "articles", 1),
    ("date_bool.jsonl", jl({**OK[0], "date": True}), "", 0, "expected a date", 1),
    ("corrupt.jsonl.gz", gzip.compress(jl(*OK))[:30], "", 3, "corrupt gzip", None),
    ("ok.jsonl.gz", gzip.compress(jl(*OK)), "", 0, "articles", 3),
    ("deep.jsonl", jl(OK[0]) + deep, "", 3, "nested too deeply", 2),
    (
        "no_text.jsonl",
        jl(OK[0], {"id": "e", "title": "  ", "body": ""}),
        "",
        0,
        "1 not_clustered",
        2,
    ),
    ("row_key.jsonl", jl({**OK[0], "row": 99}), "", 0, "articles", 1),
    (
        "two_objects_one_line.jsonl",
        b'{"id": "a"}{"id": "b"}\n' + jl(OK[1]),
        "",
        3,
        "invalid JSON: Extra data",
        2,
    ),
    ("array.json", json.dumps(OK).encode(), "", 0, "articles", 3),
    ("array_in_jsonl.jsonl", json.dumps(OK, indent=1).encode(), "", 0, "articles", 3),
    ("array_syntax.json", json.dumps(OK).encode()[:-5], "", 3, "invalid JSON", None),
    ("object.json", json.dumps(OK[0]).encode(), "", 3, "expected a JSON array of objects", None),
    (
        "array_mixed.json",
        json.dumps([*OK, 5]).encode(),
        "",
        3,
        ":4: expected a JSON object, got a number",
        4,
    ),
    ("ok.csv", csv_bytes(HEAD + ROWS), "", 0, "articles", 3),
    ("header_only.csv", b"id,headline,body\n", "", 3, "no articles (only a header line)", None),
    (
        "ragged_more.csv",
        csv_bytes(HEAD + ROWS + [["x", "a", "b", "c"]]),
        "",
        3,
        ":4: ragged row: 4 fields but the header has 3",
        4,
    ),
    (
        "ragged_less.csv",
        csv_bytes(HEAD + ROWS[:1] + [["x", "a"]]),
        "",
        3,
        ":2: field 'body': ragged row: 2 fields",
        2,
    ),
    (
        "unterminated.csv",
        b'id,title,body\n1,a,b\n2,"a,b\n3,c,d\n',
        "",
        3,
        "unterminated quoted field",
        None,
    ),
    (
        "bad_utf8.csv",
        b"id,title,body\n1,a,b\n2,\xff,b\n",
        "",
        3,
        ":2: field 'title': not valid UTF-8",
        2,
    ),
    (
        "latin1.csv",
        b"id,title,body\n1,caf\xe9,cr\xe8me br\xfbl\xe9e\n",
        "--encoding latin-1",
        0,
        "articles",
        1,
    ),
    ("dup_header.csv", b"id,body,body\n1,a,b\n", "", 3, "duplicate column name", None),
    ("empty.csv", b"", "", 3, "no articles", None),
    ("dup_id.csv", csv_bytes(HEAD + ROWS + [ROWS[1]]), "", 3, "duplicate id 'a2'", 4),
    ("empty_id.csv", csv_bytes(HEAD + ROWS + [["", "t", "b"]]), "", 3, "missing or empty id", 4),
    ("crlf.csv", csv_bytes(HEAD + ROWS).replace(b"\n", b"\r\n"), "", 0, "articles", 3),
    (
        "quoted_newlines.csv",
        csv_bytes([*HEAD, ["q", "Two\nlines", "Body\n\nparas"]]),
        "",
        0,
        "articles",
        1,
    ),
    (
        "bad_date.csv",
        csv_bytes([["id", "title", "date"], ["1", "t", "yesterday"]]),
        "",
        0,
        "unrecognised date",
        1,
    ),
    ("ok.tsv", csv_bytes(HEAD + ROWS, "\t"), "", 0, "articles", 3),
    ("ragged.tsv", csv_bytes(HEAD + ROWS, "\t") + b"x\ty\n", "", 3, "ragged row", 4),
    ("tsv_as_csv.txt", csv_bytes(HEAD + ROWS, "\t"), "--input-format tsv", 0, "articles", 3),
    ("not_parquet.parquet", b"PAR1 not really", "", 3, "not a Parquet file", None),
    ("ok.parquet", parquet(pl.DataFrame(OK)), "", 0, "articles", 3),
    (
        "int_ids.parquet",
        parquet(pl.DataFrame({"id": [9, 10, 100], "body": ["x y z"] * 3})),
        "",
        0,
        "articles",
        3,
    ),
    (
        "int_outlet.parquet",
        parquet(pl.DataFrame(OK).with_columns(outlet=pl.lit(5))),
        "",
        0,
        "3 nulled (outlet)",
        3,
    ),
    (
        "list_body.parquet",
        parquet(pl.DataFrame({"id": ["1"], "body": [["a"]]})),
        "",
        3,
        "expected a string, got a list",
        1,
    ),
    (
        "null_ids.parquet",
        parquet(pl.DataFrame({"id": [None, "b"], "body": ["x", "y"]})),
        "",
        3,
        "missing or empty id",
        2,
    ),
    ("unknown.xml", b"<a/>", "", 3, "use --input-format", None),
    ("unknown_format_flag.jsonl", jl(*OK), "--input-format xml", 2, "Invalid value", None),
    ("many_bad_reject.jsonl", many_bad, "--on-error reject", 0, "30 rejected", 40),
]


def main() -> None:
    for old in HERE.iterdir():
        if old.name not in ("make_cases.py", "cases.csv", "__pycache__"):
            old.unlink()
    with open(HERE / "cases.csv", "w", newline="") as fh:
        out = csv.writer(fh, lineterminator="\n")
        out.writerow(["file", "args", "exit", "fragment", "records"])
        for name, content, args, code, fragment, records in CASES:
            (HERE / name).write_bytes(content)
            out.writerow([name, args, code, fragment, "" if records is None else records])


if __name__ == "__main__":
    main()
