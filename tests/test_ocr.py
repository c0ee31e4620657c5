"""OCR'd copies (character-gram evidence) and page furniture learned by recurrence across
outlets, on the project-written stories in ``tests/fixtures``."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import syndup
from syndup import Config
from syndup.config import VerifyConfig
from syndup.io import read_corpus
from syndup.normalize import clean_bodies
from syndup.ocr import figure_sets, figures_changed_ocr, fold_bytes, gram_sets, gram_sets_reference
from syndup.prepare import prepare
from syndup.rules import apply_rules
from syndup.verify import pair_features

STORIES = {
    s["id"]: s
    for s in json.loads((Path(__file__).parent / "fixtures" / "stories.json").read_text())
}
_LOOKALIKE = {"m": "rn", "l": "1", "e": "c", "o": "0", "h": "b", "n": "u", "i": "l", "a": "o"}


def ocr_damage(text: str, *, every: int = 6, seed: int = 0) -> str:
    """Damage every ``every``-th word (letters only: figures are tested on their own) the
    way OCR does, cycling through a misread glyph, a split word, a word glued to the
    previous one and a lost letter."""
    words = text.split(" ")
    out: list[str] = []
    k = seed
    for i, word in enumerate(words):
        if i % every != every - 1 or len(word) < 3 or any(ch.isdigit() for ch in word):
            out.append(word)
            continue
        k += 1
        kind = k % 4
        mid = len(word) // 2
        if kind == 0:
            j = next((p for p, ch in enumerate(word) if ch in _LOOKALIKE), mid)
            out.append(word[:j] + _LOOKALIKE.get(word[j], word[j]) + word[j + 1 :])
        elif kind == 1:
            out.append(word[:mid] + " " + word[mid:])
        elif kind == 2 and out:
            out[-1] += word  # glued to the previous word
        else:
            out.append(word[:mid] + word[mid + 1 :])
    return " ".join(out)


def frame(rows: list[dict]) -> pl.DataFrame:
    return pl.DataFrame(
        rows, schema={k: pl.String for k in ("id", "outlet", "published", "headline", "body")}
    )


@pytest.fixture(scope="module")
def ocr_corpus() -> pl.DataFrame:
    s1, s2, s5 = STORIES["s1"], STORIES["s2"], STORIES["s5"]
    trimmed = "\n\n".join(s2["body"].split("\n\n")[:4])
    refilled = (
        s2["body"]
        .replace("$3 billion", "$5.5 billion")
        .replace("1,800", "2,750")
        .replace("2028", "2031")
        .replace("$150 million", "$90 million")
        .replace("4.2%", "6.1%")
        .replace("March 4", "March 9")
    )
    return frame(
        [
            {**{k: s1[k] for k in ("id", "outlet", "published", "headline", "body")}},
            {
                "id": "s1-ocr",
                "outlet": "Evening Star (archive)",
                "published": "2025-03-06T06:00:00Z",
                "headline": ocr_damage(s1["headline"], every=3),
                "body": ocr_damage(s1["body"]),
            },
            {
                "id": "s5-ocr",  # the same event, another story (shares a quotation)
                "outlet": "Morning Herald (archive)",
                "published": "2025-03-04T06:00:00Z",
                "headline": s5["headline"],
                "body": ocr_damage(s5["body"], seed=1),
            },
            {**{k: s2[k] for k in ("id", "outlet", "published", "headline", "body")}},
            {
                "id": "s2-ocr-trim",
                "outlet": "Evening Star (archive)",
                "published": "2025-03-07T06:00:00Z",
                "headline": ocr_damage(s2["headline"], every=3),
                "body": ocr_damage(trimmed, seed=2),
            },
            {
                "id": "s2-refilled-ocr",  # the same wording filled with other figures
                "outlet": "Morning Herald (archive)",
                "published": "2025-03-09T06:00:00Z",
                "headline": s2["headline"],
                "body": ocr_damage(refilled, seed=3),
            },
        ]
    )


def _without_ocr_rules() -> Config:
    rules = tuple(r for r in VerifyConfig().rules if not r.name.startswith("ocr_"))
    return Config(verify=VerifyConfig(rules=rules))


def _clusters(result: syndup.Result) -> dict[str, str | None]:
    asg = result.assignments
    return dict(zip(asg["id"].to_list(), asg["cluster_id"].to_list()))


def test_ocr_copies_join_and_other_stories_do_not(ocr_corpus: pl.DataFrame) -> None:
    got = _clusters(syndup.cluster(ocr_corpus))
    assert got["s1-ocr"] is not None and got["s1-ocr"] == got["s1"]
    assert got["s2-ocr-trim"] is not None and got["s2-ocr-trim"] == got["s2"]
    assert got["s5-ocr"] != got["s1"]  # same event, shared quotation: not a copy
    assert got["s2-refilled-ocr"] != got["s2"]  # figures changed: not a copy
    # Without the OCR evidence the damaged copies stay apart (what the rules add).
    plain = _clusters(syndup.cluster(ocr_corpus, config=_without_ocr_rules()))
    assert plain["s1-ocr"] is None or plain["s1-ocr"] != plain["s1"]


def test_ocr_features_only_where_words_leave_the_pair_open(ocr_corpus: pl.DataFrame) -> None:
    corpus = pl.concat(
        [ocr_corpus, ocr_corpus.filter(pl.col("id") == "s1").with_columns(id=pl.lit("s1-same"))]
    )
    prepared = prepare(read_corpus(corpus), Config())
    index = {v: i for i, v in enumerate(prepared.docs["id"].to_list())}
    names = [
        ("s1", "s1-ocr"),
        ("s1", "s5-ocr"),
        ("s2", "s2-ocr-trim"),
        ("s2", "s2-refilled-ocr"),
        ("s1", "s1-same"),
    ]
    pairs = pl.DataFrame(
        {"a": [index[x] for x, _ in names], "b": [index[y] for _, y in names]},
        schema={"a": pl.UInt32, "b": pl.UInt32},
    )
    f = apply_rules(pair_features(pairs, prepared), VerifyConfig()).to_dicts()
    copy, other, trim, refill, same = f
    assert copy["body_containment"] < 0.7  # the words are broken...
    assert copy["ocr_containment"] >= 0.9  # ...the letters are not
    assert copy["rule"].startswith("ocr_")
    assert other["ocr_containment"] is None or other["ocr_containment"] < 0.5
    assert not other["matched"]
    assert trim["matched"] and trim["ocr_containment"] >= 0.9
    assert refill["ocr_figures_changed"] == 1 and not refill["matched"]
    # an undamaged copy is settled by word shingles: no character grams computed
    assert same["ocr_containment"] is None and same["rule"] == "near_identical_body"
    # with the rules given (as every engine passes them), only pairs no word-level rule
    # matches get character grams: the same decisions
    ruled = pair_features(pairs, prepared, rules=VerifyConfig().rules)
    ruled = apply_rules(ruled, VerifyConfig())
    assert ruled["matched"].to_list() == [r["matched"] for r in f]
    assert ruled["rule"].cast(pl.String).to_list() == [r["rule"] for r in f]
    assert ruled["ocr_containment"].null_count() >= 2  # trim (write_through) and same


def test_fold_merges_lookalikes_spaces_and_case() -> None:
    texts = pl.Series(["The company said 1,500 jobs", "Thc cornpany sa id l,5OO jobs", None])
    data, offsets = fold_bytes(texts)
    text = bytes(data).decode()
    first, second = text[offsets[0] : offsets[1]], text[offsets[1] : offsets[2]]
    assert first == second and " " not in first.replace(" ", "") and offsets[2] == offsets[3]


# Texts rich in what the fold treats specially: pairs ("rn", "vv", any case, runs such as
# "vvv" and "rnn"), look-alikes, spaces, punctuation, non-ASCII letters, empty and null texts.
_OCR_TEXT = st.one_of(
    st.none(),
    st.text(
        alphabet=st.sampled_from(list("rRnNvVwWmM l1I|!o0aS5b8hecuftz2g9q.,-é’\n")), max_size=40
    ),
)


@settings(max_examples=200, deadline=None)
@given(st.lists(_OCR_TEXT, max_size=8), st.integers(1, 8))
def test_gram_sets_equal_their_two_step_definition(texts: list[str | None], n: int) -> None:
    series = pl.Series(texts, dtype=pl.String)
    for got, want in zip(gram_sets(series, n=n), gram_sets_reference(series, n=n)):
        assert got.dtype == want.dtype and got.shape == want.shape
        np.testing.assert_array_equal(got, want)


def test_ocr_figures_read_lookalikes_and_tolerate_one_misread_digit() -> None:
    a, b, c = figure_sets(
        pl.Series(["Sales rose 1,500 in 1990.", "Sa1es rose l,5OO in 199O.", "x"])
    )
    assert a == b == {"1500", "1990"} and c == set()
    assert not figures_changed_ocr({"1500", "1990"}, {"1500", "1909"})  # one misread digit
    assert figures_changed_ocr({"1500", "1990"}, {"2400", "2011"})  # a re-filled template
    # short bodies read whole must agree on every short figure
    assert figures_changed_ocr({"72", "5"}, {"75", "5"}, whole=True)
    assert not figures_changed_ocr({"72", "5"}, {"72", "5", "9"}, whole=True)


# --------------------------------------------------------------------------- furniture
OUTLETS = [f"Town Crier {k}" for k in range(6)]
CAPTIONS = (
    "Crowds line Main Street for the parade on Saturday morning.\n"
    "Volunteers hand out water near the fire station.\n"
    "The high school band marches past City Hall."
)


def _story_bodies() -> list[tuple[str, str]]:
    """Six different stories: (headline, body) from the bundled 1916 corpus's originals."""
    path = Path(__file__).parent.parent / "data" / "wire_1916.jsonl"
    df = pl.read_ndjson(path).filter(pl.col("role") == "original")
    df = df.unique("gold", keep="first", maintain_order=True).head(6)
    return list(zip(df["headline"].to_list(), df["body"].to_list()))


