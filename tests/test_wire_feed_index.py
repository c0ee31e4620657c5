"""The wire-feed candidate source in the index and the engines: keys that find its pairs, parity."""

from __future__ import annotations

import itertools
import sqlite3
import sys
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import syndup
from syndup import Config, Index
from syndup.wire_feed import feed_keys, feed_pairs

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

FEEDS = ("associated press", "reuters")
START = datetime(2024, 5, 1)


def _docs(rows: list[tuple[str, str, str, float, int, bool]]) -> pl.DataFrame:
    """docs rows ``(outlet, wire, city, hours after START, body shingles, usable)``."""
    return pl.DataFrame(
        {
            "outlet": [r[0] for r in rows],
            "wire": [r[1] for r in rows],
            "dateline_city": [r[2] for r in rows],
            "published": [START + timedelta(hours=r[3]) for r in rows],
            "body_shingles": [r[4] for r in rows],
            "usable": [r[5] for r in rows],
        },
        schema_overrides={"published": pl.Datetime("us", "UTC")},
    )


def _brute(rows, hours: float, min_shingles: int) -> set[tuple[int, int]]:
    def ok(r) -> bool:
        return r[5] and r[4] > 0 and r[1] != "" and r[2] != ""

    def feed(r) -> bool:
        return r[0].lower() in FEEDS and r[4] >= min_shingles

    out = set()
    for (i, x), (j, y) in itertools.combinations(enumerate(rows), 2):
        if not (ok(x) and ok(y)) or (x[1], x[2]) != (y[1], y[2]):
            continue
        if (feed(x) or feed(y)) and abs(x[3] - y[3]) * 3600 <= hours * 3600 + 1e-9:
            out.add((i, j))
    return out


def _codes(pairs: set[tuple[int, int]]) -> list[int]:
    return sorted(a << 32 | b for a, b in pairs)


ROW = st.tuples(
    st.sampled_from(["Associated Press", "Reuters", "Daily Planet", "KXYZ-TV"]),
    st.sampled_from(["AP", "Reuters", ""]),
    st.sampled_from(["DETROIT", "PARIS", ""]),
    st.integers(0, 6 * 24 * 4).map(lambda q: q / 4),  # quarter hours over six days
    st.sampled_from([0, 50, 100, 300]),
    st.booleans(),
)


@settings(max_examples=150, deadline=None)
@given(st.lists(ROW, min_size=0, max_size=30), st.sampled_from([6.0, 24.0]))
def test_pairs_and_index_keys_agree_with_brute_force(rows, hours) -> None:
    docs = _docs(rows)
    got = feed_pairs(docs, feeds=FEEDS, hours=hours, min_shingles=100)
    expected = _brute(rows, hours, 100)
    assert got.tolist() == _codes(expected)
    # Whichever of the two was stored first, the later one's probes meet its entries.
    entries, probes = feed_keys(docs, feeds=FEEDS, hours=hours, min_shingles=100)
    for a, b in expected:
        for stored, new in ((a, b), (b, a)):
            assert set(probes[new][probes[new] != 0]) & set(entries[stored][entries[stored] != 0])
    # No key for a row that can pair with nothing.
    for i, r in enumerate(rows):
        if not (r[5] and r[4] > 0 and r[1] and r[2]):
            assert not entries[i].any() and not probes[i].any()


def test_keys_are_stable_across_calls_and_row_order() -> None:
    rows = [
        ("Associated Press", "AP", "DETROIT", 1.0, 300, True),
        ("Daily Planet", "AP", "DETROIT", 5.0, 80, True),
    ]
    one = feed_keys(_docs(rows), feeds=FEEDS, hours=24, min_shingles=100)
    two = feed_keys(_docs(rows[::-1]), feeds=FEEDS, hours=24, min_shingles=100)
    assert (one[0] == two[0][::-1]).all() and (one[1] == two[1][::-1]).all()
    assert one[0][0, 1] != 0 and one[0][1, 1] == 0  # only the feed row has a FEED entry


