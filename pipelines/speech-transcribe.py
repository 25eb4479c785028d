#!/usr/bin/python3
"""Runs MEDIA through dlspeech and reports the final "dlspeech" messages.

    speech-transcribe.py [--srt OUT.srt] [--commands] MEDIA MODEL [PROP=VALUE ...]

Without options: one line per utterance, "START END TEXT" (seconds).
--srt OUT.srt: also writes the utterances as SubRip subtitles (index,
  "HH:MM:SS,mmm --> HH:MM:SS,mmm" from the message's timestamp and
  duration, text, blank line).
--commands: one line per utterance, "START COMMAND CONFIDENCE" (for use
  with the vocabulary property).
PROP=VALUE are dlspeech properties (gst_util_set_object_arg). The pipeline
is filesrc ! decodebin ! audioconvert ! dlspeech ! fakesink, as fast as the
machine goes. Exit status 0 after EOS, 1 on an error (printed)."""
import sys

import gi

gi.require_version("Gst", "1.0")
from gi.repository import Gst  # noqa: E402


def srt_time(ns):
    ms = int(round(ns / 1e6))
    return "%02d:%02d:%02d,%03d" % (ms // 3600000, ms // 60000 % 60,
                                    ms // 1000 % 60, ms % 1000)


def main(argv):
    srt = None
    commands = False
    while argv and argv[0].startswith("--"):
        opt = argv.pop(0)
        if opt == "--srt" and argv:
            srt = argv.pop(0)
        elif opt == "--commands":
            commands = True
        else:
            print(__doc__, file=sys.stderr)
            return 2
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    media, model, props = argv[0], argv[1], argv[2:]

    Gst.init(None)
    pipe = Gst.parse_launch("filesrc name=src ! decodebin ! audioconvert ! "
                            "dlspeech name=asr ! fakesink sync=false")
    pipe.get_by_name("src").set_property("location", media)
    asr = pipe.get_by_name("asr")
    asr.set_property("model", model)
    for p in props:
        key, _, value = p.partition("=")
        Gst.util_set_object_arg(asr, key, value)

    results = []
    bus = pipe.get_bus()
    pipe.set_state(Gst.State.PLAYING)
    status = 0
    while True:
        msg = bus.timed_pop_filtered(
            Gst.CLOCK_TIME_NONE,
            Gst.MessageType.ELEMENT | Gst.MessageType.EOS |
            Gst.MessageType.ERROR)
        if msg.type == Gst.MessageType.EOS:
            break
        if msg.type == Gst.MessageType.ERROR:
            err, dbg = msg.parse_error()
            print("ERROR: %s" % err.message, file=sys.stderr)
            status = 1
            break
        s = msg.get_structure()
        if s is None or s.get_name() != "dlspeech":
            continue
        if not s.get_value("final"):
            continue
        start = s.get_value("timestamp")
        end = start + s.get_value("duration")
        text = s.get_value("text")
        conf = s.get_value("confidence")
        results.append((start, end, text))
        if commands:
            print("%.2f %s %.3f" % (start / 1e9, text, conf), flush=True)
        else:
            print("%.2f %.2f %s" % (start / 1e9, end / 1e9, text), flush=True)
    pipe.set_state(Gst.State.NULL)

    if srt is not None and status == 0:
        with open(srt, "w", encoding="utf-8") as f:
            for i, (start, end, text) in enumerate(results, 1):
                f.write("%d\n%s --> %s\n%s\n\n" % (i, srt_time(start),
                                                   srt_time(end), text))
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
