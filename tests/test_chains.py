"""Issue 11 classes 1, 3, 4 on small built corpora: write-through chains whose copies drop the
wire's dateline, templated notices refiled on several days, roundups of two stories, quotations
that end in their paragraph, headline-only records. Real pipeline outputs, no mocks."""

from __future__ import annotations

import numpy as np
import polars as pl

from syndup.explain import explain
from syndup.graph_cuts import story_graph
from syndup.pipeline import Detector
from syndup.shingle import shingle_sets


def _cluster_of(result, *ids: str) -> list[str]:
    by_id = dict(zip(result.assignments["id"], result.assignments["cluster_id"]))
    return [by_id[i] for i in ids]


def _vocab(rng: np.random.Generator, n: int = 4000) -> list[str]:
    letters = np.array(list("abcdefghijklmnopqrstuvwxyz"))
    return ["".join(rng.choice(letters, 7)) for _ in range(n)]


def _versions(seed: int, count: int) -> list[list[str]]:
    """Paragraphs of ``count`` write-through versions, scanned (a stray quote or apostrophe
    in each paragraph, as OCR leaves them): version k is a new four-paragraph top, then the
    first paragraph of version k-1's top and the second of version k-2's, so versions two
    write-throughs apart share one paragraph in six."""
    rng = np.random.default_rng(seed)
    vocab = _vocab(rng)

    def para() -> str:
        words = list(rng.choice(vocab, 30))
        words[int(rng.integers(3, 27))] += "'" if rng.random() < 0.5 else '"'  # OCR specks
        return " ".join(words) + "."

    tops = [[para() for _ in range(4)] for _ in range(count)]
    return [
        tops[k] + ([tops[k - 1][0]] if k >= 1 else []) + ([tops[k - 2][1]] if k >= 2 else [])
        for k in range(count)
    ]


def _chain_rows(seed: int = 5, count: int = 7) -> list[dict]:
    """Every other version printed (outlets catch whichever version is out), each by an
    outlet that strips the dateline and byline. Same headline, versions 2 h apart. (Four
    rows: a same-headline LSH bucket pairs every member only with its first ``anchors``.)"""
    rows = []
    for v, paras in enumerate(_versions(seed, count)):
        if v % 2:
            continue
        for k in range(1):
            rows.append(
                {
                    "id": f"v{v}-{k}",
                    "outlet": f"Paper {v}-{k}",
                    "headline": "Flood waters keep rising along the lower river valley",
                    "published": f"2025-04-01T{2 * v:02d}:{10 * k:02d}:00Z",
                    "body": "\n\n".join(paras),
                }
            )
    return rows


def test_write_through_chain_without_datelines_is_one_cluster() -> None:
    rows = _chain_rows()
    first = set(rows[0]["body"].split("\n\n"))
    last = set(rows[-1]["body"].split("\n\n"))
    assert not first & last  # the first and the last version share no paragraph
    det = Detector()
    result = det.run(pl.DataFrame(rows))
    assert result.assignments["cluster_id"].n_unique() == 1
    direct = result.pairs.filter(
        ((pl.col("id_a") == "v0-0") & (pl.col("id_b") == "v6-0"))
        | ((pl.col("id_a") == "v6-0") & (pl.col("id_b") == "v0-0"))
    )
    assert not direct.height or not direct["matched"].item()
    step = result.pairs.filter((pl.col("id_a") == "v4-0") & (pl.col("id_b") == "v6-0"))
    if not step.height:
        step = result.pairs.filter((pl.col("id_a") == "v6-0") & (pl.col("id_b") == "v4-0"))
    assert step["rule"].item() == "write_through_same_headline"  # one paragraph in six
    assert step["body_containment"].item() < 0.25
    why = explain(pl.DataFrame(rows), "v0-0", "v6-0")
    assert why.same_cluster and not why.match
    assert len(why.path) >= 2  # joined through the versions between them
    assert {s["rule"] for s in why.path} <= set(result.pairs["rule"].drop_nulls().to_list())


def _notice(day: int, x: str, y: str) -> str:
    return (
        f"WASHINGTON, March {day} (Reuters) - The Federal Reserve entered the government "
        f"securities market to arrange {x} billion dlrs of customer repurchase agreements, "
        f"a Fed spokesman said.\n\nDealers said Federal funds were trading at {y} pct when "
        "the Fed began its temporary and indirect supply of reserves to the banking system."
    )


