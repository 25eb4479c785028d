#!/bin/bash
# Content tags from upstream classification results: dlclassify labels the
# Fashion-MNIST sample clip frame by frame and dltag mode=metadata turns
# the labels into segments and GST_EVENT_TAG keywords.
#
#   pipelines/tag-fashion-mnist.sh [MODEL] [CLIP] [DLTAG-PROPERTY=VALUE...]
#
# MODEL defaults to samples/models/fashion-mnist.onnx, CLIP to
# samples/fashion-mnist-clip.webm (100 items of 0.5 s each; the ground
# truth is samples/fashion-mnist-clip.csv). Extra arguments are dltag
# properties, e.g. min-duration=400 or threshold=0.8 (a label counts when
# dlclassify's confidence reaches it).
#
# The pipeline is:
#   gst-launch-1.0 -m filesrc location=CLIP ! decodebin ! videoconvert !
#     dlclassify model=MODEL ! dltag mode=metadata ... ! fakesink sync=false
# Output: "START END TAG CONFIDENCE" per segment (seconds); with the
# sidecar, the share of segments whose tag is the true label of the item
# at the segment's middle.
set -uo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=pipelines/tag-common.sh
. "$root/pipelines/tag-common.sh"

model=${1:-$root/samples/models/fashion-mnist.onnx}
clip=${2:-$root/samples/fashion-mnist-clip.webm}
shift $(($# < 2 ? $# : 2))
sidecar=${clip%.*}.csv

tag_find_plugin "$root"
tag_need_model "$model"
if [ ! -r "$clip" ]; then
  echo "tag-fashion-mnist: cannot read $clip" >&2
  exit 1
fi

log=$(mktemp)
segs=$(mktemp)
trap 'rm -f "$log" "$segs"' EXIT
echo "tag-fashion-mnist: $(basename "$clip") with $(basename "$model")"
if ! gst-launch-1.0 -m filesrc location="$clip" ! decodebin ! videoconvert ! \
    dlclassify model="$model" ! dltag mode=metadata "$@" ! \
    fakesink sync=false > "$log" 2>&1; then
  grep -E '^ERROR|^Additional' "$log" >&2
  echo "tag-fashion-mnist: gst-launch-1.0 failed" >&2
  exit 1
fi
tag_segments < "$log" > "$segs"
echo "    start       end  tag          confidence"
cat "$segs"
if [ ! -s "$segs" ]; then
  echo "tag-fashion-mnist: no dltag segment" >&2
  exit 1
fi
if [ -r "$sidecar" ]; then
  # truth: index,start_ns,end_ns,label_id,label,test_index
  awk 'NR == FNR { if (FNR > 1) { split ($0, f, ","); s[FNR] = f[2] / 1e9;
                     e[FNR] = f[3] / 1e9; l[FNR] = f[5]; n = FNR } next }
       { split ($0, f, "\t"); mid = (f[1] + f[2]) / 2; tag = f[3];
         sub (/ +$/, "", tag);
         for (i = 2; i <= n; i++)
           if (mid >= s[i] && mid < e[i]) { if (l[i] == tag) ok++; break }
         total++ }
       END { printf "tag-fashion-mnist: %d segments, %d (%.1f%%) match the label at their middle\n",
               total, ok, total ? 100.0 * ok / total : 0 }' "$sidecar" "$segs"
fi
