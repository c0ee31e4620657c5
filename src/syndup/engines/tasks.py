"""The units of work a distributed engine runs: batches of rows in, batches out.

Each function takes and returns polars/Arrow data for one batch (or one group of whole
components) and calls the stage functions the local engine calls; nothing here knows Spark.
A batch needs no other rows, except where a docstring says which rows must come together
(one key's paragraphs, one headline's articles, whole components).

Signatures travel as binary columns of little-endian uint32 values (``sig_array`` /
``sig_matrix``), one fixed-width value per article.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import numpy as np
import polars as pl
import pyarrow as pa

from syndup.body_checks import reads_bodies
from syndup.config import Config
from syndup.io import STANDARD_COLUMNS, read_corpus
from syndup.lsh import band_keys, band_params
from syndup.normalize import learn_from_paragraphs, learning_view, paragraphs
from syndup.prepare import FIGURES, Prepared, learned_generic, sign_batch
from syndup.result import assemble
from syndup.rules import FEATURES, apply_rules, feature_scopes
from syndup.textstore import TextStore
from syndup.verify import pair_features

log = logging.getLogger("syndup")

SIGS = ("body_sig", "lead_sig", "head_sig", "figures")  # per-article uint32 matrices
# The LSH indexes, in the local engine's order (bit i of a pair's index flags); see
# ``Detector.candidates``. Indexes 2 and 3 keep only pairs with a marked member.
INDEXES = ("body", "lead", "headline", "same_headline")
# Bit 4: ``wire_feed`` pairs (not LSH: ``feed_candidates``).
INDEX_NAMES = tuple(
    "+".join(n for bit, n in enumerate((*INDEXES, "wire_feed")) if mask >> bit & 1)
    for mask in range(1 << (len(INDEXES) + 1))
)
FEED_BIT = 1 << len(INDEXES)


def arrow_ready(frame: pl.DataFrame) -> pl.DataFrame:
    """Types Spark reads from Arrow: unsigned ints widened, categoricals as strings."""
    casts = {
        name: pl.Int64
        for name, dtype in frame.schema.items()
        if dtype in (pl.UInt8, pl.UInt16, pl.UInt32, pl.UInt64)
    }
    casts |= {n: pl.String for n, d in frame.schema.items() if d in (pl.Categorical, pl.Enum)}
    return frame.cast(casts) if casts else frame


def sig_array(matrix: np.ndarray) -> pa.Array:
    """Rows of a uint32 matrix as an Arrow binary array (no copy of the values)."""
    n, width = matrix.shape
    offsets = np.arange(n + 1, dtype=np.int32) * np.int32(width * 4)
    data = np.ascontiguousarray(matrix, dtype="<u4")
    return pa.Array.from_buffers(pa.binary(), n, [None, pa.py_buffer(offsets), pa.py_buffer(data)])


def sig_matrix(column: pa.Array | pa.ChunkedArray, width: int) -> np.ndarray:
    """``sig_array``'s inverse: an ``(n, width)`` uint32 matrix."""
    if isinstance(column, pa.ChunkedArray):
        column = column.combine_chunks() if column.num_chunks else pa.array([], pa.binary())
    column = column.cast(pa.large_binary())
    n = len(column)
    if n == 0:
        return np.empty((0, width), dtype=np.uint32)
    offsets = np.frombuffer(column.buffers()[1], dtype=np.int64)[column.offset :][: n + 1]
    if not (np.diff(offsets) == width * 4).all():
        raise ValueError(f"signature column is not {width} uint32 values per row")
    data = np.frombuffer(column.buffers()[2], dtype=np.uint8)[offsets[0] : offsets[-1]]
    return np.frombuffer(data.tobytes(), dtype="<u4").reshape(n, width).astype(np.uint32)


def standardise(
    batch: pl.DataFrame, columns: Mapping[str, str] | None = None, **options: Any
) -> pl.DataFrame:
    """Input rows -> the standard columns (ids as text), with ``read_corpus``'s checks and
    parsing (``options``: its ``strict``, ``on_error``, ``date_format``). Approximation: a
    problem is reported per batch (rows counted within the batch), and with
    ``on_error="reject"`` a rejected record is logged by the executor, not listed."""
    options.pop("encoding", None)  # Spark decodes the files
    extra = [c for c in PLACE if c in batch.columns]  # where each row came from
    out = read_corpus(batch, columns=columns, **options).select(*STANDARD_COLUMNS, *extra)
    return out.with_columns(pl.col("id").cast(pl.String))


