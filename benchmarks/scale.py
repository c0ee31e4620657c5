"""Throughput of syndup and three peer dedup tools versus corpus size, with F1 against gold.

    python benchmarks/scale.py [--sizes 10000,100000,1000000] [--quick] [--skip-peers]
        [--peer NAME=N[,N...]] [--out-dir benchmarks/results] [--work-dir benchmarks/work]

Each tool runs on the same generated corpus (``generate.py``, 400-word stories, seed 1) in its
own process under ``/usr/bin/time -v``; predictions are scored here against the corpus gold.
Writes ``scale.json`` and ``scale.md`` to the output folder (atomically).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import subprocess
import sys
import time
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import polars as pl

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks import generate  # noqa: E402
from benchmarks.peers import run_peer as rp  # noqa: E402

from syndup import score_clusters  # noqa: E402

DEFAULT_SIZES = (10_000, 100_000, 1_000_000)
PEERS = ("naive_datasketch", "text_dedup_minhash", "rensa_lsh")
NAIVE_SIZES = (10_000, 20_000)  # ~270 docs/s: larger sizes take hours
CAPS = {"naive_datasketch": 20_000, "text_dedup_minhash": 100_000, "rensa_lsh": 1_000_000}
RATE_GUESS = {"naive_datasketch": 270.0, "text_dedup_minhash": 600.0, "rensa_lsh": 3500.0}
KB_PER_DOC = {"naive_datasketch": 12.0, "text_dedup_minhash": 14.0, "rensa_lsh": 6.5}
TIMEOUT = {"syndup": 3 * 3600, "naive_datasketch": 1800, "text_dedup_minhash": 3600}
TIMEOUT_DEFAULT = 3600
LIBS = ("polars", "numpy", "pyarrow", "datasketch", "rapidfuzz", "scipy", "xxhash")


def log(msg: str) -> None:
    """Progress line on stderr."""
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def write_atomic(path: Path, text: str) -> None:
    """Write text via a temp file in the same folder + os.replace."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


# --------------------------------------------------------------------------- corpora
def ensure_corpus(
    n: int, *, seed: int, words: int | None, work_dir: Path, ocr_rate: float = 0.0
) -> Path:
    """Path of a generated corpus, streamed to parquet by ``generate.py`` unless cached.

    The cache key is n / seed / words / OCR rate / data source (shared data or the sample).
    """
    src = "shared" if generate.shared_data_dir() is not None else "sample"
    key = f"bench_n{n}_s{seed}_w{words or 'nat'}" + (f"_ocr{ocr_rate:g}" if ocr_rate else "")
    path = work_dir / f"{key}_{src}.parquet"
    if path.is_file():
        log(f"reusing {path}")
        return path
    work_dir.mkdir(parents=True, exist_ok=True)
    cmd = [sys.executable, str(HERE / "generate.py"), "-n", str(n), "--seed", str(seed)]
    cmd += ["--words", str(words)] if words else []
    cmd += ["--ocr-rate", str(ocr_rate)] if ocr_rate else []
    log(f"generating {path.name}")
    t0 = time.perf_counter()
    subprocess.run([*cmd, "-o", str(path)], check=True, stdout=sys.stderr)
    log(f"generated {n:,} rows in {time.perf_counter() - t0:.1f} s")
    return path


def ensure_subset(src: Path, n: int) -> Path:
    """The first n rows of a corpus (publication order), streamed to its own parquet."""
    path = src.with_name(f"{src.stem}_head{n}.parquet")
    if not path.is_file() or path.stat().st_mtime < src.stat().st_mtime:
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        pl.scan_parquet(src).head(n).sink_parquet(tmp)
        os.replace(tmp, path)
    return path


def score_file(pred: Path, corpus: Path) -> dict:
    """Pairwise and B-cubed scores of a predictions parquet against the corpus ``gold``."""
    gold = pl.read_parquet(corpus, columns=["id", "gold"])
    s = score_clusters(pl.read_parquet(pred, columns=["id", "cluster_id"]), gold, gold_col="gold")
    d = s.to_dict()
    keys = ("pairwise_precision", "pairwise_recall", "pairwise_f1", "bcubed_f1", "ari")
    return {k: round(d[k], 4) for k in keys}


