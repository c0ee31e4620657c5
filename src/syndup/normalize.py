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

import numpy as np
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
# paragraph; the length cap keeps real sentences that merely start the same way. Each
# pattern comes with literals (ASCII case-insensitive), one of which a matching paragraph
# must hold: the regex runs only on short paragraphs holding one, and on tiny ones (menus,
# "AD"), since a literal scan is far cheaper than a regex on every story paragraph.
_WIRES = ["associated press", "reuters", "afp", "upi", "cnn"]
_DIGIT_COLON = [f"{d}:" for d in range(10)]
_BOILERPLATE = [
    (r"(?:the\s+)?associated press|reuters|afp|upi|cnn wire|reuters staff", _WIRES),
    (r"by (?:the )?(?:associated press|reuters(?: staff)?|afp|cnn wire)", _WIRES),
    (r"(?:copyright|©|\(c\)).{0,200}", ["copyright", "©", "(c)"]),
    (r".{0,120}all rights reserved\.?.{0,200}", ["rights reserved"]),
    (
        r".{0,80}may not be published, broadcast, rewritten,? or redistributed.{0,80}",
        ["may not be published"],
    ),
    (
        r"advertisement|ad|sponsored(?: content)?|story continues below(?: advertisement)?",
        ["advertis", "sponsor", "story continues"],
    ),
    (
        r"(?:share|tweet|email|print|save)(?: this)?(?: story| article| post)?(?:\s*[|:,]?\s*"
        r"(?:facebook|twitter|email|share|linkedin|reddit|whatsapp|pinterest|print))*",
        ["share", "tweet", "email", "print", "save"],
    ),
    (
        r".{0,40}(?:subscribe|sign up|newsletter|follow us|download our app|get the app).{0,100}",
        ["subscri", "sign up", "newsletter", "follow us", "download our app", "get the app"],
    ),
    (r".{0,30}(?:today|tonight|now|currently)\s*:?\s*-?\d{1,3}\s*°\s*[fc]?.{0,40}", ["°"]),
    (
        r"(?:related|read more|more|watch|video|listen|also read|recommended|trending)\s*:.{0,200}",
        [":"],
    ),
    (r"click here.{0,120}", ["click here"]),
    (
        r"(?:updated|published|posted|last updated)?\s*:?\s*(?:[a-z]{3,9}\.?\s+\d{1,2},\s+\d{4}"
        r"|\d{1,2}/\d{1,2}/\d{2,4})(?:,?\s*(?:at\s*)?\d{1,2}:\d{2}\s*(?:[ap]\.?m\.?)?\s*[a-z]{0,4})?",
        [", 19", ", 20", "/"],
    ),
    (r"\d+\s+comments?|comments|leave a comment|view comments|show comments", ["comment"]),
    # short time-stamp lines: "Updated 6:35 PM ET, Fri June 1, 2018", "Posted: 4:56 AM, ..."
    (
        r"(?:(?:posted|updated|published|last updated)\s*:?\s*)?[0-9a-z_ ,.]{0,30}\d{1,2}:\d{2}\s*"
        r"(?:[ap]\.?m\.?)?\s*(?:[a-z]{2,4})?(?-u:\b)[0-9a-z_ ,.:]{0,60}",
        _DIGIT_COLON,
    ),
    (r"(?:posted|updated|published|last updated)\s*:.{0,60}", ["posted", "updated", "published"]),
    (r".{0,60}contributed to this report\.?", ["contributed"]),
    (r"(?:image|photo|file photo|video)\s*(?:credit)?\s*:.{0,150}", ["image", "photo", "video"]),
    (
        r"skip to (?:main )?content|close|menu|search|home|loading\.\.\.|continue reading",
        ["skip to", "loading...", "continue reading"],
    ),
]
_BOILERPLATE_RES = [(r"(?is)^(?:" + p + r")\s*$", lits) for p, lits in _BOILERPLATE]
# Bylines are matched case-sensitively: "By Jane Doe, Associated Press", not "By noon ...".
# (Letters are spelled out as ASCII plus Latin-1/Latin Extended-A, B: the regex compiles
# per batch, and Unicode-wide classes take milliseconds to compile.)
_NAME = r"[A-Za-z0-9_.'’\-\u00C0-\u024F]"
_BYLINE_RE = (
    rf"^(?:By|BY)\s+[A-Z]{_NAME}*(?:\s+(?:[A-Z]{_NAME}*|and|de|da|van|von|bin))*"
    rf"(?:\s*[,|]\s*[A-Za-z0-9_ .'’&\-\u00C0-\u024F]{{2,80}})?\s*$"
)

_SHORT_BYTES = 300
_TINY_BYTES = 24
# Bytes left out of a paragraph's key: ASCII quotes and the UTF-8 bytes of ’ ‘ “ ”.
_KEY_SKIP = np.zeros(256, dtype=np.bool_)
_KEY_SKIP[[0x22, 0x27, 0xE2, 0x80, 0x98, 0x99, 0x9C, 0x9D]] = True

