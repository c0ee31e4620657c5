"""Entry points of the compiled kernels: numpy for small inputs, numba (``_jit``) for work.

Loading numba and its cached kernels costs 1-2 s per process, and the first use after an
install compiles them; an 80-headline corpus needs 0.04 s of actual work. So each entry point
here answers small inputs with plain numpy (or a short Python loop) and imports ``_jit`` only
when an input is large, or when ``_jit`` is loaded already (then it is free). Both paths give
the same values, dtypes and shapes (``tests/test_kernels.py`` checks them side by side);
the small paths are only meant for small inputs: they are 10-1000x slower per item.

A body corpus of any real size needs ``sign_bodies`` and ``split_paragraphs``, which have no
numpy twin (only their empty case is answered here): such runs load numba, and
``syndup.warmup`` compiles everything ahead of the first run (the README's set-up does it).
"""

from __future__ import annotations

import logging
import os
import re
import sys
from pathlib import Path
from types import ModuleType

import numpy as np

Arr = np.ndarray

log = logging.getLogger("syndup")

SMALL = 20_000  # work items (entries, nodes + edges, pair slots) answered without numba
_EMPTY_U32 = np.uint32(0xFFFFFFFF)


def _jit() -> ModuleType:
    if "syndup._jit" not in sys.modules and not _cached():
        log.warning(
            "compiling syndup's kernels (once after an install, about a minute; "
            "`python -m syndup.warmup` does it ahead of time)"
        )
    from syndup import _jit as compiled

    return compiled


def _cached() -> bool:
    """Whether numba's on-disk cache holds the main kernel (next to ``_jit.py``)."""
    folder = Path(__file__).with_name("__pycache__")
    return any(folder.glob("_jit.sign_bodies-*.nbi")) or bool(os.environ.get("NUMBA_CACHE_DIR"))


def _ro(array: Arr) -> Arr:
    """A read-only view. numba compiles one variant per writability of each array argument
    (a full compile of a large kernel each), and inputs arrive both ways (``np.frombuffer``
    and polars give read-only arrays, fresh ones are writable), so every input array is
    passed read-only: one variant per kernel, all compiled by ``syndup.warmup``."""
    if not array.flags.writeable:
        return array
    view = array.view()
    view.flags.writeable = False
    return view


def _use_jit(work: int) -> bool:
    return work > SMALL or "syndup._jit" in sys.modules


def sign_bodies(
    data: Arr, offsets: Arr, classes: Arr, table: Arr, prime: np.uint64, mult: Arr, n: int,
    a: Arr, b: Arr, la: Arr, lb: Arr, lead_shingles: int, sig: Arr, lsig: Arr, words: Arr,
    distinct: Arr, wide: Arr, oph: bool = False,
) -> None:  # fmt: skip
    """See ``_jit.sign_bodies``; texts with no bytes at all get empty signatures here."""
    if len(data) or "syndup._jit" in sys.modules:
        _jit().sign_bodies(
            *map(_ro, (data, offsets, classes, table)), prime, _ro(mult), n,
            *map(_ro, (a, b, la, lb)), lead_shingles,
            sig, lsig, words, distinct, wide, bool(oph),
        )  # fmt: skip
        return
    sig[:] = _EMPTY_U32
    lsig[:] = _EMPTY_U32
    words[:] = 0
    distinct[:] = 0
    wide[:] = False


def shingle_sets(
    data: Arr, offsets: Arr, classes: Arr, table: Arr, prime: np.uint64, mult: Arr, n: int,
    unquoted: bool,
) -> tuple[Arr, Arr, Arr]:  # fmt: skip
    """See ``_jit.shingle_sets``; a few texts (``SMALL`` bytes: an explained pair's two
    bodies) through ``_shingle_sets_small``."""
    if _use_jit(len(data)):
        return _jit().shingle_sets(
            *map(_ro, (data, offsets, classes, table)), prime, _ro(mult), n, unquoted
        )
    return _shingle_sets_small(data, offsets, classes, table, prime, mult, n, unquoted)


QUOTE_SPAN = 800  # ``_jit.QUOTE_SPAN`` (a test keeps them equal)
_Q = rb'(?:"|\xe2\x80[\x9c-\x9f\xb3]|\xc2[\xab\xbb])'  # the quotes ``_jit._quote_len`` reads
# ``_jit._quotation_end``: a quote, at most QUOTE_SPAN bytes of neither quote nor line
# break, a quote. Scanned left to right like the kernel's loop (quotes never start inside
# a UTF-8 character, so byte-wise retries land where the kernel's would).
_QUOTATION = re.compile(_Q + rb"(?:(?!" + _Q + rb")[^\n]){0,%d}" % QUOTE_SPAN + _Q)
_SEP, _WORD, _SKIP, _UPPER, _WIDE = 0, 1, 2, 3, 4  # ``_jit``'s byte classes