def _notice_rows() -> list[dict]:
    """One notice refiled on three days (the third with the first day's figures), each filing
    printed by three outlets within hours; one headline-only flash per day."""
    figures = {3: ("1.5", "6-3/16"), 4: ("2.0", "6-1/4"), 5: ("1.5", "6-3/16")}
    rows = []
    for day, (x, y) in figures.items():
        for k, outlet in enumerate(("Reuters", "Wire feed", "Daily Ledger")):
            body = _notice(day, x, y)
            if k == 2:  # an outlet that strips the dateline
                body = body.split(" - ", 1)[1]
            rows.append(
                {
                    "id": f"fed-{day}-{k}",
                    "outlet": outlet,
                    "headline": "Fed adds reserves via customer repurchases",
                    "published": f"2025-03-{day:02d}T{11 + 2 * k:02d}:45:00Z",
                    "body": body,
                }
            )
        rows.append(
            {
                "id": f"fed-{day}-flash",
                "outlet": "Flash desk",
                "headline": "Fed adds reserves via customer repurchases",
                "published": f"2025-03-{day:02d}T11:50:00Z",
                "body": "",
            }
        )
    return rows


def test_notice_refiled_on_three_days_is_three_stories() -> None:
    rows = _notice_rows()
    det = Detector()
    result = det.run(pl.DataFrame(rows))
    for day in (3, 4, 5):
        c = _cluster_of(result, *(f"fed-{day}-{k}" for k in (0, 1, 2)))
        assert len(set(c)) == 1, day  # one filing's copies stay together
    per_day = [_cluster_of(result, f"fed-{d}-0")[0] for d in (3, 4, 5)]
    assert len(set(per_day)) == 3  # never chained across days, even with the same figures
    flash = _cluster_of(result, "fed-3-flash", "fed-4-flash", "fed-5-flash")
    assert len(set(flash)) == 3
    pairs = result.pairs
    refill = pairs.filter(
        (pl.col("id_a").str.slice(0, 5) != pl.col("id_b").str.slice(0, 5))
        & (pl.col("body_missing") == 0)
    )
    # Days 3 and 4 (other figures) are one template refilled; days 3 and 5 read the same.
    d34 = refill.filter(
        pl.concat_str([pl.col("id_a").str.slice(4, 1), pl.col("id_b").str.slice(4, 1)])
        .is_in(["34", "43"])
        .fill_null(False)
    )
    assert d34.height and (d34["template_refill"] == 1).all()
    assert not d34["matched"].any()


def test_same_notice_text_on_two_days_is_two_filings() -> None:
    # Days 3 and 5 carry the same figures and no other filing changes them: only the
    # datelines (each the day it was printed) tell the two filings apart.
    rows = [r for r in _notice_rows() if not r["id"].startswith("fed-4")]
    result = Detector().run(pl.DataFrame(rows))
    day3 = _cluster_of(result, *(f"fed-3-{k}" for k in (0, 1, 2)))
    day5 = _cluster_of(result, *(f"fed-5-{k}" for k in (0, 1, 2)))
    assert len(set(day3)) == 1 and len(set(day5)) == 1
    assert day3[0] != day5[0]


def test_late_reprint_keeping_the_old_dateline_stays_with_its_story() -> None:
    # A weekly prints day 3's filing on day 6, dateline and all: a copy of one filing.
    rows = [r for r in _notice_rows() if r["id"].startswith("fed-3")]
    late = dict(rows[0], id="fed-3-weekly", outlet="County Weekly")
    late["published"] = "2025-03-06T09:00:00Z"
    result = Detector().run(pl.DataFrame([*rows, late]))
    c = _cluster_of(result, "fed-3-0", "fed-3-1", "fed-3-2", "fed-3-weekly")
    assert len(set(c)) == 1


def test_a_series_is_cut_with_its_reason() -> None:
    rows = _notice_rows()
    det = Detector()
    result = det.run(pl.DataFrame(rows))
    ids = det.last_prepared.docs["id"].to_list()
    index = {v: i for i, v in enumerate(ids)}
    edges = result.pairs.filter(pl.col("matched")).with_columns(
        pl.col("id_a").replace_strict(index).alias("a"),
        pl.col("id_b").replace_strict(index).alias("b"),
    )
    graph = story_graph(det.last_prepared, edges, det.config.cluster)
    reasons = set(graph.cuts["reason"])
    assert "a templated series: each filing's copies lie within series_days" in reasons
    why = explain(pl.DataFrame(rows), "fed-3-0", "fed-5-0")
    assert not why.same_cluster
    assert any("templated series" in s.get("reason", "") for s in why.path)


