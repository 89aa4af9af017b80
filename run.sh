#!/usr/bin/env bash
# Set up a virtual environment (first run) and solve the realistic example scenario.
set -euo pipefail
cd "$(dirname "$0")"
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
# Install (again) only when pyproject.toml has changed since the last install.
STAMP=.venv/.pbo-installed
HASH=$(sha256sum pyproject.toml | cut -d' ' -f1)
WANT="run $HASH"
if [ ! -f "$STAMP" ] || ! grep -qxE "(run|test) $HASH" "$STAMP"; then  # test installs more
  .venv/bin/python -m pip install --quiet -e . >/dev/null
  echo "$WANT" >> "$STAMP"
fi
mkdir -p out
.venv/bin/pbo solve scenarios/whole_place_example.yaml --out out/whole_place_result.json "$@"
