"""The fuzzy stage: score candidate pairs, then decide with a rule set that is data.

Features per pair (NaN where a side lacks the text; every comparison with NaN is false):

============================  ================================================================
headline_ratio                rapidfuzz ``fuzz.ratio`` of normalised headlines (0-100)
headline_partial              ``fuzz.partial_ratio`` of headlines: the shorter inside the longer
headline_words                words in the shorter headline
headline_swapped              names and figures of the headline with fewer words that the
                              other lacks (not there, nor a near spelling): an extended or
                              re-worded headline adds words and rewords common ones, another
                              story's headline swaps a place, a party or a count ("drone
                              strike in Shawal" vs "in Miranshah"); only where
                              ``headline_partial`` >= 90 (see ``headline_swapped``)
headline_generic              1 if either headline is generic ("Weather", "Letters to the editor")
body_missing                  1 if either side has no body text
body_jaccard                  MinHash estimate of word-shingle Jaccard
body_containment              share of the shorter body's shingles found in the longer; exact
                              for pairs in the ambiguous band, else derived from the estimate
unquoted_containment          the same with direct quotations removed (exact, ambiguous band)
shorter_shingles              distinct shingles in the shorter body
shared_shingles               shingles the two bodies share (containment x shorter_shingles):
                              how much narrative is common, whatever the bodies' lengths; one
                              shared boilerplate sentence is ~20, a paragraph ~40-60
lead_jaccard                  MinHash estimate over the first words of each body
lead_ratio                    ``fuzz.ratio`` of the first characters of each normalised body
same_outlet                   1 if both come from the same outlet
wire_feed                     1 if both come from one wire's own feed (an outlet in
                              ``ClusterConfig.wire_outlets``): the wire files every version
                              of its story there
same_wire                     1 if both carry the same wire's dateline or byline ("(AP)",
                              "By The Associated Press", "(Reuters)") in their first lines
figures_changed               1 if both bodies' openings hold figures and under half of the
                              fewer side's are in the other (any of them, when both bodies
                              are short enough to be read whole): the template re-filled
refiled                       1 if ``figures_changed`` and the two are a day or more apart or
                              both short enough to be read whole: the same wording filled in
                              again (an unknown date counts as not apart)
recurring                     1 if the same outlet published both a day or more apart: an
                              outlet's recurring item (a daily notice), not a reprint, when
                              nothing but the headline is there to compare
dateline_differs              1 if both bodies open with a wire dateline carrying a date and
                              the dates differ ("WASHINGTON, Jan 5" vs "Jan 7"): two filings
weekday_differs               1 if both bodies are short enough to be read whole and each
                              names a weekday the other does not ("on Tuesday" vs "on
                              Wednesday"): the same notice filled in on another day
other_day_filing              1 if ``dateline_differs`` and ``day_apart``: another day's filing
                              (a version filed after midnight carries the next date but
                              lies hours, not a day, from the one before)
dateline_city_differs         1 if both bodies open with a wire dateline's city and the cities
                              differ ("DETROIT (AP)" vs "ATLANTA (AP)"): a wire's versions of
                              one story keep its dateline while each new top is written; an
                              OCR misreading is the same city ("WASHlNGTON": ratio >= 75)
same_dateline_city            1 if both bodies open with a wire dateline naming the same city
                              (spellings within OCR damage: not ``dateline_city_differs``)
headline_figures              1 if both headlines hold figures (digits or number words): a
                              headline that reports one day's figures (an auction's rate)
headline_figures_differ       1 if both headlines hold figures (digits or number words) and
                              the sets differ ("rate falls to 7.37 pct" vs "to 7.69 pct"):
                              a template filled in again
template_refill               1 if the two bodies are one template filled in with other figures:
                              with every figure masked the shorter body is (almost) all in
                              the longer, and masking adds at least ``REFILL[1]`` of
                              containment (a daily notice, auction or market report; only for
                              pairs whose openings' figures differ, exact word shingles)
multi_story                   1 if either headline marks a page of several stories (a live
                              blog, news in brief, a newsletter: ``prepare``'s roundup flag):
                              such a page shares one item's paragraphs with each story it
                              holds and is a copy only of its own copies
day_apart                     1 if both are dated and published a day or more apart (an
                              unknown date counts as not apart, unlike ``days_apart >= 1``)
days_apart                    absolute difference of ``published`` in days
hours_apart                   the same in hours
ocr_containment               share of the shorter body's OCR-folded character 8-grams found in
                              the longer (``syndup.ocr``): letters agree where OCR broke words;
                              only for pairs the word-level evidence leaves open (``OCR_BAND``)
ocr_shared                    the 8-grams the two bodies share (one sentence is ~100)
ocr_jaccard                   shared 8-grams over all distinct 8-grams of the two bodies
ocr_figures_changed           ``figures_changed`` read through OCR's digit look-alikes, one
                              misread character tolerated (same pairs as ``ocr_containment``)
ocr_narrative                 share of the shorter body's narrative (whole body, quotations
                              removed) found in the longer, on OCR-folded character 16-grams
                              (``ocr.narrative_sets``): a write-through version's shared
                              narrative seen through broken words; only for pairs no word
                              rule matches and on which a rule reading it could hold
                              (``NARRATIVE_BAND``)
ocr_narrative_shared          the 16-grams they share (one in 4 sampled, scaled back; ~4 per
                              word shingle on clean text)
ocr_word_loss                 ``1 - unquoted_containment / ocr_narrative``: the share the word
                              shingles lost where the letters agree (0 +- 0.1 on clean text)
============================  ================================================================

Bodies are never compared with ``partial_ratio`` (about 12 pairs/s on 400-word bodies): the
set measures above cost microseconds per pair and the exact check runs only where the
MinHash estimate is ambiguous.
"""

