"""End to end on the wire fixture and the seed page's headlines."""

from __future__ import annotations

import itertools
import json

import numpy as np
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import syndup
from syndup import Config


def clusters_of(result: syndup.Result) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for row in result.assignments.iter_rows(named=True):
        out.setdefault(row["cluster_id"], set()).add(row["id"])
    return out


def pairs(groups) -> set[tuple[str, str]]:
    return {tuple(sorted(p)) for g in groups for p in itertools.combinations(g, 2)}


@pytest.fixture(scope="module")
def result(wire_corpus: pl.DataFrame) -> syndup.Result:
    return syndup.cluster(wire_corpus)


def test_wire_clusters_match_gold(result: syndup.Result, wire_corpus: pl.DataFrame) -> None:
    gold: dict[str, set[str]] = {}
    for row in wire_corpus.iter_rows(named=True):
        if row["id"] != "empty":
            gold.setdefault(row["gold"], set()).add(row["id"])
    predicted = pairs(clusters_of(result).values())
    expected = pairs(gold.values())
    assert predicted == expected, (predicted - expected, expected - predicted)


def test_every_row_is_accounted_for(result: syndup.Result, wire_corpus: pl.DataFrame) -> None:
    assert result.assignments.height == wire_corpus.height  # input rows = output rows
    assert result.assignments["id"].to_list() == wire_corpus["id"].to_list()
    empty = result.assignments.filter(pl.col("id") == "empty").row(0, named=True)
    assert empty["cluster_id"] is None and "no usable text" in empty["reason"]
    assert result.rejects["id"].to_list() == ["empty"]
    assert result.rejects["action"].to_list() == ["not_clustered"]


def test_canonical_is_the_wire_copy_and_rule_is_recorded(result: syndup.Result) -> None:
    clusters = {r["canonical_id"]: r for r in result.clusters.iter_rows(named=True)}
    assert clusters["s1"]["decided_by"] == "earliest_published"  # two AP copies: s1 is first
    assert clusters["s2"]["decided_by"] == "wire_outlet"
    assert clusters["s1"]["size"] == 7
    asg = result.assignments.filter(pl.col("id") == "s1-trim").row(0, named=True)
    assert asg["canonical_id"] == "s1" and not asg["is_canonical"]
    assert asg["rule"] in {"contained_body", "near_identical_body"}
    assert 0.8 <= asg["similarity"] <= 1.0
    assert "contain=" in asg["evidence"]


def test_quote_sharing_same_event_article_is_not_a_copy(result: syndup.Result) -> None:
    by_id = {r["id"]: r["cluster_id"] for r in result.assignments.iter_rows(named=True)}
    assert by_id["s5"] != by_id["s1"]
    pair = result.pairs.filter(
        (pl.col("id_a") == "s1") & (pl.col("id_b") == "s5")
        | (pl.col("id_a") == "s5") & (pl.col("id_b") == "s1")
    )
    if pair.height:
        assert not pair["matched"].item()


def test_summary_counts(result: syndup.Result) -> None:
    s = result.summary()
    assert s["articles"] == 22
    assert s["clusters"] == 3
    assert s["duplicates"] == 6 + 3 + 3
    assert s["largest_clusters"][0]["canonical_id"] == "s1"


def test_seed_headlines_acceptance(seed_headlines: pl.DataFrame) -> None:
    """The 16 AP copies form one cluster; Burn it all, Geoff Russ and Marc Maron pairs each
    cluster; the Obama and Mamdani pairs stay apart; no other merge among certain=1 rows."""
    result = syndup.cluster(seed_headlines)
    cl = dict(zip(result.assignments["id"], result.assignments["cluster_id"]))
    ap = seed_headlines.filter(pl.col("cluster") == "ap-redistricting")["id"].to_list()
    assert len(ap) == 16 and len({cl[i] for i in ap}) == 1
    assert result.assignments.filter(pl.col("cluster_id") == cl[ap[0]]).height == 16
    for a, b in (("h41", "h42"), ("h59", "h60"), ("h71", "h73")):
        assert cl[a] == cl[b], (a, b)
    assert cl["h65"] != cl["h69"]  # Obama: MSNBC vs Fox News
    assert cl["h18"] != cl["h50"]  # Mamdani
    certain = seed_headlines.filter(pl.col("certain") == 1)
    gold = dict(zip(certain["id"], certain["cluster"]))
    for x, y in itertools.combinations(gold, 2):
        if cl[x] == cl[y]:
            assert gold[x] == gold[y], (x, y)


def test_config_changes_behaviour(wire_corpus: pl.DataFrame) -> None:
    strict = Config.from_dict(
        {"verify": {"rules": [{"name": "identical", "when": ["body_jaccard >= 0.99"]}]}}
    )
    result = syndup.cluster(wire_corpus, config=strict)
    assert result.summary()["clusters"] < 3 or result.summary()["duplicates"] < 11


