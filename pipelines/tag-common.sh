# Helpers of the pipelines/tag-*.sh scripts (sourced, not run).
#
#   tag_find_plugin ROOT   makes sure gst-inspect-1.0 finds dltag: tries
#                          GST_PLUGIN_PATH_1_0, then BUILD_DIR/gst-plugin
#                          (BUILD_DIR defaults to ROOT/build); exits 1 with
#                          a message if it is not found
#   tag_need_model PATH    exits 1 with a message if PATH is not readable
#   tag_segments           reads gst-launch-1.0 -m output on stdin and
#                          prints one line "START END TAG CONFIDENCE" per
#                          "dltag" segment message (times in seconds,
#                          tab-separated)
#   tag_keywords           reads gst-launch-1.0 -m output on stdin and
#                          prints the keywords of each GST_MESSAGE_TAG
#                          ("-" for a tag list without keywords)
#   tag_report both        both, in order, keyword lines prefixed with
#                          "  KEYWORDS " (line-buffered, for live use)

tag_find_plugin () {
  local root=$1 build
  if gst-inspect-1.0 dltag >/dev/null 2>&1; then
    return 0
  fi
  build=${BUILD_DIR:-$root/build}
  if [ -d "$build/gst-plugin" ]; then
    export GST_PLUGIN_PATH_1_0="$build/gst-plugin${GST_PLUGIN_PATH_1_0:+:$GST_PLUGIN_PATH_1_0}"
  fi
  if ! gst-inspect-1.0 dltag >/dev/null 2>&1; then
    echo "$(basename "$0"): element dltag not found (GST_PLUGIN_PATH_1_0=${GST_PLUGIN_PATH_1_0:-}); build first: meson setup build && meson compile -C build" >&2
    exit 1
  fi
}

tag_need_model () {
  if [ ! -r "$1" ]; then
    echo "$(basename "$0"): model $1 not found. The shipped audio tagger is made by scripts/train-audio-tags.sh; or pass a model file as the first argument." >&2
    exit 1
  fi
}

# One awk program for both: MODE is segments, keywords or both (keyword
# lines are then prefixed with "KEYWORDS").
tag_report () {
  awk -v mode="$1" '
    function field (name, re,    v) {
      if (!match ($0, name "=\\(" re "\\)[^,;]*")) return ""
      v = substr ($0, RSTART, RLENGTH); sub (/^[^)]*\)/, "", v); return v
    }
    / \(element\): dltag, / && mode != "keywords" {
      tag = $0; sub (/.* tag=\(string\)/, "", tag); sub (/, start=.*/, "", tag)
      gsub (/^"|"$/, "", tag); gsub (/\\/, "", tag)
      printf "%9.3f\t%9.3f\t%-12s\t%.3f\n", field("start", "guint64") / 1e9,
        field("end", "guint64") / 1e9, tag, field("confidence", "double")
      fflush ()
    }
    / \(tag\): GstMessageTag/ && mode != "segments" {
      line = $0; gsub (/\\/, "", line)
      if (match (line, /keywords=\(string\)(\{[^}]*\}|"[^"]*"|[^,;]*)/)) {
        kw = substr (line, RSTART + 17, RLENGTH - 17)
        gsub (/[{}"]/, "", kw); gsub (/^ +| +$/, "", kw)
      } else kw = "-"
      print (mode == "both" ? "  KEYWORDS " : "") kw
      fflush ()
    }'
}

tag_segments () {
  tag_report segments
}

tag_keywords () {
  tag_report keywords
}
