"""Text -> hashed shingles, in bulk, as flat numpy arrays with per-document offsets.

Layout: ``(hashes, offsets)`` where document ``i`` owns ``hashes[offsets[i]:offsets[i+1]]``.
Hashes are 32-bit, stable across runs, processes and library versions (a polynomial hash of
each token's UTF-8 bytes, combined with fixed odd multipliers), so persisted signatures stay
comparable. The pure-Python
``hash_word_shingle`` / ``hash_char_shingle`` give the same value for one shingle: pass them to
``datasketch.MinHash(hashfunc=...)`` to reproduce our signatures bit for bit.

A text shorter than ``n`` tokens yields one shingle of all its tokens, so a two-word body still
has a signature.
"""

from __future__ import annotations

import os
import re
from functools import lru_cache
from pathlib import Path

import numpy as np
import polars as pl

# Fixed odd 64-bit multipliers, one per position in the n-gram.
_MULT = np.array(
    [
        0x9E3779B97F4A7C15,
        0xC2B2AE3D27D4EB4F,
        0x165667B19E3779F9,
        0xD6E8FEB86659FD93,
        0xFF51AFD7ED558CCD,
        0xC4CEB9FE1A85EC53,
        0x94D049BB133111EB,
        0xBF58476D1CE4E5B9,
    ],
    dtype=np.uint64,
)
MAX_NGRAM = len(_MULT)
_TOKEN_RE = re.compile(r"[0-9A-Za-z_\u0080-\U0010FFFF]+")


def _fold(acc: np.ndarray) -> np.ndarray:
    return ((acc >> np.uint64(32)) ^ (acc & np.uint64(0xFFFFFFFF))).astype(np.uint32)


_P = 0x100000001B3  # FNV-64 prime: odd, so invertible mod 2^64
_P_INV = pow(_P, -1, 1 << 64)
_WORD_BYTE = np.zeros(256, dtype=bool)
for _c in b"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_":
    _WORD_BYTE[_c] = True
_WORD_BYTE[0x80:] = True  # every byte of a non-ASCII character counts as a word byte
# Byte classes for the compiled tokeniser (see ``_kernels``): plain, for normalised text;
# folding, which also lowercases ASCII, deletes apostrophes and splits on the quote, dash
# and space variants ``normalize_text`` folds, and flags any other non-ASCII character.
CLASSES_PLAIN = _WORD_BYTE.astype(np.uint8)
CLASSES_FOLD = _WORD_BYTE.astype(np.uint8)
CLASSES_FOLD[ord("A") : ord("Z") + 1] = 3
CLASSES_FOLD[[ord("'"), ord("`")]] = 2
CLASSES_FOLD[0x80:] = 4
_NO_TABLE = np.full(0x10000, 4, dtype=np.uint8)  # plain classes never consult the table


@lru_cache(maxsize=1)
def fold_table() -> np.ndarray:
    """Class of each code point below U+10000 when the compiled tokeniser folds raw text:
    what ``normalize.normalize_series`` turns that character into, seen alone. Deleted
    (apostrophes) -> SKIP (2); only ASCII punctuation or space -> SEP (0); itself (an
    NFKC-stable lowercase character) -> WORD (1); anything else (capitals, compatibility
    forms such as "™" -> "tm", characters that compose with a neighbour) -> WIDE (4): the
    text is then normalised in full before signing. Built on first use (~50 ms).

    Context is ignored except where it matters to NFKC (combining marks, the second half
    of a canonical composition, Hangul jamo are WIDE); lowercasing follows Python's
    Unicode tables, which may lag polars' by a version for new characters.

    Building costs ~50-250 ms of Unicode look-ups, more than a whole small command, so the
    table is kept on disk next to numba's kernel cache (``__pycache__``, 64 kB) under a key
    of the Python and Unicode versions and the bytes of this module and ``normalize``
    (any edit of either rebuilds it); an unreadable or unwritable cache only costs the
    build."""
    path = _fold_table_path()
    if path is not None:
        try:
            table = np.load(path)
            if table.shape == (0x10000,) and table.dtype == np.uint8:
                return table
        except (OSError, ValueError):
            pass
    table = _build_fold_table()
    if path is not None:
        tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
        try:  # written whole, then renamed: a reader never sees half a table
            path.parent.mkdir(exist_ok=True)
            with open(tmp, "wb") as f:
                np.save(f, table)
            os.replace(tmp, path)
        except OSError:
            tmp.unlink(missing_ok=True)
    return table


