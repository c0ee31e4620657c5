"""Durability and concurrency of the index: SIGKILL mid-batch, two writers, readers.

Real processes: ``syndup index add --follow`` is killed with SIGKILL at random points; two
writer processes add at once while a reader checks it never sees half a batch.
"""

from __future__ import annotations

import json
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import polars as pl
import pytest

import syndup
from index_helpers import (
    CLI,
    env,
    feed_corpus,
    ids_of,
    read_lines,
    redis_server,
    stored_consistently,
)
from syndup import Index
from syndup.evaluate import score_clusters

KILLS = 20
BATCH = 8


@pytest.fixture(scope="module")
def feed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return feed_corpus(tmp_path_factory.mktemp("feed"), n=1500)


def _follow(db: str) -> subprocess.Popen:
    return subprocess.Popen(
        [*CLI, "index", "add", db, "-", "--follow", "--batch", str(BATCH), "--every", "0.3", "-q"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env(),
    )


def kill_loop(db: str, feed: Path, kills: int, seed: int) -> dict[str, int]:
    """Feed the stream, SIGKILL the writer at random points, check the index each time."""
    rng = random.Random(seed)
    lines = read_lines(feed)
    reported: set[str] = set()
    fed_upto = 0
    interrupted = 0
    for _ in range(kills):
        index = Index.open(db)
        stored = set(index.assignments()["id"].to_list())
        index.close()
        start = next((i for i, x in enumerate(ids_of(lines)) if x not in stored), len(lines))
        chunk = lines[start : start + 6 * BATCH]
        if not chunk:
            break
        proc = _follow(db)
        out: list[str] = []

        def pump(proc: subprocess.Popen = proc, out: list[str] = out) -> None:
            out.extend(line.decode() for line in proc.stdout)  # type: ignore[union-attr]

        reader = threading.Thread(target=pump, daemon=True)
        reader.start()
        proc.stdin.write(("\n".join(chunk) + "\n").encode())  # type: ignore[union-attr]
        proc.stdin.flush()  # type: ignore[union-attr]
        # Let it warm up and commit a random number of batches (0-4 of the 6 fed), then
        # kill it at a random moment of the next one: counted in batches, not seconds, so
        # the kill lands mid-stream however fast the machine is.
        deadline = time.monotonic() + 60
        want = max(1, rng.randint(0, 4) * BATCH)
        while len(out) < want and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.005)
        time.sleep(rng.uniform(0.0, 0.08))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        reader.join(5)
        for pipe in (proc.stdin, proc.stdout, proc.stderr):
            pipe.close()  # type: ignore[union-attr]
        got = {json.loads(x)["id"] for x in out if x.strip()}
        reported |= got
        fed_upto = max(fed_upto, start + len(chunk))
        # Afterwards: the index opens, passes its check, holds every reported batch...
        index = Index.open(db)
        assert index.check() == []
        now = set(index.assignments()["id"].to_list())
        assert reported <= now, "a batch reported committed is missing"
        # ...and nothing of a half-written one: every stored batch is whole.
        n, total = stored_consistently(index)
        assert n == total
        batches = index._store.batches()
        sizes = (
            index._store.articles(None, columns=("doc", "batch"))
            .group_by("batch")
            .len()
            .join(batches, on="batch")
        )
        assert (sizes["len"] == sizes["articles"]).all()
        assert now <= set(ids_of(lines[:fed_upto]))
        if len(got) < len(chunk):
            interrupted += 1  # killed with work in flight (reading, preparing or committing)
        index.close()
    res = subprocess.run([*CLI, "index", "check", db], env=env(), capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    return {"kills": kills, "reported": len(reported), "interrupted": interrupted}


def test_sigkill_loop_sqlite(tmp_path, feed):
    result = kill_loop(str(tmp_path / "kill.db"), feed, KILLS, seed=1)
    print(f"SIGKILL loop (SQLite): {result}")
    assert result["reported"] > 0 and result["interrupted"] >= KILLS // 2


def test_sigkill_loop_redis(tmp_path, feed):
    with redis_server(tmp_path) as url:
        result = kill_loop(url + "?prefix=kill", feed, 4, seed=2)
    print(f"SIGKILL loop (Redis): {result}")
    assert result["reported"] > 0


WRITER = """
import sys, polars as pl
from syndup import Index
db, path, part, parts = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
df = pl.read_ndjson(path)
mine = df.filter(pl.int_range(pl.len()) % parts == part)
index = Index.open(db)
for start in range(0, mine.height, 40):
    index.add(mine.slice(start, 40))
"""


def concurrent_writers(db: str, feed: Path) -> dict[str, object]:
    Index.open(db).close()
    writers = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, db, str(feed), str(part), "2"],
            env=env(),
            stderr=subprocess.PIPE,
        )
        for part in range(2)
    ]
    views, torn = 0, 0
    reader = Index.open(db)
    while any(w.poll() is None for w in writers):
        n, total = stored_consistently(reader)
        views += 1
        torn += n != total
        time.sleep(0.05)
    reader.close()
    for w in writers:
        _, err = w.communicate()
        assert w.returncode == 0, err.decode()
    index = Index.open(db)
    df = pl.read_ndjson(feed)
    stored = index.assignments()
    assert sorted(stored["id"].to_list()) == sorted(df["id"].to_list())
    assert index.check() == []
    batches = index._store.batches()
    halves = [(df.height - part + 1) // 2 for part in range(2)]
    assert batches["batch"].is_unique().all()
    assert batches.height == sum(-(-h // 40) for h in halves)
    batch_run = syndup.cluster(df)
    f1 = score_clusters(stored, batch_run.assignments.rename({"cluster_id": "cluster"}))
    return {"reader_views": views, "torn_views": torn, "pairwise_f1": f1.pairwise_f1}


def test_two_concurrent_writers_sqlite(tmp_path, feed):
    got = concurrent_writers(str(tmp_path / "two.db"), feed)
    print(f"concurrent writers (SQLite): {got}")
    assert got["torn_views"] == 0 and got["reader_views"] > 0
    assert got["pairwise_f1"] >= 0.995


def test_two_concurrent_writers_redis(tmp_path, feed):
    with redis_server(tmp_path) as url:
        got = concurrent_writers(url + "?prefix=two", feed)
    print(f"concurrent writers (Redis): {got}")
    assert got["torn_views"] == 0 and got["reader_views"] > 0
    assert got["pairwise_f1"] >= 0.995