# A line that starts like an aggregator's "original post" marker ends the story: the rest
# is a tail of links. Matched ASCII case-insensitively at the start of any line but the
# first (leading whitespace allowed), in the paragraph-splitting pass.
_TAIL_PHRASES = [
    f"{verb} the {which} {what}"
    for verb in ("see", "read", "view", "click here to see", "click here to read")
    for which in ("original", "full")
    for what in ("post", "article", "story")
]
_TAILS = np.zeros((len(_TAIL_PHRASES), max(map(len, _TAIL_PHRASES))), dtype=np.uint8)
for _k, _phrase in enumerate(_TAIL_PHRASES):
    _TAILS[_k, : len(_phrase)] = np.frombuffer(_phrase.encode(), dtype=np.uint8)
_TAIL_LENGTHS = np.array([len(p) for p in _TAIL_PHRASES], dtype=np.int64)


# Headline decorations that outlets add to a wire headline, and the wires' own version
# tags ("UPDATE 3-", "REFILE-", "CORRECTED-"): every version of a story keeps its headline.
# One decoration ("UPDATE 2-"); ``_HEADLINE_PREFIX`` strips any run of them from the start
# ("EXCLUSIVE-UPDATE 1-").
HEADLINE_PREFIX = (
    r"(?i)\s*(?:opinion|editorial|analysis|watch|video|report|breaking|exclusive"
    r"|(?:update[d]?|refile|corrected|rpt)(?:\s*\d{1,2})?"
    r"|live|photos?|bnn in focus)\s*[:|\-–—]\s*"
)
_HEADLINE_PREFIX = f"(?i)^(?:{HEADLINE_PREFIX.removeprefix('(?i)')})+"
_HEADLINE_SUFFIX = r"(?i)\s*[|\-–—]\s*(?:opinion|editorial|analysis|video|photos?)\s*$"

_APOSTROPHES = "'’‘‛`´′"
_DOUBLE_QUOTES = "“”„‟″«»"
_DASHES = "‐‑‒–—―−"
_FOLD_FROM = [*_APOSTROPHES, *_DOUBLE_QUOTES, *_DASHES]
_FOLD_TO = [""] * len(_APOSTROPHES) + ['"'] * len(_DOUBLE_QUOTES) + ["-"] * len(_DASHES)


def normalize_text(texts: pl.Expr) -> pl.Expr:
    """Fold case, unicode forms, quotes, dashes, apostrophes and whitespace.

    Apostrophes are deleted rather than turned into spaces so a damaged copy ("Gomezs",
    "Trumps") tokenises the same as the original ("Gomez’s", "Trump's"). Casefolding is
    approximated by lowercasing after NFKC (differs only for a few letters such as ß).
    """
    return (
        texts.str.normalize("NFKC")
        .str.to_lowercase()
        .str.replace_many(_FOLD_FROM, _FOLD_TO)
        .str.replace_all(r"\s+", " ")
        .str.strip_chars()
    )


def normalize_series(texts: pl.Series, *, collapse_spaces: bool = True) -> pl.Series:
    """``normalize_text`` for a Series, faster on mostly-ASCII text: quotes and dashes are
    folded first, then NFKC runs only on the texts that still hold non-ASCII characters.
    ``collapse_spaces=False`` keeps runs of whitespace (tokenisers do not care)."""
    folded = texts.str.to_lowercase().str.replace_many(_FOLD_FROM, _FOLD_TO)
    wide = folded.str.contains(r"[^\x00-\x7F]").fill_null(False)
    if wide.any():
        idx = wide.arg_true()
        fixed = normalize_text(pl.lit(folded.gather(idx))).alias("x")
        folded = folded.scatter(idx, pl.select(fixed).to_series())
    if collapse_spaces:
        folded = folded.str.replace_all(r"\s+", " ")
    return folded.str.strip_chars()


def clean_headlines(headlines: pl.Expr) -> pl.Expr:
    """Strip headline decorations ("Opinion |", "| Opinion", "WATCH:") then normalise."""
    cleaned = headlines.str.replace(_HEADLINE_PREFIX, "").str.replace(_HEADLINE_SUFFIX, "")
    return normalize_text(cleaned)


_TAG = r"</?[A-Za-z][A-Za-z0-9]*(?:\s[^<>]{0,400})?/?>|<!--.{0,400}?-->"
_ENTITY = r"&(?:nbsp|amp|quot|apos|lt|gt|#[0-9]{1,6}|#x[0-9A-Fa-f]{1,5});"
_ENTITY_TEXT = {"&amp;": "&", "&quot;": '"', "&apos;": "'", "&lt;": "<", "&gt;": ">"}


