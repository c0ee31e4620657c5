"""Outlets, boilerplate and text edits for the syndup reprint generator (see ``generate.py``).

All functions work on one article at a time with plain ``str`` operations. Randomness comes
only from the ``random.Random`` passed in, which ``generate.py`` seeds per story / per row, so
the output is deterministic and independent of how the corpus is chunked.
"""

from __future__ import annotations

import html
import itertools
import math
import random
import re
import zlib
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass

from numpy.random import PCG64, Generator

# --------------------------------------------------------------------------- rates
# Per-copy edits (role "reprint"): each is applied independently with this probability.
COPY_RATES = {
    "truncate": 0.25,  # keep the first 30-90% of paragraphs
    "drop_middle": 0.10,  # drop 1-2 paragraphs from the middle
    "insert_para": 0.06,  # a local paragraph inserted in the middle
    "swap_paras": 0.04,  # two adjacent paragraphs swapped
    "local_top": 0.05,  # a local paragraph added above the wire lead
    "apostrophe_drop": 0.04,  # Gomez’s -> Gomezs (non-ASCII stripped)
    "mojibake": 0.02,  # Gomez’s -> Gomezâ€™s (UTF-8 read as cp1252)
    "hl_punct": 0.08,
    "hl_apostrophe": 0.04,
    "hl_quotes": 0.05,
    "hl_prefix": 0.05,
    "hl_suffix": 0.03,
    "hl_words": 0.04,
    "hl_typo": 0.03,
}
# Outlet traits: the share of (non-wire) outlets that always do this.
OUTLET_TRAITS = {
    "dateline": (("keep", 0.60), ("strip", 0.20), ("city", 0.12), ("restyle", 0.08)),
    "byline": (("keep", 0.55), ("strip", 0.30), ("restyle", 0.15)),
    "quotes": (("keep", 0.60), ("straight", 0.30), ("curly", 0.10)),
    "hl_case": (("keep", 0.72), ("title", 0.12), ("sentence", 0.10), ("upper", 0.06)),
}
HEADER_P = {"weather": 0.10, "share": 0.12, "newsletter": 0.08, "advert": 0.10}
FOOTER_P = {
    "share": 0.20,
    "newsletter": 0.20,
    "click_original": 0.08,
    "wire_copyright": 0.35,
    "see_original": 0.10,
    "related": 0.15,
    "twitter": 0.15,
    "outlet_copyright": 0.15,
}
AD_BREAK_P, SITE_SUFFIX_P = 0.12, 0.18
TRIM_LATE_P = 0.5  # a copy of a later version of a write-through chain is cut to 35-75%

# --------------------------------------------------------------------------- wires
WIRES = (  # name, domain, dateline tag, dash, quote style of the wire's own copy
    ("Associated Press", "apnews.com", "AP", "—", "curly"),
    ("Reuters", "reuters.com", "Reuters", "-", "straight"),
    ("AFP", "afp.com", "AFP", "-", "straight"),
    ("CNN Wire", "cnn.com", "CNN", "—", "curly"),
    ("UPI", "upi.com", "UPI", "--", "straight"),
)
WIRE_WEIGHTS = (0.45, 0.30, 0.10, 0.08, 0.07)
WIRE_COPYRIGHT = {
    "AP": "Copyright {y} The Associated Press. All rights reserved. This material may not be "
    "published, broadcast, rewritten or redistributed.",
    "Reuters": "© Copyright {y} Thomson Reuters. All rights reserved.",
    "AFP": "© {y} AFP",
    "CNN": "The-CNN-Wire ™ & © {y} Cable News Network, Inc., a WarnerMedia Company. "
    "All rights reserved.",
    "UPI": "Copyright {y} United Press International, Inc. (UPI). Any reproduction, republication, "
    "redistribution and/or modification of any UPI content is expressly prohibited.",
}
CITIES = """
WASHINGTON NEW_YORK LONDON PARIS HELSINKI BERLIN TOKYO CHICAGO LOS_ANGELES MOSCOW BEIJING
SYDNEY TORONTO MEXICO_CITY ROME MADRID BRUSSELS GENEVA DALLAS ATLANTA DENVER SEATTLE BOSTON
MIAMI HOUSTON PHOENIX DETROIT NAIROBI CAIRO JOHANNESBURG SINGAPORE HONG_KONG SEOUL MANILA
NEW_DELHI ISTANBUL ATHENS WARSAW STOCKHOLM OSLO OTTAWA HAVANA LIMA BOGOTA BUENOS_AIRES
SAN_FRANCISCO PHILADELPHIA MINNEAPOLIS NASHVILLE
""".split()  # noqa: SIM905
CITIES = [c.replace("_", " ") for c in CITIES]
FIRST = "James Mary John Patricia Robert Jennifer Michael Linda David Elizabeth Maria Carlos Aya "
FIRST += "Wei Olga Ahmed Fatima Lars Ingrid Pierre Sofia Tom Kate Raj Priya Jon Ana Luis Emma Noah"
LAST = "Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez Lopez "
LAST += (
    "Gonzalez Wilson Anderson Thomas Taylor Moore Jackson Martin Lee Perez Thompson White Harris "
)
LAST += (
    "Sanchez Clark Ramirez Lewis Robinson Walker Young Allen King Wright Scott Torres Nguyen Hill"
)
FIRST_NAMES, LAST_NAMES = FIRST.split(), LAST.split()
MONTHS = ("Jan", "Feb", "March", "April", "May", "June", "July", "Aug", "Sept", "Oct", "Nov", "Dec")

