"""The core's cheaper paths give the values of the plain ones: one-permutation signatures,
row-bounded exact checks, per-stage peak memory."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from syndup import Config, Detector
from syndup.body_checks import _row_bounded_chunks, exact_containment
from syndup.config import ConfigError
from syndup.shingle import ngram_hashes, shingle_sets, tokenize
from syndup.signature import jaccard, one_permutation, sign_texts

REPO = Path(__file__).resolve().parents[1]
TEXTS = st.lists(
    st.lists(
        st.sampled_from(["a", "b", "wire", "copy", "story", "x", "y", "z", "q"]), max_size=90
    ).map(" ".join),
    min_size=1,
    max_size=6,
)


@settings(max_examples=60, deadline=None)
@given(TEXTS, st.sampled_from([1, 2, 8, 64]), st.integers(1, 4))
def test_compiled_oph_equals_the_numpy_definition(texts: list[str], k: int, n: int) -> None:
    series = pl.Series(texts)
    opts = {"n": n, "num_perm": k, "lead_num_perm": 8, "lead_words": 12}
    sig, lsig, *_ = sign_texts(series, scheme="oph", **opts)
    hashes, offsets = ngram_hashes(*tokenize(series), n)
    assert np.array_equal(sig, one_permutation(hashes, offsets, num_perm=k))
    # The lead signature stays datasketch's affine32 whatever the body's scheme.
    _, lsig_affine, *_ = sign_texts(series, scheme="affine32", **opts)
    assert np.array_equal(lsig, lsig_affine)


def test_oph_estimates_jaccard_like_minhash() -> None:
    """Unbiased, and no noisier than 256-permutation MinHash on news-length bodies."""
    rng = np.random.default_rng(3)
    vocab = [f"w{i}" for i in range(5000)]
    errors: dict[str, list[float]] = {"oph": [], "affine32": []}
    for _ in range(150):
        size = int(rng.integers(150, 700))
        base = list(rng.choice(vocab, size))
        keep = int(size * rng.uniform(0.2, 1.0))
        other = base[:keep] + list(rng.choice(vocab, size - keep))
        series = pl.Series([" ".join(base), " ".join(other)])
        hashes, offsets = ngram_hashes(*tokenize(series), 4)
        x, y = (set(hashes[offsets[i] : offsets[i + 1]].tolist()) for i in range(2))
        exact = len(x & y) / len(x | y)
        for scheme in errors:
            sig, *_ = sign_texts(
                series, n=4, num_perm=256, lead_num_perm=8, lead_words=10, scheme=scheme
            )
            errors[scheme].append(float(jaccard(sig[:1], sig[1:])[0]) - exact)
    oph, affine = np.array(errors["oph"]), np.array(errors["affine32"])
    assert abs(oph.mean()) < 0.01
    assert oph.std() < 1.2 * affine.std() + 0.002


def test_oph_empty_and_one_shingle_documents() -> None:
    series = pl.Series(["", "lonely", "lonely", "other words here"])
    sig, *_ = sign_texts(series, n=4, num_perm=32, lead_num_perm=4, lead_words=4, scheme="oph")
    assert (sig[0] == 0xFFFFFFFF).all()
    assert np.array_equal(sig[1], sig[2])  # one shingle: every slot borrows its value
    assert len(set(sig[1].tolist())) == 1
    assert jaccard(sig[1:2], sig[3:4])[0] == 0.0


def test_signature_scheme_is_checked_and_datasketch_scheme_is_kept() -> None:
    with pytest.raises(ConfigError, match="scheme"):
        Config.from_dict({"signature": {"scheme": "cminhash"}})
    corpus = pl.read_ndjson(REPO / "data" / "wire_1916.jsonl").head(60)
    config = Config.from_dict({"signature": {"scheme": "affine32", "num_perm": 64}})
    prepared = Detector(config).prepare(corpus)
    from datasketch import LeanMinHash, MinHash

    from syndup.shingle import hash_word_shingle, tokens

    body = prepared.texts(np.arange(3))["body_norm"].to_list()
    for row, text in enumerate(body):
        toks = tokens(text)
        m = MinHash(num_perm=64, seed=1, hashfunc=hash_word_shingle)
        for j in range(max(len(toks) - 3, 1 if toks else 0)):
            m.update(" ".join(toks[j : j + 4]).encode())
        assert np.array_equal(prepared.body_sig[row], m.hashvalues)
        LeanMinHash(seed=1, hashvalues=prepared.body_sig[row], scheme="affine32")


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 30), st.integers(0, 30)), min_size=1, max_size=60),
    st.integers(2, 12),
)
def test_row_bounded_chunks_cover_pairs_within_the_bound(
    pairs: list[tuple[int, int]], max_rows: int
) -> None:
    a = np.array([p[0] for p in pairs], dtype=np.int64)
    b = np.array([p[1] for p in pairs], dtype=np.int64)
    chunks = _row_bounded_chunks(a, b, max_rows)
    assert chunks[0].start == 0 and chunks[-1].stop == len(a)
    for prev, cur in itertools.pairwise(chunks):
        assert prev.stop == cur.start
    for c in chunks:
        rows = np.unique(np.concatenate([a[c], b[c]]))
        assert len(rows) <= max_rows or c.stop - c.start == 1


def test_exact_checks_in_bounded_chunks_equal_one_pass() -> None:
    detector = Detector()
    prepared = detector.prepare(pl.read_ndjson(REPO / "data" / "wire_1916.jsonl"))
    pairs = detector.candidates(prepared)
    a = pairs["a"].to_numpy().astype(np.int64)
    b = pairs["b"].to_numpy().astype(np.int64)
    whole = exact_containment(prepared, a, b, max_rows=10**9)
    known = ~np.isnan(whole[0])
    assert known.sum() >= 20  # the corpus has ambiguous pairs to check
    for max_rows in (2, 15, 60):
        parts = exact_containment(prepared, a, b, max_rows=max_rows)
        for x, y in zip(whole, parts):
            assert np.array_equal(x, y, equal_nan=True)
    # And the values are the exact set containments.
    rows = np.flatnonzero(known)
    body = prepared.texts(np.arange(prepared.docs.height))["body_norm"]
    values, offsets = shingle_sets(body, 4)
    for k in rows:
        x = set(values[offsets[a[k]] : offsets[a[k] + 1]].tolist())
        y = set(values[offsets[b[k]] : offsets[b[k] + 1]].tolist())
        assert whole[0][k] == len(x & y) / max(1, min(len(x), len(y)))


def test_stages_record_their_peak_memory(wire_corpus) -> None:
    detector = Detector()
    detector.run(wire_corpus)
    peaks = detector.stats["peak_rss_mb"]
    assert set(peaks) == set(detector.stats["seconds"])
    assert all(10 < mb < 100_000 for mb in peaks.values())


def test_rss_watch_sees_a_peak_inside_the_block() -> None:
    from syndup.pipeline import RssWatch

    with RssWatch(interval=0.005) as idle:
        pass
    with RssWatch(interval=0.005) as busy:
        block = np.ones(300_000_000 // 8)
        block[::512] = 2.0  # touch every page
        del block
    assert busy.peak_mb >= idle.peak_mb + 200


@pytest.mark.parametrize("source", ["frame", "file"])
def test_rows_read_in_input_order_give_the_id_order_result(tmp_path, source) -> None:
    """``prepare`` reads batches as the input stores them and permutes afterwards: any
    input order (and the compressed-store path) gives the same partition and evidence."""
    corpus = pl.read_ndjson(REPO / "data" / "wire_1916.jsonl")
    config = Config.from_dict({"signature": {"batch_size": 37, "compress_text_above_mb": 0}})
    results = []
    for seed in (None, 1, 2):
        df = corpus if seed is None else corpus.sample(fraction=1.0, shuffle=True, seed=seed)
        data: object = df
        if source == "file":
            data = tmp_path / f"in{seed}.parquet"
            df.write_parquet(data)
        res = Detector(config).run(data)
        cols = ["id", "cluster_id", "canonical_id", "rule", "evidence", "similarity"]
        results.append(res.assignments.select(cols).sort("id"))
        assert res.assignments["id"].to_list() == df["id"].to_list()  # input order kept
    assert results[0]["cluster_id"].n_unique() < corpus.height  # there are clusters
    for other in results[1:]:
        assert other.equals(results[0])


def test_stream_parquet_equals_the_whole_file_read(tmp_path) -> None:
    from syndup.io import read_articles
    from syndup.io.read import stream_parquet

    corpus = pl.read_ndjson(REPO / "data" / "wire_1916.jsonl").rename({"body": "text"})
    path = tmp_path / "c.parquet"
    corpus.write_parquet(path, row_group_size=50)  # batches cross block boundaries
    whole = read_articles(path)
    # Bodies small enough to hold uncompressed: the one-pass reader does it.
    assert stream_parquet(path, block_rows=37, compress_above_mb=10_000) is None
    for block_rows in (37, 2000):
        reading, store = stream_parquet(path, block_rows=block_rows, compress_above_mb=0)
        assert store.compress
        assert store.starts() == list(range(0, corpus.height, block_rows))
        assert reading.table.drop("body").equals(whole.table.drop("body"))
        assert reading.table["body"].null_count() == corpus.height
        texts = store.get(np.arange(corpus.height))
        assert texts.to_list() == whole.table["body"].to_list()
        assert reading.problems.equals(whole.problems) and reading.records == whole.records


def test_stream_parquet_leaves_other_inputs_to_the_usual_reader(tmp_path) -> None:
    from syndup.io.read import stream_parquet

    opts = {"block_rows": 10, "compress_above_mb": 0}
    malformed = REPO / "tests" / "malformed"
    assert stream_parquet(malformed / "list_body.parquet", **opts) is None  # body not text
    assert stream_parquet(malformed / "not_parquet.parquet", **opts) is None
    # Rejected records keep their raw text (body included) through the usual path.
    assert stream_parquet(malformed / "null_ids.parquet", on_error="reject", **opts) is None
    jsonl = tmp_path / "a.jsonl"
    pl.read_parquet(malformed / "ok.parquet").write_ndjson(jsonl)
    assert stream_parquet(jsonl, **opts) is None
    result = Detector().run(malformed / "null_ids.parquet", on_error="reject")
    assert result.rejects.filter(pl.col("action") == "rejected")["raw"].null_count() == 0


def test_prepare_releases_signed_raw_bodies_but_keeps_the_rejected_ones() -> None:
    """``release_raw``: once a batch is signed, its raw bodies are dropped from the store
    except those of rows with no usable text, which ``rejected`` still gives in full."""
    from syndup.prepare import offload_bodies, prepare

    corpus = pl.read_ndjson(REPO / "data" / "wire_1916.jsonl").head(60)
    blank = corpus.head(2).with_columns(
        pl.Series("id", ["blank-1", "blank-2"]),
        pl.lit("").alias("headline"),
        pl.lit(" ").alias("body"),
    )
    df = pl.concat([corpus, blank], how="diagonal_relaxed").with_columns(
        pl.col("id").cast(pl.String)
    )
    config = Config.from_dict({"signature": {"batch_size": 16, "compress_text_above_mb": 0}})
    kept, raw = offload_bodies(df, config)
    assert raw is not None
    plain = prepare(df, config)
    released = prepare(kept, config, raw_bodies=raw, release_raw=True)
    left = raw.get(np.arange(df.height))
    usable = released.docs["usable"].to_numpy()
    assert left.filter(pl.Series(usable)).null_count() == int(usable.sum()) > 50
    assert left.filter(pl.Series(~usable)).to_list() == [" ", " "]
    assert released.rejected["body"].to_list() == [" ", " "]
    cols = sorted(plain.rejected.columns)  # the store path lists the standard columns first
    assert released.rejected.select(cols).equals(plain.rejected.select(cols))
    assert released.docs.equals(plain.docs)
    assert np.array_equal(released.body_sig, plain.body_sig)
