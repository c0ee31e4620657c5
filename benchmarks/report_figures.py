"""The README's report figures from real runs on the bundled corpora.

Writes, for data/wire_1916.jsonl and data/seed_headlines.csv, the two charts the HTML report
embeds (cluster sizes, median copy lag per outlet) as SVG under docs/charts/, and (with
``--screenshot``) PNG screenshots of the wire corpus's report opened in headless Chromium.

    python benchmarks/report_figures.py [--screenshot] [--out docs]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import syndup
from syndup.analysis import outlet_roles
from syndup.htmlreport import write_html
from syndup.htmlreport.charts import lag_by_outlet_svg, size_histogram_svg

REPO = Path(__file__).resolve().parent.parent
CORPORA = {
    "wire_1916": REPO / "data" / "wire_1916.jsonl",
    "seed_headlines": REPO / "data" / "seed_headlines.csv",
}
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]  # fmt: skip


def charts(out: Path) -> dict[str, Path]:
    """SVG charts per bundled corpus; returns the wire corpus's report path (built too)."""
    (out / "charts").mkdir(parents=True, exist_ok=True)
    reports = {}
    for name, path in CORPORA.items():
        corpus = syndup.read_corpus(str(path))
        start = time.perf_counter()
        result = syndup.Detector().run(corpus)
        html = out / f"report_{name}.html"
        size = write_html(result, corpus, html, title=f"syndup report: {path.name}")
        print(f"{name}: report {size / 1e6:.2f} MB in {time.perf_counter() - start:.1f} s")
        title = f" ({path.name})"
        sizes = size_histogram_svg(result.clusters["size"], title="Clusters by size" + title)
        lags = lag_by_outlet_svg(outlet_roles(result), title="Median copy lag per outlet" + title)
        (out / "charts" / f"{name}_sizes.svg").write_text(sizes + "\n", encoding="utf-8")
        (out / "charts" / f"{name}_lags.svg").write_text(lags + "\n", encoding="utf-8")
        reports[name] = html
    return reports


def screenshots(report: Path, out: Path, chromium: str = "/usr/bin/chromium") -> None:
    """The overview, an opened cluster (timeline, members) and its diffs as PNGs."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(report.resolve().as_uri())
        page.wait_for_selector("body[data-ready='1']")
        page.screenshot(path=str(out / "report_overview.png"))
        page.click("#clusters tbody tr.row:nth-child(3)")
        detail = page.wait_for_selector("#clusters tr.detail")
        page.set_viewport_size({"width": 1280, "height": 1500})
        page.evaluate(
            "window.scrollTo(0, document.querySelector('#clusters tr.open')"
            ".getBoundingClientRect().top + window.scrollY - 120)"
        )
        page.screenshot(path=str(out / "report_cluster.png"))
        page.set_viewport_size({"width": 1280, "height": 900})
        page.evaluate(
            "window.scrollTo(0, document.querySelector('#clusters tr.detail h3:last-of-type')"
            ".getBoundingClientRect().top + window.scrollY - 10)"
        )
        page.screenshot(path=str(out / "report_diff.png"))
        assert detail is not None
        browser.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO / "docs")
    parser.add_argument("--screenshot", action="store_true")
    args = parser.parse_args()
    reports = charts(args.out)
    if args.screenshot:
        screenshots(reports["wire_1916"], args.out)
    for html in reports.values():
        html.unlink()  # the figures are what the README shows; `syndup report` makes pages


if __name__ == "__main__":
    main()
