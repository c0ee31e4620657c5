"""A member's body against its canonical's: shared passages, trimmed tail, added paragraphs.

Paragraphs are aligned with ``difflib.SequenceMatcher`` (on whitespace-collapsed text), and a
changed paragraph pair is compared again word by word with rapidfuzz's Levenshtein opcodes
(compiled; a word is a hashable item, so a substitution is one word). The result is compact:
a shared paragraph refers to the canonical's paragraph by index instead of repeating it.
"""

from __future__ import annotations

import re
from difflib import SequenceMatcher
from typing import Any

from rapidfuzz.distance import Indel, Levenshtein

_PARA = re.compile(r"\n\s*\n|\r\n\s*\r\n")
_WORD = re.compile(r"\S+\s*")

#: Longest body (characters) diffed; the rest of a longer body is shown as one trimmed block.
MAX_CHARS = 20_000


def paragraphs(text: str | None) -> list[str]:
    """Paragraphs of a raw body: split on blank lines (or single newlines when there are no
    blank lines), whitespace collapsed, empty ones dropped."""
    if not text:
        return []
    text = text[:MAX_CHARS]
    parts = _PARA.split(text) if _PARA.search(text) else text.split("\n")
    return [p for p in (" ".join(part.split()) for part in parts) if p]


def diff_ops(canonical: list[str], member: list[str]) -> list[list[Any]]:
    """Operations that rebuild ``member`` from ``canonical``'s paragraphs.

    Each op is ``["=", i]`` (canonical paragraph i shared as is), ``["+", text]`` (a
    paragraph only the member has: local additions), ``["-", i, tail]`` (canonical paragraph
    i missing from the member; ``tail`` is 1 when nothing shared follows: a trimmed tail),
    or ``["~", i, segments]`` (paragraph i edited; ``segments`` are ``[tag, text]`` with tag
    ``"="`` shared, ``"+"`` added, ``"-"`` removed words).
    """
    sm = SequenceMatcher(None, canonical, member, autojunk=False)
    ops: list[list[Any]] = []
    for tag, i1, i2, j1, j2 in sm.get_opcodes():
        if tag == "equal":
            ops.extend(["=", i] for i in range(i1, i2))
        elif tag == "insert":
            ops.extend(["+", member[j]] for j in range(j1, j2))
        elif tag == "delete":
            ops.extend(["-", i, 0] for i in range(i1, i2))
        else:
            ops.extend(_replace(canonical, member, i1, i2, j1, j2))
    kept = max((op[1] for op in ops if op[0] in "=~"), default=-1)
    for op in ops:  # removed after the last paragraph the member kept: a trimmed tail
        if op[0] == "-":
            op[2] = int(op[1] > kept)
    return ops


def _replace(
    canonical: list[str], member: list[str], i1: int, i2: int, j1: int, j2: int
) -> list[list[Any]]:
    """Align the paragraphs of a replaced block in order: each canonical paragraph pairs
    with the next member paragraph it resembles most (word Indel similarity >= 0.5) and is
    diffed word by word; member paragraphs skipped over are additions, canonical ones left
    unpaired are removals. Greedy and monotone, so a block of n x m paragraphs costs n x m
    compiled comparisons (blocks are a few paragraphs)."""
    words = {j: _WORD.findall(member[j]) for j in range(j1, j2)}
    keys = {j: [w.rstrip() for w in ws] for j, ws in words.items()}
    ops: list[list[Any]] = []
    j = j1
    for i in range(i1, i2):
        a = _WORD.findall(canonical[i])
        ka = [w.rstrip() for w in a]
        best, score = None, 0.5
        for jj in range(j, j2):
            sim = Indel.normalized_similarity(ka, keys[jj], score_cutoff=score)
            if sim >= score and (best is None or sim > score):
                best, score = jj, sim
        if best is None:
            ops.append(["-", i, 0])
            continue
        ops.extend(["+", member[k]] for k in range(j, best))
        ops.append(["~", i, _word_segments(a, words[best], ka, keys[best])])
        j = best + 1
    ops.extend(["+", member[k]] for k in range(j, j2))
    return ops


def _word_segments(a: list[str], b: list[str], ka: list[str], kb: list[str]) -> list[list[str]]:
    """``[tag, text]`` runs of shared (=), removed (-) and added (+) words."""
    segments: list[list[str]] = []
    for tag, a1, a2, b1, b2 in Levenshtein.opcodes(ka, kb).as_list():
        parts = []
        if tag == "equal":
            parts.append(["=", "".join(a[a1:a2])])
        if tag in ("delete", "replace"):
            parts.append(["-", "".join(a[a1:a2])])
        if tag in ("insert", "replace"):
            parts.append(["+", "".join(b[b1:b2])])
        for part in parts:  # merge neighbours of one tag: fewer, longer runs
            if segments and segments[-1][0] == part[0]:
                segments[-1][1] += part[1]
            else:
                segments.append(part)
    return segments


def summarize(ops: list[list[Any]]) -> dict[str, int]:
    """Counts of shared, edited, added and removed (trimmed tail) paragraphs."""
    out = {"shared": 0, "edited": 0, "added": 0, "removed": 0, "trimmed": 0}
    for op in ops:
        key = {"=": "shared", "~": "edited", "+": "added"}.get(op[0])
        if key:
            out[key] += 1
        elif op[2]:
            out["trimmed"] += 1
        else:
            out["removed"] += 1
    return out
