#!/usr/bin/env bash
# Installs keras_mm with its test extras into .venv and runs the whole test
# suite once per Keras backend (jax, tensorflow, torch). Fails if any backend
# fails or runs no test. Extra arguments go to pytest.
#
# The three backends run side by side (each in its own process, output in
# its own log, printed when it ends); KERAS_MM_TEST_SERIAL=1 runs them one
# after another instead.
set -uo pipefail
cd "$(dirname "$0")/.."

PYTHON="${PYTHON:-python3.11}"
VENV="${VENV:-.venv}"
BACKENDS=(jax tensorflow torch)
if [ ! -x "$VENV/bin/python" ]; then
  "$PYTHON" -m venv "$VENV" || exit 1
fi
"$VENV/bin/python" -m pip install -q --upgrade pip || exit 1
"$VENV/bin/python" -m pip install -q -e ".[all,test]" || exit 1
# The shared-cache tests start a real Redis server: Debian's, installed once
# when missing and we may (root with apt-get); otherwise they skip, saying so.
if ! command -v redis-server > /dev/null && [ "$(id -u)" = 0 ] \
    && command -v apt-get > /dev/null; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q redis-server > /dev/null \
    || { apt-get update -q > /dev/null \
         && DEBIAN_FRONTEND=noninteractive apt-get install -y -q redis-server \
              > /dev/null; } \
    || echo "redis-server could not be installed: its tests will skip"
fi

# The search page's browser test drives Debian's chromium through
# chromium-driver (selenium comes with the test extra). Installed once, as
# root; without root a missing browser skips that test with a message.
if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ]; then
  if [ "$(id -u)" = "0" ] && command -v apt-get > /dev/null; then
    echo "installing chromium and chromium-driver (apt-get) for the browser test"
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -q chromium chromium-driver > /dev/null \
      || { apt-get update -q > /dev/null \
           && apt-get install -y -q chromium chromium-driver > /dev/null; } \
      || echo "apt-get could not install chromium: the browser test will fail"
  else
    echo "no /usr/bin/chromium or /usr/bin/chromedriver and not root: the browser test is skipped"
  fi
fi
# As root the browser was installed above: a missing one fails the test.
if [ "$(id -u)" = "0" ] || { [ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ]; }; then
  export KERAS_MM_REQUIRE_BROWSER=1
fi

logs=$(mktemp -d)
run_backend() {
  local backend=$1 start code
  start=$(date +%s)
  KERAS_BACKEND=$backend "$VENV/bin/python" -m pytest tests -q \
    -p no:cacheprovider --durations=30 --basetemp="$logs/tmp-$backend" \
    "${@:2}" > "$logs/$backend.log" 2>&1
  code=$?
  echo "$code $(( $(date +%s) - start ))" > "$logs/$backend.status"
}

if [ "${KERAS_MM_TEST_SERIAL:-0}" = "1" ]; then
  for backend in "${BACKENDS[@]}"; do run_backend "$backend" "$@"; done
else
  # Three processes share the cores: OpenMP threads (torch's) that
  # spin-wait for each other then mostly wait (a torch fit ran 9x slower).
  export OMP_WAIT_POLICY="${OMP_WAIT_POLICY:-PASSIVE}"
  for backend in "${BACKENDS[@]}"; do run_backend "$backend" "$@" & done
  wait
fi

status=0
summary=""
for backend in "${BACKENDS[@]}"; do
  echo "=== KERAS_BACKEND=$backend ==="
  cat "$logs/$backend.log"
  read -r code seconds < "$logs/$backend.status"
  if [ "$code" -eq 5 ]; then
    echo "KERAS_BACKEND=$backend ran no test: failing."
  fi
  if [ "$code" -ne 0 ]; then
    status=1
  fi
  summary="$summary\n  $backend: exit $code in ${seconds}s"
done
printf "=== summary ===%b\n" "$summary"
rm -rf "$logs"
exit $status