# --------------------------------------------------------------------------- outlets
_TOWNS = """
Springfield Riverside Franklin Greenville Bristol Clinton Fairview Salem Madison Georgetown
Arlington Ashland Dover Oxford Jackson Burlington Manchester Milton Newport Auburn Dayton
Lexington Marion Oakland Winchester Hudson Kingston Centerville Lebanon Troy Plymouth
Sunbury Lancaster Beaufort Elmira Joplin Laramie Missoula Bangor Quincy Waco Yakima Tulsa
Duluth Fresno Peoria Macon Mobile Erie Akron Topeka Boise Flagstaff Billings Casper Bismarck
Pueblo Roanoke Lynchburg Asheville Savannah Augusta Pensacola Biloxi Shreveport Amarillo
Lubbock Odessa Tucson Reno Eugene Spokane Olympia Bellingham Anchorage Hilo Ogden Provo
Fargo Dubuque Rockford Kalamazoo Lansing Toledo Wheeling Morgantown Altoona Scranton Utica
Albany Concord Portland Hartford Trenton Wilmington Muncie Decatur Evansville Joliet Gadsden
Florence
""".split()  # noqa: SIM905
_PAPERS = """
Gazette Herald Daily_News Tribune Courier Times Press Journal Record Sentinel Post Observer
Star Chronicle Register Dispatch Democrat Bee Enterprise Examiner Leader Telegraph Review
Daily_Item Free_Press Independent Mercury Standard
""".split()  # noqa: SIM905
_PAPERS = [c.replace("_", " ") for c in _PAPERS]
_PAPERS = [p.replace("_", " ") for p in _PAPERS]
_PORTALS = (
    ("Yahoo News", "news.yahoo.com"),
    ("MSN", "msn.com"),
    ("AOL", "aol.com"),
    ("CenturyLink News", "centurylink.net"),
    ("NewsBreak", "newsbreak.com"),
    ("SFGate", "sfgate.com"),
    ("Houston Chronicle", "chron.com"),
    ("Fox News", "foxnews.com"),
    ("ABC News", "abcnews.go.com"),
    ("U.S. News & World Report", "usnews.com"),
    ("Daily Mail", "dailymail.co.uk"),
    ("Business Insider", "businessinsider.com"),
    ("The Seattle Times", "seattletimes.com"),
    ("Star Tribune", "startribune.com"),
    ("The Washington Post", "washingtonpost.com"),
    ("The Boston Globe", "bostonglobe.com"),
    ("Los Angeles Times", "latimes.com"),
    ("Chicago Tribune", "chicagotribune.com"),
    ("New York Post", "nypost.com"),
    ("Newsmax", "newsmax.com"),
    ("Raw Story", "rawstory.com"),
    ("The Daily Item", "dailyitem.com"),
    ("WV News", "wvnews.com"),
    ("KSL.com", "ksl.com"),
    ("The Independent", "independent.co.uk"),
    ("Outlook India", "outlookindia.com"),
    ("The Day", "theday.com"),
    ("Times Union", "timesunion.com"),
    ("KXAN", "kxan.com"),
)
N_REGULAR = 397  # prime, so copy c of a story can use outlet (a + c*b) % N_REGULAR, all distinct
SHARE = ("Share this story", "Share this:", "Share on Facebook Share on Twitter Share via Email")
NEWSLETTER = (
    "Subscribe to our newsletter",
    "Sign up for our daily newsletter to get the latest headlines delivered to your inbox.",
    "Get the latest news delivered daily! Subscribe to our newsletter.",
)
CLICK = ("Click here to see the original post", "Click here to read the full story.")
SEE_ORIG = ("See the original post here:", "Read more from the original source:", "Read More:")
RELATED = ("Related: {}", "RELATED: {}", "READ MORE: {}")
WEATHER = ("Today: {t}°F {c}", "{town} weather: {t}° {c}", "Currently {t}°F, {c} | Tomorrow {u}°F")
SKY = ("Partly cloudy", "Sunny", "Cloudy", "Light rain", "Clear", "Showers", "Snow", "Fog")


@dataclass(frozen=True)
class Outlet:
    name: str
    domain: str
    kind: str  # wire | portal | tv | paper | small
    wire: int  # index into WIRES for wires, -1 otherwise
    url_style: int
    header: tuple[str, ...]  # boilerplate templates above the article
    footer: tuple[str, ...]  # ... and below it
    ad_every: int  # "Advertisement" after every k paragraphs (0 = never)
    dateline: str
    byline: str
    quotes: str
    hl_case: str
    hl_site: str  # suffix added to every headline, e.g. " - The Boston Globe"
    town: str


def _pick(g: Generator, options: tuple[tuple[str, float], ...]) -> str:
    return options[int(g.choice(len(options), p=[p for _, p in options]))][0]


def build_outlets(small: int = 0) -> list[Outlet]:
    """5 wires + ``N_REGULAR`` outlets + ``small`` small outlets; fixed (independent of the
    corpus seed). The small outlets (local sites, each with a page or two in a corpus) only
    appear in the realistic profile; the others do not depend on ``small``."""
    g = Generator(PCG64(20_190_101))
    out = [
        Outlet(n, d, "wire", i, 9, (), (), 0, "keep", "keep", "keep", "keep", "", "")
        for i, (n, d, *_r) in enumerate(WIRES)
    ]
    names: list[tuple[str, str, str, str]] = [(n, d, "portal", "") for n, d in _PORTALS]
    seen = {n for n, *_ in names}
    while len(names) < N_REGULAR:
        town = _TOWNS[int(g.integers(len(_TOWNS)))]
        if g.random() < 0.3:
            name, dom = _call_sign(g)
            kind = "tv"
        else:
            paper = _PAPERS[int(g.integers(len(_PAPERS)))]
            name, kind = f"The {town} {paper}", "paper"
            dom = (town + paper).replace(" ", "").replace("-", "") + ".com"
        if name not in seen:
            seen.add(name)
            names.append((name, dom.lower(), kind, town))
    out += [_outlet(g, *x) for x in names]
    if small:
        g2, small_names = Generator(PCG64(20_261_202)), []
        while len(small_names) < small:
            town = _TOWNS[int(g2.integers(len(_TOWNS)))]
            if g2.random() < 0.3:
                name, dom = _call_sign(g2)
                name, dom, kind = f"{name} {town}", f"{town}{dom}", "tv"
            else:
                suffix = _SMALL_SUFFIX[int(g2.integers(len(_SMALL_SUFFIX)))]
                name, kind = f"{town} {suffix}", "small"
                dom = (town + suffix).replace(" ", "").replace("-", "") + ".com"
            if name not in seen:
                seen.add(name)
                small_names.append((name, dom.lower(), kind, town))
        out += [_outlet(g2, *x) for x in small_names]
    return out


_SMALL_SUFFIX = """
Now Today Patch Daily_Voice Local_News Online News_Network Weekly Shopper Beacon Ledger
Messenger Citizen Pilot Gleaner Advocate Banner Clarion Argus Sun Eagle News-Leader
""".split()  # noqa: SIM905
_SMALL_SUFFIX = [x.replace("_", " ") for x in _SMALL_SUFFIX]


def _call_sign(g: Generator) -> tuple[str, str]:
    call = str(g.choice(["K", "W"])) + "".join(g.choice(list("ABCDEFGHIKLMNOPRSTVWXY"), 3))
    num = int(g.integers(2, 14))
    return [
        (f"{call}.com", f"{call}.com"),
        (f"{call} {num}", f"{call}{num}.com"),
        (f"{call}-TV", f"{call}tv.com"),
    ][int(g.integers(3))]


