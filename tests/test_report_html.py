"""The HTML report in a real browser: Debian's headless Chromium driven by playwright.

Skipped when /usr/bin/chromium (or ``SYNDUP_CHROMIUM``) or playwright is absent; `.ci/run`
installs Chromium, so CI runs them. Load time is measured from navigation to the page's
"ready" flag (index decompressed, list rendered) and printed; set ``SYNDUP_REPORT_HTML``
to a prebuilt report to measure that one too (e.g. a 100k-article run).
"""

from __future__ import annotations

import json
import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

import syndup
from syndup.cli import app
from syndup.htmlreport import write_html

REPO = Path(__file__).parent.parent
WIRE = REPO / "data" / "wire_1916.jsonl"
CHROMIUM = os.environ.get("SYNDUP_CHROMIUM", "/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

playwright_api = pytest.importorskip("playwright.sync_api")
pytestmark = pytest.mark.skipif(
    shutil.which(CHROMIUM) is None, reason=f"no Chromium at {CHROMIUM} (apt-get install chromium)"
)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with playwright_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("report") / "report.html"
    res = CliRunner().invoke(app, ["report", str(WIRE), "-o", str(path), "-q"])
    assert res.exit_code == 0, res.output
    return path


class Page:
    """A page with every console message, page error and non-file request recorded."""

    def __init__(self, browser: object, path: Path) -> None:
        self.page = browser.new_page(viewport={"width": 1300, "height": 1000})  # type: ignore[attr-defined]
        self.errors: list[str] = []
        self.remote: list[str] = []
        self.page.on(
            "console",
            lambda m: self.errors.append(m.text) if m.type in ("error", "warning") else None,
        )
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))

        def route(r: object) -> None:
            url = r.request.url  # type: ignore[attr-defined]
            if url.startswith(("file:", "data:", "about:")):
                r.continue_()  # type: ignore[attr-defined]
            else:
                self.remote.append(url)
                r.abort()  # type: ignore[attr-defined]

        self.page.route("**/*", route)
        start = time.perf_counter()
        self.page.goto(path.resolve().as_uri())
        self.page.wait_for_selector("body[data-ready='1']", timeout=120_000)
        self.load_seconds = time.perf_counter() - start

    def rows(self) -> list[str]:
        return self.page.eval_on_selector_all(
            "#clusters tbody tr.row", "rs => rs.map(r => r.dataset.cluster)"
        )

    def open(self, cluster_id: str) -> object:
        self.page.fill("#q", cluster_id)
        self.page.click(f"#clusters tr.row[data-cluster='{cluster_id}']")
        return self.page.wait_for_selector("#clusters tr.detail")


def _record(name: str, seconds: float, path: Path) -> None:
    line = {"report": name, "load_seconds": round(seconds, 3), "bytes": path.stat().st_size}
    print(json.dumps(line))
    out = os.environ.get("SYNDUP_REPORT_TIMINGS")
    if out:
        with open(out, "a", encoding="utf-8") as fh:
            fh.write(json.dumps(line) + "\n")


def test_loads_offline_without_console_errors(browser: object, report: Path) -> None:
    page = Page(browser, report)
    assert page.errors == []
    assert page.remote == []  # self-contained: nothing fetched beyond the file
    result = syndup.cluster(str(WIRE))
    assert len(page.rows()) == min(100, result.clusters.height)
    cards = page.page.inner_text("#cards")
    assert "duplication rate" in cards and f"{result.clusters.height}" in cards
    assert page.page.locator("#originators tr").count() > 1
    assert page.page.locator("#charts svg").count() == 2
    _record("wire_1916", page.load_seconds, report)


def test_search_and_filters_narrow_the_list(browser: object, report: Path) -> None:
    page = Page(browser, report)
    clusters = syndup.cluster(str(WIRE)).clusters
    everything = page.rows()
    target = clusters.row(2, named=True)
    word = max(target["headline"].split(), key=len)
    page.page.fill("#q", word)
    hits = page.rows()
    assert target["cluster_id"] in hits and len(hits) < len(everything)
    expected = clusters.filter(
        pl.col("headline").str.to_lowercase().str.contains(word.lower(), literal=True)
    )
    assert set(expected["cluster_id"]) <= set(hits)
    page.page.fill("#q", "")
    page.page.fill("#minsize", "10")
    assert set(page.rows()) == set(clusters.filter(pl.col("size") >= 10)["cluster_id"])
    page.page.fill("#minsize", "2")
    outlet = target["outlets"][0]
    page.page.fill("#outlet", outlet)
    with_outlet = clusters.filter(pl.col("outlets").list.contains(outlet))["cluster_id"]
    assert set(page.rows()) == set(with_outlet)
    assert page.errors == []