PLACE = ("_row", "_path")  # an input row's 1-based row and file, carried through reading


def learning_rows(batch: pl.DataFrame, config: Config) -> pl.DataFrame:
    """What boilerplate learning reads of a batch of sampled articles (``_doc`` = ``_key``;
    paragraph keys as Int64 bit patterns)."""
    view = learning_view(paragraphs(batch, config=config.normalize), config=config.normalize)
    keys = batch["_key"].to_numpy()
    return view.with_columns(
        pl.Series("_doc", keys[view["_doc"].to_numpy()], dtype=pl.Int64),
        pl.col("_key").cast(pl.UInt64).reinterpret(signed=True),
        pl.col("_story").cast(pl.UInt64).reinterpret(signed=True),
        pl.col("_words").cast(pl.Int64),
        pl.col("_pos").cast(pl.Int64),
    ).select("_doc", "_outlet", "_key", "_story", "_words", "_pos")


def learn(rows: pl.DataFrame, config: Config) -> pl.DataFrame:
    """Boilerplate keys learned from ``learning_rows``: exact when given every row of the
    sample at once (learning reads across keys: a page's story key, furniture's company)."""
    return learn_from_paragraphs(rows, config=config.normalize)


def as_learned(rows: pl.DataFrame | None) -> pl.DataFrame | None:
    """Learned keys back in the dtype the cleaning stage compares (``learning_rows``' Int64
    bit patterns -> UInt64)."""
    if rows is None:
        return None
    return rows.with_columns(pl.col("_key").reinterpret(signed=False))


def sign(batch: pl.DataFrame, config: Config, learned: pl.DataFrame | None) -> pa.Table:
    """Standard rows with ``_key`` -> one docs row per article with its signatures."""
    part, matrices, words, counts = sign_batch(batch, config, learned=learned)
    lead = matrices[1]
    docs = part.with_columns(
        batch["_key"],
        pl.Series("body_words", words, dtype=pl.Int64),
        pl.Series("body_shingles", counts, dtype=pl.Int64),
        pl.Series("_slot", lead[:, 0] if len(lead) else [], dtype=pl.Int64),
    ).with_columns(((pl.col("body_words") > 0) | (pl.col("headline_words") > 0)).alias("usable"))
    table = arrow_ready(docs).to_arrow()
    for name, matrix in zip(SIGS, matrices):
        table = table.append_column(name, sig_array(matrix))
    return table


def generic_flips(group: pl.DataFrame) -> pl.DataFrame:
    """``_key`` of the articles ``prepare.learned_generic`` turns generic; ``group`` must
    hold every article with one ``headline_norm``."""
    flag = learned_generic(group)
    return group.filter(flag & ~group["headline_generic"]).select("_key")


def band_rows(docs: pa.Table, config: Config) -> pl.DataFrame:
    """One row per (article, index, band) with a non-empty signature: ``_key, bk``, where
    ``bk`` is the band key (``lsh.band_keys``) with its low three bits replaced by
    ``index << 1 | marked`` (``marked``: the row may pair in an index that keeps only pairs
    with a marked member). A bucket is one ``bk >> 1``: the same buckets as
    ``lsh.signature_candidates`` (two more key bits dropped: a merge of two buckets, odds
    ~``rows^2 / 2^61``, only adds candidates for verification to reject)."""
    lcfg, scfg = config.lsh, config.signature
    keys = docs.column("_key").to_numpy()
    no_body = docs.column("body_words").to_numpy() == 0
    specific = (
        ~no_body
        & (docs.column("headline_words").to_numpy() >= 5)
        & ~docs.column("headline_generic").to_numpy(zero_copy_only=False).astype(bool)
    )
    names = ("body_sig", "lead_sig", "head_sig", "head_sig")
    widths = (scfg.num_perm, scfg.lead_num_perm, scfg.headline_num_perm, scfg.headline_num_perm)
    thresholds = (
        lcfg.body_threshold,
        lcfg.lead_threshold,
        lcfg.headline_threshold,
        lcfg.same_headline_threshold,
    )
    marks = {2: no_body, 3: specific}
    out_keys, out_bk = [], []
    for idx, (name, width, threshold) in enumerate(zip(names, widths, thresholds)):
        if idx == 3 and threshold <= 0:
            continue  # the same-headline index is off
        sig = sig_matrix(docs.column(name), width)
        bands, rows = band_params(threshold, width, recall_weight=lcfg.recall_weight)
        bkeys = band_keys(sig, bands=bands, rows=rows)
        doc = np.repeat(np.arange(len(keys)), bands)
        flat = bkeys.reshape(-1)
        keep = flat != 0
        marked = marks[idx][doc[keep]] if idx in marks else np.zeros(int(keep.sum()), bool)
        low = np.uint64(idx << 1) | marked.astype(np.uint64)
        out_keys.append(keys[doc[keep]])
        out_bk.append(((flat[keep] & ~np.uint64(7)) | low).view(np.int64))
    return pl.DataFrame(
        {
            "_key": np.concatenate(out_keys) if out_keys else np.zeros(0, np.int64),
            "bk": np.concatenate(out_bk) if out_bk else np.zeros(0, np.int64),
        },
        schema={"_key": pl.Int64, "bk": pl.Int64},
    )


