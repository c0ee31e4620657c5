"""Where write-through recall is lost: candidate stage, verification or the story graph.

Runs the detector on a ``--profile realistic`` corpus and reports, over the gold pairs with a
write-through member (the same flag as ``accuracy_classes.class_figures``):

* ``candidate_share``: pairs proposed by any LSH index (far-apart versions share almost no
  text, so most pairs can only be joined through the versions between them);
* ``members_with_candidate``: write-through rows with at least one candidate into their story;
* ``ceiling``: pair recall if every same-story candidate were accepted (connected
  components of those edges): the best any verification could do with these candidates;
* ``matched``: pair recall of the components of the matched pairs (before the story graph);
* ``final``: pair recall of syndup's clusters.

The Jaccard / containment columns are MinHash-free: exact word 4-gram sets of the normalised
bodies, for candidate and missed pairs (``--exact``, slow in pure Python: ~1 min at 20k).

Usage: ``python benchmarks/chain_ceiling.py CORPUS.parquet [--body-threshold 0.3] [--exact]``
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from pathlib import Path

import numpy as np
import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parent))
import accuracy_classes as ac
from syndup.config import Config
from syndup.graph_cuts import components
from syndup.pipeline import Detector
from syndup.shingle import word_shingles


def _recall(gold: np.ndarray, labels: np.ndarray, flag: np.ndarray) -> float:
    df = pl.DataFrame({"gold": gold, "cluster_id": labels, "f": flag})
    return ac.pair_recall(df, pl.col("f"))["recall"]


def _exact(prep, pairs: pl.DataFrame) -> dict:
    """Quartiles of exact 4-gram Jaccard and containment (of the smaller set), hit vs missed."""
    body = prep.texts(np.arange(prep.docs.height))["body_norm"]
    h, off = word_shingles(body, 4)
    sets = [set(h[off[i] : off[i + 1]].tolist()) for i in range(len(off) - 1)]
    out = {}
    for name, part in pairs.partition_by("hit", as_dict=True).items():
        jac, con = [], []
        for a, b in zip(part["r"].to_list(), part["r_b"].to_list()):
            sa, sb = sets[a], sets[b]
            inter, small = len(sa & sb), min(len(sa), len(sb))
            jac.append(inter / max(1, len(sa | sb)))
            con.append(inter / max(1, small))
        q = [10, 25, 50, 75, 90]
        out["candidate" if name[0] else "missed"] = {
            "pairs": part.height,
            "jaccard_p10_25_50_75_90": np.percentile(jac, q).round(3).tolist(),
            "containment_p10_25_50_75_90": np.percentile(con, q).round(3).tolist(),
        }
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("corpus", type=Path)
    ap.add_argument("--body-threshold", type=float, default=None)
    ap.add_argument("--exact", action="store_true", help="exact 4-gram overlap quartiles")
    a = ap.parse_args()
    cfg = Config()
    if a.body_threshold is not None:
        cfg = dataclasses.replace(
            cfg, lsh=dataclasses.replace(cfg.lsh, body_threshold=a.body_threshold)
        )
    det = Detector(cfg)
    res = det.run(a.corpus)
    prep = det.last_prepared
    n = prep.docs.height
    labels = prep.docs.select("id").with_row_index("r")
    src = pl.read_parquet(a.corpus, columns=["id", "gold", "role", "edits"])
    d = labels.join(src.with_columns(pl.col("id").cast(pl.String)), on="id", how="left")
    d = d.sort("r")
    gold = d["gold"].to_numpy()
    chain = d["edits"].str.contains(r"(?:^|;)chain=").fill_null(False)
    flag = (chain | (d["role"] == "writethrough")).fill_null(False).to_numpy()

    cands = det.candidates(prep)
    ca, cb = (cands[c].to_numpy().astype(np.int64) for c in ("a", "b"))
    same = gold[ca] == gold[cb]
    into = np.zeros(n, dtype=bool)
    into[ca[same]] = into[cb[same]] = True
    multi = d.group_by("gold").len().filter(pl.col("len") > 1)["gold"]
    in_multi = d["gold"].is_in(multi.implode()).to_numpy() & flag

    row_of = dict(zip(d["id"].to_list(), d["r"].to_list()))
    pa = np.array([row_of[x] for x in res.pairs["id_a"].to_list()], dtype=np.int64)
    pb = np.array([row_of[x] for x in res.pairs["id_b"].to_list()], dtype=np.int64)
    hit = res.pairs["matched"].to_numpy()
    final = d.join(res.assignments.select("id", "cluster_id"), on="id", how="left").sort("r")
    final_lab = final.select(pl.coalesce(pl.col("cluster_id").cast(pl.String), "id"))
    g = d.filter(pl.Series(flag)).select("gold").unique()
    gp = d.join(g, on="gold")
    gp = gp.join(gp, on="gold", suffix="_b").filter(pl.col("r") < pl.col("r_b"))
    gp = gp.filter(pl.Series(flag[gp["r"].to_numpy()] | flag[gp["r_b"].to_numpy()]))
    codes = set((ca << 32 | cb).tolist())
    gp = gp.with_columns(
        hit=pl.Series([(x << 32 | y) in codes for x, y in zip(gp["r"], gp["r_b"])])
    )
    out = {
        "corpus": a.corpus.name,
        "body_threshold": cfg.lsh.body_threshold,
        "candidates": det.stats.get("candidates"),
        "gold_pairs": gp.height,
        "candidate_share": round(float(gp["hit"].mean()), 4),
        "members_with_candidate": round(float(into[in_multi].mean()), 4),
        "ceiling": _recall(gold, components(n, ca[same], cb[same]), flag),
        "matched": _recall(gold, components(n, pa[hit], pb[hit]), flag),
        "final": _recall(gold, final_lab.to_series().to_numpy(), flag),
    }
    if a.exact:
        out["exact"] = _exact(prep, gp)
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
