"""Clean single-line titles for people (tables, reports, cluster headlines)."""

from __future__ import annotations

import numpy as np
import polars as pl

from syndup.normalize import _DATELINE, _WIRE_DATELINE  # one definition of a dateline
from syndup.textstore import TextStore

_MIN_WORDS = 10


def display_headlines(headline: pl.Series, body: pl.Series, *, width: int = 100) -> pl.Series:
    """One clean line per article for people: the headline, else the start of the body.

    ``body`` should be the *cleaned* body (datelines, bylines and site boilerplate removed),
    so a body-only record is not titled "e-mail\\n\\nNEW YORK (AP)"; a dateline left at its
    start ("NEW YORK (AP) - ") is dropped too. The body's first paragraph of at least 10
    words is read (shorter ones before it are mostly bylines, widgets and phone numbers the
    cleanup kept; a heuristic); its first sentence is used when it fits. Whitespace
    (newlines included) collapses to single spaces; text longer than ``width`` is cut at a
    word boundary with an ellipsis.
    """
    head = headline.cast(pl.String).fill_null("").str.replace_all(r"\s+", " ").str.strip_chars()
    lead = (
        body.cast(pl.String)
        .fill_null("")
        .str.slice(0, width * 6)
        .str.extract_all(r"[^\n]*\S[^\n]*(?:\n[^\n]*\S[^\n]*)*")  # paragraphs
    )
    paras = pl.DataFrame([lead.alias("p")]).select(
        pl.coalesce(
            pl.col("p")
            .list.eval(pl.element().filter(pl.element().str.count_matches(r"\S+") >= _MIN_WORDS))
            .list.first(),
            pl.col("p").list.first(),
        ).fill_null("")
    )
    lead = (
        paras.to_series()
        .str.replace_all(r"\s+", " ")
        .str.strip_chars()
        .str.replace(_WIRE_DATELINE, "")
        .str.replace(_DATELINE, "")
    )
    frame = pl.DataFrame([head.alias("h"), lead.alias("b")])
    sentence = pl.col("b").str.extract(r"^(.{20,}?[.!?])(?:\s|$)", 1)
    text = (
        pl.when(pl.col("h") != "")
        .then(pl.col("h"))
        .when(sentence.str.len_chars() <= width)
        .then(sentence)
        .otherwise(pl.col("b"))
    )
    cut = text.str.slice(0, width - 1).str.replace(r"\s+\S*$", "")
    out = frame.select(
        pl.when(text.str.len_chars() > width)
        .then(pl.concat_str([cut, pl.lit("…")]))
        .otherwise(text)
        .alias("headline")
    ).to_series()
    return out


def article_context(source: pl.DataFrame, bodies: TextStore) -> pl.DataFrame:
    """The input columns (without the body) with ``headline`` as one clean line.

    Only articles with no headline read their cleaned body back from ``bodies`` (rows align
    with ``source``), so a corpus with headlines costs nothing extra.
    """
    head = source["headline"].cast(pl.String).fill_null("")
    blank = np.flatnonzero((head.str.strip_chars() == "").to_numpy())
    body = pl.Series("body", [""] * source.height, dtype=pl.String)
    if len(blank):
        body = body.scatter(blank, bodies.get(blank))
    return source.with_columns(display_headlines(head, body).alias("headline"))
