"""A self-contained HTML report of a Result: one file, inline CSS/JS/SVG, no network.

Layout of the embedded data (all JSON; see ``report.js`` for the reader):
    * ``meta`` (plain): overview counts, originators/republishers, the copy matrix, charts.
    * ``index`` (gzip + base64): one light row per cluster for the list, search and filters.
    * ``chunk-N`` (gzip + base64): cluster details, decompressed by the browser
      (``DecompressionStream``) only when one of their clusters is opened. The ``full``
      largest clusters come in full, 25 per chunk: members with evidence, the canonical's
      paragraphs and a paragraph/word diff of each member against it; the rest ``chunk``
      per chunk, members with evidence but no text. ``meta.chunk_starts`` maps a cluster's
      rank to its chunk.

Size: text is embedded only for the ``full`` clusters (at most ``max_diffs`` members each),
so the file grows with the number of clusters and members, not with the corpus's text: on
100k generated articles (12,547 clusters) 0.8 MB of index, 3.8 MB of member lists and
2.6 MB for the 200 clusters with text. The trade-off: a cluster outside the ``full`` ones
shows its members and evidence but no diff.
"""

from __future__ import annotations

import base64
import gzip
import itertools
import json
from datetime import datetime, timezone
from importlib import resources
from pathlib import Path
from typing import Any

import polars as pl

from syndup.analysis import copy_matrix, members, outlet_roles, overview
from syndup.htmlreport.charts import lag_by_outlet_svg, size_histogram_svg
from syndup.htmlreport.diff import diff_ops, paragraphs, summarize
from syndup.io import write_text
from syndup.report import _jsonable
from syndup.result import EVIDENCE, Result

__all__ = ["build_html", "report_data", "write_html"]

_FULL_CHUNK = 25  # clusters with text per compressed chunk: one opens in a few milliseconds


def _ms(value: Any) -> int | None:
    return int(value.timestamp() * 1000) if isinstance(value, datetime) else None


def report_data(
    result: Result,
    corpus: pl.DataFrame | None = None,
    *,
    full: int = 200,
    chunk: int = 500,
    max_diffs: int = 60,
    top_outlets: int = 12,
    title: str = "syndup report",
) -> dict[str, Any]:
    """The report's data: ``meta``, ``index`` and ``chunks`` (see the module doc).

    Args:
        result: A run's result.
        corpus: The input with its ``body`` column (``syndup.read_corpus``); without it the
            report has no diffs.
        full: Clusters (largest first) embedded with text and diffs.
        chunk: Clusters per lazily decompressed chunk of the rest.
        max_diffs: Members diffed per full cluster (earliest first); the rest are listed.
        top_outlets: Outlets in the copy matrix.
        title: Page title.
    """
    roles = outlet_roles(result)
    m = (
        members(result)
        .join(result.assignments.select("id", *EVIDENCE), on="id", how="left")
        .join(result.context.select("id", "url"), on="id", how="left")
    )
    outlet_names = sorted({o for o in m["outlet"].to_list() if o})
    oid = {o: k for k, o in enumerate(outlet_names)}
    rules = sorted({r for r in m["rule"].to_list() if r})
    origins = (
        roles.filter(pl.col("originated") > 0)
        .sort(["originated", "outlet"], descending=[True, False])
        .head(top_outlets)["outlet"]
        .to_list()
    )
    copiers = roles.filter(pl.col("republished") > 0).head(top_outlets)["outlet"].to_list()
    matrix = copy_matrix(result, origins=origins, copiers=copiers)
    meta = {
        "title": title,
        "generated": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "overview": _jsonable(overview(result)),
        "originators": roles.filter(pl.col("originated") > 0)
        .sort(["originated", "outlet"], descending=[True, False])
        .head(15)
        .to_dicts(),
        "republishers": roles.filter(pl.col("republished") > 0).head(15).to_dicts(),
        "matrix": {
            "origins": origins,
            "copiers": copiers,
            "cells": [
                [origins.index(r["origin"]), copiers.index(r["copier"]), r["copies"]]
                for r in matrix.iter_rows(named=True)
            ],
        },
        "outlets": outlet_names,
        "rules": rules,
        "charts": {
            "sizes": size_histogram_svg(result.clusters["size"]),
            "lags": lag_by_outlet_svg(roles),
        },
        "full": full,
        "chunk": chunk,
        "max_diffs": max_diffs,
        "evidence": ["body_j", "contain", "unquoted", "lead_j", "headline"],
        "clusters": result.clusters.height,
    }
    clusters = result.clusters.select("cluster_id", "size", "headline")
    order = {c: k for k, c in enumerate(clusters["cluster_id"].to_list())}
    index: list[list[Any]] = [[c, s, h or "", None, None, [], []] for c, s, h in clusters.rows()]
    details: list[dict[str, Any]] = [{"members": []} for _ in index]
    for r in m.iter_rows(named=True):
        k = order[r["cluster_id"]]
        row = index[k]
        t = _ms(r["published"])
        if t is not None:
            row[3] = t if row[3] is None else min(row[3], t)
            row[4] = t if row[4] is None else max(row[4], t)
        o = oid.get(r["outlet"]) if r["outlet"] else None
        if o is not None and o not in row[5]:
            row[5].append(o)
        rule = "canonical" if r["is_canonical"] else r["rule"]
        if rule and r["rule"] in rules and rules.index(r["rule"]) not in row[6]:
            row[6].append(rules.index(r["rule"]))
        details[k]["members"].append(
            [
                r["id"],
                o,
                t,
                r["lag_hours"],
                r["similarity"],
                rule,
                [None if r[f] is None else round(float(r[f]), 2) for f in EVIDENCE],
                r["headline"] or "",
                r["url"] or "",
                int(r["is_canonical"]) + 2 * int(r["is_originator"]),
            ]
        )
    if corpus is not None and "body" in corpus.columns:
        _add_diffs(details[:full], corpus, max_diffs=max_diffs)
    starts = [*range(0, min(full, len(details)), _FULL_CHUNK)]
    starts += [*range(min(full, len(details)), len(details), chunk)]
    meta["chunk_starts"] = starts
    bounds = [*starts, len(details)]
    return {
        "meta": meta,
        "index": index,
        "chunks": [details[a:b] for a, b in itertools.pairwise(bounds)],
    }


