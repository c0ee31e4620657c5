"""Text -> hashed shingles, in bulk, as flat numpy arrays with per-document offsets.

Layout: ``(hashes, offsets)`` where document ``i`` owns ``hashes[offsets[i]:offsets[i+1]]``.
Hashes are 32-bit, stable across runs, processes and library versions (xxh32 of each token,
combined with fixed odd multipliers), so persisted signatures stay comparable. The pure-Python
``hash_word_shingle`` / ``hash_char_shingle`` give the same value for one shingle: pass them to
``datasketch.MinHash(hashfunc=...)`` to reproduce our signatures bit for bit.

A text shorter than ``n`` tokens yields one shingle of all its tokens, so a two-word body still
has a signature.
"""

from __future__ import annotations

import numpy as np
import polars as pl
import xxhash

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
TOKEN_PATTERN = r"\w+"


def _fold(acc: np.ndarray) -> np.ndarray:
    return ((acc >> np.uint64(32)) ^ (acc & np.uint64(0xFFFFFFFF))).astype(np.uint32)


def tokenize(texts: pl.Series) -> tuple[np.ndarray, np.ndarray]:
    """Hash every ``\\w+`` token of every text: ``(uint32 token hashes, int64 offsets)``.

    Each distinct token is hashed once per call (xxh32), then mapped back with a polars join,
    so the Python-level work grows with the vocabulary, not with the corpus.
    """
    tokens = texts.fill_null("").str.extract_all(TOKEN_PATTERN)
    lengths = tokens.list.len().fill_null(0).to_numpy().astype(np.int64)
    offsets = np.zeros(len(lengths) + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    flat = tokens.explode().drop_nulls()
    if flat.len() == 0:
        return np.zeros(0, dtype=np.uint32), offsets
    vocab = flat.unique()
    hashes = pl.Series(
        [xxhash.xxh32_intdigest(t.encode()) for t in vocab.to_list()], dtype=pl.UInt32
    )
    mapped = flat.replace_strict(vocab, hashes, return_dtype=pl.UInt32)
    return mapped.to_numpy(), offsets


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


def lead(tokens_offsets: tuple[np.ndarray, np.ndarray], words: int) -> tuple[np.ndarray, np.ndarray]:
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
        acc = (acc + xxhash.xxh32_intdigest(token.encode()) * int(_MULT[k])) % (1 << 64)
    return (acc >> 32) ^ (acc & 0xFFFFFFFF)


def hash_char_shingle(shingle: bytes | str) -> int:
    """Hash one character shingle, equal to our bulk values (see ``hash_word_shingle``)."""
    text = shingle.decode("utf-8") if isinstance(shingle, bytes) else shingle
    acc = 0
    for k, ch in enumerate(text):
        acc = (acc + ord(ch) * int(_MULT[k])) % (1 << 64)
    return (acc >> 32) ^ (acc & 0xFFFFFFFF)
