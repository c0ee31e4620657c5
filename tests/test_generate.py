"""Tests of the benchmark reprint generator (benchmarks/generate.py).

They run on the public-domain sample in benchmarks/sample: SYNDUP_SHARED_DATA points nowhere.
"""

from __future__ import annotations

import random
import re
import sys
from collections import Counter
from pathlib import Path

import polars as pl
import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks import generate as gen  # noqa: E402
from benchmarks import syndication_edits as se  # noqa: E402

ROLES = {"original", "reprint", "writethrough", "negative", "singleton"}
WIRES = {w[0] for w in se.WIRES}


@pytest.fixture(scope="module", autouse=True)
def _sample_only(tmp_path_factory: pytest.TempPathFactory):
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SYNDUP_SHARED_DATA", str(tmp_path_factory.mktemp("x") / "missing"))
        yield


@pytest.fixture(scope="module")
def corpus() -> pl.DataFrame:
    return gen.generate_corpus(5000, seed=3)


def shingles(text: str) -> set[tuple[str, ...]]:
    w = re.findall(r"[a-z0-9]+", text.lower())
    return {tuple(w[i : i + 5]) for i in range(len(w) - 4)}


def quotations(text: str) -> list[str]:
    """Quoted spans of >= 4 words, found sentence by sentence (OCR text has stray quotes)."""
    paras = text.split("\n\n")
    sents = [s for p in paras for s in se.split_sentences(p)]
    return [q for s in sents + paras for q in se.QUOTE_RE.findall(s) if se.words(q) >= 4]


def test_load_sources_falls_back_to_sample() -> None:
    assert gen.shared_data_dir() is None
    src = gen.load_sources()
    assert src.columns == ["source_id", "headline", "body"]
    assert src.height >= 250
    assert src["source_id"].str.starts_with("chronam:").all()
    n = src["body"].str.count_matches(r"\S+")
    assert n.min() >= 140 and n.max() <= 700
    assert src["body"].str.contains("\n\n").mean() > 0.9
    assert (gen.SAMPLE_DIR / gen.SAMPLE_FILE).stat().st_size < 1_000_000


