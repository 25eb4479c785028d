#!/usr/bin/python3
"""Summarise dlclassify element messages printed by `gst-launch-1.0 -m`.

  gst-launch-1.0 -m ... ! dlclassify model=M ! fakesink \
    | /usr/bin/python3 scripts/demo-report.py \
        --sidecar samples/fashion-mnist-clip.csv

Reads gst-launch-1.0's standard output (stdin or FILE), picks the element
messages whose structure is named "dlclassify", prints every change of the
top label as

  00:00:01.500  Trouser (0.98)

and, with a sidecar CSV (index,start_ns,end_ns,label_id,label[,test_index]),
the per-frame accuracy and the per-item accuracy (majority label over each
item's classified frames; an item without a classified frame counts wrong):

  per-frame accuracy: 0.9420 (471/500 frames)
  accuracy: 0.95 (95/100 items)

Exit status: 0 on success; 1 if gst-launch reported an error message on the
bus; 2 if no dlclassify message was seen; 3 if accuracy < --min-accuracy.

The structure text is GStreamer's serialisation (gst_structure_to_string):
`name, key=(type)value, ...;`, strings that are not plain words are quoted
with backslash escapes (octal \\ooo for non-ASCII bytes), lists are `{ }`,
arrays `< >`, nested structures are quoted strings (1.22) or `[ ]` (newer).
"""

import argparse
import bisect
import csv
import re
import sys
from collections import Counter

LINE_RE = re.compile(
    r'^Got message #(\d+) from (?:element|pad|object) "([^"]*)" '
    r'\(([a-z-]+)\): (.*)$')

INT_TYPES = {"int", "uint", "gint", "guint", "int64", "uint64", "gint64",
             "guint64", "long", "ulong", "glong", "gulong", "char", "uchar",
             "gchar", "guchar", "i", "u"}
FLOAT_TYPES = {"double", "float", "gdouble", "gfloat", "d", "f"}
STRING_TYPES = {"string", "gchararray", "str", "s"}
STRUCT_TYPES = {"structure", "GstStructure"}
BOOL_TYPES = {"boolean", "gboolean", "bool", "b"}
GST_CLOCK_TIME_NONE = (1 << 64) - 1


class ParseError(Exception):
    pass


def unescape(text):
    """Undoes gst_string_wrap: \\ooo octal bytes, \\c -> c; returns str."""
    out = bytearray()
    i = 0
    n = len(text)
    while i < n:
        c = text[i]
        if c == "\\" and i + 1 < n:
            if re.fullmatch(r"[0-7]{3}", text[i + 1:i + 4]):
                out.append(int(text[i + 1:i + 4], 8) & 0xff)
                i += 4
                continue
            out.extend(text[i + 1].encode("utf-8"))
            i += 2
            continue
        out.extend(c.encode("utf-8"))
        i += 1
    return out.decode("utf-8", errors="replace")


class StructParser:
    """Recursive-descent parser for serialised GstStructures."""

    def __init__(self, text):
        self.s = text
        self.i = 0

    def ws(self):
        while self.i < len(self.s) and self.s[self.i] in " \t\r\n":
            self.i += 1

    def peek(self):
        return self.s[self.i] if self.i < len(self.s) else ""

    def structure(self, closer=""):
        self.ws()
        start = self.i
        while self.i < len(self.s) and self.s[self.i] not in ",;" + closer:
            self.i += 1
        name = self.s[start:self.i].strip()
        if not name:
            raise ParseError("empty structure name at %d" % start)
        fields = {}
        while True:
            self.ws()
            c = self.peek()
            if c == ",":
                self.i += 1
                self.ws()
                c = self.peek()
                if c in (";", "") or (closer and c == closer):
                    break
                key, val = self.field(closer)
                fields[key] = val
            elif c == ";":
                self.i += 1
                break
            elif c == "" or (closer and c == closer):
                break
            else:
                raise ParseError("unexpected %r at %d" % (c, self.i))
        return name, fields

    def field(self, closer):
        start = self.i
        eq = self.s.find("=", self.i)
        if eq < 0:
            raise ParseError("field without '=' at %d" % start)
        key = self.s[self.i:eq].strip()
        self.i = eq + 1
        typ = self.type_prefix()
        return key, self.value(typ, ",;" + closer)

    def type_prefix(self):
        self.ws()
        if self.peek() != "(":
            return None
        end = self.s.find(")", self.i)
        if end < 0:
            raise ParseError("unterminated type at %d" % self.i)
        typ = self.s[self.i + 1:end].strip()
        self.i = end + 1
        return typ

    def value(self, typ, stops):
        self.ws()
        c = self.peek()
        if c in "{<":
            close = "}" if c == "{" else ">"
            self.i += 1
            items = []
            while True:
                self.ws()
                if self.peek() == close:
                    self.i += 1
                    break
                if self.peek() == "":
                    raise ParseError("unterminated list")
                t = self.type_prefix() or typ
                items.append(self.value(t, "," + close))
                self.ws()
                if self.peek() == ",":
                    self.i += 1
            return items
        if c == "[" and typ in STRUCT_TYPES:
            self.i += 1
            name, fields = self.structure("]")
            self.ws()
            if self.peek() != "]":
                raise ParseError("unterminated nested structure")
            self.i += 1
            return {"__name__": name, **fields}
        if c == '"':
            j = self.i + 1
            while j < len(self.s) and self.s[j] != '"':
                j += 2 if self.s[j] == "\\" else 1
            if j >= len(self.s):
                raise ParseError("unterminated string at %d" % self.i)
            raw = unescape(self.s[self.i + 1:j])
            self.i = j + 1
            return convert(typ, raw)
        if c == "[":  # a range, e.g. (int)[ 1, 10 ]
            end = self.s.find("]", self.i)
            if end < 0:
                raise ParseError("unterminated range")
            raw = self.s[self.i:end + 1]
            self.i = end + 1
            return raw
        start = self.i
        while self.i < len(self.s) and self.s[self.i] not in stops:
            self.i += 2 if self.s[self.i] == "\\" else 1
        return convert(typ, unescape(self.s[start:self.i].strip()))