def _outlet(g: Generator, name: str, dom: str, kind: str, town: str) -> Outlet:
    head = tuple(k for k, p in HEADER_P.items() if g.random() < p)
    fp = dict(FOOTER_P, see_original=0.4) if kind == "portal" else FOOTER_P
    foot = tuple(k for k, p in fp.items() if g.random() < p)
    tmpl = {
        "share": SHARE,
        "newsletter": NEWSLETTER,
        "click_original": CLICK,
        "see_original": SEE_ORIG,
        "related": RELATED,
        "weather": WEATHER,
    }
    head = tuple(str(g.choice(tmpl[k])) if k in tmpl else k for k in head)
    foot = tuple(str(g.choice(tmpl[k])) + "\x00" + k if k in tmpl else k for k in foot)
    handle = re.sub(r"[^A-Za-z0-9]", "", name.replace("The ", ""))[:15]
    foot = tuple(f"twitter\x00{handle}" if k == "twitter" else k for k in foot)
    site = str(g.choice([" - ", " | "])) + name if g.random() < SITE_SUFFIX_P else ""
    return Outlet(
        name,
        dom,
        kind,
        -1,
        int(g.integers(5)),
        head,
        foot,
        int(g.integers(3, 6)) if g.random() < AD_BREAK_P else 0,
        _pick(g, OUTLET_TRAITS["dateline"]),
        _pick(g, OUTLET_TRAITS["byline"]),
        _pick(g, OUTLET_TRAITS["quotes"]),
        _pick(g, OUTLET_TRAITS["hl_case"]),
        site,
        town or "Springfield",
    )


# --------------------------------------------------------------------------- text helpers
SENT_RE = re.compile(r"(?:(?<=[.!?])|(?<=[.!?][\"”]))\s+(?=[\"“(]?[A-Z0-9])")
_SENT_END = re.compile(r"[.!?][\"”]?(\s+)(?=[\"“(]?[A-Z0-9])")
ABBR_RE = re.compile(
    r"(?:\b[A-Z]|\b(?:Mr|Mrs|Dr|St|Gen|Col|Capt|Lieut|Gov|Sen|Rep|Rev|Jan|Feb|Aug|"
    r"Sept|Oct|Nov|Dec|No|Co|Corp|Inc|Jr|Sr|Hon|Prof|Mt|Ft|Gov|Lt|Sgt))\.$"
)
QUOTE_RE = re.compile(r"(?:^|(?<=[\s(]))[\"“](\S[^\"“”]{10,}?\S)[,.!?]?[\"”](?=[\s,.;:)!?]|$)")
ENT_RE = re.compile(r"\b[A-Z][a-zA-Z]{2,}\b")
NUM_RE = re.compile(r"\b\d[\d,.]*\d\b|\b\d\b")
_SMALL = frozenset(
    """
    a an and as at but by for from in into of on or the to up via vs with
    """.split()  # noqa: SIM905
)
_TO_STRAIGHT = str.maketrans({"“": '"', "”": '"', "‘": "'", "’": "'"})
_MOJIBAKE = str.maketrans({"’": "â€™", "“": "â€œ", "”": "â€\x9d", "—": "â€”", "‘": "â€˜"})
DIGIT_TABLES = [
    bytes(range(48)) + bytes(random.Random(k).sample(b"0123456789", 10)) + bytes(range(58, 256))
    for k in range(720)
]
_OCR = {
    "m": "rn",
    "l": "1",
    "1": "l",
    "O": "0",
    "0": "O",
    "e": "c",
    "c": "e",
    "i": "l",
    "h": "b",
    "u": "n",
    "n": "u",
    "S": "5",
    "B": "8",
    "I": "l",
    "a": "o",
    "t": "f",
    ",": ".",
}
_HL_WORDS = (
    ("says", "said"),
    ("U.S.", "US"),
    (" and ", " & "),
    (" percent", "%"),
    ("Government", "Govt."),
    ("President", "Pres."),
    (" to ", " will "),
)


def words(text: str) -> int:
    return text.count(" ") + 1


def to_straight(text: str) -> str:
    if "’" in text or "“" in text or "”" in text or "‘" in text:
        return text.translate(_TO_STRAIGHT)
    return text


def quote_style(text: str, style: str) -> str:
    if style == "curly":
        return to_curly(text) if "'" in text or '"' in text else text
    return to_straight(text) if style == "straight" else text


def to_curly(text: str) -> str:
    text = re.sub(r'(^|[\s(\[—-])"', "\\1“", text)
    text = re.sub(r"(\w)'(\w)", "\\1’\\2", text.replace('"', "”"))
    return re.sub(r"(^|\s)'", "\\1‘", text).replace("'", "’")


def title_case(text: str) -> str:
    ws = text.split(" ")
    return " ".join(
        w if (i and w.lower() in _SMALL) or w[:1].isupper() or not w else w[:1].upper() + w[1:]
        for i, w in enumerate(ws)
    )


def sentence_case(text: str, ents: dict[str, int]) -> str:
    ws = text.split(" ")
    return " ".join(
        w if i == 0 or w in ents or w.isupper() else w.lower() for i, w in enumerate(ws)
    )


def split_sentences(para: str) -> list[str]:
    """Sentences of a paragraph; no split after initials and common abbreviations."""
    out, start = [], 0
    for m in _SENT_END.finditer(para):
        end = m.start(1)
        if ABBR_RE.search(para, max(start, end - 8), end) or para.count(" ", end, end + 30) < 3:
            continue
        out.append(para[start:end])
        start = m.end()
    out.append(para[start:])
    return out


def slug(headline: str) -> str:
    return "-".join(re.sub(r"[^a-z0-9]+", " ", headline.lower()).split()[:9]) or "story"


def person(rng: random.Random) -> str:
    return f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"


def swap_entities(text: str, ents: list[str], idx: dict[str, int], mult: int, salt: int) -> str:
    """Replace every known entity token consistently (same token -> same replacement)."""
    n = len(ents)

    def rep(m: re.Match[str]) -> str:
        i = idx.get(m.group())
        return m.group() if i is None or not n else ents[(i * mult + salt) % n]

    return ENT_RE.sub(rep, text)


def map_to(text: str, idx: dict[str, int], targets: list[str], nums: list[str]) -> str:
    """Rewrite foreign text so its entities/numbers become ``targets``/``nums`` (same event)."""
    seen: dict[str, str] = {}

    def ent(m: re.Match[str]) -> str:
        w = m.group()
        if w not in idx or not targets:
            return w
        if w not in seen:
            seen[w] = targets[len(seen) % len(targets)]
        return seen[w]

    text = ENT_RE.sub(ent, text)
    if nums:
        it = itertools.count()
        text = NUM_RE.sub(lambda m: nums[next(it) % len(nums)], text)
    return text


