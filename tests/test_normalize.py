"""Normalisation: what copies differ by is folded away; what is not the story is removed."""

from __future__ import annotations

import numpy as np
import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from syndup.config import NormalizeConfig
from syndup.normalize import (
    _BOILERPLATE_RES,
    _furniture,
    _pattern_drop,
    _pattern_hits,
    clean_bodies,
    clean_headlines,
    distinct_texts,
    learn_from_paragraphs,
    literal_groups,
    min_learning_docs,
    normalize_series,
    normalize_text,
    paragraphs,
)

CFG = NormalizeConfig()


def norm(text: str) -> str:
    return pl.select(normalize_text(pl.lit(text))).item()


def clean(bodies: list[str], outlets: list[str] | None = None, headlines=None) -> list[str]:
    df = pl.DataFrame(
        {
            "body": bodies,
            "outlet": outlets or ["x"] * len(bodies),
            "headline": headlines or ["h"] * len(bodies),
        }
    )
    return clean_bodies(df, config=CFG)["clean_body"].to_list()


def test_apostrophes_removed_without_splitting_words() -> None:
    assert norm("Jimmy Gomez’s ‘coronation’") == norm("Jimmy Gomezs coronation")
    assert norm("In Trump's push") == norm("In Trumps push") == "in trumps push"


def test_unicode_quotes_dashes_and_case_fold() -> None:
    assert norm("“Quote” — ﬁne ＦＵＬＬ") == '"quote" - fine full'
    series = normalize_series(pl.Series(["“Quote” — ﬁne ＦＵＬＬ", "Plain  ASCII"]))
    assert series.to_list() == ['"quote" - fine full', "plain ascii"]


def test_headline_decorations_stripped() -> None:
    heads = pl.Series(["Opinion | Mamdani Has Done Something", "Why boys struggle | Opinion"])
    out = pl.select(clean_headlines(pl.lit(heads))).to_series().to_list()
    assert out == ["mamdani has done something", "why boys struggle"]


def test_datelines_bylines_and_copyright_are_removed() -> None:
    body = (
        "By JANE DOE\n\nHELSINKI (AP) — Finland's president said on Monday the talks would go on."
        "\n\nThe second paragraph stays.\n\nCopyright 2025 The Associated Press. All rights "
        "reserved. This material may not be published, broadcast, rewritten or redistributed."
    )
    (out,) = clean([body])
    assert out.startswith("Finland's president said")
    assert "Copyright" not in out and "JANE DOE" not in out
    (plain,) = clean(["NEW YORK, Jan 5 (Reuters) - Stocks rose.\n\nMore text here."])
    assert plain.startswith("Stocks rose.")
    (cnn,) = clean(["(CNN) Spotify reversed its policy on Friday.\n\nMore."])
    assert cnn.startswith("Spotify reversed")


def test_aggregator_tail_and_widgets_are_removed() -> None:
    body = (
        "Advertisement\n\nThe story itself has several words in it.\n\nShare this story\n\n"
        "Subscribe to our newsletter for more.\n\nToday: 72°F Partly cloudy\n\n"
        "Updated 6:35 PM ET, Fri June 1, 2018\n\nRead more: another headline\n\n"
        "The story goes on here.\n\nSee the original post here:\n\nHeadline one\n\nHeadline two"
    )
    (out,) = clean([body])
    assert out == "The story itself has several words in it.\n\nThe story goes on here."


def test_sentences_that_merely_start_like_boilerplate_are_kept() -> None:
    text = "By noon on Friday the fire had spread across the whole valley and beyond."
    (out,) = clean([text + "\n\nSecond paragraph."])
    assert out.startswith("By noon")


def test_learned_boilerplate_needs_different_stories() -> None:
    footer = "Stay with Channel 9 for the latest on this developing story."
    topics = ["the council budget", "a harbour fire", "the county fair", "a school bond vote"]
    stories = [f"This story is about {t} and has a long paragraph of its own." for t in topics]
    bodies = [f"{s}\n\n{footer}" for s in stories]
    out = clean(bodies, ["wxyz.com"] * 4)
    assert all(footer not in o for o in out)
    # The same story republished by one outlet three times keeps its text.
    same = [f"{stories[0]}\n\nA second paragraph of the same story." for _ in range(3)]
    kept = clean(same, ["wxyz.com"] * 3)
    assert all("second paragraph" in o for o in kept)


def test_first_short_line_becomes_headline_when_missing() -> None:
    df = pl.DataFrame(
        {
            "body": ["Spotify Reverses Policy\n\nThe company said on Friday it would stop."],
            "outlet": ["cnn.com"],
            "headline": [None],
        },
        schema_overrides={"headline": pl.String},
    )
    row = clean_bodies(df, config=CFG).row(0, named=True)
    assert row["inferred_headline"] == "Spotify Reverses Policy"
    assert row["clean_body"] == "The company said on Friday it would stop."


