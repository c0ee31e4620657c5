"""Page furniture above the story for the reprint generator (``--profile realistic``).

Scraped pages often carry a weather widget (today's high, winds, a 5-day forecast), a ZIP-code
or notifications prompt, a share bar, or a photo carousel before the story. Widgets and prompts
come from a handful of vendor formats shared by many outlets; an outlet that has them shows
them on (almost) every page, and small outlets (few pages in a corpus) have them more often,
so a per-outlet boilerplate learner has little to learn from. Carousels belong to the event:
the captions are drawn from one pool per story, so copies of a story and the other stories of
the same event (its hard negatives) can open with the same photos.
"""

from __future__ import annotations

import datetime
import random
import zlib

from numpy.random import PCG64, Generator

if __package__:
    from . import syndication_edits as se
else:  # run as a script
    import syndication_edits as se

# Share of outlets with furniture: FURNITURE_P[0] for the most-used regular outlet rising
# linearly to FURNITURE_P[1] for the least-used and for every small outlet (wires: none).
FURNITURE_P = (0.10, 0.60)
KIND_P = {"weather": 0.50, "zip": 0.30, "notify": 0.30, "share": 0.45}  # given some furniture
PAGE_P = 0.9  # an outlet with furniture shows it on this share of its pages
CAROUSEL_P = (0.025, 0.08)  # per page, most-used to least-used/small outlet (wires: the first)
CAROUSEL_PHOTOS = (3, 10)
_DIRS = ("N", "NE", "E", "SE", "S", "SW", "W", "NW")
_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_SKY = ("Sunny", "Partly Cloudy", "Mostly Cloudy", "Showers", "T-Storms", "Rain", "Snow", "Clear")
ZIP = (
    "Enter your ZIP code to get local news, weather and alerts.\nZIP Code\nSubmit",
    "Get local news near you\nEnter ZIP code\nGo",
    "Set your location\nZip code or city\nUpdate",
)
NOTIFY = (
    "Get breaking news alerts delivered to your device.\nAllow notifications?\nYes\nNo thanks",
    "Want to get notified of breaking news?\nAllow\nNot now",
    "Turn on notifications\nNever miss a story. Get alerts for breaking news.\nTurn on",
)
SHARE_BAR = (
    "Share\nFacebook\nTwitter\nEmail\nPrint\nCopy link",
    "Facebook Twitter LinkedIn Email Print",
    "Share this article\nShare on Facebook\nShare on Twitter\nShare via Email",
)
_CAPTIONS = (
    "{p} speaks during a news conference in {city}, {date}.",
    "{p}, center, arrives for a meeting with {e} officials in {city} on {date}.",
    "People gather outside the {e} building in {city}, {date}.",
    "Police officers stand guard near the scene in {city}, {date}.",
    "A general view of the {e} headquarters in {city}, {date}.",
    "{p} listens to a question from reporters in {city}, {date}.",
    "Supporters of {e} hold signs during a rally in {city}, {date}.",
    "Workers clear debris in {city}, {date}.",
    "{p} waves to the crowd as {e} officials look on in {city}, {date}.",
    "Demonstrators march through downtown {city}, {date}.",
    "Traffic moves past a sign for {e} in {city}, {date}.",
    "{p}, left, shakes hands with {q} in {city}, {date}.",
)
_AGENCIES = ("Reuters", "AFP", "Getty Images", "Pool", "Bloomberg", "EPA", "The Canadian Press")


def outlet_kinds(n_outlets: int) -> list[tuple[str, ...]]:
    """Furniture kinds of every outlet (fixed, independent of the corpus seed)."""
    g = Generator(PCG64(20_261_201))
    n_reg = se.N_REGULAR
    out: list[tuple[str, ...]] = []
    for i in range(n_outlets):
        if i < len(se.WIRES):
            out.append(())
            continue
        frac = min(1.0, (i - len(se.WIRES)) / n_reg)
        if g.random() >= FURNITURE_P[0] + (FURNITURE_P[1] - FURNITURE_P[0]) * frac:
            out.append(())
            continue
        kinds = tuple(k for k, p in KIND_P.items() if g.random() < p)
        out.append(kinds or (str(g.choice(list(KIND_P))),))
    return out


def carousel_p(outlet: int, n_outlets: int) -> float:
    """Per-page chance of a photo carousel on this outlet."""
    if outlet < len(se.WIRES):
        return CAROUSEL_P[0]
    frac = min(1.0, (outlet - len(se.WIRES)) / se.N_REGULAR)
    return CAROUSEL_P[0] + (CAROUSEL_P[1] - CAROUSEL_P[0]) * frac


