"""Deterministic generator of syndicated-reprint corpora with gold clusters (see README.md).

    python benchmarks/generate.py -n 100000 --seed 1 [--words 400] [--ocr-rate 0.05] \\
        [--profile realistic] -o benchmarks/work/gen_100k.parquet

Real bodies (Reuters-21578, Chronicling America 1916 front pages, AG News) are read from the
shared data folder (``SYNDUP_SHARED_DATA`` or ``../shared/data`` above the repo); without it the
public-domain sample in ``benchmarks/sample`` is used. Stories are copied onto a few hundred
outlets with realistic syndication edits (``syndication_edits.py``). ``--profile realistic``
adds write-through chains (``chains.py``), page furniture and small outlets (``furniture.py``),
roundups and two-story pages (``roundups.py``) and daily templated notices (``templates.py``).
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
    from . import furniture as fu
    from . import roundups as ru
    from . import syndication_edits as se
    from . import templates as tp
else:  # run as a script
    import furniture as fu
    import roundups as ru
    import syndication_edits as se
    import templates as tp

HERE = Path(__file__).resolve().parent
SAMPLE_DIR = HERE / "sample"
SAMPLE_FILE = "chronam_1916_chunks.parquet"
CACHE_DIR = HERE / "work"
CACHE_VERSION = "2"
FAMILIES = ("reuters", "chronam", "ag")  # source_id prefixes
DIRS = {"reuters": "reuters21578", "chronam": "chronam_1916", "ag": "ag_news_test"}
FAMILY_WEIGHTS = (0.45, 0.45, 0.10)  # share of stories drawn from each corpus
ORIGINAL, REPRINT, WRITETHROUGH, NEGATIVE, SINGLETON, ROUNDUP, TWO_STORY, NOTICE = range(8)
ROLES = (
    "original",
    "reprint",
    "writethrough",
    "negative",
    "singleton",
    "roundup",
    "two_story",
    "notice",
)
PROFILES = ("classic", "realistic")
# --profile realistic (see README "Realistic profile"): rates of the extra error classes.
CHAIN_P = ((40, 0.80), (10, 0.50))  # stories with >= k rows: share that are write-through chains
CHAIN_VERSIONS, CHAIN_SPAN_H = (5, 30), (12, 24)  # versions (at most half the rows), hours
ROUNDUP_ROWS, TWO_STORY_P, NOTICE_ROWS = 0.015, 0.012, 0.03
ROUNDUP_COPIES = (0.45, 0.25, 0.15, 0.10, 0.05)  # P(a roundup has 1, 2, 3, 4, 5 rows)
NOTICE_COPIES = (0.50, 0.30, 0.20)  # P(a filing has 1, 2, 3 rows)
SMALL_OUTLETS, SMALL_P = 3000, (0.06, 0.10)  # small outlets; share of copies / own articles
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
        self.outlets = se.build_outlets(SMALL_OUTLETS)
        self.furniture = fu.outlet_kinds(len(self.outlets))
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


def _small_sizes(g: Generator, total: int, pmf: tuple[float, ...]) -> np.ndarray:
    """Cluster sizes 1..len(pmf) drawn from ``pmf`` until they hold exactly ``total`` rows."""
    if total <= 0:
        return np.zeros(0, np.int64)
    s = g.choice(np.arange(1, len(pmf) + 1), size=total, p=np.asarray(pmf) / sum(pmf))
    cut = int(np.searchsorted(np.cumsum(s), total))
    s = s[: cut + 1].copy()
    s[-1] -= int(s.sum()) - total
    return s


class _Plan:
    """Everything about every row except its text, drawn vectorised from PCG64(seed).

    The realistic profile draws its extra classes (chains, two-story pages, roundups, notices)
    from a second generator, so the classic profile's draws, and so its rows, are unchanged.
    """

    def __init__(
        self, n: int, seed: int, negatives: float, ctx: _Ctx, profile: str = "classic"
    ) -> None:
        rng = Generator(PCG64(seed))
        self.real = real = profile == "realistic"
        rx = Generator(PCG64([seed, 0x5EED11]))
        n_neg = min(round(negatives * n), n - 1) if n > 1 else 0
        n_rnd = min(round(ROUNDUP_ROWS * n), max(0, n - n_neg - 1)) if real else 0
        n_tpl = min(round(NOTICE_ROWS * n), max(0, n - n_neg - n_rnd - 1)) if real else 0
        rows = n - n_neg - n_rnd - n_tpl
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
        t_range = max(7 * 86400, n * 40)
        self.t0 = START + rng.integers(0, t_range, size=ns)
        u = rng.random(ns)
        nwt = np.where(sizes >= 3, (u < WT_P1).astype(np.int64) + (u < WT_P2), 0)
        nwt = np.minimum(nwt, np.maximum(sizes - 2, 0))
        gap = np.exp(rng.uniform(np.log(1800), np.log(6 * 3600), size=ns))
        chain = np.zeros(ns, np.int64)
        span = np.zeros(ns)
        if real:  # write-through chains: V versions over 12-24 h, each one filed on the wire
            pc = np.zeros(ns)
            for k, pk in reversed(CHAIN_P):
                pc[sizes >= k] = pk
            vmax = np.clip(sizes // 2, *CHAIN_VERSIONS)
            v = rx.integers(CHAIN_VERSIONS[0], vmax + 1, size=ns)
            chain = np.where(rx.random(ns) < pc, v, 0)
            span = rx.uniform(CHAIN_SPAN_H[0] * 3600, CHAIN_SPAN_H[1] * 3600, size=ns)
            nwt = np.where(chain > 0, chain - 1, nwt)
            gap = np.where(chain > 0, span / np.maximum(chain - 1, 1), gap)
        self.chain = chain
        nver = np.where(chain > 0, chain - 1, nwt)  # versions after the first
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
        if real:  # copies of a chain appear while it runs, so they catch different versions
            delay = np.where(chain[story] > 0, rx.uniform(120, 1.25 * span[story]), delay)
        wver = np.where(
            chain[story] > 0, np.round(pos * nver[story] / np.maximum(nw, 1)), pos
        ).astype(np.int64)
        t = self.t0[story] + np.where(
            role == WRITETHROUGH, wver * gap[story], np.where(role == REPRINT, delay, 0)
        ).astype(np.int64)
        avail = np.minimum(nver[story], ((t - self.t0[story]) // gap[story]).astype(np.int64))
        stale = (rng.random(rows) * (avail + 1)).astype(np.int64)
        ver = np.where(
            role == WRITETHROUGH,
            wver,
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
        if real:  # small outlets: a page or two each in a corpus
            big = 5 + m
            small = ((role == REPRINT) & (rx.random(rows) < SMALL_P[0])) | (
                own & (rx.random(rows) < SMALL_P[1])
            )
            outlet = np.where(small, big + rx.integers(0, SMALL_OUTLETS, size=rows), outlet)
        p_ho = min(0.5, HEADLINE_ONLY * n / max(1, int((role == REPRINT).sum())))
        ho = (role == REPRINT) & ~rep & (rng.random(rows) < p_ho)
        second = np.full(rows, -1, np.int64)
        multi = np.flatnonzero(sizes >= 2)
        by_t = multi[np.argsort(self.t0[multi], kind="stable")]
        if real and len(by_t) >= 2:  # two-story pages: story A, then a story B of the same day
            rank = np.zeros(ns, np.int64)
            rank[by_t] = np.arange(len(by_t))
            off = rx.integers(1, 16, size=rows) * np.where(rx.random(rows) < 0.5, -1, 1)
            j = rank[story] + off
            j = np.clip(
                np.where((j < 0) | (j >= len(by_t)), rank[story] - off, j), 0, len(by_t) - 1
            )
            two = (role == REPRINT) & ~rep & ~ho & (rx.random(rows) < TWO_STORY_P)
            two &= by_t[j] != story
            second = np.where(two, by_t[j], -1)
            role = np.where(two, TWO_STORY, role)
        tgt = story[rng.integers(0, rows, size=n_neg)]  # bigger stories get more coverage
        self.has_neg = np.zeros(ns, bool)
        self.has_neg[tgt] = True
        nt = self.t0[tgt] + rng.integers(-6 * 3600, 24 * 3600, size=n_neg)
        other_wire = (self.wire[tgt] + rng.integers(1, len(se.WIRES), size=n_neg)) % len(se.WIRES)
        no = np.where(rng.random(n_neg) < 0.4, other_wire, 5 + rng.choice(m, size=n_neg, p=pop))
        seeds = rng.integers(0, 2**62, size=n)
        extra = [
            self._roundups(rx, n_rnd, ns + n_neg, by_t, t_range, pop),
            self._notices(rx, n_tpl, ns + n_neg + len(self.r_items), t_range, pop, ctx),
        ]
        x_story, x_role, x_outlet, x_flags, x_gold, x_t = (
            np.concatenate([e[i] for e in extra]).astype(np.int64) for i in range(6)
        )
        t_all = np.concatenate([t, nt, x_t])
        order = np.lexsort((np.arange(n), t_all))
        zeros = np.zeros(n_neg + len(x_t), np.int64)
        self.story = np.concatenate([story, tgt, x_story])[order]
        self.role = np.concatenate([role, np.full(n_neg, NEGATIVE), x_role])[order].astype(np.int8)
        self.ver = np.concatenate([ver, zeros])[order].astype(np.int8)
        self.outlet = np.concatenate([outlet, no, x_outlet])[order].astype(np.int16)
        self.flags = np.concatenate([rep + 2 * ho, np.zeros(n_neg, np.int64), x_flags])[order]
        self.gold = np.concatenate([story, ns + np.arange(n_neg), x_gold])[order]
        self.second = np.concatenate([second, zeros - 1])[order]
        self.time, self.seed = t_all[order], seeds

    @staticmethod
    def _copies(rx: Generator, sizes: np.ndarray, first: np.ndarray, t: np.ndarray, pop, hi_s):
        """Rows of clusters of ``sizes`` whose first row is on ``first`` at ``t``, copies later
        on distinct regular outlets; flags bit 4 marks a copy."""
        m = se.N_REGULAR
        k = np.repeat(np.arange(len(sizes)), sizes)
        c = np.arange(len(k)) - (np.cumsum(sizes) - sizes)[k]
        a, b = rx.choice(m, size=len(sizes), p=pop), rx.integers(1, m, size=len(sizes))
        outlet = np.where(c == 0, first[k], 5 + (a[k] + c * b[k]) % m)
        delay = np.exp(rx.uniform(np.log(300), np.log(hi_s), size=len(k))).astype(np.int64)
        return k, outlet, np.where(c > 0, 4, 0), t[k] + np.where(c > 0, delay, 0)

    def _roundups(self, rx, total, gold0, by_t, t_range, pop) -> tuple:
        """Roundup rows: each roundup gathers 3-8 stories published in the day before it."""
        sizes = _small_sizes(rx, total if len(by_t) >= ru.ITEMS[0] else 0, ROUNDUP_COPIES)
        nr = len(sizes)
        self.r_kind = rx.choice(len(ru.KINDS), size=nr, p=ru.KIND_WEIGHTS)
        self.r_t = START + rx.integers(86400, t_range + 86400, size=nr)
        self.r_seed = rx.integers(0, 2**62, size=nr)
        m = se.N_REGULAR
        self.r_pub = np.where(self.r_kind == 0, 0, 5 + rx.choice(m, size=nr, p=pop))
        starts = self.t0[by_t]
        self.r_items: list[list[int]] = []
        for r in range(nr):
            hi = max(ru.ITEMS[0], int(np.searchsorted(starts, self.r_t[r])))
            want = int(rx.integers(ru.ITEMS[0], ru.ITEMS[1] + 1))
            pick = hi - 1 - rx.permutation(min(hi, 30))[:want]
            self.r_items.append(by_t[np.sort(pick)].tolist())
        k, outlet, flags, t = self._copies(rx, sizes, self.r_pub, self.r_t, pop, 8 * 3600)
        return k, np.full(len(k), ROUNDUP), outlet, flags, gold0 + k, t

    def _notices(self, rx, total, gold0, t_range, pop, ctx) -> tuple:
        """Templated notice rows: series of daily filings, each filing with 1-3 rows."""
        days = max(1, t_range // 86400)
        fam, ser, t0, sizes, seeds = [], [], [], [], []
        m, n_series, rows = se.N_REGULAR, 0, 0
        self.s_fam, self.s_pub, self.s_seed_n = [], [], []
        while rows < total:
            f = int(rx.choice(len(tp.FAMILIES), p=tp.FAMILY_WEIGHTS))
            d = int(min(days, rx.integers(tp.DAYS[0], tp.DAYS[1] + 1)))
            d0 = int(rx.integers(0, days - d + 1))
            hour = int(rx.integers(6 * 3600, 20 * 3600))
            wired = tp.FAMILIES[f] in tp.WIRE_FAMILIES
            self.s_fam.append(f)
            self.s_pub.append(1 if wired else 5 + int(rx.choice(m, p=pop)))
            self.s_seed_n.append(int(rx.integers(0, 2**62)))
            sz = rx.choice(np.arange(1, len(NOTICE_COPIES) + 1), size=d, p=NOTICE_COPIES)
            for i in range(d):
                fam.append(f)
                ser.append(n_series)
                t0.append(START + (d0 + i) * 86400 + hour + int(rx.integers(0, 1200)))
                sizes.append(int(sz[i]))
                seeds.append(int(rx.integers(0, 2**62)))
                rows += int(sz[i])
                if rows >= total:
                    break
            n_series += 1
        sizes_a = np.asarray(sizes, np.int64)
        if len(sizes_a):
            sizes_a[-1] -= rows - total
        self.f_series, self.f_t, self.f_seed = np.asarray(ser), np.asarray(t0), np.asarray(seeds)
        pub = np.asarray([self.s_pub[s] for s in ser], np.int64)
        k, outlet, flags, t = self._copies(rx, sizes_a, pub, self.f_t, pop, 6 * 3600)
        return k, np.full(len(k), NOTICE), outlet, flags, gold0 + k, t


# --------------------------------------------------------------------------- rendering
def _story(ctx: _Ctx, p: _Plan, cache: dict, s: int, words: int | None) -> se.Story:
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
            chain=int(p.chain[s]),
        )
    return st


def _roundup(ctx: _Ctx, p: _Plan, cache: dict, r: int, words: int | None) -> se.Story:
    key = ("r", r)
    if key not in cache:
        items = [_story(ctx, p, cache, s, words) for s in p.r_items[r]]
        town = ctx.outlets[int(p.r_pub[r])].town or "Springfield"
        tm = time.gmtime(int(p.r_t[r]))
        cache[key] = ru.build(ctx, int(p.r_kind[r]), int(p.r_seed[r]), items, 0, tm, town)
    return cache[key]


def _notice(ctx: _Ctx, p: _Plan, cache: dict, f: int) -> tuple[se.Story, int, str]:
    key = ("n", f)
    if key not in cache:
        s = int(p.f_series[f])
        tm = time.gmtime(int(p.f_t[f]))
        pub = p.s_pub[s]
        town = ctx.outlets[pub].town or "Springfield"
        st = tp.notice_story(p.s_fam[s], p.s_seed_n[s], int(p.f_seed[f]), tm, town, 1)
        cache[key] = (st, s, time.strftime("%Y-%m-%d", tm))
    return cache[key]


def _render(
    ctx: _Ctx, p: _Plan, lo: int, hi: int, words: int | None, ocr_rate: float, width: int
) -> pl.DataFrame:
    cache: dict = {}
    hls, bodies, urls, eds = [], [], [], []
    cols = (p.story, p.role, p.ver, p.outlet, p.flags, p.time, p.seed, p.second)
    for s, role, v, o, fl, t, seed, sec in zip(*(a[lo:hi].tolist() for a in cols), strict=True):
        rng, tm, out, edits = random.Random(seed), time.gmtime(t), ctx.outlets[o], []
        as_copy = "original" if out.wire >= 0 else "reprint"
        st: se.Story | None = None
        if role == ROUNDUP:
            rst = _roundup(ctx, p, cache, s, words)
            items = ",".join(f"c{x:0{width}d}" for x in p.r_items[s])
            edits += ["roundup", f"kind={ru.KINDS[int(p.r_kind[s])]}", f"items={items}"]
            hl, body = se.render(ctx, rst, 0, out, as_copy, rng, tm, edits)
        elif role == NOTICE:
            nst, series, day = _notice(ctx, p, cache, s)
            fam = tp.FAMILIES[p.s_fam[series]]
            edits += ["notice", f"template={fam}", f"series={series}", f"day={day}"]
            hl, body = se.render(ctx, nst, 0, out, as_copy, rng, tm, edits)
        else:
            st = _story(ctx, p, cache, s, words)
            if role == NEGATIVE:
                nhl, nparas, nq = se.negative(ctx, st, rng)
                edits += ["negative", f"about=c{s:0{width}d}", f"quotes={nq}"]
                hl, body = se.render(ctx, st, 0, out, "negative", rng, tm, edits, (nhl, nparas))
            else:
                if role == WRITETHROUGH:
                    edits.append("writethrough")
                    if st.chain:
                        edits.append(f"version={v}")
                if st.chain:
                    edits.append(f"chain={st.chain}")
                name = "reprint" if role == TWO_STORY else ROLES[role]
                hl, body = se.render(ctx, st, v, out, name, rng, tm, edits)
                if role == TWO_STORY:
                    b = _story(ctx, p, cache, sec, words)
                    part_a = ru.shared_words(body, st.version(ctx, v).paras)
                    body += "\n\n" + ru.second_story(ctx, b, part_a, rng)
                    edits += ["two_story", f"second=c{sec:0{width}d}"]
        if p.real:
            frng = random.Random(seed ^ 0x0F0E0D0C)
            kinds = ctx.furniture[o]
            blocks = fu.page_furniture(ctx, st, s, o, kinds, frng, tm, edits)
            if blocks:
                body = "\n\n".join([*blocks, body])
        if fl & 1:
            edits.append("republished")
        if ocr_rate > 0:
            body = se.ocr_noise(body, ocr_rate, rng)
            edits.append("ocr")
        if fl & 2:  # a link-list entry: only the headline edits apply
            body = None
            edits = [e for e in edits if e.startswith(("hl_", "version", "rep", "chain"))]
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
    profile: str = "classic",
) -> Iterator[pl.DataFrame]:
    """Yield the corpus in chunks of ``chunk_size`` rows; concatenated = ``generate_corpus``.

    Rows depend only on (n, seed, data, options), never on ``chunk_size`` or ``workers``.
    ``workers > 1`` renders pieces in spawned processes (only worth it for large n).
    """
    if n < 0 or chunk_size < 1:
        raise ValueError("n must be >= 0 and chunk_size >= 1")
    if profile not in PROFILES:
        raise ValueError(f"profile must be one of {PROFILES}, not {profile!r}")
    d = Path(data_dir) if data_dir is not None else shared_data_dir()
    key = str(d.resolve()) if d is not None else ""
    args = (key, n, seed, negatives, words, ocr_rate, profile)
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
    key: str,
    n: int,
    seed: int,
    negatives: float,
    words: int | None,
    ocr_rate: float,
    profile: str = "classic",
) -> tuple:
    ctx = _ctx(key)
    plan = _Plan(n, seed, negatives, ctx, profile)
    return ctx, plan, words, ocr_rate, max(7, len(str(n)))


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
    profile: str = "classic",
) -> pl.DataFrame:
    """``n`` rows of syndicated copies with gold clusters (see README "Reprint generator").

    ``profile="realistic"`` adds write-through chains, page furniture, roundups, two-story
    pages and templated notices (README "Realistic profile"); ``"classic"`` is the corpus of
    earlier releases, row for row.
    """
    chunks = list(
        iter_corpus(
            n,
            seed=seed,
            data_dir=data_dir,
            words=words,
            ocr_rate=ocr_rate,
            negatives=negatives,
            profile=profile,
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
                profile=args.profile,
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
    ap.add_argument(
        "--profile",
        choices=PROFILES,
        default="classic",
        help="realistic: add write-through chains, page furniture, roundups, two-story pages"
        " and templated notices",
    )
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
