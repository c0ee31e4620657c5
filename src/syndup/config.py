"""Frozen configuration for every stage; round-trips to dict and TOML.

Config is plain data: it knows nothing of engines. ``Config.from_toml(path)`` reads a file
with one table per stage (``[lsh]``, ``[verify]``, ...); unknown keys are errors, not ignored.
"""

from __future__ import annotations

import dataclasses
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from syndup.errors import ConfigError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


@dataclass(frozen=True)
class NormalizeConfig:
    """Text cleanup. Learned boilerplate needs several articles per outlet to fire."""

    strip_datelines: bool = True
    strip_bylines: bool = True
    strip_boilerplate: bool = True
    strip_aggregator_tails: bool = True
    learn_boilerplate: bool = True
    boilerplate_min_docs: int = 4
    boilerplate_min_docs_global: int = 0  # 0 = off; see normalize.learn_from_paragraphs
    boilerplate_shared_outlets: int = 3  # 0 = off; see normalize._shared_template
    boilerplate_max_words: int = 60
    boilerplate_sample: int = 100  # articles per outlet read for learning; 0 = all
    furniture_min_outlets: int = 5  # 0 = off; see normalize._recurring_furniture
    furniture_top_paras: int = 3
    furniture_story_share: float = 0.8
    furniture_cooccur: float = 0.3
    infer_headlines: bool = True
    title_max_words: int = 20
    extra_boilerplate: tuple[str, ...] = ()


@dataclass(frozen=True)
class SignatureConfig:
    """MinHash settings. Values follow datasketch's ``affine32`` scheme for ``seed``.

    More permutations give tighter Jaccard estimates (standard error ~ sqrt(J(1-J)/num_perm))
    at a cost in memory (and, with ``affine32``, time). Cleaned bodies are kept for exact
    checks; when the input's bodies exceed ``compress_text_above_mb`` they are kept
    zstd-compressed (~4x smaller, ~1 s of CPU per 100k articles).

    ``scheme`` is the body signature's: ``"affine32"`` (default), datasketch's MinHash,
    bit-identical to ``datasketch.MinHash(num_perm, seed)`` (``Prepared.body_sig`` rows
    wrap as ``LeanMinHash``), or ``"oph"``, one-permutation hashing with optimal
    densification: one hash per shingle instead of ``num_perm`` (about 12% less CPU in
    normalise+signatures on generated news; the compiled 256-permutation loop is already
    cheap), the same candidate recall, but pairwise F1 on the realistic 20k set fell from
    0.887 to 0.850 with it (the rules' ``body_jaccard`` thresholds were set on MinHash
    estimates; bodies with fewer shingles than ``num_perm`` get noisier ones). Lead and
    headline signatures are always ``affine32``.
    """

    num_perm: int = 256
    scheme: str = "affine32"
    headline_num_perm: int = 64
    lead_num_perm: int = 64
    seed: int = 1
    body_ngram: int = 4
    headline_ngram: int = 3  # characters
    lead_words: int = 60
    # Rows per normalise+sign batch (and per stored text block). Each batch pays ~40 ms of
    # fixed cost (polars calls, ~18 ms recompiling regexes: polars caches 32 per thread, a
    # batch uses ~40); 5000 cut normalise+signatures CPU ~10% against 2000 at 100k.
    batch_size: int = 5000
    workers: int = 2
    compress_text_above_mb: int = 1000


@dataclass(frozen=True)
class LSHConfig:
    """Banding thresholds. Bands x rows follow datasketch's optimal-parameter rule, weighted
    ``(1 - recall_weight, recall_weight)`` towards recall (256 permutations at 0.3 give
    85 bands of 3 rows: a pair at Jaccard 0.33 becomes a candidate with probability 0.95).

    ``same_headline_threshold``: a fourth index over the headlines of records with a body
    and a specific headline (5+ words, not generic), proposing pairs of versions that
    share the headline but little text; verification still decides on the bodies.

    A lower threshold finds more distant copies (write-throughs, heavy trims) at the cost of
    more candidate pairs to verify. Buckets larger than ``anchors`` pair each member with
    only the bucket's first ``anchors`` members, which keeps a 10,000-copy story linear;
    buckets over ``warn_bucket`` are reported.

    ``wire_feed_hours``: a fifth source of candidates, not LSH: articles under a wire's
    dateline paired with that wire's own feed rows (``ClusterConfig.wire_outlets``) of the
    same dateline city within so many hours (0 = off), feed rows of
    ``wire_feed_min_shingles`` or more only, pairs whose MinHash Jaccard estimate is at
    least ``wire_feed_min_jaccard`` (0 = every pair in the window); see ``syndup.wire_feed``
    for why and what it costs.
    """

    body_threshold: float = 0.3
    lead_threshold: float = 0.5
    headline_threshold: float = 0.3
    same_headline_threshold: float = 0.8  # 0 = off; bodied records, specific headlines
    recall_weight: float = 0.9
    anchors: int = 4
    warn_bucket: int = 2000
    wire_feed_hours: float = 24.0
    wire_feed_min_shingles: int = 120
    wire_feed_min_jaccard: float = 0.01