@pytest.fixture(scope="module")
def realistic(tmp_path_factory: pytest.TempPathFactory) -> pl.DataFrame:
    from benchmarks import generate as gen

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SYNDUP_SHARED_DATA", str(tmp_path_factory.mktemp("x") / "missing"))
        return gen.generate_corpus(3000, seed=5, profile="realistic")


def _stored_edges(path: Path) -> set[tuple[str, str]]:
    with sqlite3.connect(path) as db:
        ids = dict(db.execute("SELECT doc, id FROM articles"))
        return {tuple(sorted((ids[a], ids[b]))) for a, b in db.execute("SELECT a, b FROM edges")}


@pytest.mark.parametrize("order", ["published", "random"])
def test_index_finds_the_batch_runs_wire_feed_edges(tmp_path, realistic, order) -> None:
    """Pairs only the wire-feed search proposes (no LSH bucket shared) are found by the
    index too, whichever order the articles arrive in. Boilerplate learning is off on both
    sides: learned per batch, it strips a wire's re-filed paragraphs as the wire's own
    recurring text in a small batch (a parity gap of its own, measured in
    benchmarks/results), which would hide what this test is about."""
    config = Config.from_dict({"normalize": {"learn_boilerplate": False}})
    df = (
        realistic.sort("published", "id")
        if order == "published"
        else realistic.sample(fraction=1.0, shuffle=True, seed=3)
    )
    batch = syndup.cluster(df, config=config)
    feed_only = batch.pairs.filter(pl.col("matched") & (pl.col("index") == "wire_feed"))
    want = {tuple(sorted(p)) for p in feed_only.select("id_a", "id_b").iter_rows()}
    assert len(want) > 100
    index = Index.open(tmp_path / "news.db", config=config)
    size = -(-df.height // 10)
    for start in range(0, df.height, size):
        index.add(df.slice(start, size))
    index.close()
    got = _stored_edges(tmp_path / "news.db")
    assert want <= got, f"{len(want - got)} of {len(want)} missing"


def test_estimate_floor_and_bounded_steps_keep_the_same_pairs(monkeypatch) -> None:
    """Pairs under the MinHash floor are dropped, the rest kept, whatever the join step."""
    import syndup.wire_feed as wf

    rng = np.random.default_rng(3)
    rows = [("Associated Press", "AP", "DETROIT", float(h), 300, True) for h in range(0, 40, 2)]
    rows += [("Daily Planet", "AP", "DETROIT", h + 0.5, 200, True) for h in range(0, 40, 3)]
    docs = _docs(rows)
    sigs = rng.integers(0, 2**32 - 1, size=(len(rows), 256), dtype=np.uint64).astype(np.uint32)
    sigs[len(rows) // 2 :, :40] = sigs[0, :40]  # later rows share 40 of 256 slots with row 0
    full = feed_pairs(docs, feeds=FEEDS, hours=24, min_shingles=100)
    kept = feed_pairs(
        docs, feeds=FEEDS, hours=24, min_shingles=100, signatures=sigs, min_jaccard=0.1
    )
    a, b = (full >> np.uint64(32)).astype(np.int64), (full & np.uint64(0xFFFFFFFF)).astype(int)
    agree = (sigs[a] == sigs[b]).mean(axis=1)
    assert kept.tolist() == full[agree >= 0.1].tolist()
    assert 0 < len(kept) < len(full)
    monkeypatch.setattr(wf, "JOIN_ROWS", 3)  # many small steps
    assert feed_pairs(docs, feeds=FEEDS, hours=24, min_shingles=100).tolist() == full.tolist()
    stepped = feed_pairs(
        docs, feeds=FEEDS, hours=24, min_shingles=100, signatures=sigs, min_jaccard=0.1
    )
    assert stepped.tolist() == kept.tolist()
