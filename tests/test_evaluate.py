"""Cluster scoring: hand-worked examples, brute-force cross-checks, pair errors."""

from __future__ import annotations

from itertools import combinations

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from syndup.errors import InputError
from syndup.evaluate import Scores, pair_errors, score_clusters

# Six articles; gold clusters {1,2,3} {4,5} {6}: 3 + 1 = 4 true pairs, C(6,2) = 15 pairs.
IDS = ["1", "2", "3", "4", "5", "6"]
GOLD = pl.DataFrame({"id": IDS, "cluster": ["g1", "g1", "g1", "g2", "g2", "g3"]})


def _pred(labels: list[object], ids: list[str] = IDS) -> pl.DataFrame:
    return pl.DataFrame({"id": ids, "cluster_id": labels}, strict=False)


def test_perfect_prediction_scores_one_everywhere() -> None:
    s = score_clusters(_pred(["a", "a", "a", "b", "b", "c"]), GOLD)
    assert (s.articles, s.pred_clusters, s.gold_clusters) == (6, 2, 2)
    assert (s.true_pairs, s.predicted_pairs, s.correct_pairs) == (4, 4, 4)
    for name in ("pairwise_precision", "pairwise_recall", "pairwise_f1", "bcubed_precision"):
        assert getattr(s, name) == pytest.approx(1.0)
    assert s.bcubed_recall == pytest.approx(1.0) and s.ari == pytest.approx(1.0)


def test_everything_merged() -> None:
    s = score_clusters(_pred([7] * 6), GOLD)
    # 15 predicted pairs, all 4 true pairs among them: P = 4/15, R = 1, F1 = 8/19.
    assert (s.predicted_pairs, s.correct_pairs, s.pred_clusters) == (15, 4, 1)
    assert s.pairwise_precision == pytest.approx(4 / 15)
    assert s.pairwise_recall == 1.0
    assert s.pairwise_f1 == pytest.approx(8 / 19)
    # B-cubed P: (3 * 3/6 + 2 * 2/6 + 1/6) / 6 = 7/18; R = 1; F1 = 14/25.
    assert s.bcubed_precision == pytest.approx(7 / 18)
    assert s.bcubed_recall == pytest.approx(1.0)
    assert s.bcubed_f1 == pytest.approx(14 / 25)
    # expected index = 15 * 4 / 15 = 4 = index -> ARI 0.
    assert s.ari == pytest.approx(0.0)


def test_everything_split() -> None:
    s = score_clusters(_pred(["a", "b", "c", "d", "e", "f"]), GOLD)
    # No predicted pairs: precision 1.0 by convention, recall 0, F1 0.
    assert (s.predicted_pairs, s.correct_pairs, s.pred_clusters) == (0, 0, 0)
    assert (s.pairwise_precision, s.pairwise_recall, s.pairwise_f1) == (1.0, 0.0, 0.0)
    # B-cubed R: (3 * 1/3 + 2 * 1/2 + 1) / 6 = 1/2; P = 1; F1 = 2/3.
    assert s.bcubed_precision == pytest.approx(1.0)
    assert s.bcubed_recall == pytest.approx(0.5)
    assert s.bcubed_f1 == pytest.approx(2 / 3)
    assert s.ari == pytest.approx(0.0)  # expected 0 = index, max = 2


def test_partial_example_with_null_label() -> None:
    pred = _pred([1, 1, 1, 2, None], ids=IDS[:5])
    gold = pl.DataFrame({"id": [1, 2, 3, 4, 5], "cluster": ["x", "x", "y", "y", "y"]})
    s = score_clusters(pred, gold)
    # pred {1,2,3} {4} {5}; gold {1,2} {3,4,5}. Pairs: predicted 3, true 1 + 3 = 4, correct
    # (1,2) only: P = 1/3, R = 1/4, F1 = 2/7.
    assert (s.predicted_pairs, s.true_pairs, s.correct_pairs) == (3, 4, 1)
    assert s.pairwise_f1 == pytest.approx(2 / 7)
    # B-cubed P: 1,2 -> 2/3; 3 -> 1/3; 4, 5 -> 1: 11/3 / 5 = 11/15.
    # B-cubed R: 1,2 -> 1; 3, 4, 5 -> 1/3 each: 3 / 5.
    assert s.bcubed_precision == pytest.approx(11 / 15)
    assert s.bcubed_recall == pytest.approx(3 / 5)
    # ARI: expected = 3 * 4 / 10 = 1.2, max = 3.5: (1 - 1.2) / (3.5 - 1.2) = -2/23.
    assert s.ari == pytest.approx(-2 / 23)