def bands_per_article(config: Config) -> int:
    """Band rows ``band_rows`` gives an article with every signature non-empty."""
    lcfg, scfg = config.lsh, config.signature
    indexes = [
        (lcfg.body_threshold, scfg.num_perm),
        (lcfg.lead_threshold, scfg.lead_num_perm),
        (lcfg.headline_threshold, scfg.headline_num_perm),
    ]
    if lcfg.same_headline_threshold > 0:
        indexes.append((lcfg.same_headline_threshold, scfg.headline_num_perm))
    return sum(band_params(t, w, recall_weight=lcfg.recall_weight)[0] for t, w in indexes)


def bucket_pairs(rows: pl.DataFrame, config: Config) -> pl.DataFrame:
    """``band_rows`` holding whole buckets (every row of a bucket present) -> distinct
    pairs ``a < b`` (keys) with ``f``, bit ``i`` set when index ``i`` proposed the pair.
    The anchor rule and the marked-member filter are ``lsh.signature_candidates``'
    kernel's: in a bucket (members in key order) the member at position ``i < anchors``
    pairs with every later member."""
    from syndup._kernels import bucket_pairs as kernel

    lcfg = config.lsh
    keys = rows["_key"].to_numpy()
    bk = rows["bk"].to_numpy().view(np.uint64)
    uniq, doc = np.unique(keys, return_inverse=True)  # dense ids in key order
    doc_bits = max(1, len(uniq).bit_length())
    index = ((bk >> np.uint64(1)) & np.uint64(3)).astype(np.int64)
    marked_row = (bk & np.uint64(1)).astype(bool)
    found, flags = [], []
    for idx in np.unique(index).tolist():
        sel = index == idx
        entries = (bk[sel] >> np.uint64(3) << np.uint64(doc_bits)) | doc[sel].astype(np.uint64)
        entries = pl.Series(entries).sort().to_numpy()
        marked = np.zeros(len(uniq), dtype=bool)
        marked[doc[sel & marked_row]] = True
        codes, big, top = kernel(
            entries, doc_bits, lcfg.anchors, marked, idx >= 2, lcfg.warn_bucket
        )
        if big:
            log.warning(
                "%s index: %d bucket(s) with more than %d articles (largest %d); their "
                "members are paired with %d anchors only",
                INDEXES[idx],
                big,
                lcfg.warn_bucket,
                top,
                lcfg.anchors,
            )
        found.append(codes)
        flags.append(np.full(len(codes), 1 << idx, dtype=np.int32))
    if not found:
        return pl.DataFrame(schema={"a": pl.Int64, "b": pl.Int64, "f": pl.Int32})
    codes = np.concatenate(found)
    return (
        pl.DataFrame(
            {
                "a": uniq[(codes >> np.uint64(32)).astype(np.int64)],
                "b": uniq[(codes & np.uint64(0xFFFFFFFF)).astype(np.int64)],
                "f": np.concatenate(flags),
            }
        )
        .group_by("a", "b")
        .agg(pl.col("f").bitwise_or())
    )


