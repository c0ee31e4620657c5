"""Regenerate every benchmark result: accuracy, scale (syndup + peers) and the chart.

    python benchmarks/run_all.py [--quick] [--sizes 10000,100000,1000000]
        [--styles classic,templated] [--skip-peers] [--skip-accuracy]

Creates ``.venv-peers`` with ``setup_peers.sh`` first when it is missing (unless
``--skip-peers``, or ``--quick``, which runs only the project-venv peer). Results go to
``benchmarks/results/`` (``--quick``: ``benchmarks/results/quick/``, so a smoke run never
overwrites the real figures). Each step runs in its own process; progress goes to stderr.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
PEERS_VENV = ROOT / ".venv-peers"


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] run_all: {msg}", file=sys.stderr, flush=True)


def step(name: str, cmd: list[str], timings: dict[str, dict]) -> int:
    """Run one step, record its seconds and exit code."""
    log(f"{name}: {' '.join(cmd)}")
    t0 = time.perf_counter()
    rc = subprocess.run(cmd, cwd=ROOT, stdout=sys.stderr).returncode
    secs = round(time.perf_counter() - t0, 1)
    timings[name] = {"seconds": secs, "returncode": rc}
    log(f"{name}: {'done' if rc == 0 else f'FAILED (exit {rc})'} in {secs:,.0f} s")
    return rc


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="CI smoke run (< 2 minutes)")
    ap.add_argument("--sizes", default=None, help="scale sizes, e.g. 10000,100000,1000000")
    ap.add_argument("--styles", default=None, help="scale corpus styles: classic,templated")
    ap.add_argument("--skip-peers", action="store_true", help="syndup only in the scale run")
    ap.add_argument("--skip-accuracy", action="store_true", help="the scale run (and chart) only")
    ap.add_argument("--out-dir", type=Path, default=None)
    a = ap.parse_args(argv)
    out = a.out_dir or (HERE / "results" / "quick" if a.quick else HERE / "results")
    py = sys.executable
    timings: dict[str, dict] = {}
    t0 = time.perf_counter()
    if not (a.skip_peers or a.quick) and not (PEERS_VENV / "bin" / "python").exists():
        step("setup_peers", ["bash", str(HERE / "setup_peers.sh")], timings)
    acc = [py, str(HERE / "accuracy.py"), "--out-dir", str(out)]
    if a.quick:
        acc += ["--n-generated", "2000", "--n-realistic", "2000", "--n-ocr", "2000"]
        acc += ["--n-shuffle", "1000", "--n-templated", "2000"]
    scale = [py, str(HERE / "scale.py"), "--out-dir", str(out)]
    scale += ["--quick"] * a.quick + ["--skip-peers"] * a.skip_peers
    scale += ["--sizes", a.sizes] if a.sizes else []
    scale += ["--styles", a.styles] if a.styles else []
    rc = 0
    if not a.skip_accuracy:
        rc |= step("accuracy", acc, timings)
        rc |= step(
            "sts_headlines", [py, str(HERE / "sts_headlines.py"), "--out-dir", str(out)], timings
        )
    rc |= step("scale", scale, timings)
    if (out / "scale.json").is_file():
        rc |= step(
            "chart", [py, str(HERE / "chart.py"), "--input", str(out / "scale.json")], timings
        )
    total = round(time.perf_counter() - t0, 1)
    summary = {"argv": sys.argv[1:], "steps": timings, "total_seconds": total}
    tmp = out / f".run_all.{os.getpid()}.tmp"
    tmp.write_text(json.dumps(summary, indent=2) + "\n")
    os.replace(tmp, out / "run_all.json")
    log(f"all steps in {total:,.0f} s; results in {out}")
    return 1 if rc else 0


if __name__ == "__main__":
    sys.exit(main())