def test_degenerate_all_singletons_and_tiny_inputs() -> None:
    s = score_clusters(_pred(list("abcdef")), GOLD.with_columns(cluster=pl.col("id")))
    assert (s.ari, s.pairwise_f1, s.bcubed_f1, s.gold_clusters) == (1.0, 1.0, 1.0, 0)
    one = score_clusters(_pred(["a"], ids=["1"]), GOLD.head(1))
    assert one.articles == 1 and one.ari == 1.0


def test_null_label_never_collides_with_a_real_label() -> None:
    # Article "a" has a null label; article "b" is labelled "a" (the id): still two singletons.
    pred = pl.DataFrame({"id": ["a", "b"], "cluster_id": [None, "a"]})
    gold = pl.DataFrame({"id": ["a", "b"], "cluster": ["a", None]})
    s = score_clusters(pred, gold)
    assert (s.predicted_pairs, s.true_pairs, s.ari) == (0, 0, 1.0)


# --- brute-force references ---------------------------------------------------------------


def _norm(labels: list[object]) -> list[object]:
    return [("own", i) if x is None else x for i, x in enumerate(labels)]


def _brute(p: list[object], g: list[object]) -> dict[str, float]:
    p, g, n = _norm(p), _norm(g), len(p)
    pairs = list(combinations(range(n), 2))
    pp = {(i, j) for i, j in pairs if p[i] == p[j]}
    tp = {(i, j) for i, j in pairs if g[i] == g[j]}
    prec = len(pp & tp) / len(pp) if pp else 1.0
    rec = len(pp & tp) / len(tp) if tp else 1.0
    bp = sum(sum(p[j] == p[i] and g[j] == g[i] for j in range(n)) / p.count(p[i]) for i in range(n))
    br = sum(sum(p[j] == p[i] and g[j] == g[i] for j in range(n)) / g.count(g[i]) for i in range(n))
    counts = {"correct_pairs": len(pp & tp), "predicted_pairs": len(pp), "true_pairs": len(tp)}
    rates = {"pairwise_precision": prec, "pairwise_recall": rec, "bcubed_precision": bp / n}
    return {**counts, **rates, "bcubed_recall": br / n, "ari": _ari_table(p, g)}


def _ari_table(p: list[object], g: list[object]) -> float:
    """Hubert-Arabie ARI on a numpy contingency table."""
    pu, pi = np.unique([repr(x) for x in p], return_inverse=True)
    gu, gi = np.unique([repr(x) for x in g], return_inverse=True)
    table = np.zeros((len(pu), len(gu)))
    np.add.at(table, (pi, gi), 1)

    def c2(x: np.ndarray) -> float:
        return float((x * (x - 1) / 2).sum())

    index, a, b, total = c2(table), c2(table.sum(1)), c2(table.sum(0)), c2(np.array(len(p)))
    expected = a * b / total if total else 0.0
    maximum = (a + b) / 2
    if maximum == expected:
        return 1.0 if index == a == b else 0.0
    return (index - expected) / (maximum - expected)


LABELS = st.lists(st.one_of(st.none(), st.integers(0, 5)), min_size=1, max_size=40)


