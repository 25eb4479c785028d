#!/bin/bash
# Installs ONNX Runtime for Node.js (npm package onnxruntime-node, CPU
# binaries bundled in the package) into DIR/node_modules, default: the
# source tree's node_modules/ (ignored by git). tests/nn/onnx_reference.py
# uses it as the independent runtime that libdlnn's outputs are compared
# with; without it (and without python3-torch) that test is skipped.
# Idempotent; needs node and npm (scripts/install-deps.sh) and the npm
# registry. ONNXRUNTIME_NODE_INSTALL=skip: no extra downloads (CUDA EP).
set -euo pipefail

VERSION=1.30.0
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DIR="${1:-$ROOT}"

have() {
  [ -f "$DIR/node_modules/onnxruntime-node/package.json" ] &&
    NODE_PATH="$DIR/node_modules" node -e "require('onnxruntime-node')" \
      2>/dev/null
}

if have; then
  echo "install-onnxruntime-node: present in $DIR/node_modules"
  exit 0
fi
mkdir -p "$DIR"
ONNXRUNTIME_NODE_INSTALL=skip npm install --prefix "$DIR" --no-save \
  --no-package-lock --no-audit --no-fund "onnxruntime-node@$VERSION"
have || { echo "install-onnxruntime-node: failed" >&2; exit 1; }
echo "install-onnxruntime-node: installed onnxruntime-node@$VERSION in $DIR/node_modules"
