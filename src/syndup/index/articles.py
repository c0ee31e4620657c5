"""Prepared articles <-> stored rows, so stored articles re-enter the stages unchanged.

``to_rows`` keeps what verification and clustering read of an article (signatures as raw
uint32 bytes, cleaned body zstd-compressed, headline, facts and counts); ``to_prepared``
builds a ``syndup.prepare.Prepared`` from such rows, so the same stage functions
(``Detector.candidates``, ``pair_features``, ``build_clusters``, ``assemble``) run on old and
new articles alike. Nothing is re-normalised or re-signed.
"""

from __future__ import annotations

import numpy as np
import polars as pl
import pyarrow as pa

from syndup.config import Config
from syndup.index.store import ARTICLE_SCHEMA
from syndup.prepare import Prepared, prepare
from syndup.textstore import TextStore

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


def _decompress(blob: bytes, size: int) -> str:
    if size == 0:
        return ""
    return pa.decompress(blob, decompressed_size=size, codec="zstd", asbytes=True).decode("utf-8")


def doc_layout(config: Config) -> list[tuple[str, str]]:
    """``(column, dtype)`` of ``Prepared.docs`` as this syndup builds it (recorded in the
    index metadata: an index built with another layout is refused, not misread)."""
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
            [pa.compress(e, codec="zstd", asbytes=True) if e else b"" for e in encoded],
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


def to_prepared(rows: pl.DataFrame, config: Config, layout: list[tuple[str, str]]) -> Prepared:
    """A ``Prepared`` over stored rows (every ``ARTICLE_SCHEMA`` column), in row order;
    ``layout``: ``doc_layout`` recorded in the index."""
    scfg = config.signature
    schema = _facts_schema(layout)
    if rows.height:
        facts = rows["facts"].str.json_decode(pl.Struct(schema)).struct.unnest()
    else:
        facts = pl.DataFrame(schema=schema)
    own = rows.select("id", "outlet", pl.col("published").cast(UTC), "headline")
    docs = pl.concat([own, facts], how="horizontal").select([c for c, _ in layout])
    bodies = TextStore(compress=False)
    texts = [_decompress(b, n) for b, n in zip(rows["body"].to_list(), rows["body_len"].to_list())]
    bodies.put(0, pl.Series("text", texts, dtype=pl.String))
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


def concat(parts: list[Prepared], config: Config) -> Prepared:
    """Several ``Prepared`` one after the other (rows keep their order)."""
    parts = [p for p in parts if p.docs.height] or parts[-1:]
    bodies = TextStore(compress=False)
    start = 0
    for p in parts:
        bodies.put(start, p.bodies.get(np.arange(p.docs.height)))
        start += p.docs.height
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


def _source(source: pl.DataFrame) -> pl.DataFrame:
    """The input columns the later stages read (titles, cluster tables), one schema."""
    return source.select(
        pl.col("id").cast(pl.String),
        pl.col("headline").cast(pl.String),
        pl.col("outlet").cast(pl.String),
        pl.col("published").cast(UTC),
    )


def take(prepared: Prepared, rows: np.ndarray) -> Prepared:
    """The given rows of ``prepared`` (in that order)."""
    rows = np.asarray(rows, dtype=np.int64)
    bodies = TextStore(compress=False)
    bodies.put(0, prepared.bodies.get(rows) if len(rows) else pl.Series("text", [], pl.String))
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
