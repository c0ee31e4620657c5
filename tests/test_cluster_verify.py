"""Verification rules, the story graph's cuts and canonical choice, on real prepared text."""

from __future__ import annotations

import dataclasses

import numpy as np
import polars as pl
import pytest

from syndup import Config, ConfigError, Rule
from syndup.cluster import choose_canonical
from syndup.config import ClusterConfig, VerifyConfig
from syndup.explain import explain
from syndup.graph_cuts import story_graph
from syndup.io import read_corpus
from syndup.pipeline import Detector
from syndup.prepare import prepare
from syndup.rules import apply_rules, condition_expr
from syndup.verify import pair_features


@pytest.fixture(scope="module")
def prepared(wire_corpus: pl.DataFrame):
    return prepare(read_corpus(wire_corpus), Config())


def rows(prepared, *ids: str) -> list[int]:
    index = {v: i for i, v in enumerate(prepared.docs["id"].to_list())}
    return [index[i] for i in ids]


def features(prepared, pairs: list[tuple[str, str]]) -> pl.DataFrame:
    a = [rows(prepared, x)[0] for x, _ in pairs]
    b = [rows(prepared, y)[0] for _, y in pairs]
    frame = pl.DataFrame({"a": a, "b": b}, schema={"a": pl.UInt32, "b": pl.UInt32})
    return apply_rules(pair_features(frame, prepared), VerifyConfig())


def test_rules_decide_copies_and_reject_lookalikes(prepared) -> None:
    f = features(
        prepared,
        [
            ("s1", "s1-trim"),
            ("s1", "s1-wt"),
            ("s1", "s5"),
            ("s1", "roundup"),
            ("s2", "s2-link"),
            ("letters-0", "letters-1"),
        ],
    )
    got = f["rule"].to_list()
    assert got[0] == "contained_body"
    assert got[1] in {"near_identical_body", "write_through"}  # lead and one paragraph rewritten
    assert got[2:] == [None, None, "same_headline", None]
    trim = f.row(0, named=True)
    assert trim["body_containment"] > 0.9 and trim["body_jaccard"] < 0.7
    quote = f.row(2, named=True)  # same event, same quotation, different article
    assert quote["unquoted_containment"] is None or quote["unquoted_containment"] < 0.3
    assert f.row(5, named=True)["headline_generic"] == 1


def test_condition_parsing_and_errors() -> None:
    df = pl.DataFrame({"body_jaccard": [0.7, None, 0.2]})
    assert df.select(condition_expr("body_jaccard >= 0.6")).to_series().to_list() == [
        True,
        False,
        False,
    ]
    with pytest.raises(ConfigError, match="unknown feature"):
        condition_expr("bogus >= 1")
    with pytest.raises(ConfigError, match="cannot read"):
        condition_expr("body_jaccard about 1")


def _with(corpus: pl.DataFrame, *rows: dict) -> pl.DataFrame:
    extra = pl.DataFrame(
        [{"gold": r["id"], "outlet": "Extra", **r} for r in rows], schema=corpus.schema
    )
    return pl.concat([corpus, extra])


def _body(corpus: pl.DataFrame, id_: str) -> str:
    return corpus.filter(pl.col("id") == id_)["body"][0]


def _undated(body: str) -> str:
    head, sep, rest = body.partition(" — ")
    return rest if sep and len(head) < 40 else body


def _cluster_of(result, *ids: str) -> list[str]:
    got = dict(result.assignments.select("id", "cluster_id").iter_rows())
    return [got[i] for i in ids]


