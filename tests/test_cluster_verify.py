"""Verification rules, the chaining guard and canonical choice, on real prepared text."""

from __future__ import annotations

import dataclasses

import numpy as np
import polars as pl
import pytest

from syndup import Config, ConfigError, Rule
from syndup.cluster import build_clusters, choose_canonical
from syndup.config import ClusterConfig, VerifyConfig
from syndup.io import read_corpus
from syndup.prepare import prepare
from syndup.verify import apply_rules, condition_expr, pair_features


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


def test_chaining_guard_splits_a_bridge(prepared) -> None:
    s1 = rows(prepared, "s1", "s1-globe", "s1-trim")
    s2 = rows(prepared, "s2", "s2-yahoo")
    bridge = rows(prepared, "roundup")[0]
    a = [s1[0], s1[0], s2[0], bridge, bridge]
    b = [s1[1], s1[2], s2[1], s1[0], s2[0]]
    edges = pl.DataFrame({"a": a, "b": b})
    labels, _, _ = build_clusters(prepared, edges, ClusterConfig())
    assert labels[s1[0]] == labels[s1[1]] == labels[s1[2]]
    assert labels[s2[0]] == labels[s2[1]]
    assert labels[s1[0]] != labels[s2[0]]
    off = build_clusters(prepared, edges, dataclasses.replace(ClusterConfig(), guard_similarity=0))
    assert off[0][s1[0]] == off[0][s2[0]]  # without the guard the bridge joins both stories


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
    from syndup.verify import feature_scopes

    assert feature_scopes(VerifyConfig()) == {
        "lead_ratio": "none",
        "headline_partial": "body_missing",
    }
    custom = VerifyConfig(
        rules=(
            Rule("lead", ("lead_ratio >= 90",)),
            Rule("part", ("body_missing == 1", "headline_partial >= 95")),
        )
    )
    assert feature_scopes(custom) == {"lead_ratio": "all", "headline_partial": "body_missing"}


def test_components_number_like_scipy() -> None:
    import numpy as np
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    from syndup.cluster import components

    rng = np.random.default_rng(5)
    for n, m in [(1, 0), (10, 3), (500, 300), (2000, 2500)]:
        a, b = rng.integers(0, n, m), rng.integers(0, n, m)
        graph = coo_matrix((np.ones(m, dtype=np.int8), (a, b)), shape=(n, n))
        assert np.array_equal(components(n, a, b), connected_components(graph, directed=False)[1])