from __future__ import annotations

import re

import numpy as np
import polars as pl
from rapidfuzz import fuzz

from syndup.body_checks import (
    NARRATIVE_BAND,
    NARRATIVE_ROWS,
    OCR_BAND,
    REFILL,
    REFILL_BAND,
    REFILL_OCR,
    TWIN_BAND,
    _cpdist,
    _estimates,
    exact_containment,
    figures_changed,
    is_refill,
    narrative_features,
    ocr_features,
    read_whole,
    refill_features,
    template_refill,
    weekday_differs,
)
from syndup.config import Rule
from syndup.normalize import HEADLINE_PREFIX
from syndup.prepare import Prepared
from syndup.rules import (
    NARRATIVE_FEATURES,
    OCR_FEATURES,
    any_rule,
    rule_features,
    rules_key,
    without_features,
)
from syndup.signature import pair_jaccard

_WORD = re.compile(r"[^\W_]+(?:['’.][^\W_]+)*")
_SITE_SUFFIX = re.compile(r"\s+[|\-–—]\s+(?:\S+\s+){0,4}\S+\s*$")
_DECORATION = re.compile(f"^(?:{HEADLINE_PREFIX.removeprefix('(?i)')})+", re.IGNORECASE)


def pair_features(
    pairs: pl.DataFrame,
    prepared: Prepared,
    *,
    body_ngram: int = 4,
    workers: int = -1,
    scopes: dict[str, str] | None = None,
    exact: tuple[np.ndarray, np.ndarray] | None = None,
    body_jaccard: np.ndarray | None = None,
    rules: tuple[Rule, ...] = (),
    stored: dict[str, np.ndarray] | None = None,
) -> pl.DataFrame:
    """Features for each pair ``(a, b)`` of row indexes into ``prepared.docs``.

    The OCR features (``syndup.ocr``) are computed only in ``OCR_BAND`` and, when the
    config's ``rules`` are given, only for pairs that no rule without OCR features
    matches (the OCR rules come last, so the deciding rule is the same either way); else
    where the clean-copy evidence does not settle the pair.

    ``scopes`` limits the costlier string features (``lead_ratio``, ``headline_partial``)
    to the pairs a rule could read them on (see ``feature_scopes``; null elsewhere); by
    default every feature is computed for every pair. ``exact``: ``exact_containment`` of
    these pairs if already computed; ``body_jaccard``: their body signature agreement
    (``pair_jaccard(prepared.body_sig, a, b)``) if already computed; ``stored``: what
    ``stored_features`` read for these pairs (``lead_ratio``, ``refill``, ``exact``)."""
    frame, band, narrative = word_features(
        pairs,
        prepared,
        body_ngram=body_ngram,
        workers=workers,
        scopes=scopes,
        exact=exact,
        body_jaccard=body_jaccard,
        rules=rules,
        stored=stored,
    )
    ocr = np.full((4, len(band)), np.nan)
    rows = np.flatnonzero(band)
    a = pairs["a"].to_numpy().astype(np.int64)
    b = pairs["b"].to_numpy().astype(np.int64)
    ocr[:, rows] = ocr_features(prepared, a[rows], b[rows])
    told = np.full((NARRATIVE_ROWS + 2, len(band)), np.nan)
    rows = np.flatnonzero(narrative & TWIN_BAND)
    told[:NARRATIVE_ROWS, rows] = narrative_features(prepared, a[rows], b[rows])
    rows = np.flatnonzero(narrative & REFILL_BAND)
    told[NARRATIVE_ROWS:, rows] = refill_features(prepared, a[rows], b[rows])
    return with_ocr(frame, ocr, told)


