"""The command line through typer's CliRunner: formats, errors, help for every command."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from syndup.cli import app

runner = CliRunner(env={"COLUMNS": "200"})


def run(*args: str, input: str | None = None):
    return runner.invoke(app, list(args), input=input)


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "parquet", "json"])
def test_cluster_writes_every_format(wire_file: Path, tmp_path: Path, fmt: str) -> None:
    out = tmp_path / f"out.{fmt}"
    res = run("cluster", str(wire_file), "-o", str(out), "-q")
    assert res.exit_code == 0, res.output
    if fmt == "json":
        doc = json.loads(out.read_text())
        assert doc["summary"]["clusters"] == 3
        assert len(doc["assignments"]) == 22  # every input row, "empty" unclustered
        return
    reader = {"jsonl": pl.read_ndjson, "csv": pl.read_csv, "parquet": pl.read_parquet}[fmt]
    df = reader(out)
    assert df.height == 22
    empty = df.filter(pl.col("id") == "empty")
    assert empty["cluster_id"].to_list() == [None] and "no usable text" in empty["reason"][0]
    assert {"id", "cluster_id", "canonical_id", "is_canonical", "similarity", "evidence"} <= set(
        df.columns
    )
    assert df.filter(pl.col("id") == "s1-trim")["canonical_id"].item() == "s1"


def test_cluster_table_to_stdout_and_summary(wire_file: Path) -> None:
    res = run("cluster", str(wire_file))
    assert res.exit_code == 0, res.output
    assert "3 clusters of 2+" in res.output
    assert "Largest clusters" in res.output and "River town votes" in res.output


def test_cluster_jsonl_to_stdout_from_stdin(wire_file: Path) -> None:
    res = run("cluster", "-", "--format", "jsonl", "-q", input=wire_file.read_text())
    assert res.exit_code == 0, res.output
    lines = [json.loads(x) for x in res.stdout.splitlines() if x.strip()]
    assert len(lines) == 22


def test_rejects_pairs_and_clusters_side_outputs(wire_file: Path, tmp_path: Path) -> None:
    rej, pairs, clusters = tmp_path / "rej.jsonl", tmp_path / "pairs.csv", tmp_path / "cl.parquet"
    res = run(
        "cluster",
        str(wire_file),
        "-f",
        "jsonl",
        "-q",
        "--rejects",
        str(rej),
        "--pairs",
        str(pairs),
        "--clusters",
        str(clusters),
    )
    assert res.exit_code == 0, res.output
    assert pl.read_ndjson(rej).select("id", "action").rows() == [("empty", "not_clustered")]
    assert "rule" in pl.read_csv(pairs).columns
    assert pl.read_parquet(clusters).height == 3


def test_column_mapping_options(tmp_path: Path, wire_corpus: pl.DataFrame) -> None:
    path = tmp_path / "odd.csv"
    wire_corpus.rename({"id": "doc_no", "body": "story_text"}).write_csv(path)
    res = run(
        "cluster", str(path), "-f", "csv", "-q", "--id-col", "doc_no", "--body-col", "story_text"
    )
    assert res.exit_code == 0, res.output
    assert "s1-trim" in res.stdout


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ('{"id": "a", "body": "x"}\n{"id": "b", "body": \n', "2"),
        ('{"id": "a", "body": "x"}\n{"id": "a", "body": "y"}\n', "duplicate"),
        ('{"title": "x"}\n', "id"),
        ("", "no articles"),
    ],
)
def test_bad_input_is_one_line_and_exit_3(tmp_path: Path, content: str, expected: str) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text(content)
    res = run("cluster", str(path))
    assert res.exit_code == 3
    assert "bad.jsonl" in res.output and expected in res.output
    assert "Traceback" not in res.output


def test_missing_file_and_bad_config(tmp_path: Path, wire_file: Path) -> None:
    res = run("cluster", str(tmp_path / "nope.jsonl"))
    assert res.exit_code == 3 and "nope.jsonl" in res.output
    cfg = tmp_path / "c.toml"
    cfg.write_text("[verify]\nrules = [{name = 'x', when = ['nonsense > 1']}]\n")
    res = run("cluster", str(wire_file), "--config", str(cfg))
    assert res.exit_code == 2 and "unknown feature" in res.output


def test_explain_pair(wire_file: Path) -> None:
    res = run("explain", str(wire_file), "s1", "s1-trim")
    assert res.exit_code == 0, res.output
    assert "MATCH" in res.output and "contained_body" in res.output
    res = run("explain", str(wire_file), "s1", "s5", "--format", "json")
    doc = json.loads(res.stdout)
    assert doc["match"] is False and doc["same_cluster"] is False
    failed = {r["rule"]: r["held"] for r in doc["rules"]}
    assert not any(failed.values())
    res = run("explain", str(wire_file), "s1", "missing-id")
    assert res.exit_code == 3 and "missing-id" in res.output


def test_config_prints_toml_that_loads_back(tmp_path: Path, wire_file: Path) -> None:
    res = run("config")
    assert res.exit_code == 0 and "[lsh]" in res.stdout
    cfg = tmp_path / "c.toml"
    cfg.write_text(res.stdout)
    assert run("cluster", str(wire_file), "-q", "-f", "jsonl", "-c", str(cfg)).exit_code == 0


@pytest.mark.parametrize("command", ["cluster", "explain", "evaluate", "config"])
def test_every_command_has_help(command: str) -> None:
    res = run(command, "--help")
    assert res.exit_code == 0
    assert len(res.output) > 200


def test_evaluate_run_and_score_with_gold_column(wire_file: Path) -> None:
    res = run("evaluate", str(wire_file), "--gold-col", "gold", "--format", "json")
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    assert doc["scores"]["pairwise_f1"] == 1.0
    assert doc["scores"]["gold_clusters"] == 3


def test_evaluate_prediction_file_against_gold_file(
    wire_file: Path, tmp_path: Path, wire_corpus: pl.DataFrame
) -> None:
    pred = tmp_path / "pred.jsonl"
    # A deliberately wrong prediction: s5 (same event, not a copy) joined to s1's cluster.
    rows = wire_corpus.select(
        "id",
        pl.when(pl.col("id") == "s5")
        .then(pl.lit("s1"))
        .otherwise(pl.col("gold"))
        .alias("cluster_id"),
    )
    rows.write_ndjson(pred)
    gold = tmp_path / "gold.csv"
    wire_corpus.select("id", pl.col("gold").alias("cluster")).write_csv(gold)
    res = run("evaluate", str(pred), "--gold", str(gold))
    assert res.exit_code == 0, res.output
    assert "false merges" in res.output and "s5" in res.output
    res = run("evaluate", str(wire_file), "--gold", str(gold), "-f", "jsonl", "-q")
    assert res.exit_code == 0 and res.stdout.strip() == ""  # no errors to list


def test_every_command_and_option_has_help() -> None:
    import typer.main

    group = typer.main.get_command(app)
    for name, command in group.commands.items():  # type: ignore[attr-defined]
        assert command.help and "()" not in command.help, name
        for param in command.params:
            if param.name == "help":
                continue
            assert getattr(param, "help", None), f"{name} {param.name} has no help"
        text = run(name, "-h").output
        assert "<bool>" not in text and "stderr_console" not in text
        assert "Exit codes: 0 success" in text


def test_version_short_help_and_debug_after_the_command(wire_file: Path) -> None:
    from syndup import __version__

    assert run("--version").output.strip() == f"syndup {__version__}"
    assert run("-h").exit_code == 0 and "cluster" in run("-h").output
    res = run("cluster", str(wire_file), "-q", "-f", "jsonl", "--debug")
    assert res.exit_code == 0, res.output


@pytest.mark.parametrize(
    ("toml", "fragment"),
    [
        ("[lsh]\nbody_threshold = 7.0\n", "[lsh] body_threshold must be between 0 and 1"),
        ("[signature]\nnum_perm = -5\n", "[signature] num_perm must be at least 1, got -5"),
        ("[signature]\nbatch_size = 0\n", "[signature] batch_size must be at least 1"),
        ("[verify]\nrules = [{name = 'x', when = ['nonsense > 1']}]\n", "rule 'x': unknown"),
        ("[cluster]\ncanonical_rules = ['biggest']\n", "unknown rule(s) biggest"),
        ("[lsh]\nbody_threshold = 'high'\n", "body_threshold must be float"),
        ("[nope]\n", "unknown config section"),
    ],
)
def test_config_is_checked_on_load_naming_file_and_key(
    tmp_path: Path, toml: str, fragment: str
) -> None:
    cfg = tmp_path / "bad.toml"
    cfg.write_text(toml)
    res = run("config", "-c", str(cfg))
    assert res.exit_code == 2, res.output
    assert f"{cfg}: " in res.output and fragment in res.output


def test_output_everywhere_and_only_formats_a_command_writes(
    wire_file: Path, tmp_path: Path
) -> None:
    table = tmp_path / "e.txt"
    res = run("evaluate", str(wire_file), "--gold-col", "gold", "-f", "table", "-o", str(table))
    assert res.exit_code == 0, res.output
    assert "pairwise_f1" in table.read_text()
    exp = tmp_path / "x.json"
    assert run("explain", str(wire_file), "s1", "s1-trim", "-o", str(exp)).exit_code == 0
    assert json.loads(exp.read_text())["rule"] == "contained_body"
    res = run("explain", str(wire_file), "s1", "s1-trim", "-f", "csv")
    assert res.exit_code == 2 and "Invalid value" in res.output  # not offered
    res = run("explain", str(wire_file), "s1", "s1-trim", "-o", str(tmp_path / "x.csv"))
    assert res.exit_code == 2 and "explain writes table, json or jsonl" in res.output
    cfg = tmp_path / "c.toml"
    assert run("config", "-o", str(cfg)).exit_code == 0 and "[lsh]" in cfg.read_text()
    out = tmp_path / "t.txt"
    assert run("cluster", str(wire_file), "-o", str(out)).exit_code == 0
    assert "Articles in clusters" in out.read_text()


def test_tsv_on_stdin_several_inputs_and_integer_ids(tmp_path: Path) -> None:
    body = "same words in every copy of this story"
    tsv = f"id\ttitle\tbody\n9\tA\t{body}\n10\tB\t{body}\n100\tC\t{body}\n"
    res = run("cluster", "-", "--input-format", "tsv", "-f", "jsonl", "-q", input=tsv)
    assert res.exit_code == 0, res.output
    rows = [json.loads(x) for x in res.stdout.splitlines()]
    assert [r["id"] for r in rows] == ["9", "10", "100"]  # TSV has no types: text ids
    (tmp_path / "a.jsonl").write_text(
        "".join(
            json.dumps({"id": i, "body": "same words in every copy of this story"}) + "\n"
            for i in (9, 10, 100)
        )
    )
    res = run("cluster", str(tmp_path / "a.jsonl"), "-f", "jsonl", "-q")
    rows = [json.loads(x) for x in res.stdout.splitlines()]
    assert {r["id"] for r in rows} == {9, 10, 100}  # integers stay integers
    assert {r["canonical_id"] for r in rows} == {9}  # smallest id compared as a number
    (tmp_path / "b.jsonl").write_text(json.dumps({"id": 7, "title": "other"}) + "\n")
    res = run("cluster", str(tmp_path / "b.jsonl"), str(tmp_path / "a.jsonl"), "-f", "jsonl", "-q")
    assert res.exit_code == 0, res.output
    rows = [json.loads(x) for x in res.stdout.splitlines()]
    assert [(r["id"], r["row"]) for r in rows] == [(7, 1), (9, 1), (10, 2), (100, 3)]  # as given
    assert rows[0]["file"].endswith("b.jsonl")


def test_library_tables_and_explanations_are_plain(wire_corpus: pl.DataFrame) -> None:
    import dataclasses

    import syndup

    result = syndup.cluster(wire_corpus)
    assert result.assignments.schema["cluster_size"] == result.clusters.schema["size"] == pl.Int64
    assert result.assignments.schema["rule"] == result.clusters.schema["decided_by"] == pl.String
    exp = syndup.explain(wire_corpus, "s1", "s1-trim")
    doc = exp.to_dict()
    assert set(doc) == {f.name for f in dataclasses.fields(exp)} | {"match"}
    for value in doc["features"].values():  # float32 values at their own precision
        assert not isinstance(value, float) or len(repr(value)) <= 8, value


def test_progress_has_one_bar_per_stage(wire_file: Path) -> None:
    from syndup.pipeline import Detector

    seen: list[str] = []
    detector = Detector(progress=lambda stage, done, total: seen.append(stage))
    detector.run(str(wire_file))
    stages = list(dict.fromkeys(seen))
    assert stages == ["read", "signatures", "candidates", "verify", "cluster"]
