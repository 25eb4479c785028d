#!/bin/sh
# A live source through dlclassify, the way a webcam pipeline looks:
# videotestsrc stands in for v4l2src (replace it with
# `v4l2src ! videoconvert` for a real camera). Results are printed as
# "dlclassify" element messages (gst-launch -m).
#
#   pipelines/classify-webcam-like.sh MODEL [DLCLASSIFY-PROPERTY=VALUE ...]
#
# Environment:
#   NUM_BUFFERS  frames to run (default 90, i.e. 3 s; -1 = forever)
#   PATTERN      videotestsrc pattern (default ball)
#   SINK         sink element (default "fakesink sync=true"; use
#                autovideosink to watch)
set -eu

if [ $# -lt 1 ]; then
  echo "usage: $0 MODEL [DLCLASSIFY-PROPERTY=VALUE ...]" >&2
  exit 2
fi
model=$1
shift

# SINK is split into words on purpose (element and properties).
# shellcheck disable=SC2086
exec "${GST_LAUNCH:-gst-launch-1.0}" -m \
  videotestsrc is-live=true pattern="${PATTERN:-ball}" \
    num-buffers="${NUM_BUFFERS:-90}" ! \
  video/x-raw,width=640,height=480,framerate=30/1 ! \
  videoconvert ! dlclassify model="$model" "$@" ! \
  videoconvert ! ${SINK:-fakesink sync=true}
