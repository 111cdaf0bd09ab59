#!/usr/bin/env bash
# Refresh the message catalogues from the code and compile them:
#   bash scripts/i18n.sh            (after changing user-facing strings; then translate the new entries)
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-.venv/bin/python}
case "$PY" in /*) ;; *) PY="$PWD/$PY" ;; esac
export DJANGO_SETTINGS_MODULE=config.settings HUOYUAN_DATA_DIR=${HUOYUAN_DATA_DIR:-$(mktemp -d)}
cd huoyuan
"$PY" -m django makemessages -l zh_Hans -l de --no-obsolete --no-location \
  -i "*/tests/*" -i "locale/*" >/dev/null
if [ "${1:-}" = "--extract-only" ]; then
  echo "catalogues refreshed in huoyuan/locale (not compiled)"
  exit 0
fi
"$PY" -m django compilemessages -l zh_Hans -l de >/dev/null
echo "catalogues refreshed and compiled in huoyuan/locale"
