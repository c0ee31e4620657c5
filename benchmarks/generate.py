"""Deterministic generator of syndicated-reprint corpora with gold clusters (see README.md).

    python benchmarks/generate.py -n 100000 --seed 1 [--words 400] [--ocr-rate 0.05] \\
        -o benchmarks/work/gen_100k.parquet

Real bodies (Reuters-21578, Chronicling America 1916 front pages, AG News) are read from the
shared data folder (``SYNDUP_SHARED_DATA`` or ``../shared/data`` above the repo); without it the
public-domain sample in ``benchmarks/sample`` is used. Stories are copied onto a few hundred
outlets with realistic syndication edits (``syndication_edits.py``).
"""

from __future__ import annotations

import argparse
import functools
import hashlib
import itertools
import os
import random
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import polars as pl
from numpy.random import PCG64, Generator

if __package__:
    from . import syndication_edits as se
else:  # run as a script
    import syndication_edits as se

HERE = Path(__file__).resolve().parent
SAMPLE_DIR = HERE / "sample"
SAMPLE_FILE = "chronam_1916_chunks.parquet"
CACHE_DIR = HERE / "work"
CACHE_VERSION = "2"
FAMILIES = ("reuters", "chronam", "ag")  # source_id prefixes
DIRS = {"reuters": "reuters21578", "chronam": "chronam_1916", "ag": "ag_news_test"}
FAMILY_WEIGHTS = (0.45, 0.45, 0.10)  # share of stories drawn from each corpus
ORIGINAL, REPRINT, WRITETHROUGH, NEGATIVE, SINGLETON = range(5)
ROLES = ("original", "reprint", "writethrough", "negative", "singleton")
SINGLETON_P, ALPHA, MAX_CLUSTER = 0.60, 2.2, 300  # cluster sizes: P(k) ~ k^-ALPHA for k >= 2
WT_P1, WT_P2, STALE_P, REPUBLISH_P, HEADLINE_ONLY = 0.20, 0.05, 0.25, 0.015, 0.01
START = 1_546_300_800  # 2019-01-01T00:00:00Z
SCHEMA = {
    c: pl.String
    for c in ("id", "headline", "body", "outlet", "published", "url", "gold", "role", "edits")
}


# --------------------------------------------------------------------------- sources
def shared_data_dir() -> Path | None:
    """``$SYNDUP_SHARED_DATA`` if set (None when it does not exist), else ``../shared/data``."""
    env = os.environ.get("SYNDUP_SHARED_DATA")
    if env:
        return Path(env) if Path(env).is_dir() else None
    for parent in HERE.parents:
        if (parent / "shared" / "data").is_dir():
            return parent / "shared" / "data"
    return None


def load_sources(data_dir: Path | None = None) -> pl.DataFrame:
    """Cleaned, de-duplicated source stories: columns source_id, headline, body.

    Bodies are paragraphs joined by blank lines. Reuters bodies of >= 80 words; Chronicling
    America pages cut into 150-700 word chunks on sentence boundaries; AG News short items.
    """
    d = Path(data_dir) if data_dir is not None else shared_data_dir()
    return _load_sources(str(d.resolve()) if d is not None else "")


@functools.lru_cache(maxsize=4)
def _load_sources(d: str) -> pl.DataFrame:
    p = Path(d) if d else None
    if p is not None and (p / SAMPLE_FILE).is_file():
        return pl.read_parquet(p / SAMPLE_FILE)
    files = {f: p / DIRS[f] / "articles.parquet" for f in FAMILIES} if p is not None else {}
    files = {f: v for f, v in files.items() if v.is_file()}
    if not files:
        return pl.read_parquet(SAMPLE_DIR / SAMPLE_FILE)
    stat = [(f, str(v), v.stat().st_size, v.stat().st_mtime_ns) for f, v in files.items()]
    key = hashlib.sha1(repr((CACHE_VERSION, stat)).encode()).hexdigest()[:16]
    cache = CACHE_DIR / f"sources-{key}.parquet"
    if cache.is_file():
        return pl.read_parquet(cache)
    readers = {"reuters": se.reuters_doc, "chronam": se.chronam_chunks, "ag": se.ag_doc}
    cols = {"reuters": ["id", "headline", "body"], "chronam": ["id", "body"]}
    rows = [
        r
        for f, path in files.items()
        for r in _read(path, readers[f], cols.get(f, ["id", "headline", "body"]))
    ]
    df = _dedup(pl.DataFrame(rows, schema=["source_id", "headline", "body"], orient="row"))
    try:
        CACHE_DIR.mkdir(parents=True, exist_ok=True)
        tmp = cache.with_suffix(f".{os.getpid()}.tmp")
        df.write_parquet(tmp)
        os.replace(tmp, cache)
    except OSError:
        pass
    return df


