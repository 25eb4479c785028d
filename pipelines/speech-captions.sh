#!/bin/sh
# Captions: plays MEDIA (a file with speech, with or without video) and
# draws the text of each utterance that dlspeech recognises over the
# picture with textoverlay, for the utterance's duration (the text buffer's
# PTS and duration). An audio-only file is shown with monoscope.
#
#   pipelines/speech-captions.sh MEDIA [MODEL [DLSPEECH-PROPERTY=VALUE ...]]
#   pipelines/speech-captions.sh talk.webm samples/models/speech-en.onnx \
#       silence-duration=400
#
# MODEL defaults to samples/models/speech-en.onnx. Environment: VIDEOSINK
# (default autovideosink), AUDIOSINK (default autoaudiosink), GST_LAUNCH.
# The text of an utterance exists only once it has ended, so the audio is
# analysed ahead of playback: the queue before the audio sink holds up to
# max-utterance + 1 s (the script sets max-utterance=10 unless given) and
# the video waits in textoverlay for the text or for dlspeech's gap events.
# From a build tree run it inside `meson devenv -C build`.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
if [ $# -lt 1 ]; then
  echo "usage: $0 MEDIA [MODEL [DLSPEECH-PROPERTY=VALUE ...]]" >&2
  exit 2
fi
media=$1
model=${2:-$here/../samples/models/speech-en.onnx}
[ $# -ge 2 ] && shift 2 || shift 1

if [ ! -e "$media" ]; then
  echo "$0: $media: no such file" >&2
  exit 1
fi
if [ ! -f "$model" ]; then
  echo "$0: speech model $model not found; pass a model made by dltrain" \
    "(dl.task=speech) as the second argument" >&2
  exit 1
fi

max_utt=10
for p in "$@"; do
  case $p in max-utterance=*) max_utt=${p#max-utterance=} ;; esac
done
ahead=$(awk "BEGIN { printf \"%d\", ($max_utt + 1) * 1000000000 }")

videosink=${VIDEOSINK:-autovideosink}
audiosink=${AUDIOSINK:-autoaudiosink}
overlay="textoverlay name=o valignment=bottom halignment=center \
  font-desc=\"Sans 20\" shaded-background=true"

if gst-discoverer-1.0 "$media" 2>/dev/null | grep -q "video #"; then
  picture="d. ! queue max-size-time=0 max-size-bytes=0 max-size-buffers=0 ! \
    videoconvert ! o.video_sink"
  scope=""
else
  picture=""
  scope="t. ! queue max-size-time=0 max-size-bytes=0 max-size-buffers=0 ! \
    monoscope ! videoscale ! \
    video/x-raw,width=640,height=360 ! videoconvert ! o.video_sink"
fi

# shellcheck disable=SC2086
eval exec "\"${GST_LAUNCH:-gst-launch-1.0}\"" \
  filesrc location="\"$media\"" ! decodebin name=d \
  $overlay ! videoconvert ! $videosink \
  $picture \
  d. ! queue ! audioconvert ! tee name=t \
  t. ! queue ! dlspeech model="\"$model\"" max-utterance=$max_utt '"$@"' ! \
    o.text_sink \
  $scope \
  t. ! queue max-size-time=$ahead max-size-bytes=0 max-size-buffers=0 ! \
    audioconvert ! audioresample ! $audiosink
