"""OCR evidence: does the text agree letter by letter where OCR broke the words?

Character recognition damages a word at a time: a glyph read as a look-alike ("rn" for
"m", "1" for "l", "c" for "e"), a dropped or added space ("thecompany", "acciden t"), a
lost letter. One damaged word breaks every word shingle that holds it (four, at
``body_ngram=4``), so at 5% of words damaged on each side two copies of one text share only
about two thirds of their word shingles and fail the containment rules meant for clean
copies; the MinHash candidates are still found (their Jaccard stays well above the band
threshold), verification is what loses them.

This module compares two bodies on **OCR-folded character 8-grams**: ASCII letters are
lowercased, glyphs OCR commonly confuses fall into one class (``CONFUSABLE``), "rn" becomes
"m", and every space, punctuation mark and non-ASCII byte is dropped, so a split or glued
word changes nothing and a misread glyph or a lost letter breaks at most eight grams of
one word instead of four whole shingles. Two copies at 5% word damage keep about 90% of
their grams, while two different stories of one event (shared names, quotations) stay
near 0.3 (measured on the generator's OCR set; see ``benchmarks/results/accuracy.md``).

Trade-offs: folding merges letters (about 20 classes instead of 36) and drops spaces and
non-ASCII letters, so the measure is coarser than word shingles on clean text and blind
to non-Latin scripts; it is only computed for pairs that the word-level rules cannot decide
(see ``body_checks.ocr_features``), costing one pass over those pairs' bodies. Figures are read
through the same glyph classes with a one-character tolerance (``figures_changed_ocr``), so
a misread digit is not a re-filled template while a template filled with new figures is.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from syndup.shingle import _MULT, _NO_TABLE, _P, CLASSES_PLAIN, text_bytes

GRAM = 8  # characters per gram (the word-shingle kernel's longest n-gram)
# Glyph classes OCR confuses (each maps to the first): l/1/i/I/|/!, o/0, s/5, b/8/h,
# e/c, n/u, a/o, f/t, z/2, g/9/q. "rn" -> "m" and "vv" -> "w" are folded as pairs.
CONFUSABLE = ("l1i|!", "o0a", "s5", "b8h", "ec", "nu", "ft", "z2", "g9q")
FIGURE_CHARS = 1000  # figures are read from the first characters, as ``prepare.figure_hashes``


def _table() -> np.ndarray:
    """Byte -> folded byte (0 = dropped)."""
    table = np.zeros(256, dtype=np.uint8)
    for c in range(ord("a"), ord("z") + 1):
        table[c] = c
        table[c - 32] = c  # upper case
    for c in range(ord("0"), ord("9") + 1):
        table[c] = c
    for group in CONFUSABLE:
        for ch in group:
            table[ord(ch)] = ord(group[0])
            if ch.isalpha():
                table[ord(ch.upper())] = ord(group[0])
    return table


_FOLD = _table()
_SPACE = np.uint8(32)


def fold_expr(text: pl.Expr) -> pl.Expr:
    """``text`` read as ``fold_bytes`` reads it, as a string: lower-cased, look-alike glyphs
    folded ("rn" -> "m", ``CONFUSABLE``), everything but ASCII letters and digits dropped.
    For short keys (a dateline's city, a wire's tag) that OCR'd copies must share."""
    singles = [ch for group in CONFUSABLE for ch in group[1:]]
    targets = [group[0] for group in CONFUSABLE for _ in group[1:]]
    return (
        text.str.to_lowercase()
        .str.replace_all("rn", "m", literal=True)
        .str.replace_all("vv", "w", literal=True)
        .str.replace_many(singles, targets)
        .str.replace_all(r"[^a-z0-9]", "")
    )


