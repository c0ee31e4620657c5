"""Text cleanup: unicode, case, quotes, datelines, bylines, site boilerplate.

Two layers, both vectorised over polars columns:

* ``clean_bodies`` works on raw paragraphs and removes what is not the story: datelines
  ("HELSINKI (AP) —"), bylines, copyright lines, share/subscribe/weather widgets, aggregator
  tails ("See the original post here:" and the link list after it), and paragraphs *learned*
  as boilerplate because they recur across many different articles of one outlet.
* ``normalize_text`` folds what differs between copies of the same words: NFKC, case, quote
  and dash variants, apostrophes (removed without splitting the word, so "Gomez’s" meets the
  damaged "Gomezs"), whitespace.

Raw text is never modified in place: callers keep the original columns.
"""

from __future__ import annotations

import polars as pl

from syndup.config import NormalizeConfig

WIRE_TAGS = r"(?:AP|Reuters|AFP|UPI|CNN|Bloomberg|dpa|Xinhua|CP|PA)"

# A dateline opens the first paragraph: "HELSINKI (AP) — ", "NEW YORK, Jan 5 (Reuters) - ",
# "LONDON — ". Capitals, optional ", Month day", optional wire tag, then a dash.
_DATELINE = (
    r"^\s*[A-Z][A-Z.'’\- ]{1,40}(?:,\s*[A-Z][A-Za-z.]*(?:\s+\d{1,2})?)*"
    rf"\s*(?:\({WIRE_TAGS}\)\s*)?[—–-]{{1,2}}\s+"
)
_WIRE_DATELINE = rf"^\s*(?:[A-Za-z][A-Za-z.'’\- ,0-9]{{1,50}})?\s*\({WIRE_TAGS}\)\s*[—–:-]*\s*"

# Whole paragraphs that are not story text. Matched case-insensitively on the stripped
# paragraph; the length cap keeps real sentences that merely start the same way.
_BOILERPLATE_SHORT = [
    r"(?:the\s+)?associated press|reuters|afp|upi|cnn wire|reuters staff",
    r"by (?:the )?(?:associated press|reuters(?: staff)?|afp|cnn wire)",
    r"(?:copyright|©|\(c\)).{0,200}",
    r".{0,120}all rights reserved\.?.{0,200}",
    r".{0,80}may not be published, broadcast, rewritten,? or redistributed.{0,80}",
    r"advertisement|ad|sponsored(?: content)?|story continues below(?: advertisement)?",
    r"(?:share|tweet|email|print|save)(?: this)?(?: story| article| post)?(?:\s*[|:,]?\s*"
    r"(?:facebook|twitter|email|share|linkedin|reddit|whatsapp|pinterest|print))*",
    r".{0,40}(?:subscribe|sign up|newsletter|follow us|download our app|get the app).{0,100}",
    r".{0,30}(?:today|tonight|now|currently)\s*:?\s*-?\d{1,3}\s*°\s*[fc]?.{0,40}",
    r"(?:related|read more|more|watch|video|listen|also read|recommended|trending)\s*:.{0,200}",
    r"click here.{0,120}",
    r"(?:updated|published|posted|last updated)?\s*:?\s*(?:[a-z]{3,9}\.?\s+\d{1,2},\s+\d{4}"
    r"|\d{1,2}/\d{1,2}/\d{2,4})(?:,?\s*(?:at\s*)?\d{1,2}:\d{2}\s*(?:[ap]\.?m\.?)?\s*[a-z]{0,4})?",
    r"\d+\s+comments?|comments|leave a comment|view comments|show comments",
    # short time-stamp lines: "Updated 6:35 PM ET, Fri June 1, 2018", "Posted: 4:56 AM, ..."
    r"(?:(?:posted|updated|published|last updated)\s*:?\s*)?[\w ,.]{0,30}\d{1,2}:\d{2}\s*"
    r"(?:[ap]\.?m\.?)?\s*(?:[a-z]{2,4})?\b[\w ,.:]{0,60}",
    r"(?:posted|updated|published|last updated)\s*:.{0,60}",
    r".{0,60}contributed to this report\.?",
    r"(?:image|photo|file photo|video)\s*(?:credit)?\s*:.{0,150}",
    r"skip to (?:main )?content|close|menu|search|home|loading\.\.\.|continue reading",
]
_BOILERPLATE_RE = r"(?is)^(?:" + "|".join(_BOILERPLATE_SHORT) + r")\s*$"
# Bylines are matched case-sensitively: "By Jane Doe, Associated Press", not "By noon ...".
_BYLINE_RE = (
    r"^(?:By|BY)\s+[A-Z][\w.'’-]*(?:\s+(?:[A-Z][\w.'’-]*|and|de|da|van|von|bin))*"
    r"(?:\s*[,|]\s*[\w .'’&-]{2,80})?\s*$"
)

