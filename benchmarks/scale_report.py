"""Ratios, issue-7 targets and the markdown table of a scale run (``scale.py``).

Pure functions over the result rows (dicts with ``tool``, ``style``, ``n``, ``status``,
``articles_per_s``, ``cpu_seconds``, ...), so they can be re-run on a saved ``scale.json``.
"""

from __future__ import annotations

#: issue 7's targets: (name, what, peer, peer n, syndup n, minimum speed-up)
SPEEDUPS = (
    ("rensa_100k", ">= 2x rensa per article at 100k", "rensa_lsh", 100_000, 100_000, 2.0),
    ("naive_20k", ">= 25x naive datasketch (20k)", "naive_datasketch", 20_000, 100_000, 25.0),
    ("text_dedup_100k", ">= 10x text-dedup at 100k", "text_dedup_minhash", 100_000, 100_000, 10.0),
)
WALL_1M_S, RSS_1M_MB = 150.0, 4096.0  # 1M articles: <= 150 s wall, <= 4 GB (GiB) peak RSS


def _style(r: dict) -> str:
    return r.get("style", "classic")


def _ok(rows: list[dict], tool: str, n: int, style: str) -> dict | None:
    return next(
        (
            r
            for r in rows
            if r["tool"] == tool and r["n"] == n and _style(r) == style and r["status"] == "ok"
        ),
        None,
    )


def _per_article_cpu(r: dict) -> float | None:
    return r["cpu_seconds"] / r["n"] if r.get("cpu_seconds") and r["n"] else None


def add_ratios(rows: list[dict]) -> list[dict]:
    """syndup ÷ peer per article, same style, at the same size, else vs syndup on the
    corpus the peer's subset was cut from (the smallest syndup size above it): ``ratio`` by
    wall, ``cpu_ratio`` by user+sys CPU, ``work_ratio`` by the tools' own seconds."""
    out = []
    for r in rows:
        if r["tool"] == "syndup" or r["status"] != "ok" or not r.get("articles_per_s"):
            continue
        syn = {
            s["n"]: s
            for s in rows
            if s["tool"] == "syndup" and s["status"] == "ok" and _style(s) == _style(r)
        }
        base = min((m for m in syn if m >= r["n"]), default=None)
        if base is None:
            continue
        s = syn[base]
        r["ratio"] = round(s["articles_per_s"] / r["articles_per_s"], 2)
        if r.get("work_articles_per_s"):
            r["work_ratio"] = round((s["work_articles_per_s"] or 0) / r["work_articles_per_s"], 2)
        a, b = _per_article_cpu(r), _per_article_cpu(s)
        r["cpu_ratio"] = round(a / b, 2) if a and b else None
        r["ratio_vs_syndup_n"] = base
        out.append(
            {
                "style": _style(r),
                "peer": r["tool"],
                "peer_n": r["n"],
                "syndup_n": base,
                "ratio": r["ratio"],
                "cpu_ratio": r["cpu_ratio"],
            }
        )
    return out


def targets(rows: list[dict]) -> list[dict]:
    """Every issue-7 target per corpus style: measured value, target and pass / fail /
    not measured (a size or peer that was not run in this run is never guessed)."""
    out = []
    for style in sorted({_style(r) for r in rows}, key=lambda x: (x != "classic", x)):
        big = _ok(rows, "syndup", 1_000_000, style)
        for name, what, key, limit in (
            ("1m_wall", "1M articles <= 150 s wall", "wall_seconds", WALL_1M_S),
            ("1m_rss", "1M articles <= 4 GB peak RSS", "peak_rss_mb", RSS_1M_MB),
        ):
            t = {"style": style, "name": name, "what": what, "target": limit}
            if big is None or big.get(key) is None:
                out.append(t | {"status": "not measured", "reason": "needs syndup at 1M"})
            else:
                got = big[key]
                extra = {"cpu_seconds": big.get("cpu_seconds"), "load": big.get("runs_load")}
                status = "pass" if got <= limit else "fail"
                out.append(t | {"measured": got, "status": status, **extra})
        for name, what, peer, pn, sn, limit in SPEEDUPS:
            t = {"style": style, "name": name, "what": what, "target": limit}
            s, p = _ok(rows, "syndup", sn, style), _ok(rows, peer, pn, style)
            if s is None or p is None or not p.get("articles_per_s"):
                why = f"needs syndup at {sn:,} and {peer} at {pn:,} ({style})"
                out.append(t | {"status": "not measured", "reason": why})
                continue
            ratio = s["articles_per_s"] / p["articles_per_s"]
            a, b = _per_article_cpu(p), _per_article_cpu(s)
            cpu = round(a / b, 2) if a and b else None
            status = "pass" if ratio >= limit else "fail"
            out.append(t | {"measured": round(ratio, 2), "cpu_measured": cpu, "status": status})
    return out


def issue_check(rows: list[dict]) -> dict:
    """The earlier single figure, kept for readers of old results: syndup at 100k ÷ naive
    datasketch at 20k per article (classic style), now with issue 7's target of 25x."""
    t = next((t for t in targets(rows) if t["name"] == "naive_20k"), None)
    if t is None or t["status"] == "not measured":
        return {"status": "not measured", "reason": "needs syndup@100k and naive@20k"}
    return {"ratio": t["measured"], "cpu_ratio": t["cpu_measured"], "target": 25, **t}


# --------------------------------------------------------------------------- markdown
def _f(x: float | None, fmt: str = ",.1f") -> str:
    return "—" if x is None else format(x, fmt)


