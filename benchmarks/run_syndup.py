"""Run syndup on one corpus in this process and print one JSON line (the peers' contract).

    python benchmarks/run_syndup.py INPUT.parquet OUTPUT.parquet [--config FILE]

``seconds`` covers reading, every stage and writing the predictions; interpreter start and
imports are excluded, as for the peers. ``stages`` has the per-stage breakdown.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from importlib.metadata import version
from pathlib import Path

import polars as pl

from syndup import Config, Detector, write_table


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("input", type=Path)
    ap.add_argument("output", type=Path)
    ap.add_argument("--config", type=Path, default=None)
    args = ap.parse_args(argv)
    config = Config.from_toml(args.config) if args.config else Config()
    start = time.perf_counter()
    detector = Detector(config)
    result = detector.run(str(args.input))
    t_write = time.perf_counter()
    # every input row is in assignments; rows not clustered get a singleton of their own
    single = pl.format("rejected:{}", pl.col("id").cast(pl.String))
    pred = result.assignments.drop_nulls("id").select(
        pl.col("id").cast(pl.String), pl.coalesce("cluster_id", single).alias("cluster_id")
    )
    write_table(pred, str(args.output), format="parquet")
    end = time.perf_counter()
    stages = dict(detector.stats.get("seconds", {}))
    stages["write"] = round(end - t_write, 3)
    print(
        json.dumps(
            {
                "peer": "syndup",
                "version": version("syndup"),
                "n": detector.stats.get("articles"),
                "seconds": round(end - start, 3),
                "stages": stages,
                "candidates": detector.stats.get("candidates"),
                "pairs": detector.stats.get("pairs"),
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
