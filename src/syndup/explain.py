"""Why two articles are (or are not) in one cluster: features, rules, LSH, clusters."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import polars as pl

from syndup.config import Config
from syndup.errors import InputError
from syndup.lsh import band_keys, band_params
from syndup.prepare import Prepared
from syndup.rules import apply_rules, explain_rules
from syndup.verify import evidence_expr, pair_features

if TYPE_CHECKING:  # the batch path's; ``syndup index explain`` reads stored rows only
    from syndup.result import Result


@dataclass(frozen=True)
class Explanation:
    """Evidence for one pair.

    Attributes:
        id_a, id_b: the two article ids.
        features: every verification feature (see ``syndup.verify``).
        rule: the first rule that held, or None.
        rules: per rule, whether it held and each condition's outcome.
        lsh: per index (body, lead, headline), whether the pair shares a band.
        same_cluster: whether the full run put them together (through any path).
        cluster_a, cluster_b: their cluster ids; canonical ids of those clusters.
        path: when the run joined them, the matched edges that join them (shortest path,
            one dict per edge: ``id_a``, ``id_b``, ``rule``); when it split them but their
            matched edges would join them, that path with each cut edge's ``cut`` member
            and ``reason``. Empty when there is no such path or no run.
    """

    id_a: str
    id_b: str
    features: dict[str, Any]
    rule: str | None
    rules: list[tuple[str, bool, list[tuple[str, bool]]]]
    lsh: dict[str, bool]
    same_cluster: bool | None
    cluster_a: dict[str, Any] | None
    cluster_b: dict[str, Any] | None
    headline_a: str
    headline_b: str
    path: list[dict[str, Any]] = field(default_factory=list)

    @property
    def match(self) -> bool:
        """Whether a rule held for the pair itself."""
        return self.rule is not None

    def to_dict(self) -> dict[str, Any]:
        """Plain data; the keys are the attribute names (plus ``match``)."""
        return {
            "id_a": self.id_a,
            "id_b": self.id_b,
            "headline_a": self.headline_a,
            "headline_b": self.headline_b,
            "match": self.match,
            "rule": self.rule,
            "features": self.features,
            "rules": [
                {"rule": name, "held": held, "conditions": [{"if": c, "ok": ok} for c, ok in cs]}
                for name, held, cs in self.rules
            ],
            "lsh": self.lsh,
            "same_cluster": self.same_cluster,
            "cluster_a": self.cluster_a,
            "cluster_b": self.cluster_b,
            "path": self.path,
        }


def explain_pairs(
    prepared: Prepared, pairs: list[tuple[str, str]], config: Config, result: Result | None = None
) -> list[Explanation]:
    """Explanations for several id pairs over one prepared corpus (shared work done once)."""
    ids = prepared.docs["id"]
    index = dict(zip(ids.to_list(), range(ids.len())))
    missing = [i for pair in pairs for i in pair if i not in index]
    if missing:
        raise InputError(f"id(s) not in the corpus: {', '.join(map(str, missing[:5]))}", field="id")
    rows = pl.DataFrame(
        {
            "a": np.array([index[a] for a, _ in pairs], dtype=np.uint32),
            "b": np.array([index[b] for _, b in pairs], dtype=np.uint32),
        }
    )
    feats = pair_features(
        rows, prepared, body_ngram=config.signature.body_ngram, rules=config.verify.rules
    )
    feats = apply_rules(feats, config.verify).with_columns(evidence_expr().alias("evidence"))
    assignments = (
        {str(r["id"]): r for r in result.assignments.to_dicts()} if result is not None else {}
    )
    paths = _Paths(prepared, result, config, index) if result is not None else None
    out = []
    for k, (id_a, id_b) in enumerate(pairs):
        row = feats.row(k, named=True)
        features = {
            key: _plain(row[key], feats.schema[key])
            for key in feats.columns
            if key not in ("a", "b", "rule", "matched")
        }
        ra, rb = index[id_a], index[id_b]
        ca, cb = assignments.get(id_a), assignments.get(id_b)
        out.append(
            Explanation(
                id_a=id_a,
                id_b=id_b,
                features=features,
                rule=row["rule"],
                rules=explain_rules(row, config.verify),
                lsh=_shares_band(prepared, ra, rb, config),
                same_cluster=(ca["cluster_id"] == cb["cluster_id"]) if ca and cb else None,
                cluster_a=_brief(ca),
                cluster_b=_brief(cb),
                headline_a=prepared.docs["headline_norm"][ra],
                headline_b=prepared.docs["headline_norm"][rb],
                path=paths.between(ra, rb) if paths is not None else [],
            )
        )
    return out


def _plain(value: Any, dtype: pl.DataType) -> Any:
    """Float32 values at their own precision (0.828, not 0.828000009059906)."""
    if dtype == pl.Float32 and value is not None:
        return float(str(np.float32(value)))
    return value


class _Paths:
    """Paths of matched edges between two rows, before and after the story graph's cuts."""

    def __init__(self, prepared: Prepared, result: Result, config: Config, index: dict) -> None:
        matched = result.pairs.filter(pl.col("matched"))
        self.ids = prepared.docs["id"].to_list()
        edges = matched.with_columns(
            # ids are strings inside the pipeline; the result gives them in their input type
            pl.col("id_a").cast(pl.String).replace_strict(index, return_dtype=pl.Int64).alias("a"),
            pl.col("id_b").cast(pl.String).replace_strict(index, return_dtype=pl.Int64).alias("b"),
        )
        from syndup.graph_cuts import story_graph

        graph = story_graph(prepared, edges, config.cluster)
        self.labels = graph.labels
        self.a = edges["a"].to_list()
        self.b = edges["b"].to_list()
        self.rule = [str(r) for r in edges["rule"].to_list()]
        self.keep = graph.keep.tolist()
        self.cut = {
            (a, b): (m, r) for a, b, m, r in graph.cuts.select("a", "b", "member", "reason").rows()
        }
        self.adjacent: dict[int, list[int]] = {}
        for k, (a, b) in enumerate(zip(self.a, self.b)):
            self.adjacent.setdefault(a, []).append(k)
            self.adjacent.setdefault(b, []).append(k)

    def between(self, start: int, goal: int) -> list[dict[str, Any]]:
        """Shortest path of kept edges if the run joined the two, else of all matched
        edges (the cut ones marked); [] when none, or when the pair matched directly."""
        joined = self.labels[start] == self.labels[goal]
        steps = self._bfs(start, goal, kept_only=joined)
        if steps is None or (len(steps) == 1 and joined):
            return []
        out, node = [], start
        for k in steps:
            other = self.b[k] if self.a[k] == node else self.a[k]
            step = {"id_a": self.ids[node], "id_b": self.ids[other], "rule": self.rule[k]}
            node = other
            if not self.keep[k]:
                member, reason = self.cut.get((self.a[k], self.b[k]), (-1, "cut"))
                step["cut"] = self.ids[member] if member >= 0 else None
                step["reason"] = reason
            out.append(step)
        return out

    def _bfs(self, start: int, goal: int, *, kept_only: bool) -> list[int] | None:
        came: dict[int, int] = {start: -1}
        queue = deque([start])
        while queue:
            node = queue.popleft()
            if node == goal:
                break
            for k in self.adjacent.get(node, ()):
                if kept_only and not self.keep[k]:
                    continue
                other = self.b[k] if self.a[k] == node else self.a[k]
                if other not in came:
                    came[other] = k
                    queue.append(other)
        if goal not in came:
            return None
        steps, node = [], goal
        while came[node] >= 0:
            k = came[node]
            steps.append(k)
            node = self.a[k] if self.b[k] == node else self.b[k]
        return steps[::-1]