# Everything from an aggregator's "original post" marker on is a tail of links.
_TAIL_MARKER = (
    r"(?i)\n\s*(?:see|read|view|click here to (?:see|read)) the (?:original|full) "
    r"(?:post|article|story)(?: here)?\s*[:.]?[\s\S]*$"
)

# Headline decorations that outlets add to a wire headline.
_HEADLINE_PREFIX = (
    r"(?i)^\s*(?:opinion|editorial|analysis|watch|video|report|breaking|exclusive|update[d]?"
    r"|live|photos?|bnn in focus)\s*[:|\-–—]\s*"
)
_HEADLINE_SUFFIX = r"(?i)\s*[|\-–—]\s*(?:opinion|editorial|analysis|video|photos?)\s*$"

_APOSTROPHES = "'’‘‛`´′"
_DOUBLE_QUOTES = "\"“”„‟″«»"


def normalize_text(texts: pl.Expr) -> pl.Expr:
    """Fold case, unicode forms, quotes, dashes, apostrophes and whitespace.

    Apostrophes are deleted rather than turned into spaces so a damaged copy ("Gomezs",
    "Trumps") tokenises the same as the original ("Gomez’s", "Trump's"). Casefolding is
    approximated by lowercasing after NFKC (differs only for a few letters such as ß).
    """
    return (
        texts.str.normalize("NFKC")
        .str.to_lowercase()
        .str.replace_all(f"[{_APOSTROPHES}]", "")
        .str.replace_all(f"[{_DOUBLE_QUOTES}]", '"')
        .str.replace_all(r"[‐‑‒–—―−]", "-")
        .str.replace_all(r"\s+", " ")
        .str.strip_chars()
    )


def clean_headlines(headlines: pl.Expr) -> pl.Expr:
    """Strip headline decorations ("Opinion |", "| Opinion", "WATCH:") then normalise."""
    cleaned = headlines.str.replace(_HEADLINE_PREFIX, "").str.replace(_HEADLINE_SUFFIX, "")
    return normalize_text(cleaned)


def split_paragraphs(bodies: pl.Expr) -> pl.Expr:
    """Split raw bodies into paragraphs on blank lines, or on single newlines when a body has
    no blank line (many scrapers keep one paragraph per line)."""
    text = bodies.str.replace_all(r"\r\n?", "\n")
    has_blank = text.str.contains(r"\n\s*\n")
    # polars splits on a literal only, so mark the separators first, then split on the mark.
    marked = (
        pl.when(has_blank)
        .then(text.str.replace_all(r"\n\s*\n", "\x1e"))
        .otherwise(text.str.replace_all(r"\n", "\x1e"))
    )
    return marked.str.split("\x1e")


