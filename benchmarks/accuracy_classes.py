"""Per-class accuracy figures, order independence and largest-cluster reports (``accuracy.py``).

The generator's realistic profile (``generate.py --profile realistic``) labels every row with
its class (``role``) and edits, so each error class is measured on its own:

* **write-through members' recall**: of the gold pairs with at least one member from a
  write-through chain (``chain=`` in ``edits``) or a wire write-through row, the share that
  syndup puts in one cluster; also how many chains end whole in one predicted cluster.
* **roundups / two-story pages merged**: the share of such rows whose predicted cluster holds a
  row of another gold story (for two-story pages also: a row of their second story B).
* **templated notices merged across days**: predicted clusters holding notice rows filed on two
  or more different days (target 0), and notice rows merged with another filing.
* **furniture**: pair recall of rows carrying a carousel or a widget/prompt.
* **hard negatives merged**: as for the classic generated sets.

Pair counts come from the (gold, predicted) contingency table, never from enumerating pairs.
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
import time
from pathlib import Path

import polars as pl

HERE = Path(__file__).resolve().parent
GENERATOR_FILES = (
    "generate.py",
    "plan.py",
    "syndication_edits.py",
    "chains.py",
    "furniture.py",
    "roundups.py",
    "templates.py",
)


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def generator_key() -> str:
    """8 hex digits of the generator's source: cached corpora are rebuilt when it changes."""
    h = hashlib.sha1()
    for name in GENERATOR_FILES:
        h.update((HERE / name).read_bytes())
    return h.hexdigest()[:8]


def ensure_realistic(
    n: int, *, seed: int, work_dir: Path, ocr_rate: float = 0.0, shared: bool = True
) -> Path:
    """Path of a ``--profile realistic`` corpus, generated in its own process unless cached."""
    src = "shared" if shared else "sample"
    key = f"real_n{n}_s{seed}" + (f"_ocr{ocr_rate:g}" if ocr_rate else "")
    path = work_dir / f"{key}_{src}_{generator_key()}.parquet"
    if path.is_file():
        log(f"reusing {path}")
        return path
    work_dir.mkdir(parents=True, exist_ok=True)
    cmd = [sys.executable, str(HERE / "generate.py"), "-n", str(n), "--seed", str(seed)]
    cmd += ["--profile", "realistic"] + (["--ocr-rate", str(ocr_rate)] if ocr_rate else [])
    log(f"generating {path.name}")
    t0 = time.perf_counter()
    subprocess.run([*cmd, "-o", str(path)], check=True, stdout=sys.stderr)
    log(f"generated {n:,} rows in {time.perf_counter() - t0:.1f} s")
    return path


# --------------------------------------------------------------------------- class figures
def _pairs(m: pl.Expr, c: pl.Expr) -> pl.Expr:
    """Pairs among m rows with at least one of the c flagged rows."""
    return m * (m - 1) // 2 - (m - c) * (m - c - 1) // 2


def pair_recall(df: pl.DataFrame, flag: pl.Expr) -> dict:
    """Recall over the gold pairs with at least one flagged member (df: gold, cluster_id)."""
    d = df.with_columns(_f=flag.fill_null(False).cast(pl.Int64))
    cell = d.group_by("gold", "cluster_id").agg(m=pl.len().cast(pl.Int64), c=pl.col("_f").sum())
    gold = d.group_by("gold").agg(m=pl.len().cast(pl.Int64), c=pl.col("_f").sum())
    found = int(cell.select(_pairs(pl.col("m"), pl.col("c")).sum()).item() or 0)
    true = int(gold.select(_pairs(pl.col("m"), pl.col("c")).sum()).item() or 0)
    rows = int(d["_f"].sum())
    return {"rows": rows, "true_pairs": true, "found_pairs": found, "recall": _r(found, true)}


def _r(a: int, b: int) -> float:
    return round(a / b, 4) if b else 1.0


def _edit(name: str) -> pl.Expr:
    return pl.col("edits").str.extract(rf"(?:^|;){name}=([^;]+)")


