#!/bin/sh
# Wall clock of one and of two dlclassify elements in one gst-launch-1.0
# pipeline (a tee, a queue before each element), for threads=1, 2 and 0
# on both: whether two elements inferring at once oversubscribe the cores.
# A command, not a test.
#
#   bench/bench-pipeline-threads.sh MODEL [FRAMES] [ROUNDS]
#   bench/bench-pipeline-threads.sh /tmp/bm/mobilenet_v2.onnx 300 3
#
# MODEL: an ImageNet-style classifier with a fixed 224x224 input, e.g.
# mobilenet_v2.onnx from `bench/bench-models.py --workdir DIR`; the frames
# are 224x224 videotestsrc frames, so that the figures are inference, not
# decoding. Prints, per threads setting, the best of ROUNDS (3) runs of
# each pipeline in seconds. Run from the source tree after building
# (GST_PLUGIN_PATH defaults to build/gst-plugin; BUILD=dir to change).
set -eu

if [ $# -lt 1 ]; then
  echo "usage: $0 MODEL [FRAMES] [ROUNDS]" >&2
  exit 2
fi
model=$1
frames=${2:-300}
rounds=${3:-3}
root=$(cd "$(dirname "$0")/.." && pwd)
export GST_PLUGIN_PATH="${GST_PLUGIN_PATH:-$root/${BUILD:-build}/gst-plugin}"
pre="mean=0.485,0.456,0.406 std=0.229,0.224,0.225 input-tensor-scale=255"
src="videotestsrc num-buffers=$frames pattern=ball ! \
video/x-raw,width=224,height=224,framerate=1000/1"
cls="dlclassify model=$model $pre"

# seconds of one gst-launch-1.0 run of the pipeline "$@"
run () {
  s=$(date +%s.%N)
  # shellcheck disable=SC2068
  gst-launch-1.0 -q $@ > /dev/null || { echo "pipeline failed: $*" >&2;
    exit 1; }
  awk -v a="$s" -v b="$(date +%s.%N)" 'BEGIN { print b - a }'
}

best () {
  printf '%s\n' "$@" | sort -g | head -1
}

echo "| threads on both | one element, s | two elements, s |"
echo "| --- | ---: | ---: |"
for t in 1 2 0; do
  one="" two=""
  for r in $(seq "$rounds"); do
    one="$one $(run $src ! $cls threads=$t ! fakesink sync=false)"
    two="$two $(run $src ! tee name=x x. ! queue ! $cls threads=$t ! \
      fakesink sync=false x. ! queue ! $cls threads=$t ! fakesink sync=false)"
  done
  # shellcheck disable=SC2086
  printf '| %s | %.2f | %.2f |\n' "$t" "$(best $one)" "$(best $two)"
done