def clean_bodies(
    df: pl.DataFrame,
    *,
    config: NormalizeConfig,
    body_col: str = "body",
    outlet_col: str = "outlet",
    headline_col: str = "headline",
) -> pl.DataFrame:
    """Return ``df`` with ``clean_body`` (raw case, boilerplate removed), ``boilerplate_paras``
    and ``inferred_headline``.

    Scraped pages often carry no title field but open with the title as a first short line;
    when the headline is missing and the first kept paragraph is short (at most
    ``title_max_words``) and does not end like a sentence, it becomes the inferred headline
    and leaves the body.

    Learned boilerplate: a short paragraph that recurs in at least ``boilerplate_min_docs``
    articles of one outlet *alongside different stories* (the articles' longest paragraphs
    differ) is site furniture. Requiring different stories keeps an outlet that republishes
    the same wire story three times from losing the story itself. The same test runs across
    the whole corpus with ``boilerplate_min_docs_global``. Approximation: paragraphs are
    compared after normalisation, so a widget with a changing number ("72°F") is caught only
    by the fixed patterns.
    """
    body = pl.col(body_col)
    if config.strip_aggregator_tails:
        body = body.str.replace(_TAIL_MARKER, "")
    paras = (
        df.select(
            pl.int_range(pl.len(), dtype=pl.UInt32).alias("_doc"),
            pl.col(outlet_col).fill_null("").alias("_outlet"),
            (pl.col(headline_col).fill_null("").str.strip_chars() == "").alias("_no_title"),
            split_paragraphs(body).alias("_para"),
        )
        .explode("_para")
        .with_columns(pl.int_range(pl.len(), dtype=pl.UInt32).over("_doc").alias("_pos"))
        .with_columns(pl.col("_para").str.strip_chars())
        .filter(pl.col("_para").is_not_null() & (pl.col("_para").str.len_chars() > 0))
    )
    drop = pl.lit(False)
    if config.strip_boilerplate:
        drop = drop | pl.col("_para").str.contains(_BOILERPLATE_RE)
    if config.strip_bylines:
        drop = drop | pl.col("_para").str.contains(_BYLINE_RE)
    for pattern in config.extra_boilerplate:
        drop = drop | pl.col("_para").str.contains(pattern)
    paras = paras.with_columns(drop.alias("_drop"))
    if config.learn_boilerplate and paras.height:
        paras = paras.with_columns(_learned_boilerplate(paras, config).alias("_learned"))
        paras = paras.with_columns(pl.col("_drop") | pl.col("_learned"))
    kept = paras.filter(~pl.col("_drop"))
    if config.strip_datelines:
        first = pl.col("_pos") == pl.col("_pos").min().over("_doc")
        stripped = (
            pl.col("_para").str.replace(_WIRE_DATELINE, "").str.replace(_DATELINE, "")
        )
        kept = kept.with_columns(pl.when(first).then(stripped).otherwise(pl.col("_para")))
    title = (
        (pl.col("_pos") == pl.col("_pos").min().over("_doc"))
        & pl.col("_no_title")
        & (pl.col("_para").str.count_matches(r"\w+") <= config.title_max_words)
        & ~pl.col("_para").str.contains(r"[.!?\"”:]\s*$")
    )
    kept = kept.with_columns(title.alias("_title"))
    titles = kept.filter(pl.col("_title")).select(
        "_doc", pl.col("_para").alias("inferred_headline")
    )
    per_doc = (
        kept.filter(~pl.col("_title"))
        .group_by("_doc")
        .agg(pl.col("_para").str.join("\n\n").alias("clean_body"))
    )
    dropped = paras.group_by("_doc").agg(pl.col("_drop").sum().alias("boilerplate_paras"))
    out = (
        df.with_columns(pl.int_range(pl.len(), dtype=pl.UInt32).alias("_doc"))
        .join(per_doc, on="_doc", how="left")
        .join(dropped, on="_doc", how="left")
        .join(titles, on="_doc", how="left")
        .drop("_doc")
        .with_columns(pl.col("boilerplate_paras").fill_null(0).cast(pl.UInt32))
    )
    return out


def _learned_boilerplate(paras: pl.DataFrame, config: NormalizeConfig) -> pl.Series:
    """Flag paragraphs that recur across different stories of one outlet (or the corpus)."""
    words = pl.col("_para").str.count_matches(r"\w+")
    keyed = paras.with_columns(
        normalize_text(pl.col("_para")).hash(seed=7).alias("_key"),
        words.alias("_words"),
    )
    # Each document's longest paragraph stands for "which story this is".
    story = (
        keyed.filter(~pl.col("_drop"))
        .sort(["_doc", "_words", "_pos"], descending=[False, True, False])
        .group_by("_doc", maintain_order=True)
        .agg(pl.col("_key").first().alias("_story"))
    )
    keyed = keyed.join(story, on="_doc", how="left")
    short = pl.col("_words") <= config.boilerplate_max_words
    flags = pl.lit(False)
    for scope, min_docs in (
        (["_outlet", "_key"], config.boilerplate_min_docs),
        (["_key"], config.boilerplate_min_docs_global),
    ):
        stories = pl.col("_story").n_unique().over(scope)
        docs = pl.col("_doc").n_unique().over(scope)
        outlet_known = pl.col("_outlet") != "" if "_outlet" in scope else pl.lit(True)
        flags = flags | (outlet_known & (docs >= min_docs) & (stories >= min_docs))
    return keyed.select(short & flags & (pl.col("_key") != pl.col("_story"))).to_series()
