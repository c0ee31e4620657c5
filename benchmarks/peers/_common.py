"""Shared plumbing for the peer adapters: CLI, parquet I/O, shingling, union-find, LSH params.

Only the standard library and pyarrow are used, so this module imports both in the project
venv (naive_datasketch) and in the peers venv (text_dedup_minhash, rensa_lsh). Nothing from
syndup is imported.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import sys
import time
import traceback
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

# Peers must never reach a hub at run time.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")

_WORD = re.compile(r"\w+")


@dataclass
class PeerArgs:
    input: Path
    output: Path
    threshold: float
    num_perm: int
    ngram: int
    extra: argparse.Namespace = field(default_factory=argparse.Namespace)


def parse_args(
    peer: str,
    argv: Sequence[str] | None = None,
    add_extra: Callable[[argparse.ArgumentParser], None] | None = None,
) -> PeerArgs:
    p = argparse.ArgumentParser(prog=f"{peer}.py", description=f"syndup peer adapter: {peer}")
    p.add_argument("input", type=Path, help="input parquet (id, headline, body)")
    p.add_argument("output", type=Path, help="output parquet (id, cluster_id)")
    p.add_argument("--threshold", type=float, default=0.5, help="Jaccard threshold (LSH)")
    p.add_argument("--num-perm", type=int, default=128, help="MinHash permutations")
    p.add_argument("--ngram", type=int, default=5, help="word n-gram size of the shingles")
    if add_extra is not None:
        add_extra(p)
    ns = p.parse_args(argv)
    if not 0.0 < ns.threshold <= 1.0:
        p.error("--threshold must be in (0, 1]")
    if ns.num_perm < 2:
        p.error("--num-perm must be >= 2")
    if ns.ngram < 1:
        p.error("--ngram must be >= 1")
    known = {"input", "output", "threshold", "num_perm", "ngram"}
    extra = argparse.Namespace(**{k: v for k, v in vars(ns).items() if k not in known})
    return PeerArgs(ns.input, ns.output, ns.threshold, ns.num_perm, ns.ngram, extra)


def iter_input(path: Path, batch_size: int = 10_000) -> Iterator:
    """The id / headline / body columns of the input parquet, as pyarrow Tables of at most
    ``batch_size`` rows (streamed: reading holds about one batch, not the whole file).
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    f = pq.ParquetFile(path, pre_buffer=False, buffer_size=1 << 20)
    missing = [c for c in ("id", "headline", "body") if c not in f.schema_arrow.names]
    if missing:
        raise ValueError(f"{path}: missing column(s) {', '.join(missing)}")
    for batch in f.iter_batches(
        batch_size=batch_size, columns=["id", "headline", "body"], use_threads=False
    ):
        if batch.column("id").null_count:
            raise ValueError(f"{path}: column id has nulls")
        yield pa.Table.from_batches([batch])


def table_ids(table) -> list[str]:
    return [str(i) for i in table.column("id").to_pylist()]


def table_texts(table):
    """headline + "\\n" + body (nulls as empty strings) as a pyarrow (chunked) array."""
    import pyarrow as pa
    import pyarrow.compute as pc

    return pc.binary_join_element_wise(
        pc.fill_null(table.column("headline").cast(pa.large_string()), ""),
        pc.fill_null(table.column("body").cast(pa.large_string()), ""),
        pa.scalar("\n", type=pa.large_string()),
    )


def read_input(path: Path) -> tuple[list[str], list[str]]:
    """Return (ids, texts) with text = headline + "\\n" + body, nulls as empty strings."""
    ids: list[str] = []
    texts: list[str] = []
    for table in iter_input(path):
        ids.extend(table_ids(table))
        texts.extend(table_texts(table).to_pylist())
    return ids, texts


def write_output(path: Path, ids: Sequence[str], cluster_ids: Sequence[str]) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    if len(ids) != len(cluster_ids):
        raise AssertionError("one cluster_id per id expected")
    table = pa.table(
        {
            "id": pa.array(list(ids), type=pa.string()),
            "cluster_id": pa.array(list(cluster_ids), type=pa.string()),
        }
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, path)