def fold_bytes(texts: pl.Series) -> tuple[np.ndarray, np.ndarray]:
    """OCR-folded bytes of each text, one folded character per token (separated by
    spaces, so the word-shingle kernel reads character n-grams): ``(data, offsets)``."""
    data, offsets = text_bytes(texts.fill_null(""))
    if len(data) == 0:
        return np.zeros(0, dtype=np.uint8), np.zeros(len(offsets), dtype=np.int64)
    raw = np.frombuffer(data, dtype=np.uint8) if not isinstance(data, np.ndarray) else data
    offsets = np.asarray(offsets, dtype=np.int64)
    low = raw | np.uint8(0x20)  # ASCII lowercase for the pair folds ('r', 'n', 'v', 'w')
    # a pair may not run from one text's last byte into the next text
    ends = offsets[1:-1] - 1
    ends = ends[(ends >= 0) & (ends < len(raw) - 1)]
    folded = _FOLD[raw]
    for first, second, to in ((ord("r"), ord("n"), ord("m")), (ord("v"), ord("v"), ord("w"))):
        hit = (low[:-1] == first) & (low[1:] == second)
        hit[ends] = False
        idx = np.flatnonzero(hit)
        folded[idx] = to
        folded[idx + 1] = 0
    del low
    keep = folded != 0
    chars = folded[keep]
    kept = np.zeros(len(keep) + 1, dtype=np.int64)
    np.cumsum(keep, out=kept[1:])
    sizes = kept[offsets[1:]] - kept[offsets[:-1]]
    out = np.full(2 * len(chars), _SPACE, dtype=np.uint8)
    out[0::2] = chars
    new_offsets = np.zeros(len(offsets), dtype=np.int64)
    np.cumsum(2 * sizes, out=new_offsets[1:])
    return out, new_offsets


def gram_sets(texts: pl.Series, *, n: int = GRAM) -> tuple[np.ndarray, np.ndarray]:
    """Sorted distinct hashes of OCR-folded character ``n``-grams per text, as
    ``(values, offsets)`` (the layout ``_kernels.containment`` reads): the word-shingle sets
    of ``fold_bytes(texts)``, computed in one compiled pass over the raw bytes
    (``_kernels.ocr_gram_sets``; ``gram_sets_reference`` is the two-step definition)."""
    from syndup._kernels import ocr_gram_sets

    data, offsets = text_bytes(texts)
    return ocr_gram_sets(data, offsets, _FOLD, _MULT, n)


def gram_sets_reference(texts: pl.Series, *, n: int = GRAM) -> tuple[np.ndarray, np.ndarray]:
    """``gram_sets`` as its definition: ``fold_bytes``, then the word-shingle kernel on the
    folded characters (one token each)."""
    from syndup._kernels import shingle_sets as kernel

    data, offsets = fold_bytes(texts)
    values, out, _ = kernel(data, offsets, CLASSES_PLAIN, _NO_TABLE, np.uint64(_P), _MULT, n, False)
    return values, out


_FIGURE_RE = r"(?-u:\b)(?:[lIOoSB][.,]?)?[0-9][0-9lIOoSB.,/]*"
_DIGIT_FROM = ["l", "I", "O", "o", "S", "B", ",", "."]
_DIGIT_TO = ["1", "1", "0", "0", "5", "8", "", ""]


def figure_sets(texts: pl.Series) -> list[set[str]]:
    """Figures in the first ``FIGURE_CHARS`` characters of each raw body, with OCR's
    digit look-alikes read as digits ("l990" -> "1990", "2O" -> "20") and separators
    dropped ("1,500" and "1.500" meet)."""
    found = (
        pl.DataFrame({"_t": texts.fill_null("").str.slice(0, FIGURE_CHARS)})
        .with_row_index("_i")
        .select("_i", pl.col("_t").str.extract_all(_FIGURE_RE).alias("_f"))
        .explode("_f")
        .drop_nulls("_f")
        .with_columns(
            pl.col("_f").str.strip_chars_end(".,/").str.replace_many(_DIGIT_FROM, _DIGIT_TO)
        )
        .filter(pl.col("_f") != "")
    )
    out: list[set[str]] = [set() for _ in range(texts.len())]
    for i, f in zip(found["_i"].to_list(), found["_f"].to_list()):
        out[i].add(f)
    return out


def _near(figure: str, others: set[str]) -> bool:
    """Whether ``figure`` is in ``others`` or, for a figure of four or more digits, one
    dropped, added or misread digit from one of them (short figures must agree exactly:
    a re-filled template changes "72" to "75")."""
    if figure in others:
        return True
    if len(figure) < 4:
        return False
    from rapidfuzz.distance import Levenshtein

    return any(Levenshtein.distance(figure, o, score_cutoff=1) <= 1 for o in others)


def figures_changed_ocr(fa: set[str], fb: set[str], *, whole: bool = False) -> bool:
    """Both bodies hold figures and fewer than half of the side with fewer figures have
    an equal (or, for long figures, one-edit-away) figure in the other: a template filled
    in again, read through OCR damage. ``whole``: both bodies are short enough to be read
    whole, and then every figure of the side with fewer must be found (as
    ``body_checks.figures_changed``: a short notice re-filled may keep most of its figures)."""
    if not fa or not fb:
        return False
    small, big = (fa, fb) if len(fa) <= len(fb) else (fb, fa)
    need = len(small) if whole else 0.5 * len(small)
    found = len(small & big)  # exact agreements; near ones are looked for only if needed
    if found >= need:
        return False
    found += sum(_near(f, big) for f in small - big)
    return found < need


