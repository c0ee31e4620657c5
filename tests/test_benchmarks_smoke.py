"""Smoke tests of the benchmark harness (benchmarks/accuracy.py, scale.py, chart.py).

They run without the shared data (SYNDUP_SHARED_DATA points nowhere): accuracy on the bundled
seed headlines, scale on 500 generated rows from the public-domain sample with only the
naive_datasketch peer on 300 of them. No timing assertions.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import polars as pl
import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks import accuracy, chart, scale  # noqa: E402
from benchmarks import accuracy_classes as ac  # noqa: E402


@pytest.fixture(autouse=True)
def _no_shared_data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SYNDUP_SHARED_DATA", str(tmp_path / "missing"))


def test_accuracy_seed_headlines(tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert accuracy.main(["--only", "seed_headlines,census", "--out-dir", str(out)]) == 0
    res = json.loads((out / "accuracy.json").read_text())
    assert {"date", "syndup_version", "sets", "total_seconds"} <= res.keys()
    seed = res["sets"]["seed_headlines"]
    assert seed["status"] == "ok"
    assert seed["data"].endswith("data/seed_headlines.csv")  # the bundled copy
    for k in accuracy.METRICS:
        assert 0.0 <= seed[k] <= 1.0 or k == "ari"
    assert seed["articles"] == 76  # certain=1 rows only
    assert len(seed["checks"]) == 6
    assert all(isinstance(c["pass"], bool) for c in seed["checks"])
    assert res["sets"]["census"]["status"] == "skipped"
    assert "missing" in res["sets"]["census"]["reason"]
    md = (out / "accuracy.md").read_text()
    assert "seed_headlines" in md and "census" in md


def test_class_figures_count_pairs() -> None:
    """Per-class figures on a hand-made partition (pairs from the contingency table)."""
    rows = [  # id, gold, role, edits, predicted cluster
        ("r0", "a", "original", "chain=5", "1"),
        ("r1", "a", "writethrough", "chain=5;writethrough;version=1", "1"),
        ("r2", "a", "reprint", "chain=5;version=2", "2"),
        ("r3", "b", "original", "", "3"),
        ("r4", "b", "reprint", "", "3"),
        ("r5", "r", "roundup", "roundup;kind=brief;items=a,b", "3"),
        ("r6", "n1", "notice", "notice;day=2019-01-01", "4"),
        ("r7", "n2", "notice", "notice;day=2019-01-02", "4"),
        ("r8", "x", "negative", "negative;about=b", "5"),
    ]
    df = pl.DataFrame(rows, schema=["id", "gold", "role", "edits", "cluster_id"], orient="row")
    c = ac.class_figures(df.drop("cluster_id"), df.select("id", "cluster_id"))
    w = c["writethrough"]
    assert (w["true_pairs"], w["found_pairs"], w["chains"], w["chains_whole"]) == (3, 1, 1, 0)
    assert (c["roundup"]["merged"], c["roundup"]["merged_with_an_item"]) == (1, 1)
    assert c["notice"]["clusters_across_days"] == 1 and c["notice"]["rows_in_them"] == 2
    assert c["negatives"]["merged"] == 0
    assert ac.pair_recall(df, pl.col("gold") == "b")["recall"] == 1.0
    assert ac.pair_recall(df, pl.col("gold") == "a")["recall"] == round(1 / 3, 4)


def test_accuracy_realistic_sets(tmp_path: Path) -> None:
    out, work = tmp_path / "out", tmp_path / "work"
    argv = ["--only", "realistic_quick,shuffle", "--n-quick", "800", "--n-shuffle", "300"]
    assert accuracy.main([*argv, "--out-dir", str(out), "--work-dir", str(work)]) == 0
    res = json.loads((out / "accuracy.json").read_text())
    real = res["sets"]["realistic_quick"]
    assert real["status"] == "ok" and real["articles"] == 800
    assert {"writethrough", "roundup", "two_story", "notice", "negatives"} <= real["classes"].keys()
    assert real["classes"]["notice"]["rows"] == 24 and real["classes"]["roundup"]["rows"] == 12
    shuffles = res["sets"]["shuffle"]["shuffles"]
    assert len(shuffles) == 5 and all(isinstance(s["same_partition"], bool) for s in shuffles)
    md = (out / "accuracy.md").read_text()
    assert "## Error classes" in md and "## Order independence" in md


def test_scale_tiny(tmp_path: Path) -> None:
    out, work = tmp_path / "out", tmp_path / "work"
    argv = ["--sizes", "500", "--peer", "naive_datasketch=300", "--styles", "classic"]
    rc = scale.main([*argv, "--out-dir", str(out), "--work-dir", str(work)])
    assert rc == 0
    res = json.loads((out / "scale.json").read_text())
    keys = {"date", "machine", "load", "seed", "rows", "ratios", "issue_check", "peer_versions"}
    assert keys <= res.keys()
    assert {"cpu_model", "cores", "ram_mb", "python", "versions"} <= res["machine"].keys()
    rows = {(r["tool"], r["n"]): r for r in res["rows"]}
    ok = [rows[("syndup", 500)], rows[("naive_datasketch", 300)]]
    for r in ok:
        assert r["status"] == "ok", r
        assert 0.0 <= r["pairwise_f1"] <= 1.0
        assert r["wall_seconds"] > 0 and r["seconds"] > 0 and r["articles_per_s"] > 0
    assert rows[("naive_datasketch", 300)]["ratio"] > 0
    assert rows[("naive_datasketch", 300)]["ratio_vs_syndup_n"] == 500
    for peer in ("text_dedup_minhash", "rensa_lsh"):
        assert rows[(peer, 500)]["status"] == "skipped"
    assert res["peer_versions"] == {"naive_datasketch": rows[("naive_datasketch", 300)]["version"]}
    assert "| syndup |" in (out / "scale.md").read_text()
    png = chart.build(res, out / "chart.png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_scale_templated_stage_memory(tmp_path: Path) -> None:
    """The templated style end to end: syndup's per-stage seconds, CPU and peak RSS, the
    targets (not measured at this size) and the markdown section."""
    out, work = tmp_path / "out", tmp_path / "work"
    argv = ["--sizes", "400", "--skip-peers", "--styles", "templated", "--repeat", "1"]
    assert scale.main([*argv, "--out-dir", str(out), "--work-dir", str(work)]) == 0
    res = json.loads((out / "scale.json").read_text())
    assert res["styles"] == ["templated"]
    (row,) = [r for r in res["rows"] if r["tool"] == "syndup"]
    assert row["status"] == "ok" and row["style"] == "templated" and row["n"] == 400
    assert row["corpus"].startswith("pages_n400_s1_sample_")
    stages = set(row["stages"])
    assert {"read", "verify", "write"} <= stages
    assert set(row["stage_rss_mb"]) == stages == set(row["stage_cpu"])
    assert all(v > 10 for v in row["stage_rss_mb"].values())  # MB: a real process
    assert max(row["stage_rss_mb"].values()) <= row["peak_rss_mb"]
    assert row["cpu_seconds"] > 0 and len(row["runs_load"]) == 1
    assert {t["status"] for t in res["targets"]} == {"not measured"}
    md = (out / "scale.md").read_text()
    assert "## templated corpus" in md and "peak RSS MB while the stage ran" in md
