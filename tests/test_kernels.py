"""The numpy paths of ``syndup._kernels`` equal the compiled kernels, value and dtype."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from syndup import _jit, _kernels
from syndup.lsh import _BAND_MULT, _BAND_SEED
from syndup.normalize import (
    _KEY_SKIP,
    _TAIL_LENGTHS,
    _TAIL_PHRASES,
    _TAILS,
    one_line_paragraphs,
)
from syndup.shingle import (
    _MULT,
    _NO_TABLE,
    _P,
    CLASSES_FOLD,
    CLASSES_PLAIN,
    fold_table,
    text_bytes,
)
from syndup.signature import EMPTY, permutations


def same(x: np.ndarray, y: np.ndarray) -> None:
    assert x.dtype == y.dtype and x.shape == y.shape
    np.testing.assert_array_equal(x, y)


@settings(max_examples=60, deadline=None)
@given(
    st.integers(1, 40),
    st.lists(st.tuples(st.integers(0, 39), st.integers(0, 39)), max_size=80),
)
def test_union_find_small_equals_compiled(n: int, edges: list[tuple[int, int]]) -> None:
    a = np.array([min(x, n - 1) for x, _ in edges], dtype=np.int64)
    b = np.array([min(y, n - 1) for _, y in edges], dtype=np.int64)
    same(_kernels._union_find_small(n, a, b), _jit.union_find_labels(n, a, b))


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 30), st.integers(1, 3), st.integers(0, 4), st.integers(0, 2**31))
def test_band_join_small_equals_compiled(n: int, rows: int, anchors: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    # Few distinct values, so buckets are shared; some rows all-empty.
    sig = rng.integers(0, 3, size=(n, 12)).astype(np.uint32)
    sig[rng.random(n) < 0.2] = EMPTY
    empty = (sig == EMPTY).all(axis=1)
    marked = rng.random(n) < 0.5
    bits = max(1, n.bit_length())
    count = 12 // rows
    args = (sig, 0, count, rows, _BAND_SEED, _BAND_MULT, empty, bits)
    small, big = _kernels._band_entries_small(*args), _jit.band_entries(*args)
    same(np.sort(small), np.sort(big))
    entries = np.sort(big)
    for use_marked in (False, True):
        got = _kernels._bucket_pairs_small(entries, bits, anchors, marked, use_marked, 3)
        want = _jit.bucket_pairs(entries, bits, anchors, marked, use_marked, 3)
        same(got[0], want[0])
        assert got[1:] == want[1:]


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 20), st.integers(0, 30), st.integers(0, 2**31))
def test_row_agreement_and_containment_small_equal_compiled(n: int, pairs: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    sig = rng.integers(0, 4, size=(n, 16)).astype(np.uint32)
    sig[rng.random(n) < 0.2] = EMPTY
    a = rng.integers(0, n, pairs).astype(np.int64)
    b = rng.integers(0, n, pairs).astype(np.int64)
    same(_kernels._row_agreement_small(sig, a, b, EMPTY), _jit.row_agreement(sig, a, b, EMPTY))
    sets = [np.unique(rng.integers(0, 30, rng.integers(0, 12))).astype(np.uint32) for _ in range(n)]
    values = np.concatenate(sets) if sets else np.zeros(0, dtype=np.uint32)
    offsets = np.zeros(n + 1, dtype=np.int64)
    np.cumsum([len(s) for s in sets], out=offsets[1:])
    same(
        _kernels._containment_small(values, offsets, a, b),
        _jit.containment(values, offsets, a, b),
    )


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 30), st.integers(0, 60), st.integers(0, 2**31))
def test_figures_changed_small_equals_compiled(n: int, pairs: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    figs = np.zeros((n, 13), dtype=np.uint32)
    for row in figs:  # distinct nonzero figures first, zeros after, then the whole flag
        k = int(rng.integers(0, 13))
        row[:k] = rng.choice(np.arange(1, 16, dtype=np.uint32), size=k, replace=False)
        row[12] = rng.integers(0, 2)
    a = rng.integers(0, n, pairs).astype(np.int64)
    b = rng.integers(0, n, pairs).astype(np.int64)
    same(_kernels._figures_changed_small(figs, a, b), _jit.figures_changed(figs, a, b))


_LINE_TEXT = st.one_of(
    st.none(),
    st.text(alphabet=st.sampled_from(list("ab Se the original post\n\r\t\u00a0\"'")), max_size=60),
)


@settings(max_examples=150, deadline=None)
@given(st.lists(_LINE_TEXT, max_size=6))
def test_every_line_split_equals_one_line_paragraphs_first(texts: list[str | None]) -> None:
    body = pl.Series(texts, dtype=pl.String)
    got = _jit.split_paragraphs(*text_bytes(body), _KEY_SKIP, 5, _TAILS, _TAIL_LENGTHS, True)
    want = _jit.split_paragraphs(
        *text_bytes(one_line_paragraphs(body)), _KEY_SKIP, 5, _TAILS, _TAIL_LENGTHS, False
    )
    for x, y in zip(got, want):
        same(x, y)


def test_empty_text_paths_equal_compiled() -> None:
    texts = pl.Series([None, "", None], dtype=pl.String)
    data, offsets = text_bytes(texts)
    assert len(data) == 0
    skip, tails, lengths = _KEY_SKIP, _TAILS, _TAIL_LENGTHS
    for got, want in zip(
        _kernels.split_paragraphs(data, offsets, skip, 60, tails, lengths, True),
        _jit.split_paragraphs(data, offsets, skip, 60, tails, lengths, True),
    ):
        same(got, want)
    for unquoted in (False, True):
        args = (data, offsets, CLASSES_FOLD, fold_table(), np.uint64(_P), _MULT, 4, unquoted)
        for got, want in zip(_kernels.shingle_sets(*args), _jit.shingle_sets(*args)):
            same(got, want)
    a, b = permutations(8, 1)
    for oph in (False, True):
        outs = []
        for module in (_kernels, _jit):
            bufs = (
                np.zeros((3, 8), dtype=np.uint32),
                np.zeros((3, 8), dtype=np.uint32),
                np.ones(3, dtype=np.int64),
                np.ones(3, dtype=np.int64),
                np.ones(3, dtype=np.bool_),
            )
            module.sign_bodies(
                data, offsets, CLASSES_FOLD, _NO_TABLE, np.uint64(_P), _MULT, 4, a, b, a, b, 8,
                *bufs, oph,
            )  # fmt: skip
            outs.append(bufs)
        for got, want in zip(*outs):
            same(got, want)


def test_a_headline_corpus_runs_without_loading_numba() -> None:
    """The seed headlines (no bodies) cluster without importing numba at all."""
    code = (
        "import sys, syndup\n"
        "r = syndup.cluster('data/seed_headlines.csv')\n"
        "assert r.clusters.height > 0\n"
        "print('numba' in sys.modules, 'syndup._jit' in sys.modules)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=_repo()
    )
    assert out.stdout.split() == ["False", "False"]


def _repo() -> str:
    from pathlib import Path

    return str(Path(__file__).resolve().parent.parent)


def test_a_headline_corpus_does_not_import_pyarrow_compute() -> None:
    """pyarrow.compute costs ~0.2 s to import; a corpus with no body text never needs it."""
    code = (
        "import sys, syndup\n"
        "syndup.cluster('data/seed_headlines.csv')\n"
        "print('pyarrow.compute' in sys.modules)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=_repo()
    )
    assert out.stdout.split() == ["False"]


_WS = " \t\n\x0b\x0c\r\u00a0"


def _reference_paragraphs(text: str, every_line: bool) -> list[str]:
    """``split_paragraphs``' split in plain Python: whitespace runs holding line breaks
    (two or more when the text has such a run, unless ``every_line``) end paragraphs; a
    line starting with a tail phrase ends the text; paragraphs are stripped, empty ones
    dropped."""
    runs = []
    for m in re.finditer(f"[{_WS}]+", text):
        run = m.group()
        lines = run.count("\n") + len(re.findall("\r(?!\n)", run))
        if lines:
            rest = text[m.end() :].encode()
            if any(rest[: len(p)].lower() == p.encode() for p in _TAIL_PHRASES):
                text = text[: m.start()]
                break
            runs.append((m.start(), m.end(), lines))
    need = 2 if not every_line and any(r[2] >= 2 for r in runs) else 1
    out, start = [], 0
    for lo, hi, _ in [*(r for r in runs if r[2] >= need), (len(text), len(text), 0)]:
        piece = text[start:lo].strip(_WS)
        if piece:
            out.append(piece)
        start = hi
    return out


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.lists(st.sampled_from([*"ab é©" + _WS, "See the original post"]), max_size=30).map(
            "".join
        ),
        max_size=5,
    ),
    st.booleans(),
)
def test_split_paragraphs_equals_reference(texts: list[str], every_line: bool) -> None:
    body = pl.Series(texts, dtype=pl.String)
    doc, words, _, _, text, off = _jit.split_paragraphs(
        *text_bytes(body), _KEY_SKIP, 5, _TAILS, _TAIL_LENGTHS, every_line
    )
    got = [bytes(text[off[p] : off[p + 1]]).decode() for p in range(len(doc))]
    want = [(d, p) for d, t in enumerate(texts) for p in _reference_paragraphs(t, every_line)]
    assert got == [p for _, p in want]
    assert doc.tolist() == [d for d, _ in want]
    assert words.tolist() == [p.count(" ") + 1 for _, p in want]


# Characters the shingle kernels treat apart: every quote variant, apostrophes, capitals,
# line breaks, folded and unfolded non-ASCII (2, 3 and 4 bytes), combining marks, jamo.
_SHINGLE_ALPHABET = (
    "ab Z'`\"\n.-\u201c\u201d\u201e\u201f\u2033\u00ab\u00bb\u00e9\u00c9\u2122\u0301\u1100\U0001d4b3"
)


@settings(max_examples=80, deadline=None)
@given(
    st.lists(st.text(alphabet=_SHINGLE_ALPHABET, max_size=80), min_size=1, max_size=6),
    st.integers(1, 5),
)
def test_shingle_sets_small_equals_compiled(texts: list[str], n: int) -> None:
    """The numpy path an explained pair's two bodies take equals the kernel, folding or
    not, with quotations cut or not."""
    data, offsets = text_bytes(pl.Series(texts, dtype=pl.String))
    for classes, table in ((CLASSES_FOLD, fold_table()), (CLASSES_PLAIN, _NO_TABLE)):
        for unquoted in (False, True):
            args = (data, offsets, classes, table, np.uint64(_P), _MULT, n, unquoted)
            for got, want in zip(_kernels._shingle_sets_small(*args), _jit.shingle_sets(*args)):
                same(got, want)


def test_shingle_sets_small_quotation_limits_and_bodies() -> None:
    """A quotation of exactly QUOTE_SPAN bytes is cut, one byte more is not; real bodies."""
    assert _kernels.QUOTE_SPAN == _jit.QUOTE_SPAN
    span = _jit.QUOTE_SPAN
    texts = [f'x "{"a" * k}" y' for k in (span - 1, span, span + 1)]
    texts += ['a "b\nc" d', "\u201cwhole\u201d", "\u00ab le mot \u00bb et", '"open only']
    wire = pl.read_ndjson(Path(_repo()) / "data" / "wire_1916.jsonl")["body"].head(40)
    for batch in (pl.Series(texts), wire):
        data, offsets = text_bytes(batch)
        for unquoted in (False, True):
            args = (data, offsets, CLASSES_FOLD, fold_table(), np.uint64(_P), _MULT, 5, unquoted)
            for got, want in zip(_kernels._shingle_sets_small(*args), _jit.shingle_sets(*args)):
                same(got, want)


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 12), st.integers(0, 10), st.integers(0, 2**31))
def test_gather_sets_small_equals_compiled(n: int, picks: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    sizes = rng.integers(0, 6, n)
    offsets = np.zeros(n + 1, dtype=np.int64)
    offsets[1:] = np.cumsum(sizes)
    values = rng.integers(0, 2**32, int(offsets[-1]), dtype=np.uint64).astype(np.uint32)
    idx = rng.integers(0, n, picks)
    outs = []
    for module in (_kernels, _jit):
        out, out_offsets = np.zeros(70, np.uint32), np.zeros(picks + 4, np.int64)
        out_offsets[2] = 3  # appended after sets already gathered
        at = module.gather_sets(values, offsets, idx, out, out_offsets, 2)
        outs.append((at, out, out_offsets))
    assert outs[0][0] == outs[1][0]
    same(outs[0][1], outs[1][1])
    same(outs[0][2], outs[1][2])


def test_fold_table_kept_on_disk_is_the_built_one() -> None:
    from syndup.shingle import _build_fold_table, _fold_table_path

    built = _build_fold_table()
    same(fold_table(), built)
    path = _fold_table_path()
    assert path is not None and path.is_file()  # written by the first build
    same(np.load(path), built)
