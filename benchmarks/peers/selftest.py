"""Self-test of the peer adapters on synthetic data with known near-copies.

    .venv/bin/python benchmarks/peers/selftest.py [--docs 2000] [--words 300] \
        [--peers naive_datasketch,text_dedup_minhash,rensa_lsh] [--workdir DIR]

Makes a parquet of random-ish documents (fixed vocabulary, ``random.Random(seed)``) where a
share of the documents are near-copies of an original with a few words changed, runs every
peer through ``run_peer`` and prints, per peer, pairwise precision / recall against the known
copy groups, docs/s and peak RSS. Uses only the standard library and pyarrow.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
from collections import Counter, defaultdict
from itertools import accumulate, combinations
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from run_peer import PEERS, run_peer


def make_vocab(rng: random.Random, size: int) -> list[str]:
    letters = "abcdefghijklmnopqrstuvwxyz"
    vocab: set[str] = set()
    while len(vocab) < size:
        vocab.add("".join(rng.choice(letters) for _ in range(rng.randint(2, 9))))
    return sorted(vocab)


def make_corpus(
    n_docs: int,
    n_words: int,
    *,
    copy_share: float = 0.3,
    max_changes: int = 8,
    seed: int = 0,
    vocab_size: int = 20_000,
) -> tuple[dict[str, list], list[int]]:
    """Columns id / headline / body and, per row, the index of its original (group label).

    Words follow a Zipf-like law over the vocabulary. A near-copy changes 1..max_changes
    words of its original's body (and keeps its headline or changes one word in it). A few
    rows have null headline and/or body, two rows are entirely empty (expected singletons).
    """
    rng = random.Random(seed)
    vocab = make_vocab(rng, vocab_size)
    cum = list(accumulate(1.0 / (k + 10) for k in range(len(vocab))))

    def words(k: int) -> list[str]:
        return rng.choices(vocab, cum_weights=cum, k=k)

    n_copies = int(n_docs * copy_share)
    n_orig = n_docs - n_copies
    heads: list[str | None] = []
    bodies: list[str | None] = []
    group: list[int] = []
    for i in range(n_orig):
        heads.append(" ".join(words(rng.randint(5, 12))).capitalize())
        bodies.append(" ".join(words(max(20, int(rng.gauss(n_words, n_words / 10))))))
        group.append(i)
    for _ in range(n_copies):
        src = rng.randrange(n_orig)
        body = bodies[src].split()
        for _ in range(rng.randint(1, max_changes)):
            body[rng.randrange(len(body))] = rng.choice(vocab)
        head = heads[src].split()
        if rng.random() < 0.5:
            head[rng.randrange(len(head))] = rng.choice(vocab)
        heads.append(" ".join(head))
        bodies.append(" ".join(body))
        group.append(src)
    # shuffle so that copies are not all at the end
    order = list(range(n_docs))
    rng.shuffle(order)
    heads = [heads[k] for k in order]
    bodies = [bodies[k] for k in order]
    group = [group[k] for k in order]
    # nulls: some headlines missing; two originals-only rows emptied entirely
    size = Counter(group)
    singletons = [k for k in range(n_docs) if size[group[k]] == 1]
    for k in singletons[:20]:
        heads[k] = None
    for j, k in enumerate(singletons[20:22]):
        heads[k] = None
        bodies[k] = None if j == 0 else ""
    ids = [f"doc{k:07d}" for k in range(n_docs)]
    return {"id": ids, "headline": heads, "body": bodies}, group


def write_corpus(path: Path, cols: dict[str, list]) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    pq.write_table(pa.table({k: pa.array(v, type=pa.string()) for k, v in cols.items()}), path)


def _pairs(labels: list) -> set[tuple[int, int]]:
    groups: dict = defaultdict(list)
    for i, g in enumerate(labels):
        groups[g].append(i)
    return {p for members in groups.values() for p in combinations(members, 2)}


def score(output: Path, ids: list[str], group: list[int]) -> dict:
    import pyarrow.parquet as pq

    t = pq.read_table(output)
    got = dict(zip(t.column("id").to_pylist(), t.column("cluster_id").to_pylist(), strict=True))
    missing = [i for i in ids if i not in got]
    if missing or len(got) != len(ids):
        raise AssertionError(f"output covers {len(got)} ids, missing {len(missing)}")
    pred = _pairs([got[i] for i in ids])
    true = _pairs(group)
    tp = len(pred & true)
    return {
        "true_pairs": len(true),
        "pred_pairs": len(pred),
        "precision": round(tp / len(pred), 4) if pred else 1.0,
        "recall": round(tp / len(true), 4) if true else 1.0,
        "clusters": len(set(got.values())),
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--docs", type=int, default=2000)
    p.add_argument("--words", type=int, default=300)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--max-changes", type=int, default=8, help="words changed in a copy: 1..N")
    p.add_argument("--peers", default=",".join(PEERS))
    p.add_argument("--threshold", type=float, default=0.5)
    p.add_argument("--num-perm", type=int, default=128)
    p.add_argument("--ngram", type=int, default=5)
    p.add_argument("--timeout", type=float, default=None)
    p.add_argument("--workdir", type=Path, default=None)
    a = p.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="peers_selftest_") as tmp:
        work = a.workdir or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        cols, group = make_corpus(a.docs, a.words, seed=a.seed, max_changes=a.max_changes)
        src = work / f"synthetic_{a.docs}x{a.words}.parquet"
        write_corpus(src, cols)
        ok = True
        for name in a.peers.split(","):
            out = work / f"{name}.parquet"
            res = run_peer(
                name,
                src,
                out,
                threshold=a.threshold,
                num_perm=a.num_perm,
                ngram=a.ngram,
                timeout=a.timeout,
            )
            if "error" in res:
                ok = False
                print(json.dumps(res))
                continue
            res["quality"] = score(out, cols["id"], group)
            res["docs_per_s"] = round(res["n"] / res["seconds"], 1) if res["seconds"] else None
            print(json.dumps(res))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
