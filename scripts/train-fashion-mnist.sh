#!/bin/bash
# Trains the shipped model samples/models/fashion-mnist.onnx from the
# Fashion-MNIST train split (Debian package dataset-fashion-mnist), and
# evaluates it on the official 10k test split. Reproducible: same seed and
# thread count give the same model.
#
#   scripts/train-fashion-mnist.sh [BUILD_DIR] [OUTPUT]
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${1:-$root/build}
out=${2:-$root/samples/models/fashion-mnist.onnx}
data=/usr/share/datasets/fashion-mnist

time "$build/nn/trainer/dltrain" fit --data "$data" \
  --labels "$root/samples/fashion-mnist-labels.txt" \
  --arch vgg --width 32 --epochs 15 --batch-size 128 \
  --optimizer adamw --lr 0.002 --weight-decay 0.05 --schedule cosine \
  --label-smoothing 0.1 --augment shift,flip --val-split 0.05 \
  --seed 1 --threads 2 --output "$out"
"$build/nn/trainer/dltrain" eval "$out" --data "$data"
