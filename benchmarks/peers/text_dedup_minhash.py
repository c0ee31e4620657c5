"""Peer: text-dedup 0.4.x MinHash deduplication (``text_dedup.minhash``), clusters recovered.

Runs in the peers venv (benchmarks/setup_peers.sh):

    .venv-peers/bin/python benchmarks/peers/text_dedup_minhash.py IN.parquet OUT.parquet \
        [--threshold 0.5] [--num-perm 128] [--ngram 5] [--num-proc N]

Steps: the input is converted to a ``datasets`` dataset with one ``text`` column
(headline + "\\n" + body) and saved with ``save_to_disk`` in a temp folder; text-dedup's own
click entry point (``text_dedup.minhash.main``) then runs in this process on that folder
(``--local``, so no hub access) with the same threshold / num_perm / ngram. Only that call is
timed ("seconds"); the conversion, the cluster recovery and the parquet I/O are stages.

Cluster recovery: text-dedup only writes the kept rows, without cluster column. Its union-find
is the module global ``text_dedup.minhash.uf`` (the object that ``--debug`` pickles to
``uf.pkl``), keyed by the row index it assigns in load order; ``uf.find(i)`` gives each row's
root. Rows the union-find never saw (no shared LSH band, or dropped by text-dedup's
``--min_length`` filter) are singletons. As a cross-check, the number of rows text-dedup kept
must equal the number of recovered clusters among the rows it did not drop.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from _common import (
    PeerArgs,
    Stopwatch,
    cluster_ids_from_roots,
    iter_input,
    n_clusters,
    parse_args,
    run_main,
    table_ids,
    table_texts,
    write_output,
)

PEER = "text_dedup_minhash"
TEXT_COLUMN = "text"
# text-dedup's own default; rows with fewer NON_ALPHA-split tokens are dropped before hashing.
MIN_LENGTH = 5
_NON_ALPHA = re.compile(r"\W", re.UNICODE)  # text-dedup's tokenizer regex
_TIMER_LINE = re.compile(r"^\s*(\w[\w ]*?)\s*:\s*([0-9.]+)s\s*$")


def _extra(p) -> None:
    p.add_argument(
        "--num-proc",
        type=int,
        default=os.cpu_count() or 1,
        help="text-dedup --num_proc (its default: os.cpu_count())",
    )
    p.add_argument(
        "--hash-func",
        choices=["sha1", "xxh3"],
        default="sha1",
        help="text-dedup --hash_func (its default: sha1)",
    )


@contextlib.contextmanager
def _stdout_to_stderr() -> Iterator[None]:
    """text-dedup logs through rich to stdout; keep stdout for our one JSON line."""
    sys.stdout.flush()
    saved = os.dup(1)
    try:
        os.dup2(2, 1)
        with contextlib.redirect_stdout(sys.stderr):
            yield
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)


class _TimerCapture(logging.Handler):
    """Collects text-dedup's own stage report (``Timer.report``: 'Name : 1.23s')."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.stages: dict[str, float] = {}
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        msg = record.getMessage()
        self.messages.append(msg)
        m = _TIMER_LINE.match(msg)
        if m:
            self.stages[m.group(1).strip().lower()] = float(m.group(2))


def _convert(input: Path, path: Path) -> list[str]:
    """Save the input as a ``datasets`` dataset with one text column; return the ids.

    The texts stay Arrow arrays (no Python strings) and are dropped once saved.
    """
    import datasets
    import pyarrow as pa

    ids: list[str] = []
    chunks = []
    for table in iter_input(input):
        ids.extend(table_ids(table))
        chunks.extend(table_texts(table).chunks)
    texts = pa.chunked_array(chunks, type=pa.large_string())
    del chunks
    datasets.Dataset(pa.table({TEXT_COLUMN: texts})).save_to_disk(str(path))
    return ids


def _short_rows(in_dir: Path) -> set[int]:
    """Rows text-dedup's ``--min_length`` filter drops (same expression as text-dedup)."""
    import datasets

    ds = datasets.load_from_disk(str(in_dir))
    dropped: set[int] = set()
    for start in range(0, len(ds), 10_000):
        batch = ds[start : start + 10_000][TEXT_COLUMN]
        dropped.update(
            start + k for k, t in enumerate(batch) if len(_NON_ALPHA.split(t.lower())) < MIN_LENGTH
        )
    return dropped


