#!/bin/bash
# Tags an audio clip with dltag and prints its segments and the tag changes.
#
#   pipelines/tag-clip.sh [MODEL] [CLIP] [DLTAG-PROPERTY=VALUE...]
#
# MODEL defaults to samples/models/audio-tags.onnx (made by
# scripts/train-audio-tags.sh). CLIP is any file decodebin reads; without
# it (or with CLIP "-") a music + speech clip is made at run time from
# Debian packages: 8 s of a Wesnoth music track (wesnoth-1.16-music, else
# warzone2100-music), 1 s of silence, an espeak-ng utterance, 1 s of
# silence, mixed down to 16 kHz mono WAV with GStreamer and sox; its layout
# is printed first. Extra arguments are dltag properties (hop=250,
# min-duration=500, threshold=0.4, ...).
#
# The pipeline is:
#   gst-launch-1.0 -m filesrc location=CLIP ! decodebin ! audioconvert !
#     audioresample ! dltag model=MODEL ... ! fakesink sync=false
# Output: "START END TAG CONFIDENCE" per segment (seconds, sorted by
# start), then the keywords of each tag change as the sink saw them.
#
# Environment: BUILD_DIR (where to find the plugin if GST_PLUGIN_PATH_1_0
# does not), WORK_DIR (where the clip is made; default a temporary
# directory), MUSIC (the music file to use).
set -uo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=pipelines/tag-common.sh
. "$root/pipelines/tag-common.sh"

model=${1:-$root/samples/models/audio-tags.onnx}
clip=${2:--}
shift $(($# < 2 ? $# : 2))

tag_find_plugin "$root"
tag_need_model "$model"

make_clip () {
  local dir=$1 music=${MUSIC:-}
  if [ -z "$music" ]; then
    for f in /usr/share/games/wesnoth/*/data/core/music/*.ogg \
      /usr/share/games/warzone2100/music/*.opus; do
      if [ -r "$f" ]; then music=$f; break; fi
    done
  fi
  if [ -z "$music" ] || [ ! -r "$music" ]; then
    echo "tag-clip: no music found: apt-get install wesnoth-1.16-music (or set MUSIC=FILE)" >&2
    return 1
  fi
  for tool in sox espeak-ng; do
    if ! command -v $tool >/dev/null; then
      echo "tag-clip: $tool is needed to make the clip: apt-get install $tool" >&2
      return 1
    fi
  done
  gst-launch-1.0 -q filesrc location="$music" ! decodebin ! audioconvert ! \
    audioresample ! audio/x-raw,format=S16LE,rate=16000,channels=1 ! \
    wavenc ! filesink location="$dir/music-full.wav" || return 1
  sox "$dir/music-full.wav" "$dir/music.wav" trim 20 8 || return 1
  espeak-ng -w "$dir/speech-raw.wav" \
    "This is a short announcement between two pieces of music. Thank you for listening." ||
    return 1
  sox "$dir/speech-raw.wav" -r 16000 -c 1 -b 16 "$dir/speech.wav" || return 1
  sox -n -r 16000 -c 1 -b 16 "$dir/silence.wav" trim 0 1 || return 1
  sox "$dir/music.wav" "$dir/silence.wav" "$dir/speech.wav" \
    "$dir/silence.wav" "$dir/clip.wav" || return 1
  local speech
  speech=$(soxi -D "$dir/speech.wav")
  echo "tag-clip: made $dir/clip.wav: music 0-8 s ($(basename "$music")), silence 8-9 s, speech 9-$(awk "BEGIN { printf \"%.1f\", 9 + $speech }") s, silence to the end"
}

if [ "$clip" = "-" ]; then
  work=${WORK_DIR:-$(mktemp -d)}
  mkdir -p "$work"
  make_clip "$work" || exit 1
  clip=$work/clip.wav
fi
if [ ! -r "$clip" ]; then
  echo "tag-clip: cannot read $clip" >&2
  exit 1
fi

log=$(mktemp)
trap 'rm -f "$log"' EXIT
echo "tag-clip: $(basename "$clip") with $(basename "$model")"
if ! gst-launch-1.0 -m filesrc location="$clip" ! decodebin ! audioconvert ! \
    audioresample ! dltag model="$model" "$@" ! fakesink sync=false \
    > "$log" 2>&1; then
  grep -E '^ERROR|^Additional' "$log" >&2
  echo "tag-clip: gst-launch-1.0 failed" >&2
  exit 1
fi
echo "    start       end  tag          confidence"
tag_segments < "$log" | sort -n
echo "tag changes (keywords):"
tag_keywords < "$log" | sed 's/^/  /'