def _add_diffs(details: list[dict[str, Any]], corpus: pl.DataFrame, *, max_diffs: int) -> None:
    """Canonical paragraphs and each member's diff ops for the given clusters."""
    want: dict[str, None] = {}
    for d in details:
        for mem in d["members"][: max_diffs + 1]:
            want[mem[0]] = None
        want.update({mem[0]: None for mem in d["members"] if mem[9] & 1})
    ids = pl.Series("id", list(want), dtype=pl.String)
    bodies = dict(corpus.filter(pl.col("id").is_in(ids.implode())).select("id", "body").iter_rows())
    for d in details:
        canon = next(mem[0] for mem in d["members"] if mem[9] & 1)
        base = paragraphs(bodies.get(canon))
        d["canon"] = {"id": canon, "paras": base}
        d["diffs"] = {}
        for mem in d["members"][:max_diffs]:
            if mem[0] == canon:
                continue
            ops = diff_ops(base, paragraphs(bodies.get(mem[0])))
            d["diffs"][mem[0]] = {"ops": ops, "counts": summarize(ops)}


def _packed(value: Any) -> str:
    raw = json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return base64.b64encode(gzip.compress(raw, compresslevel=6, mtime=0)).decode("ascii")


def _plain(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return text.replace("</", "<\\/")  # never close the script element early


def build_html(data: dict[str, Any]) -> str:
    """The page for ``report_data``'s output, everything inline."""
    pkg = resources.files("syndup.htmlreport")
    page = (pkg / "template.html").read_text(encoding="utf-8")
    blobs = [
        f'<script type="application/json" id="meta">{_plain(data["meta"])}</script>',
        f'<script type="text/plain" id="index">{_packed(data["index"])}</script>',
        *(
            f'<script type="text/plain" id="chunk-{k}">{_packed(c)}</script>'
            for k, c in enumerate(data["chunks"])
        ),
    ]
    return (
        page.replace("/*CSS*/", (pkg / "report.css").read_text(encoding="utf-8"))
        .replace("/*JS*/", (pkg / "report.js").read_text(encoding="utf-8"))
        .replace("<!--TITLE-->", _escape(data["meta"]["title"]))
        .replace("<!--DATA-->", "\n".join(blobs))
    )


def write_html(
    result: Result, corpus: pl.DataFrame | None, path: str | Path, **options: Any
) -> int:
    """Build and write the report atomically; returns its size in bytes. ``options`` go to
    :func:`report_data`."""
    html = build_html(report_data(result, corpus, **options))
    write_text(html, path)
    return len(html.encode("utf-8"))


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
