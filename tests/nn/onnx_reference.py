#!/usr/bin/python3
"""Reference test for libdlnn's ONNX files and executor.

1. onnx_reference_tool builds a small CNN in C (Conv+bias, BatchNormalization
   with random statistics, Relu, MaxPool, Conv, Relu, GlobalAveragePool,
   Flatten, Gemm, Softmax; opset 13; dl.* metadata_props), saves it, and
   runs it with libdlnn on a random batch of 2 (as loaded, and again after
   dlnn_graph_optimize_inference, which folds the BatchNormalization).
2. This script checks the file with onnx.checker.check_model(full_check=True)
   and its metadata, computes the outputs with independent runtimes and
   requires max |libdlnn - reference| <= 1e-4 for every output:
   - ONNX Runtime through onnxruntime-node (npm package; found in
     $DLNN_ORT_NODE_DIR/node_modules, $DLNN_BUILD_ROOT/node/node_modules or
     $DLNN_SOURCE_ROOT/node_modules), run by tests/nn/onnx_reference_ort.js;
   - PyTorch (python3-torch): a small interpreter mapping each ONNX node to
     torch.nn.functional, in float64.
3. With PyTorch present, a model exported by torch.onnx.export is loaded and
   run by libdlnn and compared with PyTorch's own output.

Every available runtime is used; the test is skipped (exit 77) only when
neither is available. Run with /usr/bin/python3 (Debian's numpy, onnx,
torch)."""

import json
import os
import shutil
import subprocess
import sys
import tempfile

SKIP = 77
TOL = 1e-4

try:
    import numpy as np
    import onnx
    from onnx import numpy_helper
except ImportError as e:  # python3-onnx / python3-numpy missing
    print(f"SKIP: {e} (install python3-onnx python3-numpy)")
    sys.exit(SKIP)

try:
    import torch
    import torch.nn.functional as F
except ImportError:
    torch = None

HERE = os.path.dirname(os.path.abspath(__file__))
failures = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failures.append(what)


def run(args, **kw):
    """subprocess.run that shows the command's stderr when it fails."""
    r = subprocess.run(args, capture_output=True, text=True, **kw)
    if r.returncode != 0:
        sys.stderr.write(r.stderr)
        raise RuntimeError(f"{args[0]} {args[1]}: exit status {r.returncode}")
    return r.stdout


def find_ort_node():
    """Directory whose node_modules holds onnxruntime-node, or None."""
    node = shutil.which("node")
    if not node:
        return None, None
    cands = [os.environ.get("DLNN_ORT_NODE_DIR")]
    if os.environ.get("DLNN_BUILD_ROOT"):
        cands.append(os.path.join(os.environ["DLNN_BUILD_ROOT"], "node"))
    if os.environ.get("DLNN_SOURCE_ROOT"):
        cands.append(os.environ["DLNN_SOURCE_ROOT"])
    for c in cands:
        if c and os.path.isfile(os.path.join(
                c, "node_modules", "onnxruntime-node", "package.json")):
            return node, os.path.join(c, "node_modules")
    return node, None


def run_ort(node, node_path, model, x, workdir):
    xfile = os.path.join(workdir, "ort_in.bin")
    x.astype("<f4").tofile(xfile)
    env = dict(os.environ, NODE_PATH=node_path)
    out = run([node, os.path.join(HERE, "onnx_reference_ort.js"), model, xfile,
               workdir] + [str(d) for d in x.shape], env=env)
    res = json.loads(out.strip().splitlines()[-1])
    outs = []
    for i, o in enumerate(res["outputs"]):
        a = np.fromfile(os.path.join(workdir, f"ort{i}.bin"), dtype="<f4")
        outs.append(a.reshape(o["dims"]))
    return outs


# ---- a tiny ONNX interpreter on torch.nn.functional (float64) ----

def attrs_of(node):
    return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}


def sym_pads(pads, what):
    n = len(pads) // 2
    if list(pads[:n]) != list(pads[n:]):
        raise NotImplementedError(f"{what}: asymmetric pads {pads}")
    return list(pads[:n])


