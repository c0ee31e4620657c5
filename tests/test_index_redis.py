"""The Redis store against a real redis-server: same results as SQLite, errors, no pickle."""

from __future__ import annotations

import sys

import pytest

import syndup
from index_helpers import ROOT, redis_server
from syndup import Index
from syndup.index import StoreError


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory):
    with redis_server(tmp_path_factory.mktemp("redis")) as url:
        yield url


def test_redis_matches_sqlite(tmp_path, server):
    df = syndup.read_corpus(ROOT / "data" / "wire_1916.jsonl")
    on_redis = Index.open(server + "?prefix=same")
    on_sqlite = Index.open(tmp_path / "same.db")
    for start in range(0, df.height, 100):
        a = on_redis.add(df.slice(start, 100))
        b = on_sqlite.add(df.slice(start, 100))
        assert a.equals(b)
    assert on_redis.assignments().sort("id").equals(on_sqlite.assignments().sort("id"))
    assert (
        on_redis.clusters()
        .drop("founded", "updated")
        .equals(on_sqlite.clusters().drop("founded", "updated"))
    )
    assert on_redis.events().drop("time")["kind"].to_list() == on_sqlite.events()["kind"].to_list()
    a, b = df["id"][0], df["id"][1]
    assert on_redis.explain(a, b).to_dict() == on_sqlite.explain(a, b).to_dict()
    assert on_redis.check() == []
    removed = on_redis.remove([a]), on_sqlite.remove([a])
    assert removed == (1, 1)
    assert on_redis.assignments().sort("id").equals(on_sqlite.assignments().sort("id"))
    assert on_redis.stats()["articles"] == df.height - 1


def test_prefixes_are_separate_and_foreign_keys_refused(server):
    import redis

    one = Index.open(server + "?prefix=one")
    one.add(syndup.read_corpus(ROOT / "data" / "wire_1916.jsonl").head(10))
    assert Index.open(server + "?prefix=two").stats()["articles"] == 0
    client = redis.Redis.from_url(server)
    client.hset("alien:meta", mapping={"application": "something-else"})
    with pytest.raises(StoreError, match="not a syndup index"):
        Index.open(server + "?prefix=alien")
    client.hset("half:m", "1", "[]")
    with pytest.raises(StoreError, match="no index metadata"):
        Index.open(server + "?prefix=half")
    for key in client.scan_iter("one:*"):
        value = client.type(key)
        if value == b"string":
            assert not client.get(key).startswith(b"\x80")  # never a pickle


def test_missing_client_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "redis", None)  # as if redis-py were not installed
    with pytest.raises(StoreError, match=r"syndup\[redis\]"):
        Index.open("redis://127.0.0.1:1/0")


def test_a_commit_after_another_writers_is_refused(server):
    """A writer whose session overlapped another commit (its lock had expired) must not
    write: the WATCH on the version key makes its EXEC fail and nothing of it lands."""
    import redis

    from syndup.index.redis import RedisStore

    df = syndup.read_corpus(ROOT / "data" / "wire_1916.jsonl")
    index = Index.open(server + "?prefix=watched")
    index.add(df.head(20))
    store = RedisStore(server + "?prefix=watched")
    client = redis.Redis.from_url(server)
    with pytest.raises(StoreError, match="another writer committed"), store.writing():
        store.put_meta({"stray": "1"})
        client.incr("watched:version")  # what another writer's commit does
    assert client.hget("watched:meta", "stray") is None
    assert client.get("watched:lock") is None  # released
    index.add(df.slice(20, 20))  # the index is still usable
    assert index.check() == [] and index.stats()["articles"] == 40


def test_a_slow_writer_whose_lock_expired_still_commits(server):
    """A live writer whose lock expired while it worked (its heartbeat missed the deadline
    under load) commits when no other writer took the lock or committed meanwhile; one whose
    lock another writer holds is refused and writes nothing."""
    import redis

    from syndup.index.redis import RedisStore

    df = syndup.read_corpus(ROOT / "data" / "wire_1916.jsonl")
    index = Index.open(server + "?prefix=slow")
    index.add(df.head(20))
    store = RedisStore(server + "?prefix=slow")
    client = redis.Redis.from_url(server)
    with store.writing():
        store.put_meta({"late": "1"})
        client.delete("slow:lock")  # what an expired lock looks like
    assert client.hget("slow:meta", "late") == b"1"
    assert client.get("slow:lock") is None  # released
    with pytest.raises(StoreError, match="lost the writer lock"), store.writing():
        store.put_meta({"stolen": "1"})
        client.set("slow:lock", "another-writer")  # expired, then taken by another writer
    assert client.hget("slow:meta", "stolen") is None
    assert client.get("slow:lock") == b"another-writer"  # not released by the loser
    client.delete("slow:lock")
    index.add(df.slice(20, 20))
    assert index.check() == [] and index.stats()["articles"] == 40


def test_expire_on_redis_matches_sqlite_and_frees_the_keys(tmp_path, server):
    """``expire`` on a real redis-server: the same articles go as on SQLite, in one atomic
    step (check passes), their keys are deleted, and the band runs drop them at the next
    merge, so later articles are matched against the live ones only."""
    from datetime import timezone

    import redis

    df = syndup.read_corpus(ROOT / "data" / "wire_1916.jsonl")
    on_redis = Index.open(server + "?prefix=expiring")
    on_sqlite = Index.open(tmp_path / "expiring.db")
    head, tail = df.head(300), df.slice(300)
    for start in range(0, head.height, 100):
        on_redis.add(head.slice(start, 100))
        on_sqlite.add(head.slice(start, 100))
    cutoff = head["published"].drop_nulls().sort()[head.height // 2]
    now = cutoff.replace(tzinfo=timezone.utc)
    gone = on_redis.expire(older_than="1d", now=now)
    assert gone == on_sqlite.expire(older_than="1d", now=now)
    assert 0 < gone < head.height
    assert on_redis.check() == [] and on_sqlite.check() == []
    assert on_redis.assignments().sort("id").equals(on_sqlite.assignments().sort("id"))
    client = redis.Redis.from_url(server)
    articles = [k for k in client.scan_iter("expiring:a:*")]
    assert len(articles) == head.height - gone == client.hlen("expiring:ids")
    left = set(on_redis.assignments()["id"].to_list())
    expired = set(head["id"].to_list()) - left
    assert len(expired) == gone
    # Later articles join live clusters only: no assignment names an expired article.
    for start in range(0, tail.height, 50):
        a = on_redis.add(tail.slice(start, 50))
        assert a.equals(on_sqlite.add(tail.slice(start, 50)))
        assert not set(a["canonical_id"].drop_nulls().to_list()) & expired
    assert on_redis.check() == []
