"""Redis store (redis-py, the ``syndup[redis]`` extra), for an index shared by several hosts.

Layout under ``prefix`` (``redis://host:6379/0?prefix=news``; default ``syndup``):

=====================  ==============================================================
``P:meta``             hash: application, schema version, config, counters
``P:ids``              hash: article id -> doc number
``P:a:DOC``            hash: ``m`` (JSON scalars), ``bs``/``ls``/``hs``/``f`` (raw uint32
                       signatures, figures), ``t`` (zstd cleaned body)
``P:m``                hash: doc -> JSON member row (cluster, component, similarity, ...)
``P:k:COMPONENT``      set of the component's docs
``P:e:DOC``            hash: other doc -> JSON edge (rule and features)
``P:c``                hash: cluster -> JSON cluster row
``P:ev`` / ``P:b``     lists of JSON events / batches
``P:runs:INDEX``       set of run ids; ``P:rk:INDEX:SEG`` / ``P:rd:INDEX:SEG`` raw
                       uint64 keys / uint32 docs of a band run
``P:lock``             the writer lock; ``P:version`` bumped by every commit
=====================  ==============================================================

A write session takes the lock (``SET NX PX``, refreshed while it runs), ``WATCH``es
``P:version``, reads directly and queues every write in one ``MULTI/EXEC`` pipeline sent at
the end: a writer that dies before ``EXEC`` leaves nothing (Redis drops a disconnected
client's queued transaction), and one whose lock expired while it worked (another writer
committed meanwhile) has its ``EXEC`` refused by the ``WATCH``. Readers compare
``P:version`` before and after and read again when a commit slipped in between, so they
never combine two batches. Values are JSON and raw arrays only; nothing is unpickled.

Why MULTI/EXEC with WATCH under a lock rather than a Lua script: a step runs the batch stages
(normalisation, MinHash, rapidfuzz verification, clustering) between reading its candidates
and writing, which a server-side script cannot run; Lua could only make the final write
atomic, which MULTI/EXEC already does. The lock serialises writers so a concurrent batch
waits instead of being computed and thrown away (plain optimistic WATCH retries would redo
a whole batch's work on every collision); WATCH keeps a writer that lost its lock from
committing. Only the lock release and refresh are small Lua scripts (compare-and-delete).

Expiry is ``Index.expire`` (``syndup index expire --older-than 7d``), the same on both
backends: articles are removed and their clusters re-clustered in one atomic step. Key TTLs
are not used: Redis would drop an article's keys without its member row, edges, cluster size
or band entries, leaving an index that ``check`` rejects.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

import numpy as np
import polars as pl

from syndup.index.store import (
    APPLICATION,
    ARTICLE_SCHEMA,
    BATCH_SCHEMA,
    CLUSTER_SCHEMA,
    EDGE_SCHEMA,
    EVENT_SCHEMA,
    MEMBER_SCHEMA,
    SCALAR_COLUMNS,
    Retry,
    Store,
    StoreError,
    frame,
    unique,
)

LOCK_MS = 15_000  # refreshed every LOCK_MS / 4 while a batch is worked on
_BLOBS = {"body_sig": "bs", "lead_sig": "ls", "headline_sig": "hs", "figures": "f", "body": "t"}
_MEMBER = tuple(c for c in MEMBER_SCHEMA if c != "doc")
_EDGE = tuple(c for c in EDGE_SCHEMA if c not in ("a", "b"))
_RELEASE = (
    "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0"
)
_REFRESH = (
    "if redis.call('get', KEYS[1]) == ARGV[1] then "
    "return redis.call('pexpire', KEYS[1], ARGV[2]) end return 0"
)


def _redis() -> Any:
    try:
        import redis
    except ImportError:
        raise StoreError(
            "a redis:// index needs the redis client: pip install 'syndup[redis]'"
        ) from None
    return redis


class RedisStore(Store):
    """``RedisStore("redis://127.0.0.1:6379/0?prefix=news")``."""

    def __init__(self, url: str, *, timeout: float = 30.0) -> None:
        redis = _redis()
        parts = urlsplit(url)
        query = parse_qs(parts.query)
        self.prefix = (query.pop("prefix", ["syndup"])[0] or "syndup").rstrip(":")
        plain = urlunsplit(parts._replace(query=urlencode(query, doseq=True)))
        self.url = url
        self.timeout = timeout
        try:
            self.r = redis.Redis.from_url(plain, socket_timeout=max(timeout, 60.0))
            self.r.ping()
        except redis.RedisError as exc:
            raise StoreError(f"{url}: cannot reach Redis ({exc})") from None
        self._pipe: Any = None
        self._token: str | None = None

    def _k(self, *parts: object) -> str:
        return ":".join([self.prefix, *map(str, parts)])

    # ------------------------------------------------------------------ lifecycle
    def read_meta(self) -> dict[str, str] | None:
        raw = self.r.hgetall(self._k("meta"))
        if not raw:
            if self.r.exists(self._k("ids"), self._k("m"), self._k("c")):
                raise StoreError(f"{self.url}: keys under '{self.prefix}' but no index metadata")
            return None
        try:
            meta = {k.decode(): v.decode() for k, v in raw.items()}
        except UnicodeDecodeError:
            raise StoreError(f"{self.url}: not a syndup index (binary metadata)") from None
        if meta.get("application") != APPLICATION:
            raise StoreError(f"{self.url}: not a syndup index (prefix '{self.prefix}')")
        return meta

    def create(self, meta: dict[str, str]) -> None:
        with self.writing():
            if self.r.exists(self._k("meta")):
                return
            self.put_meta(meta)

    @contextmanager
    def writing(self) -> Iterator[None]:
        if self._pipe is not None:
            yield
            return
        redis = _redis()
        token = uuid.uuid4().hex
        deadline = time.monotonic() + self.timeout
        while not self.r.set(self._k("lock"), token, nx=True, px=LOCK_MS):
            if time.monotonic() > deadline:
                raise StoreError(f"{self.url}: another writer holds the index lock")
            time.sleep(0.02)
        self._token = token
        # WATCH the version key for the whole session: every commit bumps it, so if this
        # writer lost its lock (paused past LOCK_MS) and another writer committed, EXEC
        # aborts instead of writing a batch computed from a stale index.
        self._pipe = self.r.pipeline(transaction=True)
        self._pipe.watch(self._k("version"))
        self._pipe.multi()
        stop = threading.Event()
        beat = threading.Thread(target=self._heartbeat, args=(token, stop), daemon=True)
        beat.start()
        try:
            yield
            if not self._keep_lock(token):
                raise StoreError(
                    f"{self.url}: lost the writer lock to another writer (batch not written)"
                )
            self._pipe.incr(self._k("version"))
            try:
                self._pipe.execute()
            except redis.WatchError:
                raise StoreError(
                    f"{self.url}: another writer committed while this batch was worked on "
                    "(the writer lock had expired): batch not written"
                ) from None
        finally:
            stop.set()
            beat.join()
            self._pipe.reset()
            self._pipe = None
            self._token = None
            self.r.eval(_RELEASE, 1, self._k("lock"), token)

    def _keep_lock(self, token: str) -> bool:
        """Whether this writer holds the lock at commit: refreshed if it still does, taken
        again if it expired and nobody took it since. Under heavy load a live writer's
        heartbeat can miss ``LOCK_MS`` (a slow server, a starved thread); that alone must
        not throw a batch away. Taking a free lock again is safe: the lock only makes other
        writers wait, and the ``WATCH`` on the version key still refuses the ``EXEC`` if any
        writer committed in the meantime. Held by another writer: False."""
        if self.r.eval(_REFRESH, 1, self._k("lock"), token, LOCK_MS):
            return True
        return bool(self.r.set(self._k("lock"), token, nx=True, px=LOCK_MS))

    def _heartbeat(self, token: str, stop: threading.Event) -> None:
        """Keep the lock while this process works on a batch (a dead writer's lock expires
        after ``LOCK_MS``). A failed refresh (a timeout under load) is retried at the next
        beat rather than ending the heartbeat; the commit checks the lock itself."""
        while not stop.wait(LOCK_MS / 4000):
            try:
                self.r.eval(_REFRESH, 1, self._k("lock"), token, LOCK_MS)
            except Exception:  # transient (a timeout under load): the next beat tries again
                continue

    def refresh_lock(self) -> None:
        if self._token is not None:
            self.r.eval(_REFRESH, 1, self._k("lock"), self._token, LOCK_MS)

    @contextmanager
    def reading(self) -> Iterator[None]:
        if self._pipe is not None:
            yield
            return
        before = self.r.get(self._k("version"))
        yield
        if self.r.get(self._k("version")) != before:
            raise Retry()

    def close(self) -> None:
        self.r.close()

    def size_bytes(self) -> int:
        """``used_memory`` of the server (the whole server: run one index per server to
        read it as the index's memory)."""
        return int(self.r.info("memory")["used_memory"])

    # ------------------------------------------------------------------ reads
    def lookup_ids(self, ids: list[str]) -> dict[str, int]:
        if not ids:
            return {}
        values = self.r.hmget(self._k("ids"), ids)
        return {i: int(v) for i, v in zip(ids, values) if v is not None}

    def segment_ids(self, index: str) -> list[int]:
        return sorted(int(x) for x in self.r.smembers(self._k("runs", index)))

    def segment_ids_of(self, indexes: tuple[str, ...]) -> dict[str, list[int]]:
        pipe = self.r.pipeline(transaction=False)
        for name in indexes:
            pipe.smembers(self._k("runs", name))
        return {n: sorted(int(x) for x in got) for n, got in zip(indexes, pipe.execute())}

    def segment(self, index: str, seg: int) -> tuple[bytes, bytes]:
        keys, docs = self.r.mget([self._k("rk", index, seg), self._k("rd", index, seg)])
        if keys is None or docs is None:
            raise StoreError(f"{self.url}: band run {index}/{seg} is missing")
        return keys, docs

    def article_count(self) -> int:
        return int(self.r.hlen(self._k("ids")))

    def _all_docs(self) -> np.ndarray:
        return np.sort(np.array([int(v) for v in self.r.hvals(self._k("ids"))], dtype=np.int64))

    def articles(
        self, docs: np.ndarray | None, *, columns: tuple[str, ...] = tuple(ARTICLE_SCHEMA)
    ) -> pl.DataFrame:
        docs = self._all_docs() if docs is None else unique(np.asarray(docs, dtype=np.int64))
        blobs = [c for c in columns if c in _BLOBS]
        fields = ["m", *[_BLOBS[c] for c in blobs]]
        pipe = self.r.pipeline(transaction=False)
        for d in docs.tolist():
            pipe.hmget(self._k("a", d), fields)
        rows = []
        for d, values in zip(docs.tolist(), pipe.execute()):
            if values[0] is None:
                continue
            row = json.loads(values[0])
            row["doc"] = d
            for c, v in zip(blobs, values[1:]):
                row[c] = v
            rows.append({c: row.get(c) for c in columns})
        return frame(rows, {c: ARTICLE_SCHEMA[c] for c in columns})

    def members(self, docs: np.ndarray | None) -> pl.DataFrame:
        if docs is None:
            raw = self.r.hgetall(self._k("m"))
            pairs = sorted((int(k), v) for k, v in raw.items())
        else:
            docs = unique(np.asarray(docs, dtype=np.int64)).tolist()
            values = self.r.hmget(self._k("m"), docs) if docs else []
            pairs = [(d, v) for d, v in zip(docs, values) if v is not None]
        rows = [(d, *json.loads(v)) for d, v in pairs]
        return frame(rows, MEMBER_SCHEMA)

    def live_docs(self, docs: np.ndarray) -> np.ndarray:
        """Which ``docs`` have a member row: existence only (no member row decoded)."""
        docs = unique(np.asarray(docs, dtype=np.int64))
        if not len(docs):
            return docs
        values = self.r.hmget(self._k("m"), docs.tolist())
        return docs[np.array([v is not None for v in values], dtype=bool)]

    def component_docs(self, components: np.ndarray) -> np.ndarray:
        pipe = self.r.pipeline(transaction=False)
        for c in unique(components).tolist():
            pipe.smembers(self._k("k", c))
        docs = {int(d) for found in pipe.execute() for d in found}
        return np.array(sorted(docs), dtype=np.int64)

    def edges(self, docs: np.ndarray) -> pl.DataFrame:
        pipe = self.r.pipeline(transaction=False)
        docs = unique(np.asarray(docs, dtype=np.int64)).tolist()
        for d in docs:
            pipe.hgetall(self._k("e", d))
        rows = {}
        for d, found in zip(docs, pipe.execute()):
            for other, value in found.items():
                a, b = sorted((d, int(other)))
                rows[(a, b)] = (a, b, *json.loads(value))
        return frame(list(rows.values()), EDGE_SCHEMA)

    def clusters(self, ids: np.ndarray | None = None) -> pl.DataFrame:
        if ids is None:
            values = list(self.r.hgetall(self._k("c")).values())
        else:
            ids = unique(np.asarray(ids, dtype=np.int64)).tolist()
            values = [v for v in (self.r.hmget(self._k("c"), ids) if ids else []) if v]
        rows = sorted((json.loads(v) for v in values), key=lambda r: r[0])
        return frame([tuple(r) for r in rows], CLUSTER_SCHEMA)

    def events(self, since: int = 0) -> pl.DataFrame:
        rows = [tuple(json.loads(v)) for v in self.r.lrange(self._k("ev"), int(since), -1)]
        return frame([r for r in rows if r[0] > since], EVENT_SCHEMA)

    def batches(self) -> pl.DataFrame:
        rows = [tuple(json.loads(v)) for v in self.r.lrange(self._k("b"), 0, -1)]
        return frame(rows, BATCH_SCHEMA)

    # ------------------------------------------------------------------ writes
    @property
    def w(self) -> Any:
        if self._pipe is None:
            raise RuntimeError("writes need a writing() session")
        return self._pipe

    def put_meta(self, values: dict[str, str]) -> None:
        self.w.hset(self._k("meta"), mapping=values)

    def put_articles(self, rows: pl.DataFrame) -> None:
        scalars = [c for c in SCALAR_COLUMNS if c != "doc"]
        ids = {}
        blobs = list(_BLOBS)
        for doc, id_, meta, blob in zip(
            rows["doc"].to_list(),
            rows["id"].to_list(),
            rows.select(scalars).rows(),
            rows.select(blobs).rows(),
        ):
            fields = {"m": json.dumps(dict(zip(scalars, meta)))}
            fields.update(zip(_BLOBS.values(), blob))
            self.w.hset(self._k("a", doc), mapping=fields)
            ids[id_] = doc
        if ids:
            self.w.hset(self._k("ids"), mapping=ids)
        self.refresh_lock()

    def put_members(self, rows: pl.DataFrame) -> None:
        if rows.height == 0:
            return
        old = self.members(rows["doc"].to_numpy())
        before = dict(zip(old["doc"].to_list(), old["component"].to_list()))
        values = {}
        gone: dict[int, list[int]] = {}  # component -> docs leaving it
        came: dict[int, list[int]] = {}  # component -> docs joining it
        docs, comps = rows["doc"].to_list(), rows["component"].to_list()
        for d, comp, r in zip(docs, comps, rows.select(_MEMBER).rows()):
            values[d] = json.dumps(list(r))
            if before.get(d) != comp:
                if d in before:
                    gone.setdefault(before[d], []).append(d)
                came.setdefault(comp, []).append(d)
        for comp, moved in gone.items():  # a doc that moves leaves and joins different sets
            self.w.srem(self._k("k", comp), *moved)
        for comp, moved in came.items():
            self.w.sadd(self._k("k", comp), *moved)
        self.w.hset(self._k("m"), mapping=values)

    def put_segment(
        self, index: str, seg: int, keys: bytes | memoryview, docs: bytes | memoryview
    ) -> None:
        self.w.set(self._k("rk", index, seg), keys)
        self.w.set(self._k("rd", index, seg), docs)
        self.w.sadd(self._k("runs", index), seg)

    def delete_segment(self, index: str, seg: int) -> None:
        self.w.delete(self._k("rk", index, seg), self._k("rd", index, seg))
        self.w.srem(self._k("runs", index), seg)

    def put_edges(self, rows: pl.DataFrame) -> None:
        # One HSET per article with all its new edges (not two commands per edge).
        per: dict[int, dict[int, str]] = {}
        values = (json.dumps(list(r)) for r in rows.select(_EDGE).rows())
        for a, b, value in zip(rows["a"].to_list(), rows["b"].to_list(), values):
            per.setdefault(a, {})[b] = value
            per.setdefault(b, {})[a] = value
        for d, mapping in per.items():
            self.w.hset(self._k("e", d), mapping=mapping)

    def delete_docs(self, docs: np.ndarray) -> None:
        docs = unique(np.asarray(docs, dtype=np.int64))
        arts = self.articles(docs, columns=("doc", "id"))
        mem = self.members(docs)
        for d, comp in zip(mem["doc"].to_list(), mem["component"].to_list()):
            self.w.srem(self._k("k", comp), d)
        edges = self.edges(docs)
        for a, b in zip(edges["a"].to_list(), edges["b"].to_list()):
            self.w.hdel(self._k("e", a), b)
            self.w.hdel(self._k("e", b), a)
        for d in docs.tolist():
            self.w.delete(self._k("a", d), self._k("e", d))
        if len(docs):
            self.w.hdel(self._k("m"), *docs.tolist())
        if arts.height:
            self.w.hdel(self._k("ids"), *arts["id"].to_list())

    def put_clusters(self, rows: pl.DataFrame) -> None:
        if rows.height:
            mapping = {r[0]: json.dumps(list(r)) for r in rows.select(list(CLUSTER_SCHEMA)).rows()}
            self.w.hset(self._k("c"), mapping=mapping)

    def delete_clusters(self, ids: np.ndarray) -> None:
        if len(ids):
            self.w.hdel(self._k("c"), *np.asarray(ids).tolist())

    def add_events(self, rows: pl.DataFrame) -> None:
        if rows.height:
            self.w.rpush(
                self._k("ev"),
                *[json.dumps(list(r)) for r in rows.select(list(EVENT_SCHEMA)).rows()],
            )

    def add_batch(self, row: pl.DataFrame) -> None:
        self.w.rpush(
            self._k("b"), *[json.dumps(list(r)) for r in row.select(list(BATCH_SCHEMA)).rows()]
        )
