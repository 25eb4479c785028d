#!/bin/bash
# Makes the shipped audio event tagger samples/models/audio-tags.onnx (+
# -curve.png) in one command: builds the corpus with
# scripts/make-tag-corpus.py from the recordings, voices and generated
# signals listed there (packages: scripts/install-deps.sh), trains
# `dltrain fit --task tag` on train.tsv with the thresholds chosen on
# val.tsv (sources never shared between the two), evaluates on val.tsv,
# then replaces dl.thresholds by the ones chosen on the validation stream
# (scripts/tune-tag-thresholds.py: the val split's real recordings composed
# like the bench stream, with transitions; dltag's decisions, unsmoothed).
# Rerunning it keeps a built corpus and resumes the training from its last
# checkpoint (OUT.ckpt, --resume).
# About 17 min on 2 cores shared with other jobs (corpus 1.5 min, 12
# epochs 14.5 min, thresholds 1 min). The corpus is kept in CORPUS_DIR (default
# build dir/tag-corpus) and reused when its corpus.json exists; its bench
# split feeds bench/bench-tags.py.
#
#   scripts/train-audio-tags.sh [BUILD_DIR] [OUTPUT]
#   CLIPS=12000 EPOCHS=12 CORPUS_DIR=... scripts/train-audio-tags.sh
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${1:-$root/build}
out=${2:-$root/samples/models/audio-tags.onnx}
clips=${CLIPS:-12000}
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
  --warmup-epochs 1 --augment shift --spec-augment 2 --seed 1 --threads 2 \
  --resume --output "$out"
"$build/nn/trainer/dltrain" eval "$out" --data "$corpus/val.tsv"
/usr/bin/python3 "$root/scripts/tune-tag-thresholds.py" --model "$out" \
  --build "$build" --corpus "$corpus"
