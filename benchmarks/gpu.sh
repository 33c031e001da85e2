#!/usr/bin/env bash
# Runs the training, fine-tuning and inference benchmarks in bf16 on a GPU
# and writes benchmarks/results/gpu_<name>.json naming the device.
#
#   benchmarks/gpu.sh [--dry-run] [--python PY] [--venv DIR] [--batch N]
#                     [--rounds N] [--pip-args "ARGS"] [--skip-install]
#
# The script installs what it needs itself, so that time on a lent device
# goes to measuring: a virtualenv (--venv) with keras_mm, the CUDA wheels
# of jax (jax[cuda12]) and torch (PyPI's Linux build is the CUDA one), and
# the peers (open_clip, transformers, peft) used through
# --open-clip-python. --pip-args passes e.g. "--find-links /wheels" where
# the device has no registry. The batch fills the card: about 8 samples per
# GiB of device memory, a power of two (--batch overrides).
#
# --dry-run (no GPU, nothing installed): prints every command it would
# run, checks that each benchmark accepts its flags (through --help) and
# that collecting results works, and fails if a step would fail.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(dirname "$HERE")"
DRY_RUN=0
PYTHON="${PYTHON:-python3}"
VENV="${VENV:-$ROOT/.venv-gpu}"
BATCH=""
ROUNDS=3
PIP_ARGS=""
SKIP_INSTALL=0

die() { echo "gpu.sh: $*" >&2; exit 2; }

while [[ $# -gt 0 ]]; do
  case "$1" in
    --dry-run) DRY_RUN=1; shift ;;
    --python) [[ $# -ge 2 ]] || die "--python needs a path"; PYTHON="$2"; shift 2 ;;
    --venv) [[ $# -ge 2 ]] || die "--venv needs a folder"; VENV="$2"; shift 2 ;;
    --batch) [[ "${2:-}" =~ ^[1-9][0-9]*$ ]] || die "--batch expects a positive integer, got '${2:-}'"
             BATCH="$2"; shift 2 ;;
    --rounds) [[ "${2:-}" =~ ^[1-9][0-9]*$ ]] || die "--rounds expects a positive integer, got '${2:-}'"
              ROUNDS="$2"; shift 2 ;;
    --pip-args) [[ $# -ge 2 ]] || die "--pip-args needs a value"; PIP_ARGS="$2"; shift 2 ;;
    --skip-install) SKIP_INSTALL=1; shift ;;
    -h|--help) sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown argument '$1' (see --help)" ;;
  esac
done

# Prints a command; runs it unless --dry-run.
step() {
  echo "+ $*"
  if [[ $DRY_RUN -eq 0 ]]; then "$@"; fi
}

# --- the device ----------------------------------------------------------
if [[ $DRY_RUN -eq 1 ]]; then
  DEVICE="dry run (no GPU)"
  MEMORY_GIB=80
else
  command -v nvidia-smi >/dev/null || die "no nvidia-smi: no NVIDIA GPU here (use --dry-run to check the script)"
  DEVICE="$(nvidia-smi --query-gpu=name --format=csv,noheader | head -n1)"
  MEMORY_MIB="$(nvidia-smi --query-gpu=memory.total --format=csv,noheader,nounits | head -n1)"
  MEMORY_GIB=$(( MEMORY_MIB / 1024 ))
fi
if [[ -z "$BATCH" ]]; then
  BATCH=1
  while (( BATCH * 2 <= MEMORY_GIB * 8 )); do BATCH=$(( BATCH * 2 )); done
fi
echo "device: $DEVICE (${MEMORY_GIB} GiB); batch $BATCH; rounds $ROUNDS"

# --- the environment -----------------------------------------------------
PY="$VENV/bin/python"
if [[ $SKIP_INSTALL -eq 0 ]]; then
  # shellcheck disable=SC2086  # PIP_ARGS holds several arguments
  {
    step "$PYTHON" -m venv "$VENV"
    step "$PY" -m pip install $PIP_ARGS --upgrade pip
    step "$PY" -m pip install $PIP_ARGS -e "$ROOT[jax,torch,onnx]" tensorflow
    step "$PY" -m pip install $PIP_ARGS "jax[cuda12]" torch
    step "$PY" -m pip install $PIP_ARGS open_clip_torch transformers peft
  }
