#!/bin/sh
# Spoken-command detection: dlspeech with its output restricted to a list
# of commands (the vocabulary property: words or phrases separated by ','
# or newlines, or @FILE). Prints one line per utterance, "START COMMAND
# CONFIDENCE" (seconds; a sequence of commands is separated by spaces).
#
#   pipelines/speech-commands.sh MEDIA COMMANDS [MODEL [DLSPEECH-PROPERTY=VALUE ...]]
#   pipelines/speech-commands.sh orders.wav "go forward,turn left,stop"
#
# With a JSGF grammar instead of a list (Sphinx's subset; it overrides the
# list, which may then be empty):
#
#   pipelines/speech-commands.sh orders.wav "" samples/models/speech-en.onnx \
#       grammar=/usr/share/pocketsphinx/test/data/cards/cards.gram
#
# MODEL defaults to samples/models/speech-en.onnx. Run it inside `meson
# devenv -C build` from a build tree.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
if [ $# -lt 2 ]; then
  echo "usage: $0 MEDIA COMMANDS [MODEL [DLSPEECH-PROPERTY=VALUE ...]]" >&2
  exit 2
fi
media=$1
commands=$2
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

exec /usr/bin/python3 "$here/speech-transcribe.py" --commands "$media" \
  "$model" "vocabulary=$commands" "$@"