def test_cluster_expands_with_timeline_members_and_diffs(browser: object, report: Path) -> None:
    page = Page(browser, report)
    result = syndup.cluster(str(WIRE))
    big = result.clusters.row(0, named=True)
    detail = page.open(big["cluster_id"])
    members = result.assignments.filter(pl.col("cluster_id") == big["cluster_id"])
    # One timeline mark per member, each member's id on its mark.
    marks = detail.eval_on_selector_all(
        "svg.timeline circle.mark", "cs => cs.map(c => c.dataset.id)"
    )  # type: ignore[attr-defined]
    assert sorted(marks) == sorted(members["id"])
    rows = detail.query_selector_all("table.members tr")  # type: ignore[attr-defined]
    assert len(rows) == members.height + 1
    shown = dict(
        detail.eval_on_selector_all(  # type: ignore[attr-defined]
            "table.members tr:not(:first-child)",
            "rs => rs.map(r => [r.cells[0].textContent, r.cells[6].textContent])",
        )
    )
    for row in members.iter_rows(named=True):  # typed evidence, formatted by the page
        assert ("contain=" in shown[row["id"]]) == (row["body_containment"] is not None)
        assert ("headline=" in shown[row["id"]]) == (row["headline_ratio"] is not None)
    # Diffs: one per member but the canonical, with highlighted passages.
    diffs = detail.query_selector_all("details.diff")  # type: ignore[attr-defined]
    assert len(diffs) == members.height - 1
    highlighted = detail.query_selector_all(
        "details.diff ins, details.diff del, p.added, p.trimmed"
    )  # type: ignore[attr-defined]
    assert highlighted
    assert detail.query_selector_all("details.diff p.same")  # type: ignore[attr-defined]
    closed = detail.query_selector("details.diff:not([open])")  # type: ignore[attr-defined]
    if closed is not None:  # rendered when opened
        assert closed.query_selector("p") is None
        closed.query_selector("summary").click()
        page.page.wait_for_function("d => d.querySelector('.body p') !== null", arg=closed)
    assert page.errors == []


def test_lazy_chunks_open_beyond_the_full_clusters(browser: object, tmp_path: Path) -> None:
    corpus = syndup.read_corpus(str(WIRE))
    result = syndup.Detector().run(corpus)
    path = tmp_path / "lazy.html"
    write_html(result, corpus, path, full=2, chunk=5)
    page = Page(browser, path)
    late = result.clusters.row(-1, named=True)  # in the last compressed chunk
    detail = page.open(late["cluster_id"])
    marks = detail.query_selector_all("svg.timeline circle.mark")  # type: ignore[attr-defined]
    assert len(marks) == late["size"]
    assert "largest 2 clusters only" in detail.inner_text()  # type: ignore[attr-defined]
    assert page.errors == []


@pytest.mark.skipif("SYNDUP_REPORT_HTML" not in os.environ, reason="set SYNDUP_REPORT_HTML")
def test_load_time_of_a_prebuilt_report(browser: object) -> None:
    path = Path(os.environ["SYNDUP_REPORT_HTML"])
    page = Page(browser, path)
    assert page.errors == [] and page.remote == []
    first = page.rows()[0]
    start = time.perf_counter()
    detail = page.open(first)
    assert detail.query_selector_all("svg.timeline circle.mark")  # type: ignore[attr-defined]
    opened = time.perf_counter() - start
    _record(path.name, page.load_seconds, path)
    print(json.dumps({"report": path.name, "open_largest_seconds": round(opened, 3)}))


def test_report_of_an_index_shows_its_clusters(browser: object, tmp_path: Path) -> None:
    """`syndup index report` builds the same page from a persistent index, no re-run."""
    db, html = tmp_path / "news.db", tmp_path / "index.html"
    runner = CliRunner()
    res = runner.invoke(app, ["index", "add", str(db), str(WIRE), "-q", "-o", str(tmp_path / "a")])
    assert res.exit_code == 0, res.output
    res = runner.invoke(app, ["index", "report", str(db), "-o", str(html), "-q"])
    assert res.exit_code == 0, res.output
    with syndup.Index.open(str(db)) as index:
        clusters = index.clusters()
        members = index.assignments()
    page = Page(browser, html)
    assert page.errors == [] and page.remote == []
    assert len(page.rows()) == min(100, clusters.height)
    big = clusters.row(0, named=True)
    detail = page.open(big["cluster_id"])
    marks = detail.eval_on_selector_all(
        "svg.timeline circle.mark", "cs => cs.map(c => c.dataset.id)"
    )  # type: ignore[attr-defined]
    ids = members.filter(pl.col("cluster_id") == big["cluster_id"])["id"]
    assert sorted(marks) == sorted(ids)
    evidence = detail.eval_on_selector_all(  # type: ignore[attr-defined]
        "table.members tr:not(:first-child)", "rs => rs.map(r => r.cells[6].textContent)"
    )
    assert any("contain=" in e or "headline=" in e for e in evidence)
    assert detail.query_selector_all("details.diff")  # type: ignore[attr-defined]
    assert page.errors == []