def one_line_paragraphs(body: pl.Series) -> pl.Series:
    """Every line break ends a paragraph: a single line break becomes a blank line.

    Scraped pages put their template one item a line (site name, date line, navigation,
    cookie prompt, share bar, tags, related headlines, footer links) inside one
    blank-line-delimited block with the byline or the story's first lines; split per line,
    each template line is a paragraph the boilerplate learner can recognise across the
    outlet's pages. Trade-off: hard-wrapped prose (wire archives, OCR) becomes one paragraph
    a line; its lines seldom recur across different stories, so they are kept, but the
    "longest paragraph" that stands for the story is then a line. Only bodies holding a
    line break between text are touched."""
    single = body.str.contains(r"[^\r\n][\r\n]+[^\r\n]").fill_null(False)
    if not single.any():
        return body
    idx = single.arg_true()
    return body.scatter(idx, body.gather(idx).str.replace_all(r"\r\n?|\n", "\n\n"))


def strip_markup(body: pl.Series) -> pl.Series:
    """HTML tags and entities left in scraped bodies, removed (``&nbsp;`` -> space, a block
    tag -> paragraph break, ``&amp;`` -> ``&``). A page whose text is only markup
    (``<p>&nbsp;</p><div></div>``) becomes empty, so it is rejected as having no usable
    text instead of clustering on its tags. Only bodies holding ``<`` or ``&`` are touched.
    Approximation: numeric entities other than quotes are dropped, not decoded."""
    suspect = body.str.contains_any(["<", "&"]).fill_null(False)
    if not suspect.any():
        return body
    idx = suspect.arg_true()
    part = body.gather(idx)
    block = (
        r"(?i)</?(?:p|div|br|li|ul|ol|h[1-6]|tr|table|section|article|blockquote)\b[^<>]{0,400}>"
    )
    part = (
        part.str.replace_all(block, "\n\n")
        .str.replace_all(_TAG, " ")
        .str.replace_all(r"&(?:#39|#8217|#x27);", "'")
        .str.replace_all(r"&(?:#8220|#8221|#34);", '"')
        .str.replace_many(list(_ENTITY_TEXT), list(_ENTITY_TEXT.values()))
        .str.replace_all(_ENTITY, " ")
    )
    return body.scatter(idx, part)


def _paragraphs(
    df: pl.DataFrame, config: NormalizeConfig, body_col: str, outlet_col: str, headline_col: str
) -> pl.DataFrame:
    import pyarrow as pa

    from syndup._kernels import split_paragraphs
    from syndup.shingle import text_bytes

    body = strip_markup(df[body_col])
    tails = _TAIL_LENGTHS if config.strip_aggregator_tails else _TAIL_LENGTHS[:0]
    # One compiled pass: split at every line break (``one_line_paragraphs``, done by the
    # kernel without rewriting the text), strip, count words, and key each paragraph on its
    # ASCII-lowercased text without quotes and apostrophes (so the usual quote edits between
    # copies do not make a paragraph look like a different one); each document's longest
    # paragraph stands for "which story this is".
    data, offsets = text_bytes(body)
    doc, words, keys, story, text, text_offsets = split_paragraphs(
        data, offsets, _KEY_SKIP, config.boilerplate_max_words, _TAILS, tails, every_line=True
    )
    para = pa.LargeStringArray.from_buffers(
        len(doc), pa.py_buffer(text_offsets), pa.py_buffer(text)
    )
    first = np.searchsorted(doc, doc)  # rows are grouped by doc, in order
    facts = df.select(
        pl.col(outlet_col).fill_null("").alias("_outlet"),
        (pl.col(headline_col).fill_null("").str.strip_chars() == "").alias("_no_title"),
    )
    return pl.DataFrame(
        {
            "_doc": doc,
            "_outlet": facts["_outlet"].gather(doc),
            "_no_title": facts["_no_title"].gather(doc),
            # (no paragraphs: skip the arrow import path, which loads pyarrow.compute)
            "_para": pl.Series(para, dtype=pl.String)
            if len(doc)
            else pl.Series([], dtype=pl.String),
            "_pos": (np.arange(len(doc)) - first).astype(np.uint32),
            "_key": keys,
            "_words": words,
            "_story": story,
        }
    )


def _story_beyond_template(paras: pl.DataFrame, min_docs: int) -> pl.DataFrame:
    """``_story`` re-keyed where a page's longest paragraph is its site's template: a brief
    of two sentences under a cookie prompt or a footer of links has one of them as its
    longest paragraph, which would make every brief of the site "the same story" and hide
    the template from the learner. A paragraph on ``min_docs`` or more of an outlet's pages
    cannot be what says which story a page is; the page's longest paragraph that is not so
    takes its place (none: the page keeps its key)."""
    if not paras.height:
        return paras
    on_pages = pl.col("_doc").n_unique().over("_outlet", "_key")
    recurs = (pl.col("_key") != 0) & (pl.col("_outlet") != "") & (on_pages >= min_docs)
    marked = paras.with_columns(recurs.alias("_recurs"))
    if not marked["_recurs"].any():
        return paras
    best = (
        marked.filter(~pl.col("_recurs") & (pl.col("_key") != 0))
        .sort("_doc", "_words", "_pos", descending=[False, True, False])
        .group_by("_doc", maintain_order=True)
        .agg(pl.col("_key").first().alias("_own"))
    )
    hidden = marked.filter(pl.col("_recurs") & (pl.col("_key") == pl.col("_story")))
    hidden = hidden.select("_doc").unique().join(best, on="_doc")
    return (
        paras.join(hidden, on="_doc", how="left", maintain_order="left")
        .with_columns(pl.coalesce("_own", "_story").alias("_story"))
        .drop("_own")
    )


