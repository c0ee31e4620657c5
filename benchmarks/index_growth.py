"""Where an index add's time goes as the index grows: per-batch wall/CPU and parts.

    python benchmarks/index_growth.py --input classic-1m.parquet -n 1000000 \\
        --db /tmp/growth.db [--batch 10000] [--window 100000] [--keep]

Adds ``-n`` articles of ``--input`` to a new SQLite index in batches (the batch read
outside the timing), one process. Each batch's wall and CPU seconds, peak RSS and file
size are recorded, and the inclusive seconds of the step's parts: the stage functions and
store calls are wrapped by timers (``time.perf_counter`` around the call; arguments and
results untouched, so the index is the one ``Index.add`` writes; nested parts count in each
of their callers). Lines go to ``<db>.log.jsonl``; a summary per ``--window`` articles
(mean seconds per batch) to ``benchmarks/results/index_growth.md`` (and ``.json``). The
index is deleted at the end unless ``--keep``. Trade-off: the timers cost ~1 us a call,
a few thousand calls a batch.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import json
import os
import resource
import time
from collections import defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
SHOWN = (
    *("prepare", "plan_add", "lookup", "step_candidates", "anc.read_prepared", "candidates"),
    *("pair_features", "recluster", "append_run", "merge_sorted", "_write", "sq.put_edges"),
    *("sq.put_segment", "sq.commit"),
)


def _timers() -> defaultdict[str, float]:
    import syndup.index.anchors as anc
    import syndup.index.bands as bands
    import syndup.index.core as core
    import syndup.index.sqlite as sq
    import syndup.index.update as upd
    import syndup.pipeline as pipe
    import syndup.prepare as prep

    spent: defaultdict[str, float] = defaultdict(float)

    def wrap(owner: object, name: str, label: str | None = None) -> None:
        fn = getattr(owner, name)

        @functools.wraps(fn)
        def timed(*args: object, **kwargs: object) -> object:
            start = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                spent[label or name] += time.perf_counter() - start

        setattr(owner, name, timed)

    wrap(prep, "prepare")
    for name in ("plan_add", "step_candidates", "pair_features", "apply_rules", "recluster"):
        wrap(upd, name)
    wrap(core, "append_run")
    wrap(core.Index, "_write")
    wrap(bands.BandRuns, "lookup")
    wrap(bands, "merge_sorted")
    wrap(anc, "read_prepared", "anc.read_prepared")
    wrap(pipe.Detector, "candidates")
    for name in ("put_articles", "put_edges", "put_members", "put_segment", "articles", "edges"):
        wrap(sq.SQLiteStore, name, "sq." + name)
    writing = sq.SQLiteStore.writing

    @contextlib.contextmanager
    def committing(self: object) -> object:
        with writing(self):  # type: ignore[arg-type]
            yield
            start = time.perf_counter()  # the body ran: what follows is the COMMIT
        spent["sq.commit"] += time.perf_counter() - start

    sq.SQLiteStore.writing = committing  # type: ignore[method-assign]
    return spent


def run(args: argparse.Namespace) -> list[dict]:
    import polars as pl

    from syndup import Index

    spent = _timers()
    db = Path(args.db)
    if db.exists():
        raise SystemExit(f"{db} exists: give a new path")
    rows = []
    log = Path(str(db) + ".log.jsonl").open("w")  # noqa: SIM115 (closed in ``finally``)
    index = Index.open(db)
    try:
        for lo in range(0, args.n, args.batch):
            frame = pl.scan_parquet(args.input).slice(lo, min(args.batch, args.n - lo)).collect()
            frame = frame.drop("gold", "role", "edits", strict=False)
            spent.clear()
            wall, cpu = time.perf_counter(), time.process_time()
            index.add(frame)
            row = {
                "done": lo + frame.height,
                "wall": round(time.perf_counter() - wall, 3),
                "cpu": round(time.process_time() - cpu, 3),
                "load": round(os.getloadavg()[0], 2),
                "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024,
                "bytes": db.stat().st_size,
                **{k: round(v, 3) for k, v in sorted(spent.items())},
            }
            rows.append(row)
            log.write(json.dumps(row) + "\n")
            log.flush()
            print(row["done"], row["wall"], row["cpu"], row["load"], flush=True)
    finally:
        index.close()
        log.close()
        if not args.keep:
            for suffix in ("", "-wal", "-shm"):
                Path(str(db) + suffix).unlink(missing_ok=True)
    return rows


def summary(rows: list[dict], window: int) -> dict:
    wall, cpu = sum(r["wall"] for r in rows), sum(r["cpu"] for r in rows)
    n = rows[-1]["done"]
    windows = []
    for top in range(window, n + window, window):
        part = [r for r in rows if top - window < r["done"] <= top]
        if part:
            keys = ("wall", "cpu", *SHOWN)
            mean = {k: sum(r.get(k, 0.0) for r in part) / len(part) for k in keys}
            windows.append({"upto": part[-1]["done"], **{k: round(v, 3) for k, v in mean.items()}})
    return {
        "articles": n,
        "articles_per_s": round(n / wall),
        "articles_per_cpu_s": round(n / cpu),
        "bytes_per_article": round(rows[-1]["bytes"] / n),
        "peak_rss_mb": max(r["rss_mb"] for r in rows),
        "load_min_max": [min(r["load"] for r in rows), max(r["load"] for r in rows)],
        "windows": windows,
    }


def write(result: dict, path: Path) -> None:
    path.with_suffix(".json").write_text(json.dumps(result, indent=2) + "\n")
    head = ["upto", "wall", "cpu", *SHOWN]
    lines = [
        "# Index add by index size (`benchmarks/index_growth.py`)",
        "",
        f"{result['articles']:,} articles: {result['articles_per_s']:,}/s wall, "
        f"{result['articles_per_cpu_s']:,} per CPU-s, {result['bytes_per_article']:,} bytes "
        f"per article, peak RSS {result['peak_rss_mb']:,} MB, load "
        f"{result['load_min_max'][0]}-{result['load_min_max'][1]}. Mean seconds per batch "
        "(parts inclusive: nested parts count in their callers too).",
        "",
        "| " + " | ".join(head) + " |",
        "|" + "---|" * len(head),
    ]
    for w in result["windows"]:
        lines.append("| " + " | ".join(f"{w[k]:,}" for k in head) + " |")
    path.with_suffix(".md").write_text("\n".join(lines) + "\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--input", required=True, help="generated corpus (parquet)")
    parser.add_argument("-n", type=int, default=1_000_000)
    parser.add_argument("--db", required=True, help="the index to create (a new path)")
    parser.add_argument("--batch", type=int, default=10_000)
    parser.add_argument("--window", type=int, default=100_000)
    parser.add_argument("--keep", action="store_true", help="keep the index afterwards")
    parser.add_argument("--out", default=str(HERE / "results" / "index_growth.md"))
    args = parser.parse_args(argv)
    write(summary(run(args), args.window), Path(args.out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
