"""Engines: who executes the pipeline. The pipeline is described once, by the stage modules
(``normalize``, ``shingle``, ``signature``, ``lsh``, ``verify``, ``graph_cuts``, ``cluster``,
``prepare``) and ``Detector``; an engine only decides where the stage functions run.

* ``local`` (default): in this process, polars + numpy + compiled kernels (``Detector``).
* ``spark``: the same stage functions on Apache Spark, in ``mapInArrow`` /
  ``applyInArrow`` tasks, for corpora past one machine (``pip install 'syndup[spark]'``).

``get_engine("spark", master="local[2]")`` returns an ``Engine``; ``engine.run(data)``
clusters a corpus and ``engine.write(result, path)`` writes its assignments. Optional
engines are imported only when asked for, so the default install never needs them.
"""

from __future__ import annotations

import abc
import os
from typing import Any

from syndup.config import Config
from syndup.errors import SyndupError

ENGINES = ("local", "spark")


class EngineError(SyndupError):
    """An engine cannot start (a missing optional dependency or runtime)."""


class Engine(abc.ABC):
    """One way to execute the pipeline. Subclasses implement these three methods only."""

    name: str

    @abc.abstractmethod
    def read(self, source: Any, **read_opts: Any) -> Any:
        """The corpus as this engine's table (polars or Spark DataFrame), standard columns."""

    @abc.abstractmethod
    def run(self, data: Any, *, config: Config | None = None, **read_opts: Any) -> Any:
        """Cluster a corpus (path or this engine's table). Returns an object with
        ``assignments``, ``clusters``, ``pairs`` and ``rejects`` tables with the columns of
        ``syndup.Result``."""

    @abc.abstractmethod
    def write(self, result: Any, path: str | os.PathLike[str], *, format: str = "parquet") -> None:
        """Write ``result.assignments`` to ``path``."""


def get_engine(name: str = "local", **options: Any) -> Engine:
    """The engine called ``name`` (``"local"`` or ``"spark"``); ``options`` go to its
    constructor (Spark: ``master=``, ``conf=``, ``spark=`` an existing session)."""
    if name == "local":
        from syndup.engines.local import LocalEngine

        return LocalEngine(**options)
    if name == "spark":
        from syndup.engines.spark import SparkEngine

        return SparkEngine(**options)
    raise EngineError(f"unknown engine {name!r}; known: {', '.join(ENGINES)}")


__all__ = ["ENGINES", "Engine", "EngineError", "get_engine"]
