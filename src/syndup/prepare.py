"""Per-article preparation: normalise, shingle, sign. The output of every stage before LSH.

``prepare(df, config)`` turns a corpus table (see ``syndup.io``) into ``Prepared``: one row
per article with cleaned text and facts, plus MinHash signature matrices aligned with it.
Signatures are computed in batches on a thread pool (numpy releases the GIL), so shingle
arrays for the whole corpus never exist at once.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import polars as pl

from syndup.compact import compact_rows, page_array
from syndup.config import Config
from syndup.io import STANDARD_COLUMNS
from syndup.normalize import (
    clean_bodies,
    clean_headlines,
    clean_paragraphs,
    learn_from_paragraphs,
    learning_view,
    min_learning_docs,
    normalize_series,
    paragraphs,
)
from syndup.ocr import fold_expr
from syndup.roundup_form import form_columns, item_openings, roundup_by_form
from syndup.shingle import char_shingles
from syndup.signature import minhash, pair_jaccard, sign_texts
from syndup.textstore import TextStore
from syndup.wire_feed import on_feed


@dataclass(frozen=True)
class Prepared:
    """Articles ready for candidate search and verification.

    ``docs`` columns: id, outlet, published, headline (raw), headline_norm, body_start
    (first characters of the raw body where the headline is missing), body_words,
    body_shingles, headline_words, headline_generic, wire_byline, boilerplate_paras, usable.
    Signature rows align with ``docs`` rows. ``bodies`` holds the cleaned bodies, before
    case/quote folding (zstd-compressed when the corpus is large, see
    ``SignatureConfig.compress_text_above_mb``); ``texts(rows)`` normalises them for the few
    articles that need text again. ``source`` is the input without its body column;
    ``rejected`` the full input rows of articles with no usable text.
    """

    docs: pl.DataFrame
    body_sig: np.ndarray
    lead_sig: np.ndarray
    headline_sig: np.ndarray
    source: pl.DataFrame
    bodies: TextStore
    rejected: pl.DataFrame
    learned: pl.DataFrame | None
    config: Config
    figures: np.ndarray | None = None
    body_slots: np.ndarray | None = None  # row -> body_sig row once compacted (-1: dropped)

    @cached_property
    def arrays(self) -> dict[str, np.ndarray]:
        """Per-article columns the pair stages index, converted to numpy once: headline
        (object), headline_words, shingles (float), generic, outlet (dense code, 0 = none),
        feed (published by a wire, ``ClusterConfig.wire_outlets``), published (microseconds,
        float, NaN = unknown)."""
        d = self.docs
        coded = ("wire", "dateline_date", "dateline_city", "headline_figures")
        # Dense codes of string columns, 0 for the empty string (one pass for all).
        codes = d.select(
            pl.when(pl.col("outlet").fill_null("") != "")
            .then(pl.col("outlet").rank("dense"))
            .otherwise(0)
            .alias("outlet"),
            *[
                pl.when(pl.col(c) != "").then(pl.col(c).rank("dense")).otherwise(0).alias(c)
                for c in coded
            ],
        )

        def code(col: str) -> np.ndarray:
            return codes[col].to_numpy().astype(np.int64)

        return {
            "wire": code("wire"),
            "dateline_date": code("dateline_date"),
            "dateline_city": code("dateline_city"),
            "dateline_city_text": d["dateline_city"].to_numpy(),
            "headline_figures": code("headline_figures"),
            "headline": d["headline_norm"].to_numpy(),
            "headline_words": d["headline_words"].to_numpy(),
            "shingles": d["body_shingles"].to_numpy().astype(np.float64),
            "generic": d["headline_generic"].to_numpy(),
            "roundup": d["roundup_headline"].to_numpy(),
            "weekdays": d["weekdays"].to_numpy(),
            "outlet": code("outlet"),
            "feed": d.select(on_feed(pl.col("outlet"), self.config.cluster.wire_outlets))
            .to_series()
            .to_numpy(),
            "published": d["published"].cast(pl.Int64).to_numpy().astype(np.float64),
        }

    def without_search_signatures(self) -> Prepared:
        """This preparation without the lead and headline signatures (empty arrays of the
        same width), for the stages after verification, which read only ``body_sig``: at 1M
        articles that frees ~0.5 GB. Shares everything else (and ``arrays`` if computed)."""
        out = dataclasses.replace(
            self,
            lead_sig=self.lead_sig[:0].copy(),
            headline_sig=self.headline_sig[:0].copy(),
        )
        if "arrays" in self.__dict__:
            out.__dict__["arrays"] = self.__dict__["arrays"]
        return out

    def for_clustering(self, rows: np.ndarray, *, in_place: bool = False) -> Prepared:
        """This preparation without the search signatures and with ``body_sig`` cut to the
        given rows (the ends of the matched edges: the only rows the cluster stage compares),
        read through ``body_jaccard``. Exact, not an estimate: the kept rows are kept whole.
        At 1M articles the full matrix is ~1 GB; what is kept depends on how many articles
        have a copy. Trade-off: ``body_sig`` is no longer aligned with ``docs``
        (``body_slots`` maps rows to it); keep signatures to get the aligned matrix.

        ``in_place``: the kept rows move to the front of this preparation's own matrix and
        the rest of its memory goes back to the system (``compact_rows``), so no copy lives
        beside the full matrix; this preparation's ``body_sig`` is then spent (do not use
        it again). Otherwise the kept rows are copied."""
        out = self.without_search_signatures()
        seen = np.zeros(self.docs.height, dtype=bool)  # distinct rows, ascending: a mask
        seen[np.asarray(rows, dtype=np.int64)] = True
        rows = np.flatnonzero(seen)
        kept = self._slots(rows)  # ascending, as ``rows`` (slots are handed out in order)
        slots = np.full(self.docs.height, -1, dtype=np.int32)
        slots[rows] = np.arange(len(rows), dtype=np.int32)
        sig = compact_rows(self.body_sig, kept) if in_place else self.body_sig[kept]
        out = dataclasses.replace(out, body_sig=sig, body_slots=slots)
        if "arrays" in self.__dict__:
            out.__dict__["arrays"] = self.__dict__["arrays"]
        return out

    def without_body_signatures(self) -> Prepared:
        """This preparation with no body signature row left (``for_clustering`` of no rows,
        in place: their memory goes back to the system; this one's ``body_sig`` is spent),
        for the stages after the story graph and the canonical similarities."""
        return self.for_clustering(np.zeros(0, dtype=np.int64), in_place=True)

    def body_signatures(self, rows: np.ndarray) -> np.ndarray:
        """Body signature rows of the given articles (a copy), compacted or not."""
        return self.body_sig[self._slots(rows)]

    def body_jaccard(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """MinHash Jaccard of the body signatures of rows ``a[i]`` and ``b[i]``."""
        return pair_jaccard(self.body_sig, self._slots(a), self._slots(b))

    def _slots(self, rows: np.ndarray) -> np.ndarray:
        rows = np.asarray(rows, dtype=np.int64)
        if self.body_slots is None:
            return rows
        slots = self.body_slots[rows].astype(np.int64)
        if (slots < 0).any():
            raise ValueError("body signature asked of a row dropped by for_clustering")
        return slots

    def texts(self, rows: np.ndarray) -> pl.DataFrame:
        """``body_norm`` and ``lead_norm`` for the given row indexes, in that order (one
        pass over the compressed blocks: ask for every row needed at once)."""
        body = normalize_series(self.bodies.get(rows), collapse_spaces=False)
        lead = lead_text(body, self.config.verify.lead_chars)
        return pl.DataFrame([body.alias("body_norm"), lead.alias("lead_norm")])


def lead_text(body_norm: pl.Series, chars: int) -> pl.Series:
    """The first ``chars`` characters of normalised bodies, whitespace collapsed."""
    return body_norm.str.slice(0, chars).str.replace_all(r"\s+", " ")


# Headlines of pages that hold several stories: live blogs ("The Latest: ..."), news in
# brief, newsletters and briefings, live updates, roundups (matched on normalised text).
# Only as a headline's opening words for "live updates": sites also append "- Live updates"
# to a single story's title.
ROUNDUP_HEADLINE = (
    r"^(?:the latest|live|live updates?|in brief|briefs?|news briefs?)\b\s*[:|\-]?"
    r"|\bnews in brief\b|\b(?:morning|evening|daily|weekly|weekend) (?:briefing|digest)\b"
    r"|\bround-?up:|\bweek in review\b|\bwhat to know today\b|\bnewsletter\b"
)


# The date in a wire dateline ("WASHINGTON, Jan 5 (Reuters) -") opening a line near the top
# (furniture may come first): copies of one filing carry the same one.
DATELINE_DATE = (
    r"(?m)^\s*[A-Z][A-Za-z .'’\-]{1,40},\s*((?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)"
    r"[a-z]*\.?\s+\d{1,2})\b"
)

# A wire's own dated dateline ("WASHINGTON, Jan 5 (Reuters) -"): the city in capitals and the
# wire's tag after the date, so a page's date stamp ("Sat, Mar 2, 2019") is not one.
WIRE_DATELINE_DATE = (
    r"(?m)^\s*[A-Z][A-Z .'’\-]{1,40},\s*((?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)"
    r"[a-z]*\.?\s+\d{1,2})\s*\((?:AP|Reuters|AFP|UPI)\)"
)
# The city of a wire dateline ("DETROIT (AP) —", "WASHINGTON, Jan 5 (Reuters) -"): a wire's
# versions of one story keep it while each new top is written.
# OCR's look-alikes of capitals (l, 1, | for I; 0 for O; 5 for S; 8 for B), split words and
# a misprinted tag before the dash ("(A P) —", "(Rcuters -") are read as the city too, and
# the column holds the city OCR-folded (``ocr.fold_expr``): "WASHlNGTON" and "HONG KO NG"
# key the same feed as their clean copies. A CNN dateline ("LONDON (CNN) —") is one too.
DATELINE_CITY = (
    r"(?m)^\s*([A-Z058|][A-Z0-9l|! .'’\-]{1,30}[A-Z0-9l])(?:,[^\n(—–]{0,30})?\s*"
    r"(?:\((?:AP|Reuters|AFP|UPI)\)|\([A-Za-z0-9|! ]{1,10}\)?\s*[—–-]|—|–|-)"
)
# A wire's tag as OCR may print it ("(Rcuters)", "(A P)"): a short parenthesis whose folded
# letters are a wire's (``ocr.fold_expr``), read where the exact tag is not found.
_OCR_TAG = r"\(\s*([A-Za-z0-9|! ]{2,12}?)\s*\)"
_WIRES = ("ap", "reuters", "afp", "upi", "cnn")  # the wires ``wire_tag`` reads
_OCR_WIRES = dict(zip(pl.select(fold_expr(pl.lit(pl.Series(_WIRES)))).to_series(), _WIRES))


def _opening(pattern: str, group: int) -> pl.Expr:
    """``pattern``'s ``group`` in the first 600 characters of the raw body, lower-cased
    (null where it does not match): where bylines and datelines stand."""
    return (
        pl.col("body")
        .fill_null("")
        .str.slice(0, 600)
        .str.extract(pattern, group)
        .str.to_lowercase()
    )


def normalize_corpus(
    df: pl.DataFrame,
    config: Config,
    *,
    learned: pl.DataFrame | None = None,
    paras: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """Clean and normalise headlines and bodies; add counts and flags (no signatures).

    ``learned``: boilerplate keys learned over the whole corpus (from ``df`` when None);
    ``paras``: ``normalize.paragraphs(df)`` if already computed. The cleaned body comes back
    before case/quote folding, as ``body_clean``: ``sign_texts(fold=True)`` folds it on the
    fly, ``Prepared.texts`` normalises it when text is needed."""
    ncfg, vcfg = config.normalize, config.verify
    if paras is None:
        cleaned = clean_bodies(df, config=ncfg, learned=learned)
    else:
        cleaned = clean_paragraphs(df, paras, config=ncfg, learned=learned)
    generic = "|".join(vcfg.generic_headlines)
    wire_tag = r"(?i)\((?:AP|Reuters|AFP|UPI|CNN)\)|\bby (?:the )?(?:associated press|reuters)\b"
    headline = pl.when(pl.col("headline").str.strip_chars() != "").then(pl.col("headline"))
    if not ncfg.infer_headlines:
        cleaned = cleaned.with_columns(pl.lit(None, dtype=pl.String).alias("inferred_headline"))
    body = cleaned["clean_body"].fill_null("")
    out = cleaned.select(
        "id",
        "outlet",
        "published",
        "headline",
        clean_headlines(pl.coalesce(headline, pl.col("inferred_headline")))
        .fill_null("")
        .alias("headline_norm"),
        pl.lit(body).alias("body_clean"),
        pl.coalesce(
            _opening(wire_tag, 0)
            .str.replace_all(r"^by |^the |[()]", "")
            .str.replace(r"^(?:by )?(?:the )?associated press$", "ap"),
            pl.col("body")
            .fill_null("")
            .str.slice(0, 600)
            .str.extract_all(_OCR_TAG)
            .list.eval(
                fold_expr(pl.element()).replace_strict(_OCR_WIRES, default=None).drop_nulls()
            )
            .list.first(),
        )
        .fill_null("")
        .alias("wire"),
        _opening(DATELINE_DATE, 1)
        .str.replace_all(r"[.\s]+", " ")
        .fill_null("")
        .alias("dateline_date"),
        fold_expr(_opening(DATELINE_CITY, 1)).fill_null("").alias("dateline_city"),
        _opening(WIRE_DATELINE_DATE, 1)
        .str.replace_all(r"[.\s]+", " ")
        .fill_null("")
        .alias("wire_dateline_date"),
        "boilerplate_paras",
        pl.when(pl.col("headline").is_null())
        .then(pl.col("body").str.slice(0, 80))
        .alias("body_start"),
    ).with_columns(
        pl.col("headline_norm").str.count_matches(r"\w+").cast(pl.UInt32).alias("headline_words"),
        (pl.col("wire") != "").alias("wire_byline"),
        pl.col("headline_norm")
        .str.extract_all(
            r"\d+(?:[.,/]\d+)*|\b(?:one|two|three|four|five|six|seven|eight|nine|ten"
            r"|eleven|twelve|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|"
            + "|".join(f"{d}day" for d in _WEEKDAYS)
            + r")\b"
        )
        .list.unique()
        .list.sort()
        .list.join(" ")
        .fill_null("")
        .alias("headline_figures"),
    )
    generic_flag = pl.col("headline_norm").str.contains(
        rf"^(?:{generic})\b" if generic else r"^\b$"
    ) | (pl.col("headline_words") < 3)
    out = out.with_columns(
        generic_flag.alias("headline_generic"),
        pl.col("headline_norm").str.contains(ROUNDUP_HEADLINE).alias("roundup_headline"),
    )
    form = cleaned.select(
        *form_columns(pl.lit(body), pl.col("body")), weekday_mask(pl.col("body")).alias("weekdays")
    )
    by_form = roundup_by_form(
        out["headline_norm"], form["roundup_items"], form["roundup_stamps"], vcfg
    )
    return out.with_columns(
        pl.col("roundup_headline") | pl.Series(by_form), form["weekdays"]
    ).with_columns(
        item_openings(pl.col("body_clean"), pl.col("roundup_headline")).alias("roundup_openings")
    )


def prepare(
    df: pl.DataFrame,
    config: Config,
    *,
    progress: Callable[[int], None] | None = None,
    raw_bodies: TextStore | None = None,
    order: np.ndarray | None = None,
    release_raw: bool = False,
) -> Prepared:
    """Normalise and sign every article. ``progress(n)`` is called as batches finish.

    Two passes over batches on a thread pool: split paragraphs (then learn boilerplate from
    the whole corpus), then clean, normalise, tokenise and sign each batch. Only signatures
    and cleaned text are kept; shingle arrays live for one batch.

    ``raw_bodies``: the input bodies held in a ``TextStore`` (blocks of ``batch_size``
    rows, see ``offload_bodies``) when ``df`` has no body column, so a large corpus's raw
    text is not held as strings for the whole stage. ``release_raw``: the caller gives the
    store up; each block then keeps only its rows with no usable text (the ``rejected``
    table's) once signed, so raw and cleaned text are not both held whole at the stage's
    end (``raw_bodies`` is changed in place).

    ``order``: the rows of ``df`` in the order ``Prepared`` lists them (row ``i`` of the
    result is ``df`` row ``order[i]``; the Detector passes id order). Batches are read in
    ``df``'s own order, so its bodies can come block by block as stored; the outputs are
    permuted at the end (signature matrices in place, column slices at a time; the cleaned
    bodies through ``TextStore.reordered``). The boilerplate sample is taken in ``order``,
    so the result does not depend on ``df``'s order.
    """
    scfg, ncfg = config.signature, config.normalize
    n = df.height
    if order is not None:
        order = np.asarray(order, dtype=np.int64)
        if len(order) != n:
            raise ValueError(f"order has {len(order)} rows, df {n}")
    size = scfg.batch_size
    starts = list(range(0, n, size))
    body_sig = page_array((n, scfg.num_perm), np.uint32)  # compacted in place later
    lead_sig = np.empty((n, scfg.lead_num_perm), dtype=np.uint32)
    head_sig = np.empty((n, scfg.headline_num_perm), dtype=np.uint32)
    counts = np.zeros(n, dtype=np.int64)
    figures = np.zeros((n, FIGURES), dtype=np.uint32)
    words = np.zeros(n, dtype=np.int64)
    parts: dict[int, pl.DataFrame] = {}
    if raw_bodies is None:
        compress = compress_bodies(df, config)
    else:
        compress = raw_bodies.compress
        if raw_bodies.starts() != starts:
            raise ValueError("raw_bodies blocks must be batch_size rows each")
    bodies = TextStore(compress=compress)

    def rows_of(sub: pl.DataFrame, start: int) -> pl.DataFrame:
        """A batch with its raw bodies."""
        if raw_bodies is None:
            return sub
        return sub.with_columns(raw_bodies.block(start).alias("body"))

    # Learning reads at most `boilerplate_sample` articles per outlet: site furniture recurs in
    # nearly every article of an outlet, so a sample finds it at a fraction of the cost.
    learn_df = df
    if ncfg.boilerplate_sample > 0:
        outlets = df["outlet"] if order is None else df["outlet"].gather(order)
        picked = (
            outlets.to_frame("outlet")
            .select(boilerplate_sample(pl.col("outlet"), ncfg.boilerplate_sample))
            .to_series()
            .to_numpy()
        )
        if order is not None:  # the sample in ``order``, as rows of ``df``
            rows = np.zeros(n, dtype=bool)
            rows[order[picked]] = True
            picked = rows
        sample = pl.Series(picked)
        learn_df = df.filter(sample)
        if raw_bodies is not None:
            bodies_ = raw_bodies.get(np.flatnonzero(picked))
            learn_df = learn_df.with_columns(bodies_.alias("body"))
    elif raw_bodies is not None:
        learn_df = df.with_columns(raw_bodies.get(np.arange(n)).alias("body"))
    learn_starts = list(range(0, learn_df.height, size))

    def split(frame: pl.DataFrame, start: int) -> pl.DataFrame:
        # Only what learning needs, without the text: memory stays small.
        paras = paragraphs(frame.slice(start, size), config=ncfg)
        return learning_view(paras, config=ncfg).with_columns(pl.col("_doc") + start)

    def run(start: int) -> int:
        stop = min(start + size, n)
        batch = rows_of(df.slice(start, size), start)
        part, sigs, words[start:stop], counts[start:stop] = sign_batch(
            batch, config, learned=learned
        )
        body_sig[start:stop], lead_sig[start:stop], head_sig[start:stop], figures[start:stop] = sigs
        bodies.put(start, part["body_clean"])
        if release_raw and raw_bodies is not None:  # only ``_rejected`` reads them again
            unusable = (words[start:stop] == 0) & (part["headline_words"].to_numpy() == 0)
            body = batch["body"].cast(pl.String)
            raw_bodies.put(
                start,
                body.zip_with(
                    pl.Series(unusable), pl.repeat(None, len(body), dtype=pl.String, eager=True)
                ),
            )
        parts[start] = part.drop("body_clean")
        return stop - start

    pool = ThreadPoolExecutor(scfg.workers) if scfg.workers > 1 and len(starts) > 1 else None
    mapper = pool.map if pool is not None else map
    try:
        learned = None
        if ncfg.learn_boilerplate and learn_df.height < min_learning_docs(ncfg):
            # Too few articles for any learning test: an empty table, as learning gives.
            learned = pl.DataFrame(schema={"_outlet": pl.String, "_key": pl.UInt64})
        elif ncfg.learn_boilerplate and learn_starts:
            views = list(mapper(split, [learn_df] * len(learn_starts), learn_starts))
            learned = learn_from_paragraphs(pl.concat(views), config=ncfg)
            del views
        # The learning sample's raw bodies (~100 per outlet) are not read again: drop them
        # before the signing pass's batches are alive.
        del learn_df
        for done in mapper(run, starts):
            if progress:
                progress(done)
    finally:
        if pool is not None:
            pool.shutdown()
    docs = (
        pl.concat([parts[s] for s in starts])
        if starts
        else normalize_corpus(df, config).drop("body_clean")
    )
    parts.clear()
    if not starts:
        bodies.put(0, pl.Series([], dtype=pl.String))
    rejected = None
    source = df.drop("body", strict=False)
    if order is not None:
        usable = (words > 0) | (docs["headline_words"].to_numpy() > 0)
        rejected = _rejected(df, pl.Series(usable), raw_bodies, order)
        docs, source = docs[order], source[order]
        words, counts = words[order], counts[order]
        for matrix in (body_sig, lead_sig, head_sig, figures):
            _permute_rows(matrix, order)
        bodies = bodies.reordered(order)
    docs = docs.with_columns(
        pl.Series("body_words", words, dtype=pl.UInt32),
        pl.Series("body_shingles", counts, dtype=pl.UInt32),
    ).with_columns(((pl.col("body_words") > 0) | (pl.col("headline_words") > 0)).alias("usable"))
    docs = docs.with_columns(_learned_generic(docs, lead_sig).alias("headline_generic"))
    return Prepared(
        docs=docs,
        body_sig=body_sig,
        lead_sig=lead_sig,
        headline_sig=head_sig,
        source=source,
        bodies=bodies,
        rejected=_rejected(df, docs["usable"], raw_bodies) if rejected is None else rejected,
        learned=learned,
        config=config,
        figures=figures,
    )


def _permute_rows(matrix: np.ndarray, order: np.ndarray, *, cells: int = 8_000_000) -> None:
    """``matrix[:] = matrix[order]`` with a temporary of at most ~``cells`` values (a few
    columns at a time), not a second copy of the whole matrix."""
    if matrix.shape[0] == 0:
        return
    step = max(1, cells // matrix.shape[0])
    for lo in range(0, matrix.shape[1], step):
        matrix[:, lo : lo + step] = matrix[order, lo : lo + step]


FIGURES = 13  # distinct figures kept per body (hashes; 0 = none) + a whole-body flag
FIGURE_CHARS = 1000  # figures are read from the first characters of the cleaned body
_NUMBER_WORDS = "|".join(
    f"[{w[0].upper()}{w[0]}]{w[1:]}"
    for w in [
        "one",
        "two",
        "three",
        "four",
        "five",
        "six",
        "seven",
        "eight",
        "nine",
        "ten",
        "eleven",
        "twelve",
        "twenty",
        "thirty",
        "forty",
        "fifty",
        "sixty",
        "seventy",
        "eighty",
        "ninety",
    ]
)
_FIGURE = rf"\d+(?:[.,/-]\d+)*|(?-u:\b)(?:{_NUMBER_WORDS})(?-u:\b)"  # case as written


_WEEKDAYS = ("mon", "tues", "wednes", "thurs", "fri", "satur", "sun")
_WEEKDAY_BIT = {f"{d}day": 1 << i for i, d in enumerate(_WEEKDAYS)}
# As written: lower case, capitalised or in capitals (one regex pass, not one per day).
_WEEKDAY = (
    r"\b(?:"
    + "|".join(f"[{d[0].upper()}{d[0]}]{d[1:]}day|{d.upper()}DAY" for d in _WEEKDAYS)
    + r")\b"
)


def weekday_mask(body: pl.Expr) -> pl.Expr:
    """The weekdays named in the first ``2 * FIGURE_CHARS`` characters of a raw body, one bit
    each (UInt8, 0 = none): the day a notice reports ("to add reserves on Tuesday") is one of
    its figures, which the same template filled in the next day changes even where its
    numbers repeat (``body_checks.figures_changed``). Read in the raw body: the boilerplate
    learner may strip a notice's recurring sentence that names the day from the source's
    own pages. Page furniture that names days (a forecast) only adds days, and a page
    whose days include the other's is not told apart."""
    head = body.fill_null("").str.slice(0, 2 * FIGURE_CHARS)
    return (
        head.str.extract_all(_WEEKDAY)
        .list.eval(
            pl.element().str.to_lowercase().replace_strict(_WEEKDAY_BIT, return_dtype=pl.UInt8)
        )
        .list.unique()
        .list.sum()
        .fill_null(0)
        .cast(pl.UInt8)
    )


def figure_hashes(body: pl.Series, k: int = FIGURES) -> np.ndarray:
    """The first ``k`` distinct figures ("1.5", "6-3/16", "2019") in the first
    ``FIGURE_CHARS`` characters of each body, as nonzero 32-bit hashes (rows padded with 0).

    Copies of one filing keep their figures; the same template filled in on another day
    (auction results, money supply, a daily market report) changes them. The last column
    is a flag instead of a figure: 1 when the whole body was read (short enough, fewer than
    ``k - 1`` figures), so two such bodies can be required to agree on every figure.
    Spelled-out numbers count ("two billion" vs "1.5 billion"), as written (copies keep
    their case)."""
    out = np.zeros((body.len(), k), dtype=np.uint32)
    k -= 1
    found = body.str.slice(0, FIGURE_CHARS).str.extract_all(_FIGURE)
    found = found.list.unique(maintain_order=True).list.head(k).fill_null([])
    lengths = found.list.len().fill_null(0).to_numpy().astype(np.int64)
    whole = (body.str.len_chars().fill_null(0).to_numpy() <= FIGURE_CHARS) & (lengths < k)
    out[:, k] = whole
    values = found.explode().drop_nulls()
    if values.len():
        hashed = (values.hash(seed=7).to_numpy() & 0xFFFFFFFF).astype(np.uint32)
        hashed[hashed == 0] = 1
        rows = np.repeat(np.arange(body.len()), lengths)
        starts = np.concatenate([np.zeros(1, dtype=np.int64), np.cumsum(lengths)[:-1]])
        cols = np.arange(len(rows)) - np.repeat(starts, lengths)
        out[rows, cols] = hashed
    return out


def sign_batch(
    batch: pl.DataFrame, config: Config, *, learned: pl.DataFrame | None
) -> tuple[pl.DataFrame, tuple[np.ndarray, ...], np.ndarray, np.ndarray]:
    """Normalise and sign one batch of articles (every engine's per-article step).

    Returns ``(normalize_corpus(batch) with body_clean, (body, lead, headline signatures,
    figure hashes), body words, distinct body shingles)``. ``learned``: corpus-wide
    boilerplate keys. Rows are independent of each other: any split of a corpus into
    batches gives the same rows.
    """
    scfg = config.signature
    part = normalize_corpus(batch, config, learned=learned)
    body = part["body_clean"]
    options = {
        "n": scfg.body_ngram,
        "num_perm": scfg.num_perm,
        "lead_num_perm": scfg.lead_num_perm,
        "lead_words": scfg.lead_words,
        "seed": scfg.seed,
        "scheme": scfg.scheme,
    }
    out = sign_texts(body, fold=True, **options)
    wide = np.flatnonzero(out[-1])
    if len(wide):  # characters beyond the on-the-fly fold: normalise those texts first
        fixed = sign_texts(normalize_series(body.gather(wide), collapse_spaces=False), **options)
        for whole, part_ in zip(out[:4], fixed[:4]):
            whole[wide] = part_
    hh, ho = char_shingles(part["headline_norm"], scfg.headline_ngram)
    head = minhash(hh, ho, num_perm=scfg.headline_num_perm, seed=scfg.seed)
    return part, (out[0], out[1], head, figure_hashes(body, FIGURES)), out[2], out[3]


def boilerplate_sample(outlet: pl.Expr, sample: int) -> pl.Expr:
    """Rows learning reads: the first ``sample`` rows of each outlet (all when 0)."""
    if sample <= 0:
        return pl.lit(True)
    return pl.int_range(pl.len()).over(outlet.fill_null("")) < sample


def compress_bodies(df: pl.DataFrame, config: Config) -> bool:
    """Whether ``df``'s bodies are large enough to keep compressed
    (``SignatureConfig.compress_text_above_mb``)."""
    size = df["body"].str.len_bytes().sum() or 0
    return size > config.signature.compress_text_above_mb * 1_000_000


def offload_bodies(df: pl.DataFrame, config: Config) -> tuple[pl.DataFrame, TextStore | None]:
    """Move a large corpus's bodies into a compressed ``TextStore`` for ``prepare``: returns
    ``(df without body, store)``, or ``(df, None)`` when the bodies are small. The caller
    must drop its own reference to ``df`` for the strings to be freed."""
    if not compress_bodies(df, config):
        return df, None
    scfg = config.signature
    store = TextStore(compress=True)
    starts = range(0, df.height, scfg.batch_size)
    body = df["body"]
    with ThreadPoolExecutor(max(1, scfg.workers)) as pool:
        list(pool.map(lambda s: store.put(s, body.slice(s, scfg.batch_size)), starts))
    return df.drop("body"), store


def _rejected(
    df: pl.DataFrame,
    usable: pl.Series,
    raw_bodies: TextStore | None,
    order: np.ndarray | None = None,
) -> pl.DataFrame:
    """Full input rows of the articles with no usable text (in ``order``, if given)."""
    unusable = ~usable.to_numpy()
    rows = np.flatnonzero(unusable) if order is None else order[unusable[order]]
    out = df[rows]
    if raw_bodies is not None:
        out = out.with_columns(raw_bodies.get(rows).alias("body"))
        out = out.select(*STANDARD_COLUMNS, pl.exclude(STANDARD_COLUMNS))
    return out


def _learned_generic(docs: pl.DataFrame, lead_sig: np.ndarray) -> pl.Series:
    if docs.height < LEARNED_GENERIC_DOCS:  # nothing to learn from (a one-article query)
        return docs["headline_generic"]
    slot = pl.Series("_slot", lead_sig[:, 0] if lead_sig.shape[0] else [], dtype=pl.UInt32)
    frame = docs.select("headline_norm", "headline_generic", "body_words").with_columns(slot)
    return learned_generic(frame)


LEARNED_GENERIC_DOCS = 3  # articles with bodies under one headline (see ``learned_generic``)
LABEL_WORDS = 5  # longest headline learned as generic (see ``learned_generic``)


def learned_generic(frame: pl.DataFrame) -> pl.Series:
    """A headline is generic when it tops several articles that are clearly different stories.

    ``frame``: ``headline_norm, headline_generic, body_words, _slot`` (the first lead
    MinHash value); rows only interact within one ``headline_norm``, so any engine may
    evaluate this per headline group. Heuristic: at least 3 articles with bodies share the
    normalised headline, and their leads mostly disagree on the first MinHash slot (copies
    of one story agree on it with probability equal to their lead Jaccard, so copies rarely
    trip this). Only a short headline (at most ``LABEL_WORDS`` words: a section label such
    as "Local news" or "Morning report") is learned: a sentence-long headline names one
    story, and a wire keeps it while it re-files the story with new tops (its versions'
    leads disagree too).
    """
    with_body = pl.col("body_words") > 0
    n_docs = with_body.sum().over("headline_norm")
    n_leads = pl.col("_slot").filter(with_body).n_unique().over("headline_norm")
    label = pl.col("headline_norm").str.count_matches(r"\S+") <= LABEL_WORDS
    learned = (
        (n_docs >= LEARNED_GENERIC_DOCS)
        & (n_leads >= 0.75 * n_docs)
        & (pl.col("headline_norm") != "")
        & label
    )
    return frame.select(
        (pl.col("headline_generic") | learned).alias("headline_generic")
    ).to_series()