@settings(max_examples=150, deadline=None)
@given(LABELS, st.data())
def test_metrics_match_brute_force(pred_labels: list[int | None], data: st.DataObject) -> None:
    n = len(pred_labels)
    gold_labels = data.draw(st.lists(st.one_of(st.none(), st.integers(0, 5)), min_size=n,
                                     max_size=n))  # fmt: skip
    ids = [f"i{k:02d}" for k in range(n)]
    s = score_clusters(_pred(pred_labels, ids), pl.DataFrame({"id": ids, "cluster": gold_labels}))
    for key, value in _brute(pred_labels, gold_labels).items():
        assert getattr(s, key) == pytest.approx(value, abs=1e-12), key
    assert s.pairwise_f1 <= 1.0 and -1.0 <= s.ari <= 1.0


def _true_errors(p: list[object], g: list[object], ids: list[str]) -> dict[str, set]:
    p, g = _norm(p), _norm(g)
    out: dict[str, set] = {"false_merge": set(), "missed": set()}
    for i, j in combinations(range(len(ids)), 2):
        if (p[i] == p[j]) != (g[i] == g[j]):
            out["false_merge" if p[i] == p[j] else "missed"].add(tuple(sorted((ids[i], ids[j]))))
    return out


@settings(max_examples=100, deadline=None)
@given(LABELS, st.data(), st.integers(0, 12))
def test_pair_errors_are_real_errors(pl_: list[int | None], data: st.DataObject, lim: int) -> None:
    n = len(pl_)
    gl = data.draw(st.lists(st.one_of(st.none(), st.integers(0, 3)), min_size=n, max_size=n))
    ids = [f"i{k:02d}" for k in range(n)]
    gold = pl.DataFrame({"id": ids, "cluster": gl})
    errs = pair_errors(_pred(pl_, ids), gold, limit=lim)
    truth = _true_errors(pl_, gl, ids)
    for kind, want in truth.items():
        got = errs.filter(pl.col("kind") == kind)
        pairs = list(zip(got["id_a"], got["id_b"]))
        assert len(pairs) == len(set(pairs)) == min(lim, len(want))
        assert set(pairs) <= want and all(a < b for a, b in pairs)
    everything = pair_errors(_pred(pl_, ids), gold, limit=10_000)
    for kind, want in truth.items():
        got = everything.filter(pl.col("kind") == kind)
        assert set(zip(got["id_a"], got["id_b"])) == want


# --- input errors, exclusions --------------------------------------------------------------


def test_missing_ids_raise_and_name_them() -> None:
    with pytest.raises(InputError, match=r"lacks 2 gold id\(s\): '5', '6'"):
        score_clusters(_pred([1, 1, 2, 2], ids=IDS[:4]), GOLD)
    gold = pl.DataFrame({"id": range(8), "cluster": [0] * 8})
    with pytest.raises(
        InputError, match=r"lacks 7 gold id\(s\): '1', '2', '3', '4', '5' and 2 more"
    ):
        pair_errors(_pred([1], ids=["0"]), gold)


def test_exclude_removes_ids_before_scoring() -> None:
    # 5 and 6 are excluded: they may be missing from the prediction and are not scored.
    s = score_clusters(_pred([1, 1, 1, 2], ids=IDS[:4]), GOLD, exclude=["5", "6"])
    assert (s.articles, s.true_pairs, s.predicted_pairs, s.gold_clusters) == (4, 3, 3, 1)
    assert s.ari == 1.0
    # Extra prediction ids (not in gold) are ignored.
    extra = _pred([1, 1, 1, 2, 2, 3, 3], ids=[*IDS, "zz"])
    assert score_clusters(extra, GOLD).ari == 1.0 and score_clusters(extra, GOLD).articles == 6


def test_bad_inputs_raise_input_error() -> None:
    with pytest.raises(InputError) as exc:
        score_clusters(GOLD.rename({"cluster": "c"}), GOLD)
    assert exc.value.field == "cluster_id"
    with pytest.raises(InputError, match="nothing to score"):
        score_clusters(_pred(list("abcdef")), GOLD, exclude=IDS)
    with pytest.raises(InputError, match="more than one cluster"):
        score_clusters(_pred(["a", "b", "a", "b", "c", "c", "d"], ids=[*IDS, "1"]), GOLD)
    with pytest.raises(InputError, match="null id"):
        score_clusters(_pred(list("abcdef")), GOLD.with_columns(id=pl.lit(None, pl.String)))
    with pytest.raises(InputError, match="limit"):
        pair_errors(_pred(list("abcdef")), GOLD, limit=-1)
    # Exact duplicate rows are harmless.
    dup = _pred(["a", "a", "a", "b", "b", "c", "a"], ids=[*IDS, "1"])
    assert score_clusters(dup, GOLD).ari == 1.0