# Function-word rewordings: reused paragraphs get a random subset, so two stories that drew the
# same source paragraph share few word 5-grams (entity/digit swaps alone leave long runs).
REWORD = (  # applied in this order: no replacement contains a later key, so nothing chains
    (" that ", (" which ",)),
    (" the ", (" this ", " that ")),
    (" a ", (" one ", " the ")),
    (" for ", (" toward ",)),
    (" of ", (" from ", " for ")),
    (" to ", (" toward ", " into ")),
    (" and ", (" as well as ", " plus ")),
    (" at ", (" near ",)),
    (" in ", (" within ", " at ")),
    (" said ", (" says ", " stated ", " told reporters ")),
    (" on ", (" upon ",)),
    (" with ", (" alongside ", " along with ")),
    (" by ", (" via ",)),
    (" has ", (" had ",)),
    (" would ", (" could ",)),
    (" will ", (" would ", " shall ")),
    (" it ", (" this ",)),
    (" he ", (" she ",)),
    (" his ", (" her ",)),
    (" are ", (" were ",)),
    (" is ", (" was ",)),
    (" be ", (" become ",)),
    (" not ", (" never ",)),
)


def reword_table(rng: random.Random, p: float = 0.75) -> list[tuple[str, str]]:
    return [(a, b[rng.randrange(len(b))]) for a, b in REWORD if rng.random() < p]


def reword(text: str, table: list[tuple[str, str]]) -> str:
    for a, b in table:
        text = text.replace(a, b)
    return text


def main_entities(paras: list[str], idx: dict[str, int], k: int = 6) -> tuple[list[str], list[str]]:
    text = " ".join(paras)
    ents = Counter(w for w in ENT_RE.findall(text) if w in idx).most_common(k)
    nums = Counter(NUM_RE.findall(text)).most_common(4)
    return [w for w, _ in ents], [w for w, _ in nums]


def quotations(paras: list[str]) -> list[str]:
    """Sentences with a direct quotation of >= 4 words."""
    return [
        s
        for p in paras
        if '"' in p or "“" in p
        for s in split_sentences(p)
        if any(words(q) >= 4 for q in QUOTE_RE.findall(s))
    ]


def ocr_noise(text: str, rate: float, rng: random.Random) -> str:
    """OCR damage at ``rate`` per word: rn<->m, l<->1, O<->0, ..., dropped spaces, split words."""
    n = len(text)
    if rate <= 0 or n == 0:
        return text
    pc = min(0.5, rate * words(text) / n)
    logq = math.log1p(-pc)
    out: list[str] = []
    last, p = 0, -1
    while True:
        p += int(math.log(1.0 - rng.random()) / logq) + 1
        if p >= n:
            break
        if p < last:
            continue
        ch, op = text[p], rng.random()
        if ch == "\n":
            continue
        if ch == "r" and text[p + 1 : p + 2] == "n":
            out.append(text[last:p] + "m")
            last = p + 2
        elif ch == " " or op >= 0.85:  # dropped space: glue this word to the next one
            q = text.find(" ", p, p + 14)
            if q >= 0:
                out.append(text[last:q])
                last = q + 1
        elif op < 0.6 and ch in _OCR:
            out.append(text[last:p] + _OCR[ch])
            last = p + 1
        elif op < 0.75 and ch.isalpha() and text[p - 1 : p].isalpha():  # split word
            out.append(text[last:p] + " " + ch)
            last = p + 1
        else:  # dropped character
            out.append(text[last:p])
            last = p + 1
    out.append(text[last:])
    return "".join(out)


# --------------------------------------------------------------------------- headlines
def edit_headline(
    hl: str, out: Outlet, rng: random.Random, ents: dict[str, int], edits: list[str], copy: bool
) -> str:
    if out.hl_case != "keep":
        hl = {"title": title_case, "upper": str.upper}.get(out.hl_case, lambda t: t)(hl)
        if out.hl_case == "sentence":
            hl = sentence_case(hl, ents)
        edits.append(f"hl_case_{out.hl_case}")
    r = COPY_RATES if copy else {}
    if rng.random() < r.get("hl_punct", 0):
        for a, b in ((": ", " - "), (" - ", ": "), ("?", ""), (", ", " "), ("'", '"')):
            if a in hl:
                hl = hl.replace(a, b, 1)
                break
        else:
            hl += "..." if rng.random() < 0.5 else "!"
        edits.append("hl_punct")
    if rng.random() < r.get("hl_apostrophe", 0) and re.search(r"\w['’]\w", hl):
        hl = re.sub(r"(?<=\w)['’](?=\w)", "", hl)
        edits.append("hl_apostrophe")
    if rng.random() < r.get("hl_quotes", 0):
        hl = to_curly(hl) if hl == to_straight(hl) else to_straight(hl)
        edits.append("hl_quotes")
    if rng.random() < r.get("hl_words", 0):
        pairs = [(a, b) for a, b in _HL_WORDS if a in hl]
        ws = hl.split(" ")
        if pairs:
            hl = hl.replace(*pairs[rng.randrange(len(pairs))], 1)
        elif len(ws) > 3:
            i = rng.randrange(1, len(ws) - 1)
            ws[i], ws[i + 1] = ws[i + 1], ws[i]
            hl = " ".join(ws)
        edits.append("hl_words")
    if rng.random() < r.get("hl_typo", 0):
        ws = hl.split(" ")
        cand = [i for i, w in enumerate(ws) if len(w) >= 4 and w.isalpha()]
        if cand:
            i = rng.choice(cand)
            w, j = ws[i], rng.randrange(1, len(ws[i]) - 1)
            ws[i] = (
                w[:j] + w[j + 1 :]
                if rng.random() < 0.5
                else w[: j - 1] + w[j] + w[j - 1] + w[j + 1 :]
            )
            hl = " ".join(ws)
            edits.append("hl_typo")
    if rng.random() < r.get("hl_prefix", 0):
        hl = rng.choice(("Report: ", "WATCH: ", "UPDATE: ", "BREAKING: ", "VIDEO: ")) + hl
        edits.append("hl_prefix")
    if rng.random() < r.get("hl_suffix", 0):
        hl += rng.choice((" | Opinion", " (VIDEO)", " (PHOTOS)", " - Live updates", " [Video]"))
        edits.append("hl_suffix")
    if out.hl_site:
        hl += out.hl_site
        edits.append("hl_site")
    return hl


