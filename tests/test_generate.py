"""Tests of the benchmark reprint generator (benchmarks/generate.py).

They run on the public-domain sample in benchmarks/sample: SYNDUP_SHARED_DATA points nowhere.
"""

from __future__ import annotations

import difflib
import hashlib
import itertools
import random
import re
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np
import polars as pl
import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks import chains as ch  # noqa: E402
from benchmarks import furniture as fu  # noqa: E402
from benchmarks import generate as gen  # noqa: E402
from benchmarks import plan as pn  # noqa: E402
from benchmarks import syndication_edits as se  # noqa: E402
from benchmarks import templates as tp  # noqa: E402

ROLES = {"original", "reprint", "writethrough", "negative", "singleton"}
CLASSIC_400_S11 = "03d4a3967009235b"  # sha1 prefix of generate_corpus(400, seed=11) on the sample
WIRES = {w[0] for w in se.WIRES}


pytestmark = pytest.mark.usefixtures("sample_only")  # generators read the bundled sample


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
    assert sizes.max() <= pn.MAX_CLUSTER


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


def test_own_wire_negatives_are_filed_by_the_story_wire(corpus: pl.DataFrame) -> None:
    df = gen.generate_corpus(5000, seed=3, own_wire_negatives=1.0)
    assert df.select("id", "gold", "role").equals(corpus.select("id", "gold", "role"))
    others = df.filter(pl.col("role") != "negative")
    assert others.equals(corpus.filter(pl.col("role") != "negative"))  # only negatives move
    wire_of = dict(zip(*df.filter(pl.col("role") == "original")[["gold", "outlet"]], strict=True))
    neg = df.filter(pl.col("role") == "negative")
    about = neg["edits"].str.extract(r"about=(c\d+)")
    pairs = [(wire_of[g], o) for g, o in zip(about, neg["outlet"], strict=True) if g in wire_of]
    assert len(pairs) > neg.height / 2 and all(w == o for w, o in pairs)
    assert set(neg["outlet"]) <= WIRES
    assert neg["body"].str.contains(r"\((AP|Reuters|AFP|UPI|CNN)\)").mean() > 0.5


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


def test_readme_documents_realistic_rates() -> None:
    readme = (ROOT / "benchmarks" / "README.md").read_text()
    assert "### Realistic profile (`--profile realistic`)" in readme
    for const in (
        "CHAIN_P", "CHAIN_VERSIONS", "CHAIN_SPAN_H", "TRIM_LATE_P", "FURNITURE_P", "KIND_P",
        "PAGE_P", "CAROUSEL_P", "SMALL_P", "ROUNDUP_ROWS", "ROUNDUP_COPIES", "TWO_STORY_P",
        "NOTICE_ROWS", "NOTICE_COPIES", "NOTICE_FLASH_P",
    ):  # fmt: skip
        assert f"`{const}`" in readme, const
    for share in (pn.ROUNDUP_ROWS, pn.TWO_STORY_P, pn.NOTICE_ROWS, se.TRIM_LATE_P):
        assert f"{share:.1%}".replace(".0%", "%") in readme, share
    for role in ("roundup", "two_story", "notice"):
        assert f"`{role}`" in readme


def test_cli_writes_same_rows(tmp_path: Path) -> None:
    out = tmp_path / "g.parquet"
    assert gen.main(["-n", "300", "--seed", "9", "-o", str(out), "--chunk-size", "128"]) == 0
    assert pl.read_parquet(out).equals(gen.generate_corpus(300, seed=9))
    assert not list(tmp_path.glob(".*tmp"))


# --------------------------------------------------------------------------- realistic profile
@pytest.fixture(scope="module")
def real() -> pl.DataFrame:
    return gen.generate_corpus(5000, seed=3, profile="realistic")


def _edit(name: str) -> pl.Expr:
    return pl.col("edits").str.extract(rf"(?:^|;){name}=([^;]+)")


def test_classic_profile_is_pinned() -> None:
    """The classic profile is the corpus of earlier releases, row for row (sample data)."""
    df = gen.generate_corpus(400, seed=11)
    text = "\x00".join(df.select(pl.concat_str(pl.all().fill_null("~"), separator="|"))[:, 0])
    assert hashlib.sha1(text.encode()).hexdigest()[:16] == CLASSIC_400_S11
    assert df.equals(gen.generate_corpus(400, seed=11, profile="classic"))
    assert not df.equals(gen.generate_corpus(400, seed=11, profile="realistic"))


