#!/usr/bin/env bash
# Execute every notebook on the project's tslab kernel with Debian's Jupyter; a failing cell fails the run. Then
# check each executed notebook (scripts/check-notebooks.ts): no error output, plotly embedded once, its figures.
#   scripts/run-notebooks.sh                 execute into a temporary directory (CI)
#   scripts/run-notebooks.sh --inplace       execute and keep the outputs in notebooks/
#   scripts/run-notebooks.sh --output DIR    execute into DIR
set -euo pipefail
cd "$(dirname "$0")/.."
JUPYTER=${JUPYTER:-/usr/bin/jupyter}
[ -x "$JUPYTER" ] || { echo "error: $JUPYTER not found: apt-get install jupyter-notebook jupyter-nbconvert python3-nbclient python3-ipykernel" >&2; exit 1; }
# the kernel spec points at this project's tslab
node_modules/.bin/tslab install --python=/usr/bin/python3 --binary="$PWD/node_modules/.bin/tslab" >/dev/null
[ -f dist/index.js ] || npm run build >/dev/null
case "${1:-}" in
  --inplace) out="$PWD/notebooks"; dest=(--inplace) ;;
  --output) out=$(realpath -m "${2:?--output needs a directory}"); mkdir -p "$out"; dest=(--output-dir "$out") ;;
  "") out=$(mktemp -d); dest=(--output-dir "$out") ;;
  *) echo "run-notebooks.sh: unknown option $1 (expected --inplace or --output DIR)" >&2; exit 2 ;;
esac
log=$(mktemp)
for nb in notebooks/*.ipynb; do
  # tslab 1.0.22 with zeromq 6 sometimes fails its first kernel_info reply ("Socket is blocked by a bind or unbind
  # operation", EBUSY) and the kernel never starts: retry that case, never a failing cell
  for attempt in 1 2 3; do
    echo "executing $nb${attempt:+ (attempt $attempt)}"
    if (cd notebooks && "$JUPYTER" nbconvert --to notebook --execute --ExecutePreprocessor.kernel_name=tslab --ExecutePreprocessor.timeout=900 "${dest[@]}" "$(basename "$nb")") >"$log" 2>&1; then
      break
    fi
    cat "$log" >&2
    grep -q "Kernel didn't respond" "$log" && [ "$attempt" -lt 3 ] || exit 1
  done
done
# tslab leaves execution counts blank: number the cells, in the order they ran, before the check
node --import tsx scripts/check-notebooks.ts --dir "$out" --number
