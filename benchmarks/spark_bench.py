"""The Spark engine beside the local engine, and beside pyspark.ml's MinHashLSH, same run.

    python benchmarks/spark_bench.py -n 100000 --ml-n 20000 [--master local[2]] \\
        [-o benchmarks/results/spark.json]

Each contender runs in its own process; the peak RSS is the sum over that process and all
its children (Spark's JVM and its Python workers), sampled every 0.2 s. The Spark run writes
its assignments as parquet (the work is done once, when written); the local run writes one
parquet file; the two are then compared row for row (membership, canonical, rule).
Corpora come from ``generate.py`` (cached under benchmarks/work/). The MinHashLSH baseline:
Tokenizer -> 4-gram NGram -> HashingTF(2^20) -> MinHashLSH(numHashTables=5) ->
``approxSimilarityJoin`` at Jaccard distance 0.7 (similarity 0.3, syndup's body threshold),
with no verification and no clustering: a lower bound on what an ML-library pipeline costs.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
WORK = HERE / "work"


# --------------------------------------------------------------------------- workers
def work_local(path: str, out: str) -> dict:
    import syndup

    t0 = time.perf_counter()
    result = syndup.cluster(path)
    result.assignments.write_parquet(out)
    return {"seconds": round(time.perf_counter() - t0, 2), "pairs": result.pairs.height}


def work_spark(path: str, out: str, master: str, *conf: str) -> dict:
    import logging

    from syndup.engines.spark import SparkEngine, session

    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(message)s")
    logging.getLogger("syndup").setLevel(logging.INFO)  # stage times on stderr
    t0 = time.perf_counter()
    spark = session(master, dict(c.split("=", 1) for c in conf))
    started = time.perf_counter()
    spark.range(1000).selectExpr("sum(id)").collect()  # first job
    first = time.perf_counter()
    engine = SparkEngine(spark=spark)
    result = engine.run(path)
    engine.write(result, out)
    done = time.perf_counter()
    return {
        "session_seconds": round(started - t0, 2),
        "first_job_seconds": round(first - started, 2),
        "pipeline_seconds": round(done - first, 2),
        "seconds": round(done - t0, 2),
        "stages": result.stats,
    }


def work_ml(path: str, master: str, *conf: str) -> dict:
    from pyspark.ml import Pipeline
    from pyspark.ml.feature import HashingTF, MinHashLSH, NGram, RegexTokenizer
    from pyspark.sql import functions as F

    from syndup.engines.spark import session

    t0 = time.perf_counter()
    spark = session(master, dict(c.split("=", 1) for c in conf))
    started = time.perf_counter()
    df = spark.read.parquet(path).select("id", F.coalesce("body", F.lit("")).alias("body"))
    stages = [
        RegexTokenizer(inputCol="body", outputCol="tokens", pattern=r"\W+", minTokenLength=1),
        NGram(n=4, inputCol="tokens", outputCol="grams"),
        HashingTF(inputCol="grams", outputCol="tf", numFeatures=1 << 20, binary=True),
    ]
    feats = Pipeline(stages=stages).fit(df).transform(df)
    feats = feats.filter(F.size("grams") > 0).select("id", "tf").cache()
    lsh = MinHashLSH(inputCol="tf", outputCol="hashes", numHashTables=5, seed=1).fit(feats)
    pairs = lsh.approxSimilarityJoin(feats, feats, 0.7, distCol="dist").filter(
        F.col("datasetA.id") < F.col("datasetB.id")
    )
    count = pairs.count()
    return {
        "session_seconds": round(started - t0, 2),
        "join_seconds": round(time.perf_counter() - started, 2),
        "seconds": round(time.perf_counter() - t0, 2),
        "pairs": count,
    }


# --------------------------------------------------------------------------- driver
def measure(args: list[str], timeout: float | None = None) -> dict:
    """Run this script as a worker; wall seconds and peak RSS of its process tree. After
    ``timeout`` seconds the tree is stopped and the partial figures are returned (the
    worker's stage lines are on stderr)."""
    import psutil

    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"))
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, __file__, "worker", *args], stdout=subprocess.PIPE, env=env, text=True
    )
    root, peak = psutil.Process(proc.pid), 0
    cpu: dict[int, float] = {}  # pid -> user + system seconds, last seen
    stopped = False
    while proc.poll() is None:
        try:
            procs = [root, *root.children(recursive=True)]
        except psutil.Error:
            procs = []
        if timeout is not None and time.perf_counter() - t0 > timeout:
            for p in reversed(procs):
                with contextlib.suppress(psutil.Error):
                    p.kill()
            stopped = True
            proc.wait()
            break
        rss = 0
        for p in procs:
            try:
                rss += p.memory_info().rss
                times = p.cpu_times()
                cpu[p.pid] = times.user + times.system
            except psutil.Error:
                pass
        peak = max(peak, rss)
        time.sleep(0.2)
    out, _ = proc.communicate()
    if stopped:
        return {
            "status": f"stopped after {timeout:.0f} s (not finished)",
            "wall_seconds": round(time.perf_counter() - t0, 2),
            "peak_rss_gb": round(peak / 1e9, 2),
            "cpu_seconds": round(sum(cpu.values()), 1),
        }
    if proc.returncode != 0:
        raise SystemExit(f"worker {args[0]} failed ({proc.returncode})")
    report = json.loads(out.strip().splitlines()[-1])
    report["wall_seconds"] = round(time.perf_counter() - t0, 2)
    report["peak_rss_gb"] = round(peak / 1e9, 2)
    report["cpu_seconds"] = round(sum(cpu.values()), 1)  # process tree, sampled at 0.2 s
    return report