# --------------------------------------------------------------------------- running
def run_syndup(corpus: Path, pred: Path, timeout: float) -> dict:
    """run_syndup.py in its own process under /usr/bin/time -v (same fields as run_peer)."""
    cmd = [sys.executable, str(HERE / "run_syndup.py"), str(corpus), str(pred)]
    timed = os.access(rp.TIME_BIN, os.X_OK)
    if timed:
        cmd = [rp.TIME_BIN, "-v", *cmd]
    pred.unlink(missing_ok=True)
    t0 = time.perf_counter()
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=ROOT)
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {timeout:g} s", "timed_out": True}
    elapsed = time.perf_counter() - t0
    own, report = rp._split_time_report(proc.stderr) if timed else (proc.stderr, "")
    out = rp._last_json(proc.stdout) or {}
    m_rss, m_wall = rp._RSS.search(report), rp._WALL.search(report)
    out["peak_rss_mb"] = round(int(m_rss.group(1)) / 1024, 1) if m_rss else None
    out["wall_seconds"] = round(rp._parse_clock(m_wall.group(1)) if m_wall else elapsed, 3)
    out["returncode"] = proc.returncode
    if proc.returncode != 0 or "seconds" not in out:
        out["error"] = f"exit code {proc.returncode}\n{own[-rp.STDERR_TAIL :]}"
    return out