# --------------------------------------------------------------------------- datelines/bylines
def dateline(city: str, wire: int, style: str, month: int, day: int) -> str:
    if style == "none":
        return ""
    tag, dash = WIRES[wire][2], WIRES[wire][3]
    if style == "city":
        return f"{city} — "
    if tag == "CNN":
        return "(CNN) — " if style == "wire" else f"{city} (CNN) — "
    if style == "wire_date":
        mon = MONTHS[month - 1] + (
            "." if tag in ("AP", "UPI") and len(MONTHS[month - 1]) > 4 else ""
        )
        return f"{city}, {mon} {day} ({tag}) {dash} "
    return f"{city} ({tag}) {dash} "


def byline(author: str, wire: int, restyle: bool) -> str:
    tag = WIRES[wire][2]
    if restyle:
        return {
            "AP": f"By {author}, The Associated Press",
            "Reuters": "By Reuters Staff",
            "AFP": "Agence France-Presse",
            "CNN": f"{author} | CNN",
        }.get(tag, f"From {tag}")
    return {"AP": f"By {author.upper()} Associated Press", "CNN": f"By {author}, CNN"}.get(
        tag, f"By {author}"
    )


def boilerplate(
    items: tuple[str, ...],
    out: Outlet,
    wire: int,
    year: int,
    day: int,
    rng: random.Random,
    hl_pool: list[str],
) -> list[str]:
    res = []
    for item in items:
        text, _, kind = item.partition("\x00")
        if item == "advert":
            res.append("Advertisement")
        elif item == "wire_copyright":
            res.append(WIRE_COPYRIGHT[WIRES[wire][2]].format(y=year))
        elif item == "outlet_copyright":
            res.append(f"Copyright {year} {out.name}. All rights reserved.")
        elif text == "twitter":
            res.append(f"Follow us on Twitter @{kind}")
        elif "{t}" in text:  # weather widget: same for one outlet on one day
            w = random.Random(zlib.crc32(f"{out.domain}:{day}".encode()))
            t = w.randrange(20, 95)
            res.append(text.format(t=t, u=t + w.randrange(-8, 8), c=w.choice(SKY), town=out.town))
        elif kind == "see_original":
            k = rng.randrange(3, 9)
            res.append("\n".join([text] + [rng.choice(hl_pool) for _ in range(k)]))
        elif kind == "related":
            res.append(text.format(rng.choice(hl_pool)))
        else:
            res.append(text)
    return res


# --------------------------------------------------------------------------- source text
_TICKER = re.compile(r"\s*<[^<>\n]{1,15}>")
_PROSE_END = re.compile(r"[.!?][\"')]?$")


def smart_title(hl: str, body: str) -> str:
    """UPPER CASE headline -> Title Case, keeping forms seen in the body (BP, Standard Oil)."""
    hl = " ".join(_TICKER.sub("", hl).split())
    letters = [c for c in hl if c.isalpha()]
    if not letters or sum(c.isupper() for c in letters) < 0.8 * len(letters):
        return hl
    forms = {
        w.lower().replace(".", ""): w[:-1] if w.count(".") == 1 and w[-1] == "." else w
        for w in re.findall(r"[A-Za-z][\w'&.-]*", body)
        if not w.islower()
    }
    ws = [
        w
        if re.fullmatch(r"(?:[A-Z]\.)+[A-Z]?", w)
        else forms.get(w.lower().replace(".", ""), w.lower())
        for w in hl.split(" ")
    ]
    return title_case(" ".join(ws))


def reuters_doc(sid: str, hl: str, body: str) -> Iterator[tuple[str, str, str]]:
    """A Reuters-21578 story of >= 80 words of prose (tables dropped), paragraphs rejoined."""
    body = html.unescape(_TICKER.sub("", body)).strip()
    body = re.sub(r"\s*\bReuter\s*$", "", body, flags=re.IGNORECASE)
    paras = [" ".join(p.split()) for p in re.split(r"\n[ \t]+", body)]
    paras = [p for p in paras if p]
    n = sum(words(p) for p in paras)
    prose = sum(words(p) for p in paras if _PROSE_END.search(p))
    if n >= 80 and prose >= 0.8 * n and hl.strip():
        yield f"reuters:{sid}", smart_title(hl, body), "\n\n".join(paras)


def _ag_text(s: str) -> str:
    s = re.sub(
        r"#(\d+);",
        lambda m: (
            bytes([int(m[1])]).decode("cp1252", "ignore")
            if 128 <= int(m[1]) < 256
            else chr(int(m[1]))
        ),
        html.unescape(s),
    )
    return " ".join(s.replace("\\", " ").split())


def ag_doc(sid: str, hl: str, body: str) -> Iterator[tuple[str, str, str]]:
    """An AG News item without its ``(AP)`` / ``AP - `` source tags."""
    hl = re.sub(r"\s*\([\w. ]{2,20}\)$", "", _ag_text(hl))
    body = _ag_text(body)
    body = re.sub(r"^[\w.]{2,20} -+ (?:[A-Z][A-Za-z .,']{2,40}(?:\([\w ]+\))? -+ )?", "", body)
    if words(body) >= 12 and hl:
        yield f"ag:{sid}", hl, body


_EDGE = re.compile(r"\s(?:[|!{}\[\]\\/jJtri1l;:'\",.]|[^\w\s]+)$")
_LEADJUNK = re.compile(r"^[^\w\s\"'(]+\s")
_WORDLIKE = re.compile(r"(?:^|(?<=\s))[\"'(]*[A-Za-z][a-z]+(?:['-][a-z]+)?[.,;:!?\"')]*(?=\s|$)")


def chronam_chunks(pid: str, text: str) -> Iterator[tuple[str, str, str]]:
    """Cut one OCR'd front page into article-sized chunks of good sentences."""
    rng = random.Random(zlib.crc32(pid.encode()))
    segs: list[tuple[str, str]] = []
    head, buf = "", ""
    for raw in text.split("\n"):
        line = " ".join(raw.split())
        if len(line) > 20:
            line = _LEADJUNK.sub("", _EDGE.sub("", line))
        if not line:
            continue
        if line.isupper() and len(line) >= 8:  # a headline deck
            if buf:
                segs.append((head, buf))
                head, buf = "", ""
            head = f"{head} {line}".strip()
        elif buf.endswith("-") and line[:1].islower():  # de-hyphenate
            buf = buf[:-1] + line
        else:
            buf = f"{buf} {line}" if buf else line
    segs.append((head, buf))
    sents: list[str] = []
    chunk_head, goal = "", rng.randint(200, 600)
    for head, body in segs:
        if not sents:
            chunk_head = head
        for s in SENT_RE.split(body):
            n = words(s)
            if sents and ABBR_RE.search(sents[-1]):
                sents[-1] += " " + s
                continue
            if n > 150 or len(_WORDLIKE.findall(s)) < 0.8 * n:  # OCR garbage breaks the chunk
                if sum(words(x) for x in sents) >= 150:
                    yield _chunk(pid, chunk_head, sents, rng)
                sents, chunk_head = [], ""
                continue
            if sents and n < 3:
                sents[-1] += " " + s
            else:
                sents.append(s)
            total = sum(words(x) for x in sents)
            if total >= goal or total > 650:
                yield _chunk(pid, chunk_head, sents, rng)
                sents, chunk_head, goal = [], "", rng.randint(200, 600)
    if sum(words(x) for x in sents) >= 150:
        yield _chunk(pid, chunk_head, sents, rng)


