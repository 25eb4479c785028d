#!/usr/bin/python3
"""Reference CTC losses and gradients from PyTorch for tests/nn/test_ctc.c.

Prints random cases (fixed seed) as whitespace-separated text:
  n_cases, then per case: T N C blank reduction(0 mean, 1 sum)
  logits [T*N*C] (layout [T, N, C]), input_lengths [N], target_lengths [N],
  targets [sum], loss, grad [T*N*C] (d loss / d logits).
Exits 77 if torch cannot be imported."""
import sys

try:
    import torch
except ImportError as e:  # pragma: no cover
    print("torch not available: %s" % e, file=sys.stderr)
    sys.exit(77)


def main():
    g = torch.Generator().manual_seed(1234)
    cases = []
    for k in range(12):
        T = int(torch.randint(1, 12, (1,), generator=g))
        N = int(torch.randint(1, 4, (1,), generator=g))
        C = int(torch.randint(2, 6, (1,), generator=g))
        blank = int(torch.randint(0, C, (1,), generator=g))
        red = k % 2
        x = (torch.randn(T, N, C, generator=g) * 2).float()
        # Input length 0 is left out: torch 1.13 returns garbage for it
        # (-log 2 for a non-empty target); test_ctc.c covers it itself.
        il = torch.randint(1, T + 1, (N,), generator=g)
        il[0] = T
        tl = torch.randint(0, T // 2 + 2, (N,), generator=g)
        labels = [c for c in range(C) if c != blank]
        tg = []
        for n in range(N):
            for _ in range(int(tl[n])):
                tg.append(labels[int(torch.randint(0, len(labels), (1,),
                                                   generator=g))])
        xd = x.double().requires_grad_(True)
        lp = torch.log_softmax(xd, dim=2)
        loss = torch.nn.functional.ctc_loss(
            lp, torch.tensor(tg, dtype=torch.long), il, tl, blank=blank,
            reduction="mean" if red == 0 else "sum", zero_infinity=True)
        loss.backward()
        cases.append((T, N, C, blank, red, x, il, tl, tg, float(loss),
                      xd.grad))
    out = [str(len(cases))]
    for (T, N, C, blank, red, x, il, tl, tg, loss, grad) in cases:
        out.append("%d %d %d %d %d" % (T, N, C, blank, red))
        out.append(" ".join(repr(float(v)) for v in x.flatten()))
        out.append(" ".join(str(int(v)) for v in il))
        out.append(" ".join(str(int(v)) for v in tl))
        out.append(" ".join(str(v) for v in tg) if tg else "")
        out.append(repr(loss))
        out.append(" ".join(repr(float(v)) for v in grad.flatten()))
    print("\n".join(out))


if __name__ == "__main__":
    main()
