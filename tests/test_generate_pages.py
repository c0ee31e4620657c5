"""Tests of the templated corpus generator (benchmarks/generate_pages.py) and of the scale
runner's report functions (benchmarks/scale_report.py).

They run on the public-domain sample in benchmarks/sample: SYNDUP_SHARED_DATA points nowhere.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import numpy as np
import polars as pl
import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks import generate_pages as gp  # noqa: E402
from benchmarks import page_templates as pt  # noqa: E402
from benchmarks import scale_report as sr  # noqa: E402

N = 1200


pytestmark = pytest.mark.usefixtures("sample_only")  # generators read the bundled sample


@pytest.fixture(scope="module")
def pages() -> pl.DataFrame:
    return gp.generate_pages(N, seed=3)


def shingles(text: str) -> set[tuple[str, ...]]:
    w = re.findall(r"[a-z0-9]+", text.lower())
    return {tuple(w[i : i + 5]) for i in range(len(w) - 4)}


def test_deterministic_and_independent_of_chunking(pages: pl.DataFrame) -> None:
    again = pl.concat(list(gp.iter_pages(N, seed=3, chunk_size=317)))
    assert again.equals(pages)
    other = gp.generate_pages(N, seed=4)
    assert not other["body"].equals(pages["body"])
    assert pages.height == N and pages["id"].n_unique() == N
    assert pages.columns == list(gp.SCHEMA)
    assert pages["published"].is_sorted()


def test_gold_labels_consistent(pages: pl.DataFrame) -> None:
    """Every cluster has exactly one first filing (original or singleton), published first;
    every reprint's cluster holds an original; singletons are alone."""
    per = pages.group_by("gold").agg(
        n=pl.len(),
        firsts=(pl.col("role") != "reprint").sum(),
        roles=pl.col("role").unique(),
        first_role=pl.col("role").sort_by("published", "id").first(),
    )
    assert (per["firsts"] == 1).all()
    assert (per["first_role"] != "reprint").all()
    reprints = pages.filter(pl.col("role") == "reprint").select("gold").unique()
    originals = pages.filter(pl.col("role") == "original").select("gold")
    assert reprints.join(originals, on="gold", how="anti").height == 0
    single = per.filter(pl.col("roles").list.contains("singleton"))
    assert (single["n"] == 1).all()
    assert pages.filter(pl.col("role") == "reprint").height > N // 3


def test_body_sizes_and_length_classes(pages: pl.DataFrame) -> None:
    """Mean page ~1.9 KB (README: 1.7-2.1 KB on the shared data; the 1916 sample's words
    are shorter or longer, so the range here is wider); briefs, normal and long pages."""
    size = pages["body"].str.len_bytes()
    assert 1500 <= size.mean() <= 2400
    kind = pages["edits"].str.extract(r"style=(\w+)")
    by = pages.with_columns(kind=kind, size=size).group_by("kind").agg(pl.col("size").mean())
    m = dict(by.iter_rows())
    assert set(m) == {"brief", "normal", "long"}
    assert m["brief"] < m["normal"] < m["long"]
    assert m["long"] >= 3 * m["normal"]
    stories = pages.with_columns(kind=kind).unique("gold")  # the rates are per story
    shares = dict(stories["kind"].value_counts(normalize=True).iter_rows())
    assert 0.22 < shares["brief"] < 0.38 and 0.01 < shares["long"] < 0.08


def test_templates_carry_other_stories_headlines(pages: pl.DataFrame) -> None:
    """Related-headline footers hold headlines of other stories of the corpus, and pages of
    one outlet repeat their template lines."""
    first = pages.filter(pl.col("role") != "reprint")
    owner: dict[str, set[str]] = {}
    for hl, g in first.select("headline", "gold").iter_rows():
        owner.setdefault(hl, set()).add(g)  # short chain headlines can repeat
    rows = pages.filter(pl.col("edits").str.contains(r"template=[^;]*related"))
    assert rows.height > 100
    hits = other = 0
    for body, gold in rows.select("body", "gold").iter_rows():
        for line in body.split("\n"):
            golds = owner.get(line.strip())
            if golds is not None:
                hits += 1
                other += bool(golds - {gold})
    assert hits > rows.height and other == hits
    # one outlet's pages share their template lines (not the story)
    big = pages.group_by("outlet").len().sort("len", descending=True)["outlet"][0]
    bodies = pages.filter(pl.col("outlet") == big)["body"].to_list()
    lines = [set(b.split("\n")) for b in bodies[:6]]
    assert len(set.intersection(*lines) - {""}) >= 1


