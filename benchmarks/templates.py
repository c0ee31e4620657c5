"""Daily templated notices for the reprint generator (``--profile realistic``).

T-bill auction results, Fed repurchase operations, daily market reports, local weather reports
and obituaries are filed every day in the same words with new figures and names. Each day's
filing is its own story: its copies (same day, minutes to hours later) share its gold, the
filings of other days never do. A series is one publisher's run of one template over
consecutive days; several series can use the same template (two towns' weather reports).
Only the slots change from day to day: every word outside a slot is the same
(``tests/test_generate.py`` checks that the words that differ are all in ``SLOT_WORDS`` or
numbers).
"""

from __future__ import annotations

import random

if __package__:
    from . import syndication_edits as se
else:  # run as a script
    import syndication_edits as se

FAMILIES = ("tbill", "fed_repo", "market", "weather", "obituary")
FAMILY_WEIGHTS = (0.20, 0.20, 0.20, 0.20, 0.20)
WIRE_FAMILIES = {"tbill", "fed_repo", "market"}  # filed by Reuters; the others by a local outlet
DAYS = (15, 90)  # consecutive days of one series (capped by the corpus' time span)
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
MONTH_NAMES = tuple(
    "January February March April May June July August September October November December".split()  # noqa: SIM905
)
_SKIES = ("sunny", "partly cloudy", "mostly cloudy", "cloudy", "rainy", "clear", "foggy", "windy")
_DIRS = ("north", "northeast", "east", "southeast", "south", "southwest", "west", "northwest")
_UPDOWN = ("rose", "fell", "gained", "lost", "climbed", "slipped")
_COMPANIES = (
    "Exxon",
    "General Motors",
    "IBM",
    "Boeing",
    "Chrysler",
    "Texaco",
    "Mobil",
    "Ford",
    "Citicorp",
    "Sears",
    "Kodak",
    "Xerox",
    "Honeywell",
    "Motorola",
    "Alcoa",
    "Chevron",
    "Merck",
    "Pfizer",
)
_JOBS = ("teacher", "machinist", "nurse", "carpenter", "clerk", "engineer", "farmer", "mechanic")
_EMPLOYERS = (
    "Acme Mills",
    "the county schools",
    "Union Pacific",
    "General Electric",
    "the hospital",
)
_PLACES = ("her home", "his home", "Mercy Hospital", "St. Mary's Hospital", "the county home")
_HOMES = ("Miller", "Johnson", "Anderson", "Thompson", "Walker", "Harris")
SLOT_WORDS = frozenset(
    w.lower().strip(".,'s")
    for group in (
        WEEKDAYS,
        MONTH_NAMES,
        se.MONTHS,
        _SKIES,
        _DIRS,
        _UPDOWN,
        _COMPANIES,
        _JOBS,
        _EMPLOYERS,
        _PLACES,
        _HOMES,
        se.FIRST_NAMES,
        se.LAST_NAMES,
        ("he", "she", "his", "her", "son", "daughter", "higher", "lower", "up", "down"),
    )
    for x in group
    for w in x.split()
)


def _f(rng: random.Random, lo: float, hi: float, nd: int = 2) -> str:
    return f"{rng.uniform(lo, hi):.{nd}f}"