def _chunk(pid: str, head: str, sents: list[str], rng: random.Random) -> tuple[str, str, str]:
    while sum(words(s) for s in sents) > 700:
        sents.pop()
    paras, cur = [], []
    for s in sents:
        cur.append(s)
        if len(cur) >= rng.randint(2, 4) or words(" ".join(cur)) > 90:
            paras.append(" ".join(cur))
            cur = []
    paras += [" ".join(cur)] if cur else []
    hw = head.split()
    if 2 <= len(hw) <= 14 and len(_WORDLIKE.findall(head.title())) >= 0.7 * len(hw):
        hl = title_case(head.lower().capitalize()).rstrip(" .,;:-")
    else:  # headline from the lead: first clause (4-10 words)
        clause = re.split(r"[,;:]", sents[0])[0].split()
        hl = " ".join((clause if len(clause) >= 4 else sents[0].split())[:10]).rstrip(".!?,;:")
    return f"chronam:{pid}:{zlib.crc32(paras[0].encode()):08x}", hl, "\n\n".join(paras)


# --------------------------------------------------------------------------- stories
class Version:
    __slots__ = ("_styled", "headline", "paras")

    def __init__(self, headline: str, paras: list[str]) -> None:
        self.headline, self.paras = headline, paras
        self._styled: dict[str, list[str]] = {}

    def styled(self, style: str) -> list[str]:
        """Paragraphs with "straight" or "curly" quotes (cached: many copies share a version)."""
        if style not in self._styled:
            self._styled[style] = [quote_style(p, style) for p in self.paras]
        return self._styled[style]


class Story:
    """One base story (version 0) plus its wire write-throughs (versions 1..), built lazily."""

    __slots__ = (
        "_ents",
        "author",
        "chain",
        "city",
        "day",
        "dl_style",
        "fam",
        "month",
        "seed",
        "tail",
        "top",
        "versions",
        "wire",
    )

    def __init__(
        self,
        ctx,
        fam: int,
        src: int,
        seed: int,
        wire: int,
        month: int,
        day: int,
        has_neg: bool,
        target: int | None,
        chain: int = 0,
    ) -> None:
        rng = random.Random(seed)
        self.seed, self.fam, self.wire, self.month, self.day = seed, fam, wire, month, day
        self.chain = chain  # number of versions of a write-through chain (0: the mild model)
        if src >= 0:  # a real source body, unchanged
            hl, paras = ctx.headlines[src], list(ctx.paras[src])
        else:  # synthesised: sentence runs of many sources, reworded, entities/digits swapped
            pool, lens = ctx.fam_src[fam], ctx.fam_len[fam]
            goal = target or max(60, lens[rng.randrange(len(lens))])
            hl = ctx.headlines[pool[rng.randrange(len(pool))]]
            dis = _disguise(ctx, rng, [hl, *compose(ctx, fam, rng, goal)])
            hl, paras = dis[0], dis[1:]
        if target:
            paras = _fit_length(ctx, rng, paras, target, fam)
        self._ents: tuple[list[str], list[str]] | None = None
        if has_neg:
            self._ents = main_entities(paras, ctx.ent_idx)
            if not quotations(paras):
                _inject_quote(paras, rng, self._ents[0])
        self.city, self.author = rng.choice(CITIES), person(rng)
        tag = WIRES[wire][2]
        self.dl_style = (
            "wire_date" if rng.random() < (0.5 if tag == "Reuters" else 0.15) else "wire"
        )
        self.top = tag != "AFP" and rng.random() < 0.7
        self.tail: list[str] = []
        if tag == "AP" and rng.random() < 0.3:
            self.tail = [
                f"Associated Press writer {person(rng)} in "
                f"{rng.choice(CITIES).title()} contributed to this report."
            ]
        elif tag == "Reuters" and rng.random() < 0.6:
            self.tail = [f"(Reporting by {self.author}; Editing by {person(rng)})"]
        self.versions = [Version(hl, paras)]

    def entities(self, ctx) -> tuple[list[str], list[str]]:
        """Main named entities and numbers of the base story (for write-throughs, negatives)."""
        if self._ents is None:
            self._ents = main_entities(self.versions[0].paras, ctx.ent_idx)
        return self._ents

    @classmethod
    def plain(
        cls,
        fam: int,
        seed: int,
        wire: int,
        month: int,
        day: int,
        hl: str,
        paras: list[str],
        *,
        city: str = "",
        dl_style: str = "none",
        ents: tuple[list[str], list[str]] | None = None,
    ) -> Story:
        """A story with given text and no byline or tail (a roundup, a templated notice)."""
        st = cls.__new__(cls)
        st.seed, st.fam, st.wire, st.month, st.day, st.chain = seed, fam, wire, month, day, 0
        st.city, st.author, st.dl_style, st.top, st.tail = city, "", dl_style, False, []
        st._ents, st.versions = ents, [Version(hl, paras)]
        return st

    def version(self, ctx, v: int) -> Version:
        while len(self.versions) <= v:
            k = len(self.versions)
            rng = random.Random(self.seed + 7919 * k)
            if self.chain:
                if __package__:
                    from . import chains
                else:  # run as a script
                    import chains
                self.versions.append(chains.chain_version(ctx, self, k, rng))
            else:
                self.versions.append(_writethrough(ctx, self, k, rng))
        return self.versions[v]


def _disguise(ctx, rng: random.Random, paras: list[str]) -> list[str]:
    """Swap entities and permute digits consistently (one map per call)."""
    mult, salt = rng.randrange(1, 1 << 30) | 1, rng.randrange(1 << 30)
    tr, tab = DIGIT_TABLES[rng.randrange(len(DIGIT_TABLES))], reword_table(rng)
    text = swap_entities("\n\n".join(paras), ctx.ents, ctx.ent_idx, mult, salt)
    return reword(text, tab).encode().translate(tr).decode().split("\n\n")


