"""A notice refilled on the next day names that day: its copies keep the filing's weekday,
the next filing names another one, even where its figures repeat by chance and the two lie
under a day apart (``weekday_differs``, weekdays among headline figures)."""

from __future__ import annotations

import polars as pl

from syndup.pipeline import Detector


def _cluster_of(result, *ids: str) -> list[str]:
    got = dict(result.assignments.select("id", "cluster_id").iter_rows())
    return [got[i] for i in ids]


def _notice(date: str, weekday: str) -> str:
    return (
        f"WASHINGTON, {date} (Reuters) - The Federal Reserve entered the U.S. government "
        "securities market to arrange 4 billion dlrs of customer repurchase agreements, a "
        "Fed spokesman said.\n\nDealers said Federal funds were trading at 6.02 pct when the "
        "Fed began its temporary and indirect supply of reserves to the banking system.\n\n"
        f"Most economists had expected the Fed to add about 2 billion dlrs of reserves on "
        f"{weekday} to offset seasonal pressures."
    )


def _rows() -> list[dict]:
    """Two days' filings with the same figures, 18 hours apart, each printed by the wire
    and by two outlets that strip the dateline."""
    rows = []
    for date, weekday, at in (
        ("Jan 8", "Tuesday", "2019-01-08T15:30:00Z"),
        ("Jan 9", "Wednesday", "2019-01-09T09:30:00Z"),
    ):
        for k, outlet in enumerate(("Reuters", "Daily Ledger", "Valley Courier")):
            body = _notice(date, weekday)
            if k:
                body = body.split(" - ", 1)[1]
            rows.append(
                {
                    "id": f"{weekday}-{k}",
                    "outlet": outlet,
                    "headline": "Fed adds reserves via customer repurchases",
                    "published": at[:-6] + f"{10 * k + 10}:00Z",
                    "body": body,
                }
            )
    return rows


def test_next_days_notice_with_the_same_figures_is_another_filing() -> None:
    result = Detector().run(pl.DataFrame(_rows()))
    tue = _cluster_of(result, "Tuesday-0", "Tuesday-1", "Tuesday-2")
    wed = _cluster_of(result, "Wednesday-0", "Wednesday-1", "Wednesday-2")
    assert len(set(tue)) == 1 and len(set(wed)) == 1  # each filing's copies together
    assert tue[0] != wed[0]
    pairs = result.pairs.filter(pl.col("id_a").str.slice(0, 3) != pl.col("id_b").str.slice(0, 3))
    assert pairs.height and (pairs["weekday_differs"] == 1).all()


def test_headline_naming_another_day_is_another_report() -> None:
    rows = [
        {
            "id": id_,
            "outlet": outlet,
            "headline": f"Stocks slipped in active trading on {day}",
            "published": at,
            "body": "",
        }
        for id_, day, outlet, at in (
            ("sun", "Sunday", "Reuters", "2019-01-06T18:00:00Z"),
            ("mon-0", "Monday", "Wire feed", "2019-01-07T12:00:00Z"),
            ("mon-1", "Monday", "Daily Ledger", "2019-01-07T12:20:00Z"),
        )
    ]
    result = Detector().run(pl.DataFrame(rows))
    sun, mon0, mon1 = _cluster_of(result, "sun", "mon-0", "mon-1")
    assert mon0 == mon1  # one report's headline-only copies
    assert sun != mon0  # the day before's report under the same template
