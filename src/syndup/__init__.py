"""syndup: find syndicated copies of news stories.

Pipeline: read -> normalise -> shingle -> MinHash -> LSH candidates (body, lead, headline
indexes) -> rapidfuzz/set verification with a rule set -> clusters -> canonical record.

>>> import syndup
>>> result = syndup.cluster("articles.jsonl")          # doctest: +SKIP
>>> result.assignments, result.clusters, result.pairs  # doctest: +SKIP
"""

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

__version__ = "0.1.0"

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
