"""Pages that hold several stories, told by their form (a step of ``prepare``).

A roundup (news in brief, a newsletter, a live blog such as "The Latest") is many short
items, each under its own heading or time stamp, each the opening of another story. Its
headline usually says so, but copies misspell it ("BRIFS", "News in rbief") or reorder it
("Flagstaff news area in brief"), so a list of spellings never closes. This module reads the
body's structure instead:

* **time stamps**: lines holding only a clock time ("4:05 p.m."), a live blog's entries;
  ``roundup_time_stamps`` of them mark a roundup by themselves;
* **item headings**: short paragraphs without closing punctuation, each followed by a
  paragraph of text, or numbered headings ("2. Nasa to resume shuttle missions");
  ``roundup_items`` of them mark a roundup when a headline word is near (rapidfuzz ratio at
  least ``roundup_word_score``) one of ``roundup_words``.

Trade-off: headings alone also fit a feature with crossheads, so they count only with the
headline's word; a roundup whose headline has neither a near word nor time stamps in its
body (an unnamed list of briefs) stays unflagged, as before.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import polars as pl
from rapidfuzz import fuzz, process

from syndup.config import VerifyConfig

if TYPE_CHECKING:
    from syndup.prepare import Prepared

# A heading: a paragraph of 6-90 characters not ending as a sentence does, followed by a
# paragraph of text (at least 120 characters).
_HEADING = r"(?:^|\n\n)[^\n]{6,90}[^\n.!?\"”’:;,)]\n\n[^\n]{120}"
_NUMBERED = r"(?:^|\n\n)\d{1,2}\. [^\n]{3,90}\n\n"
_TIME_STAMP = r"(?m)^[ \t]*\d{1,2}:\d{2}[ \t]*(?:[ap]\.?m\.?)?[ \t]*$"
_WORD = r"[a-z][a-z\-]+"


def form_columns(body_clean: pl.Expr, body_raw: pl.Expr) -> list[pl.Expr]:
    """``roundup_items`` (headings or numbered headings in the cleaned body, the larger) and
    ``roundup_stamps`` (time-stamp lines in the raw body: cleaning drops them as short lines)."""
    return [
        pl.max_horizontal(
            body_clean.str.count_matches(_HEADING), body_clean.str.count_matches(_NUMBERED)
        )
        .fill_null(0)
        .cast(pl.UInt32)
        .alias("roundup_items"),
        body_raw.fill_null("")
        .str.count_matches(_TIME_STAMP)
        .cast(pl.UInt32)
        .alias("roundup_stamps"),
    ]


def roundup_by_form(
    headline_norm: pl.Series, items: pl.Series, stamps: pl.Series, config: VerifyConfig
) -> np.ndarray:
    """Per row, whether the body's form marks a page of several stories (see the module)."""
    out = stamps.to_numpy() >= max(config.roundup_time_stamps, 1)
    rows = np.flatnonzero((items.to_numpy() >= max(config.roundup_items, 1)) & ~out)
    if not len(rows) or not config.roundup_words:
        return out
    words = headline_norm.gather(rows).str.extract_all(_WORD).to_list()
    vocab = list(config.roundup_words)
    for row, ws in zip(rows.tolist(), words, strict=True):
        for w in ws or ():
            if len(w) >= 4 and process.extractOne(
                w, vocab, scorer=fuzz.ratio, score_cutoff=config.roundup_word_score
            ):
                out[row] = True
                break
    return out


def item_openings(body_clean: pl.Expr, flag: pl.Expr, *, chars: int = 40) -> pl.Expr:
    """For rows ``flag`` marks (pages of several stories), their item openings: each
    paragraph's first ``chars`` letters and digits, lower-cased, in order, without repeats
    (null on other rows), one per line. Kept as a column so the story graph compares
    roundups without reading bodies (every engine carries the docs table, not always the
    text)."""
    opens = (
        body_clean.fill_null("")
        .str.to_lowercase()
        .str.split("\n\n")
        .list.eval(
            pl.element()
            .str.replace_all(r"[^\p{L}\p{N}]+", "")
            .str.slice(0, chars)
            .filter(pl.element().str.len_chars() >= chars // 2)
        )
        .list.unique(maintain_order=True)
    )
    # One string (openings hold only letters and digits, so a newline parts them): every
    # store of the docs table (the index's included) holds strings.
    return pl.when(flag).then(opens.list.join("\n")).otherwise(None).cast(pl.String)


def item_share(prepared: Prepared, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Per pair, the share of the page with fewer items whose item openings
    (``item_openings``) open a paragraph of the other page, read fuzzily (rapidfuzz ratio
    at least ``_OPENING_SCORE``: an OCR'd copy misreads and splits words).

    Copies of one roundup hold the same items, trimmed or reordered (a share near 1); two
    roundups of one day that carry some of the same stories (the briefs of two sites, a
    newsletter and a live blog opening with the same item) share only those. Approximation:
    paragraphs stand for items (an item of two paragraphs counts twice)."""
    out = np.zeros(len(a), dtype=np.float64)
    if not len(a) or "roundup_openings" not in prepared.docs.columns:
        return out
    rows = np.unique(np.concatenate([a, b]))
    opens = prepared.docs["roundup_openings"].gather(rows).to_list()
    items = dict(zip(rows.tolist(), (o.split("\n") if o else [] for o in opens), strict=True))
    for i, (x, y) in enumerate(zip(a.tolist(), b.tolist(), strict=True)):
        ox, oy = items[x], items[y]
        if len(ox) > len(oy):
            ox, oy = oy, ox
        if ox:
            best = process.cdist(ox, oy, scorer=fuzz.ratio, dtype=np.uint8).max(axis=1)
            out[i] = float((best >= _OPENING_SCORE).mean())
    return out


_OPENING_SCORE = 80
