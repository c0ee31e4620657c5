"""Benchmark of the persistent index (``syndup index``): add throughput, query latency, explain.

    python benchmarks/index_bench.py --input /tmp/gen_1m.parquet -n 1000000 \\
        [--backend sqlite redis] [--batch 10000] [--queries 200] [--checkpoints 100000]

Each backend runs in its own process (peak RSS is that process's). For each: articles added
in batches of ``--batch`` (throughput for the whole run, wall and CPU seconds per batch,
bytes on disk per article or Redis ``used_memory``), one-article ``query`` latency (warm: the
first 10 are discarded; articles not in the index) at each ``--checkpoints`` size and at the
end, then ``syndup index explain`` of one pair end to end (a fresh CLI process, best of 3).
``baseline``: one batch ``syndup cluster`` run over the same articles, for scale in the same
conditions. The machine's load average is recorded next to the figures; so are CPU
figures (add CPU-s, query CPU ms of the process, explain CPU s of the child), which shared
load disturbs far less than wall time. Results are merged into
``benchmarks/results/index.json`` (keyed by backend and size) and ``index.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RESULTS = HERE / "results"
CLI = [sys.executable, "-c", "from syndup.cli import main; main()"]


def baseline(args: argparse.Namespace) -> dict:
    """The same articles clustered by one batch ``syndup.cluster`` run, for scale."""
    import polars as pl

    import syndup

    df = pl.scan_parquet(args.input).head(args.n).collect()
    df = df.drop("gold", "role", "edits", strict=False)
    load_before = os.getloadavg()
    start = time.perf_counter()
    syndup.cluster(df)
    total = time.perf_counter() - start
    return {
        "backend": "batch cluster (baseline)",
        "articles": df.height,
        "add_seconds": round(total, 1),
        "articles_per_s": round(df.height / total, 1),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "load_avg_before": [round(x, 2) for x in load_before],
        "load_avg_after": [round(x, 2) for x in os.getloadavg()],
    }


def worker(args: argparse.Namespace) -> dict:
    import polars as pl

    import syndup
    from syndup import Index

    args.backend = args.backend[0]
    if args.backend == "baseline":
        return baseline(args)

    def rows(lo: int, size: int) -> pl.DataFrame:
        """Rows of the input, read when needed: the process's peak RSS is the index's,
        not that of a whole corpus held in memory (~2.5 GB at 1M)."""
        frame = pl.scan_parquet(args.input).slice(lo, size).collect()
        return frame.drop("gold", "role", "edits", strict=False)

    total_rows = pl.scan_parquet(args.input).select(pl.len()).collect().item()
    # Probes come after the indexed articles; a file of exactly n rows gives up its last ones.
    n = min(args.n, total_rows - args.queries - 10)
    probes = rows(n, args.queries + 10)
    work = Path(tempfile.mkdtemp(prefix="syndup-index-bench-", dir=args.workdir))
    server = None
    try:
        if args.backend == "redis":
            server, url = _redis_server(work)
            location = url + "?prefix=bench"
        else:
            location = str(work / "news.db")
        index = Index.open(location)
        load_before = os.getloadavg()
        seconds, cpu = [], []
        at_sizes: dict[str, dict] = {}
        for lo in range(0, n, args.batch):
            batch = rows(lo, min(args.batch, n - lo))  # read outside the timing
            t, c = time.perf_counter(), time.process_time()
            index.add(batch)
            seconds.append(time.perf_counter() - t)
            cpu.append(time.process_time() - c)
            done = min(lo + args.batch, n)
            print(
                f"{args.backend} {done:,}: {seconds[-1]:.2f} s, cpu {cpu[-1]:.2f} s, "
                f"load {os.getloadavg()[0]:.1f}",
                file=sys.stderr,
                flush=True,
            )
            if done in args.checkpoints and done < n:
                at_sizes[str(done)] = _queries(index, probes)
        total, total_cpu = sum(seconds), sum(cpu)  # the adds only, not the input reads
        stats = index.stats()
        at_sizes[str(n)] = _queries(index, probes)
        clusters = index.clusters()
        pair = index.get(clusters["cluster_id"][0])["id"].head(2).to_list()
        index.close()
        explain_runs = []
        explain_cpu = []
        for _ in range(3):
            t = time.perf_counter()
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            subprocess.run(
                [*CLI, "index", "explain", location, *pair, "--format", "json"],
                check=True,
                capture_output=True,
                env={**os.environ, "PYTHONPATH": str(ROOT / "src")},
            )
            explain_runs.append(round(time.perf_counter() - t, 2))
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            used = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
            explain_cpu.append(round(used, 2))
        explain_s = min(explain_runs)
        rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        return {
            "backend": args.backend,
            "articles": n,
            "batch": args.batch,
            "add_seconds": round(total, 1),
            "add_cpu_seconds": round(total_cpu, 1),
            "articles_per_s": round(n / total, 1),
            "articles_per_cpu_s": round(n / total_cpu, 1),
            "batch_seconds": [round(x, 2) for x in seconds],
            "batch_cpu_seconds": [round(x, 2) for x in cpu],
            "peak_rss_mb": round(rss_mb),
            "bytes": stats["bytes"],
            "bytes_per_article": stats["bytes_per_article"],
            "bytes_measure": "used_memory" if args.backend == "redis" else "file size",
            "clusters": stats["clusters"],
            "query_ms_p50": at_sizes[str(n)]["p50"],
            "query_ms_p99": at_sizes[str(n)]["p99"],
            "query_cpu_ms_p50": at_sizes[str(n)]["cpu_p50"],
            "queries_at": at_sizes,
            "explain_end_to_end_s": round(explain_s, 2),
            "explain_runs_s": explain_runs,
            "explain_cpu_s": explain_cpu,
            "load_avg_before": [round(x, 2) for x in load_before],
            "load_avg_after": [round(x, 2) for x in os.getloadavg()],
            "versions": {
                "syndup": syndup.__version__,
                "python": platform.python_version(),
                "polars": pl.__version__,
                "sqlite": __import__("sqlite3").sqlite_version,
            },
        }
    finally:
        if server is not None:
            server.terminate()
            server.wait(30)
        shutil.rmtree(work, ignore_errors=True)


def _queries(index: object, probes: object) -> dict:
    """One-article query latency (ms) over ``probes``, warm: the first 10 are discarded."""
    import numpy as np

    latencies, cpu = [], []
    for i in range(probes.height):  # type: ignore[attr-defined]
        t, c = time.perf_counter(), time.process_time()
        index.query(probes.slice(i, 1))  # type: ignore[attr-defined]
        latencies.append((time.perf_counter() - t) * 1000)
        cpu.append((time.process_time() - c) * 1000)
    warm = np.array(latencies[10:])
    warm_cpu = np.array(cpu[10:])  # CPU ms (all threads): robust under shared load
    return {
        "p50": round(float(np.percentile(warm, 50)), 2),
        "p99": round(float(np.percentile(warm, 99)), 2),
        "cpu_p50": round(float(np.percentile(warm_cpu, 50)), 2),
        "cpu_p99": round(float(np.percentile(warm_cpu, 99)), 2),
        "queries": len(warm),
        "load": round(os.getloadavg()[0], 2),
    }


def _redis_server(work: Path) -> tuple[subprocess.Popen, str]:
    import socket

    import redis

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    args = ["--port", str(port), "--bind", "127.0.0.1", "--dir", str(work), "--save", ""]
    proc = subprocess.Popen(
        ["redis-server", *args, "--appendonly", "no"], stdout=subprocess.DEVNULL
    )
    client = redis.Redis(port=port)
    for _ in range(200):
        try:
            client.ping()
            break
        except redis.ConnectionError:
            time.sleep(0.05)
    return proc, f"redis://127.0.0.1:{port}/0"


def write_results(rows: list[dict]) -> None:
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / "index.json"
    old = json.loads(path.read_text()) if path.exists() else {}
    for row in rows:
        old[f"{row['backend']}_{row['articles']}"] = row
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(old, indent=2) + "\n")
    tmp.replace(path)
    lines = [
        "# Index benchmark (`benchmarks/index_bench.py`)",
        "",
        "Generated articles (`benchmarks/generate.py --words 400`), added in batches; one-article",
        "queries warm; explain is a fresh `syndup index explain` process. Load average (1, 5, 15",
        "min) is the machine's, shared with other jobs.",
        "",
        "| backend | articles | add/s (wall) | add/CPU-s | peak RSS MB | bytes/article "
        "| query p50 / p99 ms (at size) | query CPU p50 ms | explain s (CPU s) "
        "| load before -> after |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for key in sorted(old):
        r = old[key]
        if "query_ms_p50" not in r:  # the batch baseline: throughput only
            lines.append(
                f"| {r['backend']} | {r['articles']:,} | {r['articles_per_s']:,} | | "
                f"{r['peak_rss_mb']:,} | | | | | "
                f"{r['load_avg_before'][0]} -> {r['load_avg_after'][0]} |"
            )
            continue
        at = r.get("queries_at") or {str(r["articles"]): {"p50": r["query_ms_p50"]}}
        queries = "; ".join(
            f"{q['p50']} / {q.get('p99', r['query_ms_p99'])} ({int(size):,})"
            for size, q in sorted(at.items(), key=lambda kv: int(kv[0]))
        )
        lines.append(
            f"| {r['backend']} | {r['articles']:,} | {r['articles_per_s']:,} | "
            f"{r.get('articles_per_cpu_s', '')} | "
            f"{r['peak_rss_mb']:,} | {r['bytes_per_article']:,} ({r['bytes_measure']}) | "
            f"{queries} | {r.get('query_cpu_ms_p50', '')} | {r['explain_end_to_end_s']}"
            f"{' (' + str(min(r['explain_cpu_s'])) + ')' if r.get('explain_cpu_s') else ''} | "
            f"{r['load_avg_before'][0]} -> {r['load_avg_after'][0]} |"
        )
    md = RESULTS / "index.md"
    md.with_suffix(".tmp").write_text("\n".join(lines) + "\n")
    md.with_suffix(".tmp").replace(md)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--input", required=True, help="generated corpus (parquet)")
    parser.add_argument("-n", type=int, default=100_000)
    parser.add_argument(
        "--backend",
        nargs="+",
        default=["baseline", "sqlite", "redis"],
        help="baseline = one batch `syndup cluster` run over the same articles",
    )
    parser.add_argument("--batch", type=int, default=10_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument(
        "--checkpoints",
        type=lambda text: {int(x) for x in text.split(",") if x},
        default={100_000},
        help="sizes (comma-separated) at which query latency is also measured",
    )
    parser.add_argument("--workdir", default=None, help="where the index files go (temp)")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        print(json.dumps(worker(args)))
        return 0
    rows = []
    for backend in args.backend:
        cmd = [sys.executable, __file__, "--worker", "--input", args.input, "-n", str(args.n)]
        cmd += ["--backend", backend, "--batch", str(args.batch), "--queries", str(args.queries)]
        cmd += ["--checkpoints", ",".join(map(str, sorted(args.checkpoints)))]
        if args.workdir:
            cmd += ["--workdir", args.workdir]
        out = subprocess.run(cmd, check=True, stdout=subprocess.PIPE, text=True)
        rows.append(json.loads(out.stdout.strip().splitlines()[-1]))
        print(json.dumps(rows[-1]), file=sys.stderr)
        write_results(rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
