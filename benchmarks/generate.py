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
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import polars as pl

if __package__:
    from . import furniture as fu
    from . import roundups as ru
    from . import syndication_edits as se
    from . import templates as tp
    from .plan import (
        NEGATIVE,
        NOTICE,
        PROFILES,
        ROLES,
        ROUNDUP,
        SMALL_OUTLETS,
        TWO_STORY,
        WRITETHROUGH,
        _Plan,
    )
else:  # run as a script
    import furniture as fu
    import roundups as ru
    import syndication_edits as se
    import templates as tp
    from plan import (
        NEGATIVE,
        NOTICE,
        PROFILES,
        ROLES,
        ROUNDUP,
        SMALL_OUTLETS,
        TWO_STORY,
        WRITETHROUGH,
        _Plan,
    )

HERE = Path(__file__).resolve().parent
SAMPLE_DIR = HERE / "sample"
SAMPLE_FILE = "chronam_1916_chunks.parquet"
CACHE_DIR = HERE / "work"
CACHE_VERSION = "2"
FAMILIES = ("reuters", "chronam", "ag")  # source_id prefixes
DIRS = {"reuters": "reuters21578", "chronam": "chronam_1916", "ag": "ag_news_test"}
_HEADLINE_EDITS = ("hl_", "version", "rep", "chain", "notice", "template", "series", "day")
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
            edits = [e for e in edits if e.startswith(_HEADLINE_EDITS)]
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
    own_wire_negatives: float = 0.0,
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
    args = (key, n, seed, negatives, words, ocr_rate, profile, own_wire_negatives)
    chunks = [(lo, min(n, lo + chunk_size)) for lo in range(0, n, chunk_size)]
    if not chunks:
        return
    if workers <= 1 or n < 20_000:
        state = _state(*args)
        for lo, hi in chunks:
            yield _render(*state[:2], lo, hi, *state[2:])
        return
    _load_sources(key)  # parse + cache once, before the workers start
    yield from render_in_pool(
        chunks, workers=workers, initializer=_init_worker, initargs=args, render=_render_piece
    )


def render_in_pool(
    chunks: list[tuple[int, int]],
    *,
    workers: int,
    initializer: Callable[..., None],
    initargs: tuple,
    render: Callable[[int, int], pl.DataFrame],
) -> Iterator[pl.DataFrame]:
    """Each chunk ``(lo, hi)`` rendered as 10k-row pieces by ``render`` in ``workers`` spawned
    processes, at most 2 x workers pieces in flight, yielded whole and in order."""
    import multiprocessing as mp
    from concurrent.futures import ProcessPoolExecutor

    step = 10_000
    pieces = [
        (c, a, min(hi, a + step)) for c, (lo, hi) in enumerate(chunks) for a in range(lo, hi, step)
    ]
    with ProcessPoolExecutor(
        workers, mp_context=mp.get_context("spawn"), initializer=initializer, initargs=initargs
    ) as ex:
        todo, pending, parts = iter(pieces), [], []
        for c, lo, hi in itertools.islice(todo, 2 * workers):
            pending.append((c, ex.submit(render, lo, hi)))
        while pending:
            c, fut = pending.pop(0)
            parts.append(fut.result())
            for c2, lo, hi in itertools.islice(todo, 1):
                pending.append((c2, ex.submit(render, lo, hi)))
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
    own_wire_negatives: float = 0.0,
) -> tuple:
    ctx = _ctx(key)
    plan = _Plan(n, seed, negatives, ctx, profile, own_wire_negatives)
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
    own_wire_negatives: float = 0.0,
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
            own_wire_negatives=own_wire_negatives,
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
                own_wire_negatives=args.own_wire_negatives,
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
        "--own-wire-negatives",
        type=float,
        default=0.0,
        help="share of the hard negatives filed by the story's own wire (its dateline city "
        "and byline: another story of one event from one bureau)",
    )
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
