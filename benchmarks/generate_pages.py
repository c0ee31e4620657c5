"""A second, differently styled labelled corpus: scraped outlet pages around syndicated stories.

    python benchmarks/generate_pages.py -n 100000 --seed 1 -o benchmarks/work/pages_100k.parquet

Written apart from ``generate.py`` (it shares only the source loader): every row is a whole
scraped page, the story inside its outlet's template (``page_templates.py``: site header,
navigation, date and weather lines, cookie and subscribe prompts, share links, related
headlines that are other stories' headlines, footer links, copyright). Stories are wire briefs
(2-4 sentences), normal stories and very long pages (5-10x), with fresh text from a word chain
over the real bodies (``pages_text.py``). Reprints carry the usual edits: trims, headline
rewrites, datelines, lost apostrophes. Same columns as ``generate.py`` (``gold`` = the
story). Rates are in benchmarks/README.md ("Templated corpus"). Deterministic by seed:
rows do not depend on chunking or workers.
"""

from __future__ import annotations

import argparse
import dataclasses
import functools
import os
import random
import re
import sys
import time
from collections import OrderedDict
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import polars as pl

if __package__:
    from . import generate as gen
    from . import page_templates as pt
    from . import pages_text as tx
else:  # run as a script
    import generate as gen
    import page_templates as pt
    import pages_text as tx

SCHEMA = gen.SCHEMA
T0 = 1551398400  # 2019-03-01T00:00:00Z
BLOCK = 2048  # stories per text block (one seeded generation)
N_OUTLETS = 400  # regular outlets, after the wires
#: wire name, dateline tag, dash, share of stories
WIRES = (
    ("Associated Press", "(AP)", "—", 0.40),
    ("Reuters", "(Reuters)", "-", 0.30),
    ("Agence France-Presse", "(AFP)", "—", 0.10),
    ("United Press International", "(UPI)", "--", 0.10),
    ("States News Service", "", "—", 0.10),
)
KINDS = ("brief", "normal", "long")
KIND_P = (0.30, 0.66, 0.04)
SINGLETON_P = 0.55  # share of stories with one row
SIZE_EXP, SIZE_MAX = 2.0, 150  # P(k) ~ k^-2 for 2 <= k <= 150 rows
OWN_P = 0.7  # singletons written by an outlet (not a wire)
LAG_S = (120, 3 * 86400)  # reprint lag, log-uniform
TRIM_P, REWRITE_P, HL_EDIT_P, APOS_P, BARE_P = 0.25, 0.15, 0.10, 0.05, 0.05
CITIES = tuple(
    c.replace("_", " ")
    for c in str.split(
        "WASHINGTON NEW_YORK LONDON PARIS BEIJING TOKYO MOSCOW BRUSSELS CHICAGO ATLANTA DENVER"
        " SEATTLE BOSTON MIAMI HOUSTON DALLAS BERLIN ROME MADRID SYDNEY TORONTO OTTAWA"
        " MEXICO_CITY GENEVA JERUSALEM CAIRO NAIROBI MUMBAI SEOUL MANILA"
    )
)
FIRST = "James Mary John Patricia Robert Jennifer Michael Linda David Susan Maria Ahmed Wei Ana"
LAST = "Smith Johnson Brown Garcia Miller Davis Lopez Wilson Moore Taylor Chen Khan Rossi Kim"
PREFIXES = ("WATCH: ", "UPDATE: ", "BREAKING: ", "Report: ", "VIDEO: ")
_SLUG = re.compile(r"[^a-z0-9]+")