def _shingle_sets_small(
    data: Arr, offsets: Arr, classes: Arr, table: Arr, prime: np.uint64, mult: Arr, n: int,
    unquoted: bool,
) -> tuple[Arr, Arr, Arr]:  # fmt: skip
    """``_jit.shingle_sets`` in numpy, text by text: quotations cut out by one regex (as
    a separator), byte classes looked up (non-ASCII characters one by one, in a Python
    loop: ~1 us each), then the same polynomial token hashes and n-gram combination."""
    ndocs = len(offsets) - 1
    values: list[Arr] = []
    out_off = np.zeros(ndocs + 1, dtype=np.int64)
    wide = np.zeros(ndocs, dtype=np.bool_)
    p = int(prime)
    for d in range(ndocs):
        buf = bytes(data[offsets[d] : offsets[d + 1]])
        if unquoted:
            buf = _QUOTATION.sub(b" ", buf)  # a space: a separator in every class table
        tok, wide[d] = _tokens_small(np.frombuffer(buf, dtype=np.uint8), classes, table, p)
        nt = len(tok)
        ns = nt - n + 1 if nt >= n else min(nt, 1)
        acc = np.zeros(ns, dtype=np.uint64)
        pos = np.arange(ns)
        for k in range(n):
            at = pos + k
            acc += np.where(at < nt, tok[np.minimum(at, max(nt - 1, 0))], 0).astype(
                np.uint64
            ) * np.uint64(mult[k])
        sh = ((acc >> np.uint64(32)) ^ (acc & np.uint64(0xFFFFFFFF))).astype(np.uint32)
        values.append(np.unique(sh))
        out_off[d + 1] = out_off[d] + len(values[-1])
    flat = np.concatenate(values) if values else np.zeros(0, dtype=np.uint32)
    return flat.astype(np.uint32, copy=False), out_off, wide


def _tokens_small(b: Arr, classes: Arr, table: Arr, prime: int) -> tuple[Arr, bool]:
    """``_jit._tokens`` of one text's bytes (quotations already cut): token hashes."""
    kind = classes[b].astype(np.int8)
    wide = False
    upto = 0
    for i in np.flatnonzero(kind == _WIDE).tolist():  # ``_jit._wide_class``, in order
        if i < upto:  # a byte of the character before
            continue
        c, hi = int(b[i]), len(b)
        if 0xC2 <= c <= 0xDF and i + 1 < hi and b[i + 1] & 0xC0 == 0x80:
            cls, step = int(table[((c & 0x1F) << 6) | (int(b[i + 1]) & 0x3F)]), 2
        elif (
            0xE0 <= c <= 0xEF and i + 2 < hi and b[i + 1] & 0xC0 == 0x80 and b[i + 2] & 0xC0 == 0x80
        ):
            cp = ((c & 0x0F) << 12) | ((int(b[i + 1]) & 0x3F) << 6) | (int(b[i + 2]) & 0x3F)
            cls, step = int(table[cp]), 3
        else:
            cls, step = _WIDE, 1
        if cls == _WIDE:
            wide, cls = True, _WORD
        kind[i : i + step] = cls
        if cls == _UPPER:  # the kernel lowers the first byte only
            kind[i + 1 : i + step] = _WORD
        upto = i + step
    keep = kind != _SKIP  # deleted: the word goes on
    kind = kind[keep]
    val = b[keep].astype(np.uint64) + np.where(kind == _UPPER, 32, 0).astype(np.uint64)
    word = kind != _SEP
    if not word.any():
        return np.zeros(0, dtype=np.uint32), wide
    edge = np.diff(np.concatenate(([False], word, [False])).astype(np.int8))
    starts, ends = np.flatnonzero(edge == 1), np.flatnonzero(edge == -1)
    # Each byte times prime^(its place in the token), summed per token (mod 2^64).
    in_word = np.flatnonzero(word)
    place = in_word - np.repeat(starts, ends - starts)
    powers = np.ones(int((ends - starts).max()), dtype=np.uint64)
    powers[1:] = np.cumprod(np.full(len(powers) - 1, prime, dtype=np.uint64))
    terms = val[in_word] * powers[place]
    acc = np.add.reduceat(terms, np.concatenate(([0], np.cumsum(ends - starts)[:-1])))
    h = acc ^ (acc >> np.uint64(33))
    h = h * np.uint64(0xFF51AFD7ED558CCD)
    h = h ^ (h >> np.uint64(33))
    return (h >> np.uint64(32)).astype(np.uint32), wide


