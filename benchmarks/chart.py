"""Chart of articles/s versus corpus size (log-log, one line per tool and corpus style).

python benchmarks/chart.py [--input benchmarks/results/scale.json] [--output .../chart.png]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from matplotlib.ticker import FuncFormatter, NullFormatter

HERE = Path(__file__).resolve().parent
STYLE = {
    "syndup": {"color": "#d62728", "marker": "o", "linewidth": 2.6},
    "rensa_lsh": {"color": "#1f77b4", "marker": "s"},
    "text_dedup_minhash": {"color": "#2ca02c", "marker": "^"},
    "naive_datasketch": {"color": "#7f7f7f", "marker": "D"},
}


def _human(x: float, _pos: object = None) -> str:
    for div, suffix in ((1e6, "M"), (1e3, "k")):
        if x >= div:
            return f"{x / div:g}{suffix}"
    return f"{x:g}"


def _lead(x: float) -> int:
    """Leading digit of x (for labelling the 2x and 5x minor ticks)."""
    return int(f"{x:e}"[0])


def _line_order(line: tuple[str, str]) -> tuple:
    tool, st = line
    return (tool != "syndup", tool, st != "classic", st)


def build(res: dict, output: Path) -> Path:
    """Draw the chart of ``res`` (the scale.json dict) to ``output`` (atomically)."""
    fig, ax = plt.subplots(figsize=(9, 5.6), dpi=120)
    ok = [r for r in res["rows"] if r["status"] == "ok" and r.get("articles_per_s")]
    versions = {r["tool"]: r.get("version") for r in ok}
    lines = sorted({(r["tool"], r.get("style", "classic")) for r in ok}, key=_line_order)
    styles = {st for _, st in lines}
    for tool, st in lines:
        pts = sorted(
            (r["n"], r["articles_per_s"])
            for r in ok
            if r["tool"] == tool and r.get("style", "classic") == st
        )
        xs, ys = zip(*pts)
        style = {"linewidth": 1.8, "markersize": 7} | STYLE.get(tool, {})
        if st != "classic":
            style |= {"linestyle": "--", "markerfacecolor": "white"}
        label = f"{tool} {versions.get(tool) or ''}".strip()
        ax.plot(xs, ys, label=label + (f" ({st})" if len(styles) > 1 else ""), **style)
        for x, y in pts:
            ax.annotate(f"{y:,.0f}", (x, y), textcoords="offset points", xytext=(6, 5), fontsize=8)
    ax.set_xscale("log")
    ax.set_yscale("log")
    if ok:  # ticks at the measured sizes; y spans at least a decade so it has a labelled tick
        xs = sorted({r["n"] for r in ok})
        ax.set_xticks(xs)
        ax.set_xlim(xs[0] / 1.3, xs[-1] * 1.5)
        ys = [r["articles_per_s"] for r in ok]
        ax.set_ylim(min(ys) / 2, max(max(ys) * 2, min(ys) * 10))
    ax.xaxis.set_major_formatter(FuncFormatter(_human))
    ax.yaxis.set_major_formatter(FuncFormatter(_human))
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.yaxis.set_minor_formatter(
        FuncFormatter(lambda y, _: _human(y) if _lead(y) in (2, 5) else "")
    )
    ax.set_xlabel("corpus size (articles)")
    ax.set_ylabel("articles per second (wall clock, whole process)")
    m = res["machine"]
    ram = (m.get("ram_mb") or 0) / 1024
    ax.set_title(
        f"Dedup throughput vs corpus size\n{m['cpu_model']}, {m['cores']} cores,"
        f" {ram:.0f} GB RAM, Python {m['python']} · {res['date'][:10]}",
        fontsize=11,
    )
    ax.grid(True, which="both", alpha=0.3)
    if ok:
        ax.legend(loc="best", fontsize=9)
    skipped = sorted(
        {f"{r['tool']} @ {_human(r['n'])}" for r in res["rows"] if r["status"] != "ok"},
    )
    if skipped:
        note = "not run / failed: " + ", ".join(skipped)
        fig.text(0.01, 0.01, note, fontsize=7, color="#555555", wrap=True)
    fig.tight_layout(rect=(0, 0.04 if skipped else 0, 1, 1))
    output.parent.mkdir(parents=True, exist_ok=True)
    tmp = output.with_name(f".{output.stem}.{os.getpid()}.tmp{output.suffix}")
    fig.savefig(tmp)
    plt.close(fig)
    os.replace(tmp, output)
    return output


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--input", type=Path, default=HERE / "results" / "scale.json")
    ap.add_argument("--output", type=Path, default=None, help="default: chart.png next to input")
    a = ap.parse_args(argv)
    out = build(json.loads(a.input.read_text()), a.output or a.input.with_name("chart.png"))
    print(f"wrote {out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
