"""Start-up of the read commands: ``index explain`` without typer, the declared article
layout, the known band parameters. Each fast path must answer as the general one does."""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

import syndup
from index_helpers import env
from syndup import Config, Index
from syndup.cli import app
from syndup.cli.fast import FORMAT_FLAGS, FORMATS, parse_explain
from syndup.index import StoreError
from syndup.index.articles import DOC_SCHEMA, check_docs, doc_layout, prepared_layout
from syndup.lsh import KNOWN_PARAMS, _band_params
from syndup.prepare import prepare

ROOT = Path(__file__).resolve().parents[1]

# Run main() and report on stderr which command-line frameworks it loaded.
PROBE = (
    "import sys\n"
    "from syndup.cli import main\n"
    "try:\n    main()\nexcept SystemExit as exc:\n    code = exc.code\nelse:\n    code = 0\n"
    "print('LOADED', sorted({m.split('.')[0] for m in sys.modules} & "
    "{'typer', 'pydantic', 'rich'}), file=sys.stderr)\n"
    "sys.exit(code)\n"
)


@pytest.fixture(scope="module")
def indexed(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, list[str]]:
    db = str(tmp_path_factory.mktemp("startup") / "news.db")
    wire = syndup.read_corpus(ROOT / "data" / "wire_1916.jsonl")
    with Index.open(db) as index:
        index.add(wire)
        members = index.get(index.clusters()["cluster_id"][0])["id"].to_list()
    return db, [members[0], members[1], wire["id"][-1]]


