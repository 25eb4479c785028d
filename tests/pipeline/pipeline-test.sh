#!/bin/bash
# Pipeline tests of dlclassify through the scripts in pipelines/, with
# gst-launch-1.0 and the test models of tests/check (bands.onnx: the
# brightest of four horizontal bands).
#
#   pipeline-test.sh MODE SOURCE_ROOT WORK_DIR MODEL_DIR MAKE_BAND_FRAMES
#
# MODE
#   clip       encodes generated band frames as an MJPEG AVI clip, runs
#              pipelines/classify-file.sh on it and checks: exit status 0,
#              EOS, one dlclassify message per frame, labels against the
#              ground truth (accuracy >= 0.95)
#   interval   the same clip with inference-interval=4 top-k=2
#   live       pipelines/classify-webcam-like.sh for 15 frames: exit 0, EOS,
#              15 messages
#   bad-model  classify-file.sh with a corrupt and a missing model: non-zero
#              exit status, the file named in the error output
set -euo pipefail

if [ $# -ne 5 ]; then
  echo "usage: $0 MODE SOURCE_ROOT WORK_DIR MODEL_DIR MAKE_BAND_FRAMES" >&2
  exit 2
fi
mode=$1
src=$2
work=$3
models=$4
make_frames=$5

WIDTH=96
HEIGHT=64
FRAMES=40
HOLD=5
FPS=10

rm -rf "$work"
mkdir -p "$work"
log="$work/gst-launch.log"
: > "$log"

fail () {
  echo "FAIL ($mode): $*" >&2
  echo "--- $log (last 30 lines):" >&2
  tail -n 30 "$log" >&2
  exit 1
}

make_clip () {
  "$make_frames" "$work/frames.rgb" "$work/truth.txt" $WIDTH $HEIGHT \
    $FRAMES $HOLD
  gst-launch-1.0 -q filesrc location="$work/frames.rgb" ! \
    rawvideoparse format=rgb width=$WIDTH height=$HEIGHT \
      framerate=$FPS/1 ! \
    videoconvert ! jpegenc quality=85 ! avimux ! \
    filesink location="$work/bands.avi" || fail "could not encode the clip"
}

# "TIMESTAMP LABEL" for each dlclassify message of the log
results () {
  grep ' (element): dlclassify, ' "$log" |
    sed -n 's/.* timestamp=(guint64)\([0-9]*\),.* label=(string)\([^,]*\), .*/\1 \2/p'
}

run () {
  local rc=0
  "$@" > "$log" 2>&1 || rc=$?
  echo $rc
}

check_ok () {
  local rc=$1
  [ "$rc" -eq 0 ] || fail "exit status $rc"
  grep -q '^Got EOS from element "pipeline0"' "$log" || fail "no EOS"
  if grep -q '^ERROR' "$log"; then fail "error in the log"; fi
}

# Compares results with the truth; $1 = expected number of results,
# $2 = classify every $2th frame
check_accuracy () {
  local want=$1 every=$2
  results > "$work/results.txt"
  awk -v fps=$FPS -v want="$want" -v every="$every" '
    NR == FNR { truth[$1] = $2; next }
    {
      frame = int ($1 * fps / 1000000000 + 0.5)
      n++
      if (frame % every != 0) bad_frame++
      if (truth[frame] == $2) ok++
    }
    END {
      acc = n ? ok / n : 0
      printf "results: %d (want %d), accuracy %.3f, off-interval %d\n", n, want, acc, bad_frame
      exit !(n == want && acc >= 0.95 && bad_frame == 0)
    }' "$work/truth.txt" "$work/results.txt" ||
    fail "wrong results (see $work/results.txt)"
}

case "$mode" in
  clip)
    make_clip
    rc=$(run "$src/pipelines/classify-file.sh" "$work/bands.avi" \
      "$models/bands.onnx")
    check_ok "$rc"
    check_accuracy $FRAMES 1
    # the top-k list is printed with each result
    grep -q 'top-k=(structure){' "$log" ||
      grep -q 'top-k=(GstValueList){' "$log" ||
      grep -q 'top-k={ ' "$log" || fail "no top-k list in the messages"
    ;;
  interval)
    make_clip
    rc=$(run "$src/pipelines/classify-file.sh" "$work/bands.avi" \
      "$models/bands.onnx" inference-interval=4 top-k=2)
    check_ok "$rc"
    check_accuracy $((FRAMES / 4)) 4
    ;;
  live)
    rc=$(NUM_BUFFERS=15 PATTERN=snow run \
      "$src/pipelines/classify-webcam-like.sh" "$models/bands.onnx")
    check_ok "$rc"
    n=$(results | wc -l)
    [ "$n" -eq 15 ] || fail "$n results, want 15"
    ;;
  bad-model)
    make_clip
    for model in "$models/garbage.onnx" "$models/truncated.onnx" \
        "$work/no-such-model.onnx"; do
      rc=$(run "$src/pipelines/classify-file.sh" "$work/bands.avi" "$model")
      [ "$rc" -ne 0 ] || fail "exit status 0 with $model"
      grep -q '^ERROR' "$log" || fail "no ERROR line for $model"
      grep -qF "$model" "$log" || fail "$model not named in the output"
      if [ "$(results | wc -l)" -ne 0 ]; then fail "results with $model"; fi
      echo "$model: exit status $rc, named in: $(grep -m1 -F "$model" "$log")"
    done
    ;;
  *)
    echo "unknown mode $mode" >&2
    exit 2
    ;;
esac

echo "PASS ($mode)"