# --------------------------------------------------------------------------- plan
class _Plan:
    """Every row's story, role, outlet, time and seed, drawn in bulk from PCG64(seed)."""

    def __init__(self, n: int, seed: int) -> None:
        g = np.random.Generator(np.random.PCG64(seed))
        sizes = _sizes(g, n)
        s = len(sizes)
        self.kind = g.choice(3, s, p=KIND_P)
        normal = g.integers(100, 280, s)
        self.target = np.select(
            [self.kind == 0, self.kind == 1],
            [g.integers(30, 70, s), normal],
            (normal * g.uniform(5, 10, s)).astype(np.int64),
        )
        self.wire = g.choice(len(WIRES), s, p=[w[3] for w in WIRES])
        self.own = (sizes == 1) & (g.random(s) < OWN_P)
        span = 86400 * max(10.0, n / 20_000)
        self.t0 = T0 + np.sort(g.uniform(0, span, s)).astype(np.int64)
        self.s_seed = g.integers(0, 2**62, s)
        story = np.repeat(np.arange(s), sizes)
        pos = np.arange(n) - np.repeat(np.cumsum(sizes) - sizes, sizes)
        weights = 1.0 / (np.arange(N_OUTLETS) + 8.0)
        reg = len(WIRES) + g.choice(N_OUTLETS, n, p=weights / weights.sum())
        first = pos == 0
        origin = np.where(self.own[story], reg, self.wire[story])
        outlet = np.where(first, origin, reg)
        lag = np.exp(g.uniform(np.log(LAG_S[0]), np.log(LAG_S[1]), n)).astype(np.int64)
        t = self.t0[story] + np.where(first, 0, lag)
        role = np.where(sizes[story] == 1, 2, np.where(first, 0, 1))  # ROLES below
        seeds = g.integers(0, 2**62, n)
        order = np.lexsort((pos, story, t))
        self.story, self.outlet, self.time = story[order], outlet[order], t[order]
        self.role, self.seed = role[order], seeds[order]
        # republished: the same outlet already carried the story (drawn with replacement)
        key = self.story.astype(np.int64) * (N_OUTLETS + 8) + self.outlet
        _, first_idx = np.unique(key, return_index=True)
        self.again = np.ones(n, dtype=bool)
        self.again[first_idx] = False
        # the outlet's previous pages, newest first: their stories fill related / trending
        by = np.lexsort((np.arange(n), self.outlet))
        depth = 14
        prev = np.full((n, depth), -1, dtype=np.int64)
        for d in range(1, depth + 1):
            same = np.zeros(n, dtype=bool)
            same[d:] = self.outlet[by[d:]] == self.outlet[by[:-d]]
            src = np.full(n, -1, dtype=np.int64)
            src[d:] = self.story[by[:-d]]
            prev[by, d - 1] = np.where(same, src, -1)
        self.prev = prev


ROLES = ("original", "reprint", "singleton")