def filing(family: int, series_seed: int, day_seed: int, tm, town: str) -> tuple[str, list[str]]:
    """Headline and paragraphs of one day's filing of a series."""
    name = FAMILIES[family]
    s, r = random.Random(series_seed), random.Random(day_seed)
    wd, mon, d = WEEKDAYS[tm.tm_wday], MONTH_NAMES[tm.tm_mon - 1], tm.tm_mday
    if name == "tbill":
        weeks = s.choice((13, 26, 52))
        rate = _f(r, 5.2, 6.4)
        hl = f"U.S. {weeks}-Week Bill Auction Averages {rate} Pct"
        return hl, [
            f"The U.S. Treasury said its weekly auction of {weeks}-week bills produced an average"
            f" rate of {rate} pct, with a bond-equivalent yield of {_f(r, 5.4, 6.6)} pct.",
            f"Accepted bids ranged from {_f(r, 5.1, 5.6)} pct to {_f(r, 5.6, 6.5)} pct, with"
            f" {r.randrange(5, 95)} pct of the bids at the high rate accepted.",
            f"The Treasury said it received {_f(r, 14, 32, 1)} billion dlrs of bids and accepted"
            f" {_f(r, 6, 7.5, 1)} billion dlrs, including {_f(r, 0.6, 1.4, 1)} billion dlrs of"
            " non-competitive tenders from the public.",
            f"The average price was {_f(r, 97.5, 98.9, 3)} per 100 dlrs of face value. The average"
            f" rate at the previous auction was {_f(r, 5.2, 6.4)} pct.",
        ]
    if name == "fed_repo":
        kind = s.choice(("customer", "system"))
        bn = r.randrange(1, 6)
        return f"Fed Adds Reserves via {kind.title()} Repurchases", [
            f"The Federal Reserve entered the U.S. government securities market to arrange"
            f" {bn} billion dlrs of {kind} repurchase agreements, a Fed spokesman said.",
            f"Dealers said Federal funds were trading at {_f(r, 5.8, 6.9, 2)} pct when the Fed"
            " began its temporary and indirect supply of reserves to the banking system.",
            f"Most economists had expected the Fed to add about {r.randrange(1, 4)} billion dlrs"
            f" of reserves on {wd} to offset seasonal pressures.",
        ]
    if name == "market":
        idx = s.choice(("Dow Jones industrial average", "Standard and Poor's 500 index"))
        ud, pts = r.choice(_UPDOWN), _f(r, 0.5, 45, 2)
        co1, co2 = r.sample(_COMPANIES, 2)
        return f"Stocks {ud.title()} in Active Trading on {wd}", [
            f"The {idx} {ud} {pts} points to {_f(r, 1800, 2600, 2)} on {wd}, {mon} {d}."
            f" Advancing issues outnumbered declining ones {r.randrange(500, 1100)} to"
            f" {r.randrange(400, 900)} on volume of {r.randrange(120, 240)} million shares.",
            f"Among the most active issues, {co1} {r.choice(_UPDOWN)} {r.randrange(1, 4)} to"
            f" {r.randrange(20, 140)} and {co2} {r.choice(_UPDOWN)} {r.randrange(1, 4)} to"
            f" {r.randrange(20, 140)}.",
            f"The transportation average {r.choice(_UPDOWN)} {_f(r, 0.5, 20, 2)} points and the"
            f" utility average {r.choice(_UPDOWN)} {_f(r, 0.1, 5, 2)} points.",
        ]
    if name == "weather":
        hi = r.randrange(20, 98)
        return f"{town} Weather for {wd}, {mon} {d}", [
            f"Today: {r.choice(_SKIES).capitalize()}, with a high near {hi}."
            f" {r.choice(_DIRS).capitalize()} wind {r.randrange(3, 10)} to {r.randrange(10, 25)}"
            " mph.",
            f"Tonight: {r.choice(_SKIES).capitalize()}, with a low around"
            f" {hi - r.randrange(8, 25)}."
            f" Chance of precipitation {r.randrange(0, 10) * 10} percent.",
            f"Tomorrow: {r.choice(_SKIES).capitalize()}, with a high near"
            f" {hi + r.randrange(-8, 8)}. The sun rises at 6:{r.randrange(10, 59)} a.m. and sets"
            f" at 7:{r.randrange(10, 59)} p.m.",
        ]
    first, last, age = r.choice(se.FIRST_NAMES), r.choice(se.LAST_NAMES), r.randrange(55, 101)
    he = r.choice(("he", "she"))
    return f"{first} {last}, {age}, of {town}", [
        f"{first} {last}, {age}, of {town}, died {wd}, {mon} {d}, at {r.choice(_PLACES)}.",
        f"Born {r.choice(MONTH_NAMES)} {r.randrange(1, 29)}, {1990 - age}, in {town},"
        f" {he} was the {r.choice(('son', 'daughter'))} of the late {r.choice(se.FIRST_NAMES)}"
        f" and {r.choice(se.FIRST_NAMES)} {last}. {he.capitalize()} worked for"
        f" {r.randrange(10, 45)} years as a {r.choice(_JOBS)} at {r.choice(_EMPLOYERS)}.",
        f"Services will be held at {r.randrange(1, 5)} p.m. {r.choice(WEEKDAYS)} at the"
        f" {r.choice(_HOMES)} Funeral Home, {town}. Burial will follow in {town} Cemetery.",
    ]


def notice_story(family: int, series_seed: int, day_seed: int, tm, town: str, wire: int):
    """One filing as a plain ``se.Story`` (wire families carry a Reuters-style dateline)."""
    hl, paras = filing(family, series_seed, day_seed, tm, town)
    wired = FAMILIES[family] in WIRE_FAMILIES
    city = "NEW YORK" if FAMILIES[family] == "market" else "WASHINGTON"
    return se.Story.plain(
        0,
        day_seed,
        wire,
        tm.tm_mon,
        tm.tm_mday,
        hl,
        paras,
        city=city if wired else town.upper(),
        dl_style="wire_date" if wired else "none",
        ents=([], []),
    )