# The write-through rules describe versions of one story: none holds for a page of several
# stories (``multi_story``), which is a copy only of its own copies (near-identical, contained),
# nor for another day's filing (``other_day_filing``: a wire dateline dated otherwise, a day
# or more on; a version filed after midnight carries the next date but lies hours away).
# Trade-off: a chain re-filed for more than a day under dated datelines parts at that point.
# A wire's versions keep the story's dateline city while each new top is written, so the
# version rules veto another city (``dateline_city_differs``); ``write_through`` does not,
# since it needs the kept lead instead (outlets re-dateline a rewrite from their own city).
def _default_rules() -> tuple[Rule, ...]:
    """The word-level rules, the OCR copy rules, then the OCR twins (``ocr_twin``) of the
    rules that read shares of the narrative."""
    rules = _rules()
    by_name = {r.name: r for r in rules}
    return rules + tuple(ocr_twin(by_name[name]) for name in OCR_TWINNED)


# Rules whose shares are read again through OCR damage (``ocr_twin``): the version, copy
# and contained-body rules; not those that read leads or headlines only (OCR breaks both
# too, and a headline's few words leave no letters to compare).
OCR_TWINNED = (
    "write_through_wire",
    "write_through_version",
    "write_through_wire_city",
    "write_through_wire_feed",
)
# Measured on the generator's realistic profile with and without 5% word damage (the same
# articles, copies of one story): word shingles an OCR'd pair keeps of a share (0.70 at 5%;
# two copies at ~10% word damage each keep ~0.45), character grams it keeps (0.96, lower
# quartile 0.92), and the grams of the unquoted narrative shared per word shingle shared
# on clean text (median 4.2, lower quartile 3.5: a gram count as low as most pairs that
# hold the word rule's shingle count have).
OCR_WORD_SURVIVAL = 0.45
OCR_GRAM_SURVIVAL = 0.9
OCR_GRAMS_PER_SHINGLE = 3.5
OCR_WORD_LOSS = 0.2  # words lost beyond this share of the narrative's letters: OCR broke them


def ocr_twin(rule: Rule) -> Rule:
    """``rule`` read through OCR damage: its shares of the body (``body_containment``,
    ``unquoted_containment``, ``shared_shingles``) become the narrative's on OCR-folded
    character grams (``ocr_narrative`` >= the larger share, ``ocr_narrative_shared`` >=
    ``OCR_GRAMS_PER_SHINGLE`` grams per shingle, both times the ``OCR_GRAM_SURVIVAL`` the
    grams keep through the damage), figures are read through OCR's digit
    look-alikes (``ocr_figures_changed`` for ``figures_changed`` and ``refiled``), and the
    pair must show OCR damage (``ocr_word_loss >= OCR_WORD_LOSS``: on clean text the word
    rule already decides) with a floor on the word share it keeps (``OCR_WORD_SURVIVAL`` of
    the rule's, which bounds the pairs whose bodies are read). Every other condition is
    kept as it is."""
    from syndup.rules import parse_condition  # (rules imports this module)

    share, shared, keep = 0.0, 0.0, []
    for cond in rule.when:
        name, op, value = parse_condition(cond)
        if name in ("body_containment", "unquoted_containment") and op == ">=":
            share = max(share, value)
        elif name == "shared_shingles" and op == ">=":
            shared = value
        elif name in ("figures_changed", "refiled"):
            if "ocr_figures_changed == 0" not in keep:
                keep.append("ocr_figures_changed == 0")
        else:
            keep.append(cond)
    grams = round(shared * OCR_GRAMS_PER_SHINGLE * OCR_GRAM_SURVIVAL)
    when = [
        f"ocr_narrative >= {round(share * OCR_GRAM_SURVIVAL, 3):g}",
        *([f"ocr_narrative_shared >= {grams}"] if shared else []),
        f"ocr_word_loss >= {OCR_WORD_LOSS:g}",
        f"body_containment >= {round(share * OCR_WORD_SURVIVAL, 3):g}",
        *keep,
    ]
    return Rule(
        f"ocr_{rule.name}",
        tuple(when),
        f"{rule.name} through OCR damage: its shares read on the letters where OCR broke "
        "the words (see syndup.config.ocr_twin)",
    )


