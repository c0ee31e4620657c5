"""Rules are data: conditions on pair features, read and evaluated here (the decision step of
the fuzzy stage; ``syndup.verify`` computes the features).

A rule holds when all its conditions do; a pair matches on the first rule that holds. A
condition is ``feature op number`` (``"body_jaccard >= 0.6"``); a null or NaN feature
compares false. Evaluation is one polars expression per rule set (built once and cached),
or numpy for a few pairs (see ``apply_rules``); both make the same comparisons.
"""

from __future__ import annotations

import functools
import re

import numpy as np
import polars as pl

from syndup.config import Rule, VerifyConfig
from syndup.errors import ConfigError

# The features a rule may name (each is described in ``syndup.verify``).
FEATURES = (
    "headline_ratio",
    "headline_partial",
    "headline_words",
    "headline_swapped",
    "headline_generic",
    "body_missing",
    "body_jaccard",
    "body_containment",
    "unquoted_containment",
    "shorter_shingles",
    "shared_shingles",
    "lead_jaccard",
    "lead_ratio",
    "same_outlet",
    "wire_feed",
    "same_wire",
    "figures_changed",
    "refiled",
    "recurring",
    "dateline_differs",
    "weekday_differs",
    "other_day_filing",
    "dateline_city_differs",
    "same_dateline_city",
    "headline_figures",
    "headline_figures_differ",
    "template_refill",
    "multi_story",
    "day_apart",
    "days_apart",
    "hours_apart",
    "ocr_containment",
    "ocr_shared",
    "ocr_jaccard",
    "ocr_figures_changed",
    "ocr_narrative",
    "ocr_narrative_shared",
    "ocr_word_loss",
)
# Features read from stored bodies after the word-level rules (``verify.pair_features``):
# the OCR copy evidence (four, computed together) and the OCR narrative (three).
OCR_FEATURES = frozenset(f for f in FEATURES if f.startswith("ocr_"))
NARRATIVE_FEATURES = frozenset(("ocr_narrative", "ocr_narrative_shared", "ocr_word_loss"))
_COND = re.compile(r"^\s*([a-z_]+)\s*(>=|<=|==|!=|>|<)\s*(-?[0-9.]+)\s*$")


def feature_scopes(config: VerifyConfig) -> dict[str, str]:
    """For the costlier features, where any rule could read them: ``"none"`` (no rule
    does), ``"body_missing"`` (only rules that also require ``body_missing >= 1``), or
    ``"all"``."""
    out = {}
    for feature in ("lead_ratio", "headline_partial", "ocr_containment", "ocr_narrative"):
        # The OCR copy features are computed together: any of them stands for all; so are
        # the narrative ones.
        group = (
            NARRATIVE_FEATURES
            if feature == "ocr_narrative"
            else OCR_FEATURES - NARRATIVE_FEATURES
            if feature == "ocr_containment"
            else {feature}
        )
        readers = [r for r in config.rules if group & rule_features(r)]
        if not readers:
            out[feature] = "none"
        elif all(_requires_missing_body(r) for r in readers):
            out[feature] = "body_missing"
        else:
            out[feature] = "all"
    return out


def rule_features(rule: Rule) -> set[str]:
    return {m.group(1) for c in rule.when if (m := _COND.match(c))}


def without_features(rule: Rule, features: frozenset[str]) -> tuple[str, tuple[str, ...]]:
    """``rule`` (as a ``rules_key`` entry) with its conditions on ``features`` dropped: where
    it could still hold before those features are known."""
    keep = tuple(c for c in rule.when if not ((m := _COND.match(c)) and m.group(1) in features))
    return rule.name, keep


def _requires_missing_body(rule: Rule) -> bool:
    for c in rule.when:
        m = _COND.match(c)
        if m and m.group(1) == "body_missing":
            op, value = m.group(2), float(m.group(3))
            if (op in (">=", "==") and value == 1) or (op == ">" and 0 <= value < 1):
                return True
    return False


def parse_condition(condition: str) -> tuple[str, str, float]:
    """``"body_jaccard >= 0.6"`` -> ``("body_jaccard", ">=", 0.6)``; ConfigError when the
    text is not a condition on a known feature (what a config is checked with)."""
    match = _COND.match(condition)
    if not match:
        raise ConfigError(f"cannot read rule condition {condition!r}: use 'feature >= number'")
    name, op, raw = match.groups()
    if name not in FEATURES:
        raise ConfigError(
            f"unknown feature {name!r} in rule condition; known: {', '.join(FEATURES)}"
        )
    return name, op, float(raw)


@functools.lru_cache(maxsize=4096)
def condition_expr(condition: str) -> pl.Expr:
    """``"body_jaccard >= 0.6"`` -> a polars boolean expression (null compares false)."""
    name, op, value = parse_condition(condition)
    col = pl.col(name)
    expr = {
        ">=": col >= value,
        "<=": col <= value,
        ">": col > value,
        "<": col < value,
        "==": col == value,
        "!=": col != value,
    }[op]
    return expr.fill_null(False)


def rule_expr(rule: Rule) -> pl.Expr:
    """The rule's conditions as one polars expression."""
    return _conjunction(tuple(rule.when))