def class_figures(gold: pl.DataFrame, pred: pl.DataFrame) -> dict:
    """Per-class figures of one realistic corpus (gold: id, gold, role, edits)."""
    df = gold.join(pred, on="id", how="left").with_columns(
        pl.col("cluster_id").fill_null(pl.format("missing:{}", "id"))
    )
    n_gold = df.group_by("cluster_id").agg(pl.col("gold").n_unique().alias("golds"))
    df = df.join(n_gold, on="cluster_id")
    chain = pl.col("edits").str.contains(r"(?:^|;)chain=")
    wt = chain | (pl.col("role") == "writethrough")
    out: dict = {"writethrough": pair_recall(df, wt)}
    ch = df.filter(chain).group_by("gold").agg(pl.col("cluster_id").n_unique().alias("k"))
    out["writethrough"] |= {
        "chains": ch.height,
        "chains_whole": int((ch["k"] == 1).sum()),
        "chain_pair_recall": pair_recall(df, chain)["recall"],
    }
    late = chain & (_edit("version").cast(pl.Int64, strict=False).fill_null(0) > 0)
    out["writethrough"]["late_version_pair_recall"] = pair_recall(df, late)["recall"]
    for role in ("roundup", "two_story"):
        rows = df.filter(pl.col("role") == role)
        merged = rows.filter(pl.col("golds") > 1).height
        out[role] = {"rows": rows.height, "merged": merged, "merged_rate": _r(merged, rows.height)}
        out[role]["own_pair_recall"] = pair_recall(df, pl.col("role") == role)["recall"]
    two = df.filter(pl.col("role") == "two_story").with_columns(second=_edit("second"))
    bridged = two.join(
        df.select("cluster_id", second="gold").unique(), on=["cluster_id", "second"], how="semi"
    ).height
    out["two_story"] |= {"bridged_to_second": bridged}
    rnd = df.filter(pl.col("role") == "roundup").with_columns(item=_edit("items").str.split(","))
    with_item = (
        rnd.explode("item")
        .join(df.select("cluster_id", item="gold").unique(), on=["cluster_id", "item"], how="semi")
        .select("id")
        .unique()
        .height
    )
    out["roundup"]["merged_with_an_item"] = with_item
    notes = df.filter(pl.col("role") == "notice").with_columns(day=_edit("day"))
    multi = notes.group_by("cluster_id").agg(pl.col("day").n_unique().alias("days"), pl.len())
    across = multi.filter(pl.col("days") > 1)
    out["notice"] = {
        "rows": notes.height,
        "filings": notes["gold"].n_unique(),
        "clusters_across_days": across.height,
        "rows_in_them": int(across["len"].sum() or 0),
        "rows_merged_with_other_gold": notes.filter(pl.col("golds") > 1).height,
        "own_pair_recall": pair_recall(df, pl.col("role") == "notice")["recall"],
    }
    out["carousel"] = pair_recall(df, pl.col("edits").str.contains("carousel"))
    out["furniture"] = pair_recall(df, pl.col("edits").str.contains("furniture_"))
    neg = df.filter(pl.col("role") == "negative").with_columns(about=_edit("about"))
    hit = neg.join(
        df.select("cluster_id", about="gold").unique(), on=["cluster_id", "about"], how="semi"
    ).height
    out["negatives"] = {"rows": neg.height, "merged": hit, "merged_rate": _r(hit, neg.height)}
    return out


# --------------------------------------------------------------------------- order independence
def _partition(pred: pl.DataFrame) -> pl.DataFrame:
    """id -> the smallest id of its cluster (a label that does not depend on cluster ids)."""
    return pred.with_columns(label=pl.col("id").min().over("cluster_id")).select("id", "label")


