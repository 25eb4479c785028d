#!/bin/sh
# Classifies every frame of a video file with dlclassify and prints the
# results: one "dlclassify" element message per classified frame (gst-launch
# -m), with label, label_id, confidence, timestamp and the top-k list.
#
#   pipelines/classify-file.sh VIDEO MODEL [DLCLASSIFY-PROPERTY=VALUE ...]
#   pipelines/classify-file.sh clip.avi samples/models/fashion-mnist.onnx \
#       top-k=3 inference-interval=5
#
# From a build tree without installing, run it inside `meson devenv -C
# build` (or set GST_PLUGIN_PATH_1_0=build/gst-plugin). The exit status is
# gst-launch-1.0's: 0 after EOS, non-zero on any error (a bad model file is
# reported with its name).
set -eu

if [ $# -lt 2 ]; then
  echo "usage: $0 VIDEO MODEL [DLCLASSIFY-PROPERTY=VALUE ...]" >&2
  exit 2
fi
video=$1
model=$2
shift 2

if [ ! -e "$video" ]; then
  echo "$0: $video: no such file" >&2
  exit 1
fi

exec "${GST_LAUNCH:-gst-launch-1.0}" -m \
  filesrc location="$video" ! decodebin ! videoconvert ! \
  dlclassify model="$model" "$@" ! fakesink