def _sizes(g: np.random.Generator, n: int) -> np.ndarray:
    kmax = max(2, min(SIZE_MAX, n // 20))
    k = np.arange(2, kmax + 1)
    pk = k**-SIZE_EXP / (k**-SIZE_EXP).sum()
    out, total = [], 0
    while total < n:
        m = max(64, n // 2)
        one = g.random(m) < SINGLETON_P
        sz = np.where(one, 1, g.choice(k, m, p=pk))
        out.append(sz)
        total += int(sz.sum())
    sizes = np.concatenate(out)
    cum = np.cumsum(sizes)
    m = int(np.searchsorted(cum, n)) + 1
    sizes = sizes[:m].copy()
    sizes[-1] -= int(cum[m - 1] - n)
    return sizes


# --------------------------------------------------------------------------- stories
@dataclasses.dataclass(frozen=True)
class Story:
    """A wire story: its headline, an alternative headline, paragraphs, city and byline."""

    headline: str
    alt: str
    paras: tuple[str, ...]
    city: str
    byline: str


class _Texts:
    """Story texts in blocks of ``BLOCK`` stories, each generated from its own seed."""

    def __init__(self, key: str, plan: _Plan, seed: int) -> None:
        self.body, self.head = tx.chains(key)
        self.plan, self.seed = plan, seed
        self.cache: OrderedDict[int, list[Story]] = OrderedDict()

    def story(self, s: int) -> Story:
        b = s // BLOCK
        blk = self.cache.get(b)
        if blk is None:
            blk = self.cache[b] = self._block(b)
            if len(self.cache) > 64:
                self.cache.popitem(last=False)
        self.cache.move_to_end(b)
        return blk[s - b * BLOCK]

    def _block(self, b: int) -> list[Story]:
        p = self.plan
        lo, hi = b * BLOCK, min(len(p.target), (b + 1) * BLOCK)
        rng = np.random.default_rng([self.seed, 0x9A6E5, b])
        bodies = self._walk(self.body, rng, p.target[lo:hi].tolist(), True)
        heads = self._walk(self.head, rng, rng.integers(5, 10, 2 * (hi - lo)).tolist(), False)
        out = []
        for i, s in enumerate(range(lo, hi)):
            r = random.Random(int(p.s_seed[s]))
            sents = tx.render_sentences(self.body, bodies[i])
            paras, j = [], 0
            while j < len(sents):
                k = r.choices((1, 2, 3), (0.45, 0.4, 0.15))[0]
                paras.append(" ".join(sents[j : j + k]))
                j += k
            hl = [_headline(self.head, h) for h in (heads[2 * i], heads[2 * i + 1])]
            byline = f"By {r.choice(FIRST.split())} {r.choice(LAST.split())}"
            out.append(Story(hl[0], hl[1], tuple(paras), r.choice(CITIES), byline))
        return out

    @staticmethod
    def _walk(chain: tx.Chain, rng: np.random.Generator, targets: list[int], keep: bool):
        """One piece (list of sentences) per target; walkers balanced by total length."""
        w = max(1, len(targets) // 4)
        order = np.argsort(-np.asarray(targets), kind="stable")
        lanes: list[list[int]] = [[] for _ in range(w)]
        for j, i in enumerate(order.tolist()):
            lanes[j % w].append(i)
        steps = max(sum(targets[i] for i in lane) for lane in lanes) * 5 // 4 + 300
        stream = chain.walk(rng, w, steps)
        out: list = [None] * len(targets)
        for lane, row in zip(lanes, stream):
            for i, piece in zip(
                lane, tx.cut(chain, row, [targets[i] for i in lane], keep_end=keep)
            ):
                out[i] = piece
        for i, piece in enumerate(out):  # a lane ran out: walk on until it fits
            while piece is None:
                row = chain.walk(rng, 1, 4 * targets[i] + 500)[0]
                piece = tx.cut(chain, row, [targets[i]], keep_end=keep)[0]
            out[i] = piece
        return out


def _headline(chain: tx.Chain, sents: list[np.ndarray]) -> str:
    """The first headline of >= 4 words in a headline walk (else its longest), <= 14 words."""
    heads = tx.render_sentences(chain, sents)
    best = next((h for h in heads if len(h.split()) >= 4), max(heads, key=len))
    return " ".join(best.split()[:14]).strip(" ,;:-")


@functools.lru_cache(maxsize=4)
def _templates(seed: int) -> tuple[pt.Template, ...]:
    out, names = [], set()
    for w, (name, *_) in enumerate(WIRES):
        out.append(dataclasses.replace(pt.outlet_template(w, wire=True, seed=seed), site=name))
    k = len(WIRES)
    while len(out) < len(WIRES) + N_OUTLETS:
        t = pt.outlet_template(k, seed=seed)
        k += 1
        if t.site not in names:
            names.add(t.site)
            out.append(t)
    return tuple(out)


# --------------------------------------------------------------------------- rendering
def _render(state: tuple, lo: int, hi: int) -> pl.DataFrame:
    texts, plan, tmpls, width = state
    rows = {c: [] for c in ("headline", "body", "url", "edits")}
    cols = (plan.story, plan.role, plan.outlet, plan.time, plan.seed, plan.again)
    for i, (s, role, o, t, seed, again) in enumerate(zip(*(a[lo:hi].tolist() for a in cols)), lo):
        st, tm, tp = texts.story(s), time.gmtime(t), tmpls[o]
        rng = random.Random(seed)
        ot = random.Random(f"outlet-style:{o}")  # fixed per outlet
        edits = [f"style={KINDS[plan.kind[s]]}"]
        paras = list(st.paras)
        hl = st.headline
        wire_name, tag, dash, _ = WIRES[int(plan.wire[s])]
        is_wire_story = not plan.own[s]
        dateline = f"{st.city} {tag} {dash} " if tag else f"{st.city} {dash} "
        byline = f"{st.byline}, {wire_name}" if is_wire_story else f"{st.byline}, {tp.site}"
        if role == 1:  # reprint
            if len(paras) > 1 and rng.random() < TRIM_P:
                paras = paras[: max(1, round(len(paras) * rng.uniform(0.4, 0.9)))]
                edits.append("trim")
            if rng.random() < REWRITE_P:
                hl = st.alt
                edits.append("hl_rewrite")
            elif rng.random() < HL_EDIT_P:
                hl = rng.choice(PREFIXES) + hl
                edits.append("hl_prefix")
            case = ot.random()
            if case < 0.1:
                hl, _ = hl.upper(), edits.append("hl_upper")
            elif case < 0.25:
                hl, _ = hl.title(), edits.append("hl_title")
            if ot.random() < 0.2:
                hl += f" | {tp.site}"
                edits.append("hl_site")
            dl = ot.random()
            if dl < 0.25:
                dateline = ""
                edits.append("dateline_strip")
            elif dl < 0.4:
                dateline = f"{st.city} {dash} "
                edits.append("dateline_city")
            if ot.random() < 0.5:
                byline = ""
                edits.append("byline_strip")
        if is_wire_story and dateline:
            paras[0] = dateline + paras[0]
        if byline:
            paras.insert(0, byline)
        body = "\n\n".join(paras)
        if role == 1 and rng.random() < APOS_P:
            body, hl = _no_apostrophes(body), _no_apostrophes(hl)
            edits.append("apostrophe_drop")
        if again:
            edits.append("republished")
        if rng.random() < BARE_P:
            edits.append("no_template")
        else:
            prev = [x for x in plan.prev[i].tolist() if x >= 0 and x != s]
            related = [texts.story(x).headline for x in prev[:8]]
            trending = [texts.story(x).headline for x in prev[8:]]
            body, used = pt.page(tp, body, tm, related, trending, rng)
            edits.append("template=" + "+".join(used))
        rows["headline"].append(hl)
        rows["body"].append(body)
        slug = _SLUG.sub("-", hl.lower()).strip("-")[:70]
        site = _SLUG.sub("", tp.site.lower())
        rows["url"].append(f"https://www.{site}.com/{time.strftime('%Y/%m/%d', tm)}/{slug}-{i}")
        rows["edits"].append(";".join(edits))
    return pl.DataFrame(
        {
            "id": [f"p{i:0{width}d}" for i in range(lo + 1, hi + 1)],
            "headline": rows["headline"],
            "body": rows["body"],
            "outlet": [tmpls[o].site for o in plan.outlet[lo:hi].tolist()],
            "published": pl.from_epoch(pl.Series(plan.time[lo:hi]), time_unit="s").dt.strftime(
                "%Y-%m-%dT%H:%M:%SZ"
            ),
            "url": rows["url"],
            "gold": [f"c{g:0{width}d}" for g in plan.story[lo:hi].tolist()],
            "role": [ROLES[r] for r in plan.role[lo:hi].tolist()],
            "edits": rows["edits"],
        },
        schema=SCHEMA,
    )


def _no_apostrophes(text: str) -> str:
    return text.replace("’", "").replace("'", "")


# --------------------------------------------------------------------------- API
def _state(key: str, n: int, seed: int) -> tuple:
    plan = _Plan(n, seed)
    return _Texts(key, plan, seed), plan, _templates(seed), max(7, len(str(n)))


_STATE: tuple | None = None


def _init_worker(key: str, n: int, seed: int) -> None:
    global _STATE
    _STATE = _state(key, n, seed)


def _render_piece(lo: int, hi: int) -> pl.DataFrame:
    assert _STATE is not None
    return _render(_STATE, lo, hi)


def iter_pages(
    n: int,
    *,
    seed: int = 0,
    chunk_size: int = 50_000,
    data_dir: Path | None = None,
    workers: int = 1,
) -> Iterator[pl.DataFrame]:
    """Yield the templated corpus in chunks of ``chunk_size`` rows (same rows whatever the
    chunking and ``workers``; ``workers > 1`` renders 10k-row pieces in spawned processes)."""
    if n < 0 or chunk_size < 1:
        raise ValueError("n must be >= 0 and chunk_size >= 1")
    d = Path(data_dir) if data_dir is not None else gen.shared_data_dir()
    key = str(d.resolve()) if d is not None else ""
    chunks = [(lo, min(n, lo + chunk_size)) for lo in range(0, n, chunk_size)]
    if not chunks:
        return
    if workers <= 1 or n < 20_000:
        state = _state(key, n, seed)
        for lo, hi in chunks:
            yield _render(state, lo, hi)
        return
    gen._load_sources(key)  # parse + cache once, before the workers start
    yield from gen.render_in_pool(
        chunks,
        workers=workers,
        initializer=_init_worker,
        initargs=(key, n, seed),
        render=_render_piece,
    )


def generate_pages(n: int, *, seed: int = 0, data_dir: Path | None = None) -> pl.DataFrame:
    """``n`` rows of the templated corpus (columns as ``generate.generate_corpus``)."""
    chunks = list(iter_pages(n, seed=seed, data_dir=data_dir))
    return pl.concat(chunks) if chunks else pl.DataFrame(schema=SCHEMA)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("-n", type=int, required=True, help="number of rows")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--chunk-size", type=int, default=50_000)
    ap.add_argument("--workers", type=int, default=min(2, os.cpu_count() or 1))
    ap.add_argument("--data-dir", type=Path, default=None)
    ap.add_argument("-o", "--output", required=True, help="output .parquet")
    a = ap.parse_args(argv)
    chunks = iter_pages(
        a.n, seed=a.seed, chunk_size=a.chunk_size, data_dir=a.data_dir, workers=a.workers
    )
    write_parquet(chunks, Path(a.output), a.n)
    return 0


def write_parquet(chunks: Iterator[pl.DataFrame], out: Path, n: int) -> None:
    """Stream chunks to ``out`` (zstd parquet) through a temp file + ``os.replace``."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    schema = pa.schema([(c, pa.large_string()) for c in SCHEMA])
    t0, done = time.perf_counter(), 0
    try:
        with pq.ParquetWriter(tmp, schema, compression="zstd") as writer:
            for chunk in chunks:
                writer.write_table(chunk.to_arrow().cast(schema))
                done += chunk.height
                dt = time.perf_counter() - t0
                print(f"{done:,}/{n:,} rows  {dt:.1f}s", file=sys.stderr, flush=True)
        os.replace(tmp, out)
    finally:
        tmp.unlink(missing_ok=True)
    print(f"wrote {out}", file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