def torch_run(model, x):
    g = model.graph
    env = {t.name: torch.from_numpy(numpy_helper.to_array(t).copy())
           for t in g.initializer}
    for k, v in list(env.items()):
        if v.dtype == torch.float32:
            env[k] = v.double()
    env[g.input[0].name] = torch.from_numpy(x).double()
    for node in g.node:
        a = attrs_of(node)
        i = [env[n] if n else None for n in node.input]
        op = node.op_type
        if a.get("auto_pad", b"NOTSET") not in (b"NOTSET", "NOTSET"):
            raise NotImplementedError(f"{op}: auto_pad")
        if op == "Constant":
            y = torch.from_numpy(numpy_helper.to_array(a["value"]).copy())
            y = y.double() if y.dtype == torch.float32 else y
        elif op == "Conv":
            k = len(i[1].shape) - 2
            y = F.conv2d(i[0], i[1], i[2] if len(i) > 2 else None,
                         stride=a.get("strides", [1] * k),
                         padding=sym_pads(a.get("pads", [0] * 2 * k), op),
                         dilation=a.get("dilations", [1] * k),
                         groups=a.get("group", 1))
        elif op == "BatchNormalization":
            y = F.batch_norm(i[0], i[3], i[4], i[1], i[2], training=False,
                             eps=a.get("epsilon", 1e-5))
        elif op == "Relu":
            y = F.relu(i[0])
        elif op == "LeakyRelu":
            y = F.leaky_relu(i[0], a.get("alpha", 0.01))
        elif op == "Sigmoid":
            y = torch.sigmoid(i[0])
        elif op == "Tanh":
            y = torch.tanh(i[0])
        elif op == "MaxPool":
            k = a["kernel_shape"]
            y = F.max_pool2d(i[0], k, stride=a.get("strides", [1] * len(k)),
                             padding=sym_pads(a.get("pads", [0] * 2 * len(k)),
                                              op),
                             dilation=a.get("dilations", [1] * len(k)),
                             ceil_mode=bool(a.get("ceil_mode", 0)))
        elif op == "AveragePool":
            k = a["kernel_shape"]
            y = F.avg_pool2d(i[0], k, stride=a.get("strides", [1] * len(k)),
                             padding=sym_pads(a.get("pads", [0] * 2 * len(k)),
                                              op),
                             ceil_mode=bool(a.get("ceil_mode", 0)),
                             count_include_pad=bool(
                                 a.get("count_include_pad", 0)))
        elif op == "GlobalAveragePool":
            y = i[0].mean(dim=tuple(range(2, i[0].dim())), keepdim=True)
        elif op == "GlobalMaxPool":
            y = i[0].amax(dim=tuple(range(2, i[0].dim())), keepdim=True)
        elif op == "Flatten":
            ax = a.get("axis", 1)
            ax = ax + i[0].dim() if ax < 0 else ax
            lead = int(np.prod(i[0].shape[:ax])) if ax else 1
            y = i[0].reshape(lead, -1)
        elif op == "Reshape":
            shape = [int(s) for s in i[1].tolist()]
            shape = [i[0].shape[d] if s == 0 else s
                     for d, s in enumerate(shape)]
            y = i[0].reshape(shape)
        elif op == "Gemm":
            A = i[0].t() if a.get("transA", 0) else i[0]
            B = i[1].t() if a.get("transB", 0) else i[1]
            y = a.get("alpha", 1.0) * (A @ B)
            if len(i) > 2 and i[2] is not None:
                y = y + a.get("beta", 1.0) * i[2]
        elif op == "MatMul":
            y = i[0] @ i[1]
        elif op == "Add":
            y = i[0] + i[1]
        elif op == "Softmax":
            y = F.softmax(i[0], dim=a.get("axis", -1))
        elif op == "LogSoftmax":
            y = F.log_softmax(i[0], dim=a.get("axis", -1))
        elif op in ("Dropout", "Identity"):
            y = i[0]
        else:
            raise NotImplementedError(f"op {op}")
        env[node.output[0]] = y
    return [env[o.name].numpy() for o in g.output]