def test_paragraph_splitting_rules() -> None:
    from syndup.normalize import paragraphs

    bodies = [
        "A para.\n\nB para one\nline two\n\n\n  C  ",  # every line break splits
        "line1\nline2\r\nline3\rline4",  # no blank line: every line break splits
        "",
        "  \n \n ",
        "x\n \t \ny",  # a whitespace-only line is a blank line
        "no\u00a0break\n\u00a0\nnext\u00a0",  # no-break spaces count as whitespace
    ]
    df = pl.DataFrame({"body": bodies, "outlet": ["o"] * 6, "headline": ["h"] * 6})
    paras = paragraphs(df, config=NormalizeConfig())
    got = list(zip(paras["_doc"].to_list(), paras["_para"].to_list(), paras["_words"].to_list()))
    assert got == [
        (0, "A para.", 2),
        (0, "B para one", 3),
        (0, "line two", 2),
        (0, "C", 1),
        (1, "line1", 1),
        (1, "line2", 1),
        (1, "line3", 1),
        (1, "line4", 1),
        (4, "x", 1),
        (4, "y", 1),
        (5, "no\u00a0break", 1),
        (5, "next", 1),
    ]
    # Quote variants and case do not change a paragraph's key; the story key is the key of
    # the document's longest paragraph.
    twins = pl.DataFrame(
        {
            "body": ["He said \u201cyes\u201d today.\n\nx", 'HE SAID "yes" TODAY.\n\ny'],
            "outlet": ["o", "o"],
            "headline": ["h", "h"],
        }
    )
    keys = paragraphs(twins, config=NormalizeConfig())
    assert keys["_key"][0] == keys["_key"][2] != keys["_key"][1]
    assert keys["_story"].to_list() == [keys["_key"][0]] * 4


STORY = (
    "The city council voted on Tuesday to rebuild the levee that failed last spring, after "
    "a year of debate over who should pay for it.\n\n"
    "The mayor said the temperature reached 102° on Monday, and crews worked through the heat."
)


def test_page_furniture_is_removed_by_form() -> None:
    furniture = [
        "Millbrook Weather\nToday's high: 72°F\nLow: 55°F\nWinds: NE 10 mph\n5-Day Forecast\n"
        "Mon 70°/55° Sunny\nTue 71°/50° Rain",
        "Enter your ZIP code to get local news, weather and alerts.\nZIP Code\nSubmit",
        "Want to get notified of breaking news?\nAllow\nNot now",
        "Facebook Twitter LinkedIn Email Print",
        "1 of 2\nThe mayor speaks during a news conference in Millbrook, Iowa, Monday, March 3, "
        "2025. (AP Photo/Jane Doe)\n2 of 2\nWorkers clear debris. (John Roe/Getty Images via AP)",
        "Police officers stand guard near the levee. (REUTERS/Kevin Lamarque)",
    ]
    got = clean(["\n\n".join([*furniture, STORY])])[0]
    assert got == STORY  # story text, including its own "102°" sentence, is kept


def test_markup_only_body_is_empty_and_entities_decoded() -> None:
    got = clean(["<p>&nbsp;</p><div></div>", "<p>Levee &amp; bond</p><p>it&#39;s done</p>"])
    assert got[0] in ("", None)
    assert got[1] == "Levee & bond\n\nit's done"


def _site_page(site: str, story: str, n: int) -> str:
    # A scraped page: template lines one per line around the story, single line breaks only
    # between them (the blank line sits after the header block).
    return (
        f"{site}\nPosted: March {n}, 2019\nHome | Video | Nation | Sports\n"
        "This website uses cookies to improve your experience and to show you personalised "
        "advertising. Learn more about our use of cookies in our Privacy Policy. OK\n"
        f"By Staff Writer {n}\n\n{story}\n"
        "Related Headlines\nTerms of Use | Privacy Policy | Contact Us"
    )


def _story(n: int) -> str:
    words = [f"w{n}x{k}" for k in range(12)]
    return " ".join(words) + "."


def test_template_lines_inside_a_block_are_learned_and_shared_across_outlets() -> None:
    # Three sites with five pages each teach the template; a fourth site with a single page
    # (nothing to learn from on its own) loses the same lines, even the cookie prompt that is
    # longer than its one-sentence story.
    bodies, outlets = [], []
    for s, site in enumerate(["Site A", "Site B", "Site C"]):
        for k in range(5):
            bodies.append(_site_page(site, _story(10 * s + k), k))
            outlets.append(site)
    bodies.append(_site_page("Lone Site", _story(99), 1))
    outlets.append("Lone Site")
    kept = clean(bodies, outlets)
    for shared in ("cookies", "Related Headlines", "Terms of Use", "Home | Video"):
        assert all(shared not in k for k in kept)
    assert kept[-1].endswith(_story(99))  # its own name and byline stay: seen once only
    assert kept[0].endswith(_story(0)) and "Posted:" not in kept[0]


def test_a_page_of_only_template_keeps_its_longest_line() -> None:
    # Every paragraph learned: the longest stays, so the page still says what it is (and is
    # judged on that) rather than silently becoming empty.
    bodies = [_site_page("Site A", _story(k), k) for k in range(5)]
    page = _site_page("Site A", "", 9).replace("By Staff Writer 9\n\n\n", "")
    bodies.append(page)
    kept = clean(bodies, ["Site A"] * 6)
    assert "cookies" in kept[-1]