def _rules() -> tuple[Rule, ...]:
    return (
        Rule(
            "near_identical_body",
            (
                "body_jaccard >= 0.6",
                "shorter_shingles >= 30",
                "figures_changed == 0",
                "refiled == 0",
                "dateline_differs == 0",
                "weekday_differs == 0",
            ),
            "the bodies share most of their word shingles",
        ),
        Rule(
            "near_identical_short_body",
            (
                "body_jaccard >= 0.6",
                "shorter_shingles >= 8",
                "figures_changed == 0",
                "refiled == 0",
                "dateline_differs == 0",
                "weekday_differs == 0",
                "headline_ratio >= 50",
            ),
            "short bodies (a few lines) that share most of their shingles under a similar "
            "headline (short templated notices, such as dividend lines, differ in the name)",
        ),
        Rule(
            "near_identical_short_untitled",
            (
                "body_jaccard >= 0.6",
                "shorter_shingles >= 8",
                "figures_changed == 0",
                "refiled == 0",
                "dateline_differs == 0",
                "weekday_differs == 0",
                "headline_words == 0",
            ),
            "short bodies that share most of their shingles, one without a headline",
        ),
        Rule(
            "contained_body",
            (
                "body_containment >= 0.7",
                "unquoted_containment >= 0.5",
                "shared_shingles >= 30",
                "figures_changed == 0",
                "refiled == 0",
                "dateline_differs == 0",
                "weekday_differs == 0",
            ),
            "the shorter body is almost all inside the longer one (trimmed copy), and what "
            "they share is more than one sentence (a shared boilerplate sentence is not a story)",
        ),
        Rule(
            "contained_teaser",
            (
                "body_containment >= 0.6",
                "unquoted_containment >= 0.5",
                "shorter_shingles >= 10",
                "figures_changed == 0",
                "refiled == 0",
                "dateline_differs == 0",
                "weekday_differs == 0",
                "headline_ratio >= 85",
                "headline_generic == 0",
            ),
            "a short excerpt (a teaser of a sentence or two) mostly inside the longer body "
            "(a trim may end mid-sentence or keep a line of page furniture), under the same "
            "specific headline",
        ),
        Rule(
            "write_through",
            (
                "body_containment >= 0.45",
                "unquoted_containment >= 0.35",
                "lead_jaccard >= 0.15",
                "same_outlet == 0",
                "shorter_shingles >= 40",
                "figures_changed == 0",
                "weekday_differs == 0",
                "multi_story == 0",
                "other_day_filing == 0",
            ),
            "another outlet's version of the story: much narrative shared, not only "
            "quotations, and the lead partly kept (independent rewrites of one press "
            "release share facts but reword the lead)",
        ),
        Rule(
            "write_through_headline",
            (
                "body_containment >= 0.5",
                "unquoted_containment >= 0.45",
                "shared_shingles >= 50",
                "headline_ratio >= 85",
                "headline_generic == 0",
                "headline_figures_differ == 0",
                "refiled == 0",
                "weekday_differs == 0",
                "template_refill == 0",
                "multi_story == 0",
                "dateline_city_differs == 0",
                "other_day_filing == 0",
            ),
            "a copy under the story's own headline whose top was rewritten or topped with "
            "local copy: a specific headline and several paragraphs of narrative (not only "
            "quotations) in common; independent same-event stories write their own headline",
        ),
        Rule(
            "write_through_same_headline",
            (
                "headline_ratio >= 95",
                "headline_words >= 5",
                "headline_generic == 0",
                "headline_figures_differ == 0",
                "hours_apart <= 36",
                "body_containment >= 0.1",
                "unquoted_containment >= 0.08",
                "shared_shingles >= 25",
                "multi_story == 0",
                "template_refill == 0",
                "dateline_differs == 0",
                "weekday_differs == 0",
                "day_apart == 0",
            ),
            "versions of one story under the same specific headline (wire version tags "
            "removed), filed within a day, still sharing more than a sentence of "
            "narrative outside quotations: each write-through keeps the headline while the "
            "top changes, so versions several write-throughs apart share little text; "
            "independent stories of one event write their own headline. A new top brings "
            "new figures, so changed figures alone do not part them: a refilled template "
            "(same headline every day) is told by masking its figures (template_refill), "
            "another date in its dateline, or a day between the filings",
        ),
        Rule(
            "write_through_wire",
            (
                "body_containment >= 0.4",
                "unquoted_containment >= 0.35",
                "shared_shingles >= 60",
                "same_wire == 1",
                "hours_apart <= 36",
                "refiled == 0",
                "weekday_differs == 0",
                "template_refill == 0",
                "multi_story == 0",
                "dateline_city_differs == 0",
                "other_day_filing == 0",
            ),
            "a later version of the same wire's story (same wire dateline/byline, filed within "
            "a day and a half): new top, much of the earlier narrative kept lower down",
        ),
        Rule(
            "write_through_version",
            (
                "body_containment >= 0.3",
                "unquoted_containment >= 0.2",
                "shared_shingles >= 40",
                "same_wire == 1",
                "same_outlet == 0",
                "hours_apart <= 24",
                "template_refill == 0",
                "dateline_differs == 0",
                "weekday_differs == 0",
                "multi_story == 0",
                "dateline_city_differs == 0",
            ),
            "versions of one wire story a few write-throughs apart, printed by two outlets: "
            "the same wire's dateline, filed within a day, a paragraph or more of narrative "
            "in common. The openings' figures may differ (each write-through's new top "
            "brings new figures); a template refilled with other figures is told by masking "
            "them (template_refill), another filing by its dateline's date",
        ),
        Rule(
            "write_through_version_trim",
            (
                "body_containment >= 0.5",
                "unquoted_containment >= 0.35",
                "shared_shingles >= 20",
                "same_wire == 1",
                "same_outlet == 0",
                "hours_apart <= 24",
                "figures_changed == 0",
                "template_refill == 0",
                "dateline_differs == 0",
                "weekday_differs == 0",
                "multi_story == 0",
                "dateline_city_differs == 0",
            ),
            "a trimmed copy of one wire version and another version of the story, printed "
            "by two outlets within a day under the wire's dateline: a paragraph of "
            "narrative (not only quotations) in common and the figures agreeing. Where the "
            "figures differ (a new top, or a template refilled) write_through_version asks "
            "for two paragraphs",
        ),
        Rule(
            "write_through_wire_city",
            (
                "unquoted_containment >= 0.1",
                "shared_shingles >= 40",
                "same_wire == 1",
                "same_dateline_city == 1",
                "same_outlet == 0",
                "hours_apart <= 24",
                "multi_story == 0",
                "template_refill == 0",
                "dateline_differs == 0",
                "weekday_differs == 0",
                "other_day_filing == 0",
            ),
            "versions of one wire story many write-throughs apart, printed by two outlets: "
            "the same wire and dateline city within a day and two paragraphs or more of "
            "narrative (not only quotations) in common, however small a share of the "
            "shorter body that is (each write-through adds a new top, quotes and reaction "
            "around the kept text). Trade-off: wire, city and hours are the evidence, so "
            "two stories one wire files from one city on one day sharing two paragraphs of "
            "background join; one outlet's pages share its furniture and byline, so they "
            "need write_through_version_same_outlet or, on the wire's own feed, "
            "write_through_wire_feed",
        ),
        Rule(
            "write_through_wire_feed",
            (
                "unquoted_containment >= 0.1",
                "shared_shingles >= 40",
                "wire_feed == 1",
                "same_wire == 1",
                "same_dateline_city == 1",
                "hours_apart <= 24",
                "multi_story == 0",
                "template_refill == 0",
                "dateline_differs == 0",
                "weekday_differs == 0",
                "other_day_filing == 0",
            ),
            "two versions of one story on the wire's own feed (the wire files every "
            "write-through there): its byline, dateline city and a day, and two paragraphs "
            "or more of narrative (not only quotations) in common at any share, as "
            "write_through_wire_city for two outlets. A wire's feed carries no outlet's "
            "page furniture; same-wire, same-city pairs are read exactly without "
            "quotations (body_checks.WIRE_BAND)",
        ),
        Rule(
            "write_through_version_same_outlet",
            (
                "body_containment >= 0.3",
                "unquoted_containment >= 0.2",
                "shared_shingles >= 50",
                "same_wire == 1",
                "hours_apart <= 24",
                "figures_changed == 0",
                "weekday_differs == 0",
                "multi_story == 0",
                "dateline_city_differs == 0",
                "other_day_filing == 0",
            ),
            "one outlet's pages of the same wire story a few write-throughs apart (the "
            "wire's own feed): an outlet's pages share its page furniture and the wire's "
            "byline, so two or more paragraphs and the story's figures must agree",
        ),
        Rule(
            "write_through_wire_headline",
            (
                "same_wire == 1",
                "headline_ratio >= 95",
                "headline_words >= 5",
                "headline_generic == 0",
                "headline_figures_differ == 0",
                "hours_apart <= 24",
                "multi_story == 0",
                "dateline_city_differs == 0",
                "figures_changed == 0",
                "template_refill == 0",
                "dateline_differs == 0",
                "weekday_differs == 0",
                "recurring == 0",
            ),
            "versions of one wire story: the same wire's dateline or byline, the same "
            "dateline city where both name one (the body's evidence: a new top keeps the "
            "dateline) and the same specific headline, filed within a day. A wire keeps a "
            "story's headline while "
            "each write-through writes a new top, so a trimmed copy of one version may share "
            "no paragraph with another; a wire does not file two stories under one specific "
            "headline on one day, and a daily notice under one headline is told by its "
            "figures, its dateline's date or its outlet's recurring item",
        ),
        Rule(
            "write_through_wire_new_top",
            (
                "same_wire == 1",
                "same_dateline_city == 1",
                "headline_ratio >= 95",
                "headline_words >= 5",
                "headline_generic == 0",
                "headline_figures_differ == 0",
                "hours_apart <= 24",
                "body_containment <= 0.1",
                "same_outlet == 0",
                "multi_story == 0",
                "dateline_differs == 0",
                "weekday_differs == 0",
                "recurring == 0",
            ),
            "trimmed copies of two versions of one wire story, printed by two outlets: the "
            "same wire, dateline city and specific headline within a day, and no more than "
            "a sentence in common. Each write-through writes a new top with new figures, so "
            "the figures may differ; a template refilled (a daily notice under one headline) "
            "keeps its wording, so its filings share most of their text and this does not "
            "hold for them",
        ),
        Rule(
            "write_through_narrative",
            (
                "body_containment >= 0.6",
                "unquoted_containment >= 0.6",
                "shared_shingles >= 120",
                "same_outlet == 0",
                "days_apart <= 3",
                "refiled == 0",
                "weekday_differs == 0",
                "template_refill == 0",
                "multi_story == 0",
                "dateline_city_differs == 0",
                "other_day_filing == 0",
            ),
            "another outlet's version of the story with a rewritten top: most of the shorter "
            "body and 120+ shingles (several paragraphs) of unquoted narrative in common, "
            "within days; independent same-event stories share facts and quotations, not "
            "paragraphs",
        ),
        Rule(
            "same_outlet_update",
            (
                "body_containment >= 0.6",
                "unquoted_containment >= 0.5",
                "lead_jaccard >= 0.3",
                "shorter_shingles >= 40",
                "figures_changed == 0",
                "dateline_differs == 0",
                "weekday_differs == 0",
                "multi_story == 0",
            ),
            "an outlet's update of its own story: same lead, most text kept (outlets reuse "
            "their own background paragraphs in follow-ups, so this needs more)",
        ),
        Rule(
            "same_headline",
            (
                "body_missing >= 1",
                "headline_ratio >= 92",
                "headline_words >= 5",
                "headline_generic == 0",
                "headline_figures_differ == 0",
                "recurring == 0",
                "same_outlet == 0",
                "day_apart == 0",
                "weekday_differs == 0",
            ),
            "headline-only record with a near-identical, specific headline from another outlet "
            "within a day (an outlet's second item under one headline is another filing)",
        ),
        Rule(
            "exact_headline",
            (
                "body_missing >= 1",
                "headline_ratio >= 99",
                "headline_words >= 4",
                "headline_generic == 0",
                "headline_figures_differ == 0",
                "recurring == 0",
                "same_outlet == 0",
                "day_apart == 0",
                "weekday_differs == 0",
            ),
            "headline-only record with the same four-plus-word headline, not a generic one, "
            "from another outlet within a day (an outlet's second item under one headline is "
            "another filing)",
        ),
        Rule(
            "same_long_headline",
            (
                "body_missing >= 1",
                "headline_ratio >= 92",
                "headline_words >= 10",
                "headline_generic == 0",
                "headline_figures_differ == 0",
                "recurring == 0",
                "same_outlet == 0",
                "headline_figures == 0",
            ),
            "headline-only record with the same sentence-long (10+ words) headline, on any "
            "day: outlets print a wire headline for days, while a recurring item's headline "
            "is a short label refiled every day; a headline holding figures reports one "
            "day's figures (an auction's rate), which another day's filing may repeat by "
            "chance, so such a headline alone does not join across days",
        ),
        Rule(
            "headline_extended",
            (
                "body_missing >= 1",
                "headline_partial >= 92",
                "headline_swapped == 0",
                "headline_words >= 7",
                "headline_generic == 0",
                "headline_figures_differ == 0",
                "recurring == 0",
                "same_outlet == 0",
                "day_apart == 0",
                "weekday_differs == 0",
            ),
            "headline-only record whose headline is contained in the other's (it adds words, "
            "swaps no name or figure) from another outlet within a day (an outlet's second item "
            "under one headline is another filing)",
        ),
        Rule(
            "ocr_copy",
            (
                "ocr_containment >= 0.8",
                "ocr_shared >= 250",
                "ocr_figures_changed == 0",
                "dateline_differs == 0",
                "weekday_differs == 0",
            ),
            "an OCR'd copy: the words are broken (misread glyphs, split or glued words) but "
            "the letters of the shorter body are almost all in the longer one, over more "
            "than two sentences, and the figures agree up to a misread digit",
        ),
        Rule(
            "ocr_copy_short",
            (
                "ocr_containment >= 0.85",
                "ocr_shared >= 60",
                "ocr_figures_changed == 0",
                "dateline_differs == 0",
                "weekday_differs == 0",
                "headline_ratio >= 50",
            ),
            "a short OCR'd copy (a few lines) whose letters are nearly all in the other "
            "body, under a similar headline (short templated notices differ in the name), "
            "the same filing (no other dateline date)",
        ),
    )


