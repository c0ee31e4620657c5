"""syndup: find syndicated copies of news stories.

Pipeline: read -> normalise -> shingle -> MinHash -> LSH candidates (body, lead, headline
indexes) -> rapidfuzz/set verification with a rule set -> clusters -> canonical record.

>>> import syndup
>>> result = syndup.cluster("articles.jsonl")          # doctest: +SKIP
>>> result.assignments, result.clusters, result.pairs  # doctest: +SKIP

The names below are imported on first use (PEP 562), so ``import syndup`` and a command
that needs only part of the library (``syndup index explain``) do not pay for the rest.
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_WHERE = {
    "ClusterConfig": "syndup.config",
    "Config": "syndup.config",
    "LSHConfig": "syndup.config",
    "NormalizeConfig": "syndup.config",
    "Rule": "syndup.config",
    "SignatureConfig": "syndup.config",
    "VerifyConfig": "syndup.config",
    "ConfigError": "syndup.errors",
    "InputError": "syndup.errors",
    "SyndupError": "syndup.errors",
    "Scores": "syndup.evaluate",
    "pair_errors": "syndup.evaluate",
    "score_clusters": "syndup.evaluate",
    "Explanation": "syndup.explain",
    "explain": "syndup.explain",
    "Index": "syndup.index",
    "read_corpus": "syndup.io",
    "write_table": "syndup.io",
    "Detector": "syndup.pipeline",
    "cluster": "syndup.pipeline",
    "Result": "syndup.result",
}

if TYPE_CHECKING:
    from syndup.config import (
        ClusterConfig,
        Config,
        LSHConfig,
        NormalizeConfig,
        Rule,
        SignatureConfig,
        VerifyConfig,
    )
    from syndup.errors import ConfigError, InputError, SyndupError
    from syndup.evaluate import Scores, pair_errors, score_clusters
    from syndup.explain import Explanation, explain
    from syndup.index import Index
    from syndup.io import read_corpus, write_table
    from syndup.pipeline import Detector, cluster
    from syndup.result import Result


def __getattr__(name: str) -> Any:
    where = _WHERE.get(name)
    if where is None:
        raise AttributeError(f"module 'syndup' has no attribute {name!r}")
    value = getattr(importlib.import_module(where), name)
    globals()[name] = value  # later look-ups skip this hook
    return value


def __dir__() -> list[str]:
    return sorted({*__all__, "__version__"})


class _Package(types.ModuleType):
    """``syndup.cluster`` and ``syndup.explain`` are functions that share their name with a
    submodule: importing the submodule must not rebind the package attribute to it (the
    module stays reachable in ``sys.modules``, and ``from syndup.cluster import ...``)."""

    def __setattr__(self, name: str, value: Any) -> None:
        if name in _WHERE and isinstance(value, types.ModuleType):
            return
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package


__all__ = [
    "ClusterConfig",
    "Config",
    "ConfigError",
    "Detector",
    "Explanation",
    "Index",
    "InputError",
    "LSHConfig",
    "NormalizeConfig",
    "Result",
    "Rule",
    "Scores",
    "SignatureConfig",
    "SyndupError",
    "VerifyConfig",
    "cluster",
    "explain",
    "pair_errors",
    "read_corpus",
    "score_clusters",
    "write_table",
]