def _sentences(ctx, src: int) -> list[str]:
    got = ctx.sents[src]
    if got is None:  # memoised: sources are reused many times in a large corpus
        got = ctx.sents[src] = [x for p in ctx.paras[src] for x in split_sentences(p)]
    return got


def compose(ctx, fam: int, rng: random.Random, goal: float) -> list[str]:
    """>= goal words of runs of 1-3 sentences from random sources, grouped into paragraphs.

    Runs are short so two stories drawing on the same source rarely share more than a sentence
    or two; callers reword / swap entities on top.
    """
    pool, paras, cur, n, total, k = ctx.fam_src[fam], [], [], 0, 0, rng.randint(2, 4)
    while total + n < goal:
        ss = _sentences(ctx, pool[rng.randrange(len(pool))])
        i, run = rng.randrange(len(ss)), 0
        for x in ss[i : i + rng.randint(1, 3)]:
            if words(x) > 50:  # OCR run-on: keep a window of it
                ws = x.split(" ")
                j = rng.randrange(len(ws) - 30)
                x = " ".join(ws[j : j + 30]).rstrip(",;:") + "."
            if run > 40 or (run and total + n >= goal):
                break
            run += words(x)
            cur.append(x)
            n += words(x)
            if len(cur) >= k or n > 90:
                paras.append(" ".join(cur))
                total, cur, n, k = total + n, [], 0, rng.randint(2, 4)
    return [*paras, " ".join(cur)] if cur else paras


def _foreign(ctx, fam: int, rng: random.Random) -> str:
    """One paragraph of other stories' sentences (local angle, write-through, negative)."""
    return " ".join(compose(ctx, ctx.ext_fam[fam], rng, rng.randint(25, 70)))


def _fit_length(ctx, rng: random.Random, paras: list[str], target: int, fam: int) -> list[str]:
    goal = target * rng.uniform(0.9, 1.1)
    lo, hi = max(goal * 0.9, target * 0.82), min(goal * 1.1, target * 1.18)
    total = sum(words(p) for p in paras)
    if total < lo:  # extend with sentences of other stories, disguised
        extra = _disguise(ctx, rng, compose(ctx, ctx.ext_fam[fam], rng, lo - total))
        paras += extra
        total += sum(words(p) for p in extra)
    while len(paras) > 1 and total - words(paras[-1]) >= lo:
        total -= words(paras.pop())
    if total > hi:  # cut the last paragraph by sentences, then by words
        sents, last = split_sentences(paras[-1]), words(paras[-1])
        while len(sents) > 1 and total - last + words(" ".join(sents[:-1])) >= lo:
            sents.pop()
        paras[-1] = " ".join(sents)
        total = total - last + words(paras[-1])
        if total > hi:
            ws = paras[-1].split(" ")
            paras[-1] = " ".join(ws[: max(3, len(ws) - int(total - hi))]).rstrip(",;:") + "."
    return paras


def _inject_quote(paras: list[str], rng: random.Random, ents: list[str]) -> None:
    sents = [(i, s) for i, p in enumerate(paras) for s in split_sentences(p) if '"' not in s]
    cand = [(i, s) for i, s in sents if words(s) >= 8] or [
        (i, s) for i, s in sents if words(s) >= 4
    ]
    if not cand:
        return
    i, s = cand[rng.randrange(len(cand))]
    who = rng.choice(ents) if ents else rng.choice(("a spokesman", "officials", "a spokeswoman"))
    paras[i] = paras[i].replace(s, f'"{s.rstrip(".!?;:")}," {who} said.', 1)


def _writethrough(ctx, st: Story, v: int, rng: random.Random) -> Version:
    """A later wire version: new lead sentence, 1-3 paragraphs rewritten/replaced."""
    prev = st.versions[v - 1]
    paras = list(prev.paras)

    ents, nums = st.entities(ctx)
    tab = reword_table(rng)

    def fresh(n: int) -> str:
        text = " ".join(compose(ctx, ctx.ext_fam[st.fam], rng, n))
        return reword(map_to(text, ctx.ent_idx, ents, nums), tab)

    sents = split_sentences(paras[0])
    lead = split_sentences(fresh(20))[0]
    if len(sents) > 1 and rng.random() < 0.7:
        sents[0] = lead
    else:
        sents.insert(0, lead)
    paras[0] = " ".join(sents)
    for _ in range(rng.randint(1, 3)):
        if len(paras) > 1:
            i = rng.randrange(1, len(paras))
            ss = split_sentences(paras[i])
            if rng.random() < 0.6 or len(ss) < 2:
                paras[i] = fresh(int(words(paras[i]) * rng.uniform(0.6, 0.9)))
            else:
                paras[i] = " ".join(ss[1:] + ss[:1])
    if rng.random() < 0.3:
        paras.append(fresh(rng.randint(25, 60)))
        if len(paras) > 3:
            del paras[rng.randrange(1, len(paras) - 1)]
    hl = prev.headline
    if WIRES[st.wire][2] == "Reuters":
        hl = f"UPDATE {v}-" + re.sub(r"^UPDATE \d+-", "", hl)
    elif rng.random() < 0.5:
        pool = ctx.fam_src[st.fam]
        hl = map_to(ctx.headlines[pool[rng.randrange(len(pool))]], ctx.ent_idx, ents, [])
    return Version(hl, paras)


def negative(ctx, st: Story, rng: random.Random) -> tuple[str, list[str], int]:
    """Independent article on the same event: shares 1-2 quotations, entities and numbers."""
    base, (ents, nums) = st.versions[0].paras, st.entities(ctx)
    total = sum(words(p) for p in base)
    budget = max(5, int(0.2 * total))
    qs = quotations(base)
    rng.shuffle(qs)
    chosen: list[str] = []
    for q in qs[:2]:
        if words(q) <= budget - sum(words(c) for c in chosen):
            chosen.append(q)
    spans = [q for p in base for q in QUOTE_RE.findall(p) if words(q) >= 4]
    if not chosen and spans:  # short story or long quote: quote a fragment of a quotation
        ws = spans[rng.randrange(len(spans))].split()
        k = min(len(ws), max(5, budget))
        j = rng.randrange(len(ws) - k + 1)
        chosen = [f'"{" ".join(ws[j : j + k])}," {ents[0] if ents else "an official"} said.']
    tab = reword_table(rng)
    paras = [
        reword(map_to(p, ctx.ent_idx, ents, nums), tab)
        for p in compose(ctx, ctx.ext_fam[st.fam], rng, total * rng.uniform(0.7, 1.05))
    ]
    for q in chosen:
        paras.insert(rng.randrange(1, len(paras) + 1), q)
    pool = ctx.fam_src[st.fam]
    hl = map_to(ctx.headlines[pool[rng.randrange(len(pool))]], ctx.ent_idx, ents, [])
    if ents and not any(e in hl for e in ents):
        hl = f"{ents[0]}: {hl}"
    return hl, paras, len(chosen)


