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
# The model (ARCH, default crnn: convolutions, then a GRU over time and
# the mean of its outputs) takes windows of FRAMES log-mel frames of 10 ms
# (default 100: 1 s; dltag takes the window from the model's input shape),
# cut from the middle of CLIP_SEC-second clips (default 2, with time-shift
# augmentation). On the held-out validation stream (4 seeds) crnn 1 s
# scored macro F1 0.877, boundary error 0.624 s; vgg 1 s 0.879, 0.670 s;
# crnn 2 s (FRAMES=200) 0.872, 0.831 s. The corpus is kept in CORPUS_DIR
# (default build dir/tag-corpus) and reused when its corpus.json exists;
# its bench split feeds bench/bench-tags.py. THREADS sets dltrain's math
# threads (default 2). About 15 min on 2 cores (corpus 2 min, 12 epochs
# 11.5 min, thresholds 1 min).
#
#   scripts/train-audio-tags.sh [BUILD_DIR] [OUTPUT]
#   CLIPS=12000 EPOCHS=12 THREADS=2 ARCH=crnn FRAMES=100 CLIP_SEC=2 \
#     CORPUS_DIR=... scripts/train-audio-tags.sh
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${1:-$root/build}
out=${2:-$root/samples/models/audio-tags.onnx}
clips=${CLIPS:-12000}
epochs=${EPOCHS:-12}
threads=${THREADS:-2}
arch=${ARCH:-crnn}
frames=${FRAMES:-100}
clip_sec=${CLIP_SEC:-2}
corpus=${CORPUS_DIR:-$build/tag-corpus}

if [ ! -s "$corpus/corpus.json" ]; then
  time /usr/bin/python3 "$root/scripts/make-tag-corpus.py" --out "$corpus" \
    --clips "$clips" --clip-sec "$clip_sec" --seed 1 --jobs 2
fi
time "$build/nn/trainer/dltrain" fit --task tag \
  --data "$corpus/train.tsv" --val-data "$corpus/val.tsv" \
  --audio "rate=16000;n_mels=40" \
  --arch "$arch" --width 16 --image-size "40x$frames" --epochs "$epochs" \
  --batch-size 64 \
  --optimizer adamw --lr 0.002 --weight-decay 0.05 --schedule cosine \
  --warmup-epochs 1 --augment shift --spec-augment 2 --seed 1 \
  --threads "$threads" --resume --output "$out"
"$build/nn/trainer/dltrain" eval "$out" --data "$corpus/val.tsv"
/usr/bin/python3 "$root/scripts/tune-tag-thresholds.py" --model "$out" \
  --build "$build" --corpus "$corpus"
