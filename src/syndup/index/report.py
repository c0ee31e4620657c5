"""A run-like ``Result`` from an index, for the HTML report (``syndup index report``).

The index keeps what the report shows: assignments (cluster, canonical, similarity, rule,
evidence), clusters, each article's outlet, published time and headline, and its cleaned
body (zstd), which the report diffs against the canonical. Approximations: diffs are of the
cleaned bodies (boilerplate already removed), not of the raw pages; typed evidence is read
back from the stored evidence line (2 decimals); urls are not stored; pairs and input
problems belong to the batches that were added, not to the index, so those tables are
empty.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import polars as pl

from syndup.index.articles import _decompress
from syndup.result import EVIDENCE, Result

if TYPE_CHECKING:
    from syndup.index.core import Index

UTC = pl.Datetime("us", "UTC")
_LABELS = ("body_j", "contain", "unquoted", "lead_j", "headline")  # verify.evidence_expr


def index_result(index: Index) -> tuple[Result, pl.DataFrame]:
    """``(result, corpus)`` for ``htmlreport.report_data``: the index's clusters as a
    ``Result`` and its articles' cleaned bodies as the corpus (``id, body``)."""
    store = index._store
    arts = store.articles(
        None, columns=("doc", "id", "outlet", "published", "headline", "body", "body_len")
    )
    bodies = [
        _decompress(b, n) if b else ""
        for b, n in zip(arts["body"].to_list(), arts["body_len"].to_list())
    ]
    context = arts.select(
        "id",
        "headline",
        "outlet",
        pl.lit(None, dtype=pl.String).alias("url"),
        pl.from_epoch(pl.col("published"), time_unit="us").cast(UTC).alias("published"),
    )
    # The stored evidence line ("body_j=0.93 contain=0.95 ...") back into typed columns.
    ev = pl.col("evidence").fill_null("")
    asg = index.assignments().with_columns(
        *[
            ev.str.extract(rf"(?:^| ){label}=([0-9.]+)").cast(pl.Float32).alias(name)
            for label, name in zip(_LABELS, EVIDENCE)
        ],
        pl.lit(None, dtype=pl.String).alias("reason"),
    )
    clusters = index.clusters().drop("founded", "updated")
    result = Result(
        assignments=asg,
        clusters=clusters,
        pairs=pl.DataFrame(schema={"id_a": pl.String, "id_b": pl.String}),
        rejects=pl.DataFrame(schema={"id": pl.String, "reason": pl.String}),
        stats={"articles": asg.height},
        config=index.config,
        outlets=context.select("id", "outlet"),
        context=context,
    )
    corpus = pl.DataFrame({"id": arts["id"], "body": pl.Series(bodies, dtype=pl.String)})
    return result, corpus