def _read(path: Path, fn, cols: list[str]) -> Iterator[tuple[str, str, str]]:
    for row in pl.read_parquet(path, columns=cols).drop_nulls().iter_rows():
        yield from fn(*row)


def _dedup(df: pl.DataFrame, threshold: float = 0.2) -> pl.DataFrame:
    """Drop sources sharing >= threshold of their word 5-grams with an earlier source."""
    toks = df["body"].str.to_lowercase().str.extract_all(r"[a-z0-9]+")
    lens = toks.list.len().fill_null(0).to_numpy().astype(np.int64)
    ids = toks.explode().hash(seed=5).to_numpy()  # only equality of keys matters
    if len(ids) < 5:
        return df
    doc = np.repeat(np.arange(len(df)), lens)
    key = np.zeros(len(ids) - 4, np.uint64)
    for j, mul in enumerate(
        (
            0x9E3779B97F4A7C15,
            0xC2B2AE3D27D4EB4F,
            0x165667B19E3779F9,
            0xD6E8FEB86659FD93,
            0xFF51AFD7ED558CCD,
        )
    ):
        key = (key ^ (ids[j : len(ids) - 4 + j] * np.uint64(mul))) * np.uint64(0x100000001B3)
    sh = pl.DataFrame({"doc": doc[:-4], "key": key}).filter(pl.Series(doc[:-4] == doc[4:])).unique()
    size = sh.group_by("doc").len("n")
    multi = sh.group_by("key").len("k").filter((pl.col("k") >= 2) & (pl.col("k") <= 50))
    sh = sh.join(multi.select("key"), on="key")
    pairs = (
        sh.join(sh, on="key", suffix="_b")
        .filter(pl.col("doc") < pl.col("doc_b"))
        .group_by("doc", "doc_b")
        .len("shared")
        .join(size, on="doc")
        .join(size.rename({"doc": "doc_b", "n": "n_b"}), on="doc_b")
    )
    drop = pairs.filter(pl.col("shared") >= threshold * pl.min_horizontal("n", "n_b"))["doc_b"]
    return df.with_row_index("_i").filter(~pl.col("_i").is_in(drop.implode())).drop("_i")


class _Ctx:
    """Sources in the shape the story builders need (plain lists for fast indexing)."""

    def __init__(self, df: pl.DataFrame) -> None:
        fam = (
            df["source_id"]
            .str.extract(r"^(\w+):")
            .replace_strict({f: i for i, f in enumerate(FAMILIES)}, return_dtype=pl.Int64)
            .to_numpy()
        )
        bodies = df["body"].to_list()
        self.paras = [b.split("\n\n") for b in bodies]
        self.headlines = df["headline"].to_list()
        self.fam_src = [np.flatnonzero(fam == f).tolist() for f in range(len(FAMILIES))]
        self.fam_len = [[se.words(bodies[i]) for i in src] for src in self.fam_src]
        self.ext_fam = [
            f if self.fam_src[f] else next(g for g in range(3) if self.fam_src[g]) for f in range(3)
        ]
        if self.fam_src[0]:
            self.ext_fam[2] = 0  # AG items are 1-2 sentences: extend them with Reuters text
        clean = [i for f in (0, 2) for i in self.fam_src[f]] or range(len(self.headlines))
        self.hl_pool = [self.headlines[i] for i in clean]
        self.sents: list[list[str] | None] = [None] * len(bodies)
        self.outlets = se.build_outlets()
        tok = (
            df.select(pl.col("body").str.extract_all(r"\b[A-Za-z][a-zA-Z]{2,}\b").alias("t"))
            .explode("t")
            .group_by("t")
            .len()
        )
        low = tok.filter(pl.col("t").str.contains(r"^[a-z]+$")).rename({"len": "low"})
        ents = (
            tok.filter(pl.col("t").str.contains(r"^[A-Z]"))
            .join(low, left_on=pl.col("t").str.to_lowercase(), right_on="t", how="left")
            .filter(
                (pl.col("len") >= 3)
                & (pl.col("low").fill_null(0) < 0.2 * pl.col("len"))
                & ~pl.col("t").is_in(list(_NOT_ENTITIES))
            )
            .sort("t")
        )
        self.ents = ents["t"].to_list()
        self.ent_idx = {e: i for i, e in enumerate(self.ents)}