def test_realistic_deterministic_and_chunk_independent(real: pl.DataFrame) -> None:
    assert gen.generate_corpus(5000, seed=3, profile="realistic").equals(real)
    whole = gen.generate_corpus(1500, seed=8, profile="realistic", ocr_rate=0.02)
    chunks = list(gen.iter_corpus(1500, seed=8, chunk_size=333, profile="realistic", ocr_rate=0.02))
    assert pl.concat(chunks).equals(whole)
    assert whole["published"].is_sorted() and whole["id"].n_unique() == 1500
    with pytest.raises(ValueError, match="profile"):
        gen.generate_corpus(10, profile="fancy")


def test_realistic_classes_at_their_rates(real: pl.DataFrame) -> None:
    n = real.height
    roles = Counter(real["role"])
    assert set(roles) == set(gen.ROLES)
    assert roles["roundup"] == round(pn.ROUNDUP_ROWS * n)
    assert roles["notice"] == round(pn.NOTICE_ROWS * n)
    copies = roles["reprint"] + roles["two_story"]
    assert 0.5 * pn.TWO_STORY_P < roles["two_story"] / copies < 2 * pn.TWO_STORY_P
    chain = real.filter(real["edits"].str.contains(r"(?:^|;)chain="))
    assert 0.10 < chain.height / n < 0.40
    assert chain["gold"].n_unique() >= 5
    body = real.filter(pl.col("body").is_not_null())
    carousel = body["edits"].str.contains("carousel").mean()
    assert 0.02 < carousel < 0.06, carousel
    for kind in fu.KIND_P:
        assert body["edits"].str.contains(f"furniture_{kind}").mean() > 0.02, kind
    late = real.filter(pl.col("role") == "reprint", _edit("version").cast(int) > 0)
    trimmed = late.filter(late["edits"].str.contains("trim_late")).height / late.height
    assert 0.35 < trimmed < 0.65


def _versions(seed: int = 3, n: int = 5000, stories: int = 25) -> list[list[se.Version]]:
    ctx = gen._ctx("")
    plan = pn._Plan(n, seed, 0.03, ctx, "realistic")
    cache: dict = {}
    out = []
    for s in np.flatnonzero(plan.chain > 0)[:stories]:
        st = gen._story(ctx, plan, cache, int(s), None)
        assert pn.CHAIN_VERSIONS[0] <= st.chain <= pn.CHAIN_VERSIONS[1]
        out.append([st.version(ctx, k) for k in range(st.chain)])
    return out


def test_chain_versions_overlap() -> None:
    consecutive, tops, ends = [], [], []
    for vs in _versions():
        for a, b in itertools.pairwise(vs):
            sa, sb = shingles("\n".join(a.paras)), shingles("\n".join(b.paras))
            consecutive.append(len(sa & sb) / len(sa))
            top = shingles("\n".join(b.paras[: ch.TOP_PARAS[0]]))
            tops.append(len(top & shingles("\n".join(a.paras[: ch.TOP_PARAS[0]]))) / len(top))
        first, last = shingles("\n".join(vs[0].paras)), shingles("\n".join(vs[-1].paras))
        ends.append(len(first & last) / min(len(first), len(last)))
        if len(vs) >= 10:
            assert ends[-1] < 0.2
        words = [sum(se.words(p) for p in v.paras) for v in vs]
        assert max(words) < 1.6 * words[0]
    lo, mid, hi = np.percentile(consecutive, [5, 50, 95])
    assert lo > 0.35 and 0.45 < mid < 0.6 and hi < 0.72, (lo, mid, hi)
    assert np.median(tops) == 0 and np.percentile(tops, 95) < 0.1
    assert np.median(ends) < 0.1


def test_chain_rows_share_gold_and_catch_versions(real: pl.DataFrame) -> None:
    chain = real.filter(real["edits"].str.contains(r"(?:^|;)chain="))
    per = chain.group_by("gold").agg(
        pl.col("outlet").filter(pl.col("role") == "writethrough").n_unique().alias("wire"),
        _edit("version").cast(int).fill_null(0).n_unique().alias("versions"),
        pl.col("published").str.to_datetime("%Y-%m-%dT%H:%M:%SZ").max()
        - pl.col("published").str.to_datetime("%Y-%m-%dT%H:%M:%SZ").min(),
    )
    assert (per["wire"] <= 1).all()
    assert per["versions"].max() >= 5
    spans = per["published"].dt.total_hours()
    assert spans.max() >= 12


def test_roundups_own_gold_and_hold_items(real: pl.DataFrame) -> None:
    rnd = real.filter(pl.col("role") == "roundup", pl.col("body").is_not_null())
    whole = rnd.filter(~pl.col("edits").str.contains("truncate|drop_middle"))
    golds = set(real["gold"])
    base = real.filter(pl.col("role") == "original")
    first = dict(zip(base["gold"], base["body"], strict=True))
    for row in whole.head(40).iter_rows(named=True):
        items = re.search(r"items=([^;]+)", row["edits"])[1].split(",")
        assert row["gold"] not in items and set(items) <= golds
        body = shingles(row["body"])
        hits = sum(bool(shingles(first[i]) & body) for i in items if i in first)
        assert hits >= len(items) - 1
    multi = rnd.group_by("gold").agg(pl.len(), pl.col("outlet").n_unique().alias("outlets"))
    assert (multi["len"] == multi["outlets"]).all() and (multi["len"] > 1).any()


