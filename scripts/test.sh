#!/usr/bin/env bash
# The whole test suite, set-up included: bash scripts/test.sh [pytest args]
# SQLite by default; DATABASE_URL=postgres://user@host/db runs it on PostgreSQL instead.
# Needs Python 3.12 (python3.12 on PATH). Browser tests use Debian's chromium (installed here if
# missing and we are root) with fonts-noto-cjk so Chinese renders.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${HUOYUAN_VENV:-.venv}
PY=${PYTHON:-python3.12}
if [ ! -x "$VENV/bin/python" ]; then
  "$PY" -m venv "$VENV"
fi
"$VENV/bin/python" -m pip install -q --upgrade pip >/dev/null
"$VENV/bin/python" -m pip install -q -e '.[dev]'
if [ ! -x /usr/bin/chromium ] || ! fc-list 2>/dev/null | grep -qi "Noto Sans CJK"; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk >/dev/null
  else
    echo "Browser tests need Debian's chromium and fonts-noto-cjk: sudo apt-get install chromium fonts-noto-cjk" >&2
    exit 1
  fi
fi
mkdir -p test-artifacts
set +e
"$VENV/bin/python" -m pytest "$@"
status=$?
set -e
if [ "$status" = 5 ]; then
  echo "pytest collected no tests: that is a failure, not a pass." >&2
  exit 1
fi
exit "$status"
