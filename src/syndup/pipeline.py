"""The Detector: runs read -> normalise -> sign -> LSH -> verify -> cluster, with stage stats.

Each stage is a pure function over polars/numpy data (see the stage modules); the Detector
only sequences them, times them and assembles the result tables.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any

import numpy as np
import polars as pl

from syndup.body_checks import (
    NARRATIVE_ROWS,
    REFILL_BAND,
    TWIN_BAND,
    stored_features,
    text_plan,
)
from syndup.cluster import build_clusters
from syndup.config import Config
from syndup.errors import InputError, Problem
from syndup.graph_cuts import EDGE_FEATURES
from syndup.io import Reading, read_articles
from syndup.io.read import stream_parquet
from syndup.io.write import text_ready
from syndup.lsh import band_params, signature_candidates
from syndup.prepare import Prepared, offload_bodies, prepare
from syndup.result import EVIDENCE, Result, assemble, canonical_similarity, cluster_edges
from syndup.rules import apply_rules, feature_scopes
from syndup.signature import pair_jaccard
from syndup.verify import pair_features, with_ocr, word_features
from syndup.wire_feed import feed_pairs

log = logging.getLogger("syndup")

ProgressFn = Callable[[str, int, int], None]  # (stage, done, total)


class Detector:
    """Finds reprint clusters. ``Detector(config).run(df_or_path)`` -> ``Result``.

    ``keep_input``: keep the input's raw bodies in ``last_reading.table`` after the run (the
    HTML report and ``dedup`` write them back). Off by default: a large corpus's raw text
    then lives only in the compressed store while it is needed, not for the whole run.
    ``keep_signatures``: keep the lead and headline signatures in ``last_prepared`` after
    verification (``explain`` reads them); off, verification releases them as soon as it has
    read them, and the clustering stage runs with only the body signatures it compares
    (see ``Prepared.for_clustering``).
    ``keep_pairs``: keep every candidate pair with all its features in ``Result.pairs``
    (``--pairs`` writes them). Off, ``Result.pairs`` holds only the matched pairs, with the
    columns the clustering reads (``MATCHED_COLUMNS``), cut to them batch by batch as they
    are decided: at 1M articles ~7M feature rows of ~40 columns are not kept.
    """

    def __init__(
        self,
        config: Config | None = None,
        *,
        progress: ProgressFn | None = None,
        keep_input: bool = False,
        keep_signatures: bool = True,
        keep_pairs: bool = True,
    ):
        self.config = config or Config()
        self.progress = progress
        self.keep_input = keep_input
        self.keep_signatures = keep_signatures
        self.keep_pairs = keep_pairs
        self.stats: dict[str, Any] = {}
        self.last_prepared: Prepared | None = None
        self.last_reading: Reading | None = None

    @contextmanager
    def _stage(self, name: str) -> Iterator[None]:
        """Time a stage and record its peak RSS (``stats["peak_rss_mb"]``, see ``RssWatch``)."""
        start = time.perf_counter()
        with RssWatch() as watch:
            yield
        self.stats.setdefault("seconds", {})[name] = round(time.perf_counter() - start, 3)
        self.stats.setdefault("peak_rss_mb", {})[name] = watch.peak_mb
        log.info("%s: %.2fs, peak RSS %.0f MB", name, self.stats["seconds"][name], watch.peak_mb)

    def prepare(self, data: pl.DataFrame | str | os.PathLike[str], **read_opts: Any) -> Prepared:
        """Read and validate (every input, see ``syndup.io.read_articles``) and prepare
        articles; drops nothing. Ids are handled as text inside (``run`` gives them back
        in their input type).

        A single Parquet file is streamed (``syndup.io.stream_parquet``: the body column
        goes batch by batch into a compressed store) unless ``keep_input`` asks for the
        raw table."""
        scfg = self.config.signature
        streamed = None
        with self._stage("read"):
            if not self.keep_input and not isinstance(data, pl.DataFrame):
                streamed = stream_parquet(
                    data,
                    block_rows=scfg.batch_size,
                    compress_above_mb=scfg.compress_text_above_mb,
                    workers=scfg.workers,
                    **read_opts,
                )
            if streamed is not None:
                reading, raw = streamed
            else:
                reading = read_articles(data, **read_opts)
            if self.progress:
                self.progress("read", reading.records, reading.records)
        if reading.table.height == 0:
            raise InputError.from_problems(
                [Problem(f"no readable records: all {reading.records:,} were rejected")]
                + [Problem(**p) for p in reading.rejected.drop("value").to_dicts()]
            )
        df = reading.table.with_columns(pl.col("id").cast(pl.String))
        if not self.keep_input:  # our only other reference to the raw bodies
            reading = dataclasses.replace(reading, table=reading.table.drop("body"))
        self.last_reading = reading
        del reading
        self.stats["articles"] = self.last_reading.records
        # Every later stage visits rows in order (boilerplate samples, LSH anchors, the
        # order pairs are verified in); taking rows in id order makes the partition and
        # canonicals independent of the input's order. ``prepare`` reads the rows as they
        # come and hands them back in id order; ``complete`` restores the input order.
        order = None
        if df.height > 1 and not df["id"].is_sorted():
            order = df["id"].arg_sort().to_numpy().astype(np.int64)
        total = df.height
        done = [0]

        def tick(n: int) -> None:
            done[0] += n
            if self.progress:
                self.progress("signatures", done[0], total)

        with self._stage("normalise+signatures"):
            if streamed is not None:  # the bodies are in ``raw`` already
                del streamed
                df = df.drop("body")
                return prepare(
                    df, self.config, progress=tick, raw_bodies=raw, order=order, release_raw=True
                )
            if isinstance(data, pl.DataFrame):  # the caller holds it: nothing to free
                return prepare(df, self.config, progress=tick, order=order)
            # A large corpus's raw bodies move to a compressed store; dropping our only
            # reference to the strings frees them for the rest of the run.
            df, raw = offload_bodies(df, self.config)
            return prepare(
                df, self.config, progress=tick, raw_bodies=raw, order=order, release_raw=True
            )

    def candidates(self, prepared: Prepared) -> pl.DataFrame:
        """Distinct candidate pairs from the body, lead and headline LSH indexes.

        Headline candidates are drawn for headline-only records only: when both sides have
        a body, the body decides, and a shared headline alone is no proof of a copy.
        """
        lcfg = self.config.lsh
        docs = prepared.docs
        no_body = docs["body_words"].to_numpy() == 0
        # Versions of a wire story a few write-throughs apart share little text but keep
        # the headline: near-identical specific headlines propose pairs (bodies decide).
        specific = (
            ~no_body
            & (docs["headline_words"].to_numpy() >= 5)
            & ~docs["headline_generic"].to_numpy()
        )
        indexes = (
            ("body", prepared.body_sig, lcfg.body_threshold, None),
            ("lead", prepared.lead_sig, lcfg.lead_threshold, None),
            ("headline", prepared.headline_sig, lcfg.headline_threshold, no_body),
            ("same_headline", prepared.headline_sig, lcfg.same_headline_threshold, specific),
        )
        if lcfg.same_headline_threshold <= 0:
            indexes = indexes[:3]

        def search(index: tuple[str, np.ndarray, float, np.ndarray | None]) -> np.ndarray | None:
            name, sig, threshold, only = index
            if only is not None and not only.any():
                return None  # no record this index serves
            bands, rows = band_params(threshold, sig.shape[1], recall_weight=lcfg.recall_weight)
            return signature_candidates(
                sig,
                bands=bands,
                rows=rows,
                anchors=lcfg.anchors,
                warn_bucket=lcfg.warn_bucket,
                index=name,
                only=only,
            )

        # The indexes are independent and their kernels release the GIL: run them side by
        # side on the configured threads.
        # A few thousand articles (an index step) are searched on the calling thread.
        workers = self.config.signature.workers if prepared.docs.height >= 4096 else 1
        with ThreadPoolExecutor(max(1, workers)) as pool:
            mapper = pool.map if workers > 1 else map
            found = []
            for done, codes in enumerate(mapper(search, indexes), 1):
                found.append(codes)
                if self.progress:
                    self.progress("candidates", done, len(indexes))
        # Not LSH: versions of a wire story paired through the wire's own feed.
        indexes = (*indexes, ("wire_feed", prepared.body_sig, 0.0, None))
        found.append(
            feed_pairs(
                docs,
                feeds=self.config.cluster.wire_outlets,
                hours=lcfg.wire_feed_hours,
                min_shingles=lcfg.wire_feed_min_shingles,
                signatures=prepared.body_sig,
                min_jaccard=lcfg.wire_feed_min_jaccard,
            )
            if lcfg.wire_feed_hours > 0
            else None
        )
        kept = [(bit, codes) for bit, codes in enumerate(found) if codes is not None]
        for bit, codes in kept:
            self.stats.setdefault("candidates", {})[indexes[bit][0]] = len(codes)
        # Each index's codes are distinct and sorted: their union, then one bit per index
        # set by lookup (a byte per pair, not a sort of every index's codes with flags).
        union = pl.concat([pl.Series(c) for _, c in kept]).unique() if kept else None
        codes = union.sort().to_numpy() if union is not None else np.zeros(0, dtype=np.uint64)
        del union
        merged = np.zeros(len(codes), dtype=np.uint8)
        for bit, found_codes in kept:
            merged[np.searchsorted(codes, found_codes)] |= np.uint8(1 << bit)
        del found, kept
        names = [
            "+".join(n for bit, (n, *_) in enumerate(indexes) if mask >> bit & 1)
            for mask in range(1 << len(indexes))
        ]
        return pl.DataFrame(
            {
                "a": (codes >> 32).astype(np.uint32),
                "b": (codes & 0xFFFFFFFF).astype(np.uint32),
                "index": pl.Series(names, dtype=pl.String).gather(merged),
            },
            schema={"a": pl.UInt32, "b": pl.UInt32, "index": pl.String},
        ).with_columns(pl.col("index").cast(pl.Categorical))

    def run(self, data: pl.DataFrame | str | os.PathLike[str], **read_opts: Any) -> Result:
        """Run every stage and assemble the result tables."""
        # The run holds its preparation only as ``last_prepared``: verification replaces it
        # with one without the search signatures once it has read them (keep_signatures off).
        self.last_prepared = self.prepare(data, **read_opts)
        docs = self.last_prepared.docs
        with self._stage("candidates"):
            pairs = self.candidates(self.last_prepared)
            usable = docs["usable"].to_numpy()
            pairs = pairs.filter(
                pl.Series(usable[pairs["a"].to_numpy()] & usable[pairs["b"].to_numpy()])
            )
        with self._stage("verify"):
            feats = self.verify(
                pairs,
                self.last_prepared,
                release_signatures=not self.keep_signatures,
                keep_pairs=self.keep_pairs,
            )
            del pairs
            prepared = self.last_prepared
            if not self.keep_signatures:  # their last reader was verification
                # The cluster stage compares only the ends of matched edges.
                ends = feats.filter(pl.col("matched")).select("a", "b")
                rows = np.concatenate([ends["a"].to_numpy(), ends["b"].to_numpy()])
                del ends
                self.last_prepared = None  # the matrix is compacted in place: one holder
                prepared = self.last_prepared = prepared.for_clustering(rows, in_place=True)
        with self._stage("cluster"):
            edges = cluster_edges(feats)
            clusters = build_clusters(prepared, edges, self.config.cluster)
            similarity = canonical_similarity(prepared, clusters[1])
            if not self.keep_signatures:  # the graph and similarities read them last
                self.last_prepared = None
                prepared = self.last_prepared = prepared.without_body_signatures()
            result = assemble(
                prepared,
                feats,
                self.config,
                self.stats,
                edges=edges,
                clusters=clusters,
                similarity=similarity,
            )
            del edges, clusters, similarity
            assert self.last_reading is not None
            result = complete(result, self.last_reading, prepared)
            if self.progress:
                self.progress("cluster", docs.height, docs.height)
        return result

    def verify(
        self,
        pairs: pl.DataFrame,
        prepared: Prepared,
        *,
        release_signatures: bool = False,
        keep_pairs: bool = True,
    ) -> pl.DataFrame:
        """Score and decide candidate pairs, most similar first, in batches; their counts
        go to ``stats["pairs"]``.

        Every candidate is verified, even when its two articles are already joined by
        earlier matches: which edge explains a member (``rule``, ``evidence``) must not
        depend on the order pairs are verified in, so every engine gives the same result
        (the anchor rule already keeps candidates linear in a story's copies; skipping
        joined pairs saved ~22% of verifications at 100k).

        ``release_signatures``: once the signature estimates of every pair are read (before
        any body is), ``last_prepared`` becomes ``prepared`` without its search signatures
        and with the body signatures of the candidates' rows only (compacted in place; see
        ``Prepared.for_clustering``); the caller must hold no other reference to
        ``prepared``, which is spent. ``keep_pairs``: off, only the matched pairs come back,
        with ``MATCHED_COLUMNS`` (see ``Detector``).
        """
        scopes = feature_scopes(self.config.verify)
        a = pairs["a"].to_numpy().astype(np.int64)
        b = pairs["b"].to_numpy().astype(np.int64)
        workers = self.config.signature.workers
        body_j = _chunked_jaccard(prepared.body_sig, a, b, workers=workers)  # used thrice
        order = np.argsort(-_estimate(prepared, a, b, body_j, workers=workers), kind="stable")
        # ``pairs`` stays in the caller's order (the caller holds it too): each batch takes
        # its rows through ``order``, so no sorted copy of the whole table is made.
        a, b, body_j = a[order], b[order], _narrow(body_j[order])
        lead_j = _narrow(_chunked_jaccard(prepared.lead_sig, a, b, workers=workers))
        if release_signatures:  # no signature is read below (``body_jaccard``, ``lead_j``)
            ends = np.concatenate([a, b])
            self.last_prepared = None
            prepared = self.last_prepared = prepared.for_clustering(ends, in_place=True)
            del ends
        # Every feature that reads bodies (lead ratio, exact containment, template refill,
        # then OCR evidence) is read for all pairs at once, each stored block decompressed
        # once per read (``stored_features``); the batches below only look the values up.
        ngram = self.config.signature.body_ngram
        plan = text_plan(prepared, a, b, scopes=scopes, body_jaccard=_wide(body_j))
        stored = stored_features(prepared, a, b, plan, n=ngram)
        batch = 100_000  # bounded memory: features for one batch at a time
        rules = self.config.verify
        keep = _decided if keep_pairs else _matched
        # Pairs outside the OCR band are decided batch by batch (their OCR features stay
        # null) and kept as ``keep`` cuts them; only the band's pairs wait, whole, for the
        # OCR evidence, read for all batches in one walk below. ``_pos`` restores the order.
        decided: list[pl.DataFrame] = []
        waiting: list[pl.DataFrame] = []
        bands = []
        tolds: list[np.ndarray] = []  # per waiting pair: its narrative band (verify)
        ocr_only: list[np.ndarray] = []  # ... in the OCR copy band
        for start in range(0, len(a), batch):
            stop = min(start + batch, len(a))
            frame, band, told = word_features(
                pairs[order[start:stop]],
                prepared,
                body_ngram=ngram,
                scopes=scopes,
                body_jaccard=_wide(body_j[start:stop]),
                lead_jaccard=_wide(lead_j[start:stop]),
                rules=rules.rules,
                stored={k: v[..., start:stop] for k, v in stored.items()},
            )
            frame = frame.with_row_index("_pos")
            either = band | (told != 0)
            in_band = pl.Series(either)
            none = np.full((4, frame.height), np.nan)
            ruled = apply_rules(with_ocr(frame, none, told_none(frame.height)), rules)
            decided.append(keep(ruled.filter(~in_band), "_pos"))
            waiting.append(frame.filter(in_band))
            bands.append(np.flatnonzero(either) + start)
            tolds.append(told[either])
            ocr_only.append(band[either])
            del frame, ruled
            if self.progress:
                self.progress("verify", stop, len(a))
        del stored, lead_j, body_j, order
        ocr_rows = np.concatenate(bands) if bands else np.zeros(0, dtype=np.int64)
        in_told = np.concatenate(tolds) if tolds else np.zeros(0, dtype=np.int8)
        in_ocr = np.concatenate(ocr_only) if ocr_only else np.zeros(0, dtype=bool)
        plan = {
            "ocr": np.flatnonzero(in_ocr),
            "narrative": np.flatnonzero(in_told & TWIN_BAND),
            "refill_ocr": np.flatnonzero(in_told & REFILL_BAND),
        }
        total = len(a)
        oa, ob = a[ocr_rows], b[ocr_rows]
        del a, b  # the OCR walk is the stage's memory peak: hold only its pairs' rows
        found = stored_features(prepared, oa, ob, plan)
        nan = np.full((4, len(oa)), np.nan)
        ocr = found.get("ocr", nan)
        told_values = np.vstack(
            [found.get("narrative", nan[:NARRATIVE_ROWS]), found.get("refill_ocr", nan[:2])]
        )
        parts = []
        matched = 0
        done = 0
        decided.reverse()  # taken batch by batch from the end: each freed once joined
        waiting.reverse()
        while decided:
            early, late = decided.pop(), waiting.pop()
            if late.height:
                span = slice(done, done + late.height)  # the bands' rows, in order
                done += late.height
                late = with_ocr(late, ocr[:, span], told_values[:, span])
                late = keep(apply_rules(late, rules), "_pos")
                early = pl.concat([early, late], how="vertical_relaxed").sort("_pos")
            matched += int(early["matched"].sum())
            parts.append(early.drop("_pos"))
        if not parts:
            parts = [keep(apply_rules(pair_features(pairs, prepared), rules))]
        self.stats["pairs"] = {"candidates": total, "verified": total, "matched": matched}
        return pl.concat(parts, how="vertical_relaxed", rechunk=False)


def complete(result: Result, reading: Reading, prepared: Prepared) -> Result:
    """Every input record in ``assignments`` (in input order, with ``row`` and, for rows
    not clustered, a ``reason``), every problem in ``rejects``, ids in their input type."""
    source = prepared.source
    asg = result.assignments.with_columns(source["row"].alias("row"))
    if "file" in source.columns:
        asg = asg.with_columns(source["file"].alias("file"))
    id_type = reading.table.schema["id"]
    rejected = reading.rejected
    if rejected.height:
        keys = ["file", "row"]
        extra = (
            rejected.group_by(keys, maintain_order=True)
            .agg(pl.col("id").drop_nulls().first(), pl.col("reason").str.join("; "))
            .select(
                pl.col("id").cast(pl.String),
                pl.col("row"),
                *([pl.col("file")] if "file" in asg.columns else []),
                pl.format("unreadable record: {}", pl.col("reason")).alias("reason"),
            )
        )
        asg = pl.concat([asg, extra], how="diagonal_relaxed")
    # Input order (the stages ran in id order, see ``prepare``).
    if "file" in asg.columns:  # files in the order they were given
        files = reading.table["file"].unique(maintain_order=True).to_list()
        rank = pl.col("file").replace_strict(
            {f: i for i, f in enumerate(files)}, default=len(files), return_dtype=pl.Int64
        )
        asg = asg.sort(rank, pl.col("row"), nulls_last=True)
    else:
        asg = asg.sort("row", nulls_last=True)
    no_text = result.assignments.filter(pl.col("reason").is_not_null()).select("id", "reason")
    raw = prepared.rejected
    raw_text = text_ready(raw.drop("row", "file", strict=False), csv_out=False).write_ndjson()
    no_text = no_text.join(
        raw.select(
            pl.col("id").cast(pl.String),
            "row",
            *(["file"] if "file" in raw.columns else []),
            pl.Series("raw", raw_text.splitlines(), dtype=pl.String),
        ),
        on="id",
        how="left",
    )
    listed = pl.concat(
        [
            reading.problems,
            no_text.select(
                *([pl.col("file")] if "file" in no_text.columns else []),
                pl.col("row"),
                "id",
                pl.lit("body").alias("field"),
                pl.lit(None, dtype=pl.String).alias("value"),
                "reason",
                pl.lit("not_clustered").alias("action"),
                "raw",
            ),
        ],
        how="diagonal_relaxed",
    ).sort(["row"], nulls_last=True, maintain_order=True)
    # One dtype per meaning across tables: sizes Int64, rule names String (as decided_by).
    asg = asg.with_columns(pl.col("rule").cast(pl.String))
    clusters = result.clusters.with_columns(pl.col("size").cast(pl.Int64))
    out = dataclasses.replace(result, assignments=asg, clusters=clusters, rejects=listed)
    if id_type == pl.String:
        return out
    # Integer ids come back as integers, in every table that names articles.
    ids = ("id", "canonical_id", "id_a", "id_b")
    tables = {}
    for f in dataclasses.fields(out):
        value = getattr(out, f.name)
        if isinstance(value, pl.DataFrame) and f.name != "rejects":
            cols = [c for c in ids if c in value.columns]
            tables[f.name] = value.with_columns(pl.col(cols).cast(id_type, strict=False))
    return dataclasses.replace(out, **tables)


class RssWatch:
    """Peak resident memory of the process while a block runs, in MB.

    A daemon thread samples the current RSS (``/proc/self/statm``) every ``interval``
    seconds; the peak is the largest sample, and never less than the process high-water
    mark when that was reached inside the block (``getrusage``). Approximation: a spike
    shorter than ``interval`` that stays below the process's earlier high-water mark can
    be missed. The kernel's own per-interval peak (resetting ``VmHWM`` through
    ``/proc/self/clear_refs``) is not used: it also resets the peak that ``wait4`` reports,
    so ``/usr/bin/time`` would under-report the run. Without ``/proc`` (macOS) only the
    high-water mark is read.
    """

    def __init__(self, *, interval: float = 0.02) -> None:
        self.interval = interval
        self.peak_mb = 0.0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._page = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096

    def _current(self) -> float:
        try:
            with open("/proc/self/statm", "rb") as fh:
                return int(fh.read().split()[1]) * self._page / 1e6
        except (OSError, ValueError, IndexError):
            return 0.0

    def _high_water(self) -> float:
        try:
            import resource
        except ImportError:  # Windows
            return 0.0
        scale = 1.0 if sys.platform == "darwin" else 1024.0  # bytes there, KB on Linux
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale / 1e6

    def _sample(self) -> None:
        while not self._stop.wait(self.interval):
            self.peak_mb = max(self.peak_mb, self._current())

    def __enter__(self) -> RssWatch:
        self._before = self._high_water()
        self.peak_mb = self._current()
        self._thread = threading.Thread(target=self._sample, name="syndup-rss", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        after = self._high_water()
        current = self._current()
        peak = max(self.peak_mb, current)
        if after > self._before:  # the process peak was reached inside this block
            peak = max(peak, after)
        self.peak_mb = round(peak, 1)


STATUS = pl.Enum(["matched", "rejected", "skipped"])
#: The columns of the pairs ``Detector(keep_pairs=False)`` keeps (the matched ones): what
#: the cluster stage reads (the story graph's features, the evidence of each join).
MATCHED_COLUMNS = ("a", "b", "rule", *dict.fromkeys((*EDGE_FEATURES, *EVIDENCE)), "matched")


def _decided(feats: pl.DataFrame, *extra: str) -> pl.DataFrame:
    """A verified batch's ``verified`` and ``status`` columns, set per batch: a column added
    to the joined frame would make polars rechunk every feature column (a full copy of the
    features, ~0.8 GB at 1M). Every column is kept (``extra`` names ones a caller needs)."""
    return feats.with_columns(pl.lit(True).alias("verified")).with_columns(_status())


def _matched(feats: pl.DataFrame, *extra: str) -> pl.DataFrame:
    """A verified batch's matched pairs with ``MATCHED_COLUMNS`` (and ``extra``) only."""
    return feats.select(*extra, *MATCHED_COLUMNS).filter(pl.col("matched"))


