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
    blocks = sm.get_opcodes()
    last_shared = max((i2 for tag, _i1, i2, _j1, _j2 in blocks if tag == "equal"), default=0)
    ops: list[list[Any]] = []
    for tag, i1, i2, j1, j2 in blocks:
        if tag == "equal":
            ops.extend(["=", i] for i in range(i1, i2))
        elif tag == "insert":
            ops.extend(["+", member[j]] for j in range(j1, j2))
        elif tag == "delete":
            ops.extend(["-", i, int(i >= last_shared)] for i in range(i1, i2))
        else:
            ops.extend(_replace(canonical, member, i1, i2, j1, j2, last_shared))
    return ops


def _replace(
    canonical: list[str], member: list[str], i1: int, i2: int, j1: int, j2: int, last: int
) -> list[list[Any]]:
    """Pair the paragraphs of a replaced block one to one and diff each pair by words; what
    is left over is added or removed whole. Pairs with little in common stay apart."""
    ops: list[list[Any]] = []
    n = min(i2 - i1, j2 - j1)
    for k in range(n):
        old, new = canonical[i1 + k], member[j1 + k]
        a, b = _WORD.findall(old), _WORD.findall(new)
        ka, kb = [w.rstrip() for w in a], [w.rstrip() for w in b]
        if Indel.normalized_similarity(ka, kb) < 0.3:
            ops.append(["-", i1 + k, 0])
            ops.append(["+", new])
            continue
        segments: list[list[str]] = []
        for tag, a1, a2, b1, b2 in Levenshtein.opcodes(ka, kb):
            if tag == "equal":
                segments.append(["=", "".join(a[a1:a2])])
                continue
            if tag in ("delete", "replace"):
                segments.append(["-", "".join(a[a1:a2])])
            if tag in ("insert", "replace"):
                segments.append(["+", "".join(b[b1:b2])])
        ops.append(["~", i1 + k, segments])
    ops.extend(["-", i, int(i >= last)] for i in range(i1 + n, i2))
    ops.extend(["+", member[j]] for j in range(j1 + n, j2))
    return ops


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
