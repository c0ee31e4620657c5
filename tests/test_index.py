"""The persistent index (SQLite): library API, stable ids, events, parity with `cluster`."""

from __future__ import annotations

import json
import sqlite3
import sys
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from typer.testing import CliRunner

import syndup
from syndup import Config, Index
from syndup.cli import app
from syndup.errors import ConfigError
from syndup.evaluate import score_clusters
from syndup.index import StoreError

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data" / "dev_labelled"
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> pl.DataFrame:
    from benchmarks import generate as gen

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SYNDUP_SHARED_DATA", str(tmp_path_factory.mktemp("x") / "missing"))
        return gen.generate_corpus(2000, seed=5)


@pytest.fixture()
def wire() -> pl.DataFrame:
    return syndup.read_corpus(ROOT / "data" / "wire_1916.jsonl")


def parity(batch: syndup.Result, index: Index) -> dict[str, float]:
    """Pairwise F1 of the index's clusters against the batch run's, and the share of batch
    clusters (2+) found identical with the same canonical."""
    inc = index.assignments()
    scores = score_clusters(inc, batch.assignments.rename({"cluster_id": "cluster"}))
    joined = batch.assignments.select(
        "id", pl.col("cluster_id").alias("b"), pl.col("canonical_id").alias("b_canon")
    ).join(inc.select("id", "cluster_id", "canonical_id"), on="id")
    sets_b = joined.group_by("b").agg(pl.col("id").sort().alias("ids"), pl.col("b_canon").first())
    sets_i = joined.group_by("cluster_id").agg(
        pl.col("id").sort().alias("ids"), pl.col("canonical_id").first()
    )
    multi = sets_b.filter(pl.col("ids").list.len() > 1)
    same = multi.join(sets_i, on="ids").filter(pl.col("b_canon") == pl.col("canonical_id"))
    return {
        "pairwise_f1": scores.pairwise_f1,
        "same_clusters_and_canonical": same.height / max(multi.height, 1),
        "batch_clusters": multi.height,
    }