def _fold_table_path() -> Path | None:
    """Where ``fold_table`` is kept: its key changes with Python, Unicode and the code."""
    import hashlib
    import sys
    import unicodedata

    here = Path(__file__)
    try:
        code = here.read_bytes() + here.with_name("normalize.py").read_bytes()
    except OSError:
        return None
    key = hashlib.sha1(repr((sys.version, unicodedata.unidata_version)).encode() + code)
    return here.with_name("__pycache__") / f"fold_table-{key.hexdigest()[:16]}.npy"


def _build_fold_table() -> np.ndarray:
    """``fold_table`` computed (see there)."""
    import unicodedata

    from syndup.normalize import _FOLD_FROM, _FOLD_TO

    fold = str.maketrans(dict(zip(_FOLD_FROM, _FOLD_TO)))
    points = [cp for cp in range(0x80, 0x10000) if not 0xD800 <= cp <= 0xDFFF]
    chars = [chr(cp) for cp in points]
    # Characters that attach to their left neighbour: combining marks, the second half of a
    # canonical composition, Hangul jamo.
    attach = {cp for cp, ch in zip(points, chars) if unicodedata.combining(ch)}
    attach.update(range(0x1100, 0x1200))
    for ch in chars:
        dec = unicodedata.decomposition(ch).split()
        if len(dec) == 2 and not dec[0].startswith("<"):
            attach.add(int(dec[1], 16))
    # One string, characters apart (NUL starts a new composition), folded in bulk.
    once = "\0".join(chars).lower().translate(fold)
    out = unicodedata.normalize("NFKC", once).lower().translate(fold).split("\0")
    table = np.full(0x10000, 4, dtype=np.uint8)
    table[:0x80] = 0  # never looked up: ASCII has its own classes
    for cp, ch, folded in zip(points, chars, out):
        if cp in attach:
            continue
        if folded == "":
            table[cp] = 2
        elif folded == ch:
            table[cp] = 1
        elif folded.isascii() and not _TOKEN_RE.search(folded):
            table[cp] = 0
    return table


_TOKENIZE_BATCH = 2000
_POW_CACHE: dict[int, tuple[np.ndarray, np.ndarray]] = {}


def _powers(n: int) -> tuple[np.ndarray, np.ndarray]:
    """``P^i`` and ``P^-i`` mod 2^64 for ``i < n`` (cached, grown by doubling)."""
    size = max(1 << 16, 1 << (max(n, 1) - 1).bit_length())
    cached = max(_POW_CACHE, default=0)
    if cached >= size:
        return _POW_CACHE[cached]
    if size not in _POW_CACHE:
        pw = np.full(size, _P, dtype=np.uint64)
        pw[0] = 1
        qw = np.full(size, _P_INV, dtype=np.uint64)
        qw[0] = 1
        _POW_CACHE.clear()  # replaced whole: another thread may still hold the old arrays
        _POW_CACHE[size] = (np.cumprod(pw), np.cumprod(qw))
    return _POW_CACHE[size]


def _mix64to32(h: np.ndarray) -> np.ndarray:
    h = h ^ (h >> np.uint64(33))
    h = h * np.uint64(0xFF51AFD7ED558CCD)
    h = h ^ (h >> np.uint64(33))
    return (h >> np.uint64(32)).astype(np.uint32)