# --------------------------------------------------------------------------- rows
def _local_para(ctx, st: Story, rng: random.Random) -> str:
    return _disguise(ctx, rng, [_foreign(ctx, st.fam, rng)])[0]


def _copy_edits(
    ctx, st: Story, paras: list[str], rng: random.Random, edits: list[str]
) -> list[str]:
    n, r = len(paras), COPY_RATES
    if n >= 2 and rng.random() < r["truncate"]:
        paras = paras[: max(1, round(n * rng.uniform(0.3, 0.9)))]
        edits.append("truncate")
    if len(paras) >= 4 and rng.random() < r["drop_middle"]:
        for _ in range(rng.randint(1, 2)):
            del paras[rng.randrange(1, len(paras) - 1)]
        edits.append("drop_middle")
    if len(paras) >= 2 and rng.random() < r["insert_para"]:
        paras.insert(rng.randrange(1, len(paras)), _local_para(ctx, st, rng))
        edits.append("insert_para")
    if len(paras) >= 3 and rng.random() < r["swap_paras"]:
        i = rng.randrange(1, len(paras) - 1)
        paras[i], paras[i + 1] = paras[i + 1], paras[i]
        edits.append("swap_paras")
    return paras


def render(
    ctx,
    st: Story,
    v: int,
    out: Outlet,
    role: str,
    rng: random.Random,
    tm,
    edits: list[str],
    neg: tuple[str, list[str]] | None = None,
) -> tuple[str, str]:
    """Headline and body of one row; ``edits`` collects the names of edits applied."""
    ver = st.version(ctx, v)
    copy, w = role == "reprint", out.wire
    wire_style = WIRES[st.wire if w < 0 else w][4]
    if w >= 0 or (copy and out.quotes == "keep"):
        style = wire_style
    else:
        style = "straight" if out.quotes == "keep" else out.quotes
    if neg:
        hl, paras = neg[0], [quote_style(p, style) for p in neg[1]]
    else:
        hl, paras = ver.headline, list(ver.styled(style))
    if w >= 0:  # the wire's own copy (original, write-through, or a wire singleton/negative)
        dl = dateline(st.city, w, st.dl_style if w == st.wire else "wire", st.month, st.day)
        paras[0] = dl + paras[0]
        top = [byline(st.author if w == st.wire else person(rng), w, False)] if st.top else []
        return hl, "\n\n".join(top + paras + (st.tail if w == st.wire and not neg else []))
    tail: list[str] = []
    if copy:
        if v:
            edits.append(f"version={v}")
        if st.chain and v and rng.random() < TRIM_LATE_P:
            paras = paras[: max(2, round(len(paras) * rng.uniform(0.35, 0.75)))]
            edits.append("trim_late")
        paras = _copy_edits(ctx, st, paras, rng, edits)
        style_dl = {
            "keep": st.dl_style,
            "strip": "none",
            "city": "city",
            "restyle": "wire" if st.dl_style == "wire_date" else "wire_date",
        }[out.dateline]
        paras[0] = dateline(st.city, st.wire, style_dl, st.month, st.day) + paras[0]
        if out.dateline != "keep":
            edits.append(f"dateline_{out.dateline}")
        top = [byline(st.author, st.wire, out.byline == "restyle")] if st.top else []
        if out.byline == "strip":
            top = []
        elif "truncate" not in edits:
            tail = st.tail
        if out.byline != "keep" and (st.top or st.tail):
            edits.append(f"byline_{out.byline}")
        if rng.random() < COPY_RATES["local_top"]:
            paras.insert(0, quote_style(_local_para(ctx, st, rng), style))
            edits.append("local_top")
    else:  # an outlet's own article (singleton or hard negative)
        if rng.random() < 0.4:
            paras[0] = f"{st.city} — " + paras[0]
        top = [f"By {person(rng)}" + (f", {out.name}" if rng.random() < 0.5 else "")]
        top = top if rng.random() < 0.6 else []
    if out.ad_every:
        k = out.ad_every
        paras = [
            x
            for i, p in enumerate(paras)
            for x in ((p, "Advertisement") if i % k == k - 1 else (p,))
        ]
        edits.append("ad_breaks")
    footer = out.footer if copy else tuple(f for f in out.footer if f != "wire_copyright")
    day = tm.tm_yday + 366 * tm.tm_year
    head = boilerplate(out.header, out, st.wire, tm.tm_year, day, rng, ctx.hl_pool)
    foot = boilerplate(footer, out, st.wire, tm.tm_year, day, rng, ctx.hl_pool)
    if head or foot:
        edits.append("boilerplate")
    if out.quotes != "keep" and style != wire_style:
        edits.append(f"quotes_{out.quotes}")
    body = "\n\n".join(
        [quote_style(x, style) for x in head + top]
        + paras
        + tail
        + [quote_style(x, style) for x in foot]
    )
    if copy and rng.random() < COPY_RATES["apostrophe_drop"] and re.search(r"\w[’']\w", body):
        body = re.sub(r"(?<=\w)[’'](?=\w)", "", body)
        edits.append("apostrophe_drop")
    if copy and rng.random() < COPY_RATES["mojibake"]:
        body = to_curly(body).translate(_MOJIBAKE)
        edits.append("mojibake")
    return edit_headline(hl, out, rng, ctx.ent_idx, edits, copy), body


def make_url(out: Outlet, headline: str, rng: random.Random, tm) -> str:
    s, y, m, d = slug(headline), tm.tm_year, tm.tm_mon, tm.tm_mday
    num = rng.randrange(10**6, 10**8)
    if out.wire == 0:
        return f"https://apnews.com/article/{s}-{rng.getrandbits(128):032x}"
    if out.wire == 1:
        return f"https://www.reuters.com/article/{s}-idUSKBN{rng.getrandbits(28):07X}"
    section = rng.choice(("news", "nation-world", "world", "business"))
    return (
        f"https://www.{out.domain}/news/{y}/{m:02d}/{d:02d}/{s}/",
        f"https://{out.domain}/story/{s}-{num}",
        f"https://www.{out.domain}/{section}/{s}.html",
        f"https://{out.domain}/articles/{num}",
        f"https://{out.domain}/{y}{m:02d}{d:02d}/{s}",
    )[out.url_style % 5]
