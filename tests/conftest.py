"""Shared fixtures: a small wire corpus built from project-written stories with real
syndication edits (datelines, boilerplate, trims, headline rewrites, write-throughs), plus
hard negatives (same event, shared quote; a roundup quoting two stories; generic headlines)."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest

FIXTURES = Path(__file__).parent / "fixtures"
REPO = Path(__file__).parent.parent


def _paras(body: str) -> list[str]:
    return body.split("\n\n")


def _strip_dateline(text: str) -> str:
    for sep in (" — ", " - "):
        head, _, rest = text.partition(sep)
        if rest and len(head) < 40:
            return rest
    return text


def build_corpus() -> pl.DataFrame:
    stories = {s["id"]: s for s in json.loads((FIXTURES / "stories.json").read_text())}
    rows: list[dict] = []

    def add(
        id_: str, outlet: str, published: str, headline: str | None, body: str | None, gold: str
    ) -> None:
        rows.append(
            {
                "id": id_,
                "outlet": outlet,
                "published": published,
                "headline": headline,
                "body": body,
                "gold": gold,
            }
        )

    for sid in ("s1", "s2", "s3", "s4", "s5"):
        s = stories[sid]
        add(sid, s["outlet"], s["published"], s["headline"], s["body"], sid)

    s1, s2, s3 = stories["s1"], stories["s2"], stories["s3"]
    p1 = _paras(s1["body"])
    # s1: six copies with typical edits.
    add(
        "s1-globe",
        "The Daily Globe",
        "2025-03-03T12:00:00Z",
        s1["headline"].title(),
        "Advertisement\n\n"
        + s1["body"].replace("’", "").replace("'", "")
        + "\n\nShare this story\n\nCopyright 2025 The Associated Press. All rights reserved.",
        "s1",
    )
    add(
        "s1-trim",
        "Herald-Banner",
        "2025-03-03T15:00:00Z",
        s1["headline"],
        "\n\n".join(p1[: len(p1) // 2]),
        "s1",
    )
    add(
        "s1-agg",
        "NewsNow Aggregator",
        "2025-03-03T16:00:00Z",
        "River Town Votes To Rebuild Levee After Record Spring Flood – Daily Globe",
        _strip_dateline(s1["body"]) + "\n\nSee the original post here:\n\nOther headline one\n\n"
        "Other headline two\n\nOther headline three",
        "s1",
    )
    add(
        "s1-local",
        "KXYZ.com",
        "2025-03-03T18:00:00Z",
        "WATCH: Millbrook approves levee bond",
        "Local viewers can find a map of the new levee route on our website.\n\n"
        + "\n\n".join(p1[:5])
        + "\n\nFollow us on Twitter @KXYZnews",
        "s1",
    )
    add(
        "s1-reorder",
        "Citizen Tribune",
        "2025-03-04T07:00:00Z",
        s1["headline"],
        "\n\n".join([p1[0], p1[2], p1[1], *p1[3:5], *p1[6:]]),
        "s1",
    )
    wt = list(p1)
    wt[0] = (
        "MILLBROOK, Iowa (AP) — Voters in this river town on Tuesday approved a $42 million "
        "bond to rebuild the levee that failed during last spring's record flood, after a "
        "year of debate over who should pay, final results showed Wednesday."
    )
    wt[1] = "The measure passed with 62% of the vote, the county auditor said Wednesday."
    add(
        "s1-wt",
        "Associated Press",
        "2025-03-04T10:00:00Z",
        "Millbrook levee bond passes, final count shows",
        "\n\n".join(wt),
        "s1",
    )

    # s2: copies, a trimmed one, and a headline-only link.
    add(
        "s2-yahoo",
        "Yahoo Finance",
        "2025-03-04T15:00:00Z",
        s2["headline"],
        "By Reuters Staff\n\n" + s2["body"],
        "s2",
    )
    add(
        "s2-trim",
        "MarketBeat Daily",
        "2025-03-04T18:00:00Z",
        "Norvane to build $3 billion Arizona chip plant",
        "\n\n".join(_paras(s2["body"])[:4]),
        "s2",
    )
    add(
        "s2-link",
        "Business Links",
        "2025-03-05T00:00:00Z",
        "Chipmaker Norvane to build $3 billion plant in Arizona",
        None,
        "s2",
    )

    # s3: three copies.
    for i, outlet in enumerate(("WSAV.com", "The Island Packet", "Coastal Courier")):
        body = s3["body"] if i != 1 else _strip_dateline(s3["body"])
        add(f"s3-{i}", outlet, f"2025-03-05T1{i + 2}:00:00Z", s3["headline"], body, "s3")

    # Negatives: a roundup quoting two stories; generic headline-only records.
    roundup = (
        "Here is what happened across the region this week.\n\n"
        + p1[2]
        + "\n\n"
        + _paras(s2["body"])[2]
        + "\n\nIn other news, the county fair will open in June "
        "with a new livestock barn and a larger midway for families."
    )
    add(
        "roundup", "Weekly Digest", "2025-03-06T08:00:00Z", "The week in review", roundup, "roundup"
    )
    for i, outlet in enumerate(("The Spec", "Bedford Gazette", "WV News")):
        add(
            f"letters-{i}",
            outlet,
            "2025-03-06T09:00:00Z",
            "Letters to the editor",
            None,
            f"letters-{i}",
        )
    add("empty", "Nowhere", "2025-03-06T10:00:00Z", "  ", "Advertisement", "empty")
    return pl.DataFrame(rows, schema_overrides={"headline": pl.String, "body": pl.String})


@pytest.fixture(scope="module")
def sample_only(tmp_path_factory: pytest.TempPathFactory):
    """The generators read the bundled sample, not ../shared/data (as in CI), for a module."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SYNDUP_SHARED_DATA", str(tmp_path_factory.mktemp("x") / "missing"))
        yield


@pytest.fixture(scope="session")
def wire_corpus() -> pl.DataFrame:
    return build_corpus()


@pytest.fixture()
def wire_file(tmp_path: Path, wire_corpus: pl.DataFrame) -> Path:
    path = tmp_path / "wire.jsonl"
    wire_corpus.write_ndjson(path)
    return path


@pytest.fixture(scope="session")
def seed_headlines() -> pl.DataFrame:
    return pl.read_csv(REPO / "data" / "seed_headlines.csv")