def tokenize(texts: pl.Series) -> tuple[np.ndarray, np.ndarray]:
    """Hash every token of every text: ``(uint32 token hashes, int64 offsets)``.

    A token is a maximal run of ASCII letters, digits, ``_`` or non-ASCII characters (run
    ``normalize_text`` first: it folds case and turns curly quotes and dashes into ASCII
    punctuation). Works on the UTF-8 bytes in numpy with no per-token Python: a polynomial
    hash ``sum(byte_j * P^j) mod 2^64`` per token from one prefix sum, then a 64->32 bit mix.
    ``hash_token`` is the same function for one token.
    """
    if len(texts) > _TOKENIZE_BATCH:  # bounded buffers: memory touched first is slow here
        parts = [
            tokenize(texts[i : i + _TOKENIZE_BATCH]) for i in range(0, len(texts), _TOKENIZE_BATCH)
        ]
        hashes = np.concatenate([h for h, _ in parts])
        sizes = np.concatenate([np.diff(o) for _, o in parts])
        offsets = np.zeros(len(texts) + 1, dtype=np.int64)
        np.cumsum(sizes, out=offsets[1:])
        return hashes, offsets
    data, byte_offsets = text_bytes(texts)
    n_docs = len(texts)
    if len(data) == 0:
        return np.zeros(0, dtype=np.uint32), np.zeros(n_docs + 1, dtype=np.int64)
    word = _WORD_BYTE[data]
    boundary = np.zeros(len(data) + 1, dtype=bool)
    boundary[byte_offsets] = True  # a token never spans two documents
    prev_word = np.concatenate(([False], word[:-1])) & ~boundary[:-1]
    next_word = np.concatenate((word[1:], [False])) & ~boundary[1:]
    starts = np.flatnonzero(word & ~prev_word)
    ends = np.flatnonzero(word & ~next_word) + 1
    pw, qw = _powers(len(data) + 1)
    prefix = np.zeros(len(data) + 1, dtype=np.uint64)
    np.cumsum(data.astype(np.uint64) * pw[: len(data)], out=prefix[1:])
    hashes = _mix64to32((prefix[ends] - prefix[starts]) * qw[starts])
    offsets = np.searchsorted(starts, byte_offsets).astype(np.int64)
    return hashes, offsets


def text_bytes(texts: pl.Series) -> tuple[np.ndarray, np.ndarray]:
    """The UTF-8 bytes of every text and their ``(n + 1)`` offsets, without a copy when the
    column is already one contiguous large-string buffer (nulls read as "")."""
    import pyarrow as pa

    arr = texts.fill_null("").cast(pl.String).to_arrow()
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    if arr.type != pa.large_string():  # polars gives large_string; casting imports
        arr = arr.cast(pa.large_string())  # pyarrow.compute (~0.2 s), so only if needed
    raw = np.frombuffer(arr.buffers()[1], dtype=np.int64)[arr.offset : arr.offset + len(arr) + 1]
    lo, hi = int(raw[0]), int(raw[-1])
    if hi == lo:
        return np.zeros(0, dtype=np.uint8), np.zeros(len(arr) + 1, dtype=np.int64)
    return np.frombuffer(arr.buffers()[2], dtype=np.uint8)[lo:hi], raw - lo


