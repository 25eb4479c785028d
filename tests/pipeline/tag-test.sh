#!/bin/bash
# Pipeline tests of dltag through the scripts in pipelines/, with
# gst-launch-1.0 and the tag test models of tests/check (tag-audio.onnx:
# "low" for a 300 Hz tone, "high" for a 3 kHz tone).
#
#   tag-test.sh MODE SOURCE_ROOT WORK_DIR MODEL_DIR
#
# MODE
#   clip       a WAV of 300 Hz 0-2 s, silence 2-3 s, 3 kHz 3-5 s, silence
#              5-6 s (sox) through pipelines/tag-clip.sh hop=100: exit 0,
#              exactly the segments low 0-2 s and high 3-5 s (within
#              0.15 s), tag changes "- low - high -"
#   matroska   the same clip: ... ! dltag extra-tags=genre ! audioconvert !
#              flacenc ! matroskamux ! filesink, then gst-discoverer-1.0 on
#              the file: the track's tags hold the last tag set, "high"
#              (matroskamux 1.22 writes no KEYWORDS, hence extra-tags)
#   live       pipelines/tag-live.sh on audiotestsrc is-live=true at 3 kHz
#              for 2 s: one "high" segment from 0 to 2 s (within 0.15 s)
#   fashion    pipelines/tag-fashion-mnist.sh (dlclassify ! dltag
#              mode=metadata) on the sample clip and model: exit 0 and at
#              least 85% of the segments carry the true label (the model
#              scores about 93% per item)
#   bad-model  tag-clip.sh with a missing model and with a classify model:
#              non-zero exit status, the file named
set -euo pipefail

if [ $# -ne 4 ]; then
  echo "usage: $0 MODE SOURCE_ROOT WORK_DIR MODEL_DIR" >&2
  exit 2
fi
mode=$1
src=$2
work=$3
models=$4
model=$models/tag-audio.onnx

rm -rf "$work"
mkdir -p "$work"
log="$work/out.log"
: > "$log"

fail () {
  echo "FAIL ($mode): $*" >&2
  echo "--- $log (last 30 lines):" >&2
  tail -n 30 "$log" >&2
  exit 1
}

make_tones () {
  command -v sox >/dev/null || { echo "SKIP: sox not installed"; exit 77; }
  sox -n -r 16000 -c 1 -b 16 "$work/a.wav" synth 2 sine 300 vol 0.5
  sox -n -r 16000 -c 1 -b 16 "$work/s.wav" trim 0 1
  sox -n -r 16000 -c 1 -b 16 "$work/b.wav" synth 2 sine 3000 vol 0.5
  sox "$work/a.wav" "$work/s.wav" "$work/b.wav" "$work/s.wav" \
    "$work/tones.wav"
}

# segment_near LINE TAG START END: the segment line matches within 0.15 s
segment_near () {
  echo "$1" | awk -F'\t' -v tag="$2" -v s="$3" -v e="$4" '
    { t = $3; sub (/ +$/, "", t) }
    t != tag || ($1 - s) > 0.15 || (s - $1) > 0.15 || ($2 - e) > 0.15 ||
    (e - $2) > 0.15 { exit 1 }'
}

case $mode in
  clip)
    make_tones
    "$src/pipelines/tag-clip.sh" "$model" "$work/tones.wav" hop=100 \
      > "$log" 2>&1 || fail "exit status $?"
    segs=$(grep -P '^ *[0-9.]+\t' "$log" || true)
    [ "$(echo "$segs" | wc -l)" -eq 2 ] || fail "expected 2 segments"
    segment_near "$(echo "$segs" | sed -n 1p)" low 0 2 || fail "low segment"
    segment_near "$(echo "$segs" | sed -n 2p)" high 3 5 || fail "high segment"
    changes=$(sed -n '/^tag changes/,$p' "$log" | tail -n +2 | tr -d ' ' |
      tr '\n' ' ')
    [ "$changes" = "- low - high - " ] || fail "tag changes: $changes"
    ;;
  matroska)
    make_tones
    gst-launch-1.0 filesrc location="$work/tones.wav" ! wavparse ! \
      audioconvert ! dltag model="$model" hop=100 extra-tags=genre ! \
      audioconvert ! flacenc ! matroskamux ! \
      filesink location="$work/tagged.mkv" > "$log" 2>&1 ||
      fail "muxing failed"
    gst-discoverer-1.0 -v "$work/tagged.mkv" > "$log" 2>&1 ||
      fail "gst-discoverer-1.0 failed"
    grep -q '^ *genre: high$' "$log" || fail "no genre: high tag read back"
    if grep -q '^ *genre: low' "$log"; then fail "stale genre tag"; fi
    ;;
  live)
    FREQ=3000 NUM_BUFFERS=20 "$src/pipelines/tag-live.sh" "$model" - \
      hop=100 > "$log" 2>&1 || fail "exit status $?"
    segs=$(grep -P '^ *[0-9.]+\t' "$log" || true)
    [ "$(echo "$segs" | wc -l)" -eq 1 ] || fail "expected 1 segment"
    segment_near "$segs" high 0 2 || fail "high segment"
    grep -q 'KEYWORDS high' "$log" || fail "no keywords"
    ;;
  fashion)
    sample_model=$src/samples/models/fashion-mnist.onnx
    [ -r "$sample_model" ] || { echo "SKIP: no $sample_model"; exit 77; }
    "$src/pipelines/tag-fashion-mnist.sh" > "$log" 2>&1 ||
      fail "exit status $?"
    pct=$(sed -n 's/.* (\([0-9.]*\)%) match.*/\1/p' "$log")
    [ -n "$pct" ] || fail "no summary"
    awk -v p="$pct" 'BEGIN { exit !(p >= 85) }' || fail "only $pct% match"
    ;;
  bad-model)
    make_tones
    rc=0
    "$src/pipelines/tag-clip.sh" "$work/missing.onnx" "$work/tones.wav" \
      > "$log" 2>&1 || rc=$?
    [ $rc -ne 0 ] || fail "a missing model succeeded"
    grep -q "missing.onnx" "$log" || fail "the missing file is not named"
    rc=0
    "$src/pipelines/tag-clip.sh" "$models/bands.onnx" "$work/tones.wav" \
      > "$log" 2>&1 || rc=$?
    [ $rc -ne 0 ] || fail "a classify model succeeded"
    grep -q "bands.onnx.*dl.task=classify" "$log" ||
      fail "the wrong task is not named"
    ;;
  *)
    echo "unknown mode $mode" >&2
    exit 2
    ;;
esac
echo "PASS ($mode)"