def weather(out: se.Outlet, day: int) -> str:
    """A weather widget: the same for one outlet all day, one of three vendor formats."""
    w = random.Random(zlib.crc32(f"wx:{out.domain}:{day}".encode()))
    hi = w.randrange(25, 98)
    lo, wind, d = hi - w.randrange(8, 25), w.randrange(0, 25), w.choice(_DIRS)
    fc = [(hi + w.randrange(-9, 9), w.choice(_SKY)) for _ in range(5)]
    start = day % 7
    days = [_DAYS[(start + i) % 7] for i in range(5)]
    fmt = zlib.crc32(out.domain.encode()) % 3
    if fmt == 0:
        rows = "\n".join(f"{dd} {h}°/{h - w.randrange(8, 22)}° {s}" for dd, (h, s) in zip(days, fc))
        return (
            f"{out.town} Weather\nToday's high: {hi}°F\nLow: {lo}°F\nWinds: {d} {wind} mph\n"
            f"5-Day Forecast\n{rows}"
        )
    if fmt == 1:
        rows = " ".join(f"{dd} {h}° {s}" for dd, (h, s) in zip(days, fc))
        return f"{hi}° {fc[0][1]} | H {hi}° L {lo}° | Wind {d} at {wind} mph\n{rows}"
    rows = "\n".join(f"{dd}\n{s}\n{h}°" for dd, (h, s) in zip(days, fc))
    return (
        f"Weather Alert\nCurrent: {hi - w.randrange(0, 6)}°F\nHigh {hi}° / Low {lo}°\n"
        f"Winds {d} {wind} mph\n{rows}"
    )


def carousel(ctx, st, event: int, tm, rng: random.Random) -> str:
    """3-10 photo captions with credit lines, drawn from the event's pool of 12 photos."""
    ents, _ = st.entities(ctx)
    ev = random.Random(event * 2_654_435_761 + 17)
    people = [se.person(ev) for _ in range(3)]
    orgs = [e for e in ents if e] or ["City Hall"]
    mon = se.MONTHS[st.month - 1]
    day = datetime.date(tm.tm_year, st.month, min(st.day, 28))
    date = f"{day.strftime('%A')}, {mon}{'' if len(mon) > 4 else '.'} {st.day}, {tm.tm_year}"
    city = (st.city or ev.choice(se.CITIES)).title()
    pool = []
    for _ in range(12):
        cap = ev.choice(_CAPTIONS).format(
            p=ev.choice(people), q=ev.choice(people), e=ev.choice(orgs), city=city, date=date
        )
        who = se.person(ev)
        credit = ev.choice(
            (
                f"(AP Photo/{who})",
                f"(AP Photo/{who})",
                f"({who}/{ev.choice(_AGENCIES)} via AP)",
                f"(REUTERS/{who})",
                f"(Photo by {who}/{ev.choice(_AGENCIES)})",
            )
        )
        pool.append(f"{cap} {credit}")
    k = rng.randint(*CAROUSEL_PHOTOS)
    first = rng.randrange(0, 12 - k + 1) if rng.random() < 0.5 else 0
    shown = pool[first : first + k]
    if rng.random() < 0.5:
        return "\n".join(f"{i + 1} of {k}\n{c}" for i, c in enumerate(shown))
    return "\n".join(shown)


def page_furniture(
    ctx, st, event: int, o: int, kinds: tuple[str, ...], rng: random.Random, tm, edits: list[str]
) -> list[str]:
    """Furniture blocks (one paragraph each) for one page; names go to ``edits``."""
    out = ctx.outlets[o]
    blocks: list[str] = []
    if kinds and rng.random() < PAGE_P:
        day = tm.tm_yday + 366 * tm.tm_year
        pick = zlib.crc32(out.domain.encode())
        for k in kinds:
            if k == "weather":
                blocks.append(weather(out, day))
            elif k == "zip":
                blocks.append(ZIP[pick % len(ZIP)])
            elif k == "notify":
                blocks.append(NOTIFY[pick % len(NOTIFY)])
            else:
                blocks.append(SHARE_BAR[pick % len(SHARE_BAR)])
            edits.append(f"furniture_{k}")
    if st is not None and rng.random() < carousel_p(o, len(ctx.outlets)):
        blocks.append(carousel(ctx, st, event, tm, rng))
        edits.append("carousel")
    return blocks
