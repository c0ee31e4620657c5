"""Compiled loops (numba) for the hot paths: one pass over text bytes, bucket pairing,
sorted-set intersection. Stage modules call them through ``syndup._kernels``, which runs
numpy for trivial inputs and imports this module (and numba) only when there is real work.

Each kernel reproduces, value for value, a plain numpy/Python definition kept in the stage
modules (``shingle.tokenize`` + ``ngram_hashes``, ``signature.minhash``, the LSH sort join);
tests compare them on random input. Kernels release the GIL (``nogil``), so the stage
modules run them on a thread pool, and are cached on disk (``cache=True``): the first run
after an install pays a few seconds of compilation, later runs load them.
"""

from __future__ import annotations

import numpy as np
from numba import njit

Arr = np.ndarray

_U32 = np.uint64(0xFFFFFFFF)
_QUOTE = 34  # '"'
QUOTE_SPAN = 800  # a quotation is '"', at most this many non-quote bytes, '"'
_NEWLINE = 10  # ...within one paragraph: a stray quote (OCR) must not eat the narrative


@njit(nogil=True, cache=True, inline="always")
def _mix64to32(acc: np.uint64) -> np.uint32:
    h = acc ^ (acc >> np.uint64(33))
    h = h * np.uint64(0xFF51AFD7ED558CCD)
    h = h ^ (h >> np.uint64(33))
    return np.uint32(h >> np.uint64(32))


@njit(nogil=True, cache=True, inline="always")
def _fmix32(h: np.uint32) -> np.uint32:
    h ^= h >> np.uint32(16)
    h = np.uint32(h * np.uint32(0x85EBCA6B))
    h ^= h >> np.uint32(13)
    h = np.uint32(h * np.uint32(0xC2B2AE35))
    h ^= h >> np.uint32(16)
    return h


# Byte classes for ``_tokens``: separator, word byte, skipped (an apostrophe: deleted, the
# word goes on), ASCII capital (a word byte, lowercased), non-ASCII (folded below).
SEP, WORD, SKIP, UPPER, WIDE = 0, 1, 2, 3, 4


@njit(nogil=True, cache=True, inline="always")
def _wide_class(data: Arr, i: int, hi: int, table: Arr) -> tuple[int, int]:
    """Class and byte length of the non-ASCII character at ``data[i]`` when folding, from
    ``table`` (one class per code point below U+10000, see ``shingle.fold_table``);
    4-byte and malformed sequences are WIDE."""
    c = data[i]
    if 0xC2 <= c <= 0xDF and i + 1 < hi:
        c1 = data[i + 1]
        if c1 & 0xC0 == 0x80:
            return table[((c & 0x1F) << 6) | (c1 & 0x3F)], 2
    elif 0xE0 <= c <= 0xEF and i + 2 < hi:
        c1, c2 = data[i + 1], data[i + 2]
        if c1 & 0xC0 == 0x80 and c2 & 0xC0 == 0x80:
            return table[((c & 0x0F) << 12) | ((c1 & 0x3F) << 6) | (c2 & 0x3F)], 3
    return WIDE, 1


@njit(nogil=True, cache=True, inline="always")
def _quote_len(data: Arr, i: int, hi: int) -> int:
    """Byte length of the double quote at ``data[i]`` (any variant ``normalize_text`` folds
    to '"': “ ” „ ‟ ″ « »), else 0."""
    c = data[i]
    if c == _QUOTE:
        return 1
    if c == 0xE2 and i + 2 < hi and data[i + 1] == 0x80:
        c2 = data[i + 2]
        if 0x9C <= c2 <= 0x9F or c2 == 0xB3:
            return 3
    elif c == 0xC2 and i + 1 < hi and (data[i + 1] == 0xAB or data[i + 1] == 0xBB):
        return 2
    return 0


@njit(nogil=True, cache=True)
def _quotation_end(data: Arr, i: int, hi: int) -> int:
    """Where the quotation opening at ``data[i]`` ends (the byte after its closing quote),
    or -1: no opening quote there, or no closing one within ``QUOTE_SPAN`` bytes of the
    same paragraph (a quotation ends in its paragraph)."""
    opening = _quote_len(data, i, hi)
    if not opening:
        return -1
    j = i + opening
    limit = min(hi, j + QUOTE_SPAN + 1)
    while j < limit:
        closing = _quote_len(data, j, hi)
        if closing:
            return j + closing
        if data[j] == _NEWLINE:
            return -1
        j += 1
    return -1


