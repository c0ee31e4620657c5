"""Write-through versions joined through the wire's own feed (``syndup.wire_feed``): pairs no
LSH index proposes, quotations told from narrative on the exact text, short filings kept
out. Real pipeline outputs on small built corpora, no mocks."""

from __future__ import annotations

import numpy as np
import polars as pl

import syndup
from syndup.config import Config
from syndup.explain import explain
from syndup.pipeline import Detector
from syndup.wire_feed import feed_pairs


def _text(seed: int):
    rng = np.random.default_rng(seed)
    letters = np.array(list("abcdefghijklmnopqrstuvwxyz"))
    vocab = ["".join(rng.choice(letters, 7)) for _ in range(4000)]

    def para(n: int) -> str:
        return " ".join(rng.choice(vocab, n)) + "."

    return para


def _chain(kept: str, *, late_outlet: str, late_city: str = "WASHINGTON") -> list[dict]:
    """Version 1 of an AP story on AP's own feed and a print of a version many
    write-throughs later: each its own 240-word top and reaction, ``kept`` in common."""
    para = _text(31)

    def version() -> str:
        return "\n\n".join([para(40), para(40), para(40), kept, para(40), para(40), para(40)])

    return [
        {
            "id": "v1",
            "outlet": "Associated Press",
            "headline": para(7)[:-1],
            "published": "2025-03-04T06:00:00Z",
            "body": f"WASHINGTON (AP) — {version()}",
        },
        {
            "id": "v9",
            "outlet": late_outlet,
            "headline": para(8)[:-1],
            "published": "2025-03-04T19:00:00Z",
            "body": f"{late_city} (AP) — {version()}",
        },
    ]


def _kept_narrative() -> str:
    para = _text(77)
    return f"{para(26)}\n\n{para(26)}"


def _cluster(rows: list[dict]) -> dict[str, str]:
    result = syndup.cluster(pl.DataFrame(rows))
    return dict(zip(result.assignments["id"], result.assignments["cluster_id"]))


def _candidates(rows: list[dict]) -> pl.DataFrame:
    det = Detector(Config())
    return det.candidates(det.prepare(pl.DataFrame(rows)))


def test_distant_version_joins_through_the_wire_feed() -> None:
    rows = _chain(_kept_narrative(), late_outlet="Coast Herald")
    pairs = _candidates(rows)
    assert pairs.height == 1 and pairs["index"].cast(pl.String).to_list() == ["wire_feed"]
    why = explain(pl.DataFrame(rows), "v1", "v9")
    assert why.features["body_jaccard"] < 0.15  # no LSH index pairs them
    assert why.rule == "write_through_wire_city"
    got = _cluster(rows)
    assert got["v1"] == got["v9"]


def test_versions_on_the_wire_own_feed_join() -> None:
    rows = _chain(_kept_narrative(), late_outlet="Associated Press")
    why = explain(pl.DataFrame(rows), "v1", "v9")
    assert why.features["same_outlet"] == 1 and why.features["wire_feed"] == 1
    assert why.rule == "write_through_wire_feed"
    got = _cluster(rows)
    assert got["v1"] == got["v9"]


def test_one_outlet_that_is_no_wire_needs_more() -> None:
    rows = _chain(_kept_narrative(), late_outlet="Valley Post")
    rows[0]["outlet"] = "Valley Post"
    why = explain(pl.DataFrame(rows), "v1", "v9")
    assert why.features["same_outlet"] == 1 and why.features["wire_feed"] == 0
    assert why.rule is None


def test_shared_quotations_are_no_narrative() -> None:
    """The wire's other story of the event quotes the same people: two quoted paragraphs
    in common are read exactly without the quotations, and do not join."""
    para = _text(78)
    quoted = f'"{para(26)[:-1]}," the mayor said.\n\n"{para(26)[:-1]}," she said.'
    rows = _chain(quoted, late_outlet="Coast Herald")
    why = explain(pl.DataFrame(rows), "v1", "v9")
    assert why.features["shared_shingles"] >= 40
    assert why.features["unquoted_containment"] < 0.05
    assert why.rule is None
    got = _cluster(rows)
    assert got["v1"] != got["v9"]


def test_another_city_is_no_feed_pair() -> None:
    rows = _chain(_kept_narrative(), late_outlet="Coast Herald", late_city="CHICAGO")
    assert _candidates(rows).height == 0
    got = _cluster(rows)
    assert got["v1"] != got["v9"]


def _feed_frame(rows: list[tuple]) -> pl.DataFrame:
    return pl.DataFrame(
        rows,
        schema=["outlet", "wire", "dateline_city", "published", "body_shingles", "usable"],
        orient="row",
    ).with_columns(pl.col("published").str.to_datetime(time_zone="UTC"))


def test_feed_pairs_window_city_size_and_feed_side() -> None:
    frame = _feed_frame(
        [
            ("Reuters", "reuters", "london", "2025-03-04T06:00:00Z", 300, True),  # 0 feed
            ("Daily Item", "reuters", "london", "2025-03-05T05:00:00Z", 40, True),  # 1: 23 h
            ("Daily Item", "reuters", "london", "2025-03-05T07:00:00Z", 300, True),  # 2: 25 h
            ("Star", "reuters", "paris", "2025-03-04T07:00:00Z", 300, True),  # 3: other city
            ("Star", "reuters", "london", "2025-03-04T08:00:00Z", 300, True),  # 4: 2 h
            ("Reuters", "reuters", "london", "2025-03-04T09:00:00Z", 90, True),  # 5: short feed
            ("Post", "ap", "london", "2025-03-04T07:00:00Z", 300, True),  # 6: other wire
            ("Post", "reuters", "london", "2025-03-04T07:30:00Z", 300, False),  # 7: unusable
        ]
    )
    codes = feed_pairs(frame, feeds=("reuters",), hours=24, min_shingles=120)
    got = {(int(c >> 32), int(c & 0xFFFFFFFF)) for c in codes}
    # 5 is paired as a copy of feed row 0 (it is no feed row itself: 4 and 5 do not pair)
    assert got == {(0, 1), (0, 4), (0, 5)}
    assert feed_pairs(frame, feeds=("reuters",), hours=0, min_shingles=120).size == 0


def test_feed_pairs_do_not_depend_on_row_order() -> None:
    rng = np.random.default_rng(3)
    n = 300
    frame = _feed_frame(
        [
            (
                str(rng.choice(["AP", "Post", "Star"])),
                "ap",
                str(rng.choice(["rome", "oslo"])),
                f"2025-03-{1 + int(rng.integers(0, 4)):02d}T{int(rng.integers(0, 24)):02d}:00:00Z",
                int(rng.integers(50, 400)),
                True,
            )
            for _ in range(n)
        ]
    ).with_row_index("id")

    def pairs_by_id(df: pl.DataFrame) -> set[tuple[int, int]]:
        ids = df["id"].to_numpy()
        codes = feed_pairs(df, feeds=("AP",), hours=24, min_shingles=120)
        a, b = ids[(codes >> 32).astype(np.int64)], ids[(codes & 0xFFFFFFFF).astype(np.int64)]
        return {(min(x, y), max(x, y)) for x, y in zip(a.tolist(), b.tolist())}

    want = pairs_by_id(frame)
    assert len(want) > 100
    assert pairs_by_id(frame.sample(fraction=1.0, shuffle=True, seed=9)) == want
