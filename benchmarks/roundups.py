"""Pages that hold several stories, for the reprint generator (``--profile realistic``).

* **Roundups** (live blogs such as AP's "The Latest", news in brief, newsletters) are made of
  items: the first 1-2 paragraphs of 3-8 stories of the same day, each item under its own
  heading. A roundup is its own story (its own gold); its copies (other outlets carrying the
  same roundup) share that gold. A short story can sit whole inside a roundup.
* **Two-story pages** carry a full copy of story A, then the first paragraphs of a story B of
  the same day, holding 25-60% as many words as A's part (the words of the page in word
  5-grams shared with A's version). The page's gold is A: the story that supplies most of its
  words, and so the one it shares most text with.
"""

from __future__ import annotations

import random
import re

if __package__:
    from . import syndication_edits as se
else:  # run as a script
    import syndication_edits as se

KINDS = ("latest", "brief", "newsletter")
KIND_WEIGHTS = (0.45, 0.30, 0.25)
ITEMS = (3, 8)  # stories per roundup
B_SHARE = (0.25, 0.60)
_TOK = re.compile(r"[a-z0-9]+")  # words of story B on a two-story page, relative to story A's part


def _item(ctx, st, rng: random.Random) -> tuple[str, list[str]]:
    ver = st.version(ctx, 0)
    paras = ver.paras[: 2 if rng.random() < 0.5 or se.words(ver.paras[0]) < 40 else 1]
    return ver.headline, list(paras)


def _clock(rng: random.Random, hour: int) -> str:
    h = hour % 12 or 12
    return f"{h}:{rng.randrange(60):02d} {'a.m.' if hour < 12 else 'p.m.'}"


def build(ctx, kind: int, seed: int, items: list, wire: int, tm, town: str):
    """The roundup as a plain ``se.Story`` (headline + paragraphs), from its item stories."""
    rng = random.Random(seed)
    got = [_item(ctx, st, rng) for st in items]
    name = KINDS[kind]
    paras: list[str] = []
    if name == "latest":
        hl = f"The Latest: {got[0][0]}"
        paras.append(f"The Latest on {got[0][0].rstrip('.')} (all times local):")
        hour = rng.randrange(6, 20)
        for i, (_h, ps) in enumerate(reversed(got)):
            paras.append(_clock(rng, min(23, hour + len(got) - i)))
            paras += ps
    elif name == "brief":
        hl = rng.choice(("News in brief", "IN BRIEF", f"{town} area news in brief", "Briefs"))
        for h, ps in got:
            paras.append(h)
            paras += ps
    else:
        hl = rng.choice(("Morning Briefing", "Evening Briefing", "Your daily newsletter"))
        hl += f": {got[0][0]}"
        paras.append(
            rng.choice(
                (
                    "Good morning. Here's what you need to know today.",
                    "Here are the stories you need to know about this evening.",
                    "Welcome to your daily briefing. Here is what happened.",
                )
            )
        )
        for i, (h, ps) in enumerate(got):
            paras.append(f"{i + 1}. {h}")
            paras.append(ps[0])
        paras.append("That's all for today. See you tomorrow.")
    return se.Story.plain(0, seed, wire, tm.tm_mon, tm.tm_mday, hl, paras)


def shared_words(page: str, paras: list[str]) -> int:
    """Words of ``page`` in word 5-grams it shares with ``paras`` (story A's part of a page)."""
    grams = _grams(" ".join(paras))
    toks = _TOK.findall(page.lower())
    return sum(tuple(toks[i : i + 5]) in grams for i in range(len(toks) - 4))


def _grams(text: str) -> set[tuple[str, ...]]:
    toks = _TOK.findall(text.lower())
    return {tuple(toks[i : i + 5]) for i in range(len(toks) - 4)}


def second_story(ctx, st_b, words_a: int, rng: random.Random) -> str:
    """Story B's part of a two-story page: its headline and leading paragraphs."""
    ver = st_b.version(ctx, 0)
    budget = max(15, int(words_a * rng.uniform(*B_SHARE)))
    out, n = [ver.headline], 0
    for p in ver.paras:
        if n and n + se.words(p) > budget:
            break
        if se.words(p) > budget - n:  # the first paragraph alone is too long: cut it
            p = " ".join(p.split(" ")[: max(8, budget - n)])
        out.append(p)
        n += se.words(p)
    return "\n\n".join(out)