def prepared_of(docs: pl.DataFrame, sigs: dict[str, np.ndarray], config: Config) -> Prepared:
    """A ``Prepared`` over some articles (rows sorted by ``_key``) for the pair and cluster
    stages: the stage functions then run on it exactly as on the whole corpus."""
    bodies = TextStore(compress=False)
    bodies.put(0, docs["body_clean"] if "body_clean" in docs.columns else pl.Series([""] * 0))
    n = docs.height
    empty = {name: np.zeros((n, 0), dtype=np.uint32) for name in SIGS}
    sigs = {**empty, **sigs}
    return Prepared(
        docs=docs,
        body_sig=sigs["body_sig"],
        lead_sig=sigs["lead_sig"],
        headline_sig=sigs["head_sig"],
        figures=sigs["figures"],
        source=docs.select(
            c for c in ("id", "headline", "outlet", "url", "published") if c in docs.columns
        ),
        bodies=bodies,
        rejected=pl.DataFrame(schema={"id": pl.String}),
        learned=None,
        config=config,
    )


def _widths(config: Config) -> dict[str, int]:
    scfg = config.signature
    return {
        "body_sig": scfg.num_perm,
        "lead_sig": scfg.lead_num_perm,
        "head_sig": scfg.headline_num_perm,
        "figures": FIGURES,
    }


def verify(joined: pa.Table, config: Config) -> pl.DataFrame:
    """Candidate pairs joined with both articles' docs columns (suffixes ``_a``, ``_b``)
    -> ``pair_features`` + ``apply_rules`` per pair, with ``estimate`` (the local engine's
    verification order) and ``needs_text``. Pairs are independent.

    Without the ``body_clean`` columns, the pairs that need text (``body_checks.ambiguous``,
    and every pair with two bodies when a rule reads ``lead_ratio``) get
    ``needs_text`` and features to be discarded: the engine verifies them again with
    their texts. The other pairs' features are final (they never read a body)."""
    from syndup.pipeline import _estimate

    widths = _widths(config)
    side = [c[:-2] for c in joined.column_names if c.endswith("_a")]
    sides = []
    for s in ("a", "b"):
        part = joined.select([f"{c}_{s}" for c in side]).rename_columns(side)
        sides.append(part)
    both = pa.concat_tables(sides)
    keys = both.column("_key").to_numpy()
    uniq, first = np.unique(keys, return_index=True)
    both = both.take(pa.array(first))
    sigs = {n: sig_matrix(both.column(n), widths[n]) for n in SIGS}
    docs = pl.from_arrow(both.drop_columns(list(SIGS)))
    assert isinstance(docs, pl.DataFrame)
    prepared = prepared_of(docs, sigs, config)
    a_key = joined.column("a").to_numpy()
    b_key = joined.column("b").to_numpy()
    a = np.searchsorted(uniq, a_key)
    b = np.searchsorted(uniq, b_key)
    pairs = pl.DataFrame(
        {"a": a.astype(np.uint32), "b": b.astype(np.uint32), "index": joined.column("index")}
    )
    scopes = feature_scopes(config.verify)
    needs = np.zeros(len(a), dtype=bool)
    exact = None
    if "body_clean" not in docs.columns:
        needs |= reads_bodies(prepared, a, b)  # includes the ambiguous (exact-check) pairs
        if scopes.get("lead_ratio", "all") == "all":
            shingles = prepared.arrays["shingles"]
            needs |= (shingles[a] > 0) & (shingles[b] > 0)
        # The pairs that need text are verified again with their bodies (second pass):
        # here they only hold their place, so nothing reads the bodies this pass lacks.
        held = np.flatnonzero(needs)
        placeholders = pl.DataFrame(
            {
                "a": pl.Series(a_key[held], dtype=pl.Int64),
                "b": pl.Series(b_key[held], dtype=pl.Int64),
                "index": pairs["index"].gather(held),
                "needs_text": pl.Series(np.ones(len(held), dtype=bool)),
            }
        )
        keep = np.flatnonzero(~needs)
        a_key, b_key, a, b = a_key[keep], b_key[keep], a[keep], b[keep]
        pairs, needs = pairs[keep], needs[keep]
        exact = (np.full(len(a), np.nan), np.full(len(a), np.nan))
    else:
        placeholders = None
    feats = pair_features(
        pairs,
        prepared,
        body_ngram=config.signature.body_ngram,
        scopes=scopes,
        workers=1,
        exact=exact,
        rules=config.verify.rules,
    )
    feats = apply_rules(feats, config.verify)
    out = feats.with_columns(
        pl.Series("a", a_key, dtype=pl.Int64),
        pl.Series("b", b_key, dtype=pl.Int64),
        pl.Series("estimate", _estimate(prepared, a, b)),
        pl.col("rule").cast(pl.String),
        pl.Series("needs_text", needs),
    )
    if placeholders is None or not placeholders.height:
        return out
    return pl.concat([out, placeholders], how="diagonal_relaxed")