def with_ocr(frame: pl.DataFrame, ocr: np.ndarray, narrative: np.ndarray) -> pl.DataFrame:
    """``frame`` (``word_features``) with the OCR features as columns: the four of
    ``ocr_features``; ``narrative``: the three of ``narrative_features`` then the two of
    ``refill_features`` (rows, NaN where not computed; ``ocr_figures_changed`` from
    either; ``template_refill`` also where the folded grams show a refill of figures that
    changed, as the word check reads); and ``ocr_word_loss``: the share of
    the narrative that the word shingles lost, ``1 - unquoted_containment /
    ocr_narrative`` (near 0 on clean text; OCR damage breaks words while their letters
    still agree)."""
    told = np.round(narrative[0], 3)
    figures = np.where(np.isnan(ocr[3]), narrative[2], ocr[3])
    changed = frame["figures_changed"].cast(pl.Int8).fill_null(0).to_numpy() == 1
    refilled = changed & is_refill(narrative[NARRATIVE_ROWS], narrative[NARRATIVE_ROWS + 1])
    refill = frame["template_refill"].cast(pl.Int8).fill_null(0).to_numpy() | refilled
    unq = frame["unquoted_containment"].cast(pl.Float64).fill_null(np.nan).to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        loss = np.where(told > 0, 1.0 - unq / told, np.nan)
    return frame.with_columns(
        pl.Series("ocr_containment", np.round(ocr[0], 3)),
        pl.Series("ocr_shared", ocr[1]),
        pl.Series("ocr_jaccard", np.round(ocr[2], 3)),
        pl.Series("ocr_figures_changed", figures),
        pl.Series("ocr_narrative", told),
        pl.Series("ocr_narrative_shared", narrative[1]),
        pl.Series("ocr_word_loss", np.round(loss, 3)),
        pl.Series("template_refill", refill.astype(np.int8)),
    ).with_columns(pl.col(pl.Float64).fill_nan(None).cast(pl.Float32))