# Expressions are built once per set of conditions: building those of the default rules
# costs ~30 ms, more than applying them to the few pairs of an incremental step.
@functools.lru_cache(maxsize=512)
def _conjunction(when: tuple[str, ...]) -> pl.Expr:
    expr = pl.lit(True)
    for condition in when:
        expr = expr & condition_expr(condition)
    return expr


def rules_key(rules: tuple[Rule, ...] | list[Rule]) -> tuple[tuple[str, tuple[str, ...]], ...]:
    return tuple((r.name, tuple(r.when)) for r in rules)


@functools.lru_cache(maxsize=16)
def _chosen_expr(rules: tuple[tuple[str, tuple[str, ...]], ...]) -> pl.Expr:
    """The first matching rule's name (null when none holds), as one expression."""
    chosen: pl.Expr = pl.lit(None, dtype=pl.String)
    for name, when in reversed(rules):
        chosen = pl.when(_conjunction(when)).then(pl.lit(name)).otherwise(chosen)
    return chosen.cast(pl.Categorical).alias("rule")


@functools.lru_cache(maxsize=16)
def _any_expr(rules: tuple[tuple[str, tuple[str, ...]], ...]) -> pl.Expr:
    """Whether any of ``rules`` holds."""
    decided = pl.lit(False)
    for _, when in rules:
        decided = decided | _conjunction(when)
    return decided


RULES_IN_NUMPY = 256  # pairs up to which rules are evaluated in numpy (see ``apply_rules``)


def apply_rules(features: pl.DataFrame, config: VerifyConfig) -> pl.DataFrame:
    """Add ``rule`` (first matching rule's name, or null) and ``matched``.

    A few pairs (an incremental step, a one-article query) are decided in numpy: the
    default rules are ~190 comparisons, which polars evaluates as one expression for ~7 ms
    whatever the row count. The same comparisons (in the column's own float width, null
    compares false), so the same rule; a column holding NaN takes the polars path."""
    if not config.rules:
        raise ConfigError("verify.rules is empty: no pair could ever match")
    key = rules_key(config.rules)
    first = _first_rule(features, key) if features.height <= RULES_IN_NUMPY else None
    if first is None:
        rule = _chosen_expr(key)
    else:
        names = [name for name, _ in key]
        picked = [names[k] if k >= 0 else None for k in first.tolist()]
        rule = pl.Series("rule", picked, dtype=pl.String).cast(pl.Categorical)
    out = features.with_columns(rule)
    return out.with_columns(pl.col("rule").is_not_null().alias("matched"))


_OPS = {
    ">=": np.greater_equal,
    "<=": np.less_equal,
    ">": np.greater,
    "<": np.less,
    "==": np.equal,
    "!=": np.not_equal,
}


@functools.lru_cache(maxsize=16)
def _parsed_rules(
    rules: tuple[tuple[str, tuple[str, ...]], ...],
) -> tuple[tuple[str, tuple[tuple[str, str, float], ...]], ...]:
    return tuple((name, tuple(parse_condition(c) for c in when)) for name, when in rules)


def _first_rule(
    features: pl.DataFrame, rules: tuple[tuple[str, tuple[str, ...]], ...]
) -> np.ndarray | None:
    """Per row the index of the first of ``rules`` that holds (-1: none), in numpy; None
    when a compared column holds NaN (polars orders NaN above every number, numpy
    compares it false)."""
    parsed = _parsed_rules(rules)
    names = list(dict.fromkeys(name for _, conds in parsed for name, _, _ in conds))
    nulls = features.select(pl.col(n).is_null() for n in names)  # one pass for every column
    values: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for name in names:
        v = features[name].to_numpy()  # nulls come as NaN (integer columns as float64)
        null = nulls[name].to_numpy()
        if v.dtype.kind == "f" and bool((np.isnan(v) & ~null).any()):
            return None
        values[name] = (v, null)
    first = np.full(features.height, -1, dtype=np.int64)
    open_ = np.ones(features.height, dtype=bool)
    for k, (_, conds) in enumerate(parsed):
        ok = open_.copy()
        for name, op, value in conds:
            v, null = values[name]
            ok &= _OPS[op](v, value) & ~null
        first[ok] = k
        open_ &= ~ok
    return first


def any_rule(frame: pl.DataFrame, rules: tuple[tuple[str, tuple[str, ...]], ...]) -> np.ndarray:
    """Whether any of ``rules`` holds, per row (numpy for a few rows, as ``apply_rules``)."""
    first = _first_rule(frame, rules) if frame.height <= RULES_IN_NUMPY else None
    if first is None:
        return frame.select(_any_expr(rules)).to_series().to_numpy()
    return first >= 0


def explain_rules(
    row: dict[str, object], config: VerifyConfig
) -> list[tuple[str, bool, list[tuple[str, bool]]]]:
    """For one feature row: each rule, whether it held, and each condition's outcome.

    Every condition of every rule is evaluated in one ``select`` (one polars call instead of
    one per condition: ~80 ms less for ``index explain``)."""
    frame = pl.DataFrame([row])
    exprs = [
        condition_expr(c).alias(f"{i}.{j}")
        for i, rule in enumerate(config.rules)
        for j, c in enumerate(rule.when)
    ]
    values = frame.select(exprs).row(0) if exprs else ()
    it = iter(values)
    out = []
    for rule in config.rules:
        checks = [(c, bool(next(it))) for c in rule.when]
        out.append((rule.name, all(ok for _, ok in checks), checks))
    return out
