"""Compile every kernel ahead of the first run: ``python -m syndup.warmup``.

numba compiles a kernel on its first call and caches the machine code next to
``_jit.py``; without a warm-up the first real corpus after an install pays that (about a
minute on two cores). This runs each stage function once on a tiny corpus with the compiled
kernels forced on, so every variant the pipeline uses is in the cache; later processes only
load them. The README's set-up commands run it after installing.
"""

from __future__ import annotations

import sys
import time


def warm() -> float:
    """Compile (or load) every kernel; returns the seconds it took."""
    start = time.perf_counter()
    import numpy as np
    import polars as pl

    from syndup import _jit  # loaded first: the stage calls below then use it
    from syndup._kernels import containment, figures_changed
    from syndup.body_checks import exact_sets
    from syndup.config import Config
    from syndup.graph_cuts import components
    from syndup.lsh import signature_candidates
    from syndup.normalize import paragraphs
    from syndup.ocr import gram_sets
    from syndup.shingle import shingle_sets
    from syndup.signature import pair_jaccard, sign_texts

    texts = pl.Series(
        [
            "WASHINGTON (AP) — The “first” story's lead.\n\nA second paragraph, with more words.",
            "Ein Bericht über Zürich.\nZweite Zeile\n\nSee the original post here: x",
            "",
        ]
    )
    config = Config()
    paragraphs(pl.DataFrame({"body": texts, "outlet": ["a", "b", None], "headline": None}),
               config=config.normalize)  # fmt: skip
    scfg = config.signature
    sig, *_ = sign_texts(
        texts, n=scfg.body_ngram, num_perm=scfg.num_perm, lead_num_perm=scfg.lead_num_perm,
        lead_words=scfg.lead_words, seed=scfg.seed, fold=True, scheme=scfg.scheme,
    )  # fmt: skip
    for unquoted in (False, True):
        values, offsets = shingle_sets(texts, scfg.body_ngram, unquoted=unquoted, fold=True)
    exact_sets(texts, scfg.body_ngram)
    grams, _ = gram_sets(texts)
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
    return time.perf_counter() - start


def main() -> None:
    print("syndup: compiling kernels (once after an install)...", file=sys.stderr, flush=True)
    seconds = warm()
    print(f"syndup: kernels ready ({seconds:.1f} s)", file=sys.stderr)


if __name__ == "__main__":
    main()