@dataclass(frozen=True)
class Rule:
    """A named conjunction of conditions ``"feature op value"`` over pair features."""

    name: str
    when: tuple[str, ...]
    description: str = ""


@dataclass(frozen=True)
class VerifyConfig:
    """The fuzzy stage. A pair matches when any rule's conditions all hold; rules are tried
    in order and the first that holds is recorded as the reason."""

    rules: tuple[Rule, ...] = field(default_factory=_default_rules)
    lead_chars: int = 400
    # Pages of several stories told by form (``syndup.roundup_form``): time-stamp lines of a
    # live blog, or item headings with a headline word near one of ``roundup_words``.
    roundup_time_stamps: int = 2
    roundup_items: int = 3
    roundup_word_score: float = 80.0
    roundup_words: tuple[str, ...] = (
        "brief",
        "briefs",
        "briefing",
        "briefings",
        "latest",
        "digest",
        "newsletter",
        "roundup",
    )
    generic_headlines: tuple[str, ...] = (
        "letters to the editor",
        "letter to the editor",
        "weather",
        "police blotter",
        "obituaries",
        "corrections",
        "today in history",
        "horoscope",
        "crossword",
        "news briefs",
        "sports briefs",
        "lottery",
        "editorial",
        "morning briefing",
        "evening briefing",
        "the latest",
        "photos of the day",
        "in brief",
    )