def test_generic_headlines_never_cluster_alone(result: syndup.Result) -> None:
    by_id = {r["id"]: r["cluster_size"] for r in result.assignments.iter_rows(named=True)}
    assert by_id["letters-0"] == by_id["letters-1"] == 1


def test_large_corpus_path_gives_identical_results(tmp_path, wire_corpus: pl.DataFrame) -> None:
    """Above the size threshold, raw and cleaned bodies are kept compressed in blocks; the
    clusters, evidence and rejects must not change."""
    blank = wire_corpus.head(1).with_columns(
        pl.lit("blank-1").alias("id"), pl.lit("").alias("headline"), pl.lit("  ").alias("body")
    )
    corpus = pl.concat([wire_corpus, blank], how="diagonal_relaxed")
    path = tmp_path / "corpus.jsonl"
    corpus.write_ndjson(path)
    small = {"signature": {"batch_size": 7}}
    plain = syndup.cluster(path, config=Config.from_dict(small))
    packed = syndup.cluster(
        path,
        config=Config.from_dict({"signature": {**small["signature"], "compress_text_above_mb": 0}}),
    )
    assert packed.assignments.equals(plain.assignments)
    assert packed.pairs.equals(plain.pairs)
    assert packed.clusters.equals(plain.clusters)
    assert packed.rejects.equals(plain.rejects)
    blank_row = packed.rejects.filter(pl.col("id") == "blank-1")
    assert json.loads(blank_row["raw"].item())["body"] == "  "  # rejects keep the raw input


