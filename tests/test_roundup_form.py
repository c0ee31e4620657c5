"""Pages of several stories told by their form (``syndup.roundup_form``): a misspelt or
reordered roundup headline, a live blog's time stamps, and two roundups that open with the
same item."""

from __future__ import annotations

import polars as pl

from syndup.config import Config
from syndup.pipeline import Detector
from syndup.prepare import prepare


def _with(corpus: pl.DataFrame, *rows: dict) -> pl.DataFrame:
    extra = pl.DataFrame(
        [{"gold": r["id"], "outlet": f"Extra {r['id']}", **r} for r in rows],
        schema=corpus.schema,
    )
    return pl.concat([corpus, extra])


def _row(corpus: pl.DataFrame, id_: str) -> dict:
    return corpus.filter(pl.col("id") == id_).row(0, named=True)


def _cluster_of(result, *ids: str) -> list[str]:
    got = dict(result.assignments.select("id", "cluster_id").iter_rows())
    return [got[i] for i in ids]


def _briefs(corpus: pl.DataFrame, ids: tuple[str, ...], *, stamps: bool = False) -> str:
    """A roundup: per story its headline (or a time stamp) and its first two paragraphs."""
    parts = []
    for k, i in enumerate(ids):
        row = _row(corpus, i)
        parts.append(f"{9 - k}:1{k} p.m." if stamps else row["headline"])
        parts.append("\n\n".join(row["body"].split("\n\n")[:2]))
    return "\n\n".join(parts)


def _pages(corpus: pl.DataFrame, headline: str, body: str, n: int = 2) -> list[dict]:
    return [
        {"id": f"page-{k}", "headline": headline, "published": "2025-03-05T20:00:00Z", "body": body}
        for k in range(n)
    ]


def test_misspelt_briefs_headline_is_told_by_its_item_headings(wire_corpus) -> None:
    body = _briefs(wire_corpus, ("s1", "s2", "s3"))
    for headline in ("BRIFS", "Springfield news area in brief", "News in rbief"):
        df = _with(wire_corpus, *_pages(wire_corpus, headline, body))
        result = Detector().run(df)
        c = _cluster_of(result, "page-0", "page-1", "s1", "s1-globe", "s2", "s3")
        assert c[0] == c[1], headline  # copies of one roundup cluster together
        assert c[0] not in {c[2], c[4], c[5]}, headline  # and join none of its items
        assert c[2] == c[3]
        flags = dict(prepare(df, Config()).docs.select("id", "roundup_headline").iter_rows())
        assert flags["page-0"] and flags["page-1"], headline
        assert not flags["s1"] and not flags["s2"]


def test_headings_without_a_roundup_word_are_not_a_roundup(wire_corpus) -> None:
    body = _briefs(wire_corpus, ("s1", "s2", "s3"))
    df = _with(wire_corpus, *_pages(wire_corpus, "Grievances aired at council meeting", body))
    flags = dict(prepare(df, Config()).docs.select("id", "roundup_headline").iter_rows())
    assert not flags["page-0"]  # "grievances" is not near a roundup word


def test_live_blog_is_told_by_its_time_stamps(wire_corpus) -> None:
    body = _briefs(wire_corpus, ("s1", "s2", "s3"), stamps=True)
    df = _with(wire_corpus, *_pages(wire_corpus, "The 21.-~Fred Lutest: levee vote and more", body))
    result = Detector().run(df)
    c = _cluster_of(result, "page-0", "page-1", "s1", "s2", "s3")
    assert c[0] == c[1] and c[0] not in set(c[2:])
    flags = dict(prepare(df, Config()).docs.select("id", "roundup_headline").iter_rows())
    assert flags["page-0"] and flags["page-1"]


def test_two_roundups_opening_with_the_same_item_stay_apart(wire_corpus) -> None:
    rows = [
        {
            "id": f"briefs-{k}",
            "headline": "News in brief",
            "published": "2025-03-05T20:00:00Z",
            "body": _briefs(wire_corpus, ids),
        }
        for k, ids in enumerate(
            (("s1", "s2", "s3", "s5"), ("s1", "s2", "s3", "s5"), ("s1", "s2", "s3", "s4"))
        )
    ]
    result = Detector().run(_with(wire_corpus, *rows))
    c = _cluster_of(result, "briefs-0", "briefs-1", "briefs-2")
    assert c[0] == c[1]  # copies of one roundup
    assert c[2] != c[0]  # another site's briefs: three of its four items, not the same items
