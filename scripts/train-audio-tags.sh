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
# crnn 2 s (FRAMES=200) 0.872, 0.831 s. With the corpus's sequences of
# short effects (and 6 of them in the validation stream, which makes it
# harder: the previous crnn 1 s model, thresholds re-chosen on it, 0.860,
# 0.582 s) crnn 1 s scores 0.872, 0.498 s (via dltag 0.871, 0.508 s);
# median smoothing over 3 or 5 windows changes the F1 by < 0.002 and
# costs 0.04-0.09 s of boundary error, dltag's hop 125 ms or
# min-duration 250 / 500 ms score no better than 250 / 0 (all on the
# validation stream). The corpus is kept in CORPUS_DIR
# (default build dir/tag-corpus) and reused when its corpus.json exists;
# its bench split feeds bench/bench-tags.py. THREADS sets dltrain's math
# threads (default 2). About 15 min on 2 cores (corpus 2 min, 12 epochs
# 11.5 min, thresholds 1 min). With TRAINVAL=1 (the default; the shipped
# model) the recipe is trained twice: on train.tsv (BUILD_DIR/NAME-train.onnx
# for OUTPUT NAME.onnx, evaluated on validation, its thresholds chosen on
# the validation stream), then on
# train.tsv + val.tsv (OUTPUT), which gets the first model's thresholds
# (tune-tag-thresholds.py --into: its own validation figures would be
# figures on its training data); twice the time (28 + 31 min at
# THREADS=1 on a busy 2-core machine). WIDTH: the network's base width
# (16). Since T7 (issue 5): 16 epochs (12 before), utterances with pauses
# inside among the speech clips, more music (make-tag-corpus.py), and
# thresholds nearest 0.5 within 0.002 F1 of the best per tag
# (--tolerance: the validation stream's F1 curves are flat for speech and
# spiky for applause, where the best point is noise); about 8 min per
# 16-epoch fit at 1 thread on an idle core. T8 (issue 5): MUSIC_KB (KB
# of each train / val music file decoded, make-tag-corpus.py --music-kb;
# default 160: their first 6-12 s) and MUSIC_NOISE=0 (no music-over-noise
# clips, --no-music-noise) change the corpus; MUSIC_KB=1536 MUSIC_NOISE=0
# scored +0.03 macro F1 on the validation stream but 0.759 (against 0.846)
# on the bench, so the defaults keep the shipped recipe. T9 (issue 5):
# MORE_SOURCES=1 (make-tag-corpus.py --more-sources: openttd-openmsx's MIDI
# songs rendered by fluidsynth, two more val applause recordings and one
# train crowd, whistles / balls / rackets / rain as effects; train / val
# only, the bench is byte-identical) with MUSIC_KB=1536 MUSIC_NOISE=0
# scored 0.906 macro F1 on the new validation stream (held-out seeds;
# the shipped recipe's train-only model 0.886, MUSIC_KB=1536 MUSIC_NOISE=0
# alone 0.891) but 0.741 on the bench (false applause at the threshold
# 0.13 chosen on validation), so the defaults keep the shipped recipe.
# T10 (issue 5): each model gets dl.tag_centre, the point of its window
# its results stand for (scripts/measure-tag-centre.py: the centroid of
# its sensitivity to the frames of validation-stream windows; crnn's
# forward GRU averaged over time hears the older frames longer, 0.406 of
# the window for the shipped model, 94 ms before its middle), which dltag
# maps them to: the validation stream's boundaries were 0.096 s late on
# average, 0.007 s with it.
# T11 (issue 5): REAL_SPEECH=1 (make-tag-corpus.py --real-speech: the
# real recorded voices of scripts/make-real-speech.py, whole voices per
# split, as 30% of the speech clips; the validation stream gets two 5 s
# utterances of each validation voice; the bench is byte-identical). On
# that validation stream's held-out seeds 5-8 (thresholds chosen on
# seeds 1-4 of the same stream for every model) the train-only model
# scored macro F1 0.848 / 0.837 / 0.811 and boundary error 0.476 /
# 0.583 / 0.508 s for SEED=1 / 2 / 3 (mean 0.832, 0.522 s; speech F1
# 0.944), the default corpus's 0.820 / 0.835 and 0.499 / 0.451 s for
# SEED=1 / 2 (mean 0.828, 0.475 s; speech F1 0.939): a difference
# inside the spread between seeds, a worse boundary error, so the
# defaults keep the shipped recipe (each model: TRAINVAL=0 THREADS=1
# SEED=N [REAL_SPEECH=1] scripts/train-audio-tags.sh build M.onnx, then
# tune-tag-thresholds.py --model M.onnx --corpus RS_CORPUS --tolerance
# 0.002, and its figures with --seeds 5,6,7,8 --output /tmp/x.onnx on
# the line "trainer thresholds"). SEED: dltrain's seed (1).
#
#   scripts/train-audio-tags.sh [BUILD_DIR] [OUTPUT]
#   CLIPS=12000 EPOCHS=16 THREADS=2 ARCH=crnn FRAMES=100 CLIP_SEC=2 \
#     WIDTH=16 TRAINVAL=1 MUSIC_KB=160 MUSIC_NOISE=1 MORE_SOURCES=0 \
#     REAL_SPEECH=0 SEED=1 \
#     CORPUS_DIR=... scripts/train-audio-tags.sh
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${1:-$root/build}
out=${2:-$root/samples/models/audio-tags.onnx}
clips=${CLIPS:-12000}
epochs=${EPOCHS:-16}
threads=${THREADS:-2}
width=${WIDTH:-16}
trainval=${TRAINVAL:-1}
arch=${ARCH:-crnn}
frames=${FRAMES:-100}
clip_sec=${CLIP_SEC:-2}
music_kb=${MUSIC_KB:-160}
corpus_opts=()
[ "${MUSIC_NOISE:-1}" = 0 ] && corpus_opts+=(--no-music-noise)
[ "${MORE_SOURCES:-0}" = 1 ] && corpus_opts+=(--more-sources)
[ "${REAL_SPEECH:-0}" = 1 ] && corpus_opts+=(--real-speech)
corpus=${CORPUS_DIR:-$build/tag-corpus}

