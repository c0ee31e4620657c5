"""Pair checks that read the stored bodies: exact word-shingle containment (with and
without quotations), template refill (figures masked), OCR character grams, the lead ratio.

``text_plan`` lists, before any text is read, the pairs each check needs; ``stored_features``
reads them in one walk over the stored blocks (``TextStore.walk_pairs``), so the cost is
linear in the bodies read however many pairs there are. The MinHash estimates (``_estimates``)
decide which pairs need an exact check at all (``AMBIGUOUS``).
"""

from __future__ import annotations

import numpy as np
import polars as pl
from rapidfuzz import fuzz, process

from syndup.prepare import Prepared
from syndup.shingle import shingle_sets
from syndup.textstore import PairTask, Sets, walk_pairs

_DIGITS = r"\d+(?:[.,/-]\d+)*"
# Exact check (shingle sets in Python, ~30 us a pair) only where the estimate is ambiguous:
# estimated containment in [0.35, 0.85) and Jaccard below 0.6. Above that band the pair is a
# copy whatever the exact value; below it no rule can fire. Approximation: above the band
# unquoted_containment is taken equal to body_containment.
AMBIGUOUS = (0.35, 0.85, 0.6)
# Under one wire's dateline city (same wire, same city) the version rules accept a small
# share of the shorter body (``write_through_wire_city``: two paragraphs at any share), and
# only the exact, quotation-free sets tell shared narrative from shared quotations (a wire's
# other story of the event quotes the same people): such pairs are read exactly from this
# estimated containment up.
WIRE_BAND = 0.08
# template_refill: masked containment at least REFILL[0] and at least REFILL[1] above the
# unmasked one; read only for pairs with figures_changed and estimated containment >= REFILL[2],
# both bodies at most REFILL[3] shingles (a template is a short filing: a notice, a table).
REFILL = (0.8, 0.1, 0.2, 800)
# A word check's masked containment under this share of REFILL[0] is no refill however
# OCR broke the words (two copies at ~10% word damage each keep ~0.45 of their shingles).
REFILL_OCR = 0.5
# Through OCR, template refills are read on OCR-folded character grams of the first
# REFILL_CHARS characters of each body (a notice is short; a long page's top is where a
# template's figures stand), for the pairs in the OCR narrative band only.
REFILL_CHARS = 1000  # = ocr.FIGURE_CHARS: where the figures are read


# OCR evidence (character grams, ``ocr_features``) only for pairs whose word-shingle
# containment is at least this and that the clean-copy rules' evidence does not already
# settle: a copy at 5% OCR damage per word keeps ~2/3 of its word shingles (at 10%, about
# 0.43), and a pair sharing under 0.35 of them is no OCR'd copy (its letters disagree too).
OCR_BAND = 0.35
# Character grams are read from the first characters of each body only (a word-level
# exact check costs about as much per body as this costs per 1,500 characters): copies
# keep the top of a story and trims cut its end, so the tops are what to compare.
# Approximation: an OCR'd copy of only a late part of a long story is not seen.
OCR_CHARS = 1500
# OCR narrative (``ocr_narrative``, whole bodies, ``narrative_features``) only for pairs whose
# word-shingle containment is at least this, that no word-level rule matches and on which
# some rule reading it could hold (its other conditions do, ``config.ocr_twin`` floors
# among them), estimated or exact: a wire's versions under one dateline city that share two
# paragraphs keep ~5% of their word shingles through OCR damage.
NARRATIVE_BAND = 0.04