def test_roundup_of_two_stories_joins_neither(wire_corpus: pl.DataFrame) -> None:
    def body(i: str) -> str:
        return wire_corpus.filter(pl.col("id") == i)["body"].item()

    s1, s2 = ("\n\n".join(body(i).split("\n\n")[:2]) for i in ("s1", "s2"))
    pages = [
        {
            "id": f"brief-{k}",
            "outlet": f"Brief outlet {k}",
            "headline": "News in brief",
            "published": "2025-03-05T20:00:00Z",
            "body": f"LEVEE VOTE\n\n{s1}\n\nCHIP PLANT\n\n{s2}",
        }
        for k in range(2)
    ]
    df = pl.concat([wire_corpus, pl.DataFrame(pages)], how="diagonal_relaxed")
    result = Detector().run(df)
    c = _cluster_of(result, "brief-0", "brief-1", "s1", "s1-globe", "s2", "s2-yahoo")
    assert c[0] == c[1]  # the roundup's copies
    assert c[0] not in (c[2], c[4]) and c[2] != c[4]
    assert c[2] == c[3] and c[4] == c[5]


def test_a_stray_quote_does_not_swallow_the_next_paragraph() -> None:
    text = (
        'The council met on Tuesday and the mayor said she was "pleased.\n\n'
        "Work on the northern levee begins in May and will take two full years to finish "
        'according to the city engineer, who called the plan "sound" and affordable.'
    )
    full, _ = shingle_sets(pl.Series([text]), 4)
    bare, _ = shingle_sets(pl.Series([text]), 4, unquoted=True)
    # Only the shingles around the closed quotation ("sound") go: the unclosed quote after
    # "was" ends at its paragraph, so the next paragraph's narrative stays.
    assert len(np.intersect1d(bare, full)) >= len(full) - 8 > 20


def test_headline_only_records_of_one_outlet_or_days_apart() -> None:
    short = "Fed adds reserves via customer repurchases"
    long = "Storm pushes flood waters over the levee as river town residents flee their homes"
    rows = [
        {"id": "a1", "outlet": "Desk A", "headline": short, "published": "2025-03-03T09:00:00Z"},
        {"id": "a2", "outlet": "Desk A", "headline": short, "published": "2025-03-03T10:00:00Z"},
        {"id": "b1", "outlet": "Desk B", "headline": short, "published": "2025-03-05T10:00:00Z"},
        {"id": "l1", "outlet": "Desk A", "headline": long, "published": "2025-03-03T09:00:00Z"},
        {"id": "l2", "outlet": "Desk C", "headline": long, "published": "2025-03-05T09:00:00Z"},
    ]
    result = Detector().run(pl.DataFrame(rows).with_columns(body=pl.lit("")))
    a1, a2, b1, l1, l2 = _cluster_of(result, "a1", "a2", "b1", "l1", "l2")
    assert a1 != a2  # one outlet's two items under one headline are two filings
    assert b1 not in (a1, a2)  # a short label two days later is another filing
    assert l1 == l2  # a sentence-long wire headline is printed for days


def test_headline_only_record_under_two_filings_joins_neither() -> None:
    """Two publishers file the same notice on one day with other figures, each printed by
    two outlets; a headline-only flash under the notice's headline cannot say which."""
    headline = "Fed adds reserves via customer repurchases"
    rows = []
    for s, (x, y) in enumerate((("1.5", "6-3/16"), ("2.0", "6-1/4"))):
        for k in range(2):
            rows.append(
                {
                    "id": f"f{s}-{k}",
                    "outlet": f"Outlet {s}-{k}",
                    "headline": headline,
                    "published": f"2025-03-03T{10 + 2 * s + k:02d}:15:00Z",
                    "body": _notice(3, x, y),
                }
            )
    rows.append(
        {
            "id": "flash",
            "outlet": "Flash desk",
            "headline": headline,
            "published": "2025-03-03T12:40:00Z",
            "body": "",
        }
    )
    df = pl.DataFrame(rows)
    det = Detector()
    result = det.run(df)
    f00, f01, f10, f11, flash = _cluster_of(result, "f0-0", "f0-1", "f1-0", "f1-1", "flash")
    assert f00 == f01 and f10 == f11  # each filing's copies stay together
    assert f00 != f10 and flash not in (f00, f10)
    by_headline = result.pairs.filter(pl.col("id_a").eq("flash") | pl.col("id_b").eq("flash"))
    assert by_headline["matched"].sum() >= 2  # matched on its headline, then cut
    why = explain(df, "flash", "f0-0")
    assert not why.same_cluster
    assert any("several filings" in s.get("reason", "") for s in why.path)