_NOT_ENTITIES = set(
    """
    Monday Tuesday Wednesday Thursday Friday Saturday Sunday January February March April
    June July August September October November December Reuter Reuters The Mrs Miss
    """.split()  # noqa: SIM905
)


@functools.lru_cache(maxsize=4)
def _ctx(d: str) -> _Ctx:
    return _Ctx(_load_sources(d))


# --------------------------------------------------------------------------- plan
def _cluster_sizes(rng: Generator, rows: int) -> np.ndarray:
    cap = int(min(MAX_CLUSTER, max(2, rows // 15)))
    k = np.arange(2, cap + 1)
    pmf = k**-ALPHA
    parts, total = [], 0
    while total < rows:
        m = max(16, (rows - total) // 2)
        s = np.where(rng.random(m) < SINGLETON_P, 1, rng.choice(k, size=m, p=pmf / pmf.sum()))
        parts.append(s)
        total += int(s.sum())
    sizes = np.concatenate(parts)
    cut = int(np.searchsorted(np.cumsum(sizes), rows))
    sizes = sizes[: cut + 1].copy()
    sizes[-1] -= int(sizes.sum()) - rows
    return sizes


class _Plan:
    """Everything about every row except its text, drawn vectorised from PCG64(seed)."""

    def __init__(self, n: int, seed: int, negatives: float, ctx: _Ctx) -> None:
        rng = Generator(PCG64(seed))
        n_neg = min(round(negatives * n), n - 1) if n > 1 else 0
        rows = n - n_neg
        sizes = _cluster_sizes(rng, rows)
        ns = len(sizes)
        present = [f for f in range(len(FAMILIES)) if ctx.fam_src[f]]
        w = np.array([FAMILY_WEIGHTS[f] for f in present])
        self.fam = np.array(present)[rng.choice(len(present), size=ns, p=w / w.sum())]
        self.src = np.full(ns, -1, np.int64)
        for f in present:  # the first stories of each corpus are its real bodies
            idx, pool = np.flatnonzero(self.fam == f), np.asarray(ctx.fam_src[f])
            k = min(len(idx), len(pool))
            self.src[idx[:k]] = pool[rng.permutation(len(pool))[:k]]
        self.s_seed = rng.integers(0, 2**62, size=ns)
        self.wire = rng.choice(len(se.WIRES), size=ns, p=se.WIRE_WEIGHTS)
        self.t0 = START + rng.integers(0, max(7 * 86400, n * 40), size=ns)
        u = rng.random(ns)
        nwt = np.where(sizes >= 3, (u < WT_P1).astype(np.int64) + (u < WT_P2), 0)
        nwt = np.minimum(nwt, np.maximum(sizes - 2, 0))
        gap = np.exp(rng.uniform(np.log(1800), np.log(6 * 3600), size=ns))
        story = np.repeat(np.arange(ns), sizes)
        start = np.cumsum(sizes) - sizes
        pos = np.arange(rows) - start[story]
        nw = nwt[story]
        role = np.where(
            pos == 0,
            np.where(sizes[story] == 1, SINGLETON, ORIGINAL),
            np.where(pos <= nw, WRITETHROUGH, REPRINT),
        )
        delay = np.exp(rng.uniform(np.log(120), np.log(3 * 86400), size=rows))
        t = self.t0[story] + np.where(
            role == WRITETHROUGH, pos * gap[story], np.where(role == REPRINT, delay, 0)
        ).astype(np.int64)
        avail = np.minimum(nw, ((t - self.t0[story]) // gap[story]).astype(np.int64))
        stale = (rng.random(rows) * (avail + 1)).astype(np.int64)
        ver = np.where(
            role == WRITETHROUGH,
            pos,
            np.where(role == REPRINT, np.where(rng.random(rows) < STALE_P, stale, avail), 0),
        )
        m = se.N_REGULAR
        pop = 1.0 / (np.arange(m) + 20.0) ** 0.8
        pop /= pop.sum()
        a, b = rng.choice(m, size=ns, p=pop), rng.integers(1, m, size=ns)
        c = pos - 1 - nw  # ordinal among the story's copies: distinct outlets via a + c*b mod m
        outlet = np.where(role == REPRINT, 5 + (a[story] + c * b[story]) % m, self.wire[story])
        own = (role == SINGLETON) & (rng.random(rows) >= 0.3)
        outlet[own] = 5 + rng.choice(m, size=int(own.sum()), p=pop)
        rep = (role == REPRINT) & (c >= 1) & (rng.random(rows) < REPUBLISH_P)
        parent = start[story] + 1 + nw + (rng.random(rows) * np.maximum(c, 1)).astype(np.int64)
        root = np.where(rep, parent, np.arange(rows))
        while rep[root].any():
            root = np.where(rep[root], parent[root], root)
        later = np.exp(rng.uniform(np.log(3600), np.log(2 * 86400), size=rows)).astype(np.int64)
        outlet, ver = np.where(rep, outlet[root], outlet), np.where(rep, ver[root], ver)
        t = np.where(rep, t[root] + later, t)
        p_ho = min(0.5, HEADLINE_ONLY * n / max(1, int((role == REPRINT).sum())))
        ho = (role == REPRINT) & ~rep & (rng.random(rows) < p_ho)
        tgt = story[rng.integers(0, rows, size=n_neg)]  # bigger stories get more coverage
        self.has_neg = np.zeros(ns, bool)
        self.has_neg[tgt] = True
        nt = self.t0[tgt] + rng.integers(-6 * 3600, 24 * 3600, size=n_neg)
        other_wire = (self.wire[tgt] + rng.integers(1, len(se.WIRES), size=n_neg)) % len(se.WIRES)
        no = np.where(rng.random(n_neg) < 0.4, other_wire, 5 + rng.choice(m, size=n_neg, p=pop))
        seeds = rng.integers(0, 2**62, size=n)
        t_all = np.concatenate([t, nt])
        order = np.lexsort((np.arange(n), t_all))
        self.story = np.concatenate([story, tgt])[order]
        self.role = np.concatenate([role, np.full(n_neg, NEGATIVE)])[order].astype(np.int8)
        self.ver = np.concatenate([ver, np.zeros(n_neg, np.int64)])[order].astype(np.int8)
        self.outlet = np.concatenate([outlet, no])[order].astype(np.int16)
        self.flags = np.concatenate([rep + 2 * ho, np.zeros(n_neg, np.int64)])[order]
        self.gold = np.concatenate([story, ns + np.arange(n_neg)])[order]
        self.time, self.seed = t_all[order], seeds


# --------------------------------------------------------------------------- rendering
def _render(
    ctx: _Ctx, p: _Plan, lo: int, hi: int, words: int | None, ocr_rate: float, width: int
) -> pl.DataFrame:
    cache: dict[int, se.Story] = {}
    hls, bodies, urls, eds = [], [], [], []
    cols = (p.story, p.role, p.ver, p.outlet, p.flags, p.time, p.seed)
    for s, role, v, o, fl, t, seed in zip(*(a[lo:hi].tolist() for a in cols), strict=True):
        st = cache.get(s)
        if st is None:
            tm0 = time.gmtime(int(p.t0[s]))
            st = cache[s] = se.Story(
                ctx,
                int(p.fam[s]),
                int(p.src[s]),
                int(p.s_seed[s]),
                int(p.wire[s]),
                tm0.tm_mon,
                tm0.tm_mday,
                bool(p.has_neg[s]),
                words,
            )
        rng, tm, out, edits = random.Random(seed), time.gmtime(t), ctx.outlets[o], []
        if role == NEGATIVE:
            nhl, nparas, nq = se.negative(ctx, st, rng)
            edits += ["negative", f"about=c{s:0{width}d}", f"quotes={nq}"]
            hl, body = se.render(ctx, st, 0, out, "negative", rng, tm, edits, (nhl, nparas))
        else:
            if role == WRITETHROUGH:
                edits.append("writethrough")
            hl, body = se.render(ctx, st, v, out, ROLES[role], rng, tm, edits)
        if fl & 1:
            edits.append("republished")
        if ocr_rate > 0:
            body = se.ocr_noise(body, ocr_rate, rng)
            edits.append("ocr")
        if fl & 2:  # a link-list entry: only the headline edits apply
            body = None
            edits = [e for e in edits if e.startswith(("hl_", "version", "rep"))]
            edits.append("headline_only")
        hls.append(hl)
        bodies.append(body)
        urls.append(se.make_url(out, hl, rng, tm))
        eds.append(";".join(edits))
    names = [o.name for o in ctx.outlets]
    return pl.DataFrame(
        {
            "id": [f"g{i:0{width}d}" for i in range(lo + 1, hi + 1)],
            "headline": hls,
            "body": bodies,
            "outlet": [names[o] for o in p.outlet[lo:hi].tolist()],
            "published": pl.from_epoch(pl.Series(p.time[lo:hi]), time_unit="s").dt.strftime(
                "%Y-%m-%dT%H:%M:%SZ"
            ),
            "url": urls,
            "gold": [f"c{g:0{width}d}" for g in p.gold[lo:hi].tolist()],
            "role": [ROLES[r] for r in p.role[lo:hi].tolist()],
            "edits": eds,
        },
        schema=SCHEMA,
    )


def iter_corpus(
    n: int,
    *,
    seed: int = 0,
    chunk_size: int = 100_000,
    data_dir: Path | None = None,
    words: int | None = None,
    ocr_rate: float = 0.0,
    negatives: float = 0.03,
    workers: int = 1,
) -> Iterator[pl.DataFrame]:
    """Yield the corpus in chunks of ``chunk_size`` rows; concatenated = ``generate_corpus``.

    Rows depend only on (n, seed, data, options), never on ``chunk_size`` or ``workers``.
    ``workers > 1`` renders pieces in spawned processes (only worth it for large n).
    """
    if n < 0 or chunk_size < 1:
        raise ValueError("n must be >= 0 and chunk_size >= 1")
    d = Path(data_dir) if data_dir is not None else shared_data_dir()
    key = str(d.resolve()) if d is not None else ""
    args = (key, n, seed, negatives, words, ocr_rate)
    chunks = [(lo, min(n, lo + chunk_size)) for lo in range(0, n, chunk_size)]
    if not chunks:
        return
    if workers <= 1 or n < 20_000:
        state = _state(*args)
        for lo, hi in chunks:
            yield _render(*state[:2], lo, hi, *state[2:])
        return
    _load_sources(key)  # parse + cache once, before the workers start
    import multiprocessing as mp
    from concurrent.futures import ProcessPoolExecutor

    step = 10_000
    pieces = [
        (c, lo2, min(hi, lo2 + step))
        for c, (lo, hi) in enumerate(chunks)
        for lo2 in range(lo, hi, step)
    ]
    with ProcessPoolExecutor(
        workers, mp_context=mp.get_context("spawn"), initializer=_init_worker, initargs=args
    ) as ex:
        todo, pending, parts = iter(pieces), [], []
        for c, lo, hi in itertools.islice(todo, 2 * workers):
            pending.append((c, ex.submit(_render_piece, lo, hi)))
        while pending:
            c, fut = pending.pop(0)
            parts.append(fut.result())
            for c2, lo, hi in itertools.islice(todo, 1):
                pending.append((c2, ex.submit(_render_piece, lo, hi)))
            if not pending or pending[0][0] != c:
                yield pl.concat(parts)
                parts = []


_STATE: tuple | None = None


def _state(
    key: str, n: int, seed: int, negatives: float, words: int | None, ocr_rate: float
) -> tuple:
    ctx = _ctx(key)
    return ctx, _Plan(n, seed, negatives, ctx), words, ocr_rate, max(7, len(str(n)))


def _init_worker(*args) -> None:
    global _STATE
    _STATE = _state(*args)


def _render_piece(lo: int, hi: int) -> pl.DataFrame:
    assert _STATE is not None
    return _render(*_STATE[:2], lo, hi, *_STATE[2:])


def generate_corpus(
    n: int,
    *,
    seed: int = 0,
    data_dir: Path | None = None,
    words: int | None = None,
    ocr_rate: float = 0.0,
    negatives: float = 0.03,
) -> pl.DataFrame:
    """``n`` rows of syndicated copies with gold clusters (see README "Reprint generator")."""
    chunks = list(
        iter_corpus(
            n, seed=seed, data_dir=data_dir, words=words, ocr_rate=ocr_rate, negatives=negatives
        )
    )
    return pl.concat(chunks) if chunks else pl.DataFrame(schema=SCHEMA)


# --------------------------------------------------------------------------- CLI
def make_sample(data_dir: Path, n: int = 300) -> Path:
    """Rebuild ``benchmarks/sample`` from the public-domain Chronicling America pages only."""
    path = Path(data_dir) / DIRS["chronam"] / "articles.parquet"
    rows = list(_read(path, se.chronam_chunks, ["id", "body"]))
    df = _dedup(pl.DataFrame(rows, schema=["source_id", "headline", "body"], orient="row"))
    df = df.with_columns(page=pl.col("source_id").str.split(":").list.get(1))
    df = df.filter(pl.col("body").str.len_chars() < 4500).unique("page", keep="first")
    df = df.sort("source_id").sample(n, seed=1916).sort("source_id").drop("page")
    SAMPLE_DIR.mkdir(exist_ok=True)
    out = SAMPLE_DIR / SAMPLE_FILE
    df.write_parquet(out, compression="zstd", compression_level=19)
    return out


def _write(args: argparse.Namespace) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    out = Path(args.output)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    schema = pa.schema([(c, pa.large_string()) for c in SCHEMA])
    t0, done = time.perf_counter(), 0
    try:
        with pq.ParquetWriter(tmp, schema, compression="zstd") as writer:
            for chunk in iter_corpus(
                args.n,
                seed=args.seed,
                chunk_size=args.chunk_size,
                data_dir=args.data_dir,
                words=args.words,
                ocr_rate=args.ocr_rate,
                negatives=args.negatives,
                workers=args.workers,
            ):
                writer.write_table(chunk.to_arrow().cast(schema))
                done += chunk.height
                dt = time.perf_counter() - t0
                print(
                    f"{done:,}/{args.n:,} rows  {dt:.1f}s  {done / dt:,.0f} rows/s",
                    file=sys.stderr,
                    flush=True,
                )
        os.replace(tmp, out)
    finally:
        tmp.unlink(missing_ok=True)
    print(f"wrote {out}", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("-n", type=int, help="number of rows")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--words", type=int, default=None, help="trim/extend stories to ~N words")
    ap.add_argument("--ocr-rate", type=float, default=0.0, help="OCR damage per word")
    ap.add_argument("--negatives", type=float, default=0.03, help="share of hard negatives")
    ap.add_argument("--chunk-size", type=int, default=50_000)
    ap.add_argument("--workers", type=int, default=min(2, os.cpu_count() or 1))
    ap.add_argument("--data-dir", type=Path, default=None)
    ap.add_argument("-o", "--output", help="output .parquet")
    ap.add_argument("--make-sample", action="store_true", help="rebuild benchmarks/sample")
    args = ap.parse_args(argv)
    if args.make_sample:
        d = args.data_dir or shared_data_dir()
        if d is None:
            ap.error("no shared data found")
        print(f"wrote {make_sample(d)}", file=sys.stderr)
        return 0
    if args.n is None or not args.output:
        ap.error("-n and -o are required")
    _write(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