def cluster_group(docs: pa.Table, edges: pa.Table, config: Config) -> pl.DataFrame:
    """Whole components (their articles and matched pairs) -> assignments, with the
    cluster table's columns on each canonical row (``cluster_id`` is local to the group;
    the engine numbers clusters across the corpus). Calls ``result.assemble``, so the
    chaining guard, canonical choice and "why it joined" are the local engine's."""
    order = np.argsort(docs.column("_key").to_numpy(), kind="stable")
    docs = docs.take(pa.array(order))
    widths = _widths(config)
    sigs = {n: sig_matrix(docs.column(n), widths[n]) for n in SIGS if n in docs.column_names}
    frame = pl.from_arrow(docs.drop_columns([n for n in SIGS if n in docs.column_names]))
    assert isinstance(frame, pl.DataFrame)
    prepared = prepared_of(frame, sigs, config)
    keys = frame["_key"].to_numpy()
    feats = pl.from_arrow(edges)
    assert isinstance(feats, pl.DataFrame)
    # The local engine's edge order (most similar first, then by rows) breaks ties in
    # "which edge explains a member"; keys sort like the local engine's rows.
    feats = feats.sort(["estimate", "a", "b"], descending=[True, False, False])
    feats = feats.with_columns(
        pl.Series("a", np.searchsorted(keys, feats["a"].to_numpy()), dtype=pl.UInt32),
        pl.Series("b", np.searchsorted(keys, feats["b"].to_numpy()), dtype=pl.UInt32),
    )
    result = assemble(prepared, feats, config, {})
    clusters = result.clusters.select(
        pl.col("canonical_id").alias("id"),
        pl.col("decided_by"),
        pl.col("headline").alias("c_headline"),
        pl.col("outlets").alias("c_outlets"),
        pl.col("first_published").alias("c_first"),
        pl.col("last_published").alias("c_last"),
    )
    return (
        result.assignments.drop("cluster_id")
        .join(clusters, on="id", how="left")
        .with_columns(pl.col("rule").cast(pl.String))
    )


FEATURE_COLUMNS = FEATURES


def feed_candidates(frame: pl.DataFrame, config: Config) -> pa.Table:
    """``wire_feed.feed_pairs`` of docs rows (``_key``, ``body_sig`` and ``wire_feed.COLUMNS``) as
    ``(a, b, f)`` key pairs, ``a < b``, flagged ``FEED_BIT`` (what ``bucket_pairs`` yields)."""
    from syndup.wire_feed import feed_pairs

    lcfg = config.lsh
    frame = frame.sort("_key")  # the rows' order does not change the pairs; keys do
    codes = feed_pairs(
        frame,
        feeds=config.cluster.wire_outlets,
        hours=lcfg.wire_feed_hours,
        min_shingles=lcfg.wire_feed_min_shingles,
        signatures=sig_matrix(frame["body_sig"].to_arrow(), config.signature.num_perm),
        min_jaccard=lcfg.wire_feed_min_jaccard,
    )
    keys = frame["_key"].to_numpy().astype(np.int64)
    a = keys[(codes >> np.uint64(32)).astype(np.int64)]
    b = keys[(codes & np.uint64(0xFFFFFFFF)).astype(np.int64)]
    return pa.table(
        {
            "a": pa.array(np.minimum(a, b), pa.int64()),
            "b": pa.array(np.maximum(a, b), pa.int64()),
            "f": pa.array(np.full(len(a), FEED_BIT, dtype=np.int32), pa.int32()),
        }
    )