def _status() -> pl.Expr:
    return (
        pl.when(pl.col("matched"))
        .then(pl.lit("matched"))
        .when(pl.col("verified"))
        .then(pl.lit("rejected"))
        .otherwise(pl.lit("skipped"))
        .cast(STATUS)
        .alias("status")
    )


def _narrow(x: np.ndarray) -> np.ndarray:
    """``x`` as float32 when that is exact (signature agreements are k / num_perm: exact
    for a power-of-two width), else ``x``: half the memory for values held all stage long."""
    y = x.astype(np.float32)
    return y if np.array_equal(y, x, equal_nan=True) else x


def told_none(n: int) -> np.ndarray:
    """The narrative and refill rows of ``n`` pairs read for neither (``verify.with_ocr``)."""
    return np.full((NARRATIVE_ROWS + 2, n), np.nan)


def _wide(x: np.ndarray) -> np.ndarray:
    """``x`` as float64 (what the feature arithmetic reads)."""
    return x.astype(np.float64, copy=False)


def _chunked_jaccard(
    sig: np.ndarray, a: np.ndarray, b: np.ndarray, *, workers: int = 2
) -> np.ndarray:
    """``pair_jaccard`` in chunks of 100k pairs, side by side on ``workers`` threads (the
    kernel releases the GIL)."""
    out = np.empty(len(a))
    step = 100_000

    def run(start: int) -> None:
        sl = slice(start, start + step)
        out[sl] = pair_jaccard(sig, a[sl], b[sl])

    starts = range(0, len(a), step)
    if workers > 1 and len(a) > step:
        with ThreadPoolExecutor(workers) as pool:
            list(pool.map(run, starts))
    else:
        for start in starts:
            run(start)
    return out


def _estimate(
    prepared: Prepared,
    a: np.ndarray,
    b: np.ndarray,
    body: np.ndarray | None = None,
    *,
    workers: int = 2,
) -> np.ndarray:
    """Cheap similarity for ordering pairs: body MinHash Jaccard (``body`` if already
    computed), or the headline's if no body."""
    if body is None:
        body = _chunked_jaccard(prepared.body_sig, a, b, workers=workers)
    head = _chunked_jaccard(prepared.headline_sig, a, b, workers=workers)
    return np.where(body > 0, body, head)


def cluster(
    data: Any,
    *,
    config: Config | None = None,
    engine: str = "local",
    **read_opts: Any,
) -> Result:
    """Cluster reprints in a corpus (DataFrame or path to JSONL/CSV/Parquet).

    ``read_opts`` go to ``syndup.io.read_corpus`` (``format=``, ``columns=``).
    ``engine="spark"`` runs the same stages on Spark (a Spark DataFrame or parquet/JSONL
    paths, directories, globs) and returns Spark DataFrames with the same columns.
    """
    if engine != "local":
        from syndup.engines import get_engine

        return get_engine(engine).run(data, config=config, **read_opts)
    return Detector(config, keep_signatures=False).run(data, **read_opts)