# ---- libdlnn ----

def run_dlnn(tool, model, x, workdir, optimize):
    xfile = os.path.join(workdir, "dlnn_in.bin")
    x.astype("<f4").tofile(xfile)
    args = [tool, "run", model, xfile, workdir]
    if optimize:
        args.append("optimize")
    out = run(args + [str(d) for d in x.shape])
    outs = []
    for i, line in enumerate(out.strip().splitlines()):
        dims = [int(d) for d in line.split()[1:]]
        a = np.fromfile(os.path.join(workdir, f"out{i}.bin"), dtype="<f4")
        outs.append(a.reshape(dims))
    return outs


def compare(what, got, ref):
    check(len(got) == len(ref), f"{what}: {len(got)} outputs")
    for k, (a, b) in enumerate(zip(got, ref)):
        if a.shape != b.shape:
            check(False, f"{what}: output {k} shape {a.shape} vs {b.shape}")
            continue
        diff = float(np.max(np.abs(a.astype(np.float64) - b)))
        check(diff <= TOL and np.all(np.isfinite(a)),
              f"{what}: output {k} {list(a.shape)} max|diff| = {diff:.3g}")


def check_model_file(path, labels3="three", image_prefix="color=rgb;width=16"):
    model = onnx.load(path)
    try:
        onnx.checker.check_model(model, full_check=True)
        check(True, "onnx.checker.check_model(full_check=True)")
    except Exception as e:  # noqa: BLE001 - report any checker error
        check(False, f"onnx.checker.check_model: {e}")
    check(model.ir_version == 8, f"ir_version {model.ir_version}")
    ops = {o.domain: o.version for o in model.opset_import}
    check(ops.get("", 0) == 13, f"opset_import {ops}")
    meta = {p.key: p.value for p in model.metadata_props}
    check(meta.get("dl.task") == "classify", "dl.task metadata")
    labels = json.loads(meta.get("dl.labels", "null"))
    check(isinstance(labels, list) and len(labels) == 10
          and labels[3] == labels3, "dl.labels is a JSON array of 10")
    check(meta.get("dl.image", "").startswith(image_prefix),
          "dl.image metadata")
    inferred = onnx.shape_inference.infer_shapes(model, strict_mode=True)
    dims = [d.dim_param or d.dim_value for d in
            inferred.graph.output[0].type.tensor_type.shape.dim]
    check(dims == ["N", 10], f"output shape {dims}")
    return model