@njit(nogil=True, cache=True)
def _tokens(
    data: Arr,
    lo: int,
    hi: int,
    classes: Arr,
    table: Arr,
    prime: np.uint64,
    unquoted: bool,
    out: Arr,
) -> tuple[int, bool]:
    """Token hashes of ``data[lo:hi]`` into ``out``; returns ``(count, saw_wide)``.

    ``classes`` maps each byte to SEP/WORD/SKIP/UPPER/WIDE (see ``shingle``). ``unquoted``
    skips quotations the way ``re.sub('"[^"\\n]{0,800}"', " ", text)`` would, counting any
    double-quote variant as '"' and the span in bytes."""
    nt = 0
    acc = np.uint64(0)
    pw = np.uint64(1)
    inword = False
    wide = False
    i = lo
    while i < hi:
        c = data[i]
        if unquoted and (c == _QUOTE or c == 0xE2 or c == 0xC2):
            end = _quotation_end(data, i, hi)
            if end > 0:  # a closing quote in reach: the span is a separator
                if inword:
                    out[nt] = _mix64to32(acc)
                    nt += 1
                    inword = False
                i = end
                continue
        kind = classes[c]
        step = 1
        if kind == WIDE:
            kind, step = _wide_class(data, i, hi, table)
            if kind == WIDE:
                wide = True
                kind = WORD
        if kind == SKIP:
            i += step
            continue
        if kind == SEP:
            if inword:
                out[nt] = _mix64to32(acc)
                nt += 1
                inword = False
            i += step
            continue
        if not inword:
            acc = np.uint64(0)
            pw = np.uint64(1)
            inword = True
        if kind == UPPER:
            c = c + 32
        acc += np.uint64(c) * pw
        pw *= prime
        for k in range(1, step):  # the other bytes of a multi-byte word character
            acc += np.uint64(data[i + k]) * pw
            pw *= prime
        i += step
    if inword:
        out[nt] = _mix64to32(acc)
        nt += 1
    return nt, wide


@njit(nogil=True, cache=True)
def _longest(offsets: Arr) -> int:
    """Length of the longest text (at least 1): sizes the per-text token buffers."""
    longest = 1
    for d in range(len(offsets) - 1):
        longest = max(longest, offsets[d + 1] - offsets[d])
    return longest


@njit(nogil=True, cache=True)
def _shingles(tok: Arr, nt: int, mult: Arr, n: int, out: Arr) -> int:
    """Word n-gram hashes of ``tok[:nt]`` into ``out``; a text shorter than ``n`` tokens
    gives one shingle of all of them. Returns the count."""
    if nt >= n:
        ns = nt - n + 1
    elif nt > 0:
        ns = 1
    else:
        ns = 0
    for s in range(ns):
        acc = np.uint64(0)
        for k in range(n):
            if s + k < nt:
                acc += np.uint64(tok[s + k]) * mult[k]
        out[s] = np.uint32((acc >> np.uint64(32)) ^ (acc & _U32))
    return ns


@njit(nogil=True, cache=True, inline="always")
def probe_bin(i: int, t: int, k: int, salt: np.uint64) -> int:
    """The ``t``-th bin (``t >= 1``) that empty bin ``i`` of ``k`` borrows from in optimal
    densification: a hash of ``(i, t)`` only, the same for every document."""
    x = ((np.uint64(i) << np.uint64(32)) | np.uint64(t)) ^ salt
    return np.int64((np.uint64(_mix64to32(x)) * np.uint64(k)) >> np.uint64(32))


@njit(nogil=True, cache=True)
def _densify(row: Arr, stamp: Arr, mark: int, salt: np.uint64) -> None:
    """Fill each empty bin (``stamp != mark``) with the value of the first filled bin of its
    probe sequence (``probe_bin``); after ``4 k`` probes, the next filled bin to the right."""
    k = len(row)
    for i in range(k):
        if stamp[i] == mark:
            continue
        found = -1
        for t in range(1, 4 * k + 1):
            j = probe_bin(i, t, k, salt)
            if stamp[j] == mark:
                found = j
                break
        if found < 0:
            for t in range(1, k):
                j = (i + t) % k
                if stamp[j] == mark:
                    found = j
                    break
        row[i] = row[found]