def test_two_story_pages_follow_their_main_story(real: pl.DataFrame) -> None:
    """A two-story page shares more text with the version of story A it carries (its gold)
    than with story B."""
    two = real.filter(pl.col("role") == "two_story", pl.col("body").is_not_null())
    assert two.height > 0
    ctx = gen._ctx("")
    plan = pn._Plan(5000, 3, 0.03, ctx, "realistic")
    cache: dict = {}
    for row in two.iter_rows(named=True):
        i = int(row["id"][1:]) - 1
        b = re.search(r"second=(c\d+)", row["edits"])[1]
        assert b == f"c{plan.second[i]:07d}" != row["gold"] == f"c{plan.story[i]:07d}"
        st_a = gen._story(ctx, plan, cache, int(plan.story[i]), None)
        st_b = gen._story(ctx, plan, cache, int(plan.second[i]), None)
        page = shingles(row["body"])
        own = len(page & shingles("\n".join(st_a.version(ctx, int(plan.ver[i])).paras)))
        other = len(page & shingles("\n".join(st_b.version(ctx, 0).paras)))
        assert 0 < other < own, row["id"]


def test_templates_differ_only_in_figures(real: pl.DataFrame) -> None:
    tm1, tm2 = time.gmtime(1_546_300_800), time.gmtime(1_546_300_800 + 5 * 86400)

    def slots_only(a: str, b: str) -> bool:
        wa, wb = re.findall(r"[\w'.]+", a), re.findall(r"[\w'.]+", b)
        for op, i1, i2, j1, j2 in difflib.SequenceMatcher(a=wa, b=wb, autojunk=False).get_opcodes():
            for w in (*wa[i1:i2], *wb[j1:j2]) if op != "equal" else ():
                w = w.lower().strip(".,'s")
                if w and not re.fullmatch(r"[\d.,]+", w) and w not in tp.SLOT_WORDS:
                    return False
        return True

    for fam in range(len(tp.FAMILIES)):
        a = tp.filing(fam, 5, 101, tm1, "Bristol")
        b = tp.filing(fam, 5, 202, tm2, "Bristol")
        assert a != b
        assert slots_only(" ".join([a[0], *a[1]]), " ".join([b[0], *b[1]])), tp.FAMILIES[fam]
    notes = real.filter(pl.col("role") == "notice").with_columns(
        day=_edit("day"),
        series=_edit("series"),
    )
    flash = notes["body"].is_null().mean()
    assert 0.5 * pn.NOTICE_FLASH_P < flash < 1.5 * pn.NOTICE_FLASH_P, flash
    assert notes.filter(pl.col("body").is_null())["edits"].str.contains("headline_only").all()
    per_gold = notes.group_by("gold").agg(pl.col("day").n_unique(), pl.col("series").n_unique())
    assert (per_gold["day"] == 1).all() and (per_gold["series"] == 1).all()
    per_day = notes.group_by("series", "day").agg(pl.col("gold").n_unique())
    assert (per_day["gold"] == 1).all()
    assert notes.group_by("series").agg(pl.col("day").n_unique())["day"].max() >= 5


def test_furniture_forms(real: pl.DataFrame) -> None:
    credit = re.compile(
        r"\((?:AP Photo/[A-Z]\w+ [A-Z]\w+|[A-Z]\w+ [A-Z]\w+/[\w .]+ via AP|"
        r"REUTERS/[A-Z]\w+ [A-Z]\w+|Photo by [A-Z]\w+ [A-Z]\w+/[\w .]+)\)"
    )
    car = real.filter(real["edits"].str.contains("carousel"), pl.col("body").is_not_null())
    assert car.height > 0
    for body in car["body"]:
        assert len(credit.findall(body)) >= fu.CAROUSEL_PHOTOS[0]
    wx = real.filter(real["edits"].str.contains("furniture_weather"), pl.col("body").is_not_null())
    block = pl.col("body").str.extract(r"(?s)(?:^|\n\n)([^\n]*(?:Weather|°)[^\n]*\n.*?)(?:\n\n|$)")
    wx = wx.with_columns(block=block, day=pl.col("published").str.slice(0, 10))
    assert wx["block"].str.contains("(?i)wind").all()
    same = wx.group_by("outlet", "day").agg(pl.col("block").n_unique().alias("k"), pl.len())
    assert (same["k"] == 1).all() and (same["len"] > 1).any()
    assert wx["outlet"].n_unique() > 10  # a vendor format recurs across outlets
