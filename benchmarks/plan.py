"""The plan of a generated corpus: every row's story, role, outlet, version, time and seed.

Drawn vectorised from ``numpy.random.Generator(PCG64(seed))`` before any text is written, so
that a row's text (``generate._render``) depends only on the plan and the row's own seed. The
realistic profile's classes (write-through chains, small outlets, two-story pages, roundups,
templated notices) draw from a second generator seeded from ``(seed, 0x5EED11)``, after the
classic draws, so the classic profile's rows are unchanged.
"""

from __future__ import annotations

import numpy as np
from numpy.random import PCG64, Generator

if __package__:
    from . import roundups as ru
    from . import syndication_edits as se
    from . import templates as tp
else:  # run as a script
    import roundups as ru
    import syndication_edits as se
    import templates as tp

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
NOTICE_FLASH_P = 0.20  # notice rows that are a headline-only flash (body null)
SINGLETON_P, ALPHA, MAX_CLUSTER = 0.60, 2.2, 300  # cluster sizes: P(k) ~ k^-ALPHA for k >= 2
WT_P1, WT_P2, STALE_P, REPUBLISH_P, HEADLINE_ONLY = 0.20, 0.05, 0.25, 0.015, 0.01
START = 1_546_300_800  # 2019-01-01T00:00:00Z


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
        self,
        n: int,
        seed: int,
        negatives: float,
        ctx,
        profile: str = "classic",
        own_wire_negatives: float = 0.0,
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
        present = [f for f in range(len(ctx.fam_src)) if ctx.fam_src[f]]
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
        if own_wire_negatives > 0:  # drawn apart: the default corpus stays row for row
            ro = Generator(PCG64([seed, 0x0E1A1E]))
            no = np.where(ro.random(n_neg) < own_wire_negatives, self.wire[tgt], no)
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
        flags = np.where(rx.random(len(k)) < NOTICE_FLASH_P, flags | 2, flags)  # flashes
        return k, np.full(len(k), NOTICE), outlet, flags, gold0 + k, t