def _run_text_dedup(args: PeerArgs, in_dir: Path, out_dir: Path, cache_dir: Path):
    from text_dedup import logger as td_logger
    from text_dedup import minhash as td_minhash

    argv = [
        "--path",
        str(in_dir),
        "--local",
        "--output",
        str(out_dir),
        "--cache_dir",
        str(cache_dir),
        "--column",
        TEXT_COLUMN,
        "--num_proc",
        str(args.extra.num_proc),
        "--threshold",
        str(args.threshold),
        "--num_perm",
        str(args.num_perm),
        "--ngram",
        str(args.ngram),
        "--min_length",
        str(MIN_LENGTH),
        "--hash_func",
        args.extra.hash_func,
    ]
    capture = _TimerCapture()
    td_logger.addHandler(capture)
    try:
        with _stdout_to_stderr():
            t0 = time.perf_counter()
            td_minhash.main.main(args=argv, standalone_mode=False, prog_name="text_dedup.minhash")
            seconds = time.perf_counter() - t0
    finally:
        td_logger.removeHandler(capture)
    return td_minhash.uf, seconds, capture.stages


def dedup(
    ids: list[str], in_dir: Path, work: Path, args: PeerArgs, sw: Stopwatch
) -> tuple[list[str], float, dict]:
    import datasets

    n = len(ids)
    out_dir = work / "output"
    uf, seconds, td_stages = _run_text_dedup(args, in_dir, out_dir, work / "cache")
    with sw("recover_clusters"):
        parent = uf.parent
        roots = [uf.find(i) if i in parent else i for i in range(n)]
        cluster_ids = cluster_ids_from_roots(ids, roots)
    with sw("cross_check"):
        # text-dedup keeps one row per cluster among the rows it did not drop as short.
        kept = len(datasets.load_from_disk(str(out_dir)))
        dropped = _short_rows(in_dir)
        expect = len({roots[i] for i in range(n) if i not in dropped})
        if kept != expect:
            raise RuntimeError(
                f"cluster recovery mismatch: text-dedup kept {kept} rows, "
                f"recovered {expect} clusters"
            )
    # The bands / rows text-dedup picked (its own optimiser; computed outside the timing).
    from text_dedup.utils import optimal_param

    b, r = optimal_param(args.threshold, args.num_perm, 0.5, 0.5)
    for k, v in td_stages.items():
        sw.stages[f"td_{k}"] = v
    info = {
        "bands": b,
        "rows": r,
        "num_proc": args.extra.num_proc,
        "hash_func": args.extra.hash_func,
        "min_length": MIN_LENGTH,
        "kept": kept,
        "dropped_short": len(dropped),
    }
    return cluster_ids, seconds, info


def main() -> dict:
    from importlib.metadata import version

    import datasets

    datasets.disable_progress_bars()
    args = parse_args(PEER, add_extra=_extra)
    sw = Stopwatch()
    with tempfile.TemporaryDirectory(prefix="peer_text_dedup_") as tmp:
        work = Path(tmp)
        with sw("read_convert"):
            ids = _convert(args.input, work / "input")
        if ids:
            cluster_ids, seconds, info = dedup(ids, work / "input", work, args, sw)
        else:  # text-dedup 0.4.0 crashes on an empty dataset (IndexError in datasets)
            cluster_ids, seconds, info = [], 0.0, {"skipped": "empty input"}
    with sw("write"):
        write_output(args.output, ids, cluster_ids)
    return {
        "peer": PEER,
        "version": version("text-dedup"),
        "n": len(ids),
        "seconds": round(seconds, 4),
        "stages": sw.stages,
        "clusters": n_clusters(cluster_ids),
        "params": {
            "threshold": args.threshold,
            "num_perm": args.num_perm,
            "ngram": args.ngram,
            **info,
        },
        "libs": {"datasets": version("datasets")},
    }


if __name__ == "__main__":
    run_main(PEER, main)
