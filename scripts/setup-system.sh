#!/usr/bin/env bash
# The system packages tailor-ts can use, from Debian (idempotent: installs only what is missing; needs root or sudo):
#   libdnnl-dev   oneDNN, the convolution library of the native training kernels (then: npm run build:native)
#   chromium      headless PNGs of the figures and the rendered-notebook checks
#   jupyter ...   executing the tslab notebooks
#   python3-onnx python3-numpy   the independent check of the QONNX export (test/helpers/qonnx_check.py, /usr/bin/python3)
#   slurm-wlm munge   a one-node SLURM cluster for test/slurm.test.ts (campaign --scheduler slurm; daemons started by the test)
# --bench adds python3-torch, the peer of `npm run bench` (large; not needed for tests or training).
set -euo pipefail
packages=(libdnnl-dev chromium jupyter-notebook jupyter-nbconvert python3-nbclient python3-ipykernel python3-onnx python3-numpy slurm-wlm munge)
for a in "$@"; do
  case "$a" in
    --bench) packages+=(python3-torch) ;;
    -h|--help) sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
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
