#!/usr/bin/env bash
# Create the peer-comparison venv (/work/main/.venv-peers, gitignored via `.venv-*/`).
#
# The peers run in their own venv so that nothing they pull in touches the project venv.
# Only PyPI via pip is used. Idempotent: a marker file records the pinned set; when it
# matches, the script exits at once. Pass --force to rebuild from scratch.
#
# text-dedup 0.4.0 is installed with --no-deps: its declared dependencies include pyspark,
# unisim (-> onnxruntime, usearch) and sphinxcontrib-bibtex, which only its Spark / UniSim
# scripts and docs use. The runtime deps of `text_dedup.minhash` are pinned explicitly below
# (versions as resolved by pip for `pip install text-dedup==0.4.0` on Python 3.11).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${PEERS_VENV:-$ROOT/.venv-peers}"
PYTHON="${PYTHON:-python3}"

PINS=(
  "rensa==0.5.0"
  "datasketch==2.0.0"
  "datasets==5.2.0"
  "polars==2.1.0"
  "polars-runtime-32==2.1.0"
  "pyarrow==26.0.1"
  "numpy==2.4.6"
  # runtime deps of text_dedup.minhash (text-dedup itself goes in with --no-deps)
  "click==8.5.1"
  "click-option-group==0.5.10"
  "rich==13.9.4"
  "scipy==1.17.1"
  "xxhash==4.1.0"
  "tqdm==4.70.1"
  "regex==2026.11.19"
)
TEXT_DEDUP="text-dedup==0.4.0"

MARKER="$VENV/.peers-installed"
WANT="$(printf '%s\n' "${PINS[@]}" "$TEXT_DEDUP" "python=$("$PYTHON" -c 'import sys; print(sys.version.split()[0])')")"

if [[ "${1:-}" == "--force" ]]; then
  rm -rf "$VENV"
fi

if [[ -f "$MARKER" && "$(cat "$MARKER")" == "$WANT" && -x "$VENV/bin/python" ]]; then
  echo "peers venv up to date: $VENV"
  exit 0
fi

if [[ ! -x "$VENV/bin/python" ]]; then
  "$PYTHON" -m venv "$VENV"
fi
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "${PINS[@]}"
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --no-deps "$TEXT_DEDUP"

# Smoke check: every peer library imports, offline.
HF_HUB_OFFLINE=1 HF_DATASETS_OFFLINE=1 "$VENV/bin/python" - <<'PY'
import datasets, datasketch, polars, pyarrow, rensa  # noqa: F401
import text_dedup.minhash  # noqa: F401
from importlib.metadata import version
for name in ("text-dedup", "rensa", "datasets", "datasketch", "polars", "pyarrow"):
    print(f"{name}=={version(name)}")
PY

printf '%s\n' "$WANT" > "$MARKER"
echo "peers venv ready: $VENV"