def corpus(n: int, given: Path | None = None) -> Path:
    if given is not None:
        return given
    path = WORK / f"spark_gen_{n}.parquet"
    if not path.exists():
        WORK.mkdir(exist_ok=True)
        subprocess.run(
            [sys.executable, str(HERE / "generate.py"), "-n", str(n), "--seed", "1",
             "--words", "400", "-o", str(path)],
            check=True,
        )  # fmt: skip
    return path


def compare(local: str, spark_dir: str) -> dict:
    """Rows whose membership, canonical or rule differ between the two engines."""
    import polars as pl

    cols = ["id", "cluster_size", "canonical_id", "is_canonical", "rule", "cluster_id", "row"]
    a = pl.read_parquet(local).select(cols).with_columns(pl.col("row").cast(pl.Int64))
    b = pl.read_parquet(f"{spark_dir}/*.parquet").select(cols)
    both = a.join(b, on="id", how="full", suffix="_s", coalesce=True)
    differ = pl.any_horizontal([pl.col(c).ne_missing(pl.col(f"{c}_s")) for c in cols[1:]])
    return {
        "rows_local": a.height,
        "rows_spark": b.height,
        "rows_differ": both.filter(differ).height,
    }


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "worker":
        kind, *rest = argv[1:]
        fn = {"local": work_local, "spark": work_spark, "ml": work_ml}[kind]
        print(json.dumps(fn(*rest)))
        return 0
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("-n", type=int, default=100_000, help="articles for local vs Spark")
    ap.add_argument("--ml-n", type=int, default=20_000, help="articles for MinHashLSH (0 = skip)")
    ap.add_argument("--master", default="local[2]")
    ap.add_argument("--corpus", type=Path, default=None, help="use this file for -n")
    ap.add_argument("--skip-local", action="store_true", help="Spark only (no parity)")
    ap.add_argument(
        "--conf", action="append", default=[], help="Spark setting k=v for the Spark run"
    )
    ap.add_argument(
        "--ml-conf", action="append", default=[], help="Spark setting k=v for MinHashLSH"
    )
    ap.add_argument(
        "--ml-timeout", type=float, default=None, help="stop MinHashLSH after this many seconds"
    )
    ap.add_argument("--note", default=None, help="stored with the run")
    ap.add_argument(
        "--deadline", type=float, default=None, help="stop the Spark run at this epoch time"
    )
    ap.add_argument("-o", "--output", type=Path, default=None, help="append the run to this JSON")
    args = ap.parse_args(argv)
    load = os.getloadavg()
    run: dict = {
        "n": args.n,
        "master": args.master,
        "load_before": [round(x, 1) for x in load],
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        "started": time.strftime("%Y-%m-%d %H:%M:%S"),
    }
    try:
        import pyspark

        run["pyspark"] = pyspark.__version__
    except ImportError:
        raise SystemExit("needs pyspark: pip install 'syndup[spark]'") from None
    if args.note:
        run["note"] = args.note
    if args.conf:
        run["conf"] = args.conf
    path = corpus(args.n, args.corpus) if args.n else None
    with tempfile.TemporaryDirectory(dir=os.environ.get("SPARK_BENCH_TMP")) as tmp:
        local_out, spark_out = f"{tmp}/local.parquet", f"{tmp}/spark"
        if args.n:
            if not args.skip_local:
                run["local"] = measure(["local", str(path), local_out])
                print("local", run["local"], file=sys.stderr)
            left = None if args.deadline is None else args.deadline - time.time()
            run["spark"] = measure(
                ["spark", str(path), spark_out, args.master, *args.conf], timeout=left
            )
            print("spark", run["spark"], file=sys.stderr)
            if not args.skip_local and "status" not in run["spark"]:
                run["parity"] = compare(local_out, spark_out)
                print("parity", run["parity"], file=sys.stderr)
    if args.ml_n:
        run["ml_n"] = args.ml_n
        if args.ml_conf:
            run["ml_conf"] = args.ml_conf
        run["minhashlsh"] = measure(
            ["ml", str(corpus(args.ml_n)), args.master, *args.ml_conf], timeout=args.ml_timeout
        )
        print("minhashlsh", run["minhashlsh"], file=sys.stderr)
    run["load_after"] = [round(x, 1) for x in os.getloadavg()]
    print(json.dumps(run, indent=2))
    if args.output:
        runs = json.loads(args.output.read_text()) if args.output.exists() else []
        args.output.write_text(json.dumps([*runs, run], indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