def torch_export_case(tool, workdir):
    """A model made by torch.onnx.export runs in libdlnn as in PyTorch."""
    torch.manual_seed(5)

    class Net(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.c1 = torch.nn.Conv2d(1, 6, 3, padding=1)
            self.bn = torch.nn.BatchNorm2d(6)
            self.c2 = torch.nn.Conv2d(6, 12, 3, stride=2)
            self.fc = torch.nn.Linear(12 * 3 * 3, 10)

        def forward(self, x):
            x = F.max_pool2d(F.relu(self.bn(self.c1(x))), 2)
            x = F.leaky_relu(self.c2(x), 0.1)
            return F.softmax(self.fc(torch.flatten(x, 1)), dim=1)

    net = Net()
    with torch.no_grad():
        net.bn.running_mean.uniform_(-0.5, 0.5)
        net.bn.running_var.uniform_(0.5, 2.0)
        net.bn.weight.uniform_(0.5, 1.5)
        net.bn.bias.uniform_(-0.3, 0.3)
    net.eval()
    x = torch.randn(3, 1, 16, 16)
    path = os.path.join(workdir, "torch.onnx")
    torch.onnx.export(net, x, path, opset_version=13, input_names=["x"],
                      output_names=["y"],
                      dynamic_axes={"x": {0: "batch"}, "y": {0: "batch"}})
    with torch.no_grad():
        ref = net(x).double().numpy()
    got = run_dlnn(tool, path, x.numpy(), workdir, optimize=False)
    compare("torch.onnx.export model, libdlnn vs PyTorch", got, [ref])


def trained_model_case(tool, workdir, node, node_path):
    """The shipped model, trained by dltrain, on real Fashion-MNIST test
    images: onnx.checker, then libdlnn vs ONNX Runtime and PyTorch."""
    root = os.environ.get("DLNN_SOURCE_ROOT",
                          os.path.join(HERE, "..", ".."))
    path = os.path.join(root, "samples", "models", "fashion-mnist.onnx")
    images = "/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz"
    if not os.path.exists(path) or not os.path.exists(images):
        print(f"note: {path} or {images} missing; trained-model case skipped")
        return
    model = check_model_file(path, labels3="Dress",
                             image_prefix="color=gray;width=28;height=28")
    meta = {p.key: p.value for p in model.metadata_props}
    img = dict(kv.split("=") for kv in meta["dl.image"].split(";"))
    import gzip
    with gzip.open(images, "rb") as f:
        raw = np.frombuffer(f.read(), dtype=np.uint8)[16:]
    x = raw[:8 * 784].reshape(8, 1, 28, 28).astype(np.float64)
    x = (x * float(img["scale"]) - float(img["mean"])) / float(img["std"])
    x = x.astype(np.float32)
    got = {opt: run_dlnn(tool, path, x, workdir, opt) for opt in (False, True)}
    refs = {}
    if node_path:
        refs["ONNX Runtime"] = run_ort(node, node_path, path, x, workdir)
    if torch is not None:
        refs["PyTorch interpreter"] = torch_run(model, x)
    for name, ref in refs.items():
        for opt, out in got.items():
            compare(f"trained model, libdlnn{' (BN folded)' if opt else ''}"
                    f" vs {name}", out, ref)


def main():
    if len(sys.argv) != 2:
        print("usage: onnx_reference.py ONNX_REFERENCE_TOOL")
        return 2
    tool = sys.argv[1]
    node, node_path = find_ort_node()
    if not node_path and torch is None:
        print("SKIP: no independent ONNX runtime found: neither "
              "onnxruntime-node (npm; see tests/nn/onnx_reference.py) "
              "nor python3-torch")
        return SKIP

    with tempfile.TemporaryDirectory(prefix="dlnn-ref-") as workdir:
        run([tool, "gen", workdir])
        path = os.path.join(workdir, "model.onnx")
        model = check_model_file(path)
        x = np.fromfile(os.path.join(workdir, "x.bin"),
                        dtype="<f4").reshape(2, 3, 16, 16)
        dlnn = {False: run_dlnn(tool, path, x, workdir, False),
                True: run_dlnn(tool, path, x, workdir, True)}
        refs = {}
        if node_path:
            refs["ONNX Runtime (onnxruntime-node)"] = run_ort(
                node, node_path, path, x, workdir)
        else:
            print("note: onnxruntime-node not found; comparing with "
                  "PyTorch only")
        if torch is not None:
            refs["PyTorch interpreter"] = torch_run(model, x)
        else:
            print("note: python3-torch not found; comparing with ONNX "
                  "Runtime only")
        for name, ref in refs.items():
            for opt, got in dlnn.items():
                compare(f"libdlnn{' (BN folded)' if opt else ''} vs {name}",
                        got, ref)
        # the softmax output really is a distribution (guards against
        # comparing two equally wrong things)
        check(np.allclose(dlnn[False][0].sum(axis=1), 1.0, atol=1e-5),
              "softmax rows sum to 1")
        spread = float(np.min(np.ptp(dlnn[False][1], axis=1)))
        check(spread > 0.05, f"logits vary within each row ({spread:.3g})")
        if torch is not None:
            torch_export_case(tool, workdir)
        trained_model_case(tool, workdir, node, node_path)

    n_fail = len(failures)
    print(f"{n_fail} failed" if n_fail else "all checks passed")
    return 1 if n_fail else 0


if __name__ == "__main__":
    sys.exit(main())
