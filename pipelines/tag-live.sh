#!/bin/bash
# dltag on a live source, printing each segment as it ends.
#
#   pipelines/tag-live.sh [MODEL] [FILE] [DLTAG-PROPERTY=VALUE...]
#
# MODEL defaults to samples/models/audio-tags.onnx. Without FILE (or with
# FILE "-") the source is `audiotestsrc is-live=true` (WAVE, default sine,
# at FREQ Hz, default 440, for NUM_BUFFERS buffers of 100 ms, default 100;
# -1 = until interrupted); with FILE, the file is decoded and played in
# real time (the sink synchronises on the clock). The sink is SINK
# (default "fakesink sync=true"; autoaudiosink to listen).
#
# dltag decides every hop (default 500 ms) on the last window, so a
# segment's message comes about half a window plus a hop after its end;
# the keywords of each GST_EVENT_TAG are printed as the sink sees them.
set -uo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=pipelines/tag-common.sh
. "$root/pipelines/tag-common.sh"

model=${1:-$root/samples/models/audio-tags.onnx}
file=${2:--}
shift $(($# < 2 ? $# : 2))

tag_find_plugin "$root"
tag_need_model "$model"

if [ "$file" = "-" ]; then
  src="audiotestsrc is-live=true wave=${WAVE:-sine} freq=${FREQ:-440} samplesperbuffer=1600 num-buffers=${NUM_BUFFERS:-100} ! audio/x-raw,rate=16000"
else
  if [ ! -r "$file" ]; then
    echo "tag-live: cannot read $file" >&2
    exit 1
  fi
  src="filesrc location=$file ! decodebin"
fi

echo "tag-live: $src"
echo "    start       end  tag          confidence   (tag changes: KEYWORDS ...)"
# $src and SINK are split into words on purpose (elements and properties).
# shellcheck disable=SC2086
gst-launch-1.0 -m $src ! audioconvert ! audioresample ! \
  dltag model="$model" "$@" ! audioconvert ! ${SINK:-fakesink sync=true} 2>&1 |
  tag_report both
exit "${PIPESTATUS[0]}"
