"""``syndup evaluate``: score clusters against gold, then show the worst errors with evidence."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import polars as pl
import typer
from rich.table import Table

from syndup.cli.cluster_cmd import FormatOpt, output_target, table_text
from syndup.cli.options import (
    BodyCol,
    ConfigOpt,
    DateFormatOpt,
    DebugOpt,
    EncodingOpt,
    HeadlineCol,
    IdCol,
    InputArg,
    InputFormatOpt,
    OnError,
    OnErrorOpt,
    OutletCol,
    OutputOpt,
    PublishedCol,
    QuietOpt,
    StrictOpt,
    UrlCol,
    handle_errors,
    load_config,
    read_options,
    setup_logging,
    stderr_console,
    stdout_console,
)
from syndup.errors import InputError
from syndup.evaluate import Scores, pair_errors, score_clusters
from syndup.explain import explain_pairs
from syndup.io import read_corpus, table_writer, write_all
from syndup.pipeline import Detector
from syndup.report import _jsonable


def evaluate_corpus(
    corpus: pl.DataFrame | str,
    gold: pl.DataFrame,
    *,
    config: Any = None,
    gold_col: str = "cluster",
    exclude: list[str] | None = None,
    errors: int = 10,
    **read_opts: Any,
) -> tuple[Scores, pl.DataFrame]:
    """Run the detector on ``corpus``, score it against ``gold`` (id + ``gold_col``) and
    return the scores and the worst errors, each with its evidence and rule outcome."""
    detector = Detector(config)
    result = detector.run(corpus, **read_opts)
    pred = _with_rejects(result.assignments, result.rejects)
    scores = score_clusters(pred, gold, gold_col=gold_col, exclude=exclude)
    errs = pair_errors(pred, gold, gold_col=gold_col, exclude=exclude, limit=errors)
    prepared = detector.last_prepared
    if errs.height and prepared is not None:
        known = set(prepared.docs["id"].to_list())
        pairs = [(a, b) for a, b in zip(errs["id_a"], errs["id_b"]) if a in known and b in known]
        exps = {
            (e.id_a, e.id_b): e for e in explain_pairs(prepared, pairs, detector.config, result)
        }
        errs = errs.with_columns(
            pl.Series(
                "rule",
                [_rule(exps.get((a, b))) for a, b in zip(errs["id_a"], errs["id_b"])],
                dtype=pl.String,
            ),
            pl.Series(
                "evidence",
                [_evidence(exps.get((a, b))) for a, b in zip(errs["id_a"], errs["id_b"])],
                dtype=pl.String,
            ),
            pl.Series(
                "why",
                [_why(exps.get((a, b))) for a, b in zip(errs["id_a"], errs["id_b"])],
                dtype=pl.String,
            ),
        )
    return scores, errs


def _with_rejects(assignments: pl.DataFrame, rejects: pl.DataFrame) -> pl.DataFrame:
    """Rows not clustered (no usable text) are singletons in the prediction; records
    rejected unread (no usable id) are left out."""
    single = pl.format("rejected:{}", pl.col("id").cast(pl.String))
    return assignments.drop_nulls("id").select(
        pl.col("id").cast(pl.String), pl.coalesce(pl.col("cluster_id"), single).alias("cluster_id")
    )


def _rule(exp: Any) -> str | None:
    return None if exp is None else exp.rule


def _evidence(exp: Any) -> str | None:
    return None if exp is None else exp.features.get("evidence")


def _why(exp: Any) -> str | None:
    """For a missed pair: the closest rule and the conditions that failed; for a false merge:
    the direct rule, or 'joined through other members' when the pair itself does not match."""
    if exp is None:
        return None
    if exp.rule:
        return f"direct match by {exp.rule}"
    if exp.same_cluster:
        return "no direct match: joined through other members (chaining)"
    if not any(exp.lsh.values()):
        return "never a candidate: no shared LSH band"
    best = max(exp.rules, key=lambda r: sum(ok for _, ok in r[2]) / max(1, len(r[2])))
    failed = [c for c, ok in best[2] if not ok]
    return f"closest rule {best[0]} failed: {'; '.join(failed)}"


def load_gold(path: Path | None, corpus: pl.DataFrame, gold_col: str, id_col: str) -> pl.DataFrame:
    if path is None:
        if gold_col not in corpus.columns:
            raise InputError(
                f"no gold: pass --gold FILE or a '{gold_col}' column in the input",
                field=gold_col,
            )
        return corpus.select(
            pl.col("id"),
            pl.col(gold_col).cast(pl.String),
            *([pl.col("junk")] if "junk" in corpus.columns else []),
        )
    gold = read_corpus(str(path), columns={"id": id_col} if id_col != "id" else None)
    if gold_col not in gold.columns:
        raise InputError(
            f"gold file has no '{gold_col}' column (see --gold-col)", file=str(path), field=gold_col
        )
    return gold.with_columns(pl.col(gold_col).cast(pl.String))


@handle_errors
def evaluate(
    input: InputArg,
    gold: Annotated[
        Path | None,
        typer.Option(
            "--gold",
            "-g",
            help="Gold clusters: a file with id and --gold-col.",
            show_default=False,
            metavar="FILE",
        ),
    ] = None,
    gold_col: Annotated[
        str, typer.Option("--gold-col", help="Gold cluster column.", metavar="COLUMN")
    ] = "cluster",
    pred_col: Annotated[
        str,
        typer.Option(
            "--pred-col",
            help="If INPUT has this column it is scored as a "
            "prediction; otherwise syndup clusters INPUT first.",
            metavar="COLUMN",
        ),
    ] = "cluster_id",
    exclude_col: Annotated[
        str,
        typer.Option(
            "--exclude-col",
            help="Gold rows with a true value here are left out.",
            metavar="COLUMN",
        ),
    ] = "junk",
    errors: Annotated[
        int, typer.Option("--errors", help="Worst errors shown of each kind.", min=0, metavar="N")
    ] = 10,
    output: OutputOpt = None,
    format: FormatOpt = None,
    config: ConfigOpt = None,
    quiet: QuietOpt = False,
    strict: StrictOpt = False,
    on_error: OnErrorOpt = OnError.abort,
    input_format: InputFormatOpt = None,
    encoding: EncodingOpt = None,
    date_format: DateFormatOpt = None,
    id_col: IdCol = None,
    headline_col: HeadlineCol = None,
    body_col: BodyCol = None,
    outlet_col: OutletCol = None,
    url_col: UrlCol = None,
    published_col: PublishedCol = None,
    debug: DebugOpt = False,
) -> None:
    """Score clusters against gold: pairwise P/R/F1, B-cubed, ARI, then the worst errors.

    INPUT is either a prediction (id + --pred-col, e.g. `syndup cluster -o pred.jsonl`) or a
    corpus, which is clustered first; then errors come with the evidence `explain` prints.
    """
    setup_logging(quiet=quiet, console=stderr_console())
    fmt, target = output_target(format, output)
    opts = read_options(
        input_format,
        id_col,
        headline_col,
        body_col,
        outlet_col,
        url_col,
        published_col,
        encoding=encoding,
        date_format=date_format,
        strict=strict,
        on_error=on_error,
    )
    data = read_corpus(input, **opts)
    gold_df = load_gold(gold, data, gold_col, "id")
    exclude = None
    if exclude_col in gold_df.columns:
        flag = pl.col(exclude_col).cast(pl.String).str.to_lowercase().is_in(["1", "true", "yes"])
        exclude = gold_df.filter(flag)["id"].to_list()
    if pred_col in data.columns:
        pred = data.select("id", pl.col(pred_col).cast(pl.String).alias("cluster_id"))
        scores = score_clusters(pred, gold_df, gold_col=gold_col, exclude=exclude)
        errs = pair_errors(pred, gold_df, gold_col=gold_col, exclude=exclude, limit=errors)
    else:
        scores, errs = evaluate_corpus(
            data,
            gold_df,
            config=load_config(config),
            gold_col=gold_col,
            exclude=exclude,
            errors=errors,
        )
    if fmt == "table" and target is None:
        print_scores(scores, errs)
        return
    if fmt == "table":
        text = table_text(lambda c: print_scores(scores, errs, console=c)).encode("utf-8")
        write_all([(target, lambda fh: fh.write(text))])
        return
    if fmt == "json":
        doc = {"scores": scores.to_dict(), "errors": _jsonable(errs.to_dicts())}
        data = (json.dumps(doc, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
        write_all([(target, lambda fh: fh.write(data))])
    else:
        write_all([(target, table_writer(errs, fmt))])
    if not quiet:
        print_scores(scores, pl.DataFrame(), console=stderr_console())


def print_scores(scores: Scores, errs: pl.DataFrame, console: Any = None) -> None:
    console = console or stdout_console()
    table = Table(title="Scores", title_justify="left")
    table.add_column("metric")
    table.add_column("value", justify="right")
    for key, value in scores.to_dict().items():
        table.add_row(key, f"{value:.4f}" if isinstance(value, float) else f"{value:,}")
    console.print(table)
    for kind, title in (("false_merge", "Worst false merges"), ("missed", "Worst missed pairs")):
        rows = errs.filter(pl.col("kind") == kind) if errs.height else errs
        if rows.height == 0:
            continue
        t = Table(title=title, title_justify="left")
        cols = [
            c
            for c in (
                "id_a",
                "id_b",
                "pred_a",
                "pred_b",
                "gold_a",
                "gold_b",
                "rule",
                "evidence",
                "why",
            )
            if c in rows.columns
        ]
        for c in cols:
            t.add_column(c, overflow="fold")
        for r in rows.select(cols).iter_rows():
            t.add_row(*["" if v is None else str(v) for v in r])
        console.print(t)
