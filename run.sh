#!/usr/bin/env bash
# Set up a virtual environment (first run) and solve the realistic example scenario.
set -euo pipefail
cd "$(dirname "$0")"
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
.venv/bin/python -m pip install --quiet -e . >/dev/null
.venv/bin/pbo solve scenarios/whole_place_example.yaml --out out/whole_place_result.json "$@"
