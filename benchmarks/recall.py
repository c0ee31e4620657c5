"""Candidate recall against exact word-shingle similarity, per body signature scheme.

    python benchmarks/recall.py CORPUS.parquet [--schemes oph,affine32] [-n 20000]

For each scheme, the detector's candidate pairs (every LSH index, and the body index
alone) are compared with the exact 4-word-shingle Jaccard and containment of the cleaned,
normalised bodies. Recall is measured over a universe of pairs: the union of every
scheme's candidates plus all pairs within a gold cluster (``gold`` column; clusters over
``--cluster-cap`` members are sampled) - an exact all-pairs join is out of reach at this
size, so a similar pair that no scheme proposes and no gold cluster holds is not counted.
Reported: of the pairs with exact Jaccard >= 0.3 and with containment >= 0.5, the share
that share a body band (the LSH's own recall, before the anchor rule thins big buckets),
and the share that are direct candidate pairs (any index; the anchor rule links most of the
rest through a common anchor); candidates per article; the CPU seconds of ``prepare``
(normalise + signatures; the first scheme also pays one-off loading, so list it twice).
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
from pathlib import Path

import numpy as np
import polars as pl

from syndup import Config, Detector
from syndup.lsh import band_keys, band_params
from syndup.shingle import shingle_sets


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def gold_pairs(gold: np.ndarray, cap: int, seed: int = 0) -> np.ndarray:
    """Codes ``a << 32 | b`` of pairs within gold clusters (sampled above ``cap`` members)."""
    rng = np.random.default_rng(seed)
    frame = pl.DataFrame({"g": gold, "i": np.arange(len(gold))}).filter(pl.col("g").is_not_null())
    out = []
    for members in frame.group_by("g").agg("i")["i"].to_list():
        m = np.array(members, dtype=np.int64)
        if len(m) < 2:
            continue
        if len(m) > cap:
            m = np.sort(rng.choice(m, cap, replace=False))
        ia, ib = np.triu_indices(len(m), 1)
        out.append((m[ia] << 32) | m[ib])
    return np.concatenate(out) if out else np.zeros(0, dtype=np.int64)


def exact_measures(prepared, codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Exact Jaccard and containment (of the smaller set) for each pair code."""
    from syndup._kernels import containment

    n = prepared.docs.height
    body = prepared.texts(np.arange(n))["body_norm"]
    values, offsets = shingle_sets(body, prepared.config.signature.body_ngram)
    a, b = codes >> 32, codes & 0xFFFFFFFF
    cont = containment(values, offsets, a, b)
    size = np.diff(offsets).astype(np.float64)
    small = np.minimum(size[a], size[b])
    inter = cont * np.maximum(small, 1)
    union = size[a] + size[b] - inter
    jac = np.where(union > 0, inter / np.maximum(union, 1), 0.0)
    empty = (size[a] == 0) | (size[b] == 0)
    return np.where(empty, 0.0, jac), np.where(empty, 0.0, cont)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("corpus")
    ap.add_argument("-n", type=int, default=20_000, help="first N rows")
    ap.add_argument("--schemes", default="affine32,oph,affine32,oph")
    ap.add_argument("--cluster-cap", type=int, default=60)
    ap.add_argument("-o", "--output", type=Path, default=None, help="JSON results")
    args = ap.parse_args()
    df = pl.read_parquet(args.corpus).head(args.n)
    results, found, prepared = {}, {}, None
    for scheme in args.schemes.split(","):
        config = Config.from_dict({"signature": {"scheme": scheme}})
        detector = Detector(config)
        start = _cpu()
        prepared = detector.prepare(df.drop("gold", "role", "edits", strict=False))
        cpu = _cpu() - start
        pairs = detector.candidates(prepared)
        codes = (pairs["a"].to_numpy().astype(np.int64) << 32) | pairs["b"].to_numpy()
        body = pairs["index"].cast(pl.String).str.contains("body").to_numpy()
        lcfg = config.lsh
        bands, rows = band_params(
            lcfg.body_threshold, prepared.body_sig.shape[1], recall_weight=lcfg.recall_weight
        )
        keys = band_keys(prepared.body_sig, bands=bands, rows=rows)
        found[scheme] = (codes, codes[body], keys)
        results.setdefault(scheme, {"prepare_cpu_s": []})["prepare_cpu_s"].append(round(cpu, 2))
        results[scheme]["candidates"] = len(codes)
    assert prepared is not None
    ids = prepared.docs["id"].to_list()
    gold = None
    if "gold" in df.columns:
        by_id = dict(zip(df["id"].cast(pl.String).to_list(), df["gold"].to_list()))
        gold = np.array([by_id.get(i) for i in ids], dtype=object)
    universe = np.unique(
        np.concatenate(
            [c for pair in found.values() for c in pair[:2]]
            + ([gold_pairs(gold, args.cluster_cap)] if gold is not None else [])
        )
    )
    jac, cont = exact_measures(prepared, universe)
    for scheme, (all_codes, _body_codes, keys) in found.items():
        row = results[scheme]
        for label, mask in (("jaccard>=0.3", jac >= 0.3), ("containment>=0.5", cont >= 0.5)):
            target = universe[mask]
            a, b = target >> 32, target & 0xFFFFFFFF
            shared = np.zeros(len(target), dtype=bool)
            for start in range(0, len(target), 200_000):
                sl = slice(start, start + 200_000)
                ka, kb = keys[a[sl]], keys[b[sl]]
                shared[sl] = ((ka == kb) & (ka != 0)).any(axis=1)
            row[label] = {
                "pairs": len(target),
                "share_a_body_band": round(float(shared.mean()), 4),
                "direct_candidates": round(float(np.isin(target, all_codes).mean()), 4),
            }
        row["candidates_per_article"] = round(row["candidates"] / len(ids), 2)
    out = {"corpus": args.corpus, "rows": len(ids), "universe_pairs": len(universe)} | results
    text = json.dumps(out, indent=2)
    print(text)
    if args.output:
        args.output.write_text(text + "\n")


if __name__ == "__main__":
    sys.exit(main())
