"""Compile every kernel ahead of the first run: ``python -m syndup.warmup``.

numba compiles a kernel on its first call and caches the machine code next to
``_jit.py``; without a warm-up the first real corpus after an install pays that (about a
minute on two cores). This runs each stage function once on a tiny corpus with the compiled
kernels forced on, so every variant the pipeline uses is in the cache; later processes only
load them. The README's set-up commands run it after installing.

numba compiles on one thread, so the kernels are split in two parts compiled by two
processes at once (the cleaning and signature kernels; the set, pair and graph kernels);
numba writes its cache files atomically, so two processes filling one cache is safe.
"""

from __future__ import annotations

import subprocess
import sys
import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import polars as pl

    from syndup.config import Config

PARTS = ("text", "sets")


def warm(part: str | None = None) -> float:
    """Compile (or load) every kernel; returns the seconds it took. ``part``: only
    ``"text"`` (paragraphs, tokens, MinHash) or ``"sets"`` (shingle and gram sets,
    containment, gathering, figures, LSH buckets, components); both when None."""
    start = time.perf_counter()
    import polars as pl

    from syndup import _jit  # noqa: F401  (loaded first: the stage calls below then use it)
    from syndup.config import Config

    texts = pl.Series(
        [
            "WASHINGTON (AP) — The “first” story's lead.\n\nA second paragraph, with more words.",
            "Ein Bericht über Zürich.\nZweite Zeile\n\nSee the original post here: x",
            "",
        ]
    )
    config = Config()
    if part in (None, "text"):
        _warm_text(texts, config)
    if part in (None, "sets"):
        _warm_sets(texts, config)
    return time.perf_counter() - start


def _warm_text(texts: pl.Series, config: Config) -> None:
    import polars as pl

    from syndup.normalize import paragraphs
    from syndup.signature import sign_texts

    paragraphs(pl.DataFrame({"body": texts, "outlet": ["a", "b", None], "headline": None}),
               config=config.normalize)  # fmt: skip
    scfg = config.signature
    sign_texts(
        texts, n=scfg.body_ngram, num_perm=scfg.num_perm, lead_num_perm=scfg.lead_num_perm,
        lead_words=scfg.lead_words, seed=scfg.seed, fold=True, scheme=scfg.scheme,
    )  # fmt: skip


def _warm_sets(texts: pl.Series, config: Config) -> None:
    import numpy as np

    from syndup import _jit
    from syndup._kernels import containment, figures_changed
    from syndup.body_checks import exact_sets
    from syndup.graph_cuts import components
    from syndup.lsh import signature_candidates
    from syndup.ocr import gram_sets
    from syndup.shingle import shingle_sets
    from syndup.signature import pair_jaccard

    scfg = config.signature
    # A signature matrix as sign_texts returns it (uint32, rows x num_perm, C order).
    sig = np.arange(3 * scfg.num_perm, dtype=np.uint32).reshape(3, scfg.num_perm) % 7
    for unquoted in (False, True):
        values, offsets = shingle_sets(texts, scfg.body_ngram, unquoted=unquoted, fold=True)
    exact_sets(texts, scfg.body_ngram)
    grams, _ = gram_sets(texts)
    from syndup.ocr import fold_grams

    fold_grams(texts, keep=4)  # the OCR narrative's and refill's sampled grams
    pairs = np.array([0, 1], dtype=np.int64), np.array([1, 2], dtype=np.int64)
    containment(values, offsets, *pairs)
    for kind in {values.dtype, grams.dtype}:  # verify's gathering of sets (textstore)
        found = values.astype(kind)
        _jit.gather_sets(found, offsets, pairs[0], found.copy(), np.zeros(3, np.int64), 0)
    figures_changed(np.zeros((3, 13), dtype=np.uint32), *pairs)
    pair_jaccard(sig, *pairs)
    signature_candidates(sig, bands=8, rows=2, anchors=2, only=np.array([True, False, True]))
    signature_candidates(sig, bands=8, rows=2, anchors=2)
    components(3, *pairs)
    from syndup.index._search import positions

    positions(np.arange(3, dtype=np.uint64), np.arange(1, 3, dtype=np.uint64))  # index lookups


def main() -> None:
    """Both parts at once on two processes; ``--part NAME`` runs one part here."""
    if len(sys.argv) == 3 and sys.argv[1] == "--part" and sys.argv[2] in PARTS:
        warm(sys.argv[2])
        return
    print("syndup: compiling kernels (once after an install)...", file=sys.stderr, flush=True)
    start = time.perf_counter()
    other = subprocess.Popen([sys.executable, "-m", "syndup.warmup", "--part", "sets"])
    warm("text")
    if other.wait() != 0:  # the helper failed (its error is on stderr): do its part here
        warm("sets")
    print(f"syndup: kernels ready ({time.perf_counter() - start:.1f} s)", file=sys.stderr)


if __name__ == "__main__":
    main()