def convert(typ, raw):
    if typ in INT_TYPES:
        try:
            return int(raw, 0)
        except ValueError:
            return raw
    if typ in FLOAT_TYPES:
        try:
            return float(raw)
        except ValueError:
            return raw
    if typ in BOOL_TYPES:
        return raw.lower() in ("true", "yes", "t", "1")
    if typ in STRUCT_TYPES:
        name, fields = StructParser(raw).structure()
        return {"__name__": name, **fields}
    if typ in STRING_TYPES and raw == "NULL":
        return None
    return raw


def parse_structure(text):
    """Returns (name, {field: value}) for a serialised GstStructure."""
    return StructParser(text).structure()


def fmt_time(ns):
    if ns < 0 or ns >= GST_CLOCK_TIME_NONE:
        return "--:--:--.---"
    ms = int(ns) // 1000000
    h, rest = divmod(ms, 3600000)
    m, rest = divmod(rest, 60000)
    s, ms = divmod(rest, 1000)
    return "%02d:%02d:%02d.%03d" % (h, m, s, ms)


def read_sidecar(path):
    items = []
    with open(path, newline="") as f:
        for row in csv.DictReader(f):
            items.append((int(row["start_ns"]), int(row["end_ns"]),
                          int(row["label_id"]), row["label"]))
    items.sort()
    return items


def find_item(items, starts, ts):
    k = bisect.bisect_right(starts, ts) - 1
    if k >= 0 and items[k][0] <= ts < items[k][1]:
        return k
    return None


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("input", nargs="?",
                    help="gst-launch -m output (default stdin)")
    ap.add_argument("--sidecar", help="ground-truth CSV of the clip")
    ap.add_argument("--min-accuracy", type=float, default=None,
                    help="exit 3 if the per-item accuracy is below this")
    ap.add_argument("--quiet", action="store_true",
                    help="do not print label changes")
    args = ap.parse_args()

    if args.input:
        stream = open(args.input, encoding="utf-8", errors="replace")
    else:
        sys.stdin.reconfigure(encoding="utf-8", errors="replace")
        stream = sys.stdin
    messages = []
    errors = []
    last_label = None
    for line in stream:
        line = line.rstrip("\n")
        m = LINE_RE.match(line)
        if not m:
            continue
        kind, text = m.group(3), m.group(4)
        if kind == "error":
            errors.append(text)
            continue
        if kind != "element" or not text.startswith("dlclassify"):
            continue
        try:
            name, fields = parse_structure(text)
        except ParseError as e:
            sys.stderr.write("demo-report: cannot parse message #%s: %s\n"
                             % (m.group(1), e))
            continue
        if name != "dlclassify":
            continue
        try:
            ts = int(fields["timestamp"])
            label = str(fields["label"])
            lid = int(fields["label_id"])
            conf = float(fields["confidence"])
        except (KeyError, TypeError, ValueError) as e:
            sys.stderr.write("demo-report: message #%s lacks a field: %s\n"
                             % (m.group(1), e))
            continue
        messages.append((ts, lid, label, conf))
        if label != last_label and not args.quiet:
            print("%s  %s (%.2f)" % (fmt_time(ts), label, conf), flush=True)
        last_label = label

    status = 0
    if errors:
        sys.stderr.write("demo-report: the pipeline posted %d error "
                         "message(s)\n" % len(errors))
        status = 1
    if not messages:
        sys.stderr.write("demo-report: no dlclassify messages seen\n")
        return 2

    print("messages: %d" % len(messages))
    if not args.sidecar:
        return status

    items = read_sidecar(args.sidecar)
    starts = [it[0] for it in items]
    votes = [Counter() for _ in items]
    frames_ok = frames_n = 0
    for ts, lid, _label, _conf in messages:
        k = find_item(items, starts, ts)
        if k is None:
            continue
        frames_n += 1
        frames_ok += lid == items[k][2]
        votes[k][lid] += 1
    items_ok = 0
    for k, v in enumerate(votes):
        if v:
            # ties: the label seen first among the most common wins
            top = v.most_common(1)[0][0]
            items_ok += top == items[k][2]
    if frames_n:
        print("per-frame accuracy: %.4f (%d/%d frames)"
              % (frames_ok / frames_n, frames_ok, frames_n))
    else:
        print("per-frame accuracy: n/a (no message inside an item's range)")
    acc = items_ok / len(items) if items else 0.0
    print("accuracy: %.2f (%d/%d items)" % (acc, items_ok, len(items)))
    if args.min_accuracy is not None and acc < args.min_accuracy:
        sys.stderr.write("demo-report: accuracy %.4f below %.4f\n"
                         % (acc, args.min_accuracy))
        return status or 3
    return status


if __name__ == "__main__":
    sys.exit(main())
