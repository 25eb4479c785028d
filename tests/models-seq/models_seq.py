#!/usr/bin/python3
"""Sequence and audio models exported from PyTorch, run in libdlnn.

    models_seq.py SEQ_RUNNER

At test time, with seeded random weights, exports with torch.onnx.export
(opset 13 and 17):
  - 2-layer GRU and 2-layer LSTM (input 40, hidden 64, seq 50, batch 2),
    batch_first False and True, followed by a Linear; a bidirectional
    2-layer GRU;
  - a small 1-D CNN over audio features (Conv1d, BatchNorm1d with random
    running statistics, ReLU, MaxPool1d, AdaptiveAvgPool1d or a mean over
    time, Linear).
Each recurrent model is exported twice: "state", with random initial
states held by the module (the exporter folds them into initializers), and
"plain", without initial states (the exporter then computes zero states
from the input's shape: Shape/Gather/Unsqueeze/Concat/Expand, export noise
that libdlnn must fold at load time). Both must pass. The exports have a
static batch (no dynamic_axes), so the zero states fold into initializers.

For each model, 3 fresh random inputs go through PyTorch and through
SEQ_RUNNER (libdlnn: load, dlnn_graph_optimize_inference, exec); the test
fails unless for every output

    rel = max_i |y_i - ref_i| / max_i |ref_i|  <=  1e-4

(the largest deviation relative to the largest reference magnitude).
Exit 77 (skip) only when python3-torch is not installed.
"""

import os
import subprocess
import sys
import tempfile
import warnings

TOL = 1e-4
OPSETS = (13, 17)
N_INPUTS = 3

try:
    import numpy as np
    import torch
except ImportError as e:  # pragma: no cover
    print("SKIP: python3-torch (and numpy) are needed: %s" % e)
    sys.exit(77)

SEQ, BATCH, FEAT, HIDDEN, CLASSES = 50, 2, 40, 64, 10


class SeqModel(torch.nn.Module):
    def __init__(self, kind, batch_first, bidirectional, with_state):
        super().__init__()
        rnn = torch.nn.GRU if kind == "gru" else torch.nn.LSTM
        self.kind = kind
        self.rnn = rnn(FEAT, HIDDEN, num_layers=2, batch_first=batch_first,
                       bidirectional=bidirectional)
        dirs = 2 if bidirectional else 1
        self.fc = torch.nn.Linear(HIDDEN * dirs, CLASSES)
        self.with_state = with_state
        if with_state:
            self.register_buffer("h0", 0.5 * torch.randn(2 * dirs, BATCH,
                                                          HIDDEN))
            self.register_buffer("c0", 0.5 * torch.randn(2 * dirs, BATCH,
                                                          HIDDEN))

    def forward(self, x):
        if not self.with_state:
            y, _ = self.rnn(x)
        elif self.kind == "gru":
            y, _ = self.rnn(x, self.h0)
        else:
            y, _ = self.rnn(x, (self.h0, self.c0))
        return self.fc(y)


class AudioCnn(torch.nn.Module):
    def __init__(self, mean_pool):
        super().__init__()
        self.conv1 = torch.nn.Conv1d(FEAT, 32, 5, padding=2)
        self.bn1 = torch.nn.BatchNorm1d(32)
        self.conv2 = torch.nn.Conv1d(32, 64, 3, padding=1)
        self.bn2 = torch.nn.BatchNorm1d(64)
        self.pool = torch.nn.MaxPool1d(2)
        self.gap = torch.nn.AdaptiveAvgPool1d(1)
        self.fc = torch.nn.Linear(64, CLASSES)
        self.mean_pool = mean_pool
        for bn in (self.bn1, self.bn2):
            with torch.no_grad():
                bn.running_mean.uniform_(-0.5, 0.5)
                bn.running_var.uniform_(0.5, 2.0)
                bn.weight.uniform_(0.5, 1.5)
                bn.bias.uniform_(-0.3, 0.3)

    def forward(self, x):
        x = self.pool(torch.relu(self.bn1(self.conv1(x))))
        x = torch.relu(self.bn2(self.conv2(x)))
        if self.mean_pool:
            x = x.mean(dim=2)
        else:
            x = torch.flatten(self.gap(x), 1)
        return self.fc(x)


