"""The writing policy: paths checked before the run, atomic files, devices/FIFOs/symlinks
written through, read-only files kept, .gz compressed, outputs landing as a set, temporaries
removed on errors and signals and swept after SIGKILL."""

from __future__ import annotations

import gzip
import json
import os
import signal
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from syndup.cli import app
from syndup.errors import OutputError
from syndup.io import OutputPlan, check_output, table_writer, write_table
from syndup.io.write import sweep_stale_temps

REPO = Path(__file__).parent.parent
WIRE = REPO / "data" / "wire_1916.jsonl"
runner = CliRunner(env={"COLUMNS": "200"})
MAIN = "from syndup.cli import main; main()"


def cluster(*args: str):
    return runner.invoke(app, ["cluster", str(WIRE), "-q", *args])


def temps(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if p.name.endswith(".tmp"))


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["-o", "nodir/out.jsonl"], "directory 'nodir' does not exist"),
        (["-o", "ok.jsonl", "--rejects", "nodir/r.jsonl"], "nodir/r.jsonl"),
        (["-o", "ok.jsonl", "--pairs", "p.txt"], "--pairs takes its format from the suffix"),
        (["-o", "."], "is a directory"),
        (["-o", "out.txt2"], "cannot tell the output format (suffix '.txt2')"),
        (["-o", "out"], "(no suffix)"),
        (["-o", "out.parquet.gz"], "parquet is compressed internally"),
        (["-o", "a.jsonl", "--clusters", "a.jsonl"], "given for two outputs"),
        (["-o", "out.jsonl", "-f", "xml"], "Invalid value"),
    ],
)
def test_bad_output_paths_fail_before_the_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: list[str], fragment: str
) -> None:
    monkeypatch.chdir(tmp_path)
    start = time.perf_counter()
    res = cluster(*args)
    assert res.exit_code == 2, res.output
    assert fragment in res.output
    assert "internal error" not in res.output and "Traceback" not in res.output
    assert list(tmp_path.iterdir()) == []  # nothing created, not even ok.jsonl
    assert time.perf_counter() - start < 5  # the corpus was not clustered first


def test_gz_suffixes_compress(tmp_path: Path) -> None:
    for name in ("o.jsonl.gz", "o.json.gz", "o.csv.gz", "o.tsv.gz"):
        res = cluster("-o", str(tmp_path / name))
        assert res.exit_code == 0, res.output
        data = gzip.decompress((tmp_path / name).read_bytes()).decode()
        if name.startswith("o.json."):
            assert len(json.loads(data)["assignments"]) == 400
        else:
            assert len(data.splitlines()) == 400 + (name.endswith(("csv.gz", "tsv.gz")))
    tsv = gzip.decompress((tmp_path / "o.tsv.gz").read_bytes()).decode()
    assert tsv.splitlines()[0].startswith("id\tcluster_id\t")


def test_symlink_is_written_through_and_stays_a_link(tmp_path: Path) -> None:
    target = tmp_path / "real.jsonl"
    target.write_text("old\n")
    link = tmp_path / "link.jsonl"
    link.symlink_to(target)
    res = cluster("-o", str(link))
    assert res.exit_code == 0, res.output
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert pl.read_ndjson(target).height == 400
    dangling = tmp_path / "dangling.jsonl"
    dangling.symlink_to(tmp_path / "made.jsonl")
    assert cluster("-o", str(dangling)).exit_code == 0
    assert dangling.is_symlink() and pl.read_ndjson(tmp_path / "made.jsonl").height == 400
    assert temps(tmp_path) == []


def test_fifo_is_written_through(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.jsonl"
    os.mkfifo(fifo)
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()), daemon=True)
    reader.start()
    res = cluster("-o", str(fifo))
    reader.join(timeout=60)
    assert res.exit_code == 0, res.output
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)  # still a FIFO, not replaced by a file
    assert len(got[0].decode().splitlines()) == 400
    assert temps(tmp_path) == []


def test_devices_are_written_through_never_replaced(tmp_path: Path) -> None:
    res = cluster("-o", "/dev/null", "-f", "jsonl")
    assert res.exit_code == 0, res.output
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)
    if os.geteuid() != 0:
        pytest.skip("mknod needs root")
    fake = tmp_path / "fakenull"
    os.mknod(fake, 0o666 | stat.S_IFCHR, os.makedev(1, 3))
    res = cluster("-f", "jsonl", "-o", str(fake))
    assert res.exit_code == 0, res.output
    assert stat.S_ISCHR(os.stat(fake).st_mode)