fi
if [[ $DRY_RUN -eq 1 ]]; then
  PY="$PYTHON"  # checks the scripts with the interpreter at hand
else
  step "$PY" -c "import jax; assert jax.devices()[0].platform == 'gpu', jax.devices()"
  step "$PY" -c "import torch; assert torch.cuda.is_available()"
fi

# --- the benchmarks ------------------------------------------------------
RESULTS_TMP="$(mktemp -d)"
trap 'rm -rf "$RESULTS_TMP"' EXIT
FAILED=0

# run_benchmark SCRIPT FLAG [VALUE] ... : flags the script does not list in
# its --help are left out (named on stderr); --dry-run fails on a script
# whose --help does not run.
run_benchmark() {
  local script="$HERE/$1"; shift
  local help
  if ! help="$(PYTHONPATH="$ROOT" "$PY" "$script" --help 2>&1)"; then
    echo "gpu.sh: $script --help failed:" >&2
    echo "$help" >&2
    FAILED=1
    return
  fi
  local args=() flag
  while [[ $# -gt 0 ]]; do
    flag="$1"; shift
    local values=()
    while [[ $# -gt 0 && "$1" != --* ]]; do values+=("$1"); shift; done
    if grep -q -- "$flag\b" <<<"$help"; then
      args+=("$flag" "${values[@]}")
    else
      echo "note: $(basename "$script") has no $flag; it runs without it" >&2
    fi
  done
  step env PYTHONPATH="$ROOT" KERAS_MM_BENCH_RESULTS="$RESULTS_TMP" \
    "$PY" "$script" "${args[@]}"
}

PEERS=(--open-clip-python "$PY")
run_benchmark train_throughput.py --precision bf16 --batch "$BATCH" \
  --rounds "$ROUNDS" "${PEERS[@]}"
run_benchmark finetune_throughput.py --precision bf16 --batch "$BATCH" \
  --rounds "$ROUNDS" "${PEERS[@]}"
run_benchmark inference_latency.py --precision bf16 --batches "1,$BATCH" \
  --models clip-bench,vit-b32 --rounds "$ROUNDS" "${PEERS[@]}"

# --- results: each JSON copied as gpu_<name>.json, naming the device ------
collect() {  # collect FROM TO
  "$PY" - "$1" "$2" "$DEVICE" <<'EOF'
import json, os, sys

source, target, device = sys.argv[1:]
for name in sorted(os.listdir(source)):
    if not name.endswith(".json"):
        continue
    with open(os.path.join(source, name)) as f:
        figures = json.load(f)
    figures["device"] = device
    if isinstance(figures.get("machine"), dict):
        figures["machine"]["device"] = device
    path = os.path.join(target, "gpu_" + name)
    with open(path, "w") as f:
        json.dump(figures, f, indent=2, sort_keys=True)
    print("wrote", path)
EOF
}
if [[ $DRY_RUN -eq 1 ]]; then
  # Checks the collection on a sample file, writing nowhere that matters.
  echo '{"machine": {"device": "cpu"}}' > "$RESULTS_TMP/sample.json"
  mkdir -p "$RESULTS_TMP/out"
  collect "$RESULTS_TMP" "$RESULTS_TMP/out" >/dev/null || FAILED=1
  grep -q "dry run" "$RESULTS_TMP/out/gpu_sample.json" || FAILED=1
  echo "+ collect $RESULTS_TMP -> $HERE/results/gpu_*.json"
else
  collect "$RESULTS_TMP" "$HERE/results"
fi
if [[ $FAILED -ne 0 ]]; then
  echo "gpu.sh: a step failed (above)" >&2
  exit 1
fi
echo "gpu.sh: done"