def test_to_dict() -> None:
    d = score_clusters(_pred([7] * 6), GOLD).to_dict()
    assert list(d) == list(Scores.__dataclass_fields__)
    assert isinstance(d["articles"], int) and isinstance(d["ari"], float)


# --- pair_errors -------------------------------------------------------------------------


def test_pair_errors_kinds_and_labels() -> None:
    errs = pair_errors(_pred(["a", "a", "a", "b", "c", "c"]), GOLD)
    assert errs.columns == ["id_a", "id_b", "kind", "pred_a", "pred_b", "gold_a", "gold_b"]
    # pred {1,2,3} = gold: fine. pred {4} {5,6}: 5-6 false merge, 4-5 missed.
    assert errs.rows() == [
        ("5", "6", "false_merge", "c", "c", "g2", "g3"),
        ("4", "5", "missed", "b", "c", "g2", "g2"),
    ]
    empty = pair_errors(_pred(["a", "a", "a", "b", "b", "c"]), GOLD)
    assert empty.height == 0 and empty.schema == errs.schema
    assert pair_errors(_pred([1] * 6), GOLD, limit=0).height == 0


def test_pair_errors_on_a_5000_member_cluster_is_bounded() -> None:
    n = 5000
    ids = [f"d{k:05d}" for k in range(n)]
    pred = pl.DataFrame({"id": ids, "cluster_id": ["big"] * n})
    gold = pl.DataFrame({"id": ids, "cluster": [f"g{k % 50}" for k in range(n)]})
    errs = pair_errors(pred, gold, limit=25)
    scores = score_clusters(pred, gold)
    assert errs.height == 25 and set(errs["kind"]) == {"false_merge"}
    assert (errs["gold_a"] != errs["gold_b"]).all() and (errs["id_a"] < errs["id_b"]).all()
    assert scores.correct_pairs == 50 * (100 * 99 // 2)
    # The reverse: one gold story split into 5000 singletons -> only missed pairs.
    errs = pair_errors(
        gold.rename({"cluster": "cluster_id"}), pred.rename({"cluster_id": "cluster"})
    )
    assert errs.height == 20 and set(errs["kind"]) == {"missed"}


def test_pair_errors_favour_variety_and_are_deterministic() -> None:
    # Ten predicted clusters, each merging two gold stories of sizes 3 and 2 (6 errors each).
    ids = [f"{c}-{k}" for c in range(10) for k in range(5)]
    pred = pl.DataFrame({"id": ids, "cluster_id": [i.split("-")[0] for i in ids]})
    gold = pl.DataFrame(
        {"id": ids, "cluster": [i[:-1] + ("a" if i[-1] < "3" else "b") for i in ids]}
    )
    errs = pair_errors(pred, gold, limit=20)
    assert errs.height == 20
    per_cluster = errs.group_by("pred_a").len()["len"]
    assert per_cluster.max() <= 3 and len(per_cluster) == 7
    assert pair_errors(pred.reverse(), gold.sample(fraction=1.0, shuffle=True, seed=3)).equals(errs)


def test_scoring_counts_pairs_without_enumerating_them() -> None:
    rng = np.random.default_rng(0)
    n = 200_000
    gold_lab = rng.integers(0, 40_000, n)
    gold_lab[:5000] = -1  # one 5,000-member story
    ids = np.arange(n).astype(str)
    gold = pl.DataFrame({"id": ids, "cluster": gold_lab})
    pred = pl.DataFrame({"id": ids, "cluster_id": gold_lab})
    s = score_clusters(pred, gold)
    assert s.ari == 1.0 and s.correct_pairs == s.true_pairs >= 5000 * 4999 // 2
