#!/bin/bash
# Makes the shipped audio event tagger samples/models/audio-tags.onnx (+
# -curve.png) in one command: builds the corpus with
# scripts/make-tag-corpus.py from the recordings, voices and generated
# signals listed there (packages: scripts/install-deps.sh), trains
# `dltrain fit --task tag` on train.tsv with the thresholds chosen on
# val.tsv (sources never shared between the two), then evaluates on
# val.tsv. About 13 min on 2 cores shared with another training run
# (corpus 2-3 min, 12 epochs 10 min). The corpus is kept in CORPUS_DIR
# (default build dir/tag-corpus) and reused when its corpus.json exists;
# its bench split feeds bench/bench-tags.py.
#
#   scripts/train-audio-tags.sh [BUILD_DIR] [OUTPUT]
#   CLIPS=8000 EPOCHS=12 CORPUS_DIR=... scripts/train-audio-tags.sh
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${1:-$root/build}
out=${2:-$root/samples/models/audio-tags.onnx}
clips=${CLIPS:-8000}
epochs=${EPOCHS:-12}
corpus=${CORPUS_DIR:-$build/tag-corpus}

if [ ! -s "$corpus/corpus.json" ]; then
  time /usr/bin/python3 "$root/scripts/make-tag-corpus.py" --out "$corpus" \
    --clips "$clips" --seed 1 --jobs 2
fi
time "$build/nn/trainer/dltrain" fit --task tag \
  --data "$corpus/train.tsv" --val-data "$corpus/val.tsv" \
  --audio "rate=16000;n_mels=40" \
  --arch vgg --width 16 --epochs "$epochs" --batch-size 64 \
  --optimizer adamw --lr 0.002 --weight-decay 0.05 --schedule cosine \
  --warmup-epochs 1 --augment shift --seed 1 --threads 2 --output "$out"
"$build/nn/trainer/dltrain" eval "$out" --data "$corpus/val.tsv"