def order_independence(path: Path, work_dir: Path, k: int = 5) -> dict:
    """Run syndup on ``k`` row shuffles of a corpus and compare each partition and canonical
    record with the run on the corpus as given."""
    import syndup

    def canon(p: Path) -> tuple[pl.DataFrame, pl.DataFrame, float]:
        t0 = time.perf_counter()
        res = syndup.cluster(str(p))
        asg = res.assignments.drop_nulls("id").with_columns(pl.col("id").cast(pl.String))
        single = pl.format("rejected:{}", "id")  # rows not clustered: a singleton each
        pred = asg.select(
            "id", pl.coalesce("cluster_id", single).cast(pl.String).alias("cluster_id")
        )
        canon = _partition(pred).join(
            asg.select("id", pl.col("canonical_id").cast(pl.String)),
            on="id",
            how="left",
        )
        return pred, canon, time.perf_counter() - t0

    df = pl.read_parquet(path)
    _, base, secs = canon(path)
    runs = []
    for seed in range(1, k + 1):
        tmp = work_dir / f".{path.stem}_shuffle{seed}.parquet"
        df.sample(fraction=1.0, shuffle=True, seed=seed).write_parquet(tmp)
        try:
            _, got, s = canon(tmp)
        finally:
            tmp.unlink(missing_ok=True)
        cmp = base.join(got, on="id", how="full", suffix="_s", coalesce=True)
        moved = cmp.filter(pl.col("label").ne_missing(pl.col("label_s")))
        canon_diff = cmp.filter(pl.col("canonical_id").ne_missing(pl.col("canonical_id_s")))
        runs.append(
            {
                "seed": seed,
                "same_partition": moved.height == 0,
                "rows_with_other_cluster": moved.height,
                "same_canonicals": canon_diff.height == 0,
                "rows_with_other_canonical": canon_diff.height,
                "seconds": round(s, 1),
            }
        )
        log(f"shuffle {seed}: {runs[-1]}")
    return {
        "data": path.name,
        "rows": df.height,
        "seconds": round(secs, 1),
        "shuffles": runs,
        "same_partition_all": all(r["same_partition"] for r in runs),
        "same_canonicals_all": all(r["same_canonicals"] for r in runs),
    }


# --------------------------------------------------------------------------- largest clusters
_DATE_OK = r"^\d{1,2}-[A-Za-z]{3}-\d{4} [0-2]?\d:[0-5]\d:[0-5]\d(?:\.\d+)?$|^\d{4}-\d\d-\d\d"


def largest_clusters(path: Path, top: int = 10, members: int = 25) -> tuple[dict, str]:
    """The ``top`` largest predicted clusters of an unlabelled corpus: JSON and markdown."""
    import syndup
    from syndup.errors import InputError

    t0, note = time.perf_counter(), ""
    try:
        res = syndup.cluster(str(path))
    except InputError as exc:  # markup or notes after a date: cut them (else drop the dates)
        log(f"{exc}; retrying with cleaned dates")
        df = pl.read_parquet(path)
        cut = pl.col("published").str.replace(r"\s*[&#\x00-\x1f].*$", "")
        ok = cut.str.contains(_DATE_OK)
        df = df.with_columns(pl.when(ok).then(cut).otherwise(None).alias("published"))
        bad = int(df["published"].null_count())
        note = f"syndup could not read the file as given ({exc}); dates cut at '&', '#' or a"
        note += f" control character, {bad} dates that still do not parse dropped"
        res = syndup.cluster(df)
    secs = time.perf_counter() - t0
    arts = pl.read_parquet(path).select(
        pl.col("id").cast(pl.String),
        *(pl.col(c).cast(pl.String) for c in ("headline", "outlet", "published")),
        start=pl.col("body").cast(pl.String).str.replace_all(r"\s+", " ").str.slice(0, 90),
    )
    big = res.clusters.sort(["size", "cluster_id"], descending=[True, False]).head(top)
    asg = res.assignments.select(pl.col("id").cast(pl.String), "cluster_id", "rule")
    out, md = [], [f"## {path.parent.name} ({arts.height:,} articles, {secs:.1f} s)", ""]
    md += [f"Note: {note}.", ""] if note else []
    for i, c in enumerate(big.iter_rows(named=True), 1):
        rows = (
            asg.filter(pl.col("cluster_id") == c["cluster_id"])
            .join(arts, on="id", how="left")
            .sort("id")
        )
        first, last = c.get("first_published"), c.get("last_published")
        span = (last - first).total_seconds() / 86400 if first and last else None
        out.append(
            {
                "cluster_id": c["cluster_id"],
                "size": c["size"],
                "canonical_id": c["canonical_id"],
                "decided_by": c.get("decided_by"),
                "headline": c.get("headline"),
                "outlets": sorted(set(rows["outlet"].drop_nulls())),
                "first_published": str(first),
                "last_published": str(last),
                "span_days": round(span, 2) if span is not None else None,
                "distinct_headlines": rows["headline"].n_unique(),
                "ids": rows["id"].to_list(),
            }
        )
        o = out[-1]
        md += [
            f"### {i}. {c['cluster_id']}: {c['size']} articles"
            + (f", span {o['span_days']} days" if span is not None else ", no dates"),
            "",
            f"Canonical {c['canonical_id']} ({c.get('decided_by')}): {c.get('headline')!r}."
            f" {o['distinct_headlines']} distinct headlines; outlets:"
            f" {', '.join(o['outlets']) or '(none)'}"
            + (f"; {first} to {last}." if first and last else "."),
            "",
            "| id | published | outlet | rule | headline | body start |",
            "| --- | --- | --- | --- | --- | --- |",
        ]
        for r in rows.head(members).iter_rows(named=True):
            hl, st = ((r[k] or "").replace("|", "\\|")[:100] for k in ("headline", "start"))
            md.append(
                f"| {r['id']} | {r['published'] or ''} | {r['outlet'] or ''} | {r['rule']} |"
                f" {hl} | {st} |"
            )
        if rows.height > members:
            md.append(f"| ... {rows.height - members} more | | | | | |")
        md.append("")
    info = {"data": str(path), "seconds": round(secs, 2), "note": note, "clusters": out}
    return info, "\n".join(md)


