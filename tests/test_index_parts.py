"""The index's own building blocks against plain references: band-run merges, the
sort-based unique, band lookups, thin rows, lazily read bodies, the CLI's index-only
start-up."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import polars as pl
import pytest

from index_helpers import ROOT
from syndup.index.articles import LazyBodies, concat, take
from syndup.index.bands import PER_KEY, BandRuns, Run, first_live, merge_sorted
from syndup.index.store import unique


def _run(rng: np.random.Generator, docs: np.ndarray, keys_from: int) -> Run:
    keys = rng.integers(1, keys_from, len(docs)).astype(np.uint64)
    order = np.lexsort((docs, keys))
    return Run(0, keys[order], docs[order].astype(np.uint32))


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("piece", [None, 7])
def test_merge_sorted_equals_a_full_sort(seed, piece, monkeypatch):
    """``piece``: the newer run placed 7 entries at a time (the slicing of large runs)."""
    if piece is not None:
        monkeypatch.setattr("syndup.index.bands._MERGE_SLICE", piece)
    rng = np.random.default_rng(seed)
    older = _run(rng, rng.integers(1, 500, 3000), 200)  # few keys: many ties across runs
    newer = _run(rng, rng.integers(500, 900, 1000), 200)
    k, d = merge_sorted(older, newer)
    ref_k = np.concatenate([older.keys, newer.keys])
    ref_d = np.concatenate([older.docs, newer.docs])
    order = np.lexsort((ref_d, ref_k))
    assert np.array_equal(k, ref_k[order]) and np.array_equal(d, ref_d[order])
    # Runs whose docs interleave (not the usual doc order) are re-sorted, not mis-merged.
    mixed = _run(rng, rng.integers(1, 900, 1000), 200)
    k, d = merge_sorted(older, mixed)
    ref_k = np.concatenate([older.keys, mixed.keys])
    ref_d = np.concatenate([older.docs, mixed.docs])
    order = np.lexsort((ref_d, ref_k))
    assert np.array_equal(k, ref_k[order]) and np.array_equal(d, ref_d[order])


def test_unique_equals_numpy():
    rng = np.random.default_rng(1)
    for values in (
        rng.integers(0, 50, 1000),
        rng.integers(0, 2**63, 500, dtype=np.uint64),
        np.zeros(0, np.int64),
        np.array([7]),
        rng.integers(0, 9, (20, 5)),
    ):
        assert np.array_equal(unique(values), np.unique(values))


def test_lazy_bodies_fetch_only_what_is_asked():
    texts = [f"body {i}" for i in range(100)]
    asked: list[list[int]] = []

    def fetch(rows: np.ndarray) -> list[str]:
        asked.append(rows.tolist())
        return [texts[r] for r in rows.tolist()]

    bodies = LazyBodies(100, fetch)
    assert bodies.get(np.array([5, 3, 5])).to_list() == ["body 5", "body 3", "body 5"]
    assert asked == [[3, 5]]
    groups = bodies.groups(np.array([3, 7, 9]))
    assert asked[-1] == [7, 9]  # 3 was fetched already
    got = [t for start, part in groups for t in bodies.block(start).gather(part - start)]
    assert got == ["body 3", "body 7", "body 9"]
    assert len(bodies) == 100 and len(asked) == 2
    with pytest.raises(IndexError):
        bodies.get(np.array([100]))


def test_take_and_concat_keep_bodies_lazy(tmp_path):
    import syndup
    from syndup.prepare import prepare

    df = syndup.read_corpus(ROOT / "data" / "wire_1916.jsonl").head(30)
    prepared = prepare(df.sort("id"), syndup.Config())
    whole = prepared.bodies.get(np.arange(30)).to_list()
    part = take(prepared, np.array([4, 2, 9]))
    joined = concat([part, take(prepared, np.array([0, 1]))], prepared.config)
    assert joined.bodies.get(np.arange(5)).to_list() == [whole[i] for i in (4, 2, 9, 0, 1)]
    assert joined.docs["id"].to_list() == [prepared.docs["id"][i] for i in (4, 2, 9, 0, 1)]
    assert isinstance(joined.bodies.block(0), pl.Series)


def test_index_commands_do_not_import_the_batch_commands():
    """``syndup index ...`` builds its own group only (start-up of ``index explain``)."""
    code = (
        "import sys; sys.argv = ['syndup', 'index', '--help']\n"
        "from syndup.cli import main\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "print(sorted(m for m in sys.modules if m.startswith('syndup.')))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={"PYTHONPATH": str(ROOT / "src"), "PATH": "/usr/bin:/bin"},
    ).stdout
    loaded = out.strip().splitlines()[-1]
    for heavy in ("syndup.cli.cluster_cmd", "syndup.evaluate", "syndup.htmlreport", "syndup._jit"):
        assert heavy not in loaded
    assert "syndup.cli.index_cmd" in loaded


@pytest.mark.parametrize("seed", range(3))
def test_band_lookup_equals_a_plain_scan(seed):
    """Up to PER_KEY docs of each key per run, ordered by key then doc, keys in no run
    skipped: the searchsorted lookup against a per-key scan of every run."""
    rng = np.random.default_rng(seed)
    runs = BandRuns()
    start = 1
    for size in (4000, 1500, 300):  # few distinct keys: buckets larger than PER_KEY
        docs = np.arange(start, start + size)
        runs.runs["body"].append(_run(rng, docs, 400))
        start += size
    keys = unique(rng.integers(1, 800, 300).astype(np.uint64))  # half in no run
    k, d = runs.lookup("body", keys)
    ref = []
    for i, key in enumerate(keys.tolist()):
        for run in runs.runs["body"]:
            found = run.docs[run.keys == key][:PER_KEY]
            ref += [(i, int(x)) for x in found]
    ref.sort()
    assert list(zip(k.tolist(), d.tolist())) == ref
    assert len(ref) and any(n > PER_KEY for n in np.unique(k, return_counts=True)[1])


def test_thin_rows_read_once_and_equal_the_store(tmp_path):
    """Thin rows held across steps are what the store holds; a second read of the same
    docs comes from memory (no store read); docs not stored are left out."""
    from index_helpers import feed_corpus
    from syndup import Index
    from syndup.index.anchors import ThinRows, headline_rows

    feed = pl.read_ndjson(feed_corpus(tmp_path, n=300))
    with Index.open(tmp_path / "news.db") as index:
        index.add(feed)
        store, config, layout = index._store, index.config, index._layout
        docs = np.arange(1, 301, 3, dtype=np.int64)
        ref_docs, ref_counts, ref_heads = headline_rows(store, docs, config, layout)
        thin = ThinRows()
        reads = []
        real = store.articles
        store.articles = lambda *a, **k: reads.append(1) or real(*a, **k)
        try:
            got = thin.get(store, docs, config, layout)
            again = thin.get(store, docs[::2], config, layout)
            with_gone = thin.get(store, np.array([docs[0], 10_000]), config, layout)
        finally:
            store.articles = real
    assert np.array_equal(got[0], ref_docs)
    assert got[1].equals(ref_counts) and np.array_equal(got[2], ref_heads)
    at = np.searchsorted(ref_docs, docs[::2])
    assert np.array_equal(again[0], docs[::2]) and again[1].equals(ref_counts[at])
    assert np.array_equal(again[2], ref_heads[at])
    assert with_gone[0].tolist() == [docs[0]]
    assert len(reads) == 2  # the first read and the unknown doc; the second read none


@pytest.mark.parametrize("seed", range(4))
def test_gallop_positions_equal_searchsorted(seed):
    """The compiled pass gives ``searchsorted`` left and right: duplicates, keys before,
    between and after every run value, empty inputs."""
    from syndup.index._search_jit import gallop

    rng = np.random.default_rng(seed)
    for n, m, top in ((0, 5, 10), (7, 0, 10), (50, 30, 12), (3000, 800, 900), (2000, 5000, 2**63)):
        run = np.sort(rng.integers(0, top, n, dtype=np.uint64))
        keys = unique(rng.integers(0, top + 3, m, dtype=np.uint64))
        lo, hi = gallop(run, keys)
        assert np.array_equal(lo, np.searchsorted(run, keys, side="left"))
        assert np.array_equal(hi, np.searchsorted(run, keys, side="right"))


@pytest.mark.parametrize("seed", range(3))
def test_first_anchors_of_each_run_give_the_first_anchors(seed):
    """With every doc stored, reading ``anchors`` docs per key and run (an add's lookup)
    keeps the same anchors as reading PER_KEY (``first_live`` over all live docs)."""
    rng = np.random.default_rng(seed)
    runs = BandRuns()
    start = 1
    for size in (3000, 1200, 500, 90):
        runs.runs["body"].append(_run(rng, np.arange(start, start + size), 300))
        start += size
    keys = unique(rng.integers(1, 600, 250).astype(np.uint64))
    for anchors in (1, 2, 4, 7):
        k, d = runs.lookup("body", keys, per_key=anchors)
        full = runs.lookup("body", keys)
        assert np.array_equal(first_live(k, d, None, anchors), first_live(*full, None, anchors))