def test_schema_exact_rows_unique_ids(corpus: pl.DataFrame) -> None:
    assert corpus.schema == pl.Schema(gen.SCHEMA)
    assert corpus.height == 5000
    assert corpus["id"].n_unique() == 5000
    assert set(corpus["role"].unique()) == ROLES
    assert corpus["published"].str.contains(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$").all()
    assert corpus["url"].str.starts_with("https://").all()
    assert corpus.select(pl.exclude("body").null_count()).sum_horizontal().item() == 0
    assert corpus["published"].is_sorted()
    for n in (0, 1, 2, 37):
        assert gen.generate_corpus(n, seed=5).height == n


def test_deterministic_and_seed_dependent(corpus: pl.DataFrame) -> None:
    assert gen.generate_corpus(5000, seed=3).equals(corpus)
    other = gen.generate_corpus(600, seed=4)
    assert not other.equals(gen.generate_corpus(600, seed=5))
    assert other.equals(gen.generate_corpus(600, seed=4))


def test_iter_corpus_chunks_concatenate_to_corpus() -> None:
    whole = gen.generate_corpus(1500, seed=8, words=250, ocr_rate=0.02)
    chunks = list(gen.iter_corpus(1500, seed=8, chunk_size=400, words=250, ocr_rate=0.02))
    assert [c.height for c in chunks] == [400, 400, 400, 300]
    assert pl.concat(chunks).equals(whole)


def test_heavy_tailed_clusters(corpus: pl.DataFrame) -> None:
    sizes = corpus.group_by("gold").len()["len"]
    assert sizes.max() >= 20
    assert (sizes == 1).mean() > 0.5
    assert ((sizes >= 2) & (sizes <= 5)).sum() > 3 * (sizes > 5).sum()
    assert sizes.max() <= gen.MAX_CLUSTER


def test_cluster_structure(corpus: pl.DataFrame) -> None:
    multi = corpus.filter(pl.len().over("gold") > 1)
    first = multi.sort("published", "id").group_by("gold", maintain_order=True).first()
    assert (first["role"] == "original").all()
    assert first["outlet"].is_in(list(WIRES)).all()
    assert (multi["role"] == "original").sum() == first.height
    wt = multi.filter(pl.col("role") == "writethrough").join(
        first.select("gold", orig=pl.col("outlet")), on="gold"
    )
    assert wt.height > 0 and (wt["outlet"] == wt["orig"]).all()
    reprints = multi.filter(pl.col("role") == "reprint")
    assert not reprints["outlet"].is_in(list(WIRES)).any()
    dup = reprints.group_by("gold", "outlet").len().filter(pl.col("len") > 1)
    rep = reprints.filter(pl.col("edits").str.contains("republished"))
    assert dup.height <= rep.height  # an outlet carries a story twice only when republished
    single = corpus.filter(pl.len().over("gold") == 1)
    assert set(single["role"].unique()) == {"singleton", "negative"}


def test_edits_and_headline_only(corpus: pl.DataFrame) -> None:
    rp = corpus.filter(pl.col("role") == "reprint")
    names = Counter(e.split("=")[0] for x in rp["edits"] for e in x.split(";") if e)
    for edit in ("truncate", "drop_middle", "boilerplate", "dateline_strip", "hl_case_title"):
        assert names[edit] > 0, edit
    assert 0.2 < names["truncate"] / rp.height < 0.3
    ho = corpus.filter(pl.col("body").is_null())
    assert 0.003 < ho.height / corpus.height < 0.03
    assert (ho["role"] == "reprint").all() and ho["edits"].str.contains("headline_only").all()
    assert corpus.filter(pl.col("body").str.contains("Advertisement")).height > 0


def test_hard_negatives_share_quote_not_text(corpus: pl.DataFrame) -> None:
    neg = corpus.filter(pl.col("role") == "negative")
    assert neg.height == round(0.03 * 5000)
    assert neg["gold"].n_unique() == neg.height
    base = corpus.filter(pl.col("role").is_in(["original", "singleton"]))
    by_gold = dict(zip(base["gold"], base["body"], strict=True))
    for row in neg.iter_rows(named=True):
        about = re.search(r"about=(c\d+)", row["edits"])[1]
        story, text = se.to_straight(by_gold[about]), se.to_straight(row["body"])
        shared = [q for q in quotations(text) if q in story]
        shared += [q for q in quotations(story) if q in text]
        assert shared, row["id"]
        s = shingles(story)
        assert len(s & shingles(text)) / len(s) < 0.3, row["id"]


def test_stories_do_not_share_long_runs(corpus: pl.DataFrame) -> None:
    wire = corpus.filter(
        pl.col("role").is_in(["original", "singleton"]) & pl.col("outlet").is_in(list(WIRES))
    )
    bodies = random.Random(0).sample(wire["body"].to_list(), 120)
    sh = [shingles(b) for b in bodies]
    worst = max(len(a & b) / len(a | b) for i, a in enumerate(sh) for b in sh[i + 1 :])
    assert worst < 0.1


def test_reword_swaps_never_chain() -> None:
    keys = [k for k, _ in se.REWORD]
    for i, (_, values) in enumerate(se.REWORD):
        assert not any(k in v for v in values for k in keys[i + 1 :])


def test_words_option_and_ocr() -> None:
    df = gen.generate_corpus(800, seed=2, words=300)
    orig = df.filter(pl.col("role") == "original")
    n = orig["body"].str.count_matches(r"\S+")  # + dateline, byline and tail (<= ~25 words)
    assert n.min() >= 0.8 * 300 and n.max() <= 1.2 * 300 + 25
    noisy = gen.generate_corpus(800, seed=2, words=300, ocr_rate=0.05)
    assert (noisy["gold"] == df["gold"]).all()
    changed = (noisy["body"] != df["body"]).mean()
    assert changed > 0.9
    assert noisy.filter(pl.col("body").is_not_null())["edits"].str.contains("ocr").all()


def test_readme_documents_rates() -> None:
    readme = (ROOT / "benchmarks" / "README.md").read_text()
    assert "## Reprint generator" in readme
    for edit, rate in se.COPY_RATES.items():
        assert re.search(rf"`{edit}`.*\| {rate:.0%} \|", readme), edit


def test_cli_writes_same_rows(tmp_path: Path) -> None:
    out = tmp_path / "g.parquet"
    assert gen.main(["-n", "300", "--seed", "9", "-o", str(out), "--chunk-size", "128"]) == 0
    assert pl.read_parquet(out).equals(gen.generate_corpus(300, seed=9))
    assert not list(tmp_path.glob(".*tmp"))