def word_features(
    pairs: pl.DataFrame,
    prepared: Prepared,
    *,
    body_ngram: int = 4,
    workers: int = -1,
    scopes: dict[str, str] | None = None,
    exact: tuple[np.ndarray, np.ndarray] | None = None,
    body_jaccard: np.ndarray | None = None,
    lead_jaccard: np.ndarray | None = None,
    rules: tuple[Rule, ...] = (),
    stored: dict[str, np.ndarray] | None = None,
) -> tuple[pl.DataFrame, np.ndarray, np.ndarray]:
    """``pair_features`` without the OCR features, and the masks of the pairs that need
    them: the OCR copy evidence (``OCR_BAND``, see ``pair_features``) and the OCR narrative
    (``NARRATIVE_BAND``, where a rule reading it could hold; bits ``TWIN_BAND`` and
    ``REFILL_BAND``, the latter where the refill is to be read on letters). A caller may
    read them for many batches at once (``stored_features`` plans ``ocr``, ``narrative``
    and ``refill_ocr``) and add them with ``with_ocr``. ``lead_jaccard``:
    ``pair_jaccard(prepared.lead_sig, a, b)`` if already computed (the lead signatures
    are then not read)."""
    stored = stored or {}
    a = pairs["a"].to_numpy().astype(np.int64)
    b = pairs["b"].to_numpy().astype(np.int64)
    cols = prepared.arrays
    heads = cols["headline"]
    has_head = cols["headline_words"] > 0

    scopes = scopes or {}
    both_bodies, jac, small, cont = _estimates(prepared, a, b, body_jaccard)

    def scoped(feature: str) -> np.ndarray:
        """Rows where ``feature`` is computed (see ``feature_scopes``)."""
        scope = scopes.get(feature, "all")
        if scope == "none":
            return np.zeros(0, dtype=np.int64)
        return np.flatnonzero(~both_bodies) if scope == "body_missing" else np.arange(len(a))

    both_heads = has_head[a] & has_head[b]
    h_ratio = np.where(both_heads, _cpdist(heads[a], heads[b], fuzz.ratio, workers), np.nan)
    h_partial = np.full(len(a), np.nan)
    rows = scoped("headline_partial")
    h_partial[rows] = _cpdist(heads[a[rows]], heads[b[rows]], fuzz.partial_ratio, workers)
    h_partial = np.where(both_heads, h_partial, np.nan)
    h_swapped = np.full(len(a), np.nan)
    rows = np.flatnonzero(h_partial >= 90)
    if len(rows):
        raw = prepared.docs["headline"].gather(np.concatenate([a[rows], b[rows]])).to_list()
        h_swapped[rows] = [headline_swapped(raw[k], raw[k + len(rows)]) for k in range(len(rows))]

    unq = cont.copy()
    if lead_jaccard is None:
        lead_jaccard = pair_jaccard(prepared.lead_sig, a, b)
    lead_j = np.where(both_bodies, lead_jaccard, np.nan)
    lead_r = np.full(len(a), np.nan)
    rows = scoped("lead_ratio")
    rows = rows[both_bodies[rows]]
    if "lead_ratio" in stored:  # read for exactly these rows (``text_plan``)
        lead_r[rows] = stored["lead_ratio"][rows]
    elif len(rows):
        involved = np.unique(np.concatenate([a[rows], b[rows]]))
        leads = prepared.texts(involved)["lead_norm"].to_numpy()
        ia, ib = np.searchsorted(involved, a[rows]), np.searchsorted(involved, b[rows])
        lead_r[rows] = _cpdist(leads[ia], leads[ib], fuzz.ratio, workers)

    if exact is None and "exact" in stored:
        exact = (stored["exact"][0], stored["exact"][1])
    exact_cont, exact_unq = (
        exact_containment(prepared, a, b, n=body_ngram, body_jaccard=body_jaccard)
        if exact is None
        else exact
    )
    known = ~np.isnan(exact_cont)
    cont[known] = exact_cont[known]
    unq[known] = exact_unq[known]

    generic, words = cols["generic"], cols["headline_words"]
    outlets, published = cols["outlet"], cols["published"]
    days = np.abs(published[a] - published[b]) / 86_400e6
    wire, figs, dl = cols["wire"], cols["headline_figures"], cols["dateline_date"]
    shared = np.round(cont * small)
    changed = figures_changed(prepared, a, b)
    whole = read_whole(prepared, a, b)
    same_outlet = (outlets[a] == outlets[b]) & (outlets[a] != 0)
    # template_refill is read by rules that need a similar headline, the same wire or most
    # of the body (the others already require figures_changed == 0): computed there only.
    nsh = cols["shingles"]
    refill_readers = (
        (cont >= REFILL[2])
        & (np.maximum(nsh[a], nsh[b]) <= REFILL[3])
        & ((h_ratio >= 85) | ((wire[a] == wire[b]) & (wire[a] != 0)) | (cont >= 0.6))
    )
    frame = pairs.with_columns(
        pl.Series("headline_ratio", np.round(h_ratio, 1)),
        pl.Series("headline_partial", np.round(h_partial, 1)),
        pl.Series("headline_words", np.minimum(words[a], words[b]).astype(np.int64)),
        pl.Series("headline_swapped", h_swapped),
        pl.Series("headline_generic", (generic[a] | generic[b]).astype(np.int8)),
        pl.Series("body_missing", (~both_bodies).astype(np.int8)),
        pl.Series("body_jaccard", np.round(jac, 3)),
        pl.Series("body_containment", np.round(cont, 3)),
        pl.Series("unquoted_containment", np.round(unq, 3)),
        pl.Series("shorter_shingles", small.astype(np.int64)),
        pl.Series("shared_shingles", shared),
        pl.Series("lead_jaccard", np.round(lead_j, 3)),
        pl.Series("lead_ratio", np.round(lead_r, 1)),
        pl.Series("same_outlet", same_outlet.astype(np.int8)),
        pl.Series("wire_feed", (same_outlet & cols["feed"][a]).astype(np.int8)),
        pl.Series("same_wire", ((wire[a] == wire[b]) & (wire[a] != 0)).astype(np.int8)),
        pl.Series(
            "headline_figures_differ",
            ((figs[a] != figs[b]) & (figs[a] != 0) & (figs[b] != 0)).astype(np.int8),
        ),
        pl.Series("figures_changed", changed),
        pl.Series(
            "refiled",
            (changed.astype(bool) & ((days >= 1.0) | whole)).astype(np.int8),
        ),
        pl.Series("recurring", (same_outlet & (days >= 1.0)).astype(np.int8)),
        pl.Series(
            "dateline_differs", ((dl[a] != dl[b]) & (dl[a] != 0) & (dl[b] != 0)).astype(np.int8)
        ),
        pl.Series("weekday_differs", weekday_differs(prepared, a, b)),
        pl.Series(
            "template_refill",
            template_refill(
                prepared,
                a,
                b,
                changed.astype(bool) & refill_readers,
                cont,
                n=body_ngram,
                known=stored.get("refill"),
            ),
        ),
        pl.Series("multi_story", multi_story(prepared, a, b)),
        pl.Series("day_apart", (days >= 1.0).astype(np.int8)),
        *date_features(
            dl, figs, a, b, days, cols["dateline_city"], cols["dateline_city_text"], workers
        ),
        pl.Series("days_apart", np.round(days, 2)),
        pl.Series("hours_apart", np.round(days * 24, 1)),
    ).with_columns(pl.col(pl.Float64).fill_nan(None).cast(pl.Float32))
    word_rules = [r for r in rules if not rule_features(r) & OCR_FEATURES]
    band = np.zeros(len(a), dtype=bool)
    narrative = np.zeros(len(a), dtype=np.int8)
    open_ = ~any_rule(frame, rules_key(word_rules)) if word_rules else np.ones(len(a), dtype=bool)
    if scopes.get("ocr_containment", "all") != "none":
        band = both_bodies & (cont >= OCR_BAND)
        if word_rules:  # only where no word-level rule decides
            band &= open_
        else:  # without the rules: where the clean-copy evidence does not settle it
            settled = (jac >= 0.6) | (cont >= 0.7) & (unq >= 0.5) & (shared >= 30)
            vetoed = changed.astype(bool) | ((dl[a] != dl[b]) & (dl[a] != 0) & (dl[b] != 0))
            band &= ~settled | vetoed
    readers = [r for r in rules if rule_features(r) & NARRATIVE_FEATURES]
    if readers and scopes.get("ocr_narrative", "all") != "none":
        # where a rule reading the narrative could hold once it is known (its other
        # conditions hold on these features) and no word-level rule already does
        rows = np.flatnonzero(both_bodies & (cont >= NARRATIVE_BAND) & open_)
        if len(rows):
            parts = tuple(without_features(r, OCR_FEATURES) for r in readers)
            twins = rows[any_rule(frame[rows], parts)]
            narrative[twins] = TWIN_BAND
            narrative[twins[changed[twins].astype(bool)]] |= REFILL_BAND
    if word_rules:
        # A refill OCR hid from the word check, where a word rule matches: read on the
        # letters with the narrative (``with_ocr`` then sets ``template_refill``).
        refill = frame["template_refill"].to_numpy()
        # ...unless the masked words already fall short by more than OCR damage takes
        # (``REFILL_OCR``; unknown where the word check read none here)
        known = stored.get("refill")
        masked = known[1] if known is not None else np.full(len(a), np.nan)
        suspect = (
            both_bodies
            & changed.astype(bool)
            & refill_readers
            & (cont <= 1.0 - REFILL[1])
            & (refill == 0)
            & ~open_
            & ~(masked < REFILL_OCR * REFILL[0])
        )
        narrative[suspect] |= REFILL_BAND
    return frame, band, narrative


