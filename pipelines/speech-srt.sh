#!/bin/sh
# Transcript of a file with speech as SubRip subtitles: every utterance
# dlspeech recognises becomes one cue, timed by its text buffer / message
# (timestamp and duration). The cues are also printed, "START END TEXT".
#
#   pipelines/speech-srt.sh MEDIA OUT.srt [MODEL [DLSPEECH-PROPERTY=VALUE ...]]
#   pipelines/speech-srt.sh talk.wav talk.srt samples/models/speech-en.onnx
#
# MODEL defaults to samples/models/speech-en.onnx. GStreamer 1.22's SubRip
# writer (srtenc) is in gst-plugins-bad, which is not part of our target,
# so the file is written by speech-transcribe.py (Python GObject
# introspection) from the dlspeech messages. Run it inside `meson devenv -C
# build` from a build tree.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
if [ $# -lt 2 ]; then
  echo "usage: $0 MEDIA OUT.srt [MODEL [DLSPEECH-PROPERTY=VALUE ...]]" >&2
  exit 2
fi
media=$1
out=$2
model=${3:-$here/../samples/models/speech-en.onnx}
[ $# -ge 3 ] && shift 3 || shift 2

if [ ! -e "$media" ]; then
  echo "$0: $media: no such file" >&2
  exit 1
fi
if [ ! -f "$model" ]; then
  echo "$0: speech model $model not found; pass a model made by dltrain" \
    "(dl.task=speech) as the third argument" >&2
  exit 1
fi

exec /usr/bin/python3 "$here/speech-transcribe.py" --srt "$out" "$media" \
  "$model" "$@"