def _learn(paras: pl.DataFrame, config: NormalizeConfig) -> pl.DataFrame:
    paras = _story_beyond_template(paras, config.boilerplate_min_docs)
    paras = paras.filter(
        (pl.col("_words") <= config.boilerplate_max_words) & (pl.col("_key") != pl.col("_story"))
    )
    found = []
    scopes = [(["_outlet", "_key"], config.boilerplate_min_docs)]
    if config.boilerplate_min_docs_global > 0:
        scopes.append((["_key"], config.boilerplate_min_docs_global))
    for scope, min_docs in scopes:
        data = paras.filter(pl.col("_outlet") != "") if "_outlet" in scope else paras
        keys = (
            data.group_by(scope)
            .agg(pl.col("_doc").n_unique().alias("docs"), pl.col("_story").n_unique().alias("st"))
            .filter((pl.col("docs") >= min_docs) & (pl.col("st") >= min_docs))
        )
        if "_outlet" not in scope:
            keys = keys.with_columns(pl.lit("").alias("_outlet"))
        found.append(keys.select("_outlet", "_key"))
        if "_outlet" in scope and config.boilerplate_shared_outlets > 0:
            found.append(_shared_template(found[-1], config.boilerplate_shared_outlets))
    if config.furniture_min_outlets > 0 and "_pos" in paras.columns:
        found.append(_recurring_furniture(paras, config))
    return pl.concat(found).unique()


def _shared_template(per_outlet: pl.DataFrame, min_outlets: int) -> pl.DataFrame:
    """Keys learned as boilerplate on at least ``min_outlets`` outlets' own pages, made
    boilerplate everywhere. Sites built on one vendor's template share its cookie prompt,
    share bar, "Related Headlines" heading and footer links; an outlet with one or two
    pages in the corpus gives its own learner nothing, but the same line is already
    known as template from the outlets that have many pages. A story's paragraph is never
    learned on one outlet (it needs four different stories around it there), so it does
    not reach several. Trade-off: a line that is template on several sites and text in a
    story (a standard disclaimer quoted in a story) is dropped from that story too."""
    return (
        per_outlet.group_by("_key")
        .agg(pl.len().alias("outlets"))
        .filter(pl.col("outlets") >= min_outlets)
        .select(pl.lit("").alias("_outlet"), "_key")
    )


def _recurring_furniture(paras: pl.DataFrame, config: NormalizeConfig) -> pl.DataFrame:
    """Keys of short paragraphs that recur near the top of pages (within the first
    ``furniture_top_paras``) on at least ``furniture_min_outlets`` outlets, in front of
    different stories. A vendor's ZIP prompt, a share bar or a caption block shows up so
    on outlets with a single page in the corpus, where the per-outlet learner has nothing
    to learn from.

    "Different stories" is tested twice: the pages' longest paragraphs differ on at least
    ``furniture_story_share`` of them, and no other paragraph (itself no such candidate)
    comes with the block on more than ``furniture_cooccur`` of its pages. A syndicated
    story's top paragraph also recurs at the top across outlets, and edited copies may
    each have another longest paragraph, but its copies share the story's next
    paragraphs; furniture shares nothing but other furniture with the pages it tops.
    Trade-off: a story printed only as its first paragraph on every page would be taken
    for furniture (its pages then keep no text to cluster on, and are rejected)."""
    top = paras.filter((pl.col("_pos") < config.furniture_top_paras) & (pl.col("_outlet") != ""))
    cand = (
        top.group_by("_key")
        .agg(
            pl.col("_outlet").n_unique().alias("outlets"),
            pl.col("_doc").n_unique().alias("docs"),
            pl.col("_story").n_unique().alias("st"),
        )
        .filter(
            (pl.col("outlets") >= config.furniture_min_outlets)
            & (pl.col("st") >= config.furniture_story_share * pl.col("docs"))
        )
    )
    if cand.height == 0:
        return pl.DataFrame(schema={"_outlet": pl.String, "_key": paras.schema["_key"]})
    held = top.join(cand.select("_key"), on="_key", how="semi").select(
        "_doc", pl.col("_key").alias("_cand")
    )
    held = held.unique()
    others = (
        paras.select("_doc", "_key")
        .join(held.select("_doc").unique(), on="_doc", how="semi")
        .join(cand.select("_key"), on="_key", how="anti")
        .unique()
    )
    shared = (
        held.join(others, on="_doc")
        .group_by("_cand", "_key")
        .agg(pl.len().alias("n"))
        .group_by("_cand")
        .agg(pl.col("n").max().alias("most"))
    )
    keys = cand.join(shared, left_on="_key", right_on="_cand", how="left").filter(
        pl.col("most").fill_null(0) <= config.furniture_cooccur * pl.col("docs")
    )
    return keys.select(pl.lit("").alias("_outlet"), "_key")


