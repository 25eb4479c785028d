#!/usr/bin/python3
"""Test of scripts/demo-report.py on a synthetic `gst-launch-1.0 -m` log.

The message text is produced by GStreamer itself (Gst.Structure.to_string
through python3-gi, the function gst-launch-1.0 -m uses), with labels that
need escaping ("T-shirt/top", "Ankle boot", non-ASCII, quotes, commas), so
the parser is checked against the real serialisation, not against strings
written by hand. Expected accuracies are counted here from the generated
predictions, independently of the report's code.

Exit status 0 = pass, 77 = skipped (no python3-gi / GStreamer typelib).
"""

import csv
import os
import random
import re
import subprocess
import sys
import tempfile

try:
    import gi
    gi.require_version("Gst", "1.0")
    from gi.repository import Gst
except (ImportError, ValueError) as e:
    print("SKIP: %s" % e)
    sys.exit(77)

REPORT = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                      "demo-report.py")
LABELS = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal",
          "Shirt", "Sneaker", "Bag", "Ankle boot", 'na\u00efve "q" a,b;c=d']
FAILURES = []


def check(cond, what):
    if not cond:
        FAILURES.append(what)
        print("FAIL: " + what)


def quote(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def message_text(ts, lid, conf, topk):
    entries = ", ".join(
        "[classification, label=(string)%s, label_id=(uint)%d, "
        "confidence=(double)%r]" % (quote(LABELS[i]), i, c) for i, c in topk)
    text = ("dlclassify, timestamp=(guint64)%d, stream-time=(guint64)%d, "
            "label=(string)%s, label_id=(uint)%d, confidence=(double)%r, "
            "top-k=(structure){ %s };"
            % (ts, ts, quote(LABELS[lid]), lid, conf, entries))
    s, _ = Gst.Structure.from_string(text)
    if s is None:
        raise RuntimeError("GStreamer did not parse: " + text)
    return s.to_string()


def run_report(log_lines, sidecar, extra=()):
    with tempfile.NamedTemporaryFile("w", suffix=".log", delete=False) as f:
        f.write("\n".join(log_lines) + "\n")
        path = f.name
    try:
        res = subprocess.run([sys.executable, REPORT, path] + list(extra)
                             + (["--sidecar", sidecar] if sidecar else []),
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             universal_newlines=True, check=False)
    finally:
        os.unlink(path)
    return res


def main():
    Gst.init(None)
    rng = random.Random(7)
    tmp = tempfile.mkdtemp(prefix="demo-report-test-")
    sidecar = os.path.join(tmp, "clip.csv")
    n_items, fpi, frame_ns = 40, 5, 100000000
    truth = [rng.randrange(len(LABELS)) for _ in range(n_items)]
    with open(sidecar, "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["index", "start_ns", "end_ns", "label_id", "label",
                    "test_index"])
        for k, lid in enumerate(truth):
            w.writerow([k, k * fpi * frame_ns, (k + 1) * fpi * frame_ns, lid,
                        LABELS[lid], 1000 + k])

    # predictions: per item, 0..3 wrong frames (3 wrong = majority wrong);
    # item 5 gets no message at all (counts wrong).
    log = ['Setting pipeline to PAUSED ...',
           'Got message #1 from element "pipeline0" (state-changed): '
           'GstMessageStateChanged, old-state=(GstState)null, '
           'new-state=(GstState)ready, pending-state=(GstState)void-pending;',
           'Got message #2 from element "level0" (element): level, '
           'endtime=(guint64)10000000, timestamp=(guint64)0;']
    frames_ok = frames_n = items_ok = 0
    changes = []
    last = None
    msg_no = 10
    for k, lid in enumerate(truth):
        if k == 5:
            continue
        n_wrong = rng.choice([0, 0, 1, 2, 3])
        wrong = (lid + 1 + rng.randrange(len(LABELS) - 1)) % len(LABELS)
        wrong_frames = set(rng.sample(range(fpi), n_wrong))
        items_ok += n_wrong < 3
        for j in range(fpi):
            ts = (k * fpi + j) * frame_ns
            pred = wrong if j in wrong_frames else lid
            conf = round(rng.uniform(0.3, 1.0), 6)
            topk = [(pred, conf), ((pred + 1) % len(LABELS), 1 - conf)]
            log.append('Got message #%d from element "dlclassify0" '
                       '(element): %s' % (msg_no,
                                          message_text(ts, pred, conf, topk)))
            msg_no += 1
            frames_n += 1
            frames_ok += pred == lid
            if pred != last:
                ms = ts // 1000000
                changes.append("%02d:%02d:%02d.%03d  %s (%.2f)"
                               % (ms // 3600000, ms // 60000 % 60,
                                  ms // 1000 % 60, ms % 1000, LABELS[pred],
                                  conf))
            last = pred
    log.append('Got EOS from element "pipeline0".')

    res = run_report(log, sidecar)
    out = res.stdout.splitlines()
    check(res.returncode == 0, "exit status %d, stderr %r"
          % (res.returncode, res.stderr))
    printed = [l for l in out if re.match(r"\d\d:\d\d:\d\d\.\d\d\d  ", l)]
    check(printed == changes, "label-change lines differ:\n%s\nvs\n%s"
          % ("\n".join(printed[:5]), "\n".join(changes[:5])))
    want_frame = "per-frame accuracy: %.4f (%d/%d frames)" % (
        frames_ok / frames_n, frames_ok, frames_n)
    want_item = "accuracy: %.2f (%d/%d items)" % (
        items_ok / n_items, items_ok, n_items)
    check(want_frame in out, "missing %r in %r" % (want_frame, out[-3:]))
    check(want_item in out, "missing %r in %r" % (want_item, out[-3:]))
    check(items_ok < n_items - 1, "test data has no wrong majority item")

    res = run_report(log[:3], sidecar)
    check(res.returncode == 2, "no messages: exit status %d, want 2"
          % res.returncode)

    res = run_report(log, sidecar, ["--min-accuracy", "1.0"])
    check(res.returncode == 3, "below --min-accuracy: exit status %d, want 3"
          % res.returncode)
    res = run_report(log, sidecar, ["--min-accuracy",
                                    str(items_ok / n_items - 1e-6)])
    check(res.returncode == 0, "at --min-accuracy: exit status %d, want 0"
          % res.returncode)

    os.unlink(sidecar)
    os.rmdir(tmp)
    if FAILURES:
        print("%d check(s) failed" % len(FAILURES))
        return 1
    print("PASS: %d messages, %d label changes, %s, %s"
          % (frames_n, len(changes), want_frame, want_item))
    return 0


if __name__ == "__main__":
    sys.exit(main())
