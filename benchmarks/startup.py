"""Start-up cost of the ``syndup`` command, warm and right after an install.

    python benchmarks/startup.py [--runs 5] [--out-dir benchmarks/results]

Warm: median of ``--runs`` runs of ``syndup cluster data/seed_headlines.csv`` (80 headlines)
beside the same number of ``python -c pass`` runs, interleaved, so the ratio holds when the
machine's speed drifts. After an install: a fresh numba cache folder (``NUMBA_CACHE_DIR``)
stands for a new install; the seed file is clustered first (it needs no compiled kernel),
then ``python -m syndup.warmup`` (what the README's set-up runs) compiles the kernels, then
the bundled body corpus (``data/wire_1916.jsonl``) runs on the warm cache. Writes
``startup.json`` and ``startup.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.scale import git_info, log, write_atomic  # noqa: E402

SYNDUP = str(Path(sys.executable).with_name("syndup"))
SEED = ["cluster", str(ROOT / "data" / "seed_headlines.csv"), "-q", "-f", "jsonl"]
WIRE = ["cluster", str(ROOT / "data" / "wire_1916.jsonl"), "-q", "-f", "jsonl"]


def timed(cmd: list[str], env: dict[str, str] | None = None) -> float:
    """Wall seconds of one run (output discarded); raises if the command fails."""
    start = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, env=env)
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--out-dir", type=Path, default=HERE / "results")
    args = parser.parse_args(argv)
    load = os.getloadavg()[0]
    timed([SYNDUP, *SEED])  # untimed: file cache, kernel cache
    warm, base = [], []
    for i in range(args.runs):
        log(f"warm run {i + 1}/{args.runs}")
        warm.append(timed([SYNDUP, *SEED]))
        base.append(timed([sys.executable, "-c", "pass"]))
    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "NUMBA_CACHE_DIR": cache}
        log("fresh kernel cache: seed file, warm-up, body corpus")
        first_seed = timed([SYNDUP, *SEED], env)
        warmup = timed([sys.executable, "-m", "syndup.warmup"], env)
        first_body = timed([SYNDUP, *WIRE], env)
    doc = {
        "load_1min": round(load, 2),
        "load_after": round(os.getloadavg()[0], 2),
        "warm_seed_s": [round(x, 3) for x in warm],
        "warm_seed_median_s": round(statistics.median(warm), 3),
        "python_pass_median_s": round(statistics.median(base), 3),
        "ratio_to_python": round(statistics.median(warm) / statistics.median(base), 1),
        "fresh_seed_s": round(first_seed, 2),
        "warmup_s": round(warmup, 2),
        "fresh_body_after_warmup_s": round(first_body, 2),
        "git": git_info(),
    }
    md = "\n".join(
        [
            "# Start-up",
            "",
            f"Load average {doc['load_1min']} at the start, {doc['load_after']} at the end; "
            f"2-core machine. `syndup cluster data/seed_headlines.csv` (80 headlines).",
            "",
            "| measure | seconds |",
            "| --- | --- |",
            f"| warm, median of {args.runs} | {doc['warm_seed_median_s']} "
            f"(runs: {', '.join(map(str, doc['warm_seed_s']))}) |",
            f"| `python -c pass`, median | {doc['python_pass_median_s']} |",
            f"| fresh install: seed file (no kernel needed) | {doc['fresh_seed_s']} |",
            f"| fresh install: `python -m syndup.warmup` | {doc['warmup_s']} |",
            f"| then `data/wire_1916.jsonl` (400 bodies) | {doc['fresh_body_after_warmup_s']} |",
            "",
        ]
    )
    write_atomic(args.out_dir / "startup.json", json.dumps(doc, indent=2) + "\n")
    write_atomic(args.out_dir / "startup.md", md)
    print(md)
    return 0


if __name__ == "__main__":
    sys.exit(main())