def _runs(row: dict) -> str:
    walls = row.get("runs_wall_seconds") or []
    return f"; runs {' / '.join(f'{w:.1f}' for w in walls)} s" if len(walls) > 1 else ""


def _load(row: dict) -> str:
    loads = row.get("runs_load") or []
    if not loads:
        return f"load {row.get('load_before', 0):.1f}"
    return "load " + ", ".join(f"{a:.1f}→{b:.1f}" for a, b in loads)


def _row(r: dict) -> str:
    if r["status"] != "ok":
        note = r["reason"].splitlines()[0]
        return f"| {r['tool']} | | {r['n']:,} | | | | | | | | {r['status']}: {note} |"
    f1 = f"{r['pairwise_f1']:.3f} ({r['pairwise_precision']:.3f} / {r['pairwise_recall']:.3f})"
    ratio = ""
    if "ratio" in r:
        at = "" if r["ratio_vs_syndup_n"] == r["n"] else f" @{r['ratio_vs_syndup_n']:,}"
        ratio = f"{r['ratio']:,.1f}x / {_f(r.get('cpu_ratio'), ',.1f')}x{at}"
    return (
        f"| {r['tool']} | {r['version']} | {r['n']:,} | {_f(r['wall_seconds'])} |"
        f" {_f(r.get('cpu_seconds'))} | {_f(r['articles_per_s'], ',.0f')} |"
        f" {_f(r['peak_rss_mb'], ',.0f')} | {f1} | {r['bcubed_f1']:.3f} | {ratio} |"
        f" {_load(r)}{_runs(r)} |"
    )


def _stages(rows: list[dict]) -> list[str]:
    syn = [r for r in rows if r["tool"] == "syndup" and r["status"] == "ok" and r.get("stages")]
    if not syn:
        return []
    names = list(syn[-1]["stages"])
    head = "| articles | " + " | ".join(names) + " |"
    rule = "| ---: |" + " ---: |" * len(names)
    out = ["", "syndup stages: seconds / CPU seconds / peak RSS MB while the stage ran:", ""]
    out += [head, rule]
    for r in syn:
        cpu, rss = r.get("stage_cpu") or {}, r.get("stage_rss_mb") or {}
        cells = [
            " / ".join(
                (_f(r["stages"].get(k), ",.2f"), _f(cpu.get(k), ",.2f"), _f(rss.get(k), ",.0f"))
            )
            for k in names
        ]
        out.append(f"| {r['n']:,} | " + " | ".join(cells) + " |")
    return out


def markdown(res: dict) -> str:
    """scale.md: the machine, per corpus style one table row per (tool, size), the
    targets, and syndup's stages with their CPU and peak RSS."""
    m = res["machine"]
    git = m["git"]
    moved = "; HEAD moved during the run)." if res.get("git_at_start") != git else ")."
    out = [
        "# Throughput, memory and F1 versus corpus size",
        "",
        f"{res['date']} · {m['cpu_model']}, {m['cores']} cores, {m['ram_mb'] / 1024:.0f} GB RAM"
        f" · load at start: `{res['load']['start']}`, at end: `{res['load']['end']}`",
        f"syndup {m['versions']['syndup']} @ {(git['commit'] or '?')[:10]}"
        f" ({len(git['src_modified'])} modified file(s) under src/ at the end of the run{moved}"
        f" Data: {res['data_source']}.",
        "",
        "articles/s = articles ÷ wall seconds of the tool's process (start-up, reading and"
        " writing included); CPU s = user + sys of the process and the children it waited for;"
        " where a tool ran several times (note: `runs`), the median run by wall. Speed-up ="
        " syndup's articles/s ÷ the tool's by wall / by CPU per article, same corpus style, at"
        " the same size (or syndup on the corpus the subset was cut from, shown as `@n`). Load"
        " = 1-minute load average before→after each run. See README.md.",
    ]
    corpus = {
        "classic": f"`generate.py --seed {res['seed']} --words {res['words']}`",
        "templated": f"`generate_pages.py --seed {res['seed']}` (outlet page templates)",
    }
    tgts = res.get("targets") or []
    for style in res.get("styles") or ["classic"]:
        rows = [r for r in res["rows"] if _style(r) == style]
        out += ["", f"## {style} corpus: {corpus.get(style, style)}", ""]
        out += [
            "| tool | version | articles | wall s | CPU s | articles/s | peak RSS MB |"
            " pairwise F1 (P / R) | B³ F1 | syndup speed-up (wall / CPU) | note |",
            "| --- | --- | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: | --- |",
        ]
        key = lambda r: (r["n"], r["tool"] != "syndup", r["tool"])  # noqa: E731
        out += [_row(r) for r in sorted(rows, key=key)]
        mine = [t for t in tgts if t["style"] == style]
        if mine:
            out += ["", "| target | measured | status |", "| --- | ---: | --- |"]
            for t in mine:
                if "measured" not in t:
                    got = "—"
                elif t["name"].startswith("1m_"):
                    unit = " s" if t["name"] == "1m_wall" else " MB"
                    got = f"{t['measured']:,.1f}{unit}"
                else:
                    got = f"{t['measured']:,.1f}x (CPU {_f(t.get('cpu_measured'))}x)"
                why = f" ({t['reason']})" if "reason" in t else ""
                out.append(f"| {t['what']} | {got} | {t['status']}{why} |")
        out += _stages(rows)
    return "\n".join(out) + "\n"
