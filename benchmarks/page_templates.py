"""Outlet page templates for the templated corpus (``generate_pages.py``).

Every outlet gets one fixed template, drawn once from its index: which blocks its pages carry
(site header, navigation bar, date line, weather line, cookie and subscribe prompts, posted
line, share links, tags, related headlines, trending list, footer links, address, copyright),
in which order, in which wording, joined by blank lines or single newlines. What changes from
page to page is what changes on real sites: the date, the weather of the day, the time, and
the related and trending headlines, which are *other stories'* headlines (the outlet's
previous pages), so neighbouring pages of one outlet share most of their footer.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass


def _w(text: str) -> tuple[str, ...]:
    return tuple(text.split())


SECTIONS = _w(
    "Home News Local Sports Business Opinion Obituaries Weather Entertainment Lifestyle Health"
    " Politics World Nation Education Crime Traffic Video Photos Podcasts Classifieds Jobs"
    " Real-Estate Autos Food Travel Technology Science Arts Books Events Calendar Contact"
)
TOWNS = _w(
    "Springfield Riverton Fairview Greenville Madison Clinton Franklin Georgetown Salem"
    " Bristol Dover Oxford Arlington Ashland Burlington Manchester Milton Newport Dayton Auburn"
    " Lexington Marion Jackson Chester Hudson Kingston Lebanon Monroe Oakland Plymouth"
)
STATES = _w("OH PA IN IL MI WI IA MO KY TN VA NC GA AL TX CO OR WA NY NJ")
SKIES = (
    "Sunny",
    "Partly Cloudy",
    "Mostly Cloudy",
    "Cloudy",
    "Showers",
    "Rain",
    "Thunderstorms",
    "Fog",
    "Clear",
    "Windy",
)
NAMES = "Herald Gazette Tribune Journal Courier Times Post Ledger Sentinel Observer Register"
NAMES = [*_w(NAMES), "Daily News", "Press", "Chronicle", "Star", "Record", "Dispatch"]
TV = ("News 4", "Channel 7", "NewsCenter", "Eyewitness News", "Action News", "13 News Now")
CMS = ("WordPress VIP", "BLOX Digital", "Arc XP", "Brightspot", "Lede", "Town News")
COOKIE = (
    "We use cookies to give you the best experience on our website. By continuing to use"
    " this site you agree to our Cookie Policy. Accept",
    "This website uses cookies to improve your experience and to show you personalised"
    " advertising. Learn more about our use of cookies in our Privacy Policy. OK",
    "By using this site, you consent to our use of cookies and similar technologies. Manage"
    " preferences Accept all",
)
SUBSCRIBE = (
    "Subscribe for unlimited access. Get the first month for just 99 cents. Already a"
    " subscriber? Log in",
    "Sign up for our free daily newsletter and get the day's top headlines delivered to your"
    " inbox every morning. Sign up",
    "Support local journalism. Become a member today and get unlimited digital access to"
    " every story. Subscribe now",
    "You have reached your limit of free articles this month. Subscribe to keep reading."
    " Already have an account? Sign in",
)
SHARE = (
    "Share on Facebook Share on Twitter Share via Email Print this article",
    "Facebook Twitter WhatsApp SMS Email Print Copy article link Save",
    "Share this: Facebook X LinkedIn Reddit Email",
    "Tweet Share Pin Email Comments",
)
RELATED = ("Related Headlines", "More from {site}", "You May Also Like", "Recommended for you")
RELATED += ("Latest News", "Read more", "Top Stories")
TRENDING = ("Trending Now", "Most Popular", "Most Read", "Don't Miss")
LINKS = (
    "Terms of Use | Privacy Policy | Cookie Policy | Contact Us | Advertise With Us",
    "About Us · Contact · Careers · Advertise · Privacy · Terms · Site Map",
    "Contact Us / Submit a News Tip / Subscribe / Manage Subscription / e-Edition / Archives",
    "Privacy Notice Terms of Service Accessibility Ad Choices Do Not Sell My Personal Information",
)
COPYRIGHT = (
    "© {year} {site}. All rights reserved.",
    "Copyright © {year} {site}, a division of {owner} Media. All Rights Reserved.",
    "All content © Copyright {year} {site}. This material may not be published, broadcast,"
    " rewritten or redistributed.",
)
OWNERS = ("Gannett", "Lee", "Gray", "Sinclair", "Nexstar", "Adams", "Ogden", "Hearst")
DATE_FMT = ("%A, %B %-d, %Y", "%B %-d, %Y", "%a, %b %-d, %Y", "%m/%d/%Y")
POSTED = (
    "Posted: {date} / {clock}",
    "Published {date} at {clock}",
    "Updated {clock} | {date}",
    "By {site} Staff | {date}",
)
HEADER_BLOCKS = ("site", "nav", "date", "weather", "cookie", "subscribe", "posted", "share")
FOOTER_BLOCKS = ("share", "tags", "related", "trending", "subscribe", "links", "address", "copy")
P_HEADER = {
    "site": 0.9,
    "nav": 0.75,
    "date": 0.6,
    "weather": 0.45,
    "cookie": 0.3,
    "subscribe": 0.25,
    "posted": 0.5,
    "share": 0.45,
}
P_FOOTER = {
    "share": 0.3,
    "tags": 0.3,
    "related": 0.8,
    "trending": 0.35,
    "subscribe": 0.3,
    "links": 0.65,
    "address": 0.3,
    "copy": 0.8,
}


@dataclass(frozen=True)
class Template:
    """One outlet's page template (the fixed parts; ``page`` fills the rest per page)."""

    site: str
    town: str
    state: str
    header: tuple[str, ...]
    footer: tuple[str, ...]
    sep: str  # between template lines: "\n\n" or "\n"
    nav: str
    date_fmt: str
    posted: str
    cookie: str
    subscribe: str
    share: str
    related: str
    related_n: int
    trending: str
    trending_n: int
    links: str
    copy: str
    address: str
    cms: str
    tags: tuple[str, ...]


