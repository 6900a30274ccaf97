#!/usr/bin/env bash
# Execute every notebook on the project's tslab kernel with Debian's Jupyter; a failing cell fails the run.
#   scripts/run-notebooks.sh            execute into a temporary directory (CI)
#   scripts/run-notebooks.sh --inplace  execute and keep the outputs in notebooks/
set -euo pipefail
cd "$(dirname "$0")/.."
JUPYTER=${JUPYTER:-/usr/bin/jupyter}
[ -x "$JUPYTER" ] || { echo "error: $JUPYTER not found: apt-get install jupyter-notebook jupyter-nbconvert python3-nbclient python3-ipykernel" >&2; exit 1; }
# the kernel spec points at this project's tslab
node_modules/.bin/tslab install --python=/usr/bin/python3 --binary="$PWD/node_modules/.bin/tslab" >/dev/null
[ -f dist/index.js ] || npm run build >/dev/null
if [ "${1:-}" = "--inplace" ]; then dest=(--inplace); else out=$(mktemp -d); dest=(--output-dir "$out"); fi
for nb in notebooks/*.ipynb; do
  echo "executing $nb"
  (cd notebooks && "$JUPYTER" nbconvert --to notebook --execute --ExecutePreprocessor.kernel_name=tslab --ExecutePreprocessor.timeout=900 "${dest[@]}" "$(basename "$nb")")
done
