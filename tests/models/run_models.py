#!/usr/bin/python3
"""Exported torchvision CNNs through libdlnn vs PyTorch (issue 3).

usage: run_models.py RUN_MODEL OUTDIR

For each model (seeded random weights, weights=None, BatchNorm statistics
calibrated on a random batch, see calibrate(), eval mode) and each
opset (13, 17): torch.onnx.export with input [1, 3, S, S] into OUTDIR,
PyTorch on a fresh random input, tests/models/run_model (libdlnn, after
dlnn_graph_optimize_inference) on the same input, and

    rel = max|dlnn - torch| / max(max|torch|, 1e-6)   (per output)

must be <= 1e-4. S defaults to 100 (DLNN_MODELS_SIZE overrides it): small
enough to keep the test short, and odd enough that squeezenet's
ceil_mode MaxPools keep a partial last window. Exit 77 (skip) only if
torch or torchvision cannot be imported.
"""
import os
import subprocess
import sys
import time

try:
    import numpy as np
    import torch
    import torchvision
except ImportError as e:  # pragma: no cover - depends on the machine
    print("SKIP: python3-torch / python3-torchvision not available (%s); "
          "install them with scripts/install-deps.sh" % e)
    sys.exit(77)

MODELS = ["resnet18", "mobilenet_v2", "squeezenet1_1", "efficientnet_b0",
          "shufflenet_v2_x1_0"]
OPSETS = [13, 17]
TOL = 1e-4


def calibrate(model, size):
    """torchvision's initialisation leaves BatchNorm as the identity
    (mean 0, var 1, scale 1, shift 0), and with it mobilenet_v2's and
    efficientnet_b0's outputs are ~1e-7: a comparison of noise. Random
    scale/shift and running statistics taken from a random batch (one
    training-mode pass, cumulative average) keep activations O(1) and make
    BatchNormalization folding matter. Leaves the model in eval mode."""
    for m in model.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            with torch.no_grad():
                m.weight.uniform_(0.5, 1.5)
                m.bias.normal_(0.0, 0.2)
            m.momentum = None
            m.reset_running_stats()
    model.train()
    with torch.no_grad():
        model(torch.randn(4, 3, size, size))
    model.eval()


def main():
    tool, outdir = sys.argv[1], sys.argv[2]
    size = int(os.environ.get("DLNN_MODELS_SIZE", "100"))
    only = os.environ.get("DLNN_MODELS")
    models = only.split(",") if only else MODELS
    os.makedirs(outdir, exist_ok=True)
    torch.set_num_threads(2)
    failures = 0
    print("torch %s, torchvision %s, input [1, 3, %d, %d]"
          % (torch.__version__, torchvision.__version__, size, size))
    for i, name in enumerate(models):
        torch.manual_seed(1000 + i)
        model = getattr(torchvision.models, name)(weights=None)
        calibrate(model, size)
        for opset in OPSETS:
            t0 = time.time()
            path = os.path.join(outdir, "%s-op%d.onnx" % (name, opset))
            with torch.no_grad():
                torch.onnx.export(model, torch.zeros(1, 3, size, size), path,
                                  opset_version=opset)
            # a fresh input for each run, never seen by the export
            gen = torch.Generator().manual_seed(7 * opset + i)
            x = torch.randn(1, 3, size, size, generator=gen)
            with torch.no_grad():
                ref = model(x).numpy().astype(np.float32)
            xin = os.path.join(outdir, "%s-op%d-x.bin" % (name, opset))
            yout = os.path.join(outdir, "%s-op%d-y.bin" % (name, opset))
            x.numpy().astype("<f4").tofile(xin)
            if os.path.exists(yout):
                os.unlink(yout)
            r = subprocess.run([tool, path, xin, yout], capture_output=True,
                               text=True)
            label = "%s opset %d" % (name, opset)
            if r.returncode != 0:
                print("FAIL %s: run_model exited %d: %s"
                      % (label, r.returncode, r.stderr.strip()))
                failures += 1
                continue
            got = np.fromfile(yout, dtype="<f4")
            shape = [int(d) for d in r.stdout.split()]
            if list(ref.shape) != shape or got.size != ref.size:
                print("FAIL %s: output shape %s, PyTorch %s"
                      % (label, shape, list(ref.shape)))
                failures += 1
                continue
            got = got.reshape(ref.shape)
            diff = float(np.max(np.abs(got.astype(np.float64) - ref)))
            scale = max(float(np.max(np.abs(ref))), 1e-6)
            rel = diff / scale
            ok = rel <= TOL and np.all(np.isfinite(got))
            print("%s %s: max|diff| %.3g, max|ref| %.3g, rel %.3g (%.1fs)"
                  % ("ok  " if ok else "FAIL", label, diff, scale, rel,
                     time.time() - t0))
            sys.stdout.flush()
            if not ok:
                failures += 1
    print("%d failed" % failures)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