def _run(args: list[str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", PROBE, *args], capture_output=True, text=True, env=env()
    )


def _loaded(stderr: str) -> list[str]:
    line = next(x for x in stderr.splitlines() if x.startswith("LOADED "))
    return json.loads(line.removeprefix("LOADED ").replace("'", '"'))


@pytest.mark.parametrize(
    "form",
    [["--format", "json"], ["-f", "jsonl"], ["--format=json"], ["--format", "table"], []],
)
def test_explain_answers_as_the_typer_command_without_it(indexed, form):
    """The plain forms print exactly what the typer command prints, and a JSON answer
    loads neither typer, pydantic nor rich."""
    db, (a, b, c) = indexed
    for pair in ((a, b), (a, c)):  # copies, and two unrelated articles
        fast = _run(["index", "explain", db, *pair, *form])
        assert fast.returncode == 0, fast.stderr
        typed = CliRunner().invoke(app, ["index", "explain", db, *pair, *form])
        assert typed.exit_code == 0, typed.output
        if "table" in form or not form:  # rich wraps at the terminal's width
            assert pair[0] in fast.stdout and pair[0] in typed.stdout
        else:
            assert fast.stdout == typed.stdout
            assert json.loads(fast.stdout)["id_b"] == pair[1]
            assert _loaded(fast.stderr) == []


@pytest.mark.parametrize(
    ("args", "code", "says"),
    [
        (["{a}", "nope"], 3, "nope"),  # bad input data: the typer path's message
        (["{a}", "{b}", "--format", "csv"], 2, "explain prints table, json or jsonl"),
        (["{a}", "{b}", "--bogus"], 2, "--bogus"),
        (["{a}"], 2, "Missing argument"),
        (["--help"], 0, "Why two indexed articles"),
    ],
)
def test_explain_leaves_everything_else_to_typer(indexed, args, code, says):
    db, (a, b, _) = indexed
    args = [x.format(a=a, b=b) for x in args]
    out = _run(["index", "explain", *([] if args == ["--help"] else [db]), *args])
    assert out.returncode == code, out.stderr
    assert says in out.stdout + out.stderr
    assert "typer" in _loaded(out.stderr)


def test_explain_of_a_missing_index_is_typer_s_error(tmp_path):
    out = _run(["index", "explain", str(tmp_path / "absent.db"), "a", "b", "-f", "json"])
    assert out.returncode == 2 and "no such index" in out.stderr
    assert not (tmp_path / "absent.db").exists()


def test_an_index_of_another_layout_is_still_refused(indexed, tmp_path):
    """The declared layout is checked at open as the derived one was: an index whose
    stored article columns differ is refused, by the library and by the fast command."""
    db, (a, b, _) = indexed
    copy = tmp_path / "other.db"
    shutil.copy(db, copy)
    con = sqlite3.connect(copy)
    with con:
        layout = json.loads(
            con.execute("SELECT value FROM meta WHERE key='doc_layout'").fetchone()[0]
        )
        con.execute(
            "UPDATE meta SET value = ? WHERE key = 'doc_layout'", (json.dumps(layout[:-1]),)
        )
    con.close()
    with pytest.raises(StoreError, match="doc_layout"):
        Index.open(copy, create=False)
    out = _run(["index", "explain", str(copy), a, b, "--format", "json"])
    assert out.returncode == 2 and "other stored article data" in out.stderr


def test_parse_explain_takes_plain_forms_only():
    assert parse_explain(["db", "a", "b"]) == ("db", "a", "b", None)
    assert parse_explain(["db", "-f", "json", "a", "b"]) == ("db", "a", "b", "json")
    assert parse_explain(["db", "a", "b", "--format=jsonl"]) == ("db", "a", "b", "jsonl")
    for args in (
        ["db", "a"],
        ["db", "a", "b", "c"],
        ["db", "a", "b", "--format", "csv"],
        ["db", "a", "b", "--format"],
        ["db", "a", "b", "-f", "json", "-f", "json"],
        ["db", "a", "b", "--help"],
        ["db", "--", "a", "b"],
        ["db", "-x", "b"],
    ):
        assert parse_explain(args) is None, args


def test_fast_flags_are_the_typer_command_s():
    """The fast path reads only what ``index explain`` declares (if the command gains an
    option, the fast path hands that command line to typer: it starts with ``-``)."""
    import typer.main

    from syndup.cli import index_cmd

    group = typer.main.get_command(index_cmd.app)
    cmd = group.commands["explain"]  # type: ignore[attr-defined]
    args = [p.name for p in cmd.params if p.param_type_name == "argument"]
    opts = [o for p in cmd.params if p.param_type_name == "option" for o in p.opts]
    assert args == ["db", "id_a", "id_b"]
    assert sorted(opts) == sorted(FORMAT_FLAGS)
    assert set(FORMATS) <= {f.value for f in index_cmd.Format}


def test_doc_schema_is_what_prepare_builds(tmp_path):
    """The declared layout equals ``prepare``'s columns for an empty table, for configs
    that change what ``prepare`` does, and for real articles; another layout is refused."""
    assert prepared_layout(Config()) == doc_layout(Config())
    base = Config().to_dict()
    for section, key, value in (
        ("normalize", "learn_boilerplate", False),
        ("normalize", "infer_headlines", False),
        ("normalize", "strip_datelines", False),
        ("signature", "num_perm", 128),
    ):
        config = Config.from_dict({**base, section: {**base[section], key: value}})
        assert prepared_layout(config) == doc_layout(config), key
    wire = syndup.read_corpus(ROOT / "data" / "wire_1916.jsonl")
    docs = prepare(wire.sort("id"), Config()).docs
    check_docs(docs)
    assert dict(docs.schema) == DOC_SCHEMA
    with pytest.raises(RuntimeError, match="DOC_SCHEMA"):
        check_docs(docs.with_columns(pl.col("weekdays").cast(pl.UInt16)))
    with pytest.raises(RuntimeError, match="DOC_SCHEMA"):
        check_docs(docs.drop("usable"))


def test_known_band_params_are_the_computed_ones():
    for (threshold, num_perm, weight), params in KNOWN_PARAMS.items():
        assert _band_params(threshold, num_perm, weight) == params
    lcfg, scfg = Config().lsh, Config().signature
    for threshold, width in (
        (lcfg.body_threshold, scfg.num_perm),
        (lcfg.lead_threshold, scfg.lead_num_perm),
        (lcfg.headline_threshold, scfg.headline_num_perm),
        (lcfg.same_headline_threshold, scfg.headline_num_perm),
    ):
        assert (threshold, width, lcfg.recall_weight) in KNOWN_PARAMS  # the default's


def test_explain_reads_a_pair_s_bodies_without_numba(tmp_path):
    """An explained pair whose bodies are read (exact containment: the estimate is in the
    ambiguous band) is answered in a fresh process without numba (the small numpy paths
    of ``syndup._kernels``), and says exactly what the compiled kernels say."""
    from syndup import _jit  # noqa: F401  (loaded here: this process takes the kernels)

    wire = syndup.read_corpus(ROOT / "data" / "wire_1916.jsonl")
    bodies = wire["body"].to_list()
    long = sorted(range(len(bodies)), key=lambda i: -len(bodies[i] or ""))[:6]
    mixed = []  # half of one story's paragraphs, then another's: containment ~0.5
    for k, (i, j) in enumerate(zip(long[::2], long[1::2])):
        first, other = bodies[i].split("\n\n"), bodies[j].split("\n\n")
        half = "\n\n".join(first[: len(first) // 2] + other[len(other) // 2 :])
        mixed.append({"id": f"mix{k}", "headline": f"Mixed story {k}", "body": half})
    extra = pl.DataFrame(mixed).with_columns(
        *(pl.lit(None, dtype=wire.schema[c]).alias(c) for c in wire.columns if c not in mixed[0])
    )
    db = str(tmp_path / "mixed.db")
    pairs = [[wire["id"][i], f"mix{k}"] for k, i in enumerate(long[::2])]
    with Index.open(db) as index:
        index.add(pl.concat([wire, extra.select(wire.columns)]))
        want = [index.explain(a, b).to_dict() for a, b in pairs]
    code = (
        "import json, sys\n"
        "from syndup import _kernels\n"
        "from syndup.cli.fast import read_explanation\n"
        "calls = []\n"
        "small = _kernels._shingle_sets_small\n"
        "_kernels._shingle_sets_small = lambda *a: calls.append(1) or small(*a)\n"
        "pairs = json.loads(sys.argv[2])\n"
        "out = [read_explanation(sys.argv[1], a, b).to_dict() for a, b in pairs]\n"
        "print(json.dumps([out, len(calls), 'numba' in sys.modules], default=str))\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", code, db, json.dumps(pairs)],
        capture_output=True,
        text=True,
        env=env(),
        check=True,
    )
    got, read_bodies, numba = json.loads(run.stdout)
    assert read_bodies > 0  # some pair's bodies were read (else the test proves nothing)
    assert numba is False
    assert got == json.loads(json.dumps(want, default=str))