def test_wire_versions_under_one_headline_match_without_shared_text() -> None:
    """A trimmed copy of a new top shares no paragraph with the earlier version; the same
    wire's dateline and specific headline within a day still make them one story."""
    rng = np.random.default_rng(11)
    vocab = _vocab(rng)

    def body() -> str:
        paras = [" ".join(rng.choice(vocab, 30)) + "." for _ in range(4)]
        return "WASHINGTON (AP) — " + "\n\n".join(paras)

    headline = "Senate passes the flood relief bill after a late night session"
    rows = [
        {"id": "v1", "headline": headline, "published": "2025-04-01T08:00:00Z"},
        {"id": "v2", "headline": headline, "published": "2025-04-01T13:00:00Z"},
        {"id": "later", "headline": headline, "published": "2025-04-02T15:00:00Z"},
        {
            "id": "other",
            "headline": "Storm moves up the coast",
            "published": "2025-04-01T09:00:00Z",
        },
    ]
    df = pl.DataFrame([r | {"outlet": f"Paper {r['id']}", "body": body()} for r in rows])
    result = Detector().run(df)
    pairs = result.pairs.with_columns(
        key=pl.concat_str([pl.col("id_a"), pl.col("id_b")], separator="-")
    )

    def rule(x: str, y: str) -> str | None:
        hit = pairs.filter(pl.col("key").is_in([f"{x}-{y}", f"{y}-{x}"]))
        return hit["rule"].item() if hit.height else None

    assert rule("v1", "v2") == "write_through_wire_headline"
    assert rule("v2", "later") is None and rule("v1", "other") is None  # a day on; another headline
    v1, v2, later, other = _cluster_of(result, "v1", "v2", "later", "other")
    assert v1 == v2 and later != v1 and other != v1


def _trim_and_version(opening_figures: tuple[str, str]) -> list[dict]:
    """A trim of one AP version (its lead and one narrative paragraph) and a later version
    by another outlet with a new top that keeps only that narrative paragraph."""
    rng = np.random.default_rng(11)
    vocab = _vocab(rng)

    def para(n: int) -> str:
        return " ".join(rng.choice(vocab, n)) + "."

    kept = para(36)
    x, y = opening_figures
    trim = f"WASHINGTON (AP) - {para(8)} {x} people {para(6)}\n\n{kept}"
    later = (
        f"WASHINGTON (AP) - {para(10)} {y} people {para(10)}\n\n{para(30)}\n\n{kept}\n\n{para(30)}"
    )
    return [
        {
            "id": "trim",
            "outlet": "Valley Post",
            "headline": f"{para(6)[:-1]}",
            "published": "2025-03-04T08:00:00Z",
            "body": trim,
        },
        {
            "id": "later",
            "outlet": "Coast Herald",
            "headline": f"{para(7)[:-1]}",
            "published": "2025-03-04T13:00:00Z",
            "body": later,
        },
    ]


def test_trim_of_a_wire_version_joins_a_later_version() -> None:
    why = explain(pl.DataFrame(_trim_and_version(("12", "12"))), "trim", "later")
    assert why.features["shared_shingles"] < 40  # one paragraph: write_through_version's 40
    assert why.rule == "write_through_version_trim"


def test_trim_with_other_figures_needs_more_than_a_paragraph() -> None:
    why = explain(pl.DataFrame(_trim_and_version(("12", "15"))), "trim", "later")
    assert why.features["figures_changed"] == 1
    assert why.rule is None