def clean_bodies(
    df: pl.DataFrame,
    *,
    config: NormalizeConfig,
    learned: pl.DataFrame | None = None,
    body_col: str = "body",
    outlet_col: str = "outlet",
    headline_col: str = "headline",
) -> pl.DataFrame:
    """Return ``df`` with ``clean_body`` (raw case, boilerplate removed), ``boilerplate_paras``
    and ``inferred_headline``.

    ``learned`` is ``learn_from_paragraphs``' output; computed from ``df`` itself when None and
    ``config.learn_boilerplate`` is on (pass it in when cleaning a corpus batch by batch).

    Scraped pages often carry no title field but open with the title as a first short line;
    when the headline is missing and the first kept paragraph is short (at most
    ``title_max_words``) and does not end like a sentence, it becomes the inferred headline
    and leaves the body.
    """
    paras = paragraphs(
        df, config=config, body_col=body_col, outlet_col=outlet_col, headline_col=headline_col
    )
    if learned is None and config.learn_boilerplate:
        learned = learn_from_paragraphs(paras, config=config)
    return clean_paragraphs(df, paras, config=config, learned=learned)


def paragraphs(
    df: pl.DataFrame,
    *,
    config: NormalizeConfig,
    body_col: str = "body",
    outlet_col: str = "outlet",
    headline_col: str = "headline",
) -> pl.DataFrame:
    """One row per non-empty paragraph: ``_doc`` (row in ``df``), ``_pos``, ``_para``,
    ``_key`` (letters-only hash), ``_words``, ``_story`` (key of the doc's longest paragraph)."""
    return _paragraphs(df, config, body_col, outlet_col, headline_col)


def learning_view(paras: pl.DataFrame, *, config: NormalizeConfig) -> pl.DataFrame:
    """The part of ``paragraphs`` that learning reads: short paragraphs' keys, no text (a
    short longest paragraph included: it may be the site's template, see
    ``_story_beyond_template``)."""
    return paras.filter(pl.col("_words") <= config.boilerplate_max_words).select(
        "_doc", "_outlet", "_key", "_story", "_words", "_pos"
    )


def learn_from_paragraphs(paras: pl.DataFrame, *, config: NormalizeConfig) -> pl.DataFrame:
    """Paragraph keys that are site furniture: columns ``_outlet`` ("" = any outlet), ``_key``.

    A short paragraph that recurs in at least ``boilerplate_min_docs`` articles of one outlet
    *alongside different stories* (the articles' longest paragraphs differ) is boilerplate.
    Requiring different stories keeps an outlet that republishes one wire story from losing
    the story itself. The same test can run across the whole corpus
    (``boilerplate_min_docs_global``, off by default: a story syndicated hundreds of times with
    small edits looks like many "different stories" sharing paragraphs, so the corpus-wide
    test would strip the story itself). Furniture is also learned by recurrence across
    outlets (``furniture_min_outlets``, see ``_recurring_furniture``): the same short block
    near the top of many outlets' pages in front of different stories. Paragraphs are
    compared lowercased without quote marks, so a widget with a changing number ("72°F")
    is left to the fixed patterns.

    ``paras`` are ``paragraphs(df)``, or its ``learning_view``.
    """
    return _learn(paras, config)


def min_learning_docs(config: NormalizeConfig) -> int:
    """The fewest articles from which ``learn_from_paragraphs`` can learn anything: every
    test counts distinct articles (per outlet and key: ``boilerplate_min_docs``; across the
    corpus: ``boilerplate_min_docs_global``; furniture: ``furniture_min_outlets`` outlets,
    each at least one article), and shared templates are built from the per-outlet keys.
    A smaller batch learns an empty table, so callers may skip the learning pass (a
    one-article query then cleans exactly as with it)."""
    tests = (
        config.boilerplate_min_docs,
        config.boilerplate_min_docs_global,
        config.furniture_min_outlets,
    )
    return min((t for t in tests if t > 0), default=1)