def headline_swapped(head_a: str | None, head_b: str | None) -> int:
    """Names and figures in the headline with fewer words that the other headline lacks.

    Words are compared lower-cased, after the decorations ``clean_headlines`` strips, and a
    word counts as present when it is in the other headline or (4+ letters) a word there
    scores ``fuzz.ratio`` >= 80 against it (a typo'd "Amits" for "Admits"). Of the absent
    words only the specific ones count: a word with a digit, an acronym, or a capitalised
    word after the first in a headline that is not in title case (in "Two UK Soldiers
    Killed In Afghanistan" every word is capitalised, so only "UK" is a name; in an
    all-capitals headline only figures count). A site's name after " | " or " - " is not
    read. Trade-off:
    a re-headlined copy that names the place differently ("Tel Aviv" for "Israel") is
    refused on the headline alone; its body, when there is one, decides through the body
    rules."""
    wa, wb = _headline_words(head_a or ""), _headline_words(head_b or "")
    short, long_ = (
        (wa, wb) if (len(wa), sum(map(len, wa))) <= (len(wb), sum(map(len, wb))) else (wb, wa)
    )
    there = {w.lower() for w in long_}
    near = [u for u in there if len(u) >= 3]
    title = sum(w[:1].isupper() for w in short if len(w) >= 4) >= 0.8 * max(
        1, sum(len(w) >= 4 for w in short)
    )
    count = 0
    for pos, word in enumerate(short):
        low = word.lower()
        if low in there or (len(low) >= 4 and any(fuzz.ratio(low, u) >= 80 for u in near)):
            continue
        acronym = len(word) >= 2 and word.isupper() and word.isalpha()
        name = pos > 0 and word[:1].isupper() and not title
        count += bool(any(c.isdigit() for c in word) or acronym or name)
    return count