def _brief(assignment: dict[str, Any] | None) -> dict[str, Any] | None:
    if assignment is None:
        return None
    keys = ("cluster_id", "cluster_size", "canonical_id", "is_canonical", "similarity", "rule")
    return {k: assignment[k] for k in keys}


def _shares_band(prepared: Prepared, a: int, b: int, config: Config) -> dict[str, bool]:
    lcfg = config.lsh
    out = {}
    for name, sig, threshold in (
        ("body", prepared.body_sig, lcfg.body_threshold),
        ("lead", prepared.lead_sig, lcfg.lead_threshold),
        ("headline", prepared.headline_sig, lcfg.headline_threshold),
    ):
        bands, rows = band_params(threshold, sig.shape[1], recall_weight=lcfg.recall_weight)
        keys = band_keys(sig[[a, b]], bands=bands, rows=rows)
        out[name] = bool(np.any((keys[0] == keys[1]) & (keys[0] != 0)))
    return out


def explain(
    data: pl.DataFrame | str,
    id_a: str,
    id_b: str,
    *,
    config: Config | None = None,
    **read_opts: Any,
) -> Explanation:
    """Run the detector on ``data`` and explain the pair ``(id_a, id_b)``."""
    from syndup.pipeline import Detector  # here: ``index explain`` needs no pipeline

    detector = Detector(config)
    result = detector.run(data, **read_opts)
    prepared = detector.last_prepared
    assert prepared is not None
    return explain_pairs(prepared, [(str(id_a), str(id_b))], detector.config, result)[0]
