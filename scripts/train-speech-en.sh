#!/bin/bash
# Trains the shipped English speech recogniser samples/models/speech-en.onnx
# in one command:
#   1. builds a synthesized corpus with scripts/make-speech-corpus.py
#      (espeak-ng, flite and festival voices, augmented; validation voices
#      and sentences kept out of training) and, with scripts/make-real-speech.py,
#      the real transcribed speech of Debian main outside the benchmark
#      (warzone2100's voice lines, alsa-utils' speaker-test voice);
#   2. trains a CTC GRU model on the synthetic corpus (the base model);
#   3. fine-tunes it (`dltrain fit --init`, a fresh short schedule) on the
#      synthetic corpus plus REAL_COPIES copies of the real training clips
#      (the clip and augmented copies);
#   4. writes the class priors (dl.ctc_prior) and evaluates on the
#      synthetic validation split and the real validation clips (greedy and
#      beam search).
# Resumable: an interrupted run continues from the finished corpus and the
# last epoch checkpoint of the stage it was in when started again.
#
#   scripts/train-speech-en.sh [BUILD_DIR]
#
# Environment: HOURS (corpus size, default 10, about 10300 utterances),
# EPOCHS (base training, default 16), THREADS (default 2), WIDTH (default
# 256), LAYERS (default 3), OUT (default samples/models/speech-en.onnx),
# CORPUS (default build-dir/speech-corpus-HOURSh), LR (base peak learning
# rate, default 0.002), WARMUP (base warm-up epochs, default 1), SEED (base,
# default 1), BASE (the base model: default build-dir/speech-en-synth.onnx,
# trained by step 2 unless BASE names an existing model, which step 2 then
# skips), INIT (step 2 starts from this model of the same shape with a
# fresh schedule instead of random weights; default: none), REAL (1, the
# default: steps 3 and the real evaluation; 0: OUT is the base model),
# REAL_COPIES (default 16: each real training clip and 15 augmented
# copies, a quarter of the fine-tuning utterances), FT_EPOCHS (default 3),
# FT_LR (default 0.0005), FT_WARMUP (default 0.2), FT_SEED (default 5),
# REAL_SOURCES (make-real-speech.py --sources: default its own, wz,alsa;
# "all" adds asterisk's prompts and five smaller families, not the
# shipped recipe: README, "The speech model").
# On the 2 cores: the corpus about 30 min (6 utterances/s), the base
# training about 2 min per epoch (two data-parallel replicas,
# SpecAugment), the fine-tuning about 2.5 min per epoch; the corpus
# builder reuses utterances of an interrupted or smaller run made with the
# same seed.
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
real=${REAL:-1}
real_copies=${REAL_COPIES:-16}
real_sources=()
[ -z "${REAL_SOURCES:-}" ] || real_sources=(--sources "$REAL_SOURCES")
ft_epochs=${FT_EPOCHS:-3}
ft_lr=${FT_LR:-0.0005}
ft_warmup=${FT_WARMUP:-0.2}
ft_seed=${FT_SEED:-5}
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
# 1b. real speech: the fine-tuning mix = synthetic train + real train
# copies (absolute paths); validation stays the synthetic val.tsv
mix=$build/speech-corpus-real-mix
if [ "$real" = 1 ]; then
  "$py" "$root/scripts/make-real-speech.py" --out "$build/real-speech" \
    --augment "$real_copies" ${real_sources[@]+"${real_sources[@]}"}
  mkdir -p "$mix"
  abs () { awk -v d="$1" -F '\t' '{ if (substr ($1, 1, 1) != "/") $1 = d "/" $1;
    print $1 "\t" $2 }' "$2"; }
  { abs "$(cd "$corpus" && pwd)" "$corpus/train.tsv"
    abs "$(cd "$build/real-speech" && pwd)" "$build/real-speech/real-train-aug.tsv"
  } > "$mix/train.tsv.part"
  mv "$mix/train.tsv.part" "$mix/train.tsv"
fi
t1=$(date +%s)

# 2. the base model on the synthetic corpus (--resume starts from scratch
# when there is no checkpoint); with REAL=0 it is OUT itself
if [ "$real" = 1 ]; then
  base=${BASE:-$build/speech-en-synth.onnx}
else
  base=$out
fi
if [ -n "${BASE:-}" ] && [ -s "$BASE" ] && [ "$real" = 1 ]; then
  echo "base model: $BASE (given, not trained)"
else
  "$dltrain" fit --task speech --data "$corpus/train.tsv" \
    --val-data "$corpus/val.tsv" --arch gru --layers "$layers" \
    --width "$width" --epochs "$epochs" --batch-size 32 --optimizer adamw \
    --lr "$lr" --weight-decay 0.01 --schedule cosine --warmup-epochs "$warmup" \
    --clip-norm 5 --seed "$seed" --threads "$threads" --resume ${init[@]+"${init[@]}"} \
    --output "$base"
fi

# 3. fine-tuning on synthetic + real speech, from the base model
if [ "$real" = 1 ]; then
  "$dltrain" fit --task speech --data "$mix/train.tsv" \
    --val-data "$corpus/val.tsv" --arch gru --layers "$layers" \
    --width "$width" --epochs "$ft_epochs" --batch-size 32 --optimizer adamw \
    --lr "$ft_lr" --weight-decay 0.01 --schedule cosine \
    --warmup-epochs "$ft_warmup" --clip-norm 5 --seed "$ft_seed" \
    --threads "$threads" --resume --init "$base" --output "$out"
fi
t2=$(date +%s)

# 4. class priors (dl.ctc_prior) from 1,000 synthetic training utterances,
# which dlspeech divides out with `vocabulary` / `grammar` (fit writes
# priors from the validation set; these replace them, weights unchanged)
"$dltrain" eval "$out" --data "$corpus/train.tsv" --limit 1000 \
  --threads "$threads" --write-prior "$out"

# evaluation on the held-out voices and sentences, and the real clips
"$dltrain" eval "$out" --data "$corpus/val.tsv" --threads "$threads"
"$dltrain" eval "$out" --data "$corpus/val.tsv" --threads "$threads" --beam 8
if [ "$real" = 1 ]; then
  "$dltrain" eval "$out" --data "$build/real-speech/real-val.tsv" --threads "$threads"
  "$dltrain" eval "$out" --data "$build/real-speech/real-val.tsv" --threads "$threads" --beam 8
fi
data=$corpus/train.tsv
[ "$real" = 1 ] && data=$mix/train.tsv
echo "corpus $((t1 - t0)) s, training $((t2 - t1)) s, total $(( $(date +%s) - t0 )) s" \
  "($(wc -l < "$data") training utterances, $hours h requested)"
