"""The analyst's outputs: roles and lags, clean headlines, per-article context and typed
evidence, --columns, dedup, the 80-column summary, the report's data and diffs."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

import syndup
from syndup import analysis
from syndup.cli import app
from syndup.htmlreport import build_html, report_data
from syndup.htmlreport.diff import diff_ops, paragraphs, summarize
from syndup.titles import display_headlines

REPO = Path(__file__).parent.parent
WIRE = REPO / "data" / "wire_1916.jsonl"


def run(*args: str, columns: int = 200):
    return CliRunner(env={"COLUMNS": str(columns)}).invoke(app, list(args))


@pytest.fixture(scope="module")
def result(wire_corpus: pl.DataFrame) -> syndup.Result:
    return syndup.cluster(wire_corpus)


def test_originators_republishers_and_lags(result: syndup.Result) -> None:
    m = analysis.members(result)
    s1 = m.filter(pl.col("cluster_id") == m.filter(pl.col("id") == "s1")["cluster_id"].item())
    # s1 (AP, 2025-03-03T09:00) files first; the copies lag it by their publication gaps.
    assert s1.filter(pl.col("is_originator"))["id"].to_list() == ["s1"]
    lags = dict(s1.select("id", "lag_hours").iter_rows())
    assert lags["s1"] == 0
    assert lags["s1-trim"] == pytest.approx(6.0)
    roles = analysis.outlet_roles(result)
    ap = roles.filter(pl.col("outlet") == "Associated Press").row(0, named=True)
    # AP filed s1 first; its own write-through is a copy of its first filing.
    assert ap["originated"] >= 1
    herald = roles.filter(pl.col("outlet") == "Herald-Banner").row(0, named=True)
    assert (herald["originated"], herald["republished"]) == (0, 1)
    assert herald["median_lag_hours"] == pytest.approx(6.0)
    matrix = analysis.copy_matrix(result, top=20)
    row = matrix.filter(pl.col("copier") == "Herald-Banner").row(0, named=True)
    assert row["origin"] == "Associated Press" and row["copies"] == 1


def test_overview_counts(result: syndup.Result) -> None:
    o = analysis.overview(result)
    dup = result.assignments.filter(~pl.col("is_canonical") & (pl.col("cluster_size") > 1))
    assert o["duplicates"] == dup.height > 0
    clustered = result.assignments.filter(pl.col("reason").is_null()).height
    assert o["duplication_rate"] == pytest.approx(dup.height / clustered, abs=1e-4)
    assert o["not_clustered"] == 1  # the "empty" record
    assert o["first_published"] < o["last_published"]
    assert o["span_days"] > 0


def test_display_headlines_are_single_clean_lines() -> None:
    heads = pl.Series(["  Two\nlines ", None, None, ""])
    bodies = pl.Series(
        ["x", "Voters approved the levee bond. More text follows here.", "word " * 60, None]
    )
    out = display_headlines(heads, bodies, width=40).to_list()
    assert out[0] == "Two lines"
    assert out[1] == "Voters approved the levee bond."
    assert out[2].endswith("…") and len(out[2]) <= 40 and "\n" not in out[2]
    assert out[3] == ""
    # Short paragraphs (a byline the cleanup kept) are skipped, a leading dateline dropped.
    body = "Paul Weber and Geoff Mulvihill, Associated Press\n\nNEW YORK (AP) - Voters in the town"
    body += " approved the levee bond on Tuesday after a long debate.\n\nMore."
    got = display_headlines(pl.Series([None], dtype=pl.String), pl.Series([body])).item()
    assert got == "Voters in the town approved the levee bond on Tuesday after a long debate."


def test_body_only_cluster_headline_skips_boilerplate(wire_corpus: pl.DataFrame) -> None:
    body_only = wire_corpus.with_columns(pl.lit(None, dtype=pl.String).alias("headline"))
    r = syndup.cluster(body_only)
    for head in r.clusters["headline"]:
        assert head and "\n" not in head
        assert not head.lower().startswith(("advertisement", "by reuters", "millbrook, iowa (ap)"))


def test_articles_carry_context_typed_evidence_and_columns(result: syndup.Result) -> None:
    out = analysis.articles(result, columns=["gold"])
    for col in ("headline", "outlet", "url", "published", "lag_hours", "gold"):
        assert col in out.columns
    for col in analysis.EVIDENCE_FIELDS:
        assert out.schema[col] in (pl.Float32, pl.Float64)
    trim = out.filter(pl.col("id") == "s1-trim").row(0, named=True)
    assert trim["gold"] == "s1" and trim["outlet"] == "Herald-Banner"
    assert trim["body_containment"] > 0.9
    with pytest.raises(syndup.SyndupError, match="no input column nope"):
        analysis.articles(result, columns=["nope"])


def test_cli_columns_and_typed_evidence_in_parquet(wire_file: Path, tmp_path: Path) -> None:
    out = tmp_path / "out.parquet"
    res = run("cluster", str(wire_file), "-o", str(out), "-q", "--columns", "gold")
    assert res.exit_code == 0, res.output
    df = pl.read_parquet(out)
    assert df.schema["body_containment"] == pl.Float32
    assert df.filter(pl.col("id") == "s2-trim")["gold"].item() == "s2"
    bad = run("cluster", str(wire_file), "-o", str(out), "-q", "--columns", "nope")
    assert bad.exit_code == 2 and "no input column nope" in bad.output


def test_dedup_writes_one_article_per_cluster(tmp_path: Path) -> None:
    out = tmp_path / "dedup.parquet"
    res = run("dedup", str(WIRE), "-o", str(out))
    assert res.exit_code == 0, res.output
    r = syndup.cluster(str(WIRE))
    dup = analysis.overview(r)["duplicates"]
    kept = pl.read_parquet(out)
    assert kept.height == 400 - dup
    assert f"400 articles in, {400 - dup:,} kept, {dup:,} copies removed" in res.output
    canon = set(r.assignments.filter(pl.col("is_canonical"))["id"])
    assert set(kept["id"]) == canon
    first = tmp_path / "first.jsonl"
    assert run("dedup", str(WIRE), "-o", str(first), "--keep", "first").exit_code == 0
    firsts = set(analysis.members(r).filter(pl.col("is_originator"))["id"])
    assert firsts <= set(pl.read_ndjson(first)["id"])


def test_summary_fits_80_columns_and_top_limits_everything() -> None:
    res = run("cluster", str(WIRE), "--top", "3", columns=80)
    assert res.exit_code == 0, res.output
    lines = res.output.splitlines()
    assert max(len(line) for line in lines) <= 80
    assert "duplication rate" in lines[0] and "days" in lines[1]
    assert "Originators" in res.output and "Republishers" in res.output
    members = lines[lines.index(next(x for x in lines if x.startswith("Articles in"))) :]
    rows = [x for x in members[3:] if x.strip() and "───" not in x]
    assert len(rows) <= 3 * 5  # 3 clusters: a title line, at most 3 members, a "more" line
    assert len(lines) < 60
    assert "body_j=" not in res.output  # evidence stays in the data outputs


def test_json_summary_has_roles(wire_file: Path, tmp_path: Path) -> None:
    out = tmp_path / "out.json"
    assert run("cluster", str(wire_file), "-o", str(out), "-q").exit_code == 0
    summary = json.loads(out.read_text())["summary"]
    assert summary["overview"]["duplicates"] > 0
    assert summary["originators"][0]["originated"] >= 1
    assert all(r["republished"] >= 1 for r in summary["republishers"])


def test_diff_ops_mark_trims_additions_and_edits() -> None:
    base = ["First para here.", "Second para has words.", "Third.", "Fourth tail."]
    member = ["Local intro.", "First para here.", "Second para has new words.", "Third."]
    ops = diff_ops(base, member)
    assert ops[0] == ["+", "Local intro."]
    assert ["=", 0] in ops and ["=", 2] in ops
    edited = next(op for op in ops if op[0] == "~")
    assert ["+", "new "] in edited[2]
    assert ops[-1] == ["-", 3, 1]  # trimmed tail
    assert summarize(ops) == {"shared": 2, "edited": 1, "added": 1, "removed": 0, "trimmed": 1}
    assert paragraphs("a\n\n  b  c \n\n\n") == ["a", "b c"]
    # A dropped byline is a removal, not a trimmed tail; the edited paragraph pairs with
    # the paragraph it resembles, not with the one at its position.
    story = "Voters in the river town approved the levee bond on Tuesday after a long debate."
    ops = diff_ops(["By Jane Roe, AP", story, "Tail."], [story.replace("Tuesday", "Monday")])
    assert ops[0] == ["-", 0, 0]
    assert ops[1][0] == "~" and ["-", "Tuesday "] in ops[1][2] and ["+", "Monday "] in ops[1][2]
    assert ops[2] == ["-", 2, 1]


def test_report_data_limits_text_to_full_clusters(wire_corpus: pl.DataFrame) -> None:
    r = syndup.cluster(wire_corpus)
    data = report_data(r, wire_corpus, full=1, chunk=1)
    assert len(data["index"]) == r.clusters.height
    first, *rest = data["chunks"]
    assert "diffs" in first[0] and first[0]["canon"]["paras"]
    assert len(rest) == r.clusters.height - 1
    assert all("diffs" not in c[0] for c in rest)
    assert data["meta"]["chunk_starts"] == list(range(r.clusters.height))
    html = build_html(data)
    assert "http://" not in html.replace("http://www.w3.org/2000/svg", "")
    assert "https://" not in html.split('id="meta"')[0]  # no external resource in the head
    assert html.count('id="chunk-') == r.clusters.height


def test_cluster_report_option_writes_the_page(wire_file: Path, tmp_path: Path) -> None:
    out, page = tmp_path / "out.jsonl", tmp_path / "report.html"
    res = run("cluster", str(wire_file), "-o", str(out), "--report", str(page))
    assert res.exit_code == 0, res.output
    html = page.read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>") and 'id="chunk-0"' in html
    assert f"report: {page}" in res.output
    assert pl.read_ndjson(out).height == 22  # every input record


@pytest.mark.parametrize("command", ["report", "dedup"])
def test_new_commands_have_help_and_docs(command: str) -> None:
    res = run(command, "--help")
    assert res.exit_code == 0 and len(res.output) > 200
    assert f"syndup {command} " in (REPO / "README.md").read_text(encoding="utf-8")