@dataclass(frozen=True)
class ClusterConfig:
    """Clustering and canonical choice.

    Story graph (see ``syndup.graph_cuts.story_graph``): a page holding a story that is
    printed elsewhere under another headline (containment >= ``contained``, the story at
    most ``smaller_share`` of the page, headline ratio < ``foreign_headline``) may not
    bridge stories; pairs more than ``max_days_apart`` apart never join, and a story spans
    at most ``story_days`` (copies of one filing lie within days, templated notices recur
    for months), and a templated series (members that are one template refilled with other
    figures) at most ``series_days``: each filing's copies lie within hours. A headline-only
    record reaching bodies whose figures differ and that share under ``same_filing`` of
    their text (several filings under one headline) joins none of them. Canonical
    rules are tried in order; the first that separates the best member from the runner-up
    is recorded as the deciding rule. ``has_body`` first keeps a
    headline-only link from standing for a story whose full text is in the cluster.
    """

    contained: float = 0.7
    smaller_share: float = 0.8
    foreign_headline: float = 60.0
    shared_lead: float = 0.2
    same_story: float = 0.05  # groups whose representatives share more are one story
    same_filing: float = 0.5  # bodies with other figures sharing less are other filings
    copy_jaccard: float = 0.6
    same_items: float = 0.8  # two roundups are one page when their items are (see item_share)
    held_share: float = 0.5
    max_days_apart: float = 7.0
    story_days: float = 14.0
    series_days: float = 0.75
    canonical_rules: tuple[str, ...] = (
        "has_body",
        "wire_outlet",
        "wire_byline",
        "earliest_published",
        "most_complete",
        "smallest_id",
    )
    wire_outlets: tuple[str, ...] = (
        "associated press",
        "ap",
        "apnews.com",
        "reuters",
        "reuters.com",
        "afp",
        "agence france-presse",
        "upi",
        "cnn wire",
        "bloomberg",
    )


