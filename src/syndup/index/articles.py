"""Prepared articles <-> stored rows, so stored articles re-enter the stages unchanged.

``to_rows`` keeps what verification and clustering read of an article (signatures as raw
uint32 bytes, cleaned body zstd-compressed, headline, facts and counts); ``to_prepared``
builds a ``syndup.prepare.Prepared`` from such rows, so the same stage functions
(``Detector.candidates``, ``pair_features``, ``build_clusters``, ``assemble``) run on old and
new articles alike. Nothing is re-normalised or re-signed.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np
import polars as pl

from syndup.config import Config
from syndup.index.store import ARTICLE_SCHEMA, BODY_COLUMNS, Store, unique
from syndup.prepare import Prepared, prepare
from syndup.textstore import TextStore

if TYPE_CHECKING:
    import pyarrow as pa

UTC = pl.Datetime("us", "UTC")
OWN_COLUMNS = ("id", "outlet", "published", "headline")  # stored as columns, not in facts
_TYPES = {
    str(t): t
    for t in (
        pl.String(),
        pl.Boolean(),
        pl.Int8(),
        pl.Int16(),
        pl.Int32(),
        pl.Int64(),
        pl.UInt8(),
        pl.UInt16(),
        pl.UInt32(),
        pl.UInt64(),
        pl.Float32(),
        pl.Float64(),
    )
}


_ZSTD = threading.local()  # one codec per thread (creating one per call costs more than a body)


def _codec() -> pa.Codec:
    codec = getattr(_ZSTD, "codec", None)
    if codec is None:
        import pyarrow as pa  # here: a read that decompresses no body does not load it

        codec = _ZSTD.codec = pa.Codec("zstd")
    return codec


def _decompress(blob: bytes, size: int) -> str:
    if size == 0:
        return ""
    return _codec().decompress(blob, decompressed_size=size, asbytes=True).decode("utf-8")


def _compress(data: bytes) -> bytes:
    return _codec().compress(data, asbytes=True) if data else b""


class LazyBodies(TextStore):
    """Cleaned bodies of stored articles, read and decompressed only when a stage asks.

    Verification reads bodies back for a minority of pairs (ambiguous containment, lead
    ratios) and clustering for headline-less articles only, so an incremental step fetches
    those rows alone instead of every candidate's and every touched story's body.
    ``fetch(rows)`` returns the texts of the given (unique, ascending) rows. ``get`` and
    ``groups`` fetch what they are asked for first; ``block(0)`` (the only block) holds
    every row fetched so far and an empty string for the others, so
    ``block(start).gather(rows - start)`` after ``groups(rows)`` reads exactly those rows.
    """

    def __init__(self, n: int, fetch: Callable[[np.ndarray], list[str]]) -> None:
        super().__init__(compress=False)
        self._n = n
        self._fetch = fetch
        self._texts: list[str | None] = [None] * n
        self._series: pl.Series | None = None
        self._lock = threading.Lock()

    def put(self, start: int, texts: pl.Series) -> None:
        raise TypeError("LazyBodies is read-only")

    def __len__(self) -> int:
        return self._n

    @property
    def nbytes(self) -> int:
        return sum(len(t) for t in self._texts if t)

    def starts(self) -> list[int]:
        return [0] if self._n else []

    def _ensure(self, rows: np.ndarray) -> None:
        rows = unique(np.asarray(rows, dtype=np.int64))
        if len(rows) and (rows[0] < 0 or rows[-1] >= self._n):
            raise IndexError(f"row out of range 0..{self._n - 1}")
        with self._lock:
            missing = np.array([r for r in rows.tolist() if self._texts[r] is None], np.int64)
            if not len(missing):
                return
            for r, text in zip(missing.tolist(), self._fetch(missing)):
                self._texts[r] = text
            self._series = None

    def block(self, start: int) -> pl.Series:
        if start != 0:
            raise KeyError(start)
        with self._lock:
            if self._series is None:
                self._series = pl.Series("text", [t or "" for t in self._texts], pl.String)
            return self._series

    def groups(self, rows: np.ndarray) -> list[tuple[int, np.ndarray]]:
        rows = np.asarray(rows, dtype=np.int64)
        if len(rows) == 0:
            return []
        if np.any(np.diff(rows) < 0):
            raise ValueError("rows must be ascending")
        self._ensure(rows)
        parts = max(1, min(4, len(rows) // 256))  # a few groups: the callers spread them
        return [(0, part) for part in np.array_split(rows, parts)]

    def get(self, rows: np.ndarray) -> pl.Series:
        rows = np.asarray(rows, dtype=np.int64)
        self._ensure(rows)
        return pl.Series("text", [self._texts[r] for r in rows.tolist()], pl.String)


def stored_bodies(store: Store, docs: np.ndarray) -> LazyBodies:
    """Lazy bodies of the stored articles ``docs`` (row ``i`` is ``docs[i]``)."""
    docs = np.asarray(docs, dtype=np.int64)

    def fetch(rows: np.ndarray) -> list[str]:
        want = docs[rows]
        got = store.articles(unique(want), columns=("doc", "body", "body_len"))
        text = {
            d: _decompress(b, n)
            for d, b, n in zip(got["doc"].to_list(), got["body"].to_list(), got["body_len"])
        }
        return [text.get(d, "") for d in want.tolist()]

    return LazyBodies(len(docs), fetch)


class _Joined(TextStore):
    """Several body stores one after the other (``concat``), each read only when asked."""

    def __init__(self, parts: list[TextStore]) -> None:
        super().__init__(compress=False)
        self._parts = parts
        self._starts = np.cumsum([0] + [len(p) for p in parts])
        self._lazy = LazyBodies(int(self._starts[-1]), self._fetch)

    def _fetch(self, rows: np.ndarray) -> list[str]:
        which = np.searchsorted(self._starts, rows, side="right") - 1
        out: list[str] = [""] * len(rows)
        for i in unique(which).tolist():
            at = np.flatnonzero(which == i)
            texts = self._parts[i].get(rows[at] - self._starts[i]).to_list()
            for j, t in zip(at.tolist(), texts):
                out[j] = t or ""
        return out

    def __len__(self) -> int:
        return len(self._lazy)

    def starts(self) -> list[int]:
        return self._lazy.starts()

    def block(self, start: int) -> pl.Series:
        return self._lazy.block(start)

    def groups(self, rows: np.ndarray) -> list[tuple[int, np.ndarray]]:
        return self._lazy.groups(rows)

    def get(self, rows: np.ndarray) -> pl.Series:
        return self._lazy.get(rows)


# ``Prepared.docs`` as ``prepare`` builds it, column by column (for every config: no
# setting adds or drops a column). Declared, not derived: deriving it runs ``prepare`` on an
# empty table (~50-120 ms, 53 polars queries), which every ``Index.open`` paid for the
# layout check. ``check_docs`` holds each prepared batch to it, and a test holds
# ``prepare`` of an empty table to it, so it cannot drift from the stage.
DOC_SCHEMA: dict[str, pl.DataType] = {
    "id": pl.String(),
    "outlet": pl.String(),
    "published": UTC,
    "headline": pl.String(),
    "headline_norm": pl.String(),
    "wire": pl.String(),
    "dateline_date": pl.String(),
    "dateline_city": pl.String(),
    "wire_dateline_date": pl.String(),
    "boilerplate_paras": pl.UInt32(),
    "body_start": pl.String(),
    "headline_words": pl.UInt32(),
    "wire_byline": pl.Boolean(),
    "headline_figures": pl.String(),
    "headline_generic": pl.Boolean(),
    "roundup_headline": pl.Boolean(),
    "weekdays": pl.UInt8(),
    "roundup_openings": pl.String(),
    "body_words": pl.UInt32(),
    "body_shingles": pl.UInt32(),
    "usable": pl.Boolean(),
}


def doc_layout(config: Config) -> list[tuple[str, str]]:
    """``(column, dtype)`` of ``Prepared.docs`` as this syndup builds it (recorded in the
    index metadata: an index built with another layout is refused, not misread); the same
    for every config (``DOC_SCHEMA``)."""
    return [(c, str(t)) for c, t in DOC_SCHEMA.items()]


def check_docs(docs: pl.DataFrame) -> None:
    """Raise if ``prepare`` built other article columns than ``DOC_SCHEMA`` declares (a
    syndup bug: rows would be stored under a layout the metadata does not describe)."""
    if dict(docs.schema) != DOC_SCHEMA:
        got = [(c, str(t)) for c, t in docs.schema.items()]
        raise RuntimeError(
            f"prepare's article columns {got} differ from DOC_SCHEMA: update "
            "syndup.index.articles.DOC_SCHEMA (indexes built before are then refused)"
        )


def prepared_layout(config: Config) -> list[tuple[str, str]]:
    """The layout ``prepare`` really builds, read from an empty table (tests hold
    ``DOC_SCHEMA`` to it)."""
    from syndup.io import STANDARD_COLUMNS

    empty = pl.DataFrame(
        {c: pl.Series([], dtype=UTC if c == "published" else pl.String) for c in STANDARD_COLUMNS}
    ).with_columns(pl.Series("row", [], dtype=pl.UInt32))
    return [(c, str(t)) for c, t in prepare(empty, config).docs.schema.items()]


def _facts_schema(layout: list[tuple[str, str]]) -> dict[str, pl.DataType]:
    out = {}
    for col, name in layout:
        if col in OWN_COLUMNS:
            continue
        if name not in _TYPES:
            raise ValueError(f"article column {col!r} of type {name} cannot be stored")
        out[col] = _TYPES[name]
    return out


def to_rows(prepared: Prepared, docs: np.ndarray, *, batch: int, added: float) -> pl.DataFrame:
    """Stored rows (``ARTICLE_SCHEMA``) for every article of ``prepared``, numbered ``docs``."""
    d = prepared.docs
    bodies = prepared.bodies.get(np.arange(d.height)).to_list() if d.height else []
    encoded = [(b or "").encode("utf-8") for b in bodies]
    facts = [c for c in d.columns if c not in OWN_COLUMNS]
    figures = prepared.figures
    out = d.select(
        pl.Series("doc", np.asarray(docs, dtype=np.int64)),
        "id",
        "outlet",
        pl.col("published").cast(pl.Int64),
        "headline",
        pl.struct(facts).struct.json_encode().alias("facts"),
        pl.lit(batch, dtype=pl.Int64).alias("batch"),
        pl.lit(added, dtype=pl.Float64).alias("added"),
        pl.Series("body_sig", _rows_bytes(prepared.body_sig), dtype=pl.Binary),
        pl.Series("lead_sig", _rows_bytes(prepared.lead_sig), dtype=pl.Binary),
        pl.Series("headline_sig", _rows_bytes(prepared.headline_sig), dtype=pl.Binary),
        pl.Series(
            "figures",
            _rows_bytes(figures) if figures is not None else [b""] * d.height,
            dtype=pl.Binary,
        ),
        pl.Series(
            "body",
            [_compress(e) for e in encoded],
            dtype=pl.Binary,
        ),
        pl.Series("body_len", [len(e) for e in encoded], dtype=pl.Int64),
    )
    return out.select(list(ARTICLE_SCHEMA))


def _rows_bytes(sig: np.ndarray) -> list[bytes]:
    sig = np.ascontiguousarray(sig, dtype="<u4")
    width = sig.shape[1] * 4
    flat = sig.tobytes()
    return [flat[i * width : (i + 1) * width] for i in range(sig.shape[0])]


def _matrix(blobs: pl.Series, width: int) -> np.ndarray:
    if blobs.len() == 0:
        return np.zeros((0, width), dtype=np.uint32)
    joined = b"".join(blobs.to_list())
    if len(joined) != blobs.len() * width * 4:
        raise ValueError(f"stored signatures are not {width} values wide")
    return np.frombuffer(joined, dtype="<u4").reshape(-1, width).astype(np.uint32)


def to_prepared(
    rows: pl.DataFrame,
    config: Config,
    layout: list[tuple[str, str]],
    *,
    bodies: TextStore | None = None,
) -> Prepared:
    """A ``Prepared`` over stored rows (``ARTICLE_SCHEMA`` columns), in row order;
    ``layout``: ``doc_layout`` recorded in the index. ``bodies``: the rows' cleaned bodies
    (e.g. ``stored_bodies``); None reads them from the rows' ``body`` column, decompressing
    each only when a stage asks for it."""
    scfg = config.signature
    schema = _facts_schema(layout)
    if rows.height:
        facts = rows["facts"].str.json_decode(pl.Struct(schema)).struct.unnest()
    else:
        facts = pl.DataFrame(schema=schema)
    own = rows.select("id", "outlet", pl.col("published").cast(UTC), "headline")
    docs = pl.concat([own, facts], how="horizontal").select([c for c, _ in layout])
    if bodies is None:
        blobs, sizes = rows["body"].to_list(), rows["body_len"].to_list()
        bodies = LazyBodies(
            rows.height, lambda at: [_decompress(blobs[i], sizes[i]) for i in at.tolist()]
        )
    widths = {len(b) for b in rows["figures"].to_list()}
    figures = _matrix(rows["figures"], max(widths) // 4) if widths - {0} else None
    return Prepared(
        docs=docs,
        body_sig=_matrix(rows["body_sig"], scfg.num_perm),
        lead_sig=_matrix(rows["lead_sig"], scfg.lead_num_perm),
        headline_sig=_matrix(rows["headline_sig"], scfg.headline_num_perm),
        source=_source(rows),
        bodies=bodies,
        rejected=pl.DataFrame(),
        learned=None,
        config=config,
        figures=figures,
    )


def read_prepared(
    store: Store, docs: np.ndarray, config: Config, layout: list[tuple[str, str]]
) -> tuple[np.ndarray, Prepared]:
    """``(docs found, Prepared)`` of stored articles, bodies left in the store until a stage
    asks for them (see ``LazyBodies``)."""
    columns = tuple(c for c in ARTICLE_SCHEMA if c not in BODY_COLUMNS)
    rows = store.articles(np.asarray(docs, dtype=np.int64), columns=columns)
    found = rows["doc"].to_numpy()
    return found, to_prepared(rows, config, layout, bodies=stored_bodies(store, found))


def concat(parts: list[Prepared], config: Config) -> Prepared:
    """Several ``Prepared`` one after the other (rows keep their order)."""
    parts = [p for p in parts if p.docs.height] or parts[-1:]
    bodies = _Joined([p.bodies for p in parts])
    columns = parts[-1].docs.columns
    figures = [p.figures for p in parts]
    return Prepared(
        docs=pl.concat([p.docs.select(columns) for p in parts], how="vertical_relaxed"),
        body_sig=np.concatenate([p.body_sig for p in parts]),
        lead_sig=np.concatenate([p.lead_sig for p in parts]),
        headline_sig=np.concatenate([p.headline_sig for p in parts]),
        source=pl.concat([_source(p.source) for p in parts], how="vertical_relaxed"),
        bodies=bodies,
        rejected=pl.DataFrame(),
        learned=None,
        config=config,
        figures=None if any(f is None for f in figures) else np.concatenate(figures),
    )


_SOURCE_SCHEMA = pl.Schema(
    {"id": pl.String, "headline": pl.String, "outlet": pl.String, "published": UTC}
)


def _source(source: pl.DataFrame) -> pl.DataFrame:
    """The input columns the later stages read (titles, cluster tables), one schema."""
    if source.schema == _SOURCE_SCHEMA:  # already so (a stored row read back): no copy
        return source
    return source.select(
        pl.col("id").cast(pl.String),
        pl.col("headline").cast(pl.String),
        pl.col("outlet").cast(pl.String),
        pl.col("published").cast(UTC),
    )


def take(prepared: Prepared, rows: np.ndarray) -> Prepared:
    """The given rows of ``prepared`` (in that order)."""
    rows = np.asarray(rows, dtype=np.int64)
    parent = prepared.bodies
    bodies = LazyBodies(len(rows), lambda at: parent.get(rows[at]).to_list())
    return Prepared(
        docs=prepared.docs[rows],
        body_sig=prepared.body_sig[rows],
        lead_sig=prepared.lead_sig[rows],
        headline_sig=prepared.headline_sig[rows],
        source=_source(prepared.source)[rows],
        bodies=bodies,
        rejected=pl.DataFrame(),
        learned=None,
        config=prepared.config,
        figures=None if prepared.figures is None else prepared.figures[rows],
    )
