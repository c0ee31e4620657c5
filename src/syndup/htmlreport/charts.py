"""Two small SVG charts for the report and the README: cluster sizes, copy lag per outlet.

Plain SVG strings (no plotting dependency in the core install); bars only, labelled with
their values, so they read the same inline in HTML, on GitHub and from file://.
"""

from __future__ import annotations

from html import escape

import polars as pl

_BINS = ((2, 2), (3, 3), (4, 4), (5, 5), (6, 10), (11, 20), (21, 50), (51, 200), (201, None))
_FONT = "font-family='system-ui,sans-serif' font-size='11'"


def size_bins(sizes: pl.Series) -> list[tuple[str, int]]:
    """Clusters per size bin: 2, 3, 4, 5, 6-10, 11-20, 21-50, 51-200, 201+ (empty tail bins
    dropped)."""
    out = []
    for lo, hi in _BINS:
        keep = sizes >= lo if hi is None else (sizes >= lo) & (sizes <= hi)
        label = f"{lo}+" if hi is None else str(lo) if lo == hi else f"{lo}-{hi}"
        out.append((label, int(keep.sum())))
    while out and out[-1][1] == 0:
        out.pop()
    return out


def size_histogram_svg(sizes: pl.Series, *, title: str = "Clusters by size") -> str:
    """Vertical bars: how many clusters have 2, 3, ... members."""
    bins = size_bins(sizes)
    width, height, left, bottom, top = 460, 230, 40, 36, 42
    if not bins:
        return _empty(title, width)
    peak = max(c for _, c in bins) or 1
    bar = (width - left - 10) / len(bins)
    parts = [_head(width, height, title)]
    for k, (label, count) in enumerate(bins):
        h = (height - bottom - top) * count / peak
        x = left + k * bar
        y = height - bottom - h
        parts.append(
            f"<rect class='bar' x='{x + 3:.1f}' y='{y:.1f}' width='{bar - 6:.1f}' "
            f"height='{h:.1f}' fill='#3b6ea5'><title>{label}: {count}</title></rect>"
            f"<text x='{x + bar / 2:.1f}' y='{y - 4:.1f}' text-anchor='middle' {_FONT}>"
            f"{count}</text>"
            f"<text x='{x + bar / 2:.1f}' y='{height - bottom + 14:.1f}' text-anchor='middle' "
            f"{_FONT}>{label}</text>"
        )
    parts.append(
        f"<text x='{left + (width - left) / 2:.1f}' y='{height - 6}' text-anchor='middle' "
        f"{_FONT}>members per cluster</text>"
        f"<line x1='{left}' y1='{height - bottom}' x2='{width - 10}' y2='{height - bottom}' "
        "stroke='#888'/></svg>"
    )
    return "".join(parts)


def lag_by_outlet_svg(
    roles: pl.DataFrame, *, top: int = 15, title: str = "Median copy lag per outlet"
) -> str:
    """Horizontal bars: median hours from a cluster's first filing to each outlet's copy,
    for the ``top`` outlets that republish most (``analysis.outlet_roles`` rows)."""
    rows = roles.filter(pl.col("median_lag_hours").is_not_null()).head(top)
    width, bar, left, top_pad = 520, 18, 170, 30
    if rows.height == 0:
        return _empty(title, width)
    height = top_pad + rows.height * bar + 30
    peak = max(float(rows["median_lag_hours"].max() or 0), 1e-9)
    span = width - left - 80
    parts = [_head(width, height, title)]
    for k, r in enumerate(rows.iter_rows(named=True)):
        y = top_pad + k * bar
        w = span * r["median_lag_hours"] / peak
        name = escape(_clip(r["outlet"], 26))
        parts.append(
            f"<text x='{left - 6}' y='{y + 12}' text-anchor='end' {_FONT}>{name}</text>"
            f"<rect class='bar' x='{left}' y='{y + 2}' width='{max(w, 1):.1f}' "
            f"height='{bar - 5}' fill='#c0603a'><title>{escape(r['outlet'])}: "
            f"{r['median_lag_hours']:.2f} h over {r['republished']} copies</title></rect>"
            f"<text x='{left + max(w, 1) + 4:.1f}' y='{y + 12}' {_FONT}>"
            f"{_hours(r['median_lag_hours'])} ({r['republished']})</text>"
        )
    parts.append(
        f"<text x='{left}' y='{height - 8}' {_FONT}>hours after the first filing "
        "(copies in brackets)</text></svg>"
    )
    return "".join(parts)


def _head(width: int, height: int, title: str) -> str:
    return (
        f"<svg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 {width} {height}' "
        f"width='{width}' height='{height}' role='img' aria-label='{escape(title)}'>"
        f"<rect width='{width}' height='{height}' fill='white'/>"
        f"<text x='8' y='16' font-family='system-ui,sans-serif' font-size='13' "
        f"font-weight='bold'>{escape(title)}</text>"
    )


def _empty(title: str, width: int) -> str:
    return _head(width, 40, title) + f"<text x='8' y='32' {_FONT}>no data</text></svg>"


def _hours(value: float) -> str:
    return f"{value:.1f} h" if value < 48 else f"{value / 24:.1f} d"


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"
