#!/usr/bin/env bash
# Set up everything the tests need (first run), then run ruff and the whole test suite.
set -euo pipefail
cd "$(dirname "$0")"
PY=${PYTHON:-python3}
# The decision-pack test renders HTML in headless Chromium, and the meeting-page tests drive it
# with Selenium through chromedriver: Debian's `chromium` and `chromium-driver` packages (the
# driver matches the browser; nothing is downloaded at test time).
if ! command -v chromedriver >/dev/null 2>&1 || { ! command -v chromium >/dev/null 2>&1 \
    && ! command -v chromium-browser >/dev/null 2>&1; }; then
  if command -v apt-get >/dev/null 2>&1; then
    SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    $SUDO apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium chromium-driver >/dev/null
  else
    echo "test.sh: please install Chromium and chromedriver (the browser tests need them)" >&2
  fi
fi
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
# Install (again) only when pyproject.toml has changed since the last install.
STAMP=.venv/.pbo-installed
WANT="test $(sha256sum pyproject.toml | cut -d' ' -f1)"
if [ ! -f "$STAMP" ] || ! grep -qxF "$WANT" "$STAMP"; then
  .venv/bin/python -m pip install --quiet --upgrade pip >/dev/null
  .venv/bin/python -m pip install --quiet -e ".[test]"
  echo "$WANT" >> "$STAMP"
fi
.venv/bin/python -m ruff check .
.venv/bin/python -m mypy -p pbo
.venv/bin/python -m mypy --explicit-package-bases benchmarks
.venv/bin/python -m pytest "$@"
