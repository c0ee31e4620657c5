"""The malformed-input corpus (tests/malformed/, see make_cases.py): for every case the
exit code and message of `syndup cluster`, never a traceback, and rows in = rows out."""

from __future__ import annotations

import csv
import shlex
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from syndup.cli import app

HERE = Path(__file__).parent / "malformed"
with (HERE / "cases.csv").open(newline="") as _fh:
    CASES = list(csv.DictReader(_fh))
runner = CliRunner(env={"COLUMNS": "200"})


def test_the_corpus_is_big_enough_and_complete() -> None:
    assert len(CASES) >= 50
    assert {int(c["exit"]) for c in CASES} >= {0, 2, 3}
    for case in CASES:
        assert (HERE / case["file"]).exists(), case["file"]


@pytest.mark.parametrize("case", CASES, ids=[c["file"] for c in CASES])
def test_case_exit_code_and_message(case: dict[str, str], tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    args = ["cluster", str(HERE / case["file"]), "-o", str(out), *shlex.split(case["args"])]
    res = runner.invoke(app, args)
    assert res.exit_code == int(case["exit"]), res.output
    assert case["fragment"] in res.output
    assert "Traceback" not in res.output and "internal error" not in res.output
    if res.exit_code == 0:
        assert pl.read_ndjson(out).height == int(case["records"])  # rows in = rows out
    else:
        assert not out.exists()  # nothing half-written
        assert list(tmp_path.iterdir()) == []  # no temporaries left either


@pytest.mark.parametrize(
    "case", [c for c in CASES if c["records"]], ids=[c["file"] for c in CASES if c["records"]]
)
def test_rows_in_equal_rows_out_when_rejecting(case: dict[str, str], tmp_path: Path) -> None:
    """With --on-error reject every readable file runs; each record is in the output, the
    rejected ones with their reason, and listed in --rejects with their raw text."""
    out, rej = tmp_path / "out.jsonl", tmp_path / "rejects.jsonl"
    extra = [a for a in shlex.split(case["args"]) if a != "--on-error" and a != "reject"]
    args = ["cluster", str(HERE / case["file"]), "-q", "-o", str(out), "--rejects", str(rej)]
    res = runner.invoke(app, [*args, "--on-error", "reject", *extra])
    if res.exit_code == 3:  # every record was unreadable: nothing to cluster
        assert f"no readable records: all {case['records']} were rejected" in res.output
        return
    assert res.exit_code == 0, res.output
    rows = pl.read_ndjson(out)
    assert rows.height == int(case["records"])
    problems = pl.read_ndjson(rej) if rej.stat().st_size else pl.DataFrame()
    rejected = problems.filter(pl.col("action") == "rejected") if problems.height else problems
    unclustered = rows.filter(pl.col("cluster_id").is_null())
    assert unclustered.height >= rejected.height
    if rejected.height:
        assert rejected["raw"].null_count() == 0
        assert unclustered["reason"].str.starts_with("unreadable record").sum() == rejected.height