@pytest.fixture(scope="module")
def furniture_corpus() -> pl.DataFrame:
    rows = []
    for k, (outlet, (headline, body)) in enumerate(zip(OUTLETS, _story_bodies())):
        rows.append(
            {
                "id": f"p{k}",
                "outlet": outlet,
                "published": f"2025-03-0{k + 1}T08:00:00Z",
                "headline": headline,
                "body": CAPTIONS + "\n\n" + body,
            }
        )
    # one syndicated story on six outlets, each copy's longest paragraph edited another way
    s1 = STORIES["s1"]
    paras = s1["body"].split("\n\n")
    longest = max(range(len(paras)), key=lambda i: len(paras[i]))
    for k, outlet in enumerate(OUTLETS):
        edited = list(paras)
        edited[longest] = edited[longest].replace(" the ", f" the {k} ", 1) + f" ({k})"
        rows.append(
            {
                "id": f"s1-{k}",
                "outlet": outlet,
                "published": "2025-03-03T12:00:00Z",
                "headline": s1["headline"],
                "body": "\n\n".join(edited),
            }
        )
    return frame(rows)


def test_furniture_recurring_across_outlets_is_stripped(furniture_corpus: pl.DataFrame) -> None:
    cfg = Config().normalize
    cleaned = clean_bodies(furniture_corpus, config=cfg)
    bodies = dict(zip(cleaned["id"].to_list(), cleaned["clean_body"].to_list()))
    for k in range(6):
        assert "Crowds line Main Street" not in bodies[f"p{k}"]
        assert bodies[f"p{k}"].strip()  # the story stays
    # the syndicated story's own top paragraph recurs on six outlets too, in front of
    # the same story: it is kept
    first = STORIES["s1"]["body"].split("\n\n")[1]
    assert all(first in bodies[f"s1-{k}"] for k in range(6))
    # off: the block stays (the per-outlet learner has one page per outlet to learn from)
    off = dataclasses.replace(cfg, furniture_min_outlets=0)
    kept = clean_bodies(furniture_corpus, config=off)
    assert kept["clean_body"].str.contains("Crowds line Main Street").sum() == 6


def test_shared_caption_block_neither_leads_nor_joins(furniture_corpus: pl.DataFrame) -> None:
    pages = furniture_corpus.filter(pl.col("id").str.starts_with("p"))
    prepared = prepare(read_corpus(pages), Config())
    pairs = pl.DataFrame({"a": [0, 0, 1], "b": [1, 2, 3]}, schema={"a": pl.UInt32, "b": pl.UInt32})
    lead = pair_features(pairs, prepared)["lead_jaccard"].to_numpy()
    off = Config(normalize=dataclasses.replace(Config().normalize, furniture_min_outlets=0))
    lead_off = pair_features(pairs, prepare(read_corpus(pages), off))["lead_jaccard"].to_numpy()
    assert np.all(lead < 0.2) and np.all(lead_off > lead + 0.2)
    got = _clusters(syndup.cluster(pages))
    clustered = [got[f"p{k}"] for k in range(6) if got[f"p{k}"] is not None]
    assert len(set(clustered)) == len(clustered)  # six different stories stay apart