def literal_groups(texts: pl.Series, groups: list[list[str]]) -> np.ndarray:
    """Per text, bit ``k`` set when it holds a literal of ``groups[k]`` (ASCII
    case-insensitive, as ``str.contains_any(groups[k], ascii_case_insensitive=True)``): one
    overlapping Aho-Corasick pass over every literal instead of one pass per group. Literals
    must be lowercase (a match differs from its literal in ASCII case only)."""
    literals = sorted({lit for lits in groups for lit in lits})
    out = np.zeros(texts.len(), dtype=np.int64)
    if not literals or not texts.len():
        return out
    bits = {lit: sum(1 << k for k, lits in enumerate(groups) if lit in lits) for lit in literals}
    found = texts.str.extract_many(literals, ascii_case_insensitive=True, overlapping=True)
    lengths = found.list.len().fill_null(0).to_numpy()
    matched = found.explode().drop_nulls()  # an empty list explodes to one null
    if not matched.len():
        return out
    codes = matched.str.to_lowercase().replace_strict(bits, return_dtype=pl.Int64).to_numpy()
    np.bitwise_or.at(out, np.repeat(np.arange(texts.len()), lengths), codes)
    return out


def distinct_texts(texts: pl.Series) -> tuple[np.ndarray, np.ndarray]:
    """``(first, inverse)``: one row per distinct text (its first row) and, per row, the
    index of its text in ``first``, so ``texts.gather(first[inverse])`` equals ``texts``.

    Texts are grouped by a 64-bit hash and checked equal to their group's first row; on a
    collision (never seen) every row stands for itself. Page templates repeat the same
    lines on every page (a 5,000-page batch of templated pages: 94k paragraphs, 17k
    distinct), so per-text work runs once per distinct text."""
    n = texts.len()
    if n == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    hashes = texts.hash(seed=0).to_numpy()
    _, first, inverse = np.unique(hashes, return_index=True, return_inverse=True)
    inverse = inverse.reshape(-1)
    if not (texts.gather(first[inverse]) == texts).fill_null(True).all():
        return np.arange(n, dtype=np.int64), np.arange(n, dtype=np.int64)
    return first.astype(np.int64), inverse.astype(np.int64)


def _pattern_drop(paras: pl.DataFrame, config: NormalizeConfig) -> pl.Series:
    """Paragraphs the fixed patterns mark as boilerplate. Every test but the furniture
    runs (see ``_furniture``) depends on the paragraph's text alone, so it runs once per
    distinct text (``distinct_texts``) and is spread back to the rows."""
    if not paras.height:
        return pl.Series("_drop", np.zeros(0, dtype=bool))
    first, inverse = distinct_texts(paras["_para"])
    uniq = paras[first].select("_para", "_words")
    flags = _pattern_hits(uniq["_para"], config)
    if config.strip_boilerplate:
        flags = flags[inverse] | _furniture(paras, forms=_furniture_forms(uniq)[:, inverse])
    else:
        flags = flags[inverse]
    for pattern in config.extra_boilerplate:
        flags |= uniq["_para"].str.contains(pattern).fill_null(False).to_numpy()[inverse]
    return pl.Series("_drop", flags)


ONE_PASS_PARAS = 64  # suspect paragraphs up to which every pattern is tried in one pass


def _pattern_hits(texts: pl.Series, config: NormalizeConfig) -> np.ndarray:
    """Texts a fixed pattern (``_BOILERPLATE``, bylines) matches in whole. Boilerplate is
    short, so each regex runs only on the short texts holding one of its literals (and
    tiny ones), gathered first: polars would otherwise still pay for every row."""
    checks: list[tuple[str, list[str] | None]] = []
    if config.strip_boilerplate:
        checks += _BOILERPLATE_RES
    if config.strip_bylines:
        checks.append((_BYLINE_RE, None))  # None: paragraphs starting "By " or "BY "
    flags = np.zeros(texts.len(), dtype=bool)
    if checks and texts.len():
        literals = sorted({lit for _, lits in checks if lits for lit in lits})
        size = texts.str.len_bytes().to_numpy()
        # Literals are looked for in short paragraphs only (gathered first: story
        # paragraphs hold most of the bytes and can never match).
        short = np.flatnonzero(size <= _SHORT_BYTES)
        text = texts.gather(short)
        byline = (text.str.starts_with("By ") | text.str.starts_with("BY ")).to_numpy()
        holds = text.str.contains_any(literals, ascii_case_insensitive=True).to_numpy()
        suspect = (size[short] <= _TINY_BYTES) | holds | byline
        rows, text = short[suspect], text.filter(pl.Series(suspect))
        tiny, byline = size[rows] <= _TINY_BYTES, byline[suspect]
        held = literal_groups(text, [lits for _, lits in checks if lits])
        hit = np.zeros(len(rows), dtype=bool)
        masks, group = [], 0
        for _, lits in checks:
            if lits:
                masks.append(((held >> np.int64(group)) & 1).astype(bool) | tiny)
                group += 1
            else:
                masks.append(byline)
        if len(rows) <= ONE_PASS_PARAS:  # a few paragraphs: every regex in one pass
            found = text.to_frame("p").select(
                pl.col("p").str.contains(regex).alias(str(k)) for k, (regex, _) in enumerate(checks)
            )
            for k, mask in enumerate(masks):
                hit |= mask & found[str(k)].to_numpy()
        else:  # each regex on the texts it may match that no earlier one matched
            for (regex, _), mask in zip(checks, masks):
                todo = np.flatnonzero(mask & ~hit)
                if len(todo):
                    hit[todo[text.gather(todo).str.contains(regex).to_numpy()]] = True
        flags[rows[hit]] = True
    return flags


