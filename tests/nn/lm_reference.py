#!/usr/bin/python3
"""Independent back-off n-gram reference for tests/nn/test_ctc_lm.c.

Usage: lm_reference.py FILE.arpa < queries
Each query line is `h1 h2 ... | w` (history oldest first, possibly empty);
prints ln P(w | history) with %.9g per line. Standard ARPA back-off:
P(w | h1..hk) = p(h1..hk w) if listed, else bo(h1..hk) + P(w | h2..hk),
with bo = 0 for a context that is not listed; only the last order-1
history words count.
"""
import math
import sys


def read_arpa(path):
    prob, bo = {}, {}
    order = 0
    section = None
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if not line:
                continue
            if line == "\\data\\":
                section = "data"
                continue
            if line == "\\end\\":
                break
            if line.startswith("\\") and line.endswith("-grams:"):
                section = int(line[1:line.index("-")])
                order = max(order, section)
                continue
            if section == "data" or section is None:
                continue
            parts = line.split()
            n = section
            words = tuple(parts[1:1 + n])
            prob[words] = float(parts[0])
            if len(parts) == n + 2:
                bo[words] = float(parts[n + 1])
    return prob, bo, order


def logp10(prob, bo, order, hist, w):
    hist = tuple(hist[-(order - 1):]) if order > 1 else ()
    if hist + (w,) in prob:
        return prob[hist + (w,)]
    if not hist:
        raise KeyError(w)
    return bo.get(hist, 0.0) + logp10(prob, bo, order, hist[1:], w)


def main():
    prob, bo, order = read_arpa(sys.argv[1])
    out = []
    for line in sys.stdin:
        if "|" not in line:
            continue
        h, w = line.split("|")
        v = logp10(prob, bo, order, h.split(), w.strip())
        out.append("%.9g" % (v * math.log(10.0)))
    sys.stdout.write("\n".join(out) + "\n")


if __name__ == "__main__":
    main()