SCHEMES = ("oph", "affine32")  # body signature schemes (see SignatureConfig)


# Allowed ranges, checked whenever a Config is made: (low, high); None = unbounded.
_RANGES: dict[str, tuple[float | None, float | None]] = {
    "boilerplate_min_docs": (1, None),
    "boilerplate_min_docs_global": (0, None),
    "boilerplate_shared_outlets": (0, None),
    "boilerplate_max_words": (1, None),
    "boilerplate_sample": (0, None),
    "furniture_min_outlets": (0, None),
    "furniture_top_paras": (1, None),
    "furniture_story_share": (0, 1),
    "furniture_cooccur": (0, 1),
    "title_max_words": (1, None),
    "num_perm": (1, None),
    "headline_num_perm": (1, None),
    "lead_num_perm": (1, None),
    "body_ngram": (1, None),
    "headline_ngram": (1, None),
    "lead_words": (1, None),
    "batch_size": (1, None),
    "workers": (1, None),
    "compress_text_above_mb": (0, None),
    "body_threshold": (0, 1),
    "lead_threshold": (0, 1),
    "headline_threshold": (0, 1),
    "recall_weight": (0, 1),
    "anchors": (1, None),
    "warn_bucket": (1, None),
    "wire_feed_hours": (0, None),
    "wire_feed_min_shingles": (0, None),
    "wire_feed_min_jaccard": (0, 1),
    "lead_chars": (1, None),
    "same_headline_threshold": (0, 1),
    "contained": (0, 1),
    "smaller_share": (0, 1),
    "foreign_headline": (0, 100),
    "shared_lead": (0, 1),
    "same_story": (0, 1),
    "same_filing": (0, 1),
    "copy_jaccard": (0, 1),
    "same_items": (0, 1),
    "roundup_time_stamps": (1, None),
    "roundup_items": (1, None),
    "roundup_word_score": (0, 100),
    "held_share": (0, 1),
    "max_days_apart": (0, None),
    "story_days": (0, None),
    "series_days": (0, None),
}