# Page furniture recognised by its form, line by line: photo captions with a credit line,
# "3 of 10" counters, weather widgets, ZIP-code and notification prompts, share bars.
_CREDIT = (
    r"\((?:AP|AFP|REUTERS|Reuters|EPA|Getty Images|Pool) ?Photo ?/[^()]{2,80}\)"
    r"|\([^()]{2,80}/[^()]{2,60} via (?:AP|Getty Images|Reuters)\)"
    r"|\((?:REUTERS|Reuters|AFP|EPA|Getty Images)/[^()]{2,80}\)"
    r"|\((?:Photo|Image) (?:by|courtesy of|credit:?) [^()]{2,100}\)"
)
_CREDIT_END = rf"(?i)(?:{_CREDIT})\s*[.]?$"
_FURNITURE_STRONG = (
    r"(?i)°|\b\d+-day forecast\b|\bwinds?\b.{0,20}\bmph\b|\btoday'?s high\b|\bzip(?: code)?\b"
    r"|\bnotif(?:ications?|ied|y)\b|\bnews alerts?\b|\balerts? for breaking news\b"
    r"|^(?:(?:share(?: this (?:article|story))?|share (?:on|via) \w+|facebook|twitter|x|linkedin"
    r"|email|print|copy link|whatsapp|reddit|pinterest)\s*[|]?\s*)+$"
)
# A forecast row: three or more temperature readings on one line, whatever its length.
_FORECAST = r"°.*°.*°"
_FURNITURE_WEAK = r"(?i)^(?:\d{1,2} of \d{1,2}|(?:mon|tue|wed|thu|fri|sat|sun)\w*\b.{0,30})$"
_FURNITURE_LITERALS = [
    "°",
    "photo",
    " via ",
    "reuters/",
    "afp/",
    "zip",
    "notif",
    "alert",
    "facebook",
    "forecast",
    "share",
    "mph",
]


def _furniture_forms(paras: pl.DataFrame) -> np.ndarray:
    """Per paragraph (``_para``, ``_words``), what ``_furniture`` reads of its text alone:
    rows ``(credit, form, forecast, weak)`` of a ``(4, n)`` bool array."""
    n = paras.height
    out = np.zeros((4, n), dtype=bool)
    if not n:
        return out
    para = pl.col("_para")
    words = paras["_words"].to_numpy()
    # Literals matter on lines of at most 40 words, and on longer ones only when they end
    # like a credit: looked for there only.
    text = paras["_para"]
    ends = (text.str.ends_with(")") | text.str.ends_with(").")).fill_null(False).to_numpy()
    look = np.flatnonzero((words <= 40) | ends)
    literal = np.zeros(n, dtype=bool)
    literal[look] = (
        text.gather(look)
        .str.contains_any(_FURNITURE_LITERALS, ascii_case_insensitive=True)
        .fill_null(False)
        .to_numpy()
    )
    credit, form, forecast, weak = out
    tiny = words <= 8
    weak[:] = words <= 3
    # Regexes only where they can hold: lines with a furniture literal, and short lines.
    rows = np.flatnonzero(literal & (words <= 40))
    if len(rows):
        got = paras[rows].select(
            ((para.str.ends_with(")") | para.str.ends_with(").")) & para.str.contains(_CREDIT_END))
            .fill_null(False)
            .alias("credit"),
            para.str.contains(_FURNITURE_STRONG).fill_null(False).alias("form"),
            para.str.contains(_FORECAST).fill_null(False).alias("forecast"),
        )
        credit[rows] = got["credit"].to_numpy()
        form[rows] = got["form"].to_numpy() & (words[rows] <= 16)
        forecast[rows] = got["forecast"].to_numpy()
    long_caption = np.flatnonzero(literal & (words > 40))
    if len(long_caption):
        credit[long_caption] = (
            paras[long_caption]
            .select(
                (
                    (para.str.ends_with(")") | para.str.ends_with(")."))
                    & para.str.contains(_CREDIT_END)
                ).fill_null(False)
            )
            .to_series()
        ).to_numpy()
    rows = np.flatnonzero(tiny & ~weak)
    if len(rows):
        weak[rows] = (
            paras[rows].select(para.str.contains(_FURNITURE_WEAK).fill_null(False)).to_series()
        ).to_numpy()
    return out


