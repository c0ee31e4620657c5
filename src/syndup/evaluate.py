"""Score predicted clusters against gold clusters, and list the worst pair errors.

Every metric comes from the contingency table (the counts of articles per pair of predicted
and gold cluster), built with polars ``group_by``; pairs are never enumerated, so a million
articles with clusters of thousands of members score in about a second. Pair counts use
``n * (n - 1) / 2`` per group and exact integer arithmetic.

Which articles are scored: the gold ids minus ``exclude``. Every one of them must appear in
the prediction; prediction ids absent from gold are ignored. A null cluster label (either
side) makes the article a singleton of its own, whatever other labels say.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass
from itertools import combinations, islice

import polars as pl

from syndup.errors import InputError

ERRORS_PER_CLUSTER = 3
"""``pair_errors`` takes at most this many errors from a cluster before visiting the next."""

Part = tuple[list[str], str | None, str | None]
"""A sub-group of a cluster: its (first) sorted ids, its pred label and its gold label."""

_ERROR_SCHEMA = dict.fromkeys(
    ["id_a", "id_b", "kind", "pred_a", "pred_b", "gold_a", "gold_b"], pl.String
)


@dataclass(frozen=True)
class Scores:
    """Clustering scores of a prediction against gold.

    Pairwise metrics count article pairs: a cluster of ``n`` holds ``n(n-1)/2`` pairs, so they
    are dominated by the largest clusters (one wrong merge of two 100-article clusters costs
    5,000 pairs). B-cubed averages per article, so every article (singletons included) weighs
    the same. ARI is pairwise agreement corrected for chance: 0 is what random labels with the
    same cluster sizes score on average, 1 is identical partitions, and it can go negative.

    Attributes:
        articles: Articles scored (gold ids, minus excluded ones).
        pred_clusters: Predicted clusters with at least 2 scored members.
        gold_clusters: Gold clusters with at least 2 scored members.
        true_pairs: Pairs in the same gold cluster.
        predicted_pairs: Pairs in the same predicted cluster.
        correct_pairs: Pairs in the same cluster in both.
        pairwise_precision: ``correct_pairs / predicted_pairs``. With no predicted pairs it is
            1.0 (nothing wrong was claimed), even when gold has pairs: read it with recall.
        pairwise_recall: ``correct_pairs / true_pairs``; 1.0 when gold has no pairs.
        pairwise_f1: Harmonic mean of pairwise precision and recall; 0.0 when both are 0.
        bcubed_precision: Mean over articles of ``|pred ∩ gold| / |pred|`` for the article's
            own clusters. Singletons score 1.0, so a mostly-singleton corpus scores high.
        bcubed_recall: Mean over articles of ``|pred ∩ gold| / |gold|``.
        bcubed_f1: Harmonic mean of B-cubed precision and recall.
        ari: Adjusted Rand index (Hubert & Arabie). When it is undefined (expected index equals
            the maximum, e.g. all singletons on both sides) it is 1.0 for identical partitions
            and 0.0 otherwise.
    """

    articles: int
    pred_clusters: int
    gold_clusters: int
    true_pairs: int
    predicted_pairs: int
    correct_pairs: int
    pairwise_precision: float
    pairwise_recall: float
    pairwise_f1: float
    bcubed_precision: float
    bcubed_recall: float
    bcubed_f1: float
    ari: float

    def to_dict(self) -> dict[str, float | int]:
        """All fields, in declaration order (counts as int, metrics as float)."""
        return asdict(self)


def _f1(p: float, r: float) -> float:
    return 0.0 if p + r == 0 else 2.0 * p * r / (p + r)


def _as_text(df: pl.DataFrame, side: str, id_col: str, col: str, label: str) -> pl.DataFrame:
    """``id`` and ``label`` columns, both cast to String."""
    for c in (id_col, col):
        if c not in df.columns:
            raise InputError(f"{side} has no '{c}' column (columns: {df.columns})", field=c)
    try:
        return df.select(
            pl.col(id_col).cast(pl.String).alias("id"), pl.col(col).cast(pl.String).alias(label)
        )
    except pl.exceptions.PolarsError as exc:
        raise InputError(f"{side} ids/labels cannot be read as text: {exc}", field=col) from exc


def _prepare(
    pred: pl.DataFrame,
    gold: pl.DataFrame,
    id_col: str,
    pred_col: str,
    gold_col: str,
    exclude: Iterable[str] | None,
) -> tuple[pl.DataFrame, list[str], list[str]]:
    """One row per scored article with String columns id, pred, gold; and the key columns of
    each side: the label, plus ``pred_own``/``gold_own`` (the id where the label is null, so
    each null label is a singleton that cannot collide with a real label) when needed."""
    g = _as_text(gold, "gold", id_col, gold_col, "gold")
    p = _as_text(pred, "prediction", id_col, pred_col, "pred").with_columns(_hit=pl.lit(True))
    nulls = g.get_column("id").is_null()
    if nulls.any():
        row = int(nulls.arg_true()[0]) + 1
        raise InputError("gold has a null id", row=row, field=id_col)
    if exclude is not None:
        exclude = [exclude] if isinstance(exclude, str) else exclude
        dropped = pl.Series([str(x) for x in exclude if x is not None], dtype=pl.String)
        g = g.filter(~pl.col("id").is_in(dropped.implode()))
    if g.height == 0:
        raise InputError("nothing to score: gold has no ids (after exclusions)", field=id_col)
    df = g.join(p, on="id", how="left")
    if df.get_column("id").n_unique() != df.height:  # rare: repeated ids, maybe conflicting
        g = g.unique(maintain_order=True)
        p = p.join(g, on="id", how="semi").unique(maintain_order=True)
        for side, part, col in (("gold", g, gold_col), ("prediction", p, pred_col)):
            dup = part.filter(pl.col("id").is_duplicated())
            if dup.height:
                msg = f"{side} gives id {dup['id'][0]!r} more than one cluster"
                raise InputError(msg, field=col)
        df = g.join(p, on="id", how="left")
    lost = df.filter(pl.col("_hit").is_null()).get_column("id")
    if len(lost):
        first = g.filter(pl.col("id").is_in(lost.implode())).get_column("id").head(5)
        shown = ", ".join(repr(x) for x in first.to_list())
        more = f" and {len(lost) - 5:,} more" if len(lost) > 5 else ""
        raise InputError(f"prediction lacks {len(lost):,} gold id(s): {shown}{more}", field=id_col)
    df = df.drop("_hit")
    keys: dict[str, list[str]] = {}
    for side in ("pred", "gold"):
        keys[side] = [side]
        if df.get_column(side).null_count():
            own = pl.when(pl.col(side).is_null()).then(pl.col("id")).alias(f"{side}_own")
            df = df.with_columns(own)
            keys[side].append(f"{side}_own")
    return df, keys["pred"], keys["gold"]


def _pairs(sizes: pl.Series) -> int:
    """Same-cluster pairs: sum of n(n-1)/2 over group sizes (Int64 is exact to n ~ 4e9)."""
    return int((sizes * (sizes - 1) // 2).sum())


def score_clusters(
    pred: pl.DataFrame,
    gold: pl.DataFrame,
    *,
    id_col: str = "id",
    pred_col: str = "cluster_id",
    gold_col: str = "cluster",
    exclude: Iterable[str] | None = None,
) -> Scores:
    """Score a predicted clustering against gold with pairwise, B-cubed and ARI metrics.

    Args:
        pred: Prediction, one row per article: ``id_col`` and ``pred_col``.
        gold: Gold, one row per article: ``id_col`` and ``gold_col``. Its ids are the ones
            scored. Ids and labels are compared as strings on both sides.
        id_col: Article id column in both frames.
        pred_col: Cluster label column in ``pred``.
        gold_col: Cluster label column in ``gold``.
        exclude: Ids left out of scoring on both sides (e.g. gold junk pages); they need
            not be in the prediction.

    Returns:
        The scores; see ``Scores`` for what each metric means and its caveats.

    Raises:
        InputError: A column is missing, gold has null or conflicting ids, the prediction
            lacks gold ids (the first few are named), or nothing is left to score.
    """
    df, pk, gk = _prepare(pred, gold, id_col, pred_col, gold_col, exclude)
    n = df.height
    cont = df.group_by(*pk, *gk).agg(n=pl.len().cast(pl.Int64))
    cont = cont.with_columns(a=pl.col("n").sum().over(pk), b=pl.col("n").sum().over(gk))
    sizes_p = cont.group_by(pk).agg(pl.col("n").sum()).get_column("n")
    sizes_g = cont.group_by(gk).agg(pl.col("n").sum()).get_column("n")
    sq = pl.col("n").cast(pl.Float64) ** 2
    bp, br = cont.select(p=(sq / pl.col("a")).sum() / n, r=(sq / pl.col("b")).sum() / n).row(0)
    correct, predicted, true = _pairs(cont["n"]), _pairs(sizes_p), _pairs(sizes_g)
    precision = correct / predicted if predicted else 1.0
    recall = correct / true if true else 1.0
    return Scores(
        articles=n,
        pred_clusters=int((sizes_p >= 2).sum()),
        gold_clusters=int((sizes_g >= 2).sum()),
        true_pairs=true,
        predicted_pairs=predicted,
        correct_pairs=correct,
        pairwise_precision=precision,
        pairwise_recall=recall,
        pairwise_f1=_f1(precision, recall),
        bcubed_precision=bp,
        bcubed_recall=br,
        bcubed_f1=_f1(bp, br),
        ari=_ari(n, correct, predicted, true),
    )


def _ari(n: int, index: int, a: int, b: int) -> float:
    """ARI = (index - expected) / (max - expected), expected = a*b/C(n,2), max = (a+b)/2,
    where index = correct pairs, a = predicted pairs, b = true pairs. Exact integers: the
    quotient is multiplied through by 2*C(n,2)."""
    total = n * (n - 1) // 2
    num = 2 * (total * index - a * b)
    den = total * (a + b) - 2 * a * b
    if den == 0:  # degenerate: happens only with a == b == 0, a == b == total, or n < 2
        return 1.0 if index == a == b else 0.0
    return num / den


def pair_errors(
    pred: pl.DataFrame,
    gold: pl.DataFrame,
    *,
    id_col: str = "id",
    pred_col: str = "cluster_id",
    gold_col: str = "cluster",
    exclude: Iterable[str] | None = None,
    limit: int = 20,
) -> pl.DataFrame:
    """The worst pair errors: at most ``limit`` false merges and ``limit`` missed pairs.

    A false merge is a pair in the same predicted cluster but different gold clusters; a
    missed pair is in the same gold cluster but different predicted clusters. Clusters with
    errors are visited largest first (ties: smallest member id); within a cluster, the
    sub-groups of the other side are taken largest first and their smallest ids first, so
    the first error of a cluster joins (or separates) its two largest parts. For variety at
    most ``ERRORS_PER_CLUSTER`` errors are taken from a cluster per round, round-robin, until
    ``limit`` is reached. Pairs are generated lazily: the work is bounded by ``limit``, not
    by cluster sizes.

    Args:
        pred, gold, id_col, pred_col, gold_col, exclude: As for ``score_clusters``.
        limit: Maximum number of errors of each kind (0 gives an empty frame).

    Returns:
        Columns ``id_a``, ``id_b`` (``id_a < id_b`` as strings), ``kind`` (``"false_merge"``
        or ``"missed"``), ``pred_a``, ``pred_b``, ``gold_a``, ``gold_b`` (the labels of each
        id; null where the input label was null), all String; false merges first, each kind
        in the order described above.

    Raises:
        InputError: As for ``score_clusters``, or a negative ``limit``.
    """
    if limit < 0:
        raise InputError(f"limit must be >= 0, got {limit}", field="limit")
    df, pk, gk = _prepare(pred, gold, id_col, pred_col, gold_col, exclude)
    rows: list[tuple] = []
    if limit:
        cont = df.group_by(*pk, *gk).agg(n=pl.len(), first=pl.col("id").min())
        rows += _errors(df, cont, pk, gk, "false_merge", limit)
        rows += _errors(df, cont, gk, pk, "missed", limit)
    return pl.DataFrame(rows, schema=_ERROR_SCHEMA, orient="row")


def _errors(
    df: pl.DataFrame, cont: pl.DataFrame, ck: list[str], ok: list[str], kind: str, limit: int
) -> list[tuple]:
    """Errors within clusters keyed by ``ck`` whose members span several ``ok`` parts;
    ``cont`` is the contingency table (a row per non-empty cluster x part: n, first id)."""
    clusters = (
        cont.group_by(ck)
        .agg(parts=pl.len(), size=pl.col("n").sum(), first=pl.col("first").min())
        .filter(pl.col("parts") > 1)
        .sort(["size", "first"], descending=[True, False])
        .head(limit)  # each yields >= 1 error, so `limit` clusters suffice
        .select(ck[0], rank=pl.int_range(pl.len()))
    )
    # Clusters with 2+ parts have 2+ members, so their label ck[0] is not null (null labels
    # are singletons) and identifies them. Exact caps: `limit` pairs of a cluster touch at
    # most limit+1 parts, and at most limit+1 ids of each part.
    cap = limit + 1
    cand = cont.join(clusters, on=ck[0], how="inner").with_row_index("_row")
    top = pl.col("_row").top_k_by(["n", "first"], k=cap, reverse=[False, True])
    chosen = cand[cand.group_by("rank").agg(top).explode("_row").get_column("_row")]
    parts = (
        df.filter(pl.col(ck[0]).is_in(clusters.get_column(ck[0]).implode()))
        .join(chosen, on=[*ck, *ok], how="inner", nulls_equal=True)
        .group_by(*ck, *ok)
        .agg(pl.col("rank", "n", "first").first(), ids=pl.col("id").sort().head(cap))
        .sort(["rank", "n", "first"], descending=[False, True, False])
    )
    by_cluster: dict[int, list[Part]] = {}
    for rank, ids, p, g in parts.select("rank", "ids", "pred", "gold").iter_rows():
        by_cluster.setdefault(rank, []).append((ids, p, g))
    gens = [_cross_pairs(by_cluster[r]) for r in sorted(by_cluster)]
    out: list[tuple] = []
    while gens and len(out) < limit:
        alive = []
        for gen in gens:
            took = list(islice(gen, min(ERRORS_PER_CLUSTER, limit - len(out))))
            out.extend(took)
            if len(out) >= limit:
                break
            if len(took) == ERRORS_PER_CLUSTER:
                alive.append(gen)
        gens = alive
    return [_row(kind, *pair) for pair in out]


def _cross_pairs(parts: list[Part]) -> Iterator[tuple[str, Part, str, Part]]:
    """Pairs across different parts: first one pair per pair of parts (their smallest ids),
    then the remaining pairs of each pair of parts."""
    for x, y in combinations(parts, 2):
        yield x[0][0], x, y[0][0], y
    for x, y in combinations(parts, 2):
        for i, a in enumerate(x[0]):
            for j, b in enumerate(y[0]):
                if i or j:
                    yield a, x, b, y


def _row(kind: str, a: str, pa: Part, b: str, pb: Part) -> tuple:
    if b < a:
        a, pa, b, pb = b, pb, a, pa
    return (a, b, kind, pa[1], pb[1], pa[2], pb[2])
