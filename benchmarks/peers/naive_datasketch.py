"""Peer: the datasketch code most users write (one MinHash per doc, MinHashLSH, union-find).

Runs in the project venv (datasketch 2.x), importing nothing from syndup:

    .venv/bin/python benchmarks/peers/naive_datasketch.py IN.parquet OUT.parquet \
        [--threshold 0.5] [--num-perm 128] [--ngram 5]
"""

from __future__ import annotations

import time

from _common import (
    PeerArgs,
    Stopwatch,
    UnionFind,
    cluster_ids_from_roots,
    n_clusters,
    parse_args,
    read_input,
    run_main,
    shingles,
    write_output,
)

PEER = "naive_datasketch"


def dedup(texts: list[str], args: PeerArgs, sw: Stopwatch) -> tuple[list[int], dict]:
    from datasketch import MinHash, MinHashLSH

    with sw("minhash"):
        minhashes: list[MinHash | None] = []
        for text in texts:
            grams = shingles(text, args.ngram)
            if not grams:  # no tokens: nothing to compare, stays a singleton
                minhashes.append(None)
                continue
            m = MinHash(num_perm=args.num_perm)
            for g in grams:
                m.update(g.encode("utf8"))
            minhashes.append(m)

    lsh = MinHashLSH(threshold=args.threshold, num_perm=args.num_perm)
    with sw("lsh_insert"):
        for i, m in enumerate(minhashes):
            if m is not None:
                lsh.insert(i, m)

    uf = UnionFind(len(texts))
    with sw("lsh_query_union"):
        for i, m in enumerate(minhashes):
            if m is not None:
                for j in lsh.query(m):
                    uf.union(i, j)
        roots = [uf.find(i) for i in range(len(texts))]
    return roots, {"bands": lsh.b, "rows": lsh.r}


def main() -> dict:
    import datasketch

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
        "version": datasketch.__version__,
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
