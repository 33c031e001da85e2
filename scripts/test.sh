#!/usr/bin/env bash
# Installs keras_mm with its test extras into .venv and runs the whole test
# suite once per Keras backend (jax, tensorflow, torch). Fails if any backend
# fails or runs no test. Extra arguments go to pytest.
set -uo pipefail
cd "$(dirname "$0")/.."

PYTHON="${PYTHON:-python3.11}"
VENV="${VENV:-.venv}"
if [ ! -x "$VENV/bin/python" ]; then
  "$PYTHON" -m venv "$VENV" || exit 1
fi
"$VENV/bin/python" -m pip install -q --upgrade pip || exit 1
"$VENV/bin/python" -m pip install -q -e ".[all,test]" || exit 1

status=0
summary=""
for backend in jax tensorflow torch; do
  echo "=== KERAS_BACKEND=$backend ==="
  start=$(date +%s)
  KERAS_BACKEND=$backend "$VENV/bin/python" -m pytest tests -q \
    -p no:cacheprovider --durations=10 "$@"
  code=$?
  seconds=$(( $(date +%s) - start ))
  if [ $code -eq 5 ]; then
    echo "KERAS_BACKEND=$backend ran no test: failing."
  fi
  if [ $code -ne 0 ]; then
    status=1
  fi
  summary="$summary\n  $backend: exit $code in ${seconds}s"
done
printf "=== summary ===%b\n" "$summary"
exit $status
