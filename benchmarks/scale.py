"""Throughput and memory of syndup and three peer dedup tools versus corpus size, per corpus
style, with F1 against gold.

    python benchmarks/scale.py [--styles classic,templated] [--sizes 10000,100000,1000000]
        [--quick] [--skip-peers] [--peer NAME=N[,N...]] [--out-dir benchmarks/results]
        [--work-dir benchmarks/work]

Two corpus styles, each generated once per size and shared by every tool: ``classic``
(``generate.py``, 400-word stories, seed 1) and ``templated`` (``generate_pages.py``, scraped
outlet pages around briefs, normal and very long stories, seed 1). Each tool runs in its own
process under ``/usr/bin/time -v`` (wall, user+sys CPU, peak RSS); syndup also reports every
stage's seconds, CPU and peak RSS (``run_syndup.py``). Predictions are scored here against
the corpus gold. Writes ``scale.json`` and ``scale.md`` (``scale_report.py``) atomically.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
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
from benchmarks import scale_report as sr  # noqa: E402
from benchmarks.peers import run_peer as rp  # noqa: E402

from syndup import score_clusters  # noqa: E402

DEFAULT_SIZES = (10_000, 100_000, 1_000_000)
STYLES = ("classic", "templated")
PEERS = ("naive_datasketch", "text_dedup_minhash", "rensa_lsh")
NAIVE_SIZES = (20_000,)  # ~270 docs/s: larger sizes take hours
CAPS = {"naive_datasketch": 20_000, "text_dedup_minhash": 100_000, "rensa_lsh": 100_000}
PAGES_SOURCES = ("generate_pages.py", "page_templates.py", "pages_text.py")
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
    n: int,
    *,
    seed: int,
    words: int | None,
    work_dir: Path,
    ocr_rate: float = 0.0,
    style: str = "classic",
) -> Path:
    """Path of a generated corpus, streamed to parquet by its generator unless cached.

    classic: ``generate.py`` keyed by n / seed / words / OCR rate / data source (shared data
    or the sample); templated: ``generate_pages.py`` keyed by n / seed / data source and a
    hash of the generator's files (a changed generator regenerates).
    """
    src = "shared" if generate.shared_data_dir() is not None else "sample"
    if style == "templated":
        h = hashlib.sha1(b"".join((HERE / f).read_bytes() for f in PAGES_SOURCES))
        path = work_dir / f"pages_n{n}_s{seed}_{src}_{h.hexdigest()[:8]}.parquet"
        cmd = [sys.executable, str(HERE / "generate_pages.py"), "-n", str(n), "--seed", str(seed)]
    else:
        key = f"bench_n{n}_s{seed}_w{words or 'nat'}" + (f"_ocr{ocr_rate:g}" if ocr_rate else "")
        path = work_dir / f"{key}_{src}.parquet"
        cmd = [sys.executable, str(HERE / "generate.py"), "-n", str(n), "--seed", str(seed)]
        cmd += ["--words", str(words)] if words else []
        cmd += ["--ocr-rate", str(ocr_rate)] if ocr_rate else []
    if path.is_file():
        log(f"reusing {path}")
        return path
    work_dir.mkdir(parents=True, exist_ok=True)
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
    # Resetting VmHWM per stage (run_syndup.py) also resets the kernel's record that
    # time -v reads, so the run's peak is the largest stage peak when that is higher.
    stage_peak = max((out.get("stage_rss_mb") or {}).values(), default=None)
    if stage_peak is not None and (out["peak_rss_mb"] or 0) < stage_peak:
        out["peak_rss_mb"] = stage_peak
    out["in_process_cpu_seconds"] = out.pop("cpu_seconds", None)
    out["cpu_seconds"] = rp.cpu_seconds(report)
    out["returncode"] = proc.returncode
    if proc.returncode != 0 or "seconds" not in out:
        out["error"] = f"exit code {proc.returncode}\n{own[-rp.STDERR_TAIL :]}"
    return out


def measure(
    tool: str,
    corpus: Path,
    n: int,
    work_dir: Path,
    timeout: float | None,
    repeat: int = 1,
    style: str = "classic",
) -> dict:
    """Run one tool on one corpus ``repeat`` times; a result row with the median run's
    speed, CPU and memory (every run's wall seconds listed), the load before and after each
    run, and scores (or an error)."""
    pred = work_dir / f"pred_{tool}_{style}_{n}.parquet"
    timeout = timeout or TIMEOUT.get(tool, TIMEOUT_DEFAULT)
    row: dict = {"tool": tool, "style": style, "n": n, "corpus": corpus.name}
    row["load_before"] = round(os.getloadavg()[0], 2)
    runs, loads = [], []
    for k in range(repeat):
        before = os.getloadavg()[0]
        log(f"{tool} on {n:,} {style} articles, run {k + 1}/{repeat} (load {before:.2f})")
        if tool == "syndup":
            res = run_syndup(corpus, pred, timeout)
        else:
            res = rp.run_peer(tool, corpus, pred, timeout=timeout)
        loads.append([round(before, 2), round(os.getloadavg()[0], 2)])
        if res.get("error"):
            log(f"{tool} at {n:,} failed: {res['error'].splitlines()[0]}")
            return {**row, "status": "failed", "reason": res["error"].strip()[-800:]}
        runs.append(res)
        if k < repeat - 1:
            pred.unlink(missing_ok=True)
    res = sorted(runs, key=lambda r: r["wall_seconds"])[(len(runs) - 1) // 2]  # the median
    row["runs_wall_seconds"] = [r["wall_seconds"] for r in runs]
    row["runs_cpu_seconds"] = [r.get("cpu_seconds") for r in runs]
    row["runs_load"] = loads  # 1-minute load average [before, after] each run
    row["load_after"] = loads[-1][1]
    wall, work, cpu = res["wall_seconds"], res["seconds"], res.get("cpu_seconds")
    row |= {
        "status": "ok",
        "version": res.get("version"),
        "wall_seconds": wall,
        "seconds": work,
        "cpu_seconds": cpu,
        "articles_per_s": round(n / wall, 1) if wall else None,
        "work_articles_per_s": round(n / work, 1) if work else None,
        "cpu_ms_per_article": round(1000 * cpu / n, 4) if cpu and n else None,
        "peak_rss_mb": res.get("peak_rss_mb"),
        "stages": res.get("stages"),
        "stage_rss_mb": res.get("stage_rss_mb"),
        "stage_cpu": res.get("stage_cpu"),
        "params": res.get("params"),
        **score_file(pred, corpus),
    }
    aps, f1 = row["articles_per_s"], row["pairwise_f1"]
    log(f"{tool} at {n:,} ({style}): {wall:.1f} s wall, {cpu} s CPU, {aps:,} articles/s, F1 {f1}")
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


# --------------------------------------------------------------------------- main
def parse_peer(spec: str) -> tuple[str, list[int]]:
    name, _, sizes = spec.partition("=")
    if name not in PEERS or not sizes:
        raise argparse.ArgumentTypeError(f"expected NAME=N[,N], NAME in {', '.join(PEERS)}")
    return name, [int(x) for x in sizes.split(",")]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default=None, help="comma-separated corpus sizes")
    ap.add_argument(
        "--styles", default=",".join(STYLES), help=f"corpus styles, from {', '.join(STYLES)}"
    )
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
    ap.add_argument("--words", type=int, default=400, help="classic style: words per story")
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
    styles = [x for x in a.styles.split(",") if x]
    if not styles or any(x not in STYLES for x in styles):
        ap.error(f"--styles: expected names from {', '.join(STYLES)}, got {a.styles!r}")
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
    rows: list[dict] = []
    warmed = False
    for style in styles:
        corpora = {
            n: ensure_corpus(n, seed=a.seed, words=a.words, work_dir=a.work_dir, style=style)
            for n in sizes
        }
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
                rows.append(measure("syndup", corpus, n, a.work_dir, a.timeout, reps, style))
            for p in PEERS:
                if n not in plans[p]:
                    continue
                why = plans[p][n]
                if why is None and corpus is None:
                    why = f"not run: no corpus of >= {n:,} rows in this run"
                if why is None:
                    rows.append(measure(p, corpus, n, a.work_dir, a.timeout, reps, style))
                else:
                    why = skip_reason(p, n, why, rows)
                    rows.append(
                        {"tool": p, "style": style, "n": n, "status": "skipped", "reason": why}
                    )
    ratios = sr.add_ratios(rows)
    peers = {r["tool"]: r["version"] for r in rows if r["tool"] != "syndup" and r.get("version")}
    res = {
        "date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "machine": machine(),
        "load": {"start": load_start, "end": uptime()},
        "git_at_start": git_start,
        "seed": a.seed,
        "words": a.words,
        "styles": styles,
        "sizes": sizes,
        "quick": a.quick,
        "data_source": str(generate.shared_data_dir() or "benchmarks/sample"),
        "peer_versions": peers,
        "peer_settings": {"threshold": 0.5, "num_perm": 128, "ngram": 5},
        "rows": rows,
        "ratios": ratios,
        "targets": sr.targets(rows),
        "issue_check": sr.issue_check(rows),
        "total_seconds": round(time.perf_counter() - t_start, 1),
    }
    write_atomic(a.out_dir / "scale.json", json.dumps(res, indent=2) + "\n")
    write_atomic(a.out_dir / "scale.md", sr.markdown(res))
    log(f"wrote {a.out_dir / 'scale.json'} and scale.md in {res['total_seconds']:.0f} s")
    return 0 if all(r["status"] != "failed" for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