def _same_headline_pages(city_b: str) -> list[dict]:
    """Two AP pages under one specific headline, hours apart, sharing no paragraph: the
    second a new top of the story (same dateline city) or another story (another city)."""
    rng = np.random.default_rng(5)
    vocab = _vocab(rng)

    def body(city: str) -> str:
        paras = [" ".join(rng.choice(vocab, 30)) + "." for _ in range(4)]
        return f"{city} (AP) — " + "\n\n".join(paras)

    headline = "Storm closes the harbor bridge for a second day running"
    # Other stories from both cities: a dateline city is read once it recurs in the corpus
    # (a unique one is mostly an OCR misreading).
    others = [
        {
            "id": f"other-{city}-{k}",
            "outlet": "Wire feed",
            "headline": f"{city.title()} council approves the new school budget plan",
            "published": "2025-03-02T08:00:00Z",
            "body": body(city),
        }
        for city in ("DETROIT", "ATLANTA")
        for k in range(2)
    ]
    return [
        *others,
        {
            "id": "first",
            "outlet": "Lakeside Times",
            "headline": headline,
            "published": "2025-03-04T08:00:00Z",
            "body": body("DETROIT"),
        },
        {
            "id": "second",
            "outlet": "Hill Gazette",
            "headline": headline,
            "published": "2025-03-04T15:00:00Z",
            "body": body(city_b),
        },
    ]


def test_new_top_under_the_wire_headline_keeps_its_dateline_city() -> None:
    same = explain(pl.DataFrame(_same_headline_pages("DETROIT")), "first", "second")
    assert same.features["shared_shingles"] == 0
    assert same.rule == "write_through_wire_headline"
    other = explain(pl.DataFrame(_same_headline_pages("ATLANTA")), "first", "second")
    assert other.features["dateline_city_differs"] == 1
    assert other.rule is None


def test_new_top_with_new_figures_joins_under_the_wire_headline() -> None:
    # Each write-through's new top brings new figures; the dateline city stays.
    rows = _same_headline_pages("DETROIT")
    rows[-2]["body"] = rows[-2]["body"].replace("(AP) — ", "(AP) — Crews closed 12 lanes. ", 1)
    rows[-1]["body"] = rows[-1]["body"].replace("(AP) — ", "(AP) — Crews closed 30 lanes. ", 1)
    why = explain(pl.DataFrame(rows), "first", "second")
    assert why.features["figures_changed"] == 1
    assert why.rule == "write_through_wire_new_top"


def _distant_versions(city_b: str, outlet_b: str) -> list[dict]:
    """Two outlets' prints of one AP story many write-throughs apart: each a long version
    with its own top, quotes and reaction, sharing two kept narrative paragraphs (~50 words,
    a small share of either body)."""
    rng = np.random.default_rng(23)
    vocab = _vocab(rng)

    def para(n: int) -> str:
        return " ".join(rng.choice(vocab, n)) + "."

    kept = f"{para(26)}\n\n{para(26)}"

    def version() -> str:
        return "\n\n".join([para(40), para(40), para(40), kept, para(40), para(40), para(40)])

    return [
        {
            "id": "early",
            "outlet": "Valley Post",
            "headline": para(7)[:-1],
            "published": "2025-03-04T06:00:00Z",
            "body": f"WASHINGTON (AP) - {version()}",
        },
        {
            "id": "late",
            "outlet": outlet_b,
            "headline": para(8)[:-1],
            "published": "2025-03-04T17:00:00Z",
            "body": f"{city_b} (AP) - {version()}",
        },
    ]


def test_distant_versions_join_on_wire_city_and_two_paragraphs() -> None:
    why = explain(pl.DataFrame(_distant_versions("WASHINGTON", "Coast Herald")), "early", "late")
    assert why.features["body_containment"] < 0.3  # below every other write-through rule
    assert why.features["shared_shingles"] >= 40
    assert why.rule == "write_through_wire_city"


def test_distant_versions_need_the_same_city_and_two_outlets() -> None:
    other_city = explain(
        pl.DataFrame(_distant_versions("CHICAGO", "Coast Herald")), "early", "late"
    )
    assert other_city.rule is None
    same_outlet = explain(
        pl.DataFrame(_distant_versions("WASHINGTON", "Valley Post")), "early", "late"
    )
    assert same_outlet.features["same_wire"] == 1
    assert same_outlet.rule is None
