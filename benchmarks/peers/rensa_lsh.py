"""Peer: rensa R-MinHash (full-set ``RMinHash``, not the biased rho sketch) + ``RMinHashLSH``.

Runs in the peers venv (benchmarks/setup_peers.sh):

    .venv-peers/bin/python benchmarks/peers/rensa_lsh.py IN.parquet OUT.parquet \
        [--threshold 0.5] [--num-perm 128] [--ngram 5]

Same shingles as naive_datasketch (lowercased ``\\w+`` word n-grams). Sketches are built with
rensa's batch API (``RMinHash.from_token_sets``, 2,000 documents per call) and inserted with
``insert_many`` (keys are positions); candidates come from ``query_all`` over all sketches; a
plain-Python union-find over the candidate lists gives the clusters. Like datasketch's
MinHashLSH, ``query`` returns LSH candidates without a similarity check.

rensa needs ``num_perm % bands == 0``, so the bands are chosen by the same FP/FN optimiser as
datasketch and text-dedup but restricted to b * r == num_perm (0.5 / 128 -> 32 x 4, where
datasketch picks 25 x 5).
"""

from __future__ import annotations

import time

from _common import (
    PeerArgs,
    Stopwatch,
    UnionFind,
    cluster_ids_from_roots,
    n_clusters,
    optimal_bands,
    parse_args,
    read_input,
    run_main,
    shingles,
    write_output,
)

PEER = "rensa_lsh"
SEED = 42
CHUNK = 2_000  # documents shingled and sketched per batch call


def dedup(texts: list[str], args: PeerArgs, sw: Stopwatch) -> tuple[list[int], dict]:
    from rensa import RMinHash, RMinHashLSH

    bands, r = optimal_bands(args.threshold, args.num_perm, divisible=True)
    lsh = RMinHashLSH(args.threshold, args.num_perm, bands)
    minhashes: list = []  # sketch of every indexed document, LSH key = position here
    rows: list[int] = []  # input row of each indexed document
    sw.stages.update(shingle=0.0, minhash=0.0, lsh_insert=0.0)
    # Shingle lists are large (tens of KB per document): sketch and index in chunks so that
    # only one chunk of them is alive at a time.
    for start in range(0, len(texts), CHUNK):
        t0 = time.perf_counter()
        token_lists: list[list[str]] = []
        for i in range(start, min(start + CHUNK, len(texts))):
            grams = shingles(texts[i], args.ngram)
            if grams:  # no tokens: nothing to compare, stays a singleton
                token_lists.append(list(grams))
                rows.append(i)
        t1 = time.perf_counter()
        chunk = RMinHash.from_token_sets(token_lists, args.num_perm, SEED)
        del token_lists
        t2 = time.perf_counter()
        lsh.insert_many(chunk, start_key=len(minhashes))
        minhashes.extend(chunk)
        t3 = time.perf_counter()
        sw.stages["shingle"] += t1 - t0
        sw.stages["minhash"] += t2 - t1
        sw.stages["lsh_insert"] += t3 - t2
    for k in ("shingle", "minhash", "lsh_insert"):
        sw.stages[k] = round(sw.stages[k], 4)
    with sw("lsh_query"):
        candidates = lsh.query_all(minhashes)
    uf = UnionFind(len(texts))
    with sw("union"):
        for k, cands in enumerate(candidates):
            i = rows[k]
            for c in cands:
                uf.union(i, rows[c])
        roots = [uf.find(i) for i in range(len(texts))]
    return roots, {"bands": bands, "rows": r, "seed": SEED}


def main() -> dict:
    from importlib.metadata import version

    args = parse_args(PEER)
    sw = Stopwatch()
    with sw("read"):
        ids, texts = read_input(args.input)
    t0 = time.perf_counter()
    roots, lsh_params = dedup(texts, args, sw)
    with sw("cluster_ids"):
        cluster_ids = cluster_ids_from_roots(ids, roots)
    seconds = time.perf_counter() - t0
    with sw("write"):
        write_output(args.output, ids, cluster_ids)
    return {
        "peer": PEER,
        "version": version("rensa"),
        "n": len(ids),
        "seconds": round(seconds, 4),
        "stages": sw.stages,
        "clusters": n_clusters(cluster_ids),
        "params": {
            "threshold": args.threshold,
            "num_perm": args.num_perm,
            "ngram": args.ngram,
            **lsh_params,
        },
    }


if __name__ == "__main__":
    run_main(PEER, main)
