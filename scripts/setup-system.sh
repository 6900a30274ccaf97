#!/usr/bin/env bash
# The system packages tailor-ts can use, from Debian (idempotent: installs only what is missing; needs root or sudo):
#   libdnnl-dev   oneDNN, the convolution library of the native training kernels (then: npm run build:native)
#   chromium      headless PNGs of the figures and the rendered-notebook checks, and the cost explorer's browser test
#   firefox-esr   the cost explorer's Firefox test and screenshots (test/web-firefox.test.ts, through WebDriver BiDi)
#   jupyter ...   executing the tslab notebooks
#   python3-onnx python3-numpy   the independent check of the QONNX export (test/helpers/qonnx_check.py, /usr/bin/python3)
#   slurm-wlm munge   a one-node SLURM cluster for test/slurm.test.ts (campaign --scheduler slurm; daemons started by the test)
#   python3-torch   the producer of the ONNX fixtures (scripts/make_onnx_fixtures.py: test/onnx-fixtures.test.ts regenerates
#                   them, and the ImageNet-shaped ones only exist that way; about 500 MiB) and the peer of `npm run bench`
# --bench is accepted for older instructions (python3-torch is now always installed).
set -euo pipefail
packages=(libdnnl-dev chromium firefox-esr jupyter-notebook jupyter-nbconvert python3-nbclient python3-ipykernel python3-onnx python3-numpy slurm-wlm munge python3-torch)
for a in "$@"; do
  case "$a" in
    --bench) ;;
    -h|--help) sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "setup-system.sh: unknown option $a (expected --bench or --help)" >&2; exit 2 ;;
  esac
done
missing=()
for p in "${packages[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -eq 0 ]; then echo "setup-system: all present (${packages[*]})"; exit 0; fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "setup-system: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
  sudo="sudo"
fi
echo "setup-system: installing ${missing[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