def measure(
    tool: str, corpus: Path, n: int, work_dir: Path, timeout: float | None, repeat: int = 1
) -> dict:
    """Run one tool on one corpus ``repeat`` times; a result row with the median run's
    speed and memory (every run's wall seconds listed) and scores (or an error)."""
    pred = work_dir / f"pred_{tool}_{n}.parquet"
    load = os.getloadavg()[0]
    timeout = timeout or TIMEOUT.get(tool, TIMEOUT_DEFAULT)
    row: dict = {"tool": tool, "n": n, "corpus": corpus.name, "load_before": round(load, 2)}
    runs = []
    for k in range(repeat):
        log(f"{tool} on {n:,} articles, run {k + 1}/{repeat} (load {os.getloadavg()[0]:.2f})")
        if tool == "syndup":
            res = run_syndup(corpus, pred, timeout)
        else:
            res = rp.run_peer(tool, corpus, pred, timeout=timeout)
        if res.get("error"):
            log(f"{tool} at {n:,} failed: {res['error'].splitlines()[0]}")
            return {**row, "status": "failed", "reason": res["error"].strip()[-800:]}
        runs.append(res)
        if k < repeat - 1:
            pred.unlink(missing_ok=True)
    res = sorted(runs, key=lambda r: r["wall_seconds"])[(len(runs) - 1) // 2]  # the median
    row["runs_wall_seconds"] = [r["wall_seconds"] for r in runs]
    wall, work = res["wall_seconds"], res["seconds"]
    row |= {
        "status": "ok",
        "version": res.get("version"),
        "wall_seconds": wall,
        "seconds": work,
        "articles_per_s": round(n / wall, 1) if wall else None,
        "work_articles_per_s": round(n / work, 1) if work else None,
        "peak_rss_mb": res.get("peak_rss_mb"),
        "stages": res.get("stages"),
        "params": res.get("params"),
        **score_file(pred, corpus),
    }
    aps, f1 = row["articles_per_s"], row["pairwise_f1"]
    log(f"{tool} at {n:,}: {wall:.1f} s wall, {aps:,} articles/s, pairwise F1 {f1}")
    pred.unlink(missing_ok=True)
    return row


# --------------------------------------------------------------------------- planning
def mem_available_mb() -> float:
    """MemAvailable from /proc/meminfo, in MB."""
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemAvailable:"):
            return int(line.split()[1]) / 1024
    return float("inf")


def plan_peer(
    peer: str, sizes: list[int], override: list[int] | None, why: str = "not requested (--peer)"
) -> dict[int, str | None]:
    """size -> None (run it) or why it is skipped ("cap": over the size cap), for the syndup
    sizes and the peer's extra sizes (run on a subset of a larger corpus)."""
    if override is not None:
        plan: dict[int, str | None] = dict.fromkeys(override)
        return plan | {n: why for n in sizes if n not in plan}
    plan = dict.fromkeys(NAIVE_SIZES if peer == "naive_datasketch" else [])
    for n in sizes:
        gb = n * KB_PER_DOC[peer] / 1e6
        if n in plan:
            continue
        if n > CAPS[peer]:
            plan[n] = "cap"
        elif peer == "rensa_lsh" and gb * 1024 > 0.8 * mem_available_mb():
            avail = mem_available_mb() / 1024
            plan[n] = f"not run: ~{gb:.1f} GB RAM estimated > 80% of {avail:.1f} GB available"
        else:
            plan[n] = None
    return plan


def skip_reason(peer: str, n: int, why: str, rows: list[dict]) -> str:
    """The reason text; for "cap", the time and memory estimated from this run's speed."""
    if why != "cap":
        return why
    rates = [r["articles_per_s"] for r in rows if r["tool"] == peer and r["status"] == "ok"]
    rate = max(rates) if rates else RATE_GUESS[peer]
    basis = "as measured in this run" if rates else "earlier runs"
    return (
        f"not run: ~{n / rate / 60:,.0f} minutes estimated ({rate:,.0f} articles/s {basis}),"
        f" ~{n * KB_PER_DOC[peer] / 1e6:,.0f} GB RAM; size cap {CAPS[peer]:,}"
    )


def add_ratios(rows: list[dict]) -> list[dict]:
    """syndup articles/s ÷ the peer's, at the same size, else vs syndup on the corpus the
    peer's subset was cut from (the smallest syndup size above it)."""
    syn = {r["n"]: r for r in rows if r["tool"] == "syndup" and r["status"] == "ok"}
    out = []
    for r in rows:
        if r["tool"] == "syndup" or r["status"] != "ok":
            continue
        base = min((m for m in syn if m >= r["n"]), default=None)
        if base is None or not r["articles_per_s"] or not r["work_articles_per_s"]:
            continue
        s = syn[base]
        r["ratio"] = round(s["articles_per_s"] / r["articles_per_s"], 2)
        r["work_ratio"] = round((s["work_articles_per_s"] or 0) / r["work_articles_per_s"], 2)
        r["ratio_vs_syndup_n"] = base
        out.append({"peer": r["tool"], "peer_n": r["n"], "syndup_n": base, "ratio": r["ratio"]})
    return out


def issue_check(rows: list[dict]) -> dict:
    """The target: syndup at 100k >= 30x faster per article than naive datasketch at 20k."""
    syn = [r for r in rows if r["tool"] == "syndup" and r["n"] == 100_000 and r["status"] == "ok"]
    nai = [r for r in rows if r["tool"] == "naive_datasketch" and r["n"] == 20_000]
    nai = [r for r in nai if r["status"] == "ok"]
    if not (syn and nai):
        return {"status": "not measured", "reason": "needs syndup@100k and naive@20k"}
    ratio = syn[0]["articles_per_s"] / nai[0]["articles_per_s"]
    work = syn[0]["work_articles_per_s"] / nai[0]["work_articles_per_s"]
    status = "pass" if ratio >= 30 else "fail"
    return {"ratio": round(ratio, 1), "work_ratio": round(work, 1), "target": 30, "status": status}


# --------------------------------------------------------------------------- machine
def machine() -> dict:
    """CPU model, cores, RAM, load and library versions."""
    lines = Path("/proc/cpuinfo").read_text().splitlines()
    models = [ln.split(":", 1)[1].strip() for ln in lines if ln.startswith("model name")]
    cpu = models[0] if models else platform.processor() or "unknown"
    mem = {
        ln.split(":")[0]: int(ln.split()[1]) // 1024
        for ln in Path("/proc/meminfo").read_text().splitlines()
        if ln.startswith(("MemTotal", "MemAvailable"))
    }
    libs = {}
    for lib in ("syndup", *LIBS):
        try:
            libs[lib] = version(lib)
        except PackageNotFoundError:
            libs[lib] = None
    return {
        "cpu_model": cpu,
        "cores": os.cpu_count(),
        "ram_mb": mem.get("MemTotal"),
        "ram_available_mb": mem.get("MemAvailable"),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "versions": libs,
        "git": git_info(),
    }


def git_info() -> dict:
    """HEAD commit and the files under src/ that differ from it (others may be editing)."""

    def run(*a: str) -> str:
        return subprocess.run(["git", *a], cwd=ROOT, capture_output=True, text=True).stdout

    status = run("status", "--porcelain", "src").splitlines()  # "XY path": path from col 3
    dirty = [ln[3:] for ln in status if len(ln) > 3]
    return {"commit": run("rev-parse", "HEAD").strip() or None, "src_modified": dirty}


def uptime() -> str:
    p = subprocess.run(["uptime"], capture_output=True, text=True)
    return p.stdout.strip() or " ".join(f"{x:.2f}" for x in os.getloadavg())


# --------------------------------------------------------------------------- output
def _f(x: float | None, fmt: str = ",.1f") -> str:
    return "—" if x is None else format(x, fmt)


def _runs(row: dict) -> str:
    walls = row.get("runs_wall_seconds") or []
    return f"; runs {' / '.join(f'{w:.1f}' for w in walls)} s" if len(walls) > 1 else ""


def markdown(res: dict) -> str:
    """scale.md: the machine, one table row per (tool, size), syndup's stages."""
    m = res["machine"]
    out = [
        "# Throughput and F1 versus corpus size",
        "",
        f"{res['date']} · {m['cpu_model']}, {m['cores']} cores, {m['ram_mb'] / 1024:.0f} GB RAM"
        f" · load at start: `{res['load']['start']}`, at end: `{res['load']['end']}`",
        f"Corpus: `generate.py --seed {res['seed']} --words {res['words']}`"
        f" ({res['data_source']}). syndup {m['versions']['syndup']}"
        f" @ {(m['git']['commit'] or '?')[:10]} ({len(m['git']['src_modified'])} modified"
        " file(s) under src/ at the end of the run"
        + ("; HEAD moved during the run)." if res["git_at_start"] != m["git"] else ")."),
        "",
        "articles/s = articles ÷ wall seconds of the tool's process (start-up, reading and"
        " writing included); where a tool ran several times (note: `runs`), the median run."
        " Speed-up = syndup's articles/s ÷ the tool's, at the same size"
        " (or syndup on the corpus the subset was cut from, shown as `@n`). See README.md.",
        "",
        "| tool | version | articles | wall s | articles/s | peak RSS MB | pairwise F1"
        " (P / R) | B³ F1 | syndup speed-up | note |",
        "| --- | --- | ---: | ---: | ---: | ---: | --- | ---: | ---: | --- |",
    ]
    for r in sorted(res["rows"], key=lambda r: (r["n"], r["tool"] != "syndup", r["tool"])):
        if r["status"] != "ok":
            note = r["reason"].splitlines()[0]
            out.append(f"| {r['tool']} | | {r['n']:,} | | | | | | | {r['status']}: {note} |")
            continue
        f1 = f"{r['pairwise_f1']:.3f} ({r['pairwise_precision']:.3f} / {r['pairwise_recall']:.3f})"
        ratio = ""
        if "ratio" in r:
            at = "" if r["ratio_vs_syndup_n"] == r["n"] else f" @{r['ratio_vs_syndup_n']:,}"
            ratio = f"{r['ratio']:,.1f}x{at}"
        out.append(
            f"| {r['tool']} | {r['version']} | {r['n']:,} | {_f(r['wall_seconds'])} |"
            f" {_f(r['articles_per_s'], ',.0f')} | {_f(r['peak_rss_mb'], ',.0f')} | {f1} |"
            f" {r['bcubed_f1']:.3f} | {ratio} | load {r['load_before']:.1f}{_runs(r)} |"
        )
    ic = res["issue_check"]
    if "ratio" in ic:
        got = f"{ic['ratio']}x (work seconds only: {ic['work_ratio']}x): {ic['status']}"
    else:
        got = f"{ic['status']} ({ic['reason']})"
    out += ["", f"**Target** (syndup at 100k >= 30x naive datasketch at 20k, per article): {got}."]
    syn = [r for r in res["rows"] if r["tool"] == "syndup" and r["status"] == "ok"]
    if syn:
        names = list(syn[0]["stages"])
        out += ["", "syndup stages (seconds):", "", "| articles | " + " | ".join(names) + " |"]
        out.append("| ---: |" + " ---: |" * len(names))
        for r in syn:
            cells = " | ".join(_f(r["stages"].get(k), ",.2f") for k in names)
            out.append(f"| {r['n']:,} | {cells} |")
    return "\n".join(out) + "\n"


# --------------------------------------------------------------------------- main
def parse_peer(spec: str) -> tuple[str, list[int]]:
    name, _, sizes = spec.partition("=")
    if name not in PEERS or not sizes:
        raise argparse.ArgumentTypeError(f"expected NAME=N[,N], NAME in {', '.join(PEERS)}")
    return name, [int(x) for x in sizes.split(",")]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default=None, help="comma-separated corpus sizes")
    ap.add_argument("--quick", action="store_true", help="CI smoke: 2k, naive on 1k")
    ap.add_argument("--skip-peers", action="store_true")
    ap.add_argument(
        "--peer",
        action="append",
        type=parse_peer,
        default=[],
        help="run only the given peers, at these sizes (e.g. rensa_lsh=10000); repeatable",
    )
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--words", type=int, default=400)
    ap.add_argument("--timeout", type=float, default=None, help="per-run timeout (s)")
    ap.add_argument(
        "--repeat",
        type=int,
        default=3,
        help="runs per tool and size up to --repeat-max-n; the median is reported",
    )
    ap.add_argument("--repeat-max-n", type=int, default=100_000)
    ap.add_argument("--out-dir", type=Path, default=HERE / "results")
    ap.add_argument("--work-dir", type=Path, default=HERE / "work")
    a = ap.parse_args(argv)
    sizes = [int(s) for s in a.sizes.split(",")] if a.sizes else None
    sizes = sorted(sizes or ([2000] if a.quick else list(DEFAULT_SIZES)))
    overrides: dict[str, list[int]] = dict(a.peer)
    if a.quick and not overrides:
        overrides = {"naive_datasketch": [1000]}
    t_start, load_start, git_start = time.perf_counter(), uptime(), git_info()
    plans = {}
    for p in PEERS:
        if a.skip_peers:
            plans[p] = dict.fromkeys(sizes, "not run (--skip-peers)")
        elif overrides:
            why = "not run (--quick)" if a.quick else "not requested (--peer)"
            plans[p] = plan_peer(p, sizes, overrides.get(p, []), why)
        else:
            plans[p] = plan_peer(p, sizes, None)
    corpora = {n: ensure_corpus(n, seed=a.seed, words=a.words, work_dir=a.work_dir) for n in sizes}
    rows: list[dict] = []
    warmed = False
    for n in sorted({n for plan in plans.values() for n in plan} | set(sizes)):
        if n in corpora:
            corpus: Path | None = corpora[n]
        else:
            src = min((m for m in sizes if m >= n), default=None)
            corpus = ensure_subset(corpora[src], n) if src is not None else None
        reps = a.repeat if n <= a.repeat_max_n else 1
        if n in sizes:
            if not warmed:  # compiled kernels are cached on disk by the first run
                log("syndup warm-up on 1,000 articles (fills the compiled-kernel cache)")
                run_syndup(ensure_subset(corpus, 1000), a.work_dir / "warmup.parquet", 600)
                (a.work_dir / "warmup.parquet").unlink(missing_ok=True)
                warmed = True
            rows.append(measure("syndup", corpus, n, a.work_dir, a.timeout, reps))
        for p in PEERS:
            if n not in plans[p]:
                continue
            why = plans[p][n]
            if why is None and corpus is None:
                why = f"not run: no corpus of >= {n:,} rows in this run"
            if why is None:
                rows.append(measure(p, corpus, n, a.work_dir, a.timeout, reps))
            else:
                why = skip_reason(p, n, why, rows)
                rows.append({"tool": p, "n": n, "status": "skipped", "reason": why})
    ratios = add_ratios(rows)
    peers = {r["tool"]: r["version"] for r in rows if r["tool"] != "syndup" and r.get("version")}
    res = {
        "date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "machine": machine(),
        "load": {"start": load_start, "end": uptime()},
        "git_at_start": git_start,
        "seed": a.seed,
        "words": a.words,
        "sizes": sizes,
        "quick": a.quick,
        "data_source": str(generate.shared_data_dir() or "benchmarks/sample"),
        "peer_versions": peers,
        "peer_settings": {"threshold": 0.5, "num_perm": 128, "ngram": 5},
        "rows": rows,
        "ratios": ratios,
        "issue_check": issue_check(rows),
        "total_seconds": round(time.perf_counter() - t_start, 1),
    }
    write_atomic(a.out_dir / "scale.json", json.dumps(res, indent=2) + "\n")
    write_atomic(a.out_dir / "scale.md", markdown(res))
    log(f"wrote {a.out_dir / 'scale.json'} and scale.md in {res['total_seconds']:.0f} s")
    return 0 if all(r["status"] != "failed" for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
