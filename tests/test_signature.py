"""Signatures are datasketch's: bit-identical values, same Jaccard, usable in MinHashLSH."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from datasketch import LeanMinHash, MinHash, MinHashLSH
from hypothesis import given, settings
from hypothesis import strategies as st

from syndup._jit import containment
from syndup.lsh import band_params, candidate_pairs
from syndup.shingle import (
    char_shingles,
    hash_char_shingle,
    hash_token,
    hash_word_shingle,
    lead,
    ngram_hashes,
    shingle_sets,
    tokenize,
    tokens,
    word_shingles,
)
from syndup.signature import (
    distinct_counts,
    jaccard,
    minhash,
    pair_jaccard,
    permutations,
    sign_texts,
)

WORDS = st.lists(
    st.sampled_from(["the", "a", "wire", "story", "copy", "news", "héllo", "ünï", "42", "x_y"]),
    max_size=40,
)


def _datasketch_word(text: str, n: int, num_perm: int) -> MinHash:
    toks = tokens(text)
    m = MinHash(num_perm=num_perm, seed=1, hashfunc=hash_word_shingle)
    for j in range(max(len(toks) - n + 1, 1 if toks else 0)):
        m.update(" ".join(toks[j : j + n]).encode())
    return m


@settings(max_examples=60, deadline=None)
@given(st.lists(WORDS, min_size=1, max_size=6), st.integers(1, 5))
def test_word_signatures_are_bit_identical_to_datasketch(docs: list[list[str]], n: int) -> None:
    texts = [" ".join(d) for d in docs]
    hashes, offsets = word_shingles(pl.Series(texts), n)
    sig = minhash(hashes, offsets, num_perm=64, seed=1)
    for i, text in enumerate(texts):
        assert np.array_equal(_datasketch_word(text, n, 64).hashvalues, sig[i])


def test_char_signatures_are_bit_identical_to_datasketch() -> None:
    texts = ["Marc Maron Admits Progressives", "naïve café — ok", "ab"]
    hashes, offsets = char_shingles(pl.Series(texts), 3)
    sig = minhash(hashes, offsets, num_perm=32)
    for i, t in enumerate(texts):
        m = MinHash(num_perm=32, seed=1, hashfunc=hash_char_shingle)
        for j in range(max(len(t) - 2, 1)):
            m.update(t[j : j + 3].encode())
        assert np.array_equal(m.hashvalues, sig[i])


def test_tokenizer_matches_python_definition() -> None:
    texts = pl.Series(["gomezs moves, 2019: a_b—c ünï", "", None, "x"])
    hashes, offsets = tokenize(texts)
    for i, t in enumerate(texts.to_list()):
        expected = [hash_token(tok) for tok in tokens(t or "")]
        assert hashes[offsets[i] : offsets[i + 1]].tolist() == expected
    assert tokens("gomezs moves, 2019: a_b") == ["gomezs", "moves", "2019", "a_b"]


def test_lean_minhash_estimates_the_same_jaccard() -> None:
    rng = np.random.default_rng(0)
    vocab = [f"w{i}" for i in range(400)]
    base = list(rng.choice(vocab, 300))
    other = base[:200] + list(rng.choice(vocab, 100))
    texts = pl.Series([" ".join(base), " ".join(other)])
    hashes, offsets = word_shingles(texts, 3)
    sig = minhash(hashes, offsets, num_perm=256)
    ours = float(jaccard(sig[:1], sig[1:])[0])
    a = LeanMinHash(seed=1, hashvalues=sig[0], scheme="affine32")
    b = LeanMinHash(seed=1, hashvalues=sig[1], scheme="affine32")
    assert a.jaccard(b) == ours
    sets = [set(hashes[offsets[i] : offsets[i + 1]].tolist()) for i in range(2)]
    exact = len(sets[0] & sets[1]) / len(sets[0] | sets[1])
    assert abs(ours - exact) < 0.1


def test_empty_document_has_empty_signature_and_zero_jaccard() -> None:
    hashes, offsets = word_shingles(pl.Series(["", ""]), 5)
    sig = minhash(hashes, offsets, num_perm=16)
    assert (sig == 0xFFFFFFFF).all()
    assert jaccard(sig[:1], sig[1:])[0] == 0.0


def test_distinct_counts() -> None:
    hashes = np.array([5, 5, 7, 1, 1, 1], dtype=np.uint32)
    offsets = np.array([0, 3, 3, 6])
    assert distinct_counts(hashes, offsets).tolist() == [2, 0, 1]


def test_band_params_follow_datasketch_rule() -> None:
    from datasketch.lsh import _optimal_param

    assert band_params(0.5, 128) == _optimal_param(0.5, 128, 0.5, 0.5)
    assert band_params(0.3, 256, recall_weight=0.9) == _optimal_param(0.3, 256, 0.1, 0.9)


@pytest.mark.parametrize("chunk", [4_000_000, 40])
def test_polars_band_join_equals_datasketch_lsh(monkeypatch, chunk: int) -> None:
    """``chunk`` 40: one band per group and the distinct codes merged as groups accumulate
    (the path a 1M corpus takes) give the same pairs as one merge at the end."""
    import syndup.lsh

    monkeypatch.setattr(syndup.lsh, "_ENTRIES_PER_CHUNK", chunk)
    rng = np.random.default_rng(1)
    vocab = [f"w{i}" for i in range(300)]
    bases = [list(rng.choice(vocab, 80)) for _ in range(20)]
    texts = []
    for b in bases:
        texts.append(" ".join(b))
        copy = list(b)
        for _ in range(int(rng.integers(0, 25))):
            copy[int(rng.integers(0, len(copy)))] = str(rng.choice(vocab))
        texts.append(" ".join(copy))
    hashes, offsets = word_shingles(pl.Series(texts), 3)
    sig = minhash(hashes, offsets, num_perm=128)
    bands, rows = band_params(0.5, 128)
    ours = candidate_pairs(sig, bands=bands, rows=rows, anchors=1000)
    ours_set = set(zip(ours["a"].to_list(), ours["b"].to_list()))
    lsh = MinHashLSH(num_perm=128, params=(bands, rows))
    lean = [LeanMinHash(seed=1, hashvalues=s, scheme="affine32") for s in sig]
    for i, m in enumerate(lean):
        lsh.insert(i, m)
    theirs = {(min(i, j), max(i, j)) for i, m in enumerate(lean) for j in lsh.query(m) if i != j}
    assert ours_set == theirs
    assert len(ours_set) >= 15  # most copies found


def test_oversized_buckets_are_capped_but_stay_connected(caplog) -> None:
    caplog.set_level("WARNING", logger="syndup")
    sig = np.full((200, 1), 7, dtype=np.uint32)
    pairs = candidate_pairs(sig, bands=1, rows=1, anchors=5, warn_bucket=100)
    assert pairs.height == sum(200 - 1 - i for i in range(5))
    assert set(pairs["b"].to_list()) | {0} == set(range(200))
    assert "more than 100 articles (largest 200)" in caplog.text


def test_only_mask_limits_pairs_to_marked_rows() -> None:
    sig = np.array([[1], [1], [1], [2], [2]], dtype=np.uint32)
    only = np.array([False, True, False, False, False])
    pairs = candidate_pairs(sig, bands=1, rows=1, only=only)
    assert sorted(zip(pairs["a"].to_list(), pairs["b"].to_list())) == [(0, 1), (1, 2)]


TEXTS = st.lists(
    st.lists(
        st.sampled_from(["the", "wire", "story", '"quoted', 'words"', "héllo", "42", ",", "-"]),
        max_size=70,
    ).map(" ".join),
    min_size=1,
    max_size=5,
)


@settings(max_examples=60, deadline=None)
@given(TEXTS, st.integers(1, 5), st.integers(1, 12))
def test_compiled_signatures_equal_the_numpy_definition(
    texts: list[str], n: int, lead_words: int
) -> None:
    series = pl.Series(texts)
    sig, lsig, words, distinct, _ = sign_texts(
        series, n=n, num_perm=32, lead_num_perm=16, lead_words=lead_words
    )
    toks = tokenize(series)
    hashes, offsets = ngram_hashes(*toks, n)
    assert np.array_equal(sig, minhash(hashes, offsets, num_perm=32))
    assert np.array_equal(words, np.diff(toks[1]))
    assert np.array_equal(distinct, distinct_counts(hashes, offsets))
    if lead_words >= n:
        lh, lo = ngram_hashes(*lead(toks, lead_words), n)
        assert np.array_equal(lsig, minhash(lh, lo, num_perm=16))


@settings(max_examples=60, deadline=None)
@given(TEXTS, st.integers(1, 4))
def test_exact_shingle_sets_and_containment(texts: list[str], n: int) -> None:
    series = pl.Series(texts)
    for unquoted in (False, True):
        source = series.str.replace_all(r'"[^"\n]{0,800}"', " ") if unquoted else series
        hashes, offsets = ngram_hashes(*tokenize(source), n)
        expected = [set(hashes[offsets[i] : offsets[i + 1]].tolist()) for i in range(len(texts))]
        values, offs = shingle_sets(series, n, unquoted=unquoted)
        got = [values[offs[i] : offs[i + 1]].tolist() for i in range(len(texts))]
        assert got == [sorted(s) for s in expected]
        ia = np.repeat(np.arange(len(texts)), len(texts))
        ib = np.tile(np.arange(len(texts)), len(texts))
        cont = containment(values, offs, ia, ib)
        for k, (i, j) in enumerate(zip(ia, ib)):
            x, y = expected[i], expected[j]
            assert cont[k] == len(x & y) / max(1, min(len(x), len(y)))


FOLDED = st.lists(
    st.sampled_from(
        [
            "The",
            "WIRE",
            "Gomez’s",
            "Trump's",
            "“Quoted”",
            "a—b",
            "x–y",
            "rock'n'roll",
            "`x´",
            "«fr»",
            "no\u00a0break",
            "wait…",
            "minus−1",
            "héllo",
            "ÜBER",
            "ﬁne",
            "‛odd′",
            "42",
            "72°F",
            "©2019",
            "€5",
            "â€™",
            "soft\u00adhyphen",
            "en\u2002space",
            "Brand™",
            "e\u0301",
        ]
    ),
    max_size=40,
).map(" ".join)


@settings(max_examples=80, deadline=None)
@given(st.lists(FOLDED, min_size=1, max_size=5))
def test_on_the_fly_fold_equals_normalising_first(texts: list[str]) -> None:
    from syndup.normalize import normalize_series

    series = pl.Series(texts)
    opts = {"n": 2, "num_perm": 16, "lead_num_perm": 8, "lead_words": 10}
    *raw, wide = sign_texts(series, fold=True, **opts)
    *ref, _ = sign_texts(normalize_series(series, collapse_spaces=False), **opts)
    narrow = ~wide
    for got, want in zip(raw, ref):
        assert np.array_equal(got[narrow], want[narrow])
    assert wide.tolist() == [any(ch in t for ch in "Üﬁ™\u0301") for t in texts]


def test_pair_jaccard_equals_rowwise_jaccard() -> None:
    rng = np.random.default_rng(3)
    sig = rng.integers(0, 4, size=(30, 16)).astype(np.uint32)
    sig[5] = 0xFFFFFFFF  # an empty signature
    a, b = rng.integers(0, 30, 200), rng.integers(0, 30, 200)
    assert np.allclose(pair_jaccard(sig, a, b), jaccard(sig[a], sig[b]))


def test_permutations_are_datasketchs() -> None:
    for num_perm, seed in [(64, 1), (256, 1), (128, 7)]:
        a, b = MinHash(num_perm=num_perm, seed=seed, scheme="affine32").permutations
        ours = permutations(num_perm, seed)
        assert np.array_equal(ours[0], a) and np.array_equal(ours[1], b)


def test_band_params_match_datasketch_across_settings() -> None:
    from datasketch.lsh import _optimal_param

    for threshold in (0.2, 0.3, 0.5, 0.8):
        for num_perm in (16, 64, 128):
            for weight in (0.5, 0.9):
                ours = band_params(threshold, num_perm, recall_weight=weight)
                assert ours == _optimal_param(threshold, num_perm, 1 - weight, weight)


@settings(max_examples=60, deadline=None)
@given(st.lists(FOLDED, min_size=1, max_size=5), st.booleans())
def test_folded_shingle_sets_equal_normalising_first(texts: list[str], unquoted: bool) -> None:
    from syndup.normalize import normalize_series

    series = pl.Series(texts)
    got = shingle_sets(series, 2, unquoted=unquoted, fold=True)
    want = shingle_sets(normalize_series(series, collapse_spaces=False), 2, unquoted=unquoted)
    assert np.array_equal(got[0], want[0]) and np.array_equal(got[1], want[1])


@settings(max_examples=80, deadline=None)
@given(
    st.lists(
        st.lists(
            st.sampled_from(
                [
                    '"',
                    "“",
                    "”",
                    "«",
                    "»",
                    "″",
                    "\n",
                    " ",
                    "said",
                    "The",
                    "x'y",
                    "Zürich",
                    "ﬁne",
                    "a—b",
                    "„",
                    "1,500",
                    'q"q',
                    "word",
                    "'",
                ]
            ),
            max_size=40,
        ).map("".join),
        min_size=1,
        max_size=6,
    ),
    st.integers(1, 4),
)
def test_exact_sets_from_one_tokenisation_equal_two_passes(texts: list[str], n: int) -> None:
    from syndup.body_checks import exact_sets

    series = pl.Series(texts)
    full, bare = exact_sets(series, n)
    want_full = shingle_sets(series, n, fold=True)
    want_bare = shingle_sets(series, n, unquoted=True, fold=True)
    assert np.array_equal(full.values, want_full[0]) and np.array_equal(full.offsets, want_full[1])
    assert np.array_equal(bare.values, want_bare[0]) and np.array_equal(bare.offsets, want_bare[1])