def split_paragraphs(
    data: Arr,
    offsets: Arr,
    skip: Arr,
    max_words: int,
    tails: Arr,
    tail_lengths: Arr,
    every_line: bool = False,
) -> tuple[Arr, Arr, Arr, Arr, Arr, Arr]:
    """See ``_jit.split_paragraphs``; no bytes: no paragraphs."""
    if len(data) or "syndup._jit" in sys.modules:
        return _jit().split_paragraphs(
            *map(_ro, (data, offsets, skip)),
            max_words,
            _ro(tails),
            _ro(tail_lengths),
            bool(every_line),
        )
    return (
        np.zeros(0, dtype=np.uint32),
        np.zeros(0, dtype=np.int64),
        np.zeros(0, dtype=np.uint64),
        np.zeros(0, dtype=np.uint64),
        np.zeros(0, dtype=np.uint8),
        np.zeros(1, dtype=np.int64),
    )


def ocr_gram_sets(data: Arr, offsets: Arr, fold: Arr, mult: Arr, n: int) -> tuple[Arr, Arr]:
    """See ``_jit.ocr_gram_sets``; no bytes: every set is empty."""
    if len(data) or "syndup._jit" in sys.modules:
        return _jit().ocr_gram_sets(*map(_ro, (data, offsets, fold, mult)), n)
    return np.zeros(0, dtype=np.uint32), np.zeros(len(offsets), dtype=np.int64)


def ocr_gram_sample(data: Arr, offsets: Arr, fold: Arr, n: int, keep: int) -> tuple[Arr, Arr]:
    """See ``_jit.ocr_gram_sample``; no bytes: every set is empty."""
    if len(data) or "syndup._jit" in sys.modules:
        return _jit().ocr_gram_sample(*map(_ro, (data, offsets, fold)), n, keep)
    return np.zeros(0, dtype=np.uint32), np.zeros(len(offsets), dtype=np.int64)


def containment(values: Arr, offsets: Arr, ia: Arr, ib: Arr) -> Arr:
    """``|A & B| / min(|A|, |B|)`` per pair of sorted distinct sets (``_jit.containment``)."""
    if _use_jit(len(ia) * 64):
        return _jit().containment(*map(_ro, (values, offsets, ia, ib)))
    return _containment_small(values, offsets, ia, ib)


def _containment_small(values: Arr, offsets: Arr, ia: Arr, ib: Arr) -> Arr:
    out = np.empty(len(ia), dtype=np.float64)
    for k, (i, j) in enumerate(zip(ia.tolist(), ib.tolist())):
        x = values[offsets[i] : offsets[i + 1]]
        y = values[offsets[j] : offsets[j + 1]]
        inter = len(np.intersect1d(x, y, assume_unique=True))
        out[k] = inter / max(1, min(len(x), len(y)))
    return out


def band_entries(
    sig: Arr,
    first: int,
    count: int,
    rows: int,
    band_seed: Arr,
    band_mult: Arr,
    empty: Arr,
    doc_bits: int,
) -> Arr:
    """Band key entries ``key | doc`` (``_jit.band_entries``), in document-major order."""
    if _use_jit(sig.shape[0] * count):
        return _jit().band_entries(
            _ro(sig), first, count, rows, *map(_ro, (band_seed, band_mult, empty)), doc_bits
        )
    return _band_entries_small(sig, first, count, rows, band_seed, band_mult, empty, doc_bits)


def _band_entries_small(
    sig: Arr, first: int, count: int, rows: int, band_seed: Arr, band_mult: Arr, empty: Arr,
    doc_bits: int,
) -> Arr:  # fmt: skip
    docs = np.flatnonzero(~np.asarray(empty, dtype=bool)).astype(np.uint64)
    keys = np.empty((len(docs), count), dtype=np.uint64)
    for col, band in enumerate(range(first, first + count)):
        acc = np.full(len(docs), band_seed[band], dtype=np.uint64)
        for j in range(rows):
            acc ^= sig[docs.astype(np.int64), band * rows + j].astype(np.uint64) * band_mult[j]
            acc = (acc << np.uint64(31)) | (acc >> np.uint64(33))
        keys[:, col] = acc
    keep = ~np.uint64((1 << doc_bits) - 1)
    return ((keys & keep) | docs[:, None]).reshape(-1)


def bucket_pairs(
    entries: Arr, doc_bits: int, anchors: int, marked: Arr, use_marked: bool, warn_bucket: int
) -> tuple[Arr, int, int]:
    """Pair codes from sorted entries, ``anchors`` per bucket (``_jit.bucket_pairs``)."""
    if _use_jit(len(entries)):
        return _jit().bucket_pairs(
            _ro(entries), doc_bits, anchors, _ro(marked), use_marked, warn_bucket
        )
    return _bucket_pairs_small(entries, doc_bits, anchors, marked, use_marked, warn_bucket)


