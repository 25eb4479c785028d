#!/bin/bash
# Pipeline tests of dlspeech through the scripts in pipelines/, with the
# hand-weighted test models of tests/check (speech.onnx reads 300 Hz as
# "a", 3 kHz as "b", 1 kHz as " "): on real speech they only check that
# utterances come out with sane timestamps; recognition quality needs the
# trained model.
#
#   speech-pipeline-test.sh MODE SOURCE_ROOT WORK_DIR MODEL_DIR
#
# MODE
#   srt        espeak-ng says three sentences with long pauses (made at test
#              time); pipelines/speech-srt.sh: exit 0, >= 3 cues, well
#              formed, increasing, within the file's duration
#   real       the same on a real recording (pocketsphinx-testdata's
#              LibriVox excerpt): >= 1 cue within the duration
#   captions   pipelines/speech-captions.sh on the espeak-ng file with
#              fakesinks: exit 0 within the timeout (no deadlock between
#              textoverlay waiting for text and the audio branch) and at
#              least 3 different texts rendered by textoverlay
#   commands   pipelines/speech-commands.sh with vocabulary "a": exit 0,
#              every command is "a" words; with "a,c": non-zero, "c" named
#   bad-model  missing and truncated models: non-zero exit, file named
#   trained    a real CTC model: the corpus builder's small espeak-ng corpus,
#              `dltrain fit --task speech` overfitted on its 3 validation
#              utterances (as tests/trainer/speech.sh does), then
#              pipelines/speech-transcribe.py (dlspeech, greedy and beam 8)
#              on each validation file must give the hypothesis `dltrain
#              eval` prints for it, within a character edit distance of
#              max(2, 10%) (the two run the model on batches of different
#              shapes: float near-ties may flip a symbol): the element's
#              front end, model run and decoding agree with the trainer's
# Exits 77 (skip) when espeak-ng or the recording is missing.
set -euo pipefail

