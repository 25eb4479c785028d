#!/bin/bash
# Installs the Debian packages that the benchmarks need beyond
# scripts/install-deps.sh (the build and the tests): OpenCV DNN and a C++
# compiler for bench/opencv_bench.cpp, perf for profiling the C tool
# (bench/bench-models.py); the pocketsphinx GStreamer element, its en-us
# model and sphinx_jsgf2fsg for the grammars (bench/bench-speech.py).
# ONNX Runtime for node comes from npm: scripts/install-onnxruntime-node.sh.
# Idempotent and non-interactive; does nothing when all are present.
set -euo pipefail

PKGS=(
  libopencv-dnn-dev g++ pkg-config
  python3 python3-numpy python3-onnx python3-torch python3-torchvision
  linux-perf
  gstreamer1.0-pocketsphinx pocketsphinx-en-us pocketsphinx-testdata
  sphinxbase-utils
)

missing=()
for p in "${PKGS[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-bench-deps: all ${#PKGS[@]} packages present"
  exit 0
fi

echo "install-bench-deps: installing ${missing[*]}"
SUDO=
if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