@njit(nogil=True, cache=True)
def sign_bodies(
    data: Arr, offsets: Arr, classes: Arr, table: Arr, prime: np.uint64, mult: Arr, n: int,
    a: Arr, b: Arr, la: Arr, lb: Arr, lead_shingles: int, sig: Arr, lsig: Arr, words: Arr,
    distinct: Arr, wide: Arr, oph: bool,
) -> None:  # fmt: skip
    """Tokenise, shingle and MinHash each text of a batch in one pass.

    Fills ``sig`` (body), ``lsig`` (first ``lead_shingles`` shingles), ``words`` (tokens),
    ``distinct`` (exact distinct shingles) and ``wide`` (a character outside the folded set
    was seen: the row needs full normalisation) row by row. ``oph``: the body signature is
    one-permutation hashing with optimal densification (``signature.one_permutation``), one
    hash per shingle instead of ``len(a)``; the lead signature is always affine32."""
    ndocs = len(offsets) - 1
    maxlen = _longest(offsets)
    tok = np.empty(maxlen // 2 + 2, dtype=np.uint32)
    sh = np.empty(maxlen // 2 + 2, dtype=np.uint32)
    tsize = 2
    while tsize < maxlen + 2:
        tsize *= 2
    tkeys = np.zeros(tsize, dtype=np.uint32)
    tstamp = np.zeros(tsize, dtype=np.int64)
    mask = tsize - 1
    nperm, lperm = len(a), len(la)
    bstamp = np.zeros(nperm, dtype=np.int64)  # OPH: bin filled by doc d when == d + 1
    salt = np.uint64(b[1 % nperm])
    for d in range(ndocs):
        nt, saw_wide = _tokens(data, offsets[d], offsets[d + 1], classes, table, prime, False, tok)
        words[d] = nt
        wide[d] = saw_wide
        ns = _shingles(tok, nt, mult, n, sh)
        count = 0  # distinct shingles: open addressing, slots stamped with the doc
        for s in range(ns):
            v = sh[s]
            j = np.int64((np.uint64(v) * np.uint64(0x9E3779B1)) & np.uint64(mask))
            while True:
                if tstamp[j] != d + 1:
                    tstamp[j] = d + 1
                    tkeys[j] = v
                    count += 1
                    break
                if tkeys[j] == v:
                    break
                j = (j + 1) & mask
        distinct[d] = count
        row = sig[d]
        lrow = lsig[d]
        row[:] = np.uint32(0xFFFFFFFF)
        lrow[:] = np.uint32(0xFFFFFFFF)
        if oph:
            for s in range(ns):
                g = _fmix32(np.uint32(a[0] * _fmix32(sh[s]) + b[0]))
                k = np.int64((np.uint64(g) * np.uint64(nperm)) >> np.uint64(32))
                bstamp[k] = d + 1
                if g < row[k]:
                    row[k] = g
            if ns > 0:
                _densify(row, bstamp, d + 1, salt)
        for s in range(min(ns, lead_shingles) if oph else ns):
            h = _fmix32(sh[s])
            if not oph:
                for k in range(nperm):
                    v = np.uint32(a[k] * h + b[k])
                    if v < row[k]:
                        row[k] = v
            if s < lead_shingles:
                for k in range(lperm):
                    v = np.uint32(la[k] * h + lb[k])
                    if v < lrow[k]:
                        lrow[k] = v


@njit(nogil=True, cache=True)
def shingle_sets(
    data: Arr,
    offsets: Arr,
    classes: Arr,
    table: Arr,
    prime: np.uint64,
    mult: Arr,
    n: int,
    unquoted: bool,
) -> tuple[Arr, Arr, Arr]:
    """Sorted distinct shingle hashes per text: ``(values, offsets, wide)``."""
    ndocs = len(offsets) - 1
    maxlen = _longest(offsets)
    tok = np.empty(maxlen // 2 + 2, dtype=np.uint32)
    sh = np.empty(maxlen // 2 + 2, dtype=np.uint32)
    total = 0
    for d in range(ndocs):
        total += (offsets[d + 1] - offsets[d]) // 2 + 1
    values = np.empty(total, dtype=np.uint32)
    out_off = np.zeros(ndocs + 1, dtype=np.int64)
    wide = np.zeros(ndocs, dtype=np.bool_)
    pos = 0
    for d in range(ndocs):
        nt, saw_wide = _tokens(
            data, offsets[d], offsets[d + 1], classes, table, prime, unquoted, tok
        )
        wide[d] = saw_wide
        pos = _distinct_into(sh, _shingles(tok, nt, mult, n, sh), values, pos)
        out_off[d + 1] = pos
    return values[:pos].copy(), out_off, wide


@njit(nogil=True, cache=True, inline="always")
def _ocr_pair(first: int, second: int) -> int:
    """The folded glyph of an OCR pair ("rn" -> "m", "vv" -> "w", either case), else 0."""
    first |= 0x20
    second |= 0x20
    if first == 114 and second == 110:  # r n
        return 109  # m
    if first == 118 and second == 118:  # v v
        return 119  # w
    return 0


@njit(nogil=True, cache=True)
def ocr_gram_sets(data: Arr, offsets: Arr, fold: Arr, mult: Arr, n: int) -> tuple[Arr, Arr]:
    """Sorted distinct hashes of OCR-folded character ``n``-grams per text: the values of
    ``shingle_sets(*ocr.fold_bytes(texts), CLASSES_PLAIN, ...)`` in one pass, without the
    spaced byte array. A byte is folded by ``fold`` (0: dropped); the first byte of a pair
    ("rn", "vv") becomes the pair's glyph and the second is dropped, pairs found on the raw
    bytes and never across texts (a byte that ends one pair is dropped even if it starts
    another: "vvv" -> "w"). Each folded byte is a one-byte token."""
    ndocs = len(offsets) - 1
    maxlen = _longest(offsets)
    tok = np.empty(maxlen + 1, dtype=np.uint32)
    sh = np.empty(maxlen + 1, dtype=np.uint32)
    total = 0
    for d in range(ndocs):
        total += offsets[d + 1] - offsets[d] + 1
    values = np.empty(total, dtype=np.uint32)
    out_off = np.zeros(ndocs + 1, dtype=np.int64)
    pos = 0
    for d in range(ndocs):
        lo, hi = offsets[d], offsets[d + 1]
        nt = 0
        for i in range(lo, hi):
            if i > lo and _ocr_pair(data[i - 1], data[i]):
                continue  # the second byte of a pair
            f = _ocr_pair(data[i], data[i + 1]) if i + 1 < hi else 0
            if f == 0:
                f = fold[data[i]]
                if f == 0:
                    continue
            tok[nt] = _mix64to32(np.uint64(f))
            nt += 1
        ns = _shingles(tok, nt, mult, n, sh)
        part = np.sort(sh[:ns])
        for s in range(ns):
            if s == 0 or part[s] != part[s - 1]:
                values[pos] = part[s]
                pos += 1
        out_off[d + 1] = pos
    return values[:pos].copy(), out_off


_ROLL = np.uint64(0x100000001B3)  # the rolling hash's base (odd)
_SPREAD = np.uint64(0x9E3779B97F4A7C15)  # multiplicative hash of the window's value


@njit(nogil=True, cache=True)
def ocr_gram_sample(data: Arr, offsets: Arr, fold: Arr, n: int, keep: int) -> tuple[Arr, Arr]:
    """Sorted distinct hashes of a sample of the OCR-folded character ``n``-grams per text:
    bytes folded as ``ocr_gram_sets`` folds them (pairs read left to right: "vvv" -> "wv"),
    each gram hashed by a rolling polynomial (one multiply per character, whatever ``n``)
    and spread by one more (its top 32 bits), and only the grams whose hash is 0 modulo
    ``keep`` (a power of two) kept, the same grams in every text (a text shorter than ``n``
    gives one gram of all its characters, always kept)."""
    ndocs = len(offsets) - 1
    maxlen = _longest(offsets)
    tok = np.empty(maxlen + 1, dtype=np.uint64)
    sh = np.empty(maxlen + 1, dtype=np.uint32)
    total = 0
    for d in range(ndocs):
        total += (offsets[d + 1] - offsets[d]) // keep + 2
    values = np.empty(total, dtype=np.uint32)
    out_off = np.zeros(ndocs + 1, dtype=np.int64)
    mask = np.uint32(keep - 1)
    top = np.uint64(1)  # _ROLL ** (n - 1), the weight of the character leaving the window
    for _ in range(n - 1):
        top = top * _ROLL
    pos = 0
    for d in range(ndocs):
        lo, hi = offsets[d], offsets[d + 1]
        nt = 0
        i = lo
        while i < hi:
            c = data[i]
            low = c | 0x20
            if (low == 114 or low == 118) and i + 1 < hi:  # "rn" -> "m", "vv" -> "w"
                f = _ocr_pair(c, data[i + 1])
                if f != 0:
                    tok[nt] = np.uint64(f)
                    nt += 1
                    i += 2
                    continue
            f = fold[c]
            if f != 0:
                tok[nt] = np.uint64(f)
                nt += 1
            i += 1
        ns = 0
        if 0 < nt < n:
            acc = np.uint64(0)
            for k in range(nt):
                acc = acc * _ROLL + tok[k]
            sh[0] = np.uint32((acc * _SPREAD) >> np.uint64(32))
            ns = 1
        elif nt >= n:
            acc = np.uint64(0)
            for k in range(n):
                acc = acc * _ROLL + tok[k]
            for s in range(nt - n + 1):
                if s > 0:
                    acc = (acc - tok[s - 1] * top) * _ROLL + tok[s + n - 1]
                g = np.uint32((acc * _SPREAD) >> np.uint64(32))  # one multiply: top bits
                if g & mask == 0:
                    sh[ns] = g
                    ns += 1
        part = np.sort(sh[:ns])
        for s in range(ns):
            if s == 0 or part[s] != part[s - 1]:
                values[pos] = part[s]
                pos += 1
        out_off[d + 1] = pos
    return values[:pos].copy(), out_off


@njit(nogil=True, cache=True)
def containment(values: Arr, offsets: Arr, ia: Arr, ib: Arr) -> Arr:
    """``|A & B| / min(|A|, |B|)`` for each pair of sorted sets ``(ia[k], ib[k])``."""
    out = np.empty(len(ia), dtype=np.float64)
    for k in range(len(ia)):
        i, iend = offsets[ia[k]], offsets[ia[k] + 1]
        j, jend = offsets[ib[k]], offsets[ib[k] + 1]
        small = min(iend - i, jend - j)
        inter = 0
        while i < iend and j < jend:  # branch-free merge: ~30% faster than if/elif
            x = values[i]
            y = values[j]
            inter += x == y
            i += x <= y
            j += y <= x
        out[k] = inter / max(1, small)
    return out


@njit(nogil=True, cache=True)
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
    """Entries ``(band key with its low bits cleared) | doc`` for bands ``first ..
    first + count``; empty signatures get none. Sorting the entries groups each bucket with
    its documents in ascending order."""
    n = sig.shape[0]
    out = np.empty(n * count, dtype=np.uint64)
    keep_mask = ~np.uint64((1 << doc_bits) - 1)
    m = 0
    for d in range(n):
        if empty[d]:
            continue
        for band in range(first, first + count):
            acc = band_seed[band]
            for j in range(rows):
                acc ^= np.uint64(sig[d, band * rows + j]) * band_mult[j]
                acc = (acc << np.uint64(31)) | (acc >> np.uint64(33))
            out[m] = (acc & keep_mask) | np.uint64(d)
            m += 1
    return out[:m]


@njit(nogil=True, cache=True)
def bucket_pairs(
    entries: Arr, doc_bits: int, anchors: int, marked: Arr, use_marked: bool, warn_bucket: int
) -> tuple[Arr, int, int]:
    """Pair codes ``lo << 32 | hi`` from sorted ``entries``: each bucket member pairs with
    the bucket's first ``anchors`` members. Returns ``(codes, buckets over warn_bucket,
    largest bucket)``."""
    m = len(entries)
    doc_mask = np.uint64((1 << doc_bits) - 1)
    total = 0
    big = 0
    largest = 0
    start = 0
    while start < m:  # first pass: count
        key = entries[start] >> np.uint64(doc_bits)
        stop = start + 1
        while stop < m and (entries[stop] >> np.uint64(doc_bits)) == key:
            stop += 1
        size = stop - start
        largest = max(largest, size)
        if size > warn_bucket:
            big += 1
        for r in range(1, size):
            total += min(r, anchors)
        start = stop
    codes = np.empty(total, dtype=np.uint64)
    k = 0
    start = 0
    while start < m:
        key = entries[start] >> np.uint64(doc_bits)
        stop = start + 1
        while stop < m and (entries[stop] >> np.uint64(doc_bits)) == key:
            stop += 1
        for r in range(start + 1, stop):
            member = entries[r] & doc_mask
            for q in range(start, min(r, start + anchors)):
                anchor = entries[q] & doc_mask
                if anchor == member:
                    continue
                if use_marked and not (marked[anchor] or marked[member]):
                    continue
                codes[k] = (anchor << np.uint64(32)) | member
                k += 1
        start = stop
    return codes[:k], big, largest


@njit(nogil=True, cache=True, inline="always")
def _space(data: Arr, i: int, hi: int) -> tuple[int, bool]:
    """Length of the whitespace character at ``data[i]`` (ASCII or no-break space), else 0,
    and whether it ends a line (``\n``, or ``\r`` not followed by ``\n``)."""
    c = data[i]
    if c == 10:
        return 1, True
    if c == 13:
        return 1, not (i + 1 < hi and data[i + 1] == 10)
    if c == 32 or c == 9 or c == 11 or c == 12:
        return 1, False
    if c == 0xC2 and i + 1 < hi and data[i + 1] == 0xA0:
        return 2, False
    return 0, False


@njit(nogil=True, cache=True, inline="always")
def _strip(data: Arr, a: int, b: int) -> tuple[int, int]:
    while a < b:
        step, _ = _space(data, a, b)
        if step == 0:
            break
        a += step
    while b > a:
        if data[b - 1] == 0xA0 and b - 2 >= a and data[b - 2] == 0xC2:
            b -= 2
        elif data[b - 1] == 32 or 9 <= data[b - 1] <= 13:
            b -= 1
        else:
            break
    return a, b


@njit(nogil=True, cache=True, inline="always")
def _starts_with_any(data: Arr, i: int, hi: int, phrases: Arr, lengths: Arr) -> bool:
    """Whether ``data[i:hi]`` starts with one of ``phrases`` (lowercase ASCII rows,
    ``lengths`` long), comparing ASCII case-insensitively."""
    for p in range(len(lengths)):
        size = lengths[p]
        if i + size > hi:
            continue
        k = 0
        while k < size:
            c = data[i + k]
            if 65 <= c <= 90:
                c += 32
            if c != phrases[p, k]:
                break
            k += 1
        if k == size:
            return True
    return False


@njit(nogil=True, cache=True)
def split_paragraphs(
    data: Arr,
    offsets: Arr,
    skip: Arr,
    max_words: int,
    tails: Arr,
    tail_lengths: Arr,
    every_line: bool,
) -> tuple[Arr, Arr, Arr, Arr, Arr, Arr]:
    """Paragraphs of every text: ``(doc, words, key, story, text bytes, text offsets)``.

    Paragraphs are split at blank lines (a whitespace run holding two line breaks), or at
    every line break when the text has no blank line; each is stripped of whitespace
    (ASCII and no-break space) and empty ones are dropped. ``words``: spaces + 1; ``key``:
    a 64-bit hash of the ASCII-lowercased bytes without those marked in ``skip`` (quotes),
    computed for paragraphs of at most ``max_words`` words and for each text's longest
    paragraph (0 for the others: they are never compared by key); ``story``: the key of
    the text's longest paragraph (first on ties). A line starting with one of ``tails``
    (an aggregator's "See the original post") ends the text there. ``every_line``: every
    line break ends a paragraph, blank lines or not (what ``normalize.one_line_paragraphs``
    makes of the text first, without rewriting it)."""
    ndocs = len(offsets) - 1
    nbreak = 0
    for i in range(len(data)):  # (branch-free: vectorised)
        nbreak += np.int64(data[i] == 10) | np.int64(data[i] == 13)
    # Only whitespace runs holding a line break split paragraphs: visit the line-break
    # bytes and widen each to its run, instead of testing every byte for whitespace.
    at = np.empty(nbreak, dtype=np.int64)
    k = 0
    for i in range(len(data)):
        if data[i] == 10 or data[i] == 13:
            at[k] = i
            k += 1
    breaks = ndocs + 1 + nbreak
    runs = np.empty((breaks, 3), dtype=np.int64)  # line-break whitespace runs of a doc
    seg = np.empty((breaks, 2), dtype=np.int64)  # every paragraph of the batch
    seg_doc = np.empty(breaks, dtype=np.uint32)
    total = 0
    q = 0  # next line break in ``at``
    for d in range(ndocs):
        lo, hi = offsets[d], offsets[d + 1]
        nruns, most = 0, 0
        i = lo
        while True:
            while q < nbreak and at[q] < i:  # breaks of runs already read
                q += 1
            if q >= nbreak or at[q] >= hi:
                break
            run_start = at[q]
            while run_start > lo:  # widen back over the run's whitespace
                c = data[run_start - 1]
                if c == 32 or 9 <= c <= 13:
                    run_start -= 1
                elif c == 0xA0 and run_start - 2 >= lo and data[run_start - 2] == 0xC2:
                    run_start -= 2
                else:
                    break
            i, lines = run_start, 0
            while i < hi:
                step, brk = _space(data, i, hi)
                if step == 0:
                    break
                lines += brk
                i += step
            if lines:
                if len(tail_lengths) and _starts_with_any(data, i, hi, tails, tail_lengths):
                    hi = run_start  # the rest is an aggregator's tail of links
                    break
                runs[nruns, 0], runs[nruns, 1], runs[nruns, 2] = run_start, i, lines
                nruns += 1
                most = max(most, lines)
        need = 2 if most >= 2 and not every_line else 1
        start = lo
        for r in range(nruns + 1):
            if r < nruns and runs[r, 2] < need:
                continue
            stop = runs[r, 0] if r < nruns else hi
            a, b = _strip(data, start, stop)
            if b > a:
                seg[total, 0], seg[total, 1] = a, b
                seg_doc[total] = d
                total += 1
            if r < nruns:
                start = runs[r, 1]
    nbytes = 0
    for p in range(total):
        nbytes += seg[p, 1] - seg[p, 0]
    words = np.empty(total, dtype=np.int64)
    keys = np.zeros(total, dtype=np.uint64)
    story = np.zeros(total, dtype=np.uint64)
    text = np.empty(nbytes, dtype=np.uint8)
    text_off = np.zeros(total + 1, dtype=np.int64)
    pos = 0
    for p in range(total):
        a, b = seg[p, 0], seg[p, 1]
        text[pos : pos + b - a] = data[a:b]
        spaces = 0
        for i in range(a, b):
            spaces += np.int64(data[i] == 32)
        pos += b - a
        text_off[p + 1] = pos
        words[p] = spaces + 1
    first = 0
    while first < total:
        last, best = first, first
        while last < total and seg_doc[last] == seg_doc[first]:
            if words[last] > words[best]:
                best = last
            last += 1
        for r in range(first, last):
            if words[r] <= max_words or r == best:
                # Kept bytes are packed 8 to a word, one multiply per word.
                acc = np.uint64(0xCBF29CE484222325)
                word = np.uint64(0)
                filled = 0
                for i in range(text_off[r], text_off[r + 1]):
                    c = text[i]
                    if skip[c]:
                        continue
                    if 65 <= c <= 90:
                        c += 32
                    word = (word << np.uint64(8)) | np.uint64(c)
                    filled += 1
                    if filled == 8:
                        acc = (acc ^ word) * np.uint64(0x100000001B3)
                        acc ^= acc >> np.uint64(31)
                        word = np.uint64(0)
                        filled = 0
                acc = (acc ^ word ^ np.uint64(filled)) * np.uint64(0x100000001B3)
                keys[r] = acc ^ (acc >> np.uint64(29))
        story[first:last] = keys[best]
        first = last
    return seg_doc[:total].copy(), words, keys, story, text, text_off


@njit(nogil=True, cache=True)
def figures_changed(figs: Arr, a: Arr, b: Arr) -> Arr:
    """``body_checks.figures_changed`` per pair ``(a[p], b[p])`` of rows of ``figs`` (distinct
    nonzero figure hashes, then a whole-body flag column)."""
    k = figs.shape[1] - 1
    out = np.zeros(len(a), dtype=np.int8)
    for p in range(len(a)):
        fa, fb = figs[a[p]], figs[b[p]]
        na, nb, common = 0, 0, 0
        for i in range(k):
            na += fa[i] != 0
            nb += fb[i] != 0
        for i in range(k):
            if fa[i] == 0:
                continue
            for j in range(k):
                if fb[j] == fa[i]:
                    common += 1
                    break
        fewer = min(na, nb)
        whole = fa[k] == 1 and fb[k] == 1
        if fewer > 0 and (common < 0.5 * fewer or (whole and common < fewer)):
            out[p] = 1
    return out


@njit(nogil=True, cache=True)
def row_agreement(sig: np.ndarray, a: np.ndarray, b: np.ndarray, empty: np.uint32) -> np.ndarray:
    """Share of equal slots between rows ``a[k]`` and ``b[k]`` of ``sig``; 0 when either row
    is all ``empty``."""
    width = sig.shape[1]
    out = np.empty(len(a), dtype=np.float64)
    for k in range(len(a)):
        x, y = sig[a[k]], sig[b[k]]
        same = 0
        empty_x = True
        empty_y = True
        for j in range(width):
            same += x[j] == y[j]
            empty_x &= x[j] == empty
            empty_y &= y[j] == empty
        out[k] = 0.0 if (empty_x or empty_y) else same / width
    return out


@njit(nogil=True, cache=True)
def union_find_labels(n: int, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Connected-component label per node of the graph with edges ``(a[k], b[k])``; labels
    count up in order of each component's smallest node (scipy's ``connected_components``
    numbering)."""
    parent = np.arange(n)
    for k in range(len(a)):
        x, y = a[k], b[k]
        while parent[x] != x:  # find with path halving
            parent[x] = parent[parent[x]]
            x = parent[x]
        while parent[y] != y:
            parent[y] = parent[parent[y]]
            y = parent[y]
        if x != y:
            if x < y:
                parent[y] = x
            else:
                parent[x] = y
    labels = np.full(n, -1, dtype=np.int64)
    root_label = np.full(n, -1, dtype=np.int64)
    nxt = 0
    for i in range(n):
        r = i
        while parent[r] != r:
            r = parent[r]
        if root_label[r] < 0:
            root_label[r] = nxt
            nxt += 1
        labels[i] = root_label[r]
    return labels


@njit(nogil=True, cache=True)
def gather_sets(values: Arr, offsets: Arr, idx: Arr, out: Arr, out_offsets: Arr, at: int) -> int:
    """Copy sets ``idx`` of ``(values, offsets)`` into ``out`` from position
    ``out_offsets[at]`` on, writing ``out_offsets[at + 1 ..]``; returns the next ``at``."""
    pos = out_offsets[at]
    for k in range(len(idx)):
        lo, hi = offsets[idx[k]], offsets[idx[k] + 1]
        for p in range(lo, hi):
            out[pos] = values[p]
            pos += 1
        at += 1
        out_offsets[at] = pos
    return at


@njit(nogil=True, cache=True)
def _tokens_marked(
    data: Arr,
    lo: int,
    hi: int,
    classes: Arr,
    table: Arr,
    prime: np.uint64,
    out: Arr,
    quoted: Arr,
) -> tuple[int, bool, bool, bool]:
    """``_tokens`` of ``data[lo:hi]`` in both modes at once: every token into ``out``, and
    ``quoted[k]`` true for the tokens ``unquoted=True`` skips (inside a quotation, found as
    that mode finds them). Returns ``(count, saw_wide, saw_wide_outside_quotations, odd)``;
    ``odd``: a word runs across a quotation's edge (a quote that is no separator), where
    the two modes split words differently (the caller then tokenises apart)."""
    nt = 0
    acc = np.uint64(0)
    pw = np.uint64(1)
    inword = False
    wide = False
    wide_out = False
    odd = False
    cut = False  # the unquoted mode ended the current word at a quotation's start
    span_hi = -1
    mark = False
    i = lo
    while i < hi:
        c = data[i]
        if i >= span_hi and (c == _QUOTE or c == 0xE2 or c == 0xC2):
            end = _quotation_end(data, i, hi)
            if end > 0:
                span_hi = end
                cut = inword
        inside = i < span_hi
        kind = classes[c]
        step = 1
        if kind == WIDE:
            kind, step = _wide_class(data, i, hi, table)
            if kind == WIDE:
                wide = True
                if not inside:
                    wide_out = True
                kind = WORD
        if i < span_hi < i + step:
            odd = True  # a character across the quotation's end
        if kind == SKIP:
            i += step
            continue
        if kind == SEP:
            if inword:
                out[nt] = _mix64to32(acc)
                quoted[nt] = mark
                nt += 1
                inword = False
            cut = False
            i += step
            continue
        if not inword:
            acc = np.uint64(0)
            pw = np.uint64(1)
            inword = True
            mark = inside
        elif cut or inside != mark:
            odd = True
        if kind == UPPER:
            c = c + 32
        acc += np.uint64(c) * pw
        pw *= prime
        for k in range(1, step):
            acc += np.uint64(data[i + k]) * pw
            pw *= prime
        i += step
    if inword:
        out[nt] = _mix64to32(acc)
        quoted[nt] = mark
        nt += 1
    return nt, wide, wide_out, odd


@njit(nogil=True, cache=True)
def _distinct_into(sh: Arr, ns: int, values: Arr, pos: int) -> int:
    part = np.sort(sh[:ns])
    last = np.uint32(0)
    for s in range(ns):
        if s == 0 or part[s] != last:
            values[pos] = part[s]
            pos += 1
            last = part[s]
    return pos


@njit(nogil=True, cache=True)
def shingle_sets_both(
    data: Arr,
    offsets: Arr,
    classes: Arr,
    table: Arr,
    prime: np.uint64,
    mult: Arr,
    n: int,
) -> tuple[Arr, Arr, Arr, Arr, Arr]:
    """``shingle_sets`` with ``unquoted`` False and True from one tokenisation per text:
    ``(values, offsets, quote-free values, quote-free offsets, redo)``; ``redo`` marks
    the texts to compute apart (a wide character or an ``odd`` word, see
    ``_tokens_marked``; their sets here are not to be used)."""
    ndocs = len(offsets) - 1
    maxlen = _longest(offsets)
    tok = np.empty(maxlen // 2 + 2, dtype=np.uint32)
    bare = np.empty(maxlen // 2 + 2, dtype=np.uint32)
    quoted = np.empty(maxlen // 2 + 2, dtype=np.bool_)
    sh = np.empty(maxlen // 2 + 2, dtype=np.uint32)
    total = 0
    for d in range(ndocs):
        total += (offsets[d + 1] - offsets[d]) // 2 + 1
    values = np.empty(total, dtype=np.uint32)
    bvalues = np.empty(total, dtype=np.uint32)
    out_off = np.zeros(ndocs + 1, dtype=np.int64)
    bout_off = np.zeros(ndocs + 1, dtype=np.int64)
    redo = np.zeros(ndocs, dtype=np.bool_)
    pos = 0
    bpos = 0
    for d in range(ndocs):
        nt, wide, wide_out, odd = _tokens_marked(
            data, offsets[d], offsets[d + 1], classes, table, prime, tok, quoted
        )
        redo[d] = wide or wide_out or odd
        pos = _distinct_into(sh, _shingles(tok, nt, mult, n, sh), values, pos)
        out_off[d + 1] = pos
        nb = 0
        for k in range(nt):
            if not quoted[k]:
                bare[nb] = tok[k]
                nb += 1
        bpos = _distinct_into(sh, _shingles(bare, nb, mult, n, sh), bvalues, bpos)
        bout_off[d + 1] = bpos
    return values[:pos].copy(), out_off, bvalues[:bpos].copy(), bout_off, redo
