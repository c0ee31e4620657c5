"""Write-through chains for the reprint generator (``--profile realistic``).

A wire re-files its main story of the day 5-30 times over 12-24 h. Every version is built from
the previous one: a new top (2-5 paragraphs of text the previous version does not have), then
40-70% of the previous version's paragraphs (by words) in a reshuffled order, with new quotes
and reaction paragraphs between them. The length stays about the same, so after a handful of
versions the first and the last share little text (0.55^k on average), while every consecutive
pair shares about half. ``generate.py`` decides which stories chain and which version each row
caught; this module only writes the versions.
"""

from __future__ import annotations

import random
import re

if __package__:
    from . import syndication_edits as se
else:  # run as a script
    import syndication_edits as se

KEEP = (0.40, 0.70)  # share of the previous version's words kept lower down
TOP_PARAS = (2, 5)  # paragraphs of the new top
TOP_SHARE = 0.6  # share of the new words that go to the top (the rest: quotes and reaction)
_SAYS = ("said", "told reporters", "said in a statement", "told The Associated Press", "wrote")


def _fresh(ctx, st, rng: random.Random, n: float, tab) -> str:
    """About n words (whole sentences) of other sources' text, mapped onto the story's entities."""
    ents, nums = st.entities(ctx)
    text = " ".join(se.compose(ctx, ctx.ext_fam[st.fam], rng, max(8, n)))
    out, got = [], 0
    for sent in se.split_sentences(se.reword(se.map_to(text, ctx.ent_idx, ents, nums), tab)):
        if got and got + se.words(sent) > 1.3 * n:
            break
        out.append(sent)
        got += se.words(sent)
    if got > 1.5 * n:  # one long sentence: cut it
        out = [" ".join(" ".join(out).split(" ")[: max(8, int(n))]).rstrip(",;:") + "."]
    return " ".join(out)


def _quote(ctx, st, rng: random.Random, tab) -> str:
    """A new quotation attributed to one of the story's entities (or an official)."""
    ents, _ = st.entities(ctx)
    sent = se.split_sentences(_fresh(ctx, st, rng, rng.randint(12, 30), tab))[0]
    who = rng.choice(ents) if ents else rng.choice(("a spokesman", "officials", "a spokeswoman"))
    return f'"{sent.rstrip(".!?;:,")}," {who} {rng.choice(_SAYS)}.'


def _units(paras: list[str]) -> list[str]:
    """Paragraphs, with any paragraph of > 60 words cut into sentence runs (finer keep steps)."""
    out = []
    for p in paras:
        if se.words(p) <= 60:
            out.append(p)
            continue
        cur: list[str] = []
        for s in se.split_sentences(p):
            cur.append(s)
            if se.words(" ".join(cur)) >= 30:
                out.append(" ".join(cur))
                cur = []
        if cur:
            out.append(" ".join(cur))
    return out


def keep_units(paras: list[str], rng: random.Random, share: float) -> list[str]:
    """A random subset of the units of ``paras`` holding ~``share`` of their words, moved around.

    Units are taken in random order while they fit under ``KEEP[1]`` of the words, until
    ``share`` is reached; the kept units are then cut into 2-3 blocks whose order is shuffled
    (paragraphs moved around, runs of them still in order).
    """
    units = _units(paras)
    total = sum(se.words(u) for u in units)
    order = list(range(len(units)))
    rng.shuffle(order)
    chosen, kept = [], 0
    for i in order:
        w = se.words(units[i])
        if kept + w <= KEEP[1] * total or not chosen:
            chosen.append(i)
            kept += w
        if kept >= share * total:
            break
    chosen.sort()
    kept_units = [units[i] for i in chosen]
    if len(kept_units) >= 3:
        cuts = sorted(rng.sample(range(1, len(kept_units)), min(2, len(kept_units) - 1)))
        blocks = [kept_units[a:b] for a, b in zip([0, *cuts], [*cuts, len(kept_units)])]
        rng.shuffle(blocks)
        kept_units = [u for b in blocks for u in b]
    return kept_units


def chain_version(ctx, st, k: int, rng: random.Random):
    """Version ``k`` (>= 1) of a chained story, built from version ``k - 1``."""
    prev = st.versions[k - 1]
    tab = se.reword_table(rng)
    kept = keep_units(prev.paras, rng, rng.uniform(*KEEP))
    base = sum(se.words(p) for p in st.versions[0].paras)
    goal = base * rng.uniform(0.9, 1.15)  # every version about as long as the first
    new_words = max(40, goal - sum(se.words(u) for u in kept))
    n_top = rng.randint(*TOP_PARAS)
    top = [
        _fresh(ctx, st, rng, TOP_SHARE * new_words / n_top * rng.uniform(0.8, 1.2), tab)
        for _ in range(n_top)
    ]
    extra, left = [], (1 - TOP_SHARE) * new_words
    while left > 10:
        para = _quote(ctx, st, rng, tab)
        if rng.random() < 0.5:  # reaction: the quote and a paragraph around it
            para += " " + _fresh(ctx, st, rng, rng.randint(15, 35), tab)
        extra.append(para)
        left -= se.words(para)
    body = list(kept)
    for para in extra:
        body.insert(rng.randrange(len(body) + 1), para)
    hl = prev.headline
    if se.WIRES[st.wire][2] == "Reuters":
        hl = f"UPDATE {k}-" + re.sub(r"^UPDATE \d+-", "", hl)
    elif rng.random() < 0.6:
        ents, _ = st.entities(ctx)
        pool = ctx.fam_src[st.fam]
        hl = se.map_to(ctx.headlines[pool[rng.randrange(len(pool))]], ctx.ent_idx, ents, [])
    return se.Version(hl, top + body)