def _bucket_pairs_small(
    entries: Arr, doc_bits: int, anchors: int, marked: Arr, use_marked: bool, warn_bucket: int
) -> tuple[Arr, int, int]:
    keys = (entries >> np.uint64(doc_bits)).tolist()
    docs = (entries & np.uint64((1 << doc_bits) - 1)).tolist()
    codes: list[int] = []
    big = largest = start = 0
    while start < len(keys):
        stop = start + 1
        while stop < len(keys) and keys[stop] == keys[start]:
            stop += 1
        largest = max(largest, stop - start)
        big += stop - start > warn_bucket
        for r in range(start + 1, stop):
            member = docs[r]
            for anchor in docs[start : min(r, start + anchors)]:
                if anchor == member or (use_marked and not (marked[anchor] or marked[member])):
                    continue
                codes.append(anchor << 32 | member)
        start = stop
    return np.array(codes, dtype=np.uint64), big, largest


def figures_changed(figs: Arr, a: Arr, b: Arr) -> Arr:
    """Per pair, 1 if the figure rows disagree (``body_checks.figures_changed``), else 0."""
    if _use_jit(len(a) * figs.shape[1]):
        return _jit().figures_changed(*map(_ro, (figs, a, b)))
    return _figures_changed_small(figs, a, b)


def _figures_changed_small(figs: Arr, a: Arr, b: Arr) -> Arr:
    out = np.zeros(len(a), dtype=np.int8)
    for start in range(0, len(a), 50_000):
        fa, fb = figs[a[start : start + 50_000]], figs[b[start : start + 50_000]]
        whole = (fa[:, -1] == 1) & (fb[:, -1] == 1)
        fa, fb = fa[:, :-1], fb[:, :-1]
        na, nb = (fa != 0).sum(1), (fb != 0).sum(1)
        common = ((fa[:, :, None] == fb[:, None, :]) & (fa[:, :, None] != 0)).any(2).sum(1)
        fewer = np.minimum(na, nb)
        # Two short bodies read whole must agree on every figure of the one with fewer.
        out[start : start + 50_000] = (fewer > 0) & (
            (common < 0.5 * fewer) | (whole & (common < fewer))
        )
    return out


def row_agreement(sig: Arr, a: Arr, b: Arr, empty: np.uint32) -> Arr:
    """Share of equal slots of rows ``a[k]``, ``b[k]``; 0 if either is all ``empty``."""
    if _use_jit(len(a)):  # vectorised: a pair costs one gathered row each
        return _jit().row_agreement(*map(_ro, (sig, a, b)), empty)
    return _row_agreement_small(sig, a, b, empty)


def _row_agreement_small(sig: Arr, a: Arr, b: Arr, empty: np.uint32) -> Arr:
    x, y = sig[a], sig[b]
    same = (x == y).sum(axis=1) / sig.shape[1]
    blank = (x == empty).all(axis=1) | (y == empty).all(axis=1)
    return np.where(blank, 0.0, same)


def gather_sets(values: Arr, offsets: Arr, idx: Arr, out: Arr, out_offsets: Arr, at: int) -> int:
    """Copy sets ``idx`` into ``out`` / ``out_offsets`` from ``at`` on (``_jit.gather_sets``)."""
    sizes = offsets[idx + 1] - offsets[idx]
    if _use_jit(int(sizes.sum()) + len(idx)):
        return _jit().gather_sets(*map(_ro, (values, offsets, idx)), out, out_offsets, at)
    pos = int(out_offsets[at])
    ends = pos + np.cumsum(sizes)
    out_offsets[at + 1 : at + 1 + len(idx)] = ends
    if len(idx):
        starts = np.repeat(offsets[idx] - (ends - sizes - pos), sizes)
        out[pos : int(ends[-1])] = values[starts + np.arange(int(sizes.sum()))]
    return at + len(idx)


def union_find_labels(n: int, a: Arr, b: Arr) -> Arr:
    """Component label per node, numbered by each component's smallest node."""
    if _use_jit(n + len(a)):
        return _jit().union_find_labels(n, _ro(a), _ro(b))
    return _union_find_small(n, a, b)


def _union_find_small(n: int, a: Arr, b: Arr) -> Arr:
    parent = list(range(n))

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for x, y in zip(a.tolist(), b.tolist()):
        rx, ry = find(x), find(y)
        if rx != ry:
            parent[max(rx, ry)] = min(rx, ry)
    # Every root is its component's smallest node, so the rank of the root is the label.
    roots = np.array([find(i) for i in range(n)], dtype=np.int64)
    return np.unique(roots, return_inverse=True)[1].reshape(-1).astype(np.int64)