if [ $# -ne 4 ] && [ $# -ne 5 ]; then
  echo "usage: $0 MODE SOURCE_ROOT WORK_DIR MODEL_DIR [DLTRAIN]" >&2
  exit 2
fi
mode=$1
src=$2
work=$3
models=$4
dltrain=${5:-}
model=$models/speech.onnx
real=/usr/share/pocketsphinx/test/data/librivox/sense_and_sensibility_01_austen_64kb-0930.wav

rm -rf "$work"
mkdir -p "$work"
log="$work/log.txt"
: > "$log"

fail () {
  echo "FAIL ($mode): $*" >&2
  echo "--- $log (last 30 lines):" >&2
  tail -n 30 "$log" >&2
  exit 1
}

say () {
  if ! command -v espeak-ng > /dev/null; then
    echo "SKIP: espeak-ng is not installed" >&2
    exit 77
  fi
  espeak-ng -w "$work/say.wav" -g 60 \
    "go forward ten meters. turn left. stop." 2>> "$log"
}

duration () {
  gst-discoverer-1.0 "$1" | sed -n 's/^ *Duration: \([0-9:.]*\).*/\1/p' |
    awk -F: '{ print $1 * 3600 + $2 * 60 + $3 }'
}

# checks an .srt file: numbering, times increasing, within $2 seconds,
# at least $3 cues
check_srt () {
  /usr/bin/python3 - "$1" "$2" "$3" <<'PY' || fail "bad subtitles in $1"
import re, sys
path, dur, need = sys.argv[1], float(sys.argv[2]), int(sys.argv[3])
blocks = [b for b in open(path, encoding="utf-8").read().split("\n\n") if b.strip()]
assert len(blocks) >= need, "%d cues" % len(blocks)
last = -1.0
def sec(t):
    h, m, s = t.replace(",", ".").split(":")
    return int(h) * 3600 + int(m) * 60 + float(s)
for i, b in enumerate(blocks, 1):
    lines = b.split("\n")
    assert lines[0] == str(i), b
    m = re.match(r"^(\d\d:\d\d:\d\d,\d\d\d) --> (\d\d:\d\d:\d\d,\d\d\d)$", lines[1])
    assert m, b
    s, e = sec(m.group(1)), sec(m.group(2))
    assert last <= s < e <= dur + 0.05, b
    assert lines[2].strip(), b
    last = e
print("%d cues ok" % len(blocks))
PY
}

case $mode in
  srt)
    say
    "$src/pipelines/speech-srt.sh" "$work/say.wav" "$work/say.srt" \
      "$model" >> "$log" 2>&1 || fail "speech-srt.sh failed"
    check_srt "$work/say.srt" "$(duration "$work/say.wav")" 3 >> "$log"
    ;;
  real)
    if [ ! -f "$real" ]; then
      echo "SKIP: $real is missing (pocketsphinx-testdata)" >&2
      exit 77
    fi
    "$src/pipelines/speech-srt.sh" "$real" "$work/real.srt" "$model" \
      >> "$log" 2>&1 || fail "speech-srt.sh failed"
    check_srt "$work/real.srt" "$(duration "$real")" 1 >> "$log"
    ;;
  captions)
    say
    GST_DEBUG=basetextoverlay:6 GST_DEBUG_NO_COLOR=1 \
      VIDEOSINK="fakesink sync=false" AUDIOSINK="fakesink sync=false" \
      timeout 120 "$src/pipelines/speech-captions.sh" "$work/say.wav" \
      "$model" > "$work/captions.txt" 2>&1 ||
      { cp "$work/captions.txt" "$log"; fail "speech-captions.sh failed"; }
    n=$(grep -o "Rendering text '[^']*'" "$work/captions.txt" | sort -u |
      wc -l)
    [ "$n" -ge 3 ] || fail "textoverlay rendered $n different texts"
    ;;
  commands)
    say
    "$src/pipelines/speech-commands.sh" "$work/say.wav" "a" "$model" \
      > "$work/commands.txt" 2>> "$log" || fail "speech-commands.sh failed"
    cat "$work/commands.txt" >> "$log"
    [ "$(wc -l < "$work/commands.txt")" -ge 3 ] || fail "too few commands"
    awk '{ for (i = 2; i < NF; i++) if ($i != "a") exit 1 }' \
      "$work/commands.txt" || fail "a command outside the vocabulary"
    if "$src/pipelines/speech-commands.sh" "$work/say.wav" "a,c" "$model" \
        > "$work/bad.txt" 2>&1; then
      fail "an unwritable vocabulary entry was accepted"
    fi
    grep -q '"c"' "$work/bad.txt" || fail "the bad entry is not named"
    ;;
  bad-model)
    say
    printf 'not a model' > "$work/garbage.onnx"
    head -c 100 "$model" > "$work/truncated.onnx"
    for m in "$work/missing.onnx" "$work/truncated.onnx"; do
      if "$src/pipelines/speech-srt.sh" "$work/say.wav" "$work/x.srt" "$m" \
          > "$work/bad.txt" 2>&1; then
        fail "model $m was accepted"
      fi
      cat "$work/bad.txt" >> "$log"
      grep -q "$m" "$work/bad.txt" || fail "$m not named in the error"
    done
    ;;
  trained)
    say
    c=$work/corpus
    /usr/bin/python3 "$src/scripts/make-speech-corpus.py" --out "$c" \
      --utterances 30 --jobs 2 --music-tracks 0 >> "$log" 2>&1 ||
      fail "corpus builder failed"
    "$dltrain" fit --task speech --data "$c/val.tsv" --val-data "$c/val.tsv" \
      --output "$work/o.onnx" --epochs 70 --width 128 --layers 2 \
      --batch-size 4 --threads 1 --lr 0.003 --weight-decay 0 \
      --schedule constant --quiet >> "$log" 2>&1 || fail "dltrain fit failed"
    for beam in 1 8; do
      "$dltrain" eval "$work/o.onnx" --data "$c/val.tsv" --verbose \
        --beam $beam > "$work/eval-$beam.txt" 2>> "$log" ||
        fail "dltrain eval failed"
      while IFS=$'\t' read -r path ref; do
        hyp=$(awk -v ref="REF: $ref" '$0 == ref { getline; sub(/^HYP: ?/, "");
          print; exit }' "$work/eval-$beam.txt")
        got=$(/usr/bin/python3 "$src/pipelines/speech-transcribe.py" \
          "$c/$path" "$work/o.onnx" beam-size=$beam silence-duration=1500 \
          2>> "$log" | cut -d' ' -f3- | paste -sd' ')
        echo "beam $beam $path: dltrain \"$hyp\" dlspeech \"$got\"" >> "$log"
        [ -n "$hyp" ] || fail "no dltrain hypothesis for $path"
        /usr/bin/python3 - "$got" "$hyp" <<'PY' ||
import sys
a, b = sys.argv[1], sys.argv[2]
d = list(range(len(b) + 1))
for i, ca in enumerate(a, 1):
    prev, d[0] = d[0], i
    for j, cb in enumerate(b, 1):
        prev, d[j] = d[j], min(d[j] + 1, d[j - 1] + 1, prev + (ca != cb))
sys.exit(0 if d[len(b)] <= max(2, 0.1 * len(b)) else 1)
PY
          fail "beam $beam $path: dlspeech \"$got\", dltrain \"$hyp\""
      done < "$c/val.tsv"
    done
    ;;
  *)
    echo "unknown mode $mode" >&2
    exit 2
    ;;
esac
echo "ok ($mode)"