# --------------------------------------------------------------------------- markdown
def _pct(x: float) -> str:
    return f"{100 * x:.2f}%"


def markdown(sets: dict) -> list[str]:
    """Tables of the realistic-profile sets: error classes, targets, shuffles, largest."""
    out: list[str] = []
    rows = [(k, s) for k, s in sets.items() if k.startswith("realistic") and s["status"] == "ok"]
    if rows:
        out += ["", "## Error classes (generator, `--profile realistic`)", ""]
        out.append(
            "| set | write-through pair recall | chains whole | late-version pair recall"
            " | roundups merged | two-story merged (bridged to B) | notice clusters across days"
            " | carousel pair recall | furniture pair recall | negatives merged | targets |"
        )
        out.append("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |")
        for k, s in rows:
            c = s["classes"]
            w, r, t, nt, ng = (
                c[x] for x in ("writethrough", "roundup", "two_story", "notice", "negatives")
            )
            fails = [x for x, ok in s["checks"].items() if not ok]
            verdict = "pass" if s["pass"] else "FAIL: " + ", ".join(fails)
            out.append(
                f"| {k} | {w['recall']:.4f} ({w['true_pairs']:,} pairs) |"
                f" {w['chains_whole']}/{w['chains']} | {w['late_version_pair_recall']:.4f} |"
                f" {r['merged']}/{r['rows']} ({_pct(r['merged_rate'])}) |"
                f" {t['merged']}/{t['rows']} ({_pct(t['merged_rate'])}; {t['bridged_to_second']})"
                f" | {nt['clusters_across_days']} ({nt['rows_in_them']} rows) |"
                f" {c['carousel']['recall']:.4f} | {c['furniture']['recall']:.4f} |"
                f" {ng['merged']}/{ng['rows']} | {verdict} |"
            )
    sh = sets.get("shuffle", {})
    if sh.get("status") == "ok":
        out += ["", "## Order independence", ""]
        out.append(
            f"`{sh['data']}` ({sh['rows']:,} rows) run as given and on 5 row shuffles:"
            f" same partition on all: **{sh['same_partition_all']}**, same canonicals on all:"
            f" **{sh['same_canonicals_all']}**."
        )
        out += [
            "",
            "| shuffle seed | same partition | rows in another cluster | same canonicals"
            " | rows with another canonical | s |",
            "| ---: | --- | ---: | --- | ---: | ---: |",
        ]
        for r in sh["shuffles"]:
            out.append(
                f"| {r['seed']} | {r['same_partition']} | {r['rows_with_other_cluster']} |"
                f" {r['same_canonicals']} | {r['rows_with_other_canonical']} | {r['seconds']} |"
            )
    lc = sets.get("largest_clusters", {})
    if lc.get("status") == "ok":
        out += ["", "## Largest clusters of unlabelled corpora", ""]
        out.append("Members, headlines and outlets: [largest_clusters.md](largest_clusters.md).")
        out += ["", "| corpus | # | size | span (days) | distinct headlines | canonical headline |"]
        out.append("| --- | ---: | ---: | ---: | ---: | --- |")
        for name, r in lc["corpora"].items():
            for i, c in enumerate(r.get("clusters", []), 1):
                hl = (c["headline"] or "").replace("|", "\\|")[:80]
                out.append(
                    f"| {name} | {i} | {c['size']} | {c['span_days']} |"
                    f" {c['distinct_headlines']} | {hl} |"
                )
    return out
