"""Run syndup on one corpus in this process and print one JSON line (the peers' contract).

    python benchmarks/run_syndup.py INPUT.parquet OUTPUT.parquet [--config FILE]

``seconds`` covers reading, every stage and writing the predictions; interpreter start and
imports are excluded, as for the peers. ``stages`` has the per-stage breakdown,
``stage_rss_mb`` each stage's peak resident memory and ``stage_cpu`` its CPU seconds (user +
sys, all threads).

Per-stage peaks come from the kernel's high-water mark: at the end of each stage (the
Detector logs ``<stage>: <seconds>s``) ``VmHWM`` is read and reset through
``/proc/self/clear_refs`` (Linux >= 4.0), so a stage's figure is the largest RSS reached
while it ran, not sampled. Where the reset is refused, a thread samples ``/proc/self/statm``
every 5 ms instead (``rss_method`` says which). The reset also lowers the peak that
``time -v`` reports for the process, so ``scale.py`` takes the largest stage peak as the run's.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import re
import resource
import sys
import threading
import time
from importlib.metadata import version
from pathlib import Path

import polars as pl

from syndup import Config, Detector, write_table

_HWM = re.compile(r"VmHWM:\s+(\d+)")
_PAGE_MB = os.sysconf("SC_PAGE_SIZE") / 2**20


def _cpu() -> float:
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime


class StageMemory(logging.Handler):
    """Peak RSS (MB) and CPU seconds of each Detector stage, keyed by its timing log line."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.rss: dict[str, float] = {}
        self.cpu: dict[str, float] = {}
        self._cpu0 = _cpu()
        self._peak = 0.0
        self._stop = threading.Event()
        self.method = "VmHWM reset" if self._reset() else "sampled every 5 ms"
        if self.method != "VmHWM reset":
            threading.Thread(target=self._sample, daemon=True).start()

    @staticmethod
    def _reset() -> bool:
        try:
            with open("/proc/self/clear_refs", "w") as f:
                f.write("5")
            return True
        except OSError:
            return False

    def _sample(self) -> None:
        while not self._stop.wait(0.005):
            with open("/proc/self/statm") as f:
                self._peak = max(self._peak, int(f.read().split()[1]) * _PAGE_MB)

    def _current(self) -> float:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * _PAGE_MB

    def mark(self, name: str) -> None:
        """Close stage ``name``: record its peak and CPU, start the next window."""
        if self.method == "VmHWM reset":
            with open("/proc/self/status") as f:
                m = _HWM.search(f.read())
            peak = int(m.group(1)) / 1024 if m else self._current()
            self._reset()
        else:
            peak, self._peak = max(self._peak, self._current()), 0.0
        cpu = _cpu()
        self.rss[name] = round(peak, 1)
        self.cpu[name] = round(cpu - self._cpu0, 3)
        self._cpu0 = cpu

    def emit(self, record: logging.LogRecord) -> None:
        # "<stage>: <seconds>s" (the Detector may append its own peak RSS to the line)
        if isinstance(record.msg, str) and record.msg.startswith("%s: %.2fs") and record.args:
            self.mark(str(record.args[0]))

    def close(self) -> None:
        self._stop.set()
        super().close()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("input", type=Path)
    ap.add_argument("output", type=Path)
    ap.add_argument("--config", type=Path, default=None)
    args = ap.parse_args(argv)
    config = Config.from_toml(args.config) if args.config else Config()
    mem = StageMemory()
    logger = logging.getLogger("syndup")
    logger.addHandler(mem)
    if logger.getEffectiveLevel() > logging.INFO:
        logger.setLevel(logging.INFO)
    start = time.perf_counter()
    detector = Detector(config)
    result = detector.run(str(args.input))
    t_write = time.perf_counter()
    # every input row is in assignments; rows not clustered get a singleton of their own
    single = pl.format("rejected:{}", pl.col("id").cast(pl.String))
    pred = result.assignments.drop_nulls("id").select(
        pl.col("id").cast(pl.String), pl.coalesce("cluster_id", single).alias("cluster_id")
    )
    write_table(pred, str(args.output), format="parquet")
    end = time.perf_counter()
    mem.mark("write")
    mem.close()
    stages = dict(detector.stats.get("seconds", {}))
    stages["write"] = round(end - t_write, 3)
    print(
        json.dumps(
            {
                "peer": "syndup",
                "version": version("syndup"),
                "n": detector.stats.get("articles"),
                "seconds": round(end - start, 3),
                "stages": stages,
                "stage_rss_mb": mem.rss,
                "stage_cpu": mem.cpu,
                "rss_method": mem.method,
                "cpu_seconds": round(sum(mem.cpu.values()), 3),
                "candidates": detector.stats.get("candidates"),
                "pairs": detector.stats.get("pairs"),
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