# ---------------------------------------------------------------------------- narrative
# Narrative shares through OCR damage: character grams long enough to be as specific as a
# word 4-shingle (16 folded characters span ~3.4 words), read over the whole body
# with quotations removed, so a write-through version's moved narrative lower down counts
# as its word shingles would. Spaces and punctuation are dropped and look-alike glyphs
# folded, so only a dropped or foreign letter breaks a gram (16 of them); a 5% word-damage
# rate keeps ~90% of the grams where word 4-shingles keep ~66%. On clean text the two
# measures agree (word / gram containment 0.88-1.11 for 90% of copies on the generator's
# realistic profile), which is what lets the OCR twins of the version rules keep the word
# rules' thresholds.
NARRATIVE_GRAM = 16
# For the narrative, one gram in this many is kept (those whose hash is 0 modulo it, the
# same in every text): containment stays unbiased (Broder's mod-m sampling; +-0.03 at 1,000
# characters) and the per-text sort, most of the cost, shrinks fourfold. Shared counts are
# scaled back. Template refills (short notices, a 0.1 gain decides) read every gram.
NARRATIVE_SAMPLE = 4
_QUOTES = '"\u201c\u201d\u201e\u201f\u00ab\u00bb'
_QUOTATION = f"[{_QUOTES}][^{_QUOTES}\\n]{{0,800}}[{_QUOTES}]"  # as ``shingle_sets(unquoted)``


def fold_grams(texts: pl.Series, *, keep: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """Sorted distinct hashes of the OCR-folded ``NARRATIVE_GRAM``-character grams of each
    whole text, one in ``keep`` kept (all by default), as ``(values, offsets)``."""
    from syndup._kernels import ocr_gram_sample

    data, offsets = text_bytes(texts.fill_null(""))
    return ocr_gram_sample(data, offsets, _FOLD, NARRATIVE_GRAM, keep)


def fold_grams_reference(texts: pl.Series, *, keep: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """``fold_grams`` as its definition, in Python (``_jit.ocr_gram_sample`` is the fast one):
    fold each byte (a "rn"/"vv" pair read left to right becomes one glyph), hash each window
    of ``NARRATIVE_GRAM`` folded bytes as a polynomial in base ``_jit._ROLL`` modulo 2^64, take
    the top 32 bits of that times ``_jit._SPREAD``, keep those 0 modulo ``keep``."""
    mod, roll, spread = 1 << 64, 0x100000001B3, 0x9E3779B97F4A7C15
    values: list[int] = []
    offsets = [0]
    for text in texts.fill_null("").to_list():
        raw = text.encode("utf-8")
        tok: list[int] = []
        i = 0
        while i < len(raw):
            pair = (raw[i] | 0x20, raw[i + 1] | 0x20) if i + 1 < len(raw) else None
            if pair in ((114, 110), (118, 118)):
                tok.append(109 if pair[0] == 114 else 119)
                i += 2
                continue
            if _FOLD[raw[i]]:
                tok.append(int(_FOLD[raw[i]]))
            i += 1
        windows = [tok] if 0 < len(tok) < NARRATIVE_GRAM else []
        windows += [tok[s : s + NARRATIVE_GRAM] for s in range(len(tok) - NARRATIVE_GRAM + 1)]
        grams = set()
        for w in windows:
            acc = 0
            for t in w:
                acc = (acc * roll + t) % mod
            g = ((acc * spread) % mod) >> 32
            if (len(windows) == 1 and len(w) < NARRATIVE_GRAM) or g % keep == 0:
                grams.add(g)
        values += sorted(grams)
        offsets.append(len(values))
    return np.array(values, dtype=np.uint32), np.array(offsets, dtype=np.int64)


def narrative_sets(texts: pl.Series) -> tuple[np.ndarray, np.ndarray]:
    """Sorted distinct hashes of the OCR-folded ``NARRATIVE_GRAM``-character grams of each
    whole text with its direct quotations removed, as ``(values, offsets)``: the narrative
    two bodies share, seen through broken words. A text shorter than the gram gives one
    gram of all its letters."""
    return fold_grams(texts.fill_null("").str.replace_all(_QUOTATION, " "), keep=NARRATIVE_SAMPLE)