def test_two_story_page_joins_the_story_it_shares_most_with(wire_corpus) -> None:
    s1, s2 = _body(wire_corpus, "s1"), _body(wire_corpus, "s2")
    page = {
        "id": "two-story",
        "headline": "River town votes to rebuild levee after record spring flood",
        "published": "2025-03-05T09:00:00Z",
        # The outlet dropped the first story's dateline: with it, its city ("DETROIT (AP)")
        # already keeps the second story's versions from matching (dateline_city_differs).
        "body": _undated(s1) + "\n\nIn business news:\n\n" + "\n\n".join(s2.split("\n\n")[:5]),
    }
    det = Detector()
    result = det.run(_with(wire_corpus, page))
    page_c, s1_c, s2_c, s2y = _cluster_of(result, "two-story", "s1", "s2", "s2-yahoo")
    assert page_c == s1_c  # the story it shares most with
    assert s2_c == s2y and s2_c != s1_c  # never a bridge to the second story
    graph = story_graph(det.last_prepared, _edges(det, result), det.config.cluster)
    cut = graph.cuts.filter(
        pl.col("member") == det.last_prepared.docs["id"].to_list().index("two-story")
    )
    assert cut.height and cut["reason"].str.contains("story").all()


def test_roundup_never_joins_the_stories_it_contains(wire_corpus) -> None:
    parts = [_body(wire_corpus, i) for i in ("s1", "s2", "s3")]
    body = "\n\n".join(["Here is the latest from around the country.", *parts])
    pages = [
        {
            "id": f"latest-{k}",
            "headline": "The Latest: levee vote, chip plant, a rare owl",
            "published": "2025-03-05T20:00:00Z",
            "body": body,
        }
        for k in range(2)
    ]
    result = Detector().run(_with(wire_corpus, *pages))
    c = _cluster_of(result, "latest-0", "latest-1", "s1", "s1-globe", "s2", "s3", "s3-0")
    assert c[0] == c[1]  # copies of one roundup cluster together
    assert len({c[0], c[2], c[4], c[5]}) == 4  # apart from each story it holds
    assert c[2] == c[3] and c[5] == c[6]  # the stories keep their own copies


def test_two_sites_briefs_sharing_items_stay_apart(wire_corpus) -> None:
    def brief(*ids: str) -> str:
        paras = ["\n\n".join(_body(wire_corpus, i).split("\n\n")[:2]) for i in ids]
        return "\n\n".join(["Here is the news from around the region.", *paras])

    pages = [
        {
            "id": f"briefs-{k}",
            "headline": "News in brief",
            "published": "2025-03-05T20:00:00Z",
            "body": brief(*ids),
        }
        for k, ids in enumerate((("s1", "s2", "s3"), ("s1", "s2", "s3"), ("s4", "s2", "s3")))
    ]
    result = Detector().run(_with(wire_corpus, *pages))
    c = _cluster_of(result, "briefs-0", "briefs-1", "briefs-2")
    assert c[0] == c[1]  # copies of one roundup
    assert c[2] != c[0]  # another site's briefs, two of its three items the same


