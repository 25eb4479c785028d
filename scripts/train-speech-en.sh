#!/bin/bash
# Trains the shipped English speech recogniser samples/models/speech-en.onnx
# in one command: builds a synthesized corpus with
# scripts/make-speech-corpus.py (espeak-ng, flite and festival voices,
# augmented; validation voices and sentences kept out of training), trains
# a CTC GRU model with dltrain and evaluates it on the validation split
# (greedy and beam search). Resumable: an interrupted run continues from the
# finished corpus and the last epoch checkpoint when started again.
#
#   scripts/train-speech-en.sh [BUILD_DIR]
#
# Environment: HOURS (corpus size, default 10, about 10300 utterances),
# EPOCHS (default 16), THREADS (default 2), WIDTH (default 256), LAYERS
# (default 3), OUT (default samples/models/speech-en.onnx), CORPUS (default
# build-dir/speech-corpus-HOURSh), LR (peak learning rate, default 0.002),
# WARMUP (warm-up epochs, default 1), SEED (default 1), INIT (a model of
# the same shape to continue from with a fresh schedule, `dltrain fit
# --init`; default: none, random initialisation), REAL (1: add real human
# speech, scripts/make-real-speech.py's warzone2100 / alsa-utils clips:
# their training split, REAL_COPIES times (default 16: the clip and 15
# augmented copies, a quarter of the utterances), is appended to the
# synthetic train.tsv; evaluation also on the real validation split;
# default 0). On the 2 cores: the corpus about 30 min
# (6 utterances/s), training about 2 min per epoch (two data-parallel
# replicas, SpecAugment); the corpus builder reuses utterances of an
# interrupted or smaller run made with the same seed.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${1:-$root/build}
hours=${HOURS:-10}
epochs=${EPOCHS:-16}
threads=${THREADS:-2}
width=${WIDTH:-256}
layers=${LAYERS:-3}
out=${OUT:-$root/samples/models/speech-en.onnx}
lr=${LR:-0.002}
warmup=${WARMUP:-1}
seed=${SEED:-1}
init=()
[ -z "${INIT:-}" ] || init=(--init "$INIT")
corpus=${CORPUS:-$build/speech-corpus-${hours}h}
real=${REAL:-0}
real_copies=${REAL_COPIES:-16}
dltrain=$build/nn/trainer/dltrain
py=/usr/bin/python3

[ -x "$dltrain" ] || { echo "no $dltrain (build first)" >&2; exit 1; }
mkdir -p "$(dirname "$out")"
t0=$(date +%s)

# 1. the corpus; train.tsv, val.tsv and corpus.json are written last, so
# their presence means it is complete
# (an interrupted builder run reuses the utterances it finished)
if [ -s "$corpus/train.tsv" ] && [ -s "$corpus/val.tsv" ] && [ -s "$corpus/corpus.json" ]; then
  echo "corpus: reusing $corpus"
else
  "$py" "$root/scripts/make-speech-corpus.py" --out "$corpus" \
    --hours "$hours" --seed 1 --jobs "$threads"
fi
# 1b. real speech (REAL=1): the mix = synthetic train + real train copies
# (absolute paths), validation = the synthetic val.tsv
data=$corpus/train.tsv
if [ "$real" = 1 ]; then
  "$py" "$root/scripts/make-real-speech.py" --out "$build/real-speech" \
    --augment "$real_copies"
  mix=$build/speech-corpus-real-mix
  mkdir -p "$mix"
  abs () { awk -v d="$1" -F '\t' '{ if (substr ($1, 1, 1) != "/") $1 = d "/" $1;
    print $1 "\t" $2 }' "$2"; }
  { abs "$(cd "$corpus" && pwd)" "$corpus/train.tsv"
    abs "$(cd "$build/real-speech" && pwd)" "$build/real-speech/real-train-aug.tsv"
  } > "$mix/train.tsv.part"
  mv "$mix/train.tsv.part" "$mix/train.tsv"
  data=$mix/train.tsv
fi
t1=$(date +%s)

# 2. training (--resume starts from scratch when there is no checkpoint)
"$dltrain" fit --task speech --data "$data" \
  --val-data "$corpus/val.tsv" --arch gru --layers "$layers" \
  --width "$width" --epochs "$epochs" --batch-size 32 --optimizer adamw \
  --lr "$lr" --weight-decay 0.01 --schedule cosine --warmup-epochs "$warmup" \
  --clip-norm 5 --seed "$seed" --threads "$threads" --resume ${init[@]+"${init[@]}"} \
  --output "$out"
t2=$(date +%s)

# 2b. class priors (dl.ctc_prior) from 1,000 training utterances, which
# dlspeech divides out with `vocabulary` / `grammar` (fit writes priors
# from the validation set; these replace them, weights unchanged)
"$dltrain" eval "$out" --data "$corpus/train.tsv" --limit 1000 \
  --threads "$threads" --write-prior "$out"

# 3. evaluation on the held-out voices and sentences
"$dltrain" eval "$out" --data "$corpus/val.tsv" --threads "$threads"
"$dltrain" eval "$out" --data "$corpus/val.tsv" --threads "$threads" --beam 8
if [ "$real" = 1 ]; then
  "$dltrain" eval "$out" --data "$build/real-speech/real-val.tsv" --threads "$threads"
  "$dltrain" eval "$out" --data "$build/real-speech/real-val.tsv" --threads "$threads" --beam 8
fi
echo "corpus $((t1 - t0)) s, training $((t2 - t1)) s, total $(( $(date +%s) - t0 )) s" \
  "($(wc -l < "$data") training utterances, $hours h requested)"