_GROUPS = [lits for _, lits in _BOILERPLATE_RES if lits]
_PIECES = [*sorted({lit for lits in _GROUPS for lit in lits}), "SHARE", "Copy", "(C)", "x", " "]


@settings(max_examples=150, deadline=None)
@given(st.lists(st.lists(st.sampled_from(_PIECES), max_size=6).map("".join), max_size=12))
def test_literal_groups_equal_one_contains_any_per_group(texts: list[str]) -> None:
    series = pl.Series(texts, dtype=pl.String)
    held = literal_groups(series, _GROUPS)
    for k, lits in enumerate(_GROUPS):
        want = series.str.contains_any(lits, ascii_case_insensitive=True).to_numpy()
        np.testing.assert_array_equal((held >> k) & 1 == 1, want)


def test_distinct_texts_groups_equal_texts_only():
    texts = pl.Series(["a", "b", "a", "", "b", "c", ""])
    first, inverse = distinct_texts(texts)
    assert sorted(texts.gather(first).to_list()) == ["", "a", "b", "c"]
    assert texts.gather(first[inverse]).to_list() == texts.to_list()
    empty = distinct_texts(pl.Series([], dtype=pl.String))
    assert [len(x) for x in empty] == [0, 0]


def test_pattern_drop_per_distinct_text_equals_per_row():
    """The boilerplate and furniture tests run once per distinct paragraph text: the flags
    must be those of testing every row, repeated lines of a template included."""
    lines = [
        "Share this story | Facebook | Twitter",
        "Home",
        "Sports",
        "(AP Photo/Jane Doe)",
        "Today: 72°F sunny",
        "By John Smith, Associated Press",
        "The council voted on Tuesday to approve the new budget for the schools.",
        "Copyright 2019 The Associated Press. All rights reserved.",
        "Mon 72° Tue 70° Wed 68°",
        "A long story paragraph that only mentions a photo (in passing) and nothing else.",
    ]
    rng = np.random.default_rng(3)
    rows = []
    for doc in range(60):
        for pos, k in enumerate(rng.integers(0, len(lines), 8)):
            rows.append((doc, pos, lines[k]))
    paras = pl.DataFrame(
        {
            "_doc": [r[0] for r in rows],
            "_pos": [r[1] for r in rows],
            "_para": [r[2] for r in rows],
        }
    ).with_columns((pl.col("_para").str.count_matches(" ") + 1).cast(pl.Int64).alias("_words"))
    got = _pattern_drop(paras, CFG).to_numpy()
    per_row = _pattern_hits(paras["_para"], CFG) | _furniture(paras)
    assert got.any() and not got.all()
    assert np.array_equal(got, per_row)


def test_fewer_articles_than_min_learning_docs_learn_nothing() -> None:
    """The prepare stage skips learning below ``min_learning_docs`` (a one-article query):
    the learner must indeed find nothing there, and find the footer from that many up."""
    from dataclasses import replace

    footer = "Stay with Channel 9 for the latest on this developing story."
    topics = ["the council budget", "a harbour fire", "the county fair", "a school bond vote"]
    topics += ["a bridge repair", "the mayor's race"]
    bodies = [
        f"This story is about {t} and has a long paragraph of its own.\n\n{footer}" for t in topics
    ]
    for cfg in (CFG, replace(CFG, boilerplate_min_docs=2), replace(CFG, furniture_min_outlets=0)):
        need = min_learning_docs(cfg)
        assert need == min(t for t in (cfg.boilerplate_min_docs, cfg.furniture_min_outlets) if t)

        def learned(n: int, cfg=cfg) -> int:
            df = pl.DataFrame(
                {"body": bodies[:n], "outlet": ["wxyz.com"] * n, "headline": ["h"] * n}
            )
            return learn_from_paragraphs(paragraphs(df, config=cfg), config=cfg).height

        assert learned(need - 1) == 0
        assert learned(need) > 0


def test_pattern_hits_of_a_few_paragraphs_equal_those_of_many() -> None:
    """A few suspect paragraphs take every pattern in one pass, many take one pattern at a
    time: per paragraph the flags must be the same."""
    lines = [
        "Share this story | Facebook | Twitter",
        "Home",
        "(AP Photo/Jane Doe)",
        "By John Smith, Associated Press",
        "BY THE NEWSROOM",
        "The council voted on Tuesday to approve the new budget for the schools.",
        "Copyright 2019 The Associated Press. All rights reserved.",
        "Click here to subscribe to our newsletter",
        "Sign up for our daily newsletter and get the news first.",
        "Related: more stories",
        "A long story paragraph that only mentions a photo (in passing) and nothing else.",
    ]
    rng = np.random.default_rng(5)
    texts = pl.Series([lines[k] for k in rng.integers(0, len(lines), 400)])
    many = _pattern_hits(texts, CFG)
    assert many.any() and not many.all()
    for lo in range(0, 400, 20):
        assert np.array_equal(_pattern_hits(texts.slice(lo, 20), CFG), many[lo : lo + 20])
