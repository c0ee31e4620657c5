"""Helpers shared by the index tests: a real redis-server, a feed corpus, CLI subprocesses."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import polars as pl

ROOT = Path(__file__).resolve().parents[1]
CLI = [sys.executable, "-c", "from syndup.cli import main; main()"]


def env() -> dict[str, str]:
    out = dict(os.environ)
    out["PYTHONPATH"] = str(ROOT / "src") + os.pathsep + out.get("PYTHONPATH", "")
    return out


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def redis_server(tmp: Path) -> Iterator[str]:
    """A throwaway redis-server on 127.0.0.1 (no persistence); yields its URL."""
    exe = shutil.which("redis-server")
    if exe is None:
        import pytest

        pytest.skip("redis-server not installed (.ci/run installs it)")
    port = free_port()
    args = ["--port", str(port), "--bind", "127.0.0.1", "--dir", str(tmp), "--save", ""]
    proc = subprocess.Popen(
        [exe, *args, "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        import redis

        client = redis.Redis(port=port)
        for _ in range(200):
            try:
                client.ping()
                break
            except redis.ConnectionError:
                time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        proc.terminate()
        proc.wait(10)


def feed_corpus(tmp: Path, n: int = 1500) -> Path:
    """A generated corpus (from the bundled sample) as JSONL, in published order."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from benchmarks import generate as gen

    old = os.environ.get("SYNDUP_SHARED_DATA")
    os.environ["SYNDUP_SHARED_DATA"] = str(tmp / "missing")
    try:
        df = gen.generate_corpus(n, seed=11)
    finally:
        if old is None:
            del os.environ["SYNDUP_SHARED_DATA"]
        else:
            os.environ["SYNDUP_SHARED_DATA"] = old
    path = tmp / "feed.jsonl"
    df.sort("published", "id").select("id", "headline", "body", "outlet", "published").write_ndjson(
        path
    )
    return path


def stored_consistently(index: object) -> tuple[int, int]:
    """``(articles stored, sum of committed batch sizes)`` read in one session."""
    from syndup.index.store import Retry

    store = index._store  # the storage interface itself: what a reader sees in one session
    while True:
        try:
            with store.reading():
                return store.members(None).height, int(store.batches()["articles"].sum() or 0)
        except Retry:  # Redis: a commit slipped in between; read again
            continue


def read_lines(path: Path) -> list[str]:
    return path.read_text().splitlines()


def ids_of(lines: list[str]) -> list[str]:
    return pl.read_ndjson("\n".join(lines).encode())["id"].to_list() if lines else []