def _chain(seed: int, versions: int) -> list[dict]:
    """A wire story re-filed ``versions`` times: each version a new three-paragraph top
    plus 60% of the previous version's paragraphs, in order, each printed by the wire and
    by one station; the wire rewrites the headline every third version."""
    rng = np.random.default_rng(seed)
    letters = np.array(list("abcdefghijklmnopqrstuvwxyz"))
    vocab = ["".join(rng.choice(letters, 6)) for _ in range(3000)]

    def para() -> str:
        return " ".join(rng.choice(vocab, 28)) + "."

    current = [para() for _ in range(10)]
    out = []
    for v in range(versions):
        if v:
            kept = [p for i, p in enumerate(current) if i % 5 not in (1, 3)]
            current = [para() for _ in range(3)] + kept
        body = "WASHINGTON (AP) — " + "\n\n".join(current)
        for outlet in ("Associated Press", f"Station {v}"):
            out.append(
                {
                    "id": f"chain-{v}-{outlet[:3]}",
                    "outlet": outlet,
                    "headline": (
                        "Storm moves up the coast",
                        "Coastal towns brace as the storm strengthens overnight",
                        "Thousands without power after storm makes landfall",
                    )[v // 3 % 3],
                    "published": f"2025-04-01T{v * 3:02d}:00:00Z",
                    "body": body,
                }
            )
    return out


def test_write_through_chain_stays_one_story() -> None:
    rows = _chain(3, 7)
    df = pl.DataFrame(rows)
    first = set(rows[0]["body"].split("\n\n"))
    last = set(rows[-1]["body"].split("\n\n"))
    assert len(first & last) / len(last) < 0.2  # the ends share little
    result = Detector().run(df)
    assert result.assignments["cluster_id"].n_unique() == 1


def test_templated_notices_do_not_chain_across_days() -> None:
    text = (
        "The Federal Reserve entered the government securities market to arrange {x} "
        "billion dlrs of customer repurchase agreements, a Fed spokesman said. Dealers said "
        "Federal funds were trading at {y} pct when the Fed began its temporary and indirect "
        "supply of reserves to the banking system."
    )
    rows = [
        {
            "id": f"fed-{d:02d}",
            "outlet": "Reuters",
            "headline": "FED ADDS RESERVES VIA CUSTOMER REPURCHASES",
            "published": f"2025-03-{d:02d}T11:45:00Z",
            "body": text.format(x=f"{1 + d % 4}.{d % 10}", y=f"6-{d % 8 + 1}/16"),
        }
        for d in range(1, 29)
    ]
    rows.append({**rows[3], "id": "fed-04-copy", "outlet": "Wire feed"})
    result = Detector().run(pl.DataFrame(rows))
    sizes = result.assignments.group_by("cluster_id").len()["len"]
    assert sizes.max() == 2  # only the copy of one day's notice joins it
    assert _cluster_of(result, "fed-04", "fed-04-copy")[0] == _cluster_of(result, "fed-04")[0]


def test_story_time_window_cuts_a_chain_of_days(prepared) -> None:
    s3 = rows(prepared, "s3", "s3-0", "s3-1", "s3-2")
    # Force a chain whose edges are each 6 days apart: 18 days end to end.
    edges = pl.DataFrame(
        {"a": s3[:3], "b": s3[1:], "days_apart": [6.0, 6.0, 6.0]},
    )
    config = ClusterConfig(story_days=14.0)
    wide = story_graph(prepared, edges, config)
    assert wide.keep.sum() == 3  # the members' own dates are hours apart: nothing to cut
    tight = story_graph(prepared, edges, dataclasses.replace(config, max_days_apart=5.0))
    assert not tight.keep.any()
    assert set(tight.cuts["reason"]) == {"more than max_days_apart apart"}


def _edges(det: Detector, result) -> pl.DataFrame:
    ids = det.last_prepared.docs["id"].to_list()
    index = {v: i for i, v in enumerate(ids)}
    return result.pairs.filter(pl.col("matched")).with_columns(
        pl.col("id_a").replace_strict(index).alias("a"),
        pl.col("id_b").replace_strict(index).alias("b"),
    )


def test_canonical_rules_in_order(prepared) -> None:
    docs = prepared.docs
    labels = np.zeros(docs.height, dtype=np.int64)
    members = rows(prepared, "s1-globe", "s1-trim", "s1-wt")
    labels[:] = -1
    labels[members] = 0
    keep = labels == 0
    sub = docs.filter(pl.Series(keep))
    canon = choose_canonical(sub, np.zeros(sub.height, dtype=np.int64), ClusterConfig())
    assert sub["id"][canon["canonical"][0]] == "s1-wt"  # the wire's own copy
    assert canon["decided_by"][0] == "wire_outlet"
    by_time = ClusterConfig(canonical_rules=("earliest_published", "smallest_id"))
    canon = choose_canonical(sub, np.zeros(sub.height, dtype=np.int64), by_time)
    assert sub["id"][canon["canonical"][0]] == "s1-globe"


def test_config_toml_round_trip_and_errors(tmp_path) -> None:
    cfg = Config(verify=VerifyConfig(rules=(Rule("only", ("body_jaccard >= 0.9",)),)))
    path = tmp_path / "c.toml"
    path.write_text(cfg.to_toml())
    assert Config.from_toml(path) == cfg
    path.write_text("[lsh]\nbody_treshold = 0.3\n")
    with pytest.raises(ConfigError, match="body_treshold"):
        Config.from_toml(path)
    path.write_text("[lsh]\nbody_threshold = 'high'\n")
    with pytest.raises(ConfigError, match="body_threshold must be float"):
        Config.from_toml(path)
    with pytest.raises(ConfigError, match="not found"):
        Config.from_toml(tmp_path / "missing.toml")


def test_costly_features_are_scoped_to_the_rules_that_read_them() -> None:
    from syndup.config import Rule, VerifyConfig
    from syndup.rules import feature_scopes

    assert feature_scopes(VerifyConfig()) == {
        "lead_ratio": "none",
        "headline_partial": "body_missing",
        "ocr_containment": "all",  # the OCR copy features, computed together
        "ocr_narrative": "all",  # the OCR narrative features (the OCR twins read them)
    }
    custom = VerifyConfig(
        rules=(
            Rule("lead", ("lead_ratio >= 90",)),
            Rule("part", ("body_missing == 1", "headline_partial >= 95")),
        )
    )
    assert feature_scopes(custom) == {
        "lead_ratio": "all",
        "headline_partial": "body_missing",
        "ocr_containment": "none",
        "ocr_narrative": "none",
    }
    only_jaccard = VerifyConfig(rules=(Rule("ocr", ("ocr_jaccard >= 0.9",)),))
    assert feature_scopes(only_jaccard)["ocr_containment"] == "all"
    assert feature_scopes(only_jaccard)["ocr_narrative"] == "none"


def test_components_number_like_scipy() -> None:
    import numpy as np
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    from syndup.graph_cuts import components

    rng = np.random.default_rng(5)
    for n, m in [(1, 0), (10, 3), (500, 300), (2000, 2500)]:
        a, b = rng.integers(0, n, m), rng.integers(0, n, m)
        graph = coo_matrix((np.ones(m, dtype=np.int8), (a, b)), shape=(n, n))
        assert np.array_equal(components(n, a, b), connected_components(graph, directed=False)[1])


def test_explain_shows_the_path_of_a_chain_and_the_cut_of_a_split(wire_corpus) -> None:
    chain = pl.DataFrame(_chain(3, 7))
    exp = explain(chain, "chain-0-Ass", "chain-6-Sta")
    assert exp.rule is None and exp.same_cluster  # no direct match, joined through the chain
    assert exp.path[0]["id_a"] == "chain-0-Ass" and exp.path[-1]["id_b"] == "chain-6-Sta"
    assert all(step["id_b"] == nxt["id_a"] for step, nxt in zip(exp.path, exp.path[1:]))
    assert all(step["rule"] for step in exp.path)

    s1, s2 = _body(wire_corpus, "s1"), _body(wire_corpus, "s2")
    page = {
        "id": "two-story",
        "headline": "River town votes to rebuild levee after record spring flood",
        "published": "2025-03-05T09:00:00Z",
        # The outlet dropped the first story's dateline: with it, its city ("DETROIT (AP)")
        # already keeps the second story's versions from matching (dateline_city_differs).
        "body": _undated(s1) + "\n\nIn business news:\n\n" + "\n\n".join(s2.split("\n\n")[:5]),
    }
    split = explain(_with(wire_corpus, page), "s1", "s2-yahoo")
    assert split.same_cluster is False
    cut = [step for step in split.path if "cut" in step]
    assert cut and cut[0]["cut"] == "two-story" and "story" in cut[0]["reason"]


def test_explain_command_prints_the_joining_path(tmp_path) -> None:
    from typer.testing import CliRunner

    from syndup.cli import app

    path = tmp_path / "chain.jsonl"
    pl.DataFrame(_chain(3, 7)).write_ndjson(path)
    out = CliRunner(env={"COLUMNS": "200"}).invoke(
        app, ["explain", str(path), "chain-0-Ass", "chain-6-Sta"]
    )
    assert out.exit_code == 0, out.output
    assert "Joined through matched edges: chain-0-Ass" in out.output
    assert out.output.count("→") >= 2


def _wire_pages(pages: dict[str, tuple[str, int, str, list[str]]]) -> pl.DataFrame:
    """Pages of one day's AP story: id -> (headline, hour, outlet, paragraphs)."""
    return pl.DataFrame(
        [
            {
                "id": id_,
                "outlet": outlet,
                "headline": head,
                "published": f"2025-04-01T{hour:02d}:00:00Z",
                "body": "WASHINGTON (AP) — " + "\n\n".join(body),
            }
            for id_, (head, hour, outlet, body) in pages.items()
        ]
    )


def test_a_version_holding_an_earlier_one_keeps_its_own_trimmed_copy() -> None:
    """A write-through version that holds an earlier, trimmed version under another headline
    is a suspect multi-story page; with it removed, its trimmed copy (its own headline and
    lead) and the next version (about its length, the narrative partly shared) fall into
    groups that share nothing. Both reach the page as the page's own story, so neither is
    a second story to cut."""
    rng = np.random.default_rng(11)
    letters = np.array(list("abcdefghijklmnopqrstuvwxyz"))
    vocab = ["".join(rng.choice(letters, 6)) for _ in range(3000)]

    def paras(k: int) -> list[str]:
        return [" ".join(rng.choice(vocab, 28)) + "." for _ in range(k)]

    top, lower, new_top = paras(3), paras(8), paras(3)
    pages = {
        "earlier": ("Storm moves up the coast", 0, "Associated Press", lower[2:6]),
        "version": ("Thousands without power after storm makes landfall", 3, "AP", top + lower),
        "trimmed": ("Thousands without power after storm makes landfall", 4, "Station", top),
        "next": (
            "Coastal towns count the damage",
            6,
            "Associated Press",
            new_top + lower[:2] + lower[4:],
        ),
    }
    df = _wire_pages(pages)
    det = Detector()
    result = det.run(df)
    version, trimmed, nxt = _cluster_of(result, "version", "trimmed", "next")
    assert version == trimmed == nxt
    graph = story_graph(det.last_prepared, _edges(det, result), det.config.cluster)
    assert not graph.cuts["reason"].str.starts_with("two-story").any()


def test_a_wire_version_holding_its_earlier_version_stays_joined() -> None:
    """A later version from the same wire, hours on, holds the earlier (trimmed) version
    lower down under a new headline: a version of one story, not a page that holds this
    story among others (a roundup item is a small part of its page)."""
    rng = np.random.default_rng(12)
    letters = np.array(list("abcdefghijklmnopqrstuvwxyz"))
    vocab = ["".join(rng.choice(letters, 6)) for _ in range(3000)]
    paras = [" ".join(rng.choice(vocab, 28)) + "." for _ in range(10)]
    pages = {
        "earlier": ("Storm moves up the coast", 0, "Station", paras[6:]),
        "later": ("Thousands without power after storm makes landfall", 5, "AP", paras),
    }
    df = _wire_pages(pages)
    result = Detector().run(df)
    assert result.pairs["matched"].all()
    assert len(set(_cluster_of(result, "earlier", "later"))) == 1
    late = df.with_columns(
        pl.when(pl.col("id") == "later")
        .then(pl.lit("2025-04-03T05:00:00Z"))
        .otherwise(pl.col("published"))
        .alias("published")
    )
    det = Detector()
    apart = det.run(late)  # two days on: no version, the page holds the story
    assert apart.pairs["matched"].all()
    assert len(set(_cluster_of(apart, "earlier", "later"))) == 2
    cuts = story_graph(det.last_prepared, _edges(det, apart), det.config.cluster).cuts
    assert cuts["reason"].str.starts_with("the page holds").all() and cuts.height == 1


def test_headline_only_records_extend_a_headline_but_never_swap_its_names() -> None:
    """A headline contained in another's is a copy when it adds words or rewords common ones,
    not when it swaps a place, a party or a count (real headline pairs, STS news set)."""
    from syndup.pipeline import cluster

    pairs = [
        (
            "Pakistan condemns US drone strike in Shawal Area",
            "Pakistan condemns US drone strike in Miranshah",
            False,
        ),
        (
            "FAA lifts ban on U.S. flights to Tel Aviv",
            "FAA lifts ban on U.S. flights to Israel",
            False,
        ),
        (
            "Annan to visit Syrian refugees in Turkey Tuesday",
            "Annan to visit Syrian refugees in Turkey before Iran",
            False,
        ),
        (
            "Marc Maron Amits Progressives Are a Buzzkill in HBO Special Trailer",
            "Marc Maron Admits Progressives Are a Buzzkill in HBO Special Trailer: We Annoyed "
            "the Average American Into Fascism",
            True,
        ),
        (
            "Algerian president in France for medical tests",
            "Algerian president in France for medical tests after minor stroke",
            True,
        ),
        (
            "Chinese court upholds death penalties for Mekong murderers",
            "Court upholds death sentences for Mekong murderers",
            True,
        ),
    ]
    records = [
        {"id": f"{side}{i}", "headline": h, "outlet": f"Outlet {side}", "published": "2013-05-01"}
        for i, (ha, hb, _) in enumerate(pairs)
        for side, h in (("a", ha), ("b", hb))
    ]
    got = dict(cluster(pl.DataFrame(records)).assignments.select("id", "cluster_id").iter_rows())
    for i, (ha, _, copy) in enumerate(pairs):
        same = got[f"a{i}"] is not None and got[f"a{i}"] == got[f"b{i}"]
        assert same == copy, ha


def test_rules_in_numpy_decide_as_the_polars_expression(prepared) -> None:
    """A few pairs are decided in numpy, many by the polars expression: the same rule for
    every pair, features set exactly at (and just past) each rule's thresholds, with nulls."""
    from syndup.rules import RULES_IN_NUMPY, parse_condition

    cfg = VerifyConfig()
    rng = np.random.default_rng(7)
    n = prepared.docs.height
    a, b = rng.integers(0, n, 1200), rng.integers(0, n, 1200)
    keep = a != b
    pairs = pl.DataFrame(
        {"a": np.minimum(a, b)[keep], "b": np.maximum(a, b)[keep]},
        schema={"a": pl.UInt32, "b": pl.UInt32},
    )
    feats = pair_features(pairs, prepared)
    # The OCR band (pairs no word-level rule decides) is chosen by the same rules.
    chunks = [pair_features(pairs.slice(lo, 50), prepared) for lo in range(0, pairs.height, 50)]
    assert pl.concat(chunks).equals(feats)
    feats = feats.head(4 * RULES_IN_NUMPY)
    moved: dict[str, np.ndarray] = {}
    for i in range(feats.height):  # each pair near one rule's conditions
        rule = cfg.rules[rng.integers(len(cfg.rules))]
        for condition in rule.when:
            name, _, value = parse_condition(condition)
            if name not in moved:
                moved[name] = feats[name].cast(pl.Float64).to_numpy().copy()
            moved[name][i] = value + rng.choice([0.0, 0.0, 1e-3, -1e-3, 1.0, -1.0])
    for name, values in moved.items():
        col = pl.Series(name, values, nan_to_null=True)
        if feats[name].dtype.is_integer():
            col = col.round(0)
        col = col.cast(feats[name].dtype, strict=False)
        feats = feats.with_columns(col.scatter(rng.integers(0, feats.height, 20), None))
    many = apply_rules(feats, cfg)  # > RULES_IN_NUMPY rows: the polars expression
    assert many["matched"].sum() > 20 and many["rule"].drop_nulls().n_unique() > 5
    few = pl.concat([apply_rules(feats.slice(lo, 50), cfg) for lo in range(0, feats.height, 50)])
    assert few.equals(many)
