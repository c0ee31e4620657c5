"""Fresh news-like text for the templated corpus: a word Markov chain over real bodies.

The templated generator (``generate_pages.py``) needs hundreds of thousands of distinct
stories, far more than the ~45k real source bodies, and must not assume anything the classic
generator does (its sentence re-use and entity swapping). Here every story is a fresh walk of a
second-order word chain trained on the real bodies (Reuters-21578 and AG News when the shared
data is there, else the bundled public-domain 1916 sample), with a 25% chance per word of
backing off to first order. The text keeps the local word statistics of wire copy (phrases,
numbers, punctuation, sentence lengths) but has no meaning; two independent stories share
only common phrases (the chain's memory is two words), so their word 5-gram Jaccard stays far
below any copy threshold (``tests/test_generate_pages.py`` checks it).

Generation is vectorised: ``W`` walkers step together in numpy; each walker's stream is cut
into consecutive stories at sentence ends. A block of stories depends only on its seed.
"""

from __future__ import annotations

import functools
import itertools
import re

import numpy as np
import polars as pl

_ABBREV = frozenset(
    str.split(
        "Mr. Mrs. Ms. Dr. St. U.S. U.K. U.N. Jan. Feb. Mar. Apr. Aug. Sept. Sep. Oct. Nov. Dec."
        " Gov. Sen. Rep. Gen. Col. Lt. Sgt. Co. Corp. Inc. Ltd. No. vs. Jr. Sr. Ave. Mt."
    )
)
_END = re.compile(r"[.!?][\"”’')]*$")
BACKOFF = 0.25  # chance per word of a first-order step (breaks long verbatim runs)
HEAD_END = "<H>"


class Chain:
    """A second-order word chain with first-order back-off, as CSR arrays over positions.

    State ``t`` is the bigram (tok[t], tok[t+1]) of the training stream; a second-order step
    from state ``s`` picks a random position with that bigram and moves to the next bigram,
    a first-order step picks a random position whose first word is the state's second word.
    Frequencies are those of the stream, so common continuations are common.
    """

    def __init__(self, docs: list[str], *, boundary: str | None = None) -> None:
        sep = f" {boundary} " if boundary else " "
        text = sep.join(docs) + sep
        toks = pl.Series(text.split())
        codes, vocab = _codes(toks)
        n = len(codes)
        # cyclic stream: every position has a successor
        self.vocab = vocab
        self.vocab_list: list[str] = vocab.tolist()
        nxt = np.roll(codes, -1)
        big = codes.astype(np.int64) * len(vocab) + nxt
        uniq, state = np.unique(big, return_inverse=True)
        self.state = state.astype(np.int64)  # state id of position t
        self.second = (uniq % len(vocab)).astype(np.int64)  # second word of each state
        self.n = n
        order2 = np.argsort(self.state, kind="stable")
        self.ptr2 = np.searchsorted(self.state[order2], np.arange(len(uniq) + 1))
        self.pos2 = order2
        order1 = np.argsort(codes, kind="stable")
        self.ptr1 = np.searchsorted(codes[order1], np.arange(len(vocab) + 1))
        self.pos1 = order1
        self.is_start = np.array([t[:1].isupper() or t[:1] in '"“' for t in self.vocab_list])
        if boundary:
            self.is_start[:] = True
            self.is_end = np.array([t == boundary for t in self.vocab_list])
        else:
            self.is_end = np.array(
                [bool(_END.search(t)) and t not in _ABBREV and len(t) > 2 for t in self.vocab_list]
            )

    def walk(self, rng: np.random.Generator, walkers: int, steps: int) -> np.ndarray:
        """``(walkers, steps)`` word ids: independent walks from random positions."""
        pos = rng.integers(0, self.n, walkers)
        s = self.state[pos]
        out = np.empty((walkers, steps), dtype=np.int32)
        u = rng.random((steps, walkers))
        back = rng.random((steps, walkers)) < BACKOFF
        for t in range(steps):
            w = self.second[s]
            lo = np.where(back[t], self.ptr1[w], self.ptr2[s])
            hi = np.where(back[t], self.ptr1[w + 1], self.ptr2[s + 1])
            k = lo + (u[t] * (hi - lo)).astype(np.int64)
            p = np.where(back[t], self.pos1[k], self.pos2[k])
            # second-order: the position after p; first-order: p itself (its first word is w)
            p = np.where(back[t], p, (p + 1) % self.n)
            s = self.state[p]
            out[:, t] = self.second[s]
        return out


def _codes(toks: pl.Series) -> tuple[np.ndarray, np.ndarray]:
    vocab = toks.unique().sort()
    codes = toks.cast(pl.Enum(vocab)).to_physical().to_numpy().astype(np.int64)
    return codes, vocab.to_numpy().astype(object)


def cut(chain: Chain, stream: np.ndarray, targets: list[int], *, keep_end: bool = True) -> list:
    """Cut one walker's stream into consecutive pieces of >= target words ending at an end
    token (pieces start after an end). A piece is a list of sentences (lists of word ids);
    ``None`` when the stream ran out."""
    # a sentence ends at an end token followed by a capitalised one
    ends = np.flatnonzero(chain.is_end[stream[:-1]] & chain.is_start[stream[1:]])
    out: list = []
    if not len(ends):
        return [None] * len(targets)
    p = int(ends[0]) + 1
    for t in targets:
        j = np.searchsorted(ends, p + t - 1)
        if j >= len(ends):
            out.append(None)
            continue
        q = int(ends[j])
        k0 = np.searchsorted(ends, p)
        bounds = [p, *(int(e) + 1 for e in ends[k0 : j + 1])]
        sents = [stream[a:b] for a, b in itertools.pairwise(bounds) if b > a]
        if not keep_end:
            sents = [s[:-1] for s in sents]
        out.append(sents)
        p = q + 1
    return out


def train_docs(sources: pl.DataFrame) -> tuple[list[str], list[str]]:
    """(bodies, headlines) to train on: Reuters and AG News when present (modern wire copy),
    else every source (the bundled 1916 sample)."""
    fam = sources["source_id"].str.extract(r"^(\w+):")
    modern = sources.filter(fam.is_in(["reuters", "ag"]))
    src = modern if modern.height >= 1000 else sources
    bodies = src["body"].str.replace_all(r"\s+", " ").to_list()
    heads = [h for h in src["headline"].drop_nulls().to_list() if 3 <= len(h.split()) <= 16]
    return bodies, heads


@functools.lru_cache(maxsize=2)
def chains(key: str) -> tuple[Chain, Chain]:
    """(body chain, headline chain) for the sources of ``generate._load_sources(key)``."""
    if __package__:
        from . import generate as gen
    else:  # run as a script
        import generate as gen

    bodies, heads = train_docs(gen._load_sources(key))
    return Chain(bodies), Chain(heads, boundary=HEAD_END)


def render_sentences(chain: Chain, sents: list[np.ndarray]) -> list[str]:
    """Word ids -> sentence strings (first letter capitalised)."""
    v = chain.vocab_list
    out = []
    for s in sents:
        text = " ".join([v[i] for i in s.tolist()])
        out.append(text[:1].upper() + text[1:])
    return out
