"""Headline-only matching on the STS news-headline pairs (real headlines, human-scored 0-5).

    python benchmarks/sts_headlines.py [--data ../shared/data/sts_headlines/pairs.parquet]
        [--out-dir benchmarks/results]

Every pair becomes two headline-only records (no body, different outlets, the same day), all
pairs in one ``syndup.cluster`` run, so a record may also meet the other pairs' headlines.
STS scores meaning, not copying: a 5 is a paraphrase, which may be a re-headlined reprint or
two outlets' own headlines of one event; a score under 3 is a different statement, and a
headline-only record has nothing but its headline to be a copy by. So the figure to hold is the
merge rate of low-scored pairs (should be ~0: these are the hard negatives of a headline-only
feed), while the rate for 5s shows how much of headline rewording syndup accepts without a body.
Writes ``sts_headlines.json`` and ``sts_headlines.md`` (atomically).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import polars as pl

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.scale import git_info, log, write_atomic  # noqa: E402

import syndup  # noqa: E402

BANDS = ((0.0, 1.0), (1.0, 2.0), (2.0, 3.0), (3.0, 4.0), (4.0, 4.6), (4.6, 5.01))


def records(pairs: pl.DataFrame) -> pl.DataFrame:
    """Two headline-only records per pair: ids ``a<i>`` / ``b<i>``, outlets A / B, one day."""
    n = pairs.height
    idx = pl.int_range(0, n, eager=True).cast(pl.Utf8)
    schema = {c: pl.Utf8 for c in ("id", "headline", "body", "outlet", "published")}

    def side(prefix: str, col: str) -> pl.DataFrame:
        """One record per pair from column ``col``, ids ``<prefix><i>``."""
        return pl.DataFrame(
            {
                "id": (prefix + idx).to_list(),
                "headline": pairs[col].to_list(),
                "body": [None] * n,
                "outlet": [f"Outlet {prefix.upper()}"] * n,
                "published": ["2013-05-01T12:00:00Z"] * n,
            },
            schema=schema,
        )

    return pl.concat([side("a", "headline_a"), side("b", "headline_b")])


def measure(pairs: pl.DataFrame) -> dict:
    t0 = time.perf_counter()
    result = syndup.cluster(records(pairs))
    seconds = time.perf_counter() - t0
    cid = dict(zip(result.assignments["id"].to_list(), result.assignments["cluster_id"].to_list()))
    n = pairs.height
    merged = [cid[f"a{i}"] is not None and cid[f"a{i}"] == cid[f"b{i}"] for i in range(n)]
    scored = pairs.with_columns(merged=pl.Series(merged))
    bands = []
    for lo, hi in BANDS:
        part = scored.filter((pl.col("score") >= lo) & (pl.col("score") < hi))
        bands.append(
            {
                "score": f"{lo:g}-{min(hi, 5):g}",
                "pairs": part.height,
                "merged": int(part["merged"].sum()),
                "rate": round(float(part["merged"].mean() or 0.0), 4),
            }
        )
    sizes = (
        result.assignments.filter(pl.col("cluster_id").is_not_null()).group_by("cluster_id").len()
    )
    examples = scored.filter(pl.col("merged") & (pl.col("score") < 3)).sort("score").head(10)
    return {
        "pairs": n,
        "seconds": round(seconds, 2),
        "bands": bands,
        "clusters_over_2": int((sizes["len"] > 2).sum()),
        "largest_cluster": int(sizes["len"].max() or 0),
        "low_score_merges": examples.select("score", "headline_a", "headline_b").to_dicts(),
    }


def markdown(out: dict) -> str:
    commit = (out["git"]["commit"] or "?")[:10]
    lines = [
        "# STS news headlines: headline-only merges by human similarity score",
        "",
        f"Data: {out['data']} ({out['pairs']:,} pairs, all splits), code {commit}, "
        f"one `syndup.cluster` run of {2 * out['pairs']:,} headline-only records, "
        f"{out['seconds']} s. A score is meaning (5 = paraphrase), not copying.",
        "",
        "| STS score | pairs | merged | rate |",
        "| --- | ---: | ---: | ---: |",
    ]
    for b in out["bands"]:
        lines.append(f"| {b['score']} | {b['pairs']:,} | {b['merged']:,} | {b['rate']:.2%} |")
    lines += [
        "",
        f"Clusters of more than 2 records (pairs meeting other pairs): {out['clusters_over_2']}, "
        f"largest {out['largest_cluster']}.",
        "",
        "Merged pairs scored under 3 (lowest first):",
        "",
    ]
    for e in out["low_score_merges"]:
        lines.append(f'- {e["score"]}: "{e["headline_a"]}" / "{e["headline_b"]}"')
    if not out["low_score_merges"]:
        lines.append("- none")
    return "\n".join(lines) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--data",
        type=Path,
        default=ROOT.parent / "shared" / "data" / "sts_headlines" / "pairs.parquet",
    )
    ap.add_argument("--out-dir", type=Path, default=HERE / "results")
    args = ap.parse_args()
    if not args.data.exists():
        log(f"sts_headlines: {args.data} not found; nothing measured")
        return
    pairs = pl.read_parquet(args.data).filter(
        pl.col("headline_a").is_not_null() & pl.col("headline_b").is_not_null()
    )
    out = {"data": str(args.data), "git": git_info(), **measure(pairs)}
    write_atomic(args.out_dir / "sts_headlines.json", json.dumps(out, indent=2) + "\n")
    write_atomic(args.out_dir / "sts_headlines.md", markdown(out))
    log(markdown(out))


if __name__ == "__main__":
    main()