def shingles(text: str, n: int) -> set[str]:
    """Word n-grams of the lowercased ``\\w+`` tokens, joined by a space.

    A text with 1..n-1 tokens yields one shingle (all its tokens); a text without tokens
    yields none (the adapters keep such documents as singletons).
    """
    toks = _WORD.findall(text.lower())
    if len(toks) < n:
        return {" ".join(toks)} if toks else set()
    return {" ".join(toks[i : i + n]) for i in range(len(toks) - n + 1)}


class UnionFind:
    """Plain-Python union-find over 0..n-1 (path halving, union by size)."""

    def __init__(self, n: int) -> None:
        self.parent = list(range(n))
        self.size = [1] * n

    def find(self, x: int) -> int:
        parent = self.parent
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return
        if self.size[ra] < self.size[rb]:
            ra, rb = rb, ra
        self.parent[rb] = ra
        self.size[ra] += self.size[rb]


def cluster_ids_from_roots(ids: Sequence[str], roots: Iterable[int]) -> list[str]:
    """Map each row's root to the id of the lowest-index row with that root.

    Singletons therefore get their own id; every cluster is named by its first member.
    """
    first: dict[int, str] = {}
    out = []
    for i, r in enumerate(roots):
        name = first.get(r)
        if name is None:
            name = first[r] = ids[i]
        out.append(name)
    return out


def n_clusters(cluster_ids: Sequence[str]) -> int:
    return len(set(cluster_ids))


# LSH parameter choice: the weighted false-positive / false-negative optimiser used by
# datasketch and text-dedup (weights 0.5 / 0.5), integrated numerically here so that every
# adapter can use it without scipy.


def _integrate(f: Callable[[float], float], a: float, b: float, steps: int = 200) -> float:
    """Composite Simpson's rule (steps even)."""
    if b <= a:
        return 0.0
    h = (b - a) / steps
    s = f(a) + f(b)
    for k in range(1, steps):
        s += (4 if k % 2 else 2) * f(a + k * h)
    return s * h / 3


def _fp(threshold: float, b: int, r: int) -> float:
    return _integrate(lambda s: 1 - (1 - s ** float(r)) ** float(b), 0.0, threshold)


def _fn(threshold: float, b: int, r: int) -> float:
    return _integrate(lambda s: 1 - (1 - (1 - s ** float(r)) ** float(b)), threshold, 1.0)


def optimal_bands(
    threshold: float, num_perm: int, *, divisible: bool = False, fp_weight: float = 0.5
) -> tuple[int, int]:
    """(bands, rows) minimising fp_weight*FP + (1-fp_weight)*FN over b*r <= num_perm.

    With ``divisible`` only b*r == num_perm is considered (rensa requires num_perm % b == 0).
    """
    best, best_err = (1, num_perm), math.inf
    for b in range(1, num_perm + 1):
        max_r = num_perm // b
        if divisible:
            if b * max_r != num_perm:
                continue
            rows: Iterable[int] = (max_r,)
        else:
            rows = range(1, max_r + 1)
        for r in rows:
            err = fp_weight * _fp(threshold, b, r) + (1 - fp_weight) * _fn(threshold, b, r)
            if err < best_err:
                best, best_err = (b, r), err
    return best


class Stopwatch:
    """Collects named stage durations (seconds, rounded)."""

    def __init__(self) -> None:
        self.stages: dict[str, float] = {}

    def __call__(self, name: str) -> _Stage:
        return _Stage(self, name)


class _Stage:
    def __init__(self, sw: Stopwatch, name: str) -> None:
        self.sw, self.name = sw, name

    def __enter__(self) -> _Stage:
        self.t0 = time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        self.sw.stages[self.name] = round(time.perf_counter() - self.t0, 4)


def emit(result: dict) -> None:
    """Print the one JSON result line on stdout."""
    sys.stdout.write(json.dumps(result, sort_keys=False) + "\n")
    sys.stdout.flush()


def run_main(peer: str, main: Callable[[], dict]) -> None:
    """Run ``main`` (which returns the result dict); on error: message to stderr, exit 1."""
    try:
        result = main()
    except SystemExit:
        raise
    except BaseException as exc:
        traceback.print_exc(file=sys.stderr)
        print(f"{peer}: error: {type(exc).__name__}: {exc}", file=sys.stderr)
        sys.exit(1)
    emit(result)
