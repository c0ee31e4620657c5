"""Launch one peer adapter in its own process and collect its result (standard library only).

    from benchmarks.peers.run_peer import run_peer
    res = run_peer("rensa_lsh", Path("in.parquet"), Path("out.parquet"), timeout=3600)

The peer runs under ``/usr/bin/time -v`` with the python of its venv (naive_datasketch: the
project venv; text_dedup_minhash and rensa_lsh: ``.venv-peers`` from
``benchmarks/setup_peers.sh``). The result is the peer's JSON line plus ``peak_rss_mb``
("Maximum resident set size"), ``wall_seconds`` ("Elapsed (wall clock)", interpreter start
included), ``returncode`` and, on failure or timeout, ``error`` (stderr tail) so the caller
can report "peer could not run at this size".

Note: ``time -v`` reports the peak RSS of the largest single process in the tree, not the sum
over processes; text-dedup forks ``--num-proc`` workers, whose memory is not added up.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
PROJECT_PYTHON = ROOT / ".venv" / "bin" / "python"
PEERS_PYTHON = ROOT / ".venv-peers" / "bin" / "python"

#: peer name -> python that runs it
PEERS: dict[str, Path] = {
    "naive_datasketch": PROJECT_PYTHON,
    "text_dedup_minhash": PEERS_PYTHON,
    "rensa_lsh": PEERS_PYTHON,
}

TIME_BIN = "/usr/bin/time"
STDERR_TAIL = 2000
_RSS = re.compile(r"Maximum resident set size \(kbytes\):\s*(\d+)")
_WALL = re.compile(r"Elapsed \(wall clock\) time \([^)]*\):\s*([0-9:.]+)")
_USER = re.compile(r"User time \(seconds\):\s*([0-9.]+)")
_SYS = re.compile(r"System time \(seconds\):\s*([0-9.]+)")
_TIME_START = "\tCommand being timed:"


def cpu_seconds(report: str) -> float | None:
    """User + system CPU seconds from a ``time -v`` report (children waited for included)."""
    u, s = _USER.search(report), _SYS.search(report)
    return round(float(u.group(1)) + float(s.group(1)), 2) if u and s else None


def _parse_clock(text: str) -> float:
    """'h:mm:ss', 'm:ss.ss' -> seconds."""
    secs = 0.0
    for part in text.split(":"):
        secs = secs * 60 + float(part)
    return secs


def _split_time_report(stderr: str) -> tuple[str, str]:
    """Split stderr into (the peer's own stderr, the /usr/bin/time -v report)."""
    k = stderr.rfind(_TIME_START)
    if k < 0:
        return stderr, ""
    own = stderr[:k]
    # time -v prints "Command exited with non-zero status N" / "terminated by signal" first.
    lines = own.rstrip("\n").split("\n")
    while lines and lines[-1].startswith(("Command exited with", "Command terminated by")):
        lines.pop()
    return "\n".join(lines), stderr[k:]


def _last_json(stdout: str) -> dict | None:
    for line in reversed(stdout.strip().splitlines()):
        line = line.strip()
        if line.startswith("{"):
            try:
                obj = json.loads(line)
            except ValueError:
                continue
            if isinstance(obj, dict):
                return obj
    return None


def peer_command(
    name: str, input: Path, output: Path, *, threshold: float, num_perm: int, ngram: int
) -> list[str]:
    if name not in PEERS:
        raise ValueError(f"unknown peer {name!r}; known: {', '.join(sorted(PEERS))}")
    return [
        str(PEERS[name]),
        str(HERE / f"{name}.py"),
        str(input),
        str(output),
        "--threshold",
        repr(float(threshold)),
        "--num-perm",
        str(int(num_perm)),
        "--ngram",
        str(int(ngram)),
    ]


def run_peer(
    name: str,
    input: Path,
    output: Path,
    *,
    threshold: float = 0.5,
    num_perm: int = 128,
    ngram: int = 5,
    timeout: float | None = None,
) -> dict:
    """Run peer ``name`` on ``input``, writing ``output``; return its JSON dict plus
    peak_rss_mb, wall_seconds, returncode and (on failure / timeout) error.
    """
    input, output = Path(input).resolve(), Path(output).resolve()  # the peer runs in ROOT
    cmd = peer_command(name, input, output, threshold=threshold, num_perm=num_perm, ngram=ngram)
    base: dict = {"peer": name, "n": None, "seconds": None}
    python = Path(cmd[0])
    if not python.exists():
        hint = "benchmarks/setup_peers.sh" if python == PEERS_PYTHON else "the project venv"
        return {
            **base,
            "peak_rss_mb": None,
            "wall_seconds": None,
            "returncode": None,
            "timed_out": False,
            "error": f"python for peer {name} not found: {python} (create it with {hint})",
        }
    timed = os.path.exists(TIME_BIN) and os.access(TIME_BIN, os.X_OK)
    if timed:
        cmd = [TIME_BIN, "-v", *cmd]
    env = dict(os.environ, HF_HUB_OFFLINE="1", HF_DATASETS_OFFLINE="1", PYTHONUNBUFFERED="1")
    env.pop("PYTHONPATH", None)
    env.pop("VIRTUAL_ENV", None)

    output.unlink(missing_ok=True)  # never mistake a stale output for this run's
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        cmd,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        errors="replace",
        env=env,
        cwd=str(ROOT),
        start_new_session=True,  # own process group: a timeout kills the peer and its workers
    )
    timed_out = False
    try:
        stdout, stderr = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        timed_out = True
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        stdout, stderr = proc.communicate()
    elapsed = time.perf_counter() - t0

    own_err, report = _split_time_report(stderr) if timed else (stderr, "")
    m_rss = _RSS.search(report)
    m_wall = _WALL.search(report)
    result = _last_json(stdout) or {}
    out = {**base, **result}
    out["peak_rss_mb"] = round(int(m_rss.group(1)) / 1024, 1) if m_rss else None
    out["wall_seconds"] = round(_parse_clock(m_wall.group(1)) if m_wall else elapsed, 3)
    out["cpu_seconds"] = cpu_seconds(report)
    out["returncode"] = proc.returncode
    out["timed_out"] = timed_out
    if timed_out:
        out["wall_seconds"] = round(elapsed, 3)
        out["peak_rss_mb"] = None  # time -v was killed with the peer: no report
        out["error"] = f"timed out after {timeout:g} s\n" + own_err[-STDERR_TAIL:]
    elif proc.returncode != 0 or not result:
        why = f"exit code {proc.returncode}"
        if proc.returncode is not None and proc.returncode < 0:
            why = f"killed by signal {-proc.returncode}"
        elif "Command terminated by signal" in stderr:
            sig = re.search(r"Command terminated by signal (\d+)", stderr)
            why = f"killed by signal {sig.group(1) if sig else '?'} (out of memory?)"
        elif not result:
            why += ", no JSON result on stdout"
        out["error"] = why + "\n" + own_err[-STDERR_TAIL:]
    return out


def main(argv: list[str] | None = None) -> int:
    import argparse

    p = argparse.ArgumentParser(description="Run one peer adapter under /usr/bin/time -v.")
    p.add_argument("name", choices=sorted(PEERS))
    p.add_argument("input", type=Path)
    p.add_argument("output", type=Path)
    p.add_argument("--threshold", type=float, default=0.5)
    p.add_argument("--num-perm", type=int, default=128)
    p.add_argument("--ngram", type=int, default=5)
    p.add_argument("--timeout", type=float, default=None)
    a = p.parse_args(argv)
    res = run_peer(
        a.name,
        a.input,
        a.output,
        threshold=a.threshold,
        num_perm=a.num_perm,
        ngram=a.ngram,
        timeout=a.timeout,
    )
    print(json.dumps(res))
    return 0 if "error" not in res else 1


if __name__ == "__main__":
    sys.exit(main())