def _check_section(where: str, section: Any) -> None:
    """Raise ConfigError naming ``[where] key`` for a value out of its range."""
    for f in dataclasses.fields(section):
        value = getattr(section, f.name)
        low, high = _RANGES.get(f.name, (None, None))
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            continue
        if (low is not None and value < low) or (high is not None and value > high):
            want = f"between {low} and {high}" if high is not None else f"at least {low}"
            raise ConfigError(f"[{where}] {f.name} must be {want}, got {value!r}")
    if where == "signature" and section.scheme not in SCHEMES:
        raise ConfigError(
            f"[signature] scheme must be one of {', '.join(SCHEMES)}, got {section.scheme!r}"
        )
    if where == "verify":
        from syndup.rules import parse_condition

        for rule in section.rules:
            if not rule.when:
                raise ConfigError(f"[verify.rules] rule {rule.name!r} has no conditions")
            for condition in rule.when:
                try:
                    parse_condition(condition)
                except ConfigError as exc:
                    raise ConfigError(f"[verify.rules] rule {rule.name!r}: {exc}") from None
    if where == "cluster":
        from syndup.cluster import _RULE_KEYS

        unknown = [r for r in section.canonical_rules if r not in _RULE_KEYS]
        if unknown:
            raise ConfigError(
                f"[cluster] canonical_rules: unknown rule(s) {', '.join(unknown)}; known: "
                f"{', '.join(_RULE_KEYS)}"
            )