def outlet_template(k: int, *, wire: bool = False, seed: int = 0) -> Template:
    """The template of outlet ``k`` (a wire's own site carries a short one)."""
    r = random.Random(f"outlet-template:{seed}:{k}")  # str seeds hash with sha512: stable
    town, state = r.choice(TOWNS), r.choice(STATES)
    if r.random() < 0.3:
        site = f"{r.choice(TV)} {town}" if r.random() < 0.5 else f"K{_letters(r, 3)}-TV {town}"
    else:
        site = f"The {town} {r.choice(NAMES)}"
    ph = {b: p * (0.4 if wire else 1.0) for b, p in P_HEADER.items()}
    pf = {b: p * (0.4 if wire else 1.0) for b, p in P_FOOTER.items()}
    header = [b for b in HEADER_BLOCKS if r.random() < ph[b]]
    if len(header) > 2:  # sites order their header bars differently
        mid = header[1:]
        r.shuffle(mid)
        header = [header[0], *mid]
    footer = [b for b in FOOTER_BLOCKS if r.random() < pf[b] and b not in header]
    sep_nav = r.choice((" | ", " · ", " / ", "  ", "\n"))
    nav = sep_nav.join(["Home", *r.sample(SECTIONS[1:], r.randint(4, 14))])
    return Template(
        site=site,
        town=town,
        state=state,
        header=tuple(header),
        footer=tuple(footer),
        sep="\n\n" if r.random() < 0.7 else "\n",
        nav=nav,
        date_fmt=r.choice(DATE_FMT),
        posted=r.choice(POSTED),
        cookie=r.choice(COOKIE),
        subscribe=r.choice(SUBSCRIBE),
        share=r.choice(SHARE),
        related=r.choice(RELATED),
        related_n=r.randint(3, 8),
        trending=r.choice(TRENDING),
        trending_n=r.randint(3, 6),
        links=r.choice(LINKS),
        copy=r.choice(COPYRIGHT),
        address=f"{r.randint(10, 9999)} {r.choice(('Main', 'Market', 'Broad', 'Elm'))} St.,"
        f" {town}, {state} {r.randint(10000, 99999)}"
        f" · {r.randint(200, 999)}-555-{r.randint(1000, 9999)}",
        cms=r.choice(CMS),
        tags=tuple(r.sample(SECTIONS[1:], 6)),
    )


def _letters(r: random.Random, n: int) -> str:
    return "".join(r.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ") for _ in range(n))


def weather(t: Template, tm: time.struct_time) -> str:
    """The outlet's weather line of the day (same all day on one site)."""
    r = random.Random(f"weather:{t.site}:{tm.tm_year}:{tm.tm_yday}")
    hi = r.randint(20, 95)
    sky, top, low = r.choice(SKIES), hi + r.randint(0, 9), hi - r.randint(5, 25)
    return f"{t.town}, {t.state} {hi}°F {sky} · H {top}° L {low}°"


def page(
    t: Template,
    story: str,
    tm: time.struct_time,
    related: list[str],
    trending: list[str],
    rng: random.Random,
) -> tuple[str, list[str]]:
    """The page body: template blocks around ``story``; and the names of the blocks used."""
    date = time.strftime(t.date_fmt, tm)
    clock = time.strftime("%-I:%M %p", tm) + " EST"
    year = tm.tm_year

    def block(b: str) -> str | None:
        if b == "site":
            return t.site
        if b == "nav":
            return t.nav
        if b == "date":
            return date
        if b == "weather":
            return weather(t, tm)
        if b == "cookie":
            return t.cookie
        if b == "subscribe":
            return t.subscribe
        if b == "posted":
            return t.posted.format(date=date, clock=clock, site=t.site)
        if b == "share":
            return t.share
        if b == "tags":
            return "Tags: " + ", ".join(rng.sample(t.tags, rng.randint(2, 4)))
        if b == "related":
            return t.sep.join([t.related.format(site=t.site), *related[: t.related_n]])
        if b == "trending":
            return t.sep.join([t.trending, *trending[: t.trending_n]]) if trending else None
        if b == "links":
            return t.links
        if b == "address":
            return f"{t.site} · {t.address} · Powered by {t.cms}"
        return t.copy.format(year=year, site=t.site, owner=rng.choice(OWNERS))

    used, top, bottom = [], [], []
    for names, out in ((t.header, top), (t.footer, bottom)):
        for b in names:
            if b == "related" and not related:
                continue
            text = block(b)
            if text:
                out.append(text)
                used.append(b)
    return t.sep.join([*top, story, *bottom]), used