def models():
    """(name, module factory, input shape, is_plain_export)"""
    out = []
    for kind in ("gru", "lstm"):
        for bf in (False, True):
            shape = (BATCH, SEQ, FEAT) if bf else (SEQ, BATCH, FEAT)
            for state in (True, False):
                name = "%s2%s-%s" % (kind, "-bf" if bf else "",
                                     "state" if state else "plain")
                out.append((name, (lambda k=kind, b=bf, s=state:
                                   SeqModel(k, b, False, s)), shape,
                            not state))
    for state in (True, False):
        out.append(("gru2-bidir-%s" % ("state" if state else "plain"),
                    (lambda s=state: SeqModel("gru", False, True, s)),
                    (SEQ, BATCH, FEAT), not state))
    out.append(("cnn1d-gap", lambda: AudioCnn(False), (BATCH, FEAT, 100),
                False))
    out.append(("cnn1d-mean", lambda: AudioCnn(True), (BATCH, FEAT, 100),
                False))
    return out


def rel_err(y, ref):
    scale = float(np.max(np.abs(ref)))
    return float(np.max(np.abs(y - ref))) / max(scale, 1e-30)


def run_one(runner, tmp, name, factory, shape, plain, opset, seed):
    torch.manual_seed(seed)
    model = factory().eval()
    path = os.path.join(tmp, "%s-op%d.onnx" % (name, opset))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(model, torch.randn(*shape), path,
                          opset_version=opset, input_names=["x"],
                          output_names=["y"])
    if plain:
        # the zero-state chain must be there, or the case tests nothing
        with open(path, "rb") as f:
            blob = f.read()
        if b"Expand" not in blob or b"Shape" not in blob:
            return "fail", "plain export has no Shape/Expand chain"
    gen = np.random.default_rng(seed + 1)
    xs, refs, files = [], [], []
    for k in range(N_INPUTS):
        x = gen.standard_normal(shape).astype(np.float32)
        with torch.no_grad():
            refs.append(model(torch.from_numpy(x)).numpy())
        f = os.path.join(tmp, "in%d.bin" % k)
        x.tofile(f)
        files.append(f)
        xs.append(x)
    outdir = os.path.join(tmp, "out")
    os.makedirs(outdir, exist_ok=True)
    cmd = [runner, path, outdir] + [str(d) for d in shape] + ["--"] + files
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        return "fail", p.stderr.strip()
    worst = 0.0
    for k, ref in enumerate(refs):
        y = np.fromfile(os.path.join(outdir, "out%d.bin" % k),
                        dtype=np.float32)
        if y.size != ref.size:
            return "fail", "output has %d values, PyTorch %d (%s)" % (
                y.size, ref.size, p.stdout.strip())
        worst = max(worst, rel_err(y.reshape(ref.shape), ref))
    if not worst <= TOL:
        return "fail", "rel error %.3g > %g" % (worst, TOL)
    return "ok", "rel error %.3g" % worst


def main():
    if len(sys.argv) != 2:
        print("usage: models_seq.py SEQ_RUNNER", file=sys.stderr)
        return 2
    runner = sys.argv[1]
    torch.set_num_threads(1)
    failures = 0
    with tempfile.TemporaryDirectory(prefix="dlnn-models-seq-") as tmp:
        for i, (name, factory, shape, plain) in enumerate(models()):
            for opset in OPSETS:
                status, msg = run_one(runner, tmp, name, factory, shape,
                                      plain, opset, 1000 + i)
                print("%-8s %-22s opset %d: %s" % (status.upper(), name,
                                                   opset, msg))
                failures += status == "fail"
    print("%d failed" % failures)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