@dataclass(frozen=True)
class Config:
    """All stage configs. ``Config()`` is the tuned default. Values are checked when a
    Config is made (ranges, rule features, canonical rules): a bad one raises ConfigError
    naming the section and key."""

    normalize: NormalizeConfig = field(default_factory=NormalizeConfig)
    signature: SignatureConfig = field(default_factory=SignatureConfig)
    lsh: LSHConfig = field(default_factory=LSHConfig)
    verify: VerifyConfig = field(default_factory=VerifyConfig)
    cluster: ClusterConfig = field(default_factory=ClusterConfig)

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):
            _check_section(f.name, getattr(self, f.name))

    def to_dict(self) -> dict[str, Any]:
        """Plain dict of lists and scalars (TOML/JSON friendly)."""
        return _plain(dataclasses.asdict(self))

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Config:
        """Build from a dict; missing keys take defaults, unknown keys raise ConfigError."""
        parts: dict[str, Any] = {}
        for f in dataclasses.fields(cls):
            section = data.get(f.name, {})
            sub_cls = type(getattr(cls(), f.name))
            parts[f.name] = _build(sub_cls, section, f.name)
        unknown = set(data) - {f.name for f in dataclasses.fields(cls)}
        if unknown:
            raise ConfigError(f"unknown config section(s): {', '.join(sorted(unknown))}")
        return cls(**parts)

    def to_toml(self) -> str:
        import tomli_w

        return tomli_w.dumps(self.to_dict())

    @classmethod
    def from_toml(cls, path: str | Path) -> Config:
        try:
            data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ConfigError(f"{path}: config file not found") from None
        except IsADirectoryError:
            raise ConfigError(f"{path}: is a directory, not a config file") from None
        except OSError as exc:
            raise ConfigError(f"{path}: cannot read the config file: {exc.strerror}") from None
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{path}: not valid TOML: {exc}") from None
        try:
            return cls.from_dict(data)
        except ConfigError as exc:
            raise ConfigError(f"{path}: {exc}") from None


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def _build(cls: type, section: Any, where: str) -> Any:
    if not isinstance(section, dict):
        raise ConfigError(f"[{where}] must be a table")
    if cls is Rule:
        when = section.get("when")
        if not isinstance(section.get("name"), str) or not isinstance(when, list):
            raise ConfigError(f"[{where}] each rule needs a 'name' and a 'when' list")
        return Rule(section["name"], tuple(str(w) for w in when), section.get("description", ""))
    names = {f.name: f for f in dataclasses.fields(cls)}
    unknown = set(section) - set(names)
    if unknown:
        raise ConfigError(f"unknown key(s) in [{where}]: {', '.join(sorted(unknown))}")
    defaults = cls()
    kwargs: dict[str, Any] = {}
    for key, value in section.items():
        default = getattr(defaults, key)
        if key == "rules":
            kwargs[key] = tuple(_build(Rule, r, f"{where}.rules") for r in value)
        elif isinstance(default, tuple):
            if not isinstance(value, list):
                raise ConfigError(f"[{where}] {key} must be a list")
            kwargs[key] = tuple(value)
        elif isinstance(default, bool) != isinstance(value, bool) or not isinstance(
            value, (type(default), int) if isinstance(default, float) else type(default)
        ):
            raise ConfigError(f"[{where}] {key} must be {type(default).__name__}, got {value!r}")
        else:
            kwargs[key] = value
    return cls(**kwargs)