def add_in_batches(path: Path, df: pl.DataFrame, parts: int = 10) -> Index:
    index = Index.open(path)
    size = -(-df.height // parts)
    for start in range(0, df.height, size):
        index.add(df.slice(start, size))
    return index


@pytest.mark.parametrize("order", ["published", "random"])
def test_parity_with_batch_on_generated_corpus(tmp_path, generated, order):
    df = (
        generated.sort("published", "id")
        if order == "published"
        else generated.sample(fraction=1.0, shuffle=True, seed=7)
    )
    batch = syndup.cluster(df)
    index = add_in_batches(tmp_path / "news.db", df)
    got = parity(batch, index)
    print(f"parity {order}: {got}")
    assert got["batch_clusters"] > 100
    assert got["pairwise_f1"] >= 0.995
    # Out of order, a band bucket's anchors are its earliest-added members, the batch run's
    # its smallest ids: a few clusters differ (see syndup.index.update).
    assert got["same_clusters_and_canonical"] >= (0.99 if order == "published" else 0.97)
    assert index.check() == []


@pytest.mark.skipif(not SHARED.is_dir(), reason="shared data absent")
@pytest.mark.parametrize("topic", ["census", "spotify"])
def test_parity_on_dev_labelled(tmp_path, topic):
    df = syndup.read_corpus(SHARED / topic / "articles.parquet")
    df = df.sort("published", "id")
    batch = syndup.cluster(df)
    index = add_in_batches(tmp_path / "dev.db", df)
    got = parity(batch, index)
    print(f"parity dev_labelled/{topic}: {got}")
    # 3-4 articles per batch: boilerplate learned per batch differs from the whole corpus.
    assert got["pairwise_f1"] >= 0.9


def test_add_reports_actions_and_ids_stay_stable(tmp_path, wire):
    index = Index.open(tmp_path / "w.db")
    first = index.add(wire.slice(0, 200))
    assert set(first.columns) >= {"id", "cluster_id", "canonical_id", "action", "rule"}
    assert set(first["action"]) <= {"new", "joined", "merged"}
    before = dict(zip(first["id"], first["cluster_id"]))
    second = index.add(wire.slice(200, 200))
    assert set(second["action"]) >= {"new", "joined"}
    now = index.assignments()
    grown = dict(zip(now["id"], now["cluster_id"]))
    # Every old article keeps its cluster id unless its cluster was merged into an older one.
    merged = index.events().filter(pl.col("kind") == "merged")
    gone = {f"c{o}" for o in merged["other"].to_list()}
    moved = [i for i, c in before.items() if grown[i] != c and c not in gone]
    assert moved == []
    joined = second.filter(pl.col("action") == "joined")
    assert joined.height and set(joined["cluster_id"]) <= set(before.values()) | set(
        merged["cluster"]
    )
    again = index.add(wire.slice(0, 5))
    assert again["action"].to_list() == ["exists"] * 5
    assert again["cluster_id"].to_list() == [grown[i] for i in again["id"]]


def test_merge_keeps_the_older_id_and_records_events(tmp_path):
    # letters OCR folding leaves apart (``ocr.CONFUSABLE``): no two words read alike
    letters = "dkmpvwxy"
    words = [letters[i % 8] + letters[i // 8 % 8] + letters[i // 64] + "ment" for i in range(400)]

    def body(lo: int, hi: int) -> str:  # no figures: a template check must not split them
        return " ".join(words[lo:hi])

    head = "Senate passes the long awaited bill"
    rows = [  # two trims of one story that share too little to match each other
        {"id": "a", "headline": head, "body": body(0, 200)},
        {"id": "b", "headline": head + " today", "body": body(120, 320)},
    ]
    index = Index.open(tmp_path / "m.db")
    out = index.add(pl.DataFrame(rows))
    assert out["cluster_id"].n_unique() == 2 and set(out["action"]) == {"new"}
    # A fuller copy contains 80% of each: it joins both, merging their clusters.
    out = index.add(
        pl.DataFrame([{"id": "c", "headline": "Senate passes bill", "body": body(40, 280)}])
    )
    assert out["action"].to_list() == ["merged"]
    ids = index.assignments()
    assert ids["cluster_id"].n_unique() == 1
    assert ids["cluster_id"][0] == "c1"  # the older of the two ids survives
    events = index.events()
    assert set(events["kind"]) >= {"merged", "joined"}
    assert events.filter(pl.col("kind") == "merged")["other"].to_list() == ["2"]
    assert index.get("c2")["id"].sort().to_list() == ["a", "b", "c"]  # merged id resolves


def test_query_does_not_write(tmp_path, wire):
    index = Index.open(tmp_path / "q.db")
    index.add(wire.slice(0, 300))
    before = index.stats()
    probe = wire.slice(300, 50)
    would = index.query(probe)
    assert would.height == 50 and "joined" in set(would["action"])
    assert index.stats() == before
    added = index.add(probe)
    assert added["cluster_id"].to_list() == would["cluster_id"].to_list()


def test_one_article_query_is_what_its_add_then_does(tmp_path, wire):
    """One article at a time (the query path's shortcuts: no boilerplate learning, one-pass
    patterns and dates): each query's report equals what adding that article then does,
    every column (new and joined both occur)."""
    index = Index.open(tmp_path / "one.db")
    index.add(wire.slice(0, 250))
    seen = set()
    for i in range(250, 330):
        probe = wire.slice(i, 1)
        would = index.query(probe)
        added = index.add(probe)
        assert would.equals(added), i
        seen |= set(added["action"])
    assert {"new", "joined"} <= seen
    assert index.check() == []


def test_explain_from_stored_data_matches_batch_explain(tmp_path, wire):
    index = Index.open(tmp_path / "e.db")
    index.add(wire)
    a, b = wire["id"][0], wire["id"][1]
    stored = index.explain(a, b)
    rerun = syndup.explain(wire, a, b)
    assert stored.rule == rerun.rule
    assert stored.features == rerun.features
    assert stored.lsh == rerun.lsh
    assert stored.same_cluster == rerun.same_cluster


def test_remove_and_expire(tmp_path, wire):
    index = Index.open(tmp_path / "r.db")
    index.add(wire)
    clusters = index.clusters()
    big = clusters.row(0, named=True)
    members = index.get(big["cluster_id"])
    canon = big["canonical_id"]
    assert index.remove([canon, "no-such-id"]) == 1
    left = index.get(big["cluster_id"])
    assert canon not in left["id"].to_list()
    assert left.height >= 1 and left.height <= members.height - 1
    assert "removed" in index.events()["kind"].to_list()
    assert index.check() == []
    from datetime import datetime, timezone

    cutoff = wire["published"].sort()[wire.height // 2]
    n = index.expire(
        older_than="1d",
        now=cutoff.replace(tzinfo=timezone.utc) if isinstance(cutoff, datetime) else cutoff,
    )
    assert 0 < n < wire.height
    assert index.check() == []
    assert index.stats()["articles"] == wire.height - 1 - n


def test_config_mismatch_schema_and_foreign_files(tmp_path, wire):
    path = tmp_path / "c.db"
    Index.open(path).add(wire.slice(0, 20))
    changed = Config.from_dict({"lsh": {"body_threshold": 0.5}})
    with pytest.raises(ConfigError, match=r"lsh\.body_threshold"):
        Index.open(path, config=changed)
    runtime = Config.from_dict({"signature": {"workers": 1}})
    Index.open(path, config=runtime).close()  # scheduling settings may differ
    foreign = tmp_path / "foreign.db"
    db = sqlite3.connect(foreign)
    db.execute("CREATE TABLE t (x)")
    db.commit()
    db.close()
    with pytest.raises(StoreError, match="not a syndup index"):
        Index.open(foreign)
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"this is not sqlite at all" * 100)
    with pytest.raises(StoreError, match=r"not a syndup index|corrupt"):
        Index.open(junk)
    db = sqlite3.connect(path)
    db.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    db.commit()
    db.close()
    with pytest.raises(StoreError, match="schema version 99"):
        Index.open(path)


def test_no_pickle_in_stored_blobs(tmp_path, wire):
    path = tmp_path / "p.db"
    Index.open(path).add(wire.slice(0, 30))
    db = sqlite3.connect(path)
    sig = db.execute("SELECT body_sig FROM articles LIMIT 1").fetchone()[0]
    assert len(sig) == 4 * Config().signature.num_perm  # raw uint32, nothing else
    for keys, docs in db.execute("SELECT keys, docs FROM runs"):
        assert len(keys) == 2 * len(docs)  # raw uint64 keys and uint32 docs, nothing else
        assert not keys.startswith(b"\x80") and not docs.startswith(b"\x80")  # no pickle header
        assert np.all(np.diff(np.frombuffer(keys, "<u8").astype(np.float64)) >= 0)
    assert np.frombuffer(sig, dtype="<u4").max() > 0


def test_cli_add_query_clusters_explain_export_check(tmp_path, wire):
    runner = CliRunner()
    db = str(tmp_path / "cli.db")
    src = str(ROOT / "data" / "wire_1916.jsonl")
    res = runner.invoke(app, ["index", "add", db, src, "--format", "jsonl", "-q"])
    assert res.exit_code == 0, res.output
    rows = [json.loads(line) for line in res.stdout.splitlines()]
    assert len(rows) == wire.height and {"cluster_id", "action"} <= set(rows[0])
    res = runner.invoke(app, ["index", "stats", db, "--format", "json"])
    assert json.loads(res.stdout)["articles"] == wire.height
    res = runner.invoke(app, ["index", "clusters", db, "--format", "csv"])
    assert res.exit_code == 0 and res.stdout.startswith("cluster_id,size")
    a, b = wire["id"][0], wire["id"][1]
    res = runner.invoke(app, ["index", "explain", db, a, b, "--format", "json"])
    assert res.exit_code == 0 and json.loads(res.stdout)["id_a"] == a
    out = tmp_path / "clusters.parquet"
    res = runner.invoke(app, ["index", "export", db, "-o", str(out)])
    assert res.exit_code == 0 and pl.read_parquet(out).height == Index.open(db).clusters().height
    res = runner.invoke(app, ["index", "check", db])
    assert res.exit_code == 0
    res = runner.invoke(app, ["index", "query", db, src, "--format", "jsonl"])
    assert {json.loads(x)["action"] for x in res.stdout.splitlines()} == {"exists"}
    res = runner.invoke(app, ["index", "explain", db, a, "nope"])
    assert res.exit_code == 3 and "nope" in res.stderr  # bad input data
    res = runner.invoke(app, ["index", "stats", str(tmp_path / "absent.db")])
    assert res.exit_code == 2 and "no such index" in res.stderr


def test_cli_follow_reads_micro_batches(tmp_path):
    runner = CliRunner()
    db = str(tmp_path / "f.db")
    lines = (ROOT / "data" / "wire_1916.jsonl").read_text().splitlines()[:95]
    res = runner.invoke(
        app, ["index", "add", db, "-", "--follow", "--batch", "20", "-q"], input="\n".join(lines)
    )
    assert res.exit_code == 0, res.output
    out = [json.loads(x) for x in res.stdout.splitlines()]
    assert len(out) == 95
    stats = Index.open(db).stats()
    assert stats["batches"] == 5 and stats["articles"] == 95
