#!/usr/bin/env bash
# Set up a virtual environment (first run) and run the whole test suite.
set -euo pipefail
cd "$(dirname "$0")"
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade pip >/dev/null
.venv/bin/python -m pip install --quiet -e ".[test]"
.venv/bin/python -m ruff check .
.venv/bin/python -m pytest "$@"
