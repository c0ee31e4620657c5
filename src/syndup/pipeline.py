"""The Detector: runs read -> normalise -> sign -> LSH -> verify -> cluster, with stage stats.

Each stage is a pure function over polars/numpy data (see the stage modules); the Detector
only sequences them, times them and assembles the result tables.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import polars as pl

from syndup.cluster import build_clusters, components, similarity_to
from syndup.config import Config
from syndup.io import read_corpus
from syndup.lsh import band_keys, band_params, candidate_codes
from syndup.prepare import Prepared, prepare
from syndup.signature import jaccard
from syndup.verify import apply_rules, evidence_expr, pair_features, rules_use

log = logging.getLogger("syndup")

ProgressFn = Callable[[str, int, int], None]  # (stage, done, total)


@dataclass(frozen=True)
class Result:
    """What a run produces. All tables are polars DataFrames.

    Attributes:
        assignments: one row per usable article: id, cluster_id, cluster_size, canonical_id,
            is_canonical, similarity (to the canonical, 0-1), rule (why it joined), evidence.
        clusters: one row per cluster of 2+: cluster_id, size, canonical_id, decided_by,
            headline, outlets, first_published, last_published.
        pairs: every candidate pair with its features, ``rule`` and ``matched``.
        rejects: input rows with no usable text (not clustered), with a reason.
        stats: per-stage seconds and counts.
    """

    assignments: pl.DataFrame
    clusters: pl.DataFrame
    pairs: pl.DataFrame
    rejects: pl.DataFrame
    stats: dict[str, Any] = field(default_factory=dict)
    config: Config = field(default_factory=Config)

    def summary(self, *, top: int = 10) -> dict[str, Any]:
        """Headline numbers: articles, clusters, duplicates, largest clusters, top outlets."""
        asg = self.assignments
        dup = asg.filter(~pl.col("is_canonical") & (pl.col("cluster_size") > 1))
        outlets = (
            asg.filter(pl.col("cluster_size") > 1)
            .join(self._outlets(), on="id", how="left")
            .group_by("outlet")
            .agg(pl.len().alias("articles_in_clusters"))
            .drop_nulls("outlet")
            .sort(["articles_in_clusters", "outlet"], descending=[True, False])
            .head(top)
        )
        return {
            "articles": self.stats.get("articles", asg.height),
            "usable": asg.height,
            "rejected": self.rejects.height,
            "clusters": self.clusters.height,
            "duplicates": dup.height,
            "candidate_pairs": self.pairs.height,
            "verified_pairs": int(self.pairs["matched"].sum()) if self.pairs.height else 0,
            "largest_clusters": self.clusters.head(top).to_dicts(),
            "top_outlets": outlets.to_dicts(),
        }

    def _outlets(self) -> pl.DataFrame:
        return self.stats.get(
            "_outlets", pl.DataFrame(schema={"id": pl.String, "outlet": pl.String})
        )


class Detector:
    """Finds reprint clusters. ``Detector(config).run(df_or_path)`` -> ``Result``."""

    def __init__(self, config: Config | None = None, *, progress: ProgressFn | None = None):
        self.config = config or Config()
        self.progress = progress
        self.stats: dict[str, Any] = {}
        self.last_prepared: Prepared | None = None

    @contextmanager
    def _stage(self, name: str) -> Iterator[None]:
        start = time.perf_counter()
        yield
        self.stats.setdefault("seconds", {})[name] = round(time.perf_counter() - start, 3)
        log.info("%s: %.2fs", name, self.stats["seconds"][name])

    def prepare(self, data: pl.DataFrame | str | os.PathLike[str], **read_opts: Any) -> Prepared:
        """Read (if given a path) and prepare articles; drops nothing."""
        with self._stage("read"):
            df = (
                data
                if isinstance(data, pl.DataFrame) and "row" in data.columns
                else read_corpus(data, **read_opts)
            )
        self.stats["articles"] = df.height
        self._input = df
        total = df.height
        done = [0]

        def tick(n: int) -> None:
            done[0] += n
            if self.progress:
                self.progress("signatures", done[0], total)

        with self._stage("normalise+signatures"):
            return prepare(df, self.config, progress=tick)

    def candidates(self, prepared: Prepared) -> pl.DataFrame:
        """Distinct candidate pairs from the body, lead and headline LSH indexes.

        Headline candidates are drawn for headline-only records only: when both sides have
        a body, the body decides, and a shared headline alone is no proof of a copy.
        """
        lcfg = self.config.lsh
        no_body = prepared.docs["body_words"].to_numpy() == 0
        indexes = (
            ("body", prepared.body_sig, lcfg.body_threshold, None),
            ("lead", prepared.lead_sig, lcfg.lead_threshold, None),
            ("headline", prepared.headline_sig, lcfg.headline_threshold, no_body),
        )
        all_codes, all_flags = [], []
        for bit, (name, sig, threshold, only) in enumerate(indexes):
            if only is not None and not only.any():
                continue
            bands, rows = band_params(threshold, sig.shape[1], recall_weight=lcfg.recall_weight)
            keys = band_keys(sig, bands=bands, rows=rows)
            codes = candidate_codes(
                keys, anchors=lcfg.anchors, warn_bucket=lcfg.warn_bucket, index=name, only=only
            )
            self.stats.setdefault("candidates", {})[name] = len(codes)
            all_codes.append(codes)
            all_flags.append(np.full(len(codes), 1 << bit, dtype=np.int64))
        codes = np.concatenate(all_codes) if all_codes else np.zeros(0, dtype=np.int64)
        flags = np.concatenate(all_flags) if all_flags else np.zeros(0, dtype=np.int64)
        order = np.argsort(codes, kind="stable")
        codes, flags = codes[order], flags[order]
        first = np.ones(len(codes), dtype=bool)
        first[1:] = codes[1:] != codes[:-1]
        starts = np.flatnonzero(first)
        merged = np.bitwise_or.reduceat(flags, starts) if len(starts) else flags
        names = [
            "+".join(n for bit, (n, *_) in enumerate(indexes) if mask >> bit & 1)
            for mask in range(8)
        ]
        return pl.DataFrame(
            {
                "a": (codes[starts] >> 32).astype(np.uint32),
                "b": (codes[starts] & 0xFFFFFFFF).astype(np.uint32),
                "index": np.array(names, dtype=object)[merged],
            },
            schema={"a": pl.UInt32, "b": pl.UInt32, "index": pl.String},
        )

    def run(self, data: pl.DataFrame | str | os.PathLike[str], **read_opts: Any) -> Result:
        """Run every stage and assemble the result tables."""
        prepared = self.prepare(data, **read_opts)
        self.last_prepared = prepared
        docs = prepared.docs
        with self._stage("candidates"):
            pairs = self.candidates(prepared)
            usable = docs["usable"].to_numpy()
            pairs = pairs.filter(
                pl.Series(usable[pairs["a"].to_numpy()] & usable[pairs["b"].to_numpy()])
            )
        with self._stage("verify"):
            feats = self.verify(pairs, prepared)
            feats = self._recheck_skipped(feats, prepared)
        with self._stage("cluster"):
            result = self._assemble(prepared, feats)
        self.stats["pairs"] = {
            "candidates": feats.height,
            "verified": int(feats["verified"].sum()),
            "matched": int(feats["matched"].sum()),
        }
        return result

    def _recheck_skipped(self, feats: pl.DataFrame, prepared: Prepared) -> pl.DataFrame:
        """Verify skipped pairs that the chaining guard left in different clusters.

        A pair is skipped when its ends are already connected; if the guard then splits
        that connection, the skipped pair may be the evidence that still joins them.
        """
        lead_r = rules_use(self.config.verify, "lead_ratio")
        for _ in range(2):
            edges = feats.filter(pl.col("matched"))
            labels, _, _ = build_clusters(prepared, edges, self.config.cluster)
            a = feats["a"].to_numpy().astype(np.int64)
            b = feats["b"].to_numpy().astype(np.int64)
            redo = (~feats["verified"].to_numpy()) & (labels[a] != labels[b])
            if not redo.any():
                break
            part = feats.filter(pl.Series(redo)).select("a", "b", "index")
            checked = pair_features(
                part, prepared, body_ngram=self.config.signature.body_ngram, lead_ratio=lead_r
            )
            checked = apply_rules(checked, self.config.verify).with_columns(
                pl.lit(True).alias("verified"), evidence_expr().alias("evidence")
            )
            checked = checked.with_columns(
                pl.when(pl.col("matched"))
                .then(pl.lit("matched"))
                .otherwise(pl.lit("rejected"))
                .alias("status")
            )
            feats = pl.concat(
                [feats.filter(pl.Series(~redo)), checked.select(feats.columns)],
                how="vertical_relaxed",
            )
        return feats

    def verify(self, pairs: pl.DataFrame, prepared: Prepared) -> pl.DataFrame:
        """Score and decide candidate pairs, most similar first, in batches.

        A pair whose two articles are already joined by earlier matches is skipped
        (``verified`` false, ``status`` "skipped"): it could not change any cluster. With
        stories copied hundreds of times this verifies a few edges per article instead of
        every pair in a giant bucket. Skipped pairs keep null features.
        """
        n = prepared.docs.height
        lead_r = rules_use(self.config.verify, "lead_ratio")
        a = pairs["a"].to_numpy().astype(np.int64)
        b = pairs["b"].to_numpy().astype(np.int64)
        order = np.argsort(-_estimate(prepared, a, b), kind="stable")
        pairs = pairs[order]
        a, b = a[order], b[order]
        labels = np.arange(n)
        batch = 100_000  # bounded memory: features for one batch at a time
        done, parts, edges_a, edges_b = 0, [], [], []
        for start in range(0, len(a), batch):
            stop = min(start + batch, len(a))
            todo = np.flatnonzero(labels[a[start:stop]] != labels[b[start:stop]]) + start
            part = pairs[todo]
            feats = pair_features(
                part, prepared, body_ngram=self.config.signature.body_ngram, lead_ratio=lead_r
            )
            feats = apply_rules(feats, self.config.verify)
            parts.append(feats.with_columns(pl.lit(True).alias("verified")))
            skipped = np.setdiff1d(np.arange(start, stop), todo, assume_unique=True)
            if len(skipped):
                parts.append(
                    pairs[skipped].with_columns(
                        pl.lit(None, dtype=pl.String).alias("rule"),
                        pl.lit(False).alias("matched"),
                        pl.lit(False).alias("verified"),
                    )
                )
            hit = feats["matched"].to_numpy()
            edges_a.append(feats["a"].to_numpy()[hit].astype(np.int64))
            edges_b.append(feats["b"].to_numpy()[hit].astype(np.int64))
            labels = components(n, np.concatenate(edges_a), np.concatenate(edges_b))
            done = stop
            if self.progress:
                self.progress("verify", done, len(a))
        if not parts:
            empty = pair_features(pairs, prepared)
            parts = [
                apply_rules(empty, self.config.verify).with_columns(pl.lit(True).alias("verified"))
            ]
        out = pl.concat(parts, how="diagonal_relaxed")
        status = (
            pl.when(pl.col("matched"))
            .then(pl.lit("matched"))
            .when(pl.col("verified"))
            .then(pl.lit("rejected"))
            .otherwise(pl.lit("skipped"))
        )
        return out.with_columns(evidence_expr().alias("evidence"), status.alias("status"))

    def _assemble(self, prepared: Prepared, feats: pl.DataFrame) -> Result:
        docs = prepared.docs
        n = docs.height
        usable = docs["usable"].to_numpy()
        edges = feats.filter(pl.col("matched"))
        labels, canon_row, canon = build_clusters(prepared, edges, self.config.cluster)
        ids = docs["id"].to_numpy()
        rows = np.arange(n)
        sim = np.ones(n)
        members = np.flatnonzero(canon_row != rows)
        sim[members] = similarity_to(prepared, members, canon_row[members])
        sizes = np.bincount(labels)[labels]
        # Why each member joined: its matched edge to the canonical if any, else its best edge.
        ends = pl.concat(
            [
                edges.select(
                    pl.col("a").alias("row"),
                    pl.col("b").alias("other"),
                    "rule",
                    "evidence",
                    "body_containment",
                    "headline_ratio",
                ),
                edges.select(
                    pl.col("b").alias("row"),
                    pl.col("a").alias("other"),
                    "rule",
                    "evidence",
                    "body_containment",
                    "headline_ratio",
                ),
            ]
        ).with_columns(pl.col("row").cast(pl.Int64), pl.col("other").cast(pl.Int64))
        canon_frame = pl.DataFrame({"row": rows, "canon_row": canon_row, "label": labels})
        why = (
            ends.join(canon_frame, on="row")
            .with_columns((pl.col("other") == pl.col("canon_row")).alias("_to_canon"))
            .sort(
                ["row", "_to_canon", "body_containment", "headline_ratio"],
                descending=[False, True, True, True],
                nulls_last=True,
            )
            .group_by("row", maintain_order=True)
            .agg(pl.col("rule").first(), pl.col("evidence").first())
        )
        order = (
            pl.DataFrame({"label": labels, "size": sizes, "canon_id": ids[canon_row]})
            .unique("label")
            .sort(["size", "canon_id"], descending=[True, False])
            .with_columns(pl.int_range(1, pl.len() + 1).alias("cluster_no"))
        )
        width = max(4, len(str(order.height)))
        asg = (
            pl.DataFrame(
                {
                    "row": rows,
                    "id": ids,
                    "label": labels,
                    "cluster_size": sizes.astype(np.int64),
                    "canonical_id": ids[canon_row],
                    "is_canonical": canon_row == rows,
                    "similarity": np.round(sim, 3),
                }
            )
            .join(order.select("label", "cluster_no"), on="label", how="left")
            .join(why, on="row", how="left")
            .with_columns(
                pl.format("c{}", pl.col("cluster_no").cast(pl.String).str.zfill(width)).alias(
                    "cluster_id"
                ),
                pl.when(pl.col("is_canonical"))
                .then(pl.lit("canonical"))
                .otherwise(pl.col("rule"))
                .alias("rule"),
            )
            .filter(pl.Series(usable))
            .sort("row")
            .select(
                "id",
                "cluster_id",
                "cluster_size",
                "canonical_id",
                "is_canonical",
                "similarity",
                "rule",
                "evidence",
            )
        )
        asg = asg.with_columns(
            pl.when(pl.col("cluster_size") == 1).then(None).otherwise(pl.col("rule")).alias("rule")
        )
        clusters = self._cluster_table(docs, asg, canon, labels)
        inp = self._input
        rejects = inp.filter(~pl.Series(usable)).with_columns(
            pl.lit("no usable text (headline and body empty after cleanup)").alias("reason")
        )
        pairs = feats.with_columns(
            pl.Series("id_a", ids[feats["a"].to_numpy()], dtype=pl.String),
            pl.Series("id_b", ids[feats["b"].to_numpy()], dtype=pl.String),
        )
        pairs = pairs.select("id_a", "id_b", pl.exclude("id_a", "id_b", "a", "b"))
        self.stats["_outlets"] = docs.select("id", "outlet")
        self.stats["clusters"] = clusters.height
        return Result(asg, clusters, pairs, rejects, self.stats, self.config)

    def _cluster_table(
        self, docs: pl.DataFrame, asg: pl.DataFrame, canon: pl.DataFrame, labels: np.ndarray
    ) -> pl.DataFrame:
        info = docs.select("id", "outlet", "published", "headline").with_columns(
            self._input["body"].alias("body")
        )
        multi = asg.filter(pl.col("cluster_size") > 1).join(info, on="id")
        if multi.height == 0:
            return pl.DataFrame(
                schema={
                    "cluster_id": pl.String,
                    "size": pl.Int64,
                    "canonical_id": pl.String,
                    "decided_by": pl.String,
                    "headline": pl.String,
                    "outlets": pl.List(pl.String),
                    "first_published": pl.Datetime("us", "UTC"),
                    "last_published": pl.Datetime("us", "UTC"),
                }
            )
        decided = canon.select(
            pl.Series("canonical_id", docs["id"].to_numpy()[canon["canonical"].to_numpy()]),
            "decided_by",
        )
        canon_head = info.select(
            pl.col("id").alias("canonical_id"),
            pl.coalesce(pl.col("headline"), pl.col("body").str.slice(0, 80)).alias("headline"),
        )
        return (
            multi.group_by("cluster_id")
            .agg(
                pl.len().alias("size"),
                pl.col("canonical_id").first(),
                pl.col("outlet").drop_nulls().unique().sort().alias("outlets"),
                pl.col("published").min().alias("first_published"),
                pl.col("published").max().alias("last_published"),
            )
            .join(decided, on="canonical_id", how="left")
            .join(canon_head, on="canonical_id", how="left")
            .sort(["size", "cluster_id"], descending=[True, False])
            .select(
                "cluster_id",
                "size",
                "canonical_id",
                "decided_by",
                "headline",
                "outlets",
                "first_published",
                "last_published",
            )
        )


def _estimate(prepared: Prepared, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Cheap similarity for ordering pairs: body MinHash Jaccard, or headline's if no body."""
    out = np.empty(len(a))
    for start in range(0, len(a), 100_000):
        sl = slice(start, start + 100_000)
        body = jaccard(prepared.body_sig[a[sl]], prepared.body_sig[b[sl]])
        head = jaccard(prepared.headline_sig[a[sl]], prepared.headline_sig[b[sl]])
        out[sl] = np.where(body > 0, body, head)
    return out


def cluster(
    data: pl.DataFrame | str | os.PathLike[str],
    *,
    config: Config | None = None,
    **read_opts: Any,
) -> Result:
    """Cluster reprints in a corpus (DataFrame or path to JSONL/CSV/Parquet).

    ``read_opts`` go to ``syndup.io.read_corpus`` (``format=``, ``columns=``).
    """
    return Detector(config).run(data, **read_opts)
