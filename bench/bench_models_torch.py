#!/usr/bin/python3
"""PyTorch side of bench/bench-models.py (run with /usr/bin/python3).

The models, built the same way every time (torch.manual_seed(0) before
construction, weights=None, eval mode):

  resnet18 mobilenet_v2 squeezenet1_1 efficientnet_b0 shufflenet_v2_x1_0
      torchvision 0.14, input [1, 3, 224, 224]
  gru     2-layer GRU(40 -> 128, batch_first) + Linear(128 -> 29) on every
          step, input [1, 100, 40]
  lstm    2-layer LSTM(40 -> 128, not batch_first) + Linear, input [100, 1, 40]
  cnn1d   1-D CNN over 40 log-mel bands x 100 frames: Conv1d 64 k5, BN, ReLU,
          Conv1d 64 k5 s2, BN, ReLU, Conv1d 128 k3, BN, ReLU, global average
          pool, Linear(128 -> 10), input [1, 40, 100]

Commands (each prints one JSON line on stdout):

  bench_models_torch.py export NAME OUT.onnx INPUT.bin REF.bin [--opset 13]
      torch.onnx.export (no dynamic axes, constant folding on); writes a
      seeded input (uniform [-1, 1), float32 little-endian) and PyTorch's
      output 0 on it.
  bench_models_torch.py time NAME INPUT.bin OUTPUT.bin --threads T
      [--warmup W] [--reps R] [--min-time S] [--jit]
      torch.set_num_threads(T), torch.set_num_interop_threads(1),
      torch.no_grad(), eager module (with --jit: torch.jit.trace +
      torch.jit.freeze instead); timed calls until R calls and S seconds.
"""

import argparse
import json
import sys
import time

import numpy as np
import torch
import torch.nn as nn

VISION = ["resnet18", "mobilenet_v2", "squeezenet1_1", "efficientnet_b0",
          "shufflenet_v2_x1_0"]
SEQUENCE = ["gru", "lstm", "cnn1d"]
ALL = VISION + SEQUENCE


class _Recurrent(nn.Module):
    def __init__(self, cell, batch_first):
        super().__init__()
        self.rnn = cell(40, 128, num_layers=2, batch_first=batch_first)
        self.fc = nn.Linear(128, 29)

    def forward(self, x):
        y, _ = self.rnn(x)
        return self.fc(y)


def _cnn1d():
    return nn.Sequential(
        nn.Conv1d(40, 64, 5, padding=2), nn.BatchNorm1d(64), nn.ReLU(),
        nn.Conv1d(64, 64, 5, stride=2, padding=2), nn.BatchNorm1d(64),
        nn.ReLU(),
        nn.Conv1d(64, 128, 3, padding=1), nn.BatchNorm1d(128), nn.ReLU(),
        nn.AdaptiveAvgPool1d(1), nn.Flatten(), nn.Linear(128, 10))


def input_shape(name):
    if name in VISION:
        return [1, 3, 224, 224]
    return {"gru": [1, 100, 40], "lstm": [100, 1, 40],
            "cnn1d": [1, 40, 100]}[name]


def build(name):
    """The module, seeded and in eval mode (BN statistics randomised so
    folding them is not a no-op)."""
    torch.manual_seed(0)
    if name in VISION:
        import torchvision
        m = getattr(torchvision.models, name)(weights=None)
    elif name == "gru":
        m = _Recurrent(nn.GRU, True)
    elif name == "lstm":
        m = _Recurrent(nn.LSTM, False)
    elif name == "cnn1d":
        m = _cnn1d()
    else:
        raise ValueError("unknown model %r (known: %s)" % (name, ", ".join(ALL)))
    g = torch.Generator().manual_seed(1)
    for mod in m.modules():
        if isinstance(mod, nn.modules.batchnorm._BatchNorm):
            mod.running_mean.copy_(0.1 * torch.randn(mod.num_features,
                                                     generator=g))
            mod.running_var.copy_(1 + 0.2 * torch.rand(mod.num_features,
                                                       generator=g))
    return m.eval()


def make_input(name):
    rng = np.random.default_rng(12345)
    return rng.uniform(-1, 1, size=input_shape(name)).astype("<f4")


def cmd_export(a):
    m = build(a.name)
    x = make_input(a.name)
    x.tofile(a.input)
    xt = torch.from_numpy(x.copy())
    with torch.no_grad():
        y = m(xt)
        torch.onnx.export(m, xt, a.out, opset_version=a.opset,
                          input_names=["input"], output_names=["output"],
                          do_constant_folding=True)
    y.numpy().astype("<f4").tofile(a.ref)
    print(json.dumps({"model": a.name, "onnx": a.out,
                      "input_shape": list(x.shape),
                      "output_shape": list(y.shape),
                      "torch": torch.__version__}))


def cmd_time(a):
    torch.set_num_threads(a.threads)
    try:
        torch.set_num_interop_threads(1)
    except RuntimeError:
        pass
    m = build(a.name)
    x = torch.from_numpy(np.fromfile(a.input, dtype="<f4").reshape(
        input_shape(a.name)))
    mode = "eager"
    with torch.no_grad():
        if a.jit:
            m = torch.jit.freeze(torch.jit.trace(m, x))
            mode = "jit.trace+freeze"
        for _ in range(a.warmup):
            y = m(x)
        times = []
        start = time.perf_counter()
        while len(times) < 100000 and (
                len(times) < a.reps or time.perf_counter() - start < a.min_time):
            t0 = time.perf_counter()
            y = m(x)
            times.append(1e3 * (time.perf_counter() - t0))
    y.numpy().astype("<f4").tofile(a.output)
    t = np.sort(np.array(times))
    print(json.dumps({
        "reps": len(t), "median_ms": float(np.median(t)),
        "p90_ms": float(t[int(round(0.9 * (len(t) - 1)))]),
        "min_ms": float(t[0]), "mean_ms": float(t.mean()),
        "threads": torch.get_num_threads(), "mode": mode,
        "torch": torch.__version__}))


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawTextHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    e = sub.add_parser("export")
    e.add_argument("name", choices=ALL)
    e.add_argument("out")
    e.add_argument("input")
    e.add_argument("ref")
    e.add_argument("--opset", type=int, default=13)
    t = sub.add_parser("time")
    t.add_argument("name", choices=ALL)
    t.add_argument("input")
    t.add_argument("output")
    t.add_argument("--threads", type=int, default=1)
    t.add_argument("--warmup", type=int, default=10)
    t.add_argument("--reps", type=int, default=50)
    t.add_argument("--min-time", type=float, default=2.0)
    t.add_argument("--jit", action="store_true")
    a = p.parse_args()
    try:
        (cmd_export if a.cmd == "export" else cmd_time)(a)
    except Exception as ex:  # reported in the table, not a traceback
        print(json.dumps({"error": "%s: %s" % (type(ex).__name__, ex)}))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
