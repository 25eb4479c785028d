#!/bin/bash
# Classifies the Fashion-MNIST sample clip with dlclassify and reports the
# accuracy against the clip's ground-truth sidecar.
#
#   pipelines/demo-fashion-mnist.sh [MODEL] [CLIP] [DLCLASSIFY-PROPERTY=VALUE...]
#
# MODEL defaults to samples/models/fashion-mnist.onnx, CLIP to
# samples/fashion-mnist-clip.webm; the sidecar is CLIP with .csv (override
# with SIDECAR=...).  Extra arguments are dlclassify properties, e.g.
# inference-interval=2.  MIN_ACCURACY=0.9 makes the exit status non-zero when
# the per-item accuracy is lower.
#
# The pipeline is:
#   gst-launch-1.0 -m filesrc location=CLIP ! decodebin ! videoconvert !
#     dlclassify model=MODEL ! fakesink sync=false
# and its message log goes through scripts/demo-report.py, which prints each
# label change and the accuracy.  dlclassify is found through
# GST_PLUGIN_PATH_1_0 (as `meson devenv -C build` sets it); when it is not
# found there, BUILD_DIR/gst-plugin (BUILD_DIR defaults to build) is tried.
#
# Exit status: non-zero if the pipeline failed, no dlclassify message was
# seen, or the accuracy is below MIN_ACCURACY.
set -uo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
model=${1:-$root/samples/models/fashion-mnist.onnx}
clip=${2:-$root/samples/fashion-mnist-clip.webm}
shift $(($# < 2 ? $# : 2))
sidecar=${SIDECAR:-${clip%.*}.csv}
python=/usr/bin/python3
[ -x "$python" ] || python=python3

if ! gst-inspect-1.0 dlclassify >/dev/null 2>&1; then
  build=${BUILD_DIR:-$root/build}
  if [ -d "$build/gst-plugin" ]; then
    export GST_PLUGIN_PATH_1_0="$build/gst-plugin${GST_PLUGIN_PATH_1_0:+:$GST_PLUGIN_PATH_1_0}"
  fi
  if ! gst-inspect-1.0 dlclassify >/dev/null 2>&1; then
    echo "demo: element dlclassify not found (GST_PLUGIN_PATH_1_0=${GST_PLUGIN_PATH_1_0:-}); build first: meson setup build && meson compile -C build" >&2
    exit 1
  fi
fi
for f in "$model" "$clip"; do
  if [ ! -r "$f" ]; then
    echo "demo: cannot read $f" >&2
    exit 1
  fi
done

report_args=()
if [ -r "$sidecar" ]; then
  report_args+=(--sidecar "$sidecar")
else
  echo "demo: no sidecar $sidecar; printing labels only" >&2
fi
if [ -n "${MIN_ACCURACY:-}" ]; then
  report_args+=(--min-accuracy "$MIN_ACCURACY")
fi

echo "demo: $(basename "$clip") with $(basename "$model")"
gst-launch-1.0 -m \
  filesrc location="$clip" ! decodebin ! videoconvert ! \
  dlclassify model="$model" "$@" ! fakesink sync=false \
  | "$python" "$root/scripts/demo-report.py" "${report_args[@]}"
status=("${PIPESTATUS[@]}")

if [ "${status[0]}" -ne 0 ]; then
  echo "demo: gst-launch-1.0 failed (exit status ${status[0]})" >&2
  exit 1
fi
exit "${status[1]}"