def test_releasing_search_signatures_changes_nothing(
    wire_corpus: pl.DataFrame, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Clustering runs without the lead and headline signatures (released in verify when
    ``keep_signatures`` is off), with the body signatures compacted in place and released
    after the story graph: every table equals a run that keeps them."""
    monkeypatch.setattr("syndup.compact.PAGE_ARRAY_BYTES", 0)  # in place even when small
    kept = syndup.Detector()
    freed = syndup.Detector(keep_signatures=False)
    a, b = kept.run(wire_corpus), freed.run(wire_corpus)
    for name in ("assignments", "pairs", "clusters", "rejects"):
        assert getattr(b, name).equals(getattr(a, name)), name
    assert kept.last_prepared is not None and freed.last_prepared is not None
    assert kept.last_prepared.lead_sig.shape[0] == wire_corpus.height
    assert freed.last_prepared.lead_sig.shape == (0, kept.last_prepared.lead_sig.shape[1])
    assert freed.last_prepared.headline_sig.shape[0] == 0
    assert freed.last_prepared.body_sig.shape[0] == 0
    with pytest.raises(ValueError, match="dropped by for_clustering"):
        freed.last_prepared.body_jaccard(np.array([0]), np.array([1]))
    # In place, the body signatures are cut to the ends of matched edges, read through
    # their slots, in the full matrix's own memory.
    full = kept.last_prepared
    ends = a.pairs.filter(pl.col("matched"))
    rows = (
        full.docs.with_row_index("row")
        .filter(
            pl.col("id").is_in(pl.concat([ends["id_a"], ends["id_b"]]).cast(pl.String).implode())
        )["row"]
        .to_numpy()
    )
    spent = syndup.Detector().prepare(wire_corpus)
    assert (spent.body_sig == full.body_sig).all()
    memory = spent.body_sig
    cut = spent.for_clustering(rows, in_place=True)
    assert 0 < cut.body_sig.shape[0] == len(rows) < full.body_sig.shape[0]
    assert np.shares_memory(cut.body_sig, memory)
    assert (cut.body_signatures(rows) == full.body_sig[rows]).all()
    pa, pb = np.meshgrid(rows, rows)
    assert (
        cut.body_jaccard(pa.ravel(), pb.ravel()) == full.body_jaccard(pa.ravel(), pb.ravel())
    ).all()
    dropped = np.setdiff1d(np.arange(full.docs.height), rows)[:1]
    with pytest.raises(ValueError, match="dropped by for_clustering"):
        cut.body_jaccard(dropped, rows[:1])


def test_keeping_only_matched_pairs_changes_no_other_table(wire_corpus: pl.DataFrame) -> None:
    """``keep_pairs=False`` (``syndup cluster`` without ``--pairs``): the same assignments,
    clusters, rejects and counts; ``pairs`` holds the matched pairs with the clustering's
    columns, equal to those rows and columns of every pair."""
    from syndup.pipeline import MATCHED_COLUMNS

    full = syndup.Detector(keep_signatures=False).run(wire_corpus)
    lean = syndup.Detector(keep_signatures=False, keep_pairs=False).run(wire_corpus)
    for name in ("assignments", "clusters", "rejects"):
        assert getattr(lean, name).equals(getattr(full, name)), name
    assert lean.summary() == full.summary()
    columns = ["id_a", "id_b", *MATCHED_COLUMNS[2:]]
    assert lean.pairs.columns == columns
    matched = full.pairs.filter(pl.col("matched")).select(columns)
    assert matched.height > 0 and lean.pairs.equals(matched)


@pytest.fixture(scope="module")
def mixed_corpus(wire_corpus: pl.DataFrame) -> pl.DataFrame:
    """The wire corpus plus a two-story page, whose cut depends on which edges exist."""
    body = dict(wire_corpus.select("id", "body").iter_rows())
    page = wire_corpus.filter(pl.col("id") == "s1").with_columns(
        pl.lit("two-story").alias("id"),
        pl.lit("Extra").alias("outlet"),
        pl.lit(body["s1"] + "\n\n" + body["s2"]).alias("body"),
    )
    return pl.concat([wire_corpus, page])


def _partition(res: syndup.Result) -> tuple[set[frozenset[str]], dict[str, str]]:
    groups = {frozenset(g) for g in clusters_of(res).values()}
    canon = dict(res.assignments.select("id", "canonical_id").iter_rows())
    return groups, canon


@settings(
    max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(seed=st.integers(0, 10_000))
def test_partition_does_not_depend_on_input_order(mixed_corpus: pl.DataFrame, seed: int) -> None:
    base = _partition(syndup.cluster(mixed_corpus))
    shuffled = mixed_corpus.sample(fraction=1.0, shuffle=True, seed=seed)
    res = syndup.cluster(shuffled)
    assert _partition(res) == base
    kept = set(res.assignments["id"])
    assert res.assignments["id"].to_list() == [i for i in shuffled["id"] if i in kept]


def test_explain_with_integer_ids_gives_the_joining_path(wire_corpus: pl.DataFrame) -> None:
    df = wire_corpus.with_columns(pl.int_range(100, 100 + pl.len()).alias("id"))
    res = syndup.cluster(df)
    assert res.assignments.schema["id"] == pl.Int64
    biggest = res.clusters.row(0, named=True)
    members = res.assignments.filter(pl.col("cluster_id") == biggest["cluster_id"])["id"]
    for other in members.to_list()[1:]:
        exp = syndup.explain(df, members[0], other)
        assert exp.same_cluster
        # a pair that does not match directly is joined by a path of matched edges
        assert exp.rule is not None or exp.path


@pytest.mark.parametrize("compress", [0, 1000])
@pytest.mark.parametrize("lead_rule", [False, True])
def test_verify_reading_blocks_once_equals_per_pair_reads(
    wire_corpus: pl.DataFrame, compress: int, lead_rule: bool
) -> None:
    """``Detector.verify`` reads every body feature in one walk over the stored blocks;
    on a shuffled corpus (stored order unlike id order) in blocks of 5 rows, its features
    and decisions equal ``pair_features``' own per-feature reads of the same pairs."""
    from syndup.pipeline import Detector
    from syndup.rules import apply_rules, feature_scopes
    from syndup.verify import pair_features

    # OCR-like copies (misread glyphs) for pairs the words leave open: OCR evidence is read.
    damaged = wire_corpus.filter(pl.col("body").str.len_chars() > 500).head(4)
    damaged = damaged.with_columns(
        pl.col("id") + "-ocr",
        pl.col("body").str.replace_all("m", "rn").str.replace_all(" the ", " tbe "),
    )
    corpus = pl.concat([wire_corpus, damaged])
    shuffled = corpus.sample(fraction=1.0, shuffle=True, seed=3)
    rules = [{"name": r.name, "when": list(r.when)} for r in Config().verify.rules]
    if lead_rule:  # a rule reading lead_ratio on pairs with bodies (the lead texts are
        # read) and the OCR rules, which then read the OCR evidence for most pairs
        ocr = [r for r in rules if any(c.startswith("ocr_") for c in r["when"])]
        rules = [{"name": "same_lead", "when": ["lead_ratio >= 90", "body_jaccard >= 0.2"]}, *ocr]
    config = Config.from_dict(
        {
            "signature": {"batch_size": 5, "compress_text_above_mb": compress},
            "verify": {"rules": rules},
        }
    )
    det = Detector(config)
    prepared = det.prepare(shuffled)
    assert len(prepared.bodies.starts()) > 3
    cand = det.candidates(prepared)
    walked = det.verify(cand, prepared).sort("a", "b")
    direct = apply_rules(
        pair_features(
            cand,
            prepared,
            body_ngram=config.signature.body_ngram,
            scopes=feature_scopes(config.verify),
            rules=config.verify.rules,
        ),
        config.verify,
    ).sort("a", "b")
    assert walked.height == direct.height > 20
    assert walked.drop("verified", "status").equals(direct)
    assert (walked["lead_ratio"].is_not_null().sum() > 0) == lead_rule
    assert (walked["ocr_containment"].is_not_null().sum() > 0) == lead_rule
    assert walked["body_containment"].is_not_null().sum() > 0