def test_reprint_edits_and_copies_share_text(pages: pl.DataFrame) -> None:
    edits = pages.filter(pl.col("role") == "reprint")["edits"].str.split(";").explode()
    seen = set(edits.str.replace(r"=.*", "").to_list())
    assert {"trim", "hl_rewrite", "dateline_strip", "byline_strip", "apostrophe_drop"} <= seen
    # a reprint shares its story text with the original, an unrelated page shares little
    orig = dict(pages.filter(pl.col("role") == "original").select("gold", "body").iter_rows())
    rep = pages.filter((pl.col("role") == "reprint") & pl.col("edits").str.contains("style=normal"))
    rep = rep.filter(~pl.col("edits").str.contains("trim"))
    for gold, body in rep.select("gold", "body").head(20).iter_rows():
        a, b = shingles(orig[gold]), shingles(body)
        assert len(a & b) / min(len(a), len(b)) > 0.5


def test_independent_stories_share_little(pages: pl.DataFrame) -> None:
    """Word-chain text: the stories of different originals stay below copy thresholds
    (template and related-headline lines, which recur across pages, are left out)."""
    first = pages.filter(pl.col("role") != "reprint")["body"].to_list()
    lines = [b.split("\n") for b in first]
    seen: dict[str, int] = {}
    for ls in lines:
        for ln in set(ls):
            seen[ln] = seen.get(ln, 0) + 1
    texts = [shingles(" ".join(ln for ln in ls if seen[ln] == 1)) for ls in lines[:200]]
    rng = np.random.default_rng(0)
    worst = 0.0
    for _ in range(4000):
        i, j = rng.choice(len(texts), 2, replace=False)
        a, b = texts[i], texts[j]
        if a and b:
            worst = max(worst, len(a & b) / len(a | b))
    assert worst < 0.3


def test_outlet_templates_are_stable() -> None:
    a, b = pt.outlet_template(12, seed=1), pt.outlet_template(12, seed=1)
    assert a == b and pt.outlet_template(13, seed=1) != a
    assert a.related_n >= 3 and a.sep in ("\n\n", "\n")


# --------------------------------------------------------------------------- scale_report
def _row(tool: str, n: int, wall: float, cpu: float, style: str = "templated", **kw) -> dict:
    return {
        "tool": tool,
        "style": style,
        "n": n,
        "status": "ok",
        "wall_seconds": wall,
        "cpu_seconds": cpu,
        "articles_per_s": n / wall,
        "work_articles_per_s": n / wall,
        "peak_rss_mb": kw.get("rss", 1000.0),
        "seconds": wall,
    }


def test_targets_pass_fail_and_not_measured() -> None:
    rows = [
        _row("syndup", 100_000, 20.0, 30.0),
        _row("syndup", 1_000_000, 160.0, 250.0, rss=3000.0),
        _row("rensa_lsh", 100_000, 50.0, 45.0),  # 2.5x by wall, 1.5x by CPU
        _row("naive_datasketch", 20_000, 80.0, 80.0),  # 20x: fails 25x
    ]
    t = {x["name"]: x for x in sr.targets(rows)}
    assert t["1m_wall"]["status"] == "fail" and t["1m_wall"]["measured"] == 160.0
    assert t["1m_rss"]["status"] == "pass"
    assert t["rensa_100k"]["status"] == "pass" and t["rensa_100k"]["measured"] == 2.5
    assert t["rensa_100k"]["cpu_measured"] == 1.5
    assert t["naive_20k"]["status"] == "fail" and t["naive_20k"]["measured"] == 20.0
    assert t["text_dedup_100k"]["status"] == "not measured"
    ratios = sr.add_ratios(rows)
    naive = next(r for r in ratios if r["peer"] == "naive_datasketch")
    assert naive["syndup_n"] == 100_000 and naive["ratio"] == 20.0
    # a peer is compared with syndup on the same corpus style only
    assert sr.add_ratios([*rows[2:], _row("syndup", 100_000, 20.0, 30.0, "classic")]) == []
