#!/usr/bin/python3
"""Small ARPA n-gram language model from text, for dlspeech's `lm`.

Usage: text-to-arpa.py TEXTFILE OUT.arpa [ORDER]   (ORDER 1..5, default 3)

One sentence a line; words are lower-cased, kept if they hold a letter or
digit (apostrophes stay), other characters end words. Each sentence gets
<s> ... </s>. Interpolated absolute discounting (D = 0.5 per order)
written as a back-off model, the form SRILM uses for interpolated models:
for a listed n-gram, p(w | h) = (c(h w) - D) / c(h) + bo(h) p(w | h'),
with bo(h) = D * N1+(h .) / c(h); an unlisted one gets bo(h) p(w | h').
Unigrams are interpolated with a uniform distribution over the words and
<unk>, so every word (and <unk>) has a probability; sum_w P(w | h) = 1
for every history h.
"""
import collections
import math
import re
import sys

D = 0.5


def words_of(line):
    return re.findall(r"[\w']+", line.lower())


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    order = int(sys.argv[3]) if len(sys.argv) > 3 else 3
    if not 1 <= order <= 5:
        sys.exit("ORDER must be 1..5")
    counts = [collections.Counter() for _ in range(order + 1)]
    with open(sys.argv[1], encoding="utf-8", errors="replace") as f:
        for line in f:
            ws = words_of(line)
            if not ws:
                continue
            s = ["<s>"] + ws + ["</s>"]
            for n in range(1, order + 1):
                for i in range(len(s) - n + 1):
                    g = tuple(s[i:i + n])
                    if n == 1 and g == ("<s>",):
                        continue
                    counts[n][g] += 1
    # Context totals and numbers of distinct continuations.
    ctx_total = [collections.Counter() for _ in range(order + 1)]
    ctx_types = [collections.Counter() for _ in range(order + 1)]
    for n in range(2, order + 1):
        for g, c in counts[n].items():
            ctx_total[n][g[:-1]] += c
            ctx_types[n][g[:-1]] += 1
    vocab = sorted(w for (w,) in counts[1])
    n_tokens = sum(counts[1].values())
    uniform = 1.0 / (len(vocab) + 1)        # + <unk>
    prob = {}
    uni_bo_mass = D * len(vocab) / n_tokens
    for (w,), c in counts[1].items():
        prob[(w,)] = (c - D) / n_tokens + uni_bo_mass * uniform
    prob[("<unk>",)] = uni_bo_mass * uniform

    def p_lower(g):
        """P(g[-1] | g[:-1]) under the model built so far (back-off)."""
        if g in prob:
            return prob[g]
        if len(g) == 1:
            return prob[("<unk>",)]
        return bo(g[:-1]) * p_lower(g[1:])

    def bo(h):
        n = len(h) + 1
        if n > order or h not in ctx_total[n]:
            return 1.0
        return D * ctx_types[n][h] / ctx_total[n][h]

    for n in range(2, order + 1):
        for g, c in counts[n].items():
            h = g[:-1]
            prob[g] = (c - D) / ctx_total[n][h] + bo(h) * p_lower(g[1:])
    with open(sys.argv[2], "w", encoding="utf-8") as out:
        out.write("\\data\\\n")
        out.write("ngram 1=%d\n" % (len(vocab) + 2))
        for n in range(2, order + 1):
            out.write("ngram %d=%d\n" % (n, len(counts[n])))
        out.write("\n\\1-grams:\n")
        uni = [("<s>",)] + [(w,) for w in vocab] + [("<unk>",)]
        for g in uni:
            p = -99.0 if g == ("<s>",) else math.log10(prob[g])
            line = "%.6f\t%s" % (p, g[0])
            if order > 1:
                line += "\t%.6f" % math.log10(bo(g))
            out.write(line + "\n")
        for n in range(2, order + 1):
            out.write("\n\\%d-grams:\n" % n)
            for g in sorted(counts[n]):
                line = "%.6f\t%s" % (math.log10(prob[g]), " ".join(g))
                if n < order:
                    line += "\t%.6f" % math.log10(bo(g))
                out.write(line + "\n")
        out.write("\n\\end\\\n")
    print("text-to-arpa.py: %s: %d words, %s n-grams" % (
        sys.argv[2], len(vocab),
        "/".join(str(len(counts[n])) for n in range(1, order + 1))))


if __name__ == "__main__":
    main()
