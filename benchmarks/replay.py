"""Replay rule and story-graph variants on one corpus's cached candidates (issue 11).

    python benchmarks/replay.py CORPUS.parquet [--variants base,NAME,...] [--lost 30]

Prepares the corpus, finds and verifies its candidates once (the default config), then for
each variant re-applies the rules to the cached pair features and rebuilds the story graph
(seconds per variant instead of a full run). Per variant it prints pairwise P / R / F1 and
the per-class figures of ``accuracy_classes.class_figures`` (write-through recall, roundups
and two-story pages merged, notices across days, negatives merged), and for the base run
where the write-through pairs it misses are lost:

* ``cut``: the two rows are joined by matched same-story edges, but the story graph parts them;
* ``rejected``: joined only through same-story candidates some rule rejected;
* ``no_candidate``: not joined even by every same-story candidate.

A variant is a function of the default ``Config`` (``VARIANTS``); only rules over features
the default rules already compute can be replayed (``feature_scopes`` decides which
costlier features are read). Results are the same as a full run's for the default config
(the check ``base`` prints against ``syndup.cluster`` is left to ``accuracy.py``).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parent))
import accuracy_classes as ac
import syndup
from syndup.config import Config, Rule
from syndup.graph_cuts import components, story_graph
from syndup.pipeline import Detector, _decided
from syndup.rules import apply_rules


def _with_rules(cfg: Config, rules: tuple[Rule, ...]) -> Config:
    return dataclasses.replace(cfg, verify=dataclasses.replace(cfg.verify, rules=rules))


def _without(cfg: Config, name: str) -> Config:
    return _with_rules(cfg, tuple(r for r in cfg.verify.rules if r.name != name))


def _edit(cfg: Config, name: str, edit: Callable[[tuple[str, ...]], tuple[str, ...]]) -> Config:
    """``cfg`` with rule ``name``'s conditions replaced by ``edit(conditions)``."""
    rules = tuple(
        dataclasses.replace(r, when=edit(r.when)) if r.name == name else r for r in cfg.verify.rules
    )
    return _with_rules(cfg, rules)