def ocr_features(
    prepared: Prepared, a: np.ndarray, b: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``ocr_containment``, ``ocr_shared``, ``ocr_jaccard`` and ``ocr_figures_changed`` of
    the given pairs
    (see ``syndup.ocr``): one pass over the bodies involved, so call it once for many
    pairs. Costs about a word-shingle exact check per body (8-grams of characters instead
    of 4-grams of words), which is why ``pair_features`` calls it only in ``OCR_BAND``."""
    cont, shared, jaccard, changed = _read_pairs(prepared, a, b, _ocr_rows, _ocr_score, 4)
    return cont, shared, jaccard, changed


def _read_pairs(
    prepared: Prepared, a: np.ndarray, b: np.ndarray, rows: object, score: object, width: int
) -> np.ndarray:
    """``score(rows(bodies), ia, ib)`` for the pairs ``(a, b)``, each body involved read
    once (what ``stored_features`` does for many kinds in one walk): ``width`` x pairs."""
    if len(a) == 0:
        return np.zeros((width, 0))
    involved = np.unique(np.concatenate([a, b]))
    ia, ib = np.searchsorted(involved, a), np.searchsorted(involved, b)
    return score(rows(prepared.bodies.get(involved)), ia, ib)  # type: ignore[operator]


NARRATIVE_ROWS = 3  # what ``narrative_features`` gives per pair
# ``verify.word_features``' narrative band, per pair, as bits: an OCR twin could hold (the
# narrative is read), and the template refill is to be read on the letters (``refill_ocr``).
TWIN_BAND, REFILL_BAND = 1, 2


def refill_features(prepared: Prepared, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The openings' containment on OCR-folded grams as they are and without figures
    (2 x pairs, ``_refill_rows_ocr``; ``is_refill`` decides)."""
    return _read_pairs(prepared, a, b, _refill_rows_ocr, _refill_score, 2)


def narrative_features(prepared: Prepared, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``ocr_narrative``, ``ocr_narrative_shared`` and ``ocr_figures_changed`` of the given
    pairs (``NARRATIVE_ROWS`` x pairs): the share of the shorter body's quotation-free
    OCR-folded character grams found in the longer, their count (``ocr.narrative_sets``),
    and the figures read through OCR's digit look-alikes (as ``ocr_features``)."""
    return _read_pairs(prepared, a, b, _narrative_rows, _narrative_score, NARRATIVE_ROWS)


def _narrative_rows(texts: pl.Series) -> tuple[Sets, np.ndarray, np.ndarray]:
    from syndup.ocr import FIGURE_CHARS, figure_sets, narrative_sets

    figs = np.empty(texts.len(), dtype=object)
    figs[:] = figure_sets(texts)
    short = (texts.str.len_chars().fill_null(0) <= FIGURE_CHARS).to_numpy()
    return Sets(*narrative_sets(texts)), figs, short


def _narrative_score(
    rows: tuple[Sets, np.ndarray, np.ndarray], ia: np.ndarray, ib: np.ndarray
) -> np.ndarray:
    from syndup._kernels import containment
    from syndup.ocr import NARRATIVE_SAMPLE

    (values, offsets), figs, short = rows
    cont = containment(values, offsets, ia, ib)
    sizes = np.diff(offsets)
    shared = np.round(cont * np.minimum(sizes[ia], sizes[ib])) * NARRATIVE_SAMPLE
    return np.vstack([cont, shared, _figures_changed_ocr(figs, short, ia, ib)])


def _ocr_rows(texts: pl.Series) -> tuple[Sets, np.ndarray, np.ndarray]:
    """Per body what ``ocr_features`` compares: 8-gram sets of the opening, figure sets
    (``ocr.figure_sets``), and whether the body is short enough to be read whole."""
    from syndup.ocr import FIGURE_CHARS, figure_sets, gram_sets

    figs = np.empty(texts.len(), dtype=object)
    figs[:] = figure_sets(texts)
    short = (texts.str.len_chars().fill_null(0) <= FIGURE_CHARS).to_numpy()
    return Sets(*gram_sets(texts.str.slice(0, OCR_CHARS))), figs, short


def _ocr_score(
    rows: tuple[Sets, np.ndarray, np.ndarray], ia: np.ndarray, ib: np.ndarray
) -> np.ndarray:
    from syndup._kernels import containment

    (values, offsets), figs, short = rows
    cont = containment(values, offsets, ia, ib)
    sizes = np.diff(offsets)
    shared = np.round(cont * np.minimum(sizes[ia], sizes[ib]))
    union = np.maximum(sizes[ia] + sizes[ib] - shared, 1)
    return np.vstack([cont, shared, shared / union, _figures_changed_ocr(figs, short, ia, ib)])


def _figures_changed_ocr(
    figs: np.ndarray, short: np.ndarray, ia: np.ndarray, ib: np.ndarray
) -> np.ndarray:
    """``ocr.figures_changed_ocr`` per pair of rows (1.0 / 0.0)."""
    from syndup.ocr import figures_changed_ocr

    # Equal figure sets never differ: only the pairs whose sets differ are compared (per
    # row a code of its set, equal codes for equal sets; most pairs are copies).
    codes: dict[frozenset[str], int] = {}
    keys = np.array([codes.setdefault(frozenset(f), len(codes)) for f in figs], dtype=np.int64)
    changed = np.zeros(len(ia), dtype=np.float64)
    differ = np.flatnonzero(keys[ia] != keys[ib])
    changed[differ] = [
        figures_changed_ocr(figs[i], figs[j], whole=bool(short[i] and short[j]))
        for i, j in zip(ia[differ].tolist(), ib[differ].tolist())
    ]
    return changed


def figures_changed(prepared: Prepared, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Per pair, 1 if both bodies' openings hold figures and fewer than half of the side
    with fewer figures are found in the other (see ``prepare.figure_hashes``), else 0."""
    from syndup._kernels import figures_changed as kernel

    figs = prepared.figures
    if figs is None or len(a) == 0:
        return np.zeros(len(a), dtype=np.int8)
    # Two short bodies read whole must agree on every figure of the one with fewer.
    return kernel(figs, np.asarray(a, dtype=np.int64), np.asarray(b, dtype=np.int64))


def read_whole(prepared: Prepared, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Per pair, whether both bodies are short enough for their figures to be read whole."""
    figs = prepared.figures
    if figs is None or len(a) == 0:
        return np.zeros(len(a), dtype=bool)
    return (figs[a, -1] == 1) & (figs[b, -1] == 1)


def weekday_differs(prepared: Prepared, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Per pair, 1 if both bodies are short enough to be read whole and each names a
    weekday the other does not (``prepare.weekday_mask``), else 0: the day a notice reports
    ("to add reserves on Tuesday"), which the same template filled in the next day changes
    even where its figures repeat by chance. A copy, trimmed or not, keeps its filing's
    day; page furniture naming days (a forecast) only adds days; OCR misreading a day only
    drops one. Long bodies are not read: a story's new top names other days than the
    version it rewrites."""
    days = prepared.arrays.get("weekdays")
    if days is None or len(a) == 0:
        return np.zeros(len(a), dtype=np.int8)
    da, db = days[a], days[b]
    return (read_whole(prepared, a, b) & ((da & ~db) != 0) & ((db & ~da) != 0)).astype(np.int8)


def template_refill(
    prepared: Prepared,
    a: np.ndarray,
    b: np.ndarray,
    rows: np.ndarray,
    containment: np.ndarray,
    *,
    n: int = 4,
    known: np.ndarray | None = None,
) -> np.ndarray:
    """Per pair, 1 if the bodies are one template filled in with other figures, else 0;
    only the pairs where ``rows`` is true and whose ``containment`` (the body containment,
    exact or estimated) leaves room for masking to add ``REFILL[1]`` are read, exactly:
    word shingles of the stored bodies with and without every figure replaced by one
    placeholder (both from the same text, so the gain is never MinHash noise). Through OCR
    damage the words break: for the pairs an OCR twin reads or a word rule would match, the
    refill is also read on OCR-folded character grams (``refill_features``,
    ``verify.with_ocr``).

    A copy keeps its figures, and a write-through version adds new paragraphs (masking its
    figures changes little); the same notice filed on another day keeps the wording and
    changes the figures, so masking them makes it whole again. Approximation: number words
    ("two billion") are not masked, so a template refilled only in words is not seen.

    ``known``: ``(raw, masked)`` containment per pair already read (``stored_features``;
    NaN where not), so only the picked pairs it lacks are read here."""
    out = np.zeros(len(a), dtype=np.int8)
    pick = np.flatnonzero(rows & (containment <= 1.0 - REFILL[1]))
    if not len(pick):
        return out
    if known is None:
        raw, masked = np.full(len(pick), np.nan), np.full(len(pick), np.nan)
    else:
        raw, masked = known[0][pick], known[1][pick]
    miss = np.flatnonzero(np.isnan(raw))
    if len(miss):  # one walk over the stored blocks, memory bounded by the pairs' spread
        sel = pick[miss]
        task = PairTask(np.arange(len(sel)), lambda t: _refill_rows(t, n), _refill_score, 2)
        threads = max(1, prepared.config.signature.workers)
        raw[miss], masked[miss] = walk_pairs(
            prepared.bodies, a[sel], b[sel], [task], workers=threads
        )[0]
    out[pick] = is_refill(raw, masked)
    return out


def is_refill(raw: np.ndarray, masked: np.ndarray) -> np.ndarray:
    """Whether containments as they are and with figures masked show a template refilled:
    masked at least ``REFILL[0]`` and at least ``REFILL[1]`` above (NaN: False)."""
    return (masked >= REFILL[0]) & (masked - raw >= REFILL[1])


def _refill_rows(texts: pl.Series, n: int) -> tuple[Sets, Sets]:
    """Word shingle sets of bodies as they are and with every figure masked."""
    return (
        Sets(*shingle_sets(texts, n, fold=True)),
        Sets(*shingle_sets(texts.str.replace_all(_DIGITS, "0"), n, fold=True)),
    )


def _refill_rows_ocr(texts: pl.Series) -> tuple[Sets, Sets]:
    """``_refill_rows`` through OCR damage: OCR-folded character grams (``ocr.fold_grams``,
    as specific as a word 4-shingle) of each body's opening, as it is and without figures."""
    from syndup.ocr import fold_grams

    top = texts.str.slice(0, REFILL_CHARS)
    return Sets(*fold_grams(top)), Sets(*fold_grams(top.str.replace_all(_DIGITS, " ")))


def _refill_score(rows: tuple[Sets, Sets], ia: np.ndarray, ib: np.ndarray) -> np.ndarray:
    from syndup._kernels import containment

    raw, masked = rows
    return np.vstack([containment(*raw, ia, ib), containment(*masked, ia, ib)])


SMALL = 2048  # pairs below this are scored on the calling thread (a pool costs more)


def _cpdist(x: np.ndarray, y: np.ndarray, scorer: object, workers: int) -> np.ndarray:
    if len(x) == 0:
        return np.zeros(0)
    workers = 1 if len(x) < SMALL else workers
    return process.cpdist(list(x), list(y), scorer=scorer, workers=workers).astype(np.float64)


def _estimates(
    prepared: Prepared, a: np.ndarray, b: np.ndarray, body_jaccard: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Both-have-bodies, MinHash Jaccard, shorter set size, estimated containment
    (``body_jaccard``: the signature agreement of the pairs, if already computed)."""
    nsh = prepared.arrays["shingles"]
    both_bodies = (nsh[a] > 0) & (nsh[b] > 0)
    if body_jaccard is None:
        body_jaccard = prepared.body_jaccard(a, b)
    jac = np.where(both_bodies, body_jaccard, np.nan)
    small = np.minimum(nsh[a], nsh[b])
    inter = jac / (1.0 + jac) * (nsh[a] + nsh[b])
    cont = np.where(both_bodies, np.clip(inter / np.maximum(small, 1.0), 0.0, 1.0), np.nan)
    return both_bodies, jac, small, cont


EXACT_ROWS = 150_000  # bodies whose exact shingle sets are held at once (~3 KB each)


def exact_containment(
    prepared: Prepared,
    a: np.ndarray,
    b: np.ndarray,
    *,
    n: int = 4,
    max_rows: int = EXACT_ROWS,
    body_jaccard: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Exact containment and quotation-free containment for the pairs whose MinHash
    estimate is ambiguous (see ``AMBIGUOUS``); NaN for the others. One pass over the
    stored bodies, so it pays to call it once for many pairs.

    Memory is bounded: the ambiguous pairs are taken in order of their first row and cut
    into chunks whose pairs involve at most ``max_rows`` distinct bodies; each chunk's
    exact sets are built, used and freed before the next. Trade-off: a body in pairs of
    several chunks is tokenised once per chunk (no chunking, hence no repeated work, while
    the pairs involve ``max_rows`` bodies or fewer). ``body_jaccard``: as in
    ``pair_features``."""
    from syndup._kernels import containment

    a, b = np.asarray(a, dtype=np.int64), np.asarray(b, dtype=np.int64)
    amb = ambiguous(prepared, a, b, body_jaccard)
    full, bare = np.full(len(a), np.nan), np.full(len(a), np.nan)
    amb = amb[np.argsort(np.minimum(a[amb], b[amb]), kind="stable")]
    for chunk in _row_bounded_chunks(a[amb], b[amb], max_rows):
        sel = amb[chunk]
        involved = np.unique(np.concatenate([a[sel], b[sel]]))
        (fv, fo), (bv, bo), where = _shingle_sets(prepared, involved, n)
        ia = where[np.searchsorted(involved, a[sel])]
        ib = where[np.searchsorted(involved, b[sel])]
        full[sel] = containment(fv, fo, ia, ib)
        bare[sel] = containment(bv, bo, ia, ib)
        del fv, fo, bv, bo
    return full, bare


def text_plan(
    prepared: Prepared,
    a: np.ndarray,
    b: np.ndarray,
    *,
    scopes: dict[str, str] | None = None,
    body_jaccard: np.ndarray | None = None,
) -> dict[str, np.ndarray]:
    """Positions of the pairs ``pair_features`` reads stored bodies for, per feature, as
    ``stored_features`` takes them: ``lead_ratio`` (exactly its rows), ``exact`` (the
    ambiguous pairs) and ``refill``, a superset of ``template_refill``'s picks known before
    any text is read (figures changed, short bodies, containment estimate in reach or
    ambiguous). OCR pairs depend on the other features: read them afterwards."""
    scopes = scopes or {}
    both_bodies, _, _, cont = _estimates(prepared, a, b, body_jaccard)
    amb = ambiguous(prepared, a, b, body_jaccard)
    lead = (
        np.flatnonzero(both_bodies)
        if scopes.get("lead_ratio", "all") == "all"
        else np.zeros(0, dtype=np.int64)
    )
    nsh = prepared.arrays["shingles"]
    in_reach = np.zeros(len(a), dtype=bool)
    in_reach[amb] = True
    est = np.nan_to_num(cont, nan=-1.0)
    in_reach |= (est >= REFILL[2]) & (est <= 1.0 - REFILL[1])
    refill = (
        both_bodies
        & in_reach
        & (np.maximum(nsh[a], nsh[b]) <= REFILL[3])
        & figures_changed(prepared, a, b).astype(bool)
    )
    return {"lead_ratio": lead, "exact": amb, "refill": np.flatnonzero(refill)}


def stored_features(
    prepared: Prepared,
    a: np.ndarray,
    b: np.ndarray,
    plan: dict[str, np.ndarray],
    *,
    n: int = 4,
    workers: int = -1,
) -> dict[str, np.ndarray]:
    """The features of pairs that read stored bodies, for the pairs ``plan`` lists per
    feature (``text_plan``; ``ocr``: positions for ``ocr_features``): ``lead_ratio``
    (one value per pair), ``exact`` (containment and unquoted containment, 2 x pairs),
    ``refill`` (raw and masked containment, 2 x pairs), ``ocr`` (4 x pairs), ``narrative``
    (``narrative_features``, ``NARRATIVE_ROWS`` x pairs), ``refill_ocr``
    (``refill_features``, 2 x pairs); NaN where not
    read. Each stored block is decompressed once for all of them and each body is
    tokenised once per feature (``TextStore.walk_pairs``), so the cost is linear in the
    bodies read however many pairs there are."""
    lead_chars = prepared.config.verify.lead_chars

    def lead_rows(texts: pl.Series) -> tuple[np.ndarray]:
        from syndup.normalize import normalize_series
        from syndup.prepare import lead_text

        body = normalize_series(texts, collapse_spaces=False)
        return (lead_text(body, lead_chars).to_numpy(),)

    def lead_score(rows: tuple[np.ndarray], ia: np.ndarray, ib: np.ndarray) -> np.ndarray:
        return _cpdist(rows[0][ia], rows[0][ib], fuzz.ratio, workers)[None, :]

    def exact_rows(texts: pl.Series) -> tuple[Sets, Sets]:
        return exact_sets(texts, n)

    def exact_score(rows: tuple[Sets, Sets], ia: np.ndarray, ib: np.ndarray) -> np.ndarray:
        from syndup._kernels import containment

        full, bare = rows
        return np.vstack([containment(*full, ia, ib), containment(*bare, ia, ib)])

    kinds = {
        "lead_ratio": (lead_rows, lead_score, 1),
        "exact": (exact_rows, exact_score, 2),
        "refill": (lambda t: _refill_rows(t, n), _refill_score, 2),
        "ocr": (_ocr_rows, _ocr_score, 4),
        "narrative": (_narrative_rows, _narrative_score, NARRATIVE_ROWS),
        "refill_ocr": (_refill_rows_ocr, _refill_score, 2),
    }
    names = [k for k in kinds if k in plan and len(plan[k])]  # (no pairs: nothing to hold)
    tasks = [PairTask(plan[k], kinds[k][0], kinds[k][1], kinds[k][2]) for k in names]
    threads = max(1, prepared.config.signature.workers)
    found = walk_pairs(prepared.bodies, a, b, tasks, workers=threads)
    return {k: (v[0] if k == "lead_ratio" else v) for k, v in zip(names, found)}


def exact_sets(texts: pl.Series, n: int) -> tuple[Sets, Sets]:
    """``shingle_sets(texts, n, fold=True)`` and the same with ``unquoted=True``, from one
    tokenisation of each text (``_jit.shingle_sets_both``); the few texts the fused pass
    cannot fold on the fly (wide characters, a word across a quotation's edge) are
    computed by the two calls and spliced in."""
    from syndup.shingle import _MULT, _P, CLASSES_FOLD, fold_table, text_bytes

    data, offsets = text_bytes(texts)
    if not len(data):
        return Sets(*shingle_sets(texts, n, fold=True)), Sets(
            *shingle_sets(texts, n, unquoted=True, fold=True)
        )
    from syndup import _jit

    fv, fo, bv, bo, redo = _jit.shingle_sets_both(
        data, offsets, CLASSES_FOLD, fold_table(), np.uint64(_P), _MULT, n
    )
    full, bare = Sets(fv, fo), Sets(bv, bo)
    if redo.any():
        idx = np.flatnonzero(redo)
        sub = texts.gather(idx)
        full = _splice(full, idx, Sets(*shingle_sets(sub, n, fold=True)))
        bare = _splice(bare, idx, Sets(*shingle_sets(sub, n, unquoted=True, fold=True)))
    return full, bare


def _splice(main: Sets, idx: np.ndarray, redo: Sets) -> Sets:
    """``main`` with its sets ``idx`` replaced by the sets of ``redo`` (in that order)."""
    sizes = np.diff(main.offsets)
    redo_sizes = np.diff(redo.offsets)
    keep = np.ones(len(sizes), dtype=bool)
    keep[idx] = False
    new_sizes = sizes.copy()
    new_sizes[idx] = redo_sizes
    offsets = np.zeros(len(sizes) + 1, dtype=np.int64)
    np.cumsum(new_sizes, out=offsets[1:])
    values = np.empty(int(offsets[-1]), dtype=main.values.dtype)
    owner = np.repeat(np.arange(len(sizes)), sizes)
    within = np.arange(len(main.values)) - main.offsets[owner]
    mine = keep[owner]
    values[offsets[owner[mine]] + within[mine]] = main.values[mine]
    rowner = np.repeat(idx, redo_sizes)
    rwithin = np.arange(len(redo.values)) - np.repeat(redo.offsets[:-1], redo_sizes)
    values[offsets[rowner] + rwithin] = redo.values
    return Sets(values, offsets)


def reads_bodies(prepared: Prepared, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Mask of the pairs for which ``pair_features`` may read stored bodies (exact checks,
    ``template_refill``, OCR evidence): both have bodies and the MinHash containment
    estimate reaches the lowest band any of them reads. An engine that ships bodies only
    where needed ships them for these pairs."""
    both_bodies, _, _, cont = _estimates(prepared, a, b)
    low = min(AMBIGUOUS[0], REFILL[2], OCR_BAND, NARRATIVE_BAND)
    out = both_bodies & (np.nan_to_num(cont, nan=0.0) >= low)
    out[ambiguous(prepared, a, b)] = True
    return out


def ambiguous(
    prepared: Prepared,
    a: np.ndarray,
    b: np.ndarray,
    body_jaccard: np.ndarray | None = None,
) -> np.ndarray:
    """Positions of the pairs whose MinHash estimate is ambiguous (``AMBIGUOUS``): the only
    pairs ``exact_containment`` reads bodies for (signatures and shingle counts decide)."""
    both_bodies, jac, _, cont = _estimates(prepared, a, b, body_jaccard)
    lo, hi, jmax = AMBIGUOUS
    cols = prepared.arrays
    wire, city = cols["wire"], cols["dateline_city"]
    wired = (wire[a] == wire[b]) & (wire[a] != 0) & (city[a] == city[b]) & (city[a] != 0)
    low = np.where(wired, WIRE_BAND, lo)
    return np.flatnonzero(both_bodies & (cont >= low) & (cont < hi) & (jac < jmax))


def _row_bounded_chunks(a: np.ndarray, b: np.ndarray, max_rows: int) -> list[slice]:
    """Consecutive slices of the pairs ``(a[k], b[k])`` each involving at most
    ``max_rows`` distinct rows (at least one pair per slice)."""
    out, start, total = [], 0, len(a)
    max_rows = max(2, max_rows)
    while start < total:
        rest = np.empty(2 * (total - start), dtype=np.int64)
        rest[0::2], rest[1::2] = a[start:], b[start:]
        _, first = np.unique(rest, return_index=True)
        new = np.zeros(len(rest), dtype=np.int64)
        new[first] = 1
        seen = np.cumsum(new)[1::2]  # distinct rows after each whole pair
        stop = start + max(1, int(np.searchsorted(seen, max_rows, side="right")))
        out.append(slice(start, stop))
        start = stop
    return out


def _shingle_sets(
    prepared: Prepared, rows: np.ndarray, n: int
) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray], np.ndarray]:
    """Exact shingle sets, with and without quotations, of the given rows' bodies, and
    ``where``: the set of ``rows[k]`` is set ``where[k]`` (sets come in stored order, see
    ``TextStore.physical``). Each stored block is read once, blocks are spread over the
    configured threads (the kernels release the GIL), and bodies are folded on the fly."""
    from concurrent.futures import ThreadPoolExecutor

    store = prepared.bodies
    stored = store.physical(rows)
    order = np.argsort(stored, kind="stable")
    where = np.empty(len(rows), dtype=np.int64)
    where[order] = np.arange(len(rows))
    rows = stored[order]

    def build(group: tuple[int, np.ndarray]) -> tuple[np.ndarray, ...]:
        start, part = group
        texts = store.block(start).gather(part - start)
        return (
            *shingle_sets(texts, n, fold=True),
            *shingle_sets(texts, n, unquoted=True, fold=True),
        )

    groups = store.groups(rows)
    workers = max(1, min(prepared.config.signature.workers, len(groups)))
    if workers == 1 or len(rows) < SMALL:
        parts = [build(g) for g in groups]
    else:
        with ThreadPoolExecutor(workers) as pool:
            parts = list(pool.map(build, groups))

    def join(vi: int, oi: int) -> tuple[np.ndarray, np.ndarray]:
        values = np.concatenate([p[vi] for p in parts])
        sizes = np.concatenate([np.diff(p[oi]) for p in parts])
        offsets = np.zeros(len(sizes) + 1, dtype=np.int64)
        np.cumsum(sizes, out=offsets[1:])
        return values, offsets

    return join(0, 1), join(2, 3), where