corpus_args=(--clips "$clips" --clip-sec "$clip_sec" --music-kb "$music_kb"
  "${corpus_opts[@]}" --seed 1)
if [ ! -s "$corpus/corpus.json" ]; then
  time /usr/bin/python3 "$root/scripts/make-tag-corpus.py" --out "$corpus" \
    "${corpus_args[@]}" --jobs 2
else
  # a kept corpus must be the one these settings make (REAL_SPEECH=1 on
  # a default corpus would train on the default one)
  /usr/bin/python3 - "$corpus/corpus.json" "${corpus_args[@]}" <<'PYEOF'
import json, shlex, sys
def opts (words):
  d, key = {}, None
  for w in words:
    if w.startswith ("--"):
      key = w
      d[key] = True
    elif key:
      d[key], key = w, None
  d.pop ("--out", None)
  d.pop ("--jobs", None)
  return d
show = lambda d: " ".join (k if v is True else "%s %s" % (k, v)
                           for k, v in sorted (d.items ()))
made = opts (shlex.split (json.load (open (sys.argv[1]))["command"]))
want = opts (sys.argv[2:])
if made != want:
  sys.exit ("train-audio-tags: %s was made with %s, these settings want "
            "%s: set CORPUS_DIR to another directory or remove it" % (
                sys.argv[1], show (made), show (want)))
PYEOF
fi
fit () {
  time "$build/nn/trainer/dltrain" fit --task tag \
    --data "$1" --val-data "$corpus/val.tsv" \
    --audio "rate=16000;n_mels=40" \
    --arch "$arch" --width "$width" --image-size "40x$frames" \
    --epochs "$epochs" --batch-size 64 \
    --optimizer adamw --lr 0.002 --weight-decay 0.05 --schedule cosine \
    --warmup-epochs 1 --augment shift --spec-augment 2 --seed "${SEED:-1}" \
    --threads "$threads" --resume --output "$2"
}
if [ "$trainval" = 1 ]; then
  first=$build/$(basename "${out%.onnx}")-train.onnx
else
  first=$out
fi
centre () {
  /usr/bin/python3 "$root/scripts/measure-tag-centre.py" --model "$1" \
    --build "$build" --corpus "$corpus" --write
}
fit "$corpus/train.tsv" "$first"
"$build/nn/trainer/dltrain" eval "$first" --data "$corpus/val.tsv"
centre "$first"
/usr/bin/python3 "$root/scripts/tune-tag-thresholds.py" --model "$first" \
  --build "$build" --corpus "$corpus" --tolerance 0.002
if [ "$trainval" = 1 ]; then
  cat "$corpus/train.tsv" "$corpus/val.tsv" > "$corpus/trainval.tsv"
  fit "$corpus/trainval.tsv" "$out"
  centre "$out"
  /usr/bin/python3 "$root/scripts/tune-tag-thresholds.py" --model "$first" \
    --build "$build" --corpus "$corpus" --tolerance 0.002 --into "$out"
fi