def _swap(old: str, new: str | None) -> Callable[[tuple[str, ...]], tuple[str, ...]]:
    """An ``_edit`` replacing condition ``old`` by ``new`` (None: dropping it)."""

    def edit(when: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(c for c in (new if c == old else c for c in when) if c is not None)

    return edit


# The variants tried for issue 11 (session 8), relative to the default rules; figures of
# each on realistic 100k are in benchmarks/results/chain_decomposition.md.
_WC = "write_through_wire_city"
VARIANTS: dict[str, Callable[[Config], Config]] = {
    "base": lambda c: c,
    "no_wire_city": lambda c: _without(c, _WC),
    "wire_city_any_outlet": lambda c: _edit(c, _WC, _swap("same_outlet == 0", None)),
    "wire_city_two_outlets": lambda c: _edit(c, _WC, lambda w: (*w, "same_outlet == 0")),
    "wire_city_30": lambda c: _edit(
        c, _WC, _swap("shared_shingles >= 40", "shared_shingles >= 30")
    ),
    "wire_city_20": lambda c: _edit(
        c, _WC, _swap("shared_shingles >= 40", "shared_shingles >= 20")
    ),
    "wire_city_unquoted_15": lambda c: _edit(
        c, _WC, _swap("unquoted_containment >= 0.1", "unquoted_containment >= 0.15")
    ),
    "wire_city_unquoted_20": lambda c: _edit(
        c, _WC, _swap("unquoted_containment >= 0.1", "unquoted_containment >= 0.2")
    ),
    "wire_any_city_20": lambda c: _edit(
        _edit(c, _WC, _swap("shared_shingles >= 40", "shared_shingles >= 20")),
        _WC,
        _swap("same_dateline_city == 1", None),
    ),
    "wire_any_city_any_outlet_20": lambda c: _edit(
        _edit(
            _edit(c, _WC, _swap("shared_shingles >= 40", "shared_shingles >= 20")),
            _WC,
            _swap("same_dateline_city == 1", None),
        ),
        _WC,
        _swap("same_outlet == 0", None),
    ),
}


def _pred(prepared, labels: np.ndarray) -> pl.DataFrame:
    ids = prepared.docs["id"].cast(pl.String)
    usable = prepared.docs["usable"].to_numpy()
    lab = pl.Series(np.where(usable, labels, -1 - np.arange(len(labels))))
    return pl.DataFrame({"id": ids, "cluster_id": lab.cast(pl.String)})


def _summary(pred: pl.DataFrame, gold: pl.DataFrame) -> dict:
    s = syndup.score_clusters(pred, gold, gold_col="gold").to_dict()
    c = ac.class_figures(gold, pred)
    return {
        "P": round(s["pairwise_precision"], 4),
        "R": round(s["pairwise_recall"], 4),
        "F1": round(s["pairwise_f1"], 4),
        "wt": round(c["writethrough"]["recall"], 4),
        "chains_whole": f"{c['writethrough']['chains_whole']}/{c['writethrough']['chains']}",
        "roundup": c["roundup"]["merged"],
        "two_story": c["two_story"]["merged"],
        "notice_days": c["notice"]["clusters_across_days"],
        "negatives": c["negatives"]["merged"],
    }


def _lost(d: pl.DataFrame, flag: np.ndarray, labels, matched, ceiling) -> dict:
    """Missed write-through gold pairs by where they were lost."""
    g = d.filter(pl.Series(flag)).select("gold").unique()
    gp = d.join(g, on="gold")
    gp = gp.join(gp, on="gold", suffix="_b").filter(pl.col("r") < pl.col("r_b"))
    ra, rb = gp["r"].to_numpy(), gp["r_b"].to_numpy()
    keep = flag[ra] | flag[rb]
    ra, rb = ra[keep], rb[keep]
    missed = labels[ra] != labels[rb]
    cut = missed & (matched[ra] == matched[rb])
    rej = missed & ~cut & (ceiling[ra] == ceiling[rb])
    return {
        "pairs": len(ra),
        "missed": int(missed.sum()),
        "cut": int(cut.sum()),
        "rejected": int(rej.sum()),
        "no_candidate": int((missed & ~cut & ~rej).sum()),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("corpus", type=Path)
    ap.add_argument("--variants", default="base")
    ap.add_argument("--show-merged", default="", help="roles whose merged clusters to list")
    ap.add_argument("--dump", type=Path, default=None, help="write the rejected wt pairs here")
    a = ap.parse_args()
    t0 = time.process_time()
    cfg = Config()
    det = Detector(cfg)
    prep = det.prepare(str(a.corpus))
    cands = det.candidates(prep)
    usable = prep.docs["usable"].to_numpy()
    cands = cands.filter(pl.Series(usable[cands["a"].to_numpy()] & usable[cands["b"].to_numpy()]))
    feats = det.verify(cands, prep)
    print(f"prepared and verified {feats.height:,} pairs in {time.process_time() - t0:.0f} CPU-s")
    gold = pl.read_parquet(a.corpus, columns=["id", "gold", "role", "edits"])
    gold = gold.with_columns(pl.col("id").cast(pl.String))
    d = prep.docs.select(pl.col("id").cast(pl.String)).with_row_index("r")
    d = d.join(gold, on="id", how="left").sort("r")
    g = d["gold"].to_numpy()
    chain = d["edits"].str.contains(r"(?:^|;)chain=").fill_null(False)
    flag = (chain | (d["role"] == "writethrough")).fill_null(False).to_numpy()
    n = prep.docs.height
    fa, fb = feats["a"].to_numpy().astype(np.int64), feats["b"].to_numpy().astype(np.int64)
    same = g[fa] == g[fb]
    ceiling = components(n, fa[same], fb[same])
    base = feats.drop("rule", "matched", "verified", "status")
    for name in a.variants.split(","):
        t1 = time.process_time()
        vcfg = VARIANTS[name](cfg)
        f = _decided(apply_rules(base, vcfg.verify))
        edges = f.filter(pl.col("matched"))
        labels = story_graph(prep, edges, vcfg.cluster).labels
        out = {"variant": name} | _summary(_pred(prep, labels), gold)
        m = f["matched"].to_numpy()
        matched = components(n, fa[m & same], fb[m & same])
        out |= _lost(d, flag, labels, matched, ceiling)
        ms = f.filter(pl.col("matched") & ~pl.Series(same))
        out["false_edges"] = ms.group_by("rule").len().sort("len", descending=True).rows()[:6]
        out["cpu_s"] = round(time.process_time() - t1, 1)
        print(json.dumps(out, default=str), flush=True)
        if a.show_merged:
            pred = _pred(prep, labels)
            df = gold.join(pred, on="id", how="left")
            many = df.group_by("cluster_id").agg(pl.col("gold").n_unique().alias("k"))
            bad = df.join(many.filter(pl.col("k") > 1), on="cluster_id")
            roles = a.show_merged.split(",")
            for cid in bad.filter(pl.col("role").is_in(roles))["cluster_id"].unique().to_list():
                cl = bad.filter(pl.col("cluster_id") == cid)
                print(" ", cid, cl.group_by("gold", "role").len().sort("len").rows()[-8:])
        if a.dump and name == "base":
            wt = same & (flag[fa] | flag[fb]) & ~m
            edits = d["edits"].to_numpy()
            rej = f.filter(pl.Series(wt)).with_columns(
                pl.Series("gold", g[fa][wt]),
                pl.Series("edits_a", edits[fa][wt]),
                pl.Series("edits_b", edits[fb][wt]),
            )
            rej.write_parquet(a.dump)
            role = d["role"].to_numpy()
            fs = f.with_columns(
                pl.Series("same", same),
                pl.Series("role_a", role[fa]),
                pl.Series("role_b", role[fb]),
                pl.Series("wt", flag[fa] | flag[fb]),
            )
            fs.write_parquet(a.dump.with_name(a.dump.stem + "_all.parquet"))


if __name__ == "__main__":
    main()