def _furniture(paras: pl.DataFrame, *, forms: np.ndarray | None = None) -> np.ndarray:
    """Paragraphs that are page furniture by form. Every line is a paragraph
    (``one_line_paragraphs``), so a widget is a run of consecutive furniture lines: photo
    captions ending in a credit such as "(AP Photo/Name)", weather readings, prompts, share
    bars, and short labels/buttons (three words or fewer) around them. A run is dropped
    when one of its lines is a strong one (a credit, a temperature, a prompt; a reading or
    prompt only on a short line, and on a line standing alone only when very short, since a
    story sentence may mention 102°). Captions, widgets and prompts recur across outlets in
    vendor formats, so form works where an outlet has too few pages for the boilerplate
    learner. Approximation: a short story line (a subhead of three words) next to a caption
    goes with it. ``forms``: ``_furniture_forms(paras)`` if already computed."""
    flags = np.zeros(paras.height, dtype=bool)
    if not paras.height:
        return flags
    credit, form, forecast, weak = _furniture_forms(paras) if forms is None else forms
    tiny = paras["_words"].to_numpy() <= 8
    furn = credit | form | forecast | weak
    if not furn.any():
        return flags
    doc = paras["_doc"].to_numpy()
    start = np.ones(len(doc), dtype=bool)
    start[1:] = (furn[1:] != furn[:-1]) | (doc[1:] != doc[:-1])
    run = np.cumsum(start) - 1
    several = np.bincount(run)[run] >= 2
    strong = furn & (credit | (form & (several | tiny)) | (forecast & several))
    hit = np.zeros(run[-1] + 1, dtype=bool)
    hit[run[strong]] = True
    return furn & hit[run]


def clean_paragraphs(
    df: pl.DataFrame,
    paras: pl.DataFrame,
    *,
    config: NormalizeConfig,
    learned: pl.DataFrame | None,
) -> pl.DataFrame:
    """Second half of ``clean_bodies``: drop boilerplate paragraphs of ``df`` and rejoin.

    ``paras`` are ``paragraphs(df)`` (``_doc`` counted from 0 within ``df``)."""
    paras = paras.with_columns(_pattern_drop(paras, config).alias("_drop"))
    if learned is not None and config.learn_boilerplate and learned.height:
        hit = (pl.col("_learn_outlet").is_not_null() | pl.col("_learn_any").is_not_null()) & (
            pl.col("_words") <= config.boilerplate_max_words
        )
        # A learned line is dropped even when it is the page's longest paragraph (a brief
        # under a long cookie prompt), unless every paragraph of the page would go: then
        # the longest stays, as the one paragraph that says which story this is.
        keep_story = (pl.col("_key") == pl.col("_story")) & (pl.col("_drop") | hit).all().over(
            "_doc"
        )
        paras = (
            paras.join(
                learned.filter(pl.col("_outlet") != "").with_columns(
                    pl.lit(True).alias("_learn_outlet")
                ),
                on=["_outlet", "_key"],
                how="left",
                maintain_order="left",
            )
            .join(
                learned.filter(pl.col("_outlet") == "").select(
                    "_key", pl.lit(True).alias("_learn_any")
                ),
                on="_key",
                how="left",
                maintain_order="left",
            )
            .with_columns(((pl.col("_drop") | hit) & ~keep_story).alias("_drop"))
        )
    kept = paras.filter(~pl.col("_drop"))
    # Rows are in (_doc, _pos) order: a doc's first kept paragraph is where _doc changes.
    doc = kept["_doc"].to_numpy()
    first = np.ones(len(doc), dtype=bool)
    first[1:] = doc[1:] != doc[:-1]
    idx = np.flatnonzero(first)
    heads = kept["_para"].gather(idx)
    if config.strip_datelines:
        heads = heads.str.replace(_WIRE_DATELINE, "").str.replace(_DATELINE, "")
        kept = kept.with_columns(kept["_para"].scatter(idx, heads))
    firsts = kept[idx]
    is_title = firsts.select(
        pl.col("_no_title")
        & (pl.col("_words") <= config.title_max_words)
        & ~pl.col("_para").str.contains(r"[.!?\"”:]\s*$")
    ).to_series()
    title_mask = np.zeros(len(doc), dtype=bool)
    title_mask[idx[is_title.to_numpy()]] = True
    kept = kept.with_columns(pl.Series("_title", title_mask))
    titles = kept.filter(pl.col("_title")).select(
        "_doc", pl.col("_para").alias("inferred_headline")
    )
    per_doc = (
        kept.filter(~pl.col("_title"))
        .group_by("_doc")
        .agg(pl.col("_para").str.join("\n\n").alias("clean_body"))
    )
    dropped = paras.group_by("_doc").agg(pl.col("_drop").sum().alias("boilerplate_paras"))
    return (
        df.with_columns(pl.int_range(pl.len(), dtype=pl.UInt32).alias("_doc"))
        .join(per_doc, on="_doc", how="left", maintain_order="left")
        .join(dropped, on="_doc", how="left", maintain_order="left")
        .join(titles, on="_doc", how="left", maintain_order="left")
        .drop("_doc")
        .with_columns(pl.col("boilerplate_paras").fill_null(0).cast(pl.UInt32))
    )
