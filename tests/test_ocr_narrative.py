"""OCR twins of the share rules (``config.ocr_twin``), dateline cities and wire tags read
through OCR, and template refills seen through broken words. Real pipeline outputs on
built texts (``test_chains``' vocabulary and notice, ``test_ocr``'s damage)."""

from __future__ import annotations

import numpy as np
import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from syndup import Config
from syndup.config import OCR_TWINNED, Rule, VerifyConfig, ocr_twin
from syndup.explain import explain
from syndup.io import read_corpus
from syndup.ocr import fold_grams, fold_grams_reference
from syndup.prepare import normalize_corpus
from syndup.rules import NARRATIVE_FEATURES, rule_features
from test_chains import _notice, _vocab
from test_ocr import ocr_damage


def _versions(city_b: str, *, damage: bool, quotes: bool = False) -> list[dict]:
    """Two outlets' prints of one AP story many write-throughs apart sharing two kept
    narrative paragraphs (a small share of either body), OCR-damaged when ``damage``.
    ``quotes``: the kept paragraphs are quotations (what two stories of one event share)."""
    rng = np.random.default_rng(23)
    vocab = _vocab(rng)

    def para(n: int) -> str:
        return " ".join(rng.choice(vocab, n)) + "."

    def quoted(text: str) -> str:
        return f'"{text}"' if quotes else text

    kept = f"{quoted(para(30))}\n\n{quoted(para(30))}"

    def version(seed: int) -> str:
        body = "\n\n".join([para(40), para(40), para(40), kept, para(40), para(40)])
        return ocr_damage(body, every=6, seed=seed) if damage else body

    return [
        {
            "id": "early",
            "outlet": "Valley Post",
            "headline": para(7)[:-1],
            "published": "2025-03-04T06:00:00Z",
            "body": f"WASHINGTON (AP) - {version(0)}",
        },
        {
            "id": "late",
            "outlet": "Coast Herald",
            "headline": para(8)[:-1],
            "published": "2025-03-04T17:00:00Z",
            "body": f"{city_b} (AP) - {version(1)}",
        },
    ]


def test_distant_versions_through_ocr_join_on_the_letters() -> None:
    clean = explain(pl.DataFrame(_versions("WASHINGTON", damage=False)), "early", "late")
    assert clean.rule == "write_through_wire_city"  # the word rule decides clean text
    assert clean.features["ocr_narrative"] is None  # ...and no letters are read
    ocr = explain(pl.DataFrame(_versions("WASHlNGTON", damage=True)), "early", "late")
    assert ocr.features["shared_shingles"] < 40  # the words are broken...
    assert ocr.features["same_dateline_city"] == 1  # ...the misread city is the same
    assert ocr.features["ocr_word_loss"] >= 0.2
    assert ocr.rule == "ocr_write_through_wire_city"  # ...and the letters agree


def test_ocr_twin_keeps_the_other_evidence() -> None:
    other_city = explain(pl.DataFrame(_versions("CHICAGO", damage=True)), "early", "late")
    assert other_city.features["dateline_city_differs"] == 1
    assert other_city.rule is None
    # two stories of one event sharing only quotations: the narrative is read unquoted
    quotes = explain(
        pl.DataFrame(_versions("WASHINGTON", damage=True, quotes=True)), "early", "late"
    )
    assert quotes.rule is None
    assert quotes.features["ocr_narrative"] is None or quotes.features["ocr_narrative"] < 0.09


def test_ocr_twin_rewrites_only_the_shares() -> None:
    rule = Rule(
        "r",
        (
            "body_containment >= 0.4",
            "unquoted_containment >= 0.3",
            "shared_shingles >= 60",
            "same_wire == 1",
            "figures_changed == 0",
            "refiled == 0",
        ),
    )
    twin = ocr_twin(rule)
    assert twin.name == "ocr_r"
    assert twin.when == (
        "ocr_narrative >= 0.36",  # the larger share, times the grams kept through damage
        "ocr_narrative_shared >= 189",  # 60 shingles x 3.5 grams x 0.9
        "ocr_word_loss >= 0.2",
        "body_containment >= 0.18",
        "same_wire == 1",
        "ocr_figures_changed == 0",  # figures read through OCR's digit look-alikes
    )
    rules = {r.name: r for r in VerifyConfig().rules}
    for name in OCR_TWINNED:
        assert rules[f"ocr_{name}"] == ocr_twin(rules[name])
        assert rule_features(rules[f"ocr_{name}"]) & NARRATIVE_FEATURES
    names = [r.name for r in VerifyConfig().rules]
    first_twin = min(names.index(f"ocr_{n}") for n in OCR_TWINNED)
    assert all(n.startswith("ocr_") for n in names[first_twin:])  # OCR rules come last


def test_dateline_city_and_wire_read_through_ocr() -> None:
    openings = {
        "a": "WASHINGTON (Reuters) - The",
        "b": "WASHlNGTON (Rcuters) - The",
        "c": "HONG KONG (AP) — The",
        "d": "HONG KO NG (A P) — The",
        "e": "OSLO (AFP) - The",
        "f": "0SLO (AFP) - The",
        "g": "The council met on Tuesday - and voted.",
    }
    rows = [
        {"id": k, "outlet": "x", "headline": "h", "published": "2025-03-04", "body": v}
        for k, v in openings.items()
    ]
    docs = normalize_corpus(read_corpus(pl.DataFrame(rows)), Config())
    city = dict(zip(docs["id"], docs["dateline_city"]))
    wire = dict(zip(docs["id"], docs["wire"]))
    assert city["a"] == city["b"] != ""
    assert city["c"] == city["d"] != ""
    assert city["e"] == city["f"] != ""
    assert city["g"] == ""
    assert wire["a"] == wire["b"] == "reuters"
    assert wire["c"] == wire["d"] == "ap"
    assert wire["g"] == ""


def test_notice_refilled_through_ocr_is_a_refill() -> None:
    # one notice filled in twice on one day with other figures, under one headline: the
    # same-headline write-through rule would take them were the refill not seen
    rows = [
        {
            "id": f"fed-{k}",
            "outlet": outlet,
            "headline": "Fed adds reserves via customer repurchases",
            "published": f"2025-03-03T{hour}:45:00Z",
            "body": ocr_damage(_notice(3, x, y), every=7, seed=k),
        }
        for k, (x, y, outlet, hour) in enumerate(
            (("1.5", "6-3/16", "Reuters", 11), ("2.0", "6-1/4", "Ledger", 15))
        )
    ]
    why = explain(pl.DataFrame(rows), "fed-0", "fed-1")
    assert why.features["figures_changed"] == 1
    assert why.features["template_refill"] == 1  # masked figures, read on the letters
    assert why.rule is None


@given(
    st.lists(
        st.one_of(st.none(), st.text(alphabet="rnvV mMlI1|o0aOcde.,\"'é-\n", max_size=60)),
        max_size=6,
    ),
    st.sampled_from([1, 2, 4]),
)
@settings(max_examples=60, deadline=None)
def test_fold_grams_equal_their_definition(texts: list[str | None], keep: int) -> None:
    series = pl.Series(texts, dtype=pl.String)
    got = fold_grams(series, keep=keep)
    want = fold_grams_reference(series, keep=keep)
    assert np.array_equal(got[1], want[1]) and np.array_equal(got[0], want[0])