def _headline_words(headline: str) -> list[str]:
    """A headline's words in their own case, decorations ("UPDATE 2-", "Opinion |") and a
    short trailing segment after " | " or " - " (a site's name) off."""
    words = _WORD.findall(_SITE_SUFFIX.sub("", _DECORATION.sub("", headline)))
    return [w.lower() for w in words] if headline.isupper() else words


def multi_story(prepared: Prepared, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Per pair, 1 if either side's headline marks a page of several stories, else 0."""
    flag = prepared.arrays.get("roundup")
    if flag is None:
        return np.zeros(len(a), dtype=np.int8)
    return (flag[a].astype(bool) | flag[b].astype(bool)).astype(np.int8)


def evidence_expr() -> pl.Expr:
    """One short human-readable line of the main evidence for a pair."""

    def part(label: str, col: str, fmt: str) -> pl.Expr:
        value = pl.col(col).round(2) if fmt == "f" else pl.col(col).round(0).cast(pl.Int64)
        return pl.when(pl.col(col).is_not_null()).then(pl.format(label + "={}", value))

    return pl.concat_str(
        [
            part("body_j", "body_jaccard", "f"),
            part("contain", "body_containment", "f"),
            part("unquoted", "unquoted_containment", "f"),
            part("lead_j", "lead_jaccard", "f"),
            part("headline", "headline_ratio", "i"),
        ],
        separator=" ",
        ignore_nulls=True,
    )


def date_features(
    dl: np.ndarray,
    figs: np.ndarray,
    a: np.ndarray,
    b: np.ndarray,
    days: np.ndarray,
    city: np.ndarray,
    city_text: np.ndarray,
    workers: int = -1,
) -> tuple[pl.Series, ...]:
    """``other_day_filing``, ``dateline_city_differs``, ``same_dateline_city`` and
    ``headline_figures`` of the pairs
    (``dl``, ``figs``, ``city``: the coded ``dateline_date``, ``headline_figures`` and
    ``dateline_city`` columns, 0 = none; ``city_text``: the cities). Two cities differ when
    their spellings (OCR-folded, ``prepare.DATELINE_CITY``) score ``fuzz.ratio`` < 75, and
    are the same otherwise: an OCR'd dateline that lost a letter ("OKYO") is the same city,
    decided on the pair alone, so a batch, a Spark partition and an index step agree."""
    differs = (dl[a] != dl[b]) & (dl[a] != 0) & (dl[b] != 0)
    other_city = (city[a] != city[b]) & (city[a] != 0) & (city[b] != 0)
    rows = np.flatnonzero(other_city)
    if len(rows):
        close = _cpdist(city_text[a[rows]], city_text[b[rows]], fuzz.ratio, workers) >= 75
        other_city[rows[close]] = False
    return (
        pl.Series("other_day_filing", (differs & (days >= 1.0)).astype(np.int8)),
        pl.Series("dateline_city_differs", other_city.astype(np.int8)),
        pl.Series(
            "same_dateline_city",
            ((city[a] != 0) & (city[b] != 0) & ~other_city).astype(np.int8),
        ),
        pl.Series("headline_figures", ((figs[a] != 0) & (figs[b] != 0)).astype(np.int8)),
    )