def shingle_sets(
    texts: pl.Series, n: int, *, unquoted: bool = False, fold: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """Exact sets of word ``n``-gram hashes, sorted and distinct per text, as ``(values,
    offsets)``. ``unquoted`` first removes direct quotations: a double quote (any variant),
    at most 800 bytes without one or a line break, a double quote
    (``re.sub('"[^"\\n]{0,800}"', " ", text)``
    on normalised ASCII text). ``fold=True`` reads raw text and folds it on the fly as
    ``signature.sign_texts`` does (texts it cannot fold are normalised first), giving the
    sets of ``normalize_series(texts)``."""
    from syndup._kernels import shingle_sets as kernel

    data, offsets = text_bytes(texts)
    classes = CLASSES_FOLD if fold else CLASSES_PLAIN
    table = fold_table() if fold and len(data) else _NO_TABLE  # no text: no table needed
    values, out, wide = kernel(data, offsets, classes, table, np.uint64(_P), _MULT, n, unquoted)
    if not fold or not wide.any():
        return values, out
    from syndup.normalize import normalize_series

    redo = np.flatnonzero(wide)
    fixed, fixed_out = shingle_sets(
        normalize_series(texts.gather(redo), collapse_spaces=False), n, unquoted=unquoted
    )
    sizes = np.diff(out)
    owner = np.repeat(np.arange(len(sizes)), sizes)
    keep = ~wide[owner]
    merged_owner = np.concatenate([owner[keep], np.repeat(redo, np.diff(fixed_out))])
    order = np.argsort(merged_owner, kind="stable")
    merged = np.concatenate([values[keep], fixed])[order]
    sizes[redo] = np.diff(fixed_out)
    offsets_out = np.zeros(len(sizes) + 1, dtype=np.int64)
    np.cumsum(sizes, out=offsets_out[1:])
    return merged, offsets_out


def tokens(text: str) -> list[str]:
    """The tokens ``tokenize`` sees in one (normalised) text, for use outside syndup."""
    return _TOKEN_RE.findall(text)


def hash_token(token: str | bytes) -> int:
    """The 32-bit hash ``tokenize`` gives one token."""
    data = token.encode("utf-8") if isinstance(token, str) else token
    acc = 0
    for j, byte in enumerate(data):
        acc = (acc + byte * pow(_P, j, 1 << 64)) % (1 << 64)
    return int(_mix64to32(np.array([acc], dtype=np.uint64))[0])


def ngram_hashes(values: np.ndarray, offsets: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Combine runs of ``n`` consecutive values inside each document into shingle hashes."""
    if not 1 <= n <= MAX_NGRAM:
        raise ValueError(f"n-gram size must be 1..{MAX_NGRAM}, got {n}")
    lengths = np.diff(offsets)
    counts = np.where(lengths >= n, lengths - n + 1, np.minimum(lengths, 1))
    out_offsets = np.zeros(len(counts) + 1, dtype=np.int64)
    np.cumsum(counts, out=out_offsets[1:])
    total = int(out_offsets[-1])
    if total == 0:
        return np.zeros(0, dtype=np.uint32), out_offsets
    doc = np.repeat(np.arange(len(counts)), counts)
    pos = np.arange(total) - out_offsets[doc] + offsets[doc]  # start index into values
    end = offsets[doc + 1]
    vals = values.astype(np.uint64)
    acc = np.zeros(total, dtype=np.uint64)
    for k in range(n):
        idx = pos + k
        ok = idx < end
        acc += np.where(ok, vals[np.minimum(idx, len(vals) - 1)], np.uint64(0)) * _MULT[k]
    return _fold(acc), out_offsets


def word_shingles(texts: pl.Series, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Hashed word ``n``-grams of each text (texts should be normalised first)."""
    tokens, offsets = tokenize(texts)
    return ngram_hashes(tokens, offsets, n)


def lead(
    tokens_offsets: tuple[np.ndarray, np.ndarray], words: int
) -> tuple[np.ndarray, np.ndarray]:
    """Keep the first ``words`` tokens of each document (the lead), same layout."""
    tokens, offsets = tokens_offsets
    lengths = np.minimum(np.diff(offsets), words)
    new_offsets = np.zeros(len(lengths) + 1, dtype=np.int64)
    np.cumsum(lengths, out=new_offsets[1:])
    doc = np.repeat(np.arange(len(lengths)), lengths)
    idx = np.arange(int(new_offsets[-1])) - new_offsets[doc] + offsets[doc]
    return tokens[idx], new_offsets


def char_shingles(texts: pl.Series, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Hashed character ``n``-grams (unicode code points) of each text."""
    filled = texts.fill_null("").to_list()
    lengths = np.fromiter((len(t) for t in filled), dtype=np.int64, count=len(filled))
    offsets = np.zeros(len(filled) + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    codes = np.frombuffer("".join(filled).encode("utf-32-le"), dtype=np.uint32)
    return ngram_hashes(codes, offsets, n)


def hash_word_shingle(shingle: bytes | str) -> int:
    """Hash one word shingle (tokens separated by spaces), equal to our bulk values.

    Use as ``datasketch.MinHash(hashfunc=hash_word_shingle)`` and update it with
    ``" ".join(tokens[i:i+n])`` to get the signatures syndup computes.
    """
    text = shingle.decode("utf-8") if isinstance(shingle, bytes) else shingle
    acc = 0
    for k, token in enumerate(text.split(" ")):
        acc = (acc + hash_token(token) * int(_MULT[k])) % (1 << 64)
    return (acc >> 32) ^ (acc & 0xFFFFFFFF)


def hash_char_shingle(shingle: bytes | str) -> int:
    """Hash one character shingle, equal to our bulk values (see ``hash_word_shingle``)."""
    text = shingle.decode("utf-8") if isinstance(shingle, bytes) else shingle
    acc = 0
    for k, ch in enumerate(text):
        acc = (acc + ord(ch) * int(_MULT[k])) % (1 << 64)
    return (acc >> 32) ^ (acc & 0xFFFFFFFF)