def test_read_only_file_is_not_replaced(tmp_path: Path) -> None:
    out = tmp_path / "keep.jsonl"
    out.write_text("precious\n")
    out.chmod(0o444)
    res = cluster("-o", str(out))
    assert res.exit_code == 2 and "is read-only; not replaced" in res.output
    assert out.read_text() == "precious\n"


def test_outputs_land_as_a_set(tmp_path: Path) -> None:
    a, b = tmp_path / "a.jsonl", tmp_path / "b.csv"
    a.write_text("old a\n")
    df = pl.DataFrame({"id": [1, 2]})

    def fail(fh: object) -> None:
        raise RuntimeError("disk on fire")

    targets = [check_output(a), check_output(b)]
    with pytest.raises(RuntimeError), OutputPlan(targets) as plan:
        plan.write(targets[0], table_writer(df, "jsonl"))
        plan.write(targets[1], fail)
        plan.commit()
    assert a.read_text() == "old a\n" and not b.exists()
    assert temps(tmp_path) == []


def test_binary_to_a_terminal_is_refused() -> None:
    class Tty:
        def isatty(self) -> bool:
            return True

    with pytest.raises(OutputError, match="refusing to write binary parquet to a terminal"):
        check_output(None, format="parquet", stdout=Tty())
    assert check_output(None, format="jsonl", stdout=Tty()).stream


def test_write_table_format_from_suffix(tmp_path: Path) -> None:
    df = pl.DataFrame({"id": [1], "t": ["x"]})
    write_table(df, tmp_path / "o.tsv")
    assert (tmp_path / "o.tsv").read_text() == "id\tt\n1\tx\n"
    with pytest.raises(OutputError, match="cannot tell the output format"):
        write_table(df, tmp_path / "o.xml")


def test_stale_temporaries_of_dead_processes_are_swept(tmp_path: Path) -> None:
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    pid = int(dead.stdout)
    stale = tmp_path / f".out.jsonl.syndup-{pid}-abcd1234.tmp"
    mine = tmp_path / f".out.jsonl.syndup-{os.getpid()}-abcd1234.tmp"
    other = tmp_path / ".other.jsonl.syndup-1-abcd1234.tmp"
    for p in (stale, mine, other):
        p.write_text("half")
    assert sweep_stale_temps(str(tmp_path / "out.jsonl")) == [stale.name]
    assert sorted(temps(tmp_path)) == sorted([mine.name, other.name])


def _start(out: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
    return subprocess.Popen(
        [sys.executable, "-c", MAIN, "cluster", str(WIRE), "-q", "-o", str(out)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _wait_for_temp(directory: Path, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.time() + 120
    while not temps(directory):
        assert proc.poll() is None, "finished before its temporary was seen"
        assert time.time() < deadline
        time.sleep(0.01)


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM, signal.SIGINT])
def test_killed_run_leaves_no_partial_output(tmp_path: Path, sig: signal.Signals) -> None:
    out = tmp_path / "out.jsonl"
    proc = _start(out)
    _wait_for_temp(tmp_path, proc)
    proc.send_signal(sig)
    proc.wait(timeout=60)
    assert proc.returncode == (130 if sig == signal.SIGINT else -sig)
    assert not out.exists()
    if sig != signal.SIGKILL:
        assert temps(tmp_path) == []  # removed by the handler / the plan's cleanup
    else:
        assert len(temps(tmp_path)) == 1  # SIGKILL cannot be caught...
    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
    again = subprocess.run(
        [sys.executable, "-c", MAIN, "cluster", str(WIRE), "-q", "-o", str(out)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert again.returncode == 0, again.stderr
    assert temps(tmp_path) == []  # ...the next run sweeps it
    assert pl.read_ndjson(out).height == 400


def test_broken_pipe_is_quiet() -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
    for args in ([], ["-f", "jsonl"]):
        run = subprocess.run(
            f"{sys.executable} -c '{MAIN}' cluster {WIRE} {' '.join(args)} | head -1",
            shell=True,
            env=env,
            capture_output=True,
            text=True,
            executable="/bin/bash",
        )
        assert run.stdout.count("\n") == 1
        assert run.stderr == ""
        pipe = subprocess.run(
            f"set -o pipefail; {sys.executable} -c '{MAIN}' cluster {WIRE} {' '.join(args)}"
            " | head -1 > /dev/null",
            shell=True,
            env=env,
            executable="/bin/bash",
        )
        assert pipe.returncode == 0
