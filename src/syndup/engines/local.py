"""The local engine: the whole pipeline in this process (``Detector``)."""

from __future__ import annotations

import os
from typing import Any

import polars as pl

from syndup.config import Config
from syndup.engines import Engine
from syndup.io import read_corpus, write_table
from syndup.pipeline import Detector
from syndup.result import Result


class LocalEngine(Engine):
    """Runs ``Detector`` in this process: polars tables, numpy signatures, numba kernels."""

    name = "local"

    def __init__(self, *, progress: Any = None) -> None:
        self.progress = progress

    def read(self, source: Any, **read_opts: Any) -> pl.DataFrame:
        return read_corpus(source, **read_opts)

    def run(self, data: Any, *, config: Config | None = None, **read_opts: Any) -> Result:
        return Detector(config, progress=self.progress, keep_signatures=False).run(
            data, **read_opts
        )

    def write(self, result: Any, path: str | os.PathLike[str], *, format: str = "parquet") -> None:
        write_table(result.assignments, os.fspath(path), format=format)
