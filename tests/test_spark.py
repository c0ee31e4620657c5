"""The Spark engine against the local engine: same assignments, row for row.

One SparkSession (local[2]) for the whole test run; skipped when pyspark or Java is missing.
The corpora: a generated one from the bundled public-domain sample (no shared data needed),
the bundled wire corpus through the CLI, and dev_labelled when the shared data is present.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from typer.testing import CliRunner

import syndup
from syndup.cli import app
from syndup.engines import EngineError, get_engine

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("SYNDUP_SHARED_DATA", ROOT.parent / "shared" / "data"))
COLUMNS = ["id", "cluster_id", "cluster_size", "canonical_id", "is_canonical", "rule", "row"]
CI_ARTICLES = 20_000  # the issue asks for 20k in CI: ~1-2 min of Spark on a quiet machine

needs_spark = pytest.mark.skipif(
    sys.version_info < (3, 11)
    or shutil.which("java") is None
    or not __import__("importlib").util.find_spec("pyspark"),
    reason="needs pyspark (pip install 'syndup[spark]') and a Java 17 runtime",
)


@pytest.fixture(scope="session")
def spark():
    from syndup.engines.spark import session

    spark = session("local[2]")
    yield spark
    spark.stop()


def local_and_spark(spark, data) -> tuple[pl.DataFrame, pl.DataFrame]:
    local = syndup.cluster(data).assignments
    result = get_engine("spark", spark=spark).run(data)
    remote = pl.from_arrow(result.assignments.toArrow())
    assert isinstance(remote, pl.DataFrame)
    assert remote.columns == local.columns  # the same columns, in the same order
    local = local.select(COLUMNS).with_columns(
        pl.col("id", "canonical_id").cast(pl.String), pl.col("row").cast(pl.Int64)
    )
    return local.sort("id"), remote.select(COLUMNS).sort("id")


def assert_same(local: pl.DataFrame, remote: pl.DataFrame) -> None:
    assert remote.height == local.height
    diff = local.join(remote, on="id", how="full", suffix="_spark", coalesce=True)
    for col in COLUMNS[1:]:
        bad = diff.filter(pl.col(col).ne_missing(pl.col(f"{col}_spark")))
        assert bad.height == 0, f"{col} differs on {bad.height} rows:\n{bad.head(5)}"


@needs_spark
def test_generated_corpus_parity(spark, tmp_path, monkeypatch) -> None:
    sys.path.insert(0, str(ROOT))
    from benchmarks import generate as gen

    monkeypatch.setenv("SYNDUP_SHARED_DATA", str(tmp_path / "missing"))  # bundled sample only
    corpus = gen.generate_corpus(CI_ARTICLES, seed=7)
    path = tmp_path / "gen.parquet"
    corpus.write_parquet(path)
    local, remote = local_and_spark(spark, str(path))
    assert (local["cluster_size"] > 1).sum() > CI_ARTICLES // 4  # many real clusters
    assert local["rule"].n_unique() > 2  # several rules decide
    assert_same(local, remote)


@needs_spark
@pytest.mark.parametrize("style", ["realistic", "templated"])
def test_scraped_page_styles_parity(spark, tmp_path, monkeypatch, style) -> None:
    # The page styles dev_labelled's real pages have, from the bundled sample (CI has no
    # shared data): write-through chains, furniture, roundups, templated notices, OCR
    # (realistic); outlet page templates with related-headline footers (templated). They
    # exercise the rules, the boilerplate learner and the chain guard that plain copies do not.
    sys.path.insert(0, str(ROOT))
    from benchmarks import generate as gen
    from benchmarks import generate_pages as pages

    monkeypatch.setenv("SYNDUP_SHARED_DATA", str(tmp_path / "missing"))  # bundled sample only
    if style == "realistic":
        corpus = gen.generate_corpus(4_000, seed=5, profile="realistic", ocr_rate=0.02)
    else:
        corpus = pages.generate_pages(4_000, seed=5)
    path = tmp_path / f"{style}.parquet"
    corpus.write_parquet(path)
    local, remote = local_and_spark(spark, str(path))
    assert (local["cluster_size"] > 1).sum() > 400  # real clusters, not singletons
    assert local["rule"].n_unique() > 3  # several rules decide
    assert_same(local, remote)


@needs_spark
def test_dev_labelled_parity(spark) -> None:
    sets = [SHARED / "dev_labelled" / s / "articles.parquet" for s in ("census", "spotify")]
    sets = [p for p in sets if p.is_file()]
    if not sets:
        pytest.skip("shared dev_labelled data not present")
    for path in sets:
        assert_same(*local_and_spark(spark, str(path)))


@needs_spark
def test_cli_engine_spark_writes_parquet(spark, tmp_path) -> None:
    # Two JSONL files (one with blank lines): every row keeps its file and line number.
    lines = (ROOT / "data" / "wire_1916.jsonl").read_text().splitlines()
    half = len(lines) // 2
    (tmp_path / "a.jsonl").write_text("\n".join(lines[:half]) + "\n")
    (tmp_path / "b.jsonl").write_text("\n\n".join(lines[half:]) + "\n\n")
    pattern = str(tmp_path / "*.jsonl")
    out = tmp_path / "out"
    res = CliRunner().invoke(app, ["cluster", pattern, "--engine", "spark", "-o", str(out)])
    assert res.exit_code == 0, res.output
    cols = [*COLUMNS, "file"]
    written = pl.read_parquet(out / "*.parquet").select(cols).sort("id")
    local = syndup.cluster(pattern).assignments.select(cols).sort("id")
    local = local.with_columns(
        pl.col("id", "canonical_id").cast(pl.String), pl.col("row").cast(pl.Int64)
    )
    assert local["row"].max() > half  # b.jsonl's lines counted with its blank lines
    assert_same(local, written)
    assert written["file"].to_list() == local["file"].to_list()


@needs_spark
def test_components_match_union_find(spark) -> None:
    from syndup.engines.spark_frames import components as _components
    from syndup.graph_cuts import components

    rng = np.random.default_rng(5)
    n = 3000
    # Chains, stars and random links: the shapes that need several star rounds.
    a = np.concatenate([np.arange(0, 999), np.full(500, 1500), rng.integers(0, n, 800)])
    b = np.concatenate([np.arange(1, 1000), np.arange(1000, 1500), rng.integers(0, n, 800)])
    edges = spark.createDataFrame([(int(x), int(y)) for x, y in zip(a, b)], "a long, b long")
    got = pl.from_arrow(_components(edges).toArrow())
    assert isinstance(got, pl.DataFrame)
    labels = components(n, a, b)
    nodes = np.unique(np.concatenate([a, b]))
    want = pl.DataFrame({"_key": nodes, "label": labels[nodes]})
    joined = want.join(got, on="_key", how="left")
    assert joined["_comp"].null_count() == 0 and got.height == len(nodes)
    # The same partition, each labelled by its minimum node.
    minimum = joined.group_by("label").agg(pl.col("_key").min().alias("m"))
    joined = joined.join(minimum, on="label")
    assert (joined["_comp"] == joined["m"]).all()


def test_missing_pyspark_names_the_extra(monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "pyspark", None)
    with pytest.raises(EngineError, match=r"pip install 'syndup\[spark\]'"):
        get_engine("spark")


def test_missing_java_names_the_runtime(monkeypatch) -> None:
    pytest.importorskip("pyspark")
    monkeypatch.delenv("JAVA_HOME", raising=False)
    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(EngineError, match="Java 17"):
        get_engine("spark")
