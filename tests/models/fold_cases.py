#!/usr/bin/python3
"""Load-time folding of export noise and unsupported-op errors (issue 3).

usage: fold_cases.py RUN_MODEL OUTDIR

Small modules exported with torch.onnx.export whose graphs compute shapes
at run time (Shape -> Gather -> Unsqueeze -> Concat -> Reshape, chunk()
as Slice with computed bounds, Expand folded and at run time), run
through libdlnn (tests/models/run_model) and compared with PyTorch or
numpy; and files libdlnn must refuse with a
message naming the op, the node, the opset (and the attribute). Exit 77
only if torch or onnx cannot be imported.
"""
import os
import subprocess
import sys

try:
    import numpy as np
    import onnx
    from onnx import helper, TensorProto
    import torch
except ImportError as e:  # pragma: no cover
    print("SKIP: python3-torch / python3-onnx not available (%s)" % e)
    sys.exit(77)

failures = 0


def fail(msg):
    global failures
    failures += 1
    print("FAIL " + msg)


class ViewBatch(torch.nn.Module):
    """torchvision's `x.view(x.size(0), -1)` / chunk idiom."""

    def __init__(self, use_batch):
        super().__init__()
        self.conv = torch.nn.Conv2d(3, 4, 3)
        self.use_batch = use_batch

    def forward(self, x):
        y = self.conv(x)
        a, b = y.chunk(2, dim=1)           # Slice with computed bounds
        y = torch.cat([b, a], 1)
        if self.use_batch:
            return y.view(y.size(0), -1)   # Shape(0) -> ... -> Reshape
        return y.reshape(-1, y.size(1) * y.size(2) * y.size(3))


def run(tool, path, x, outdir):
    xin = path + ".x.bin"
    yout = path + ".y.bin"
    x.numpy().astype("<f4").tofile(xin)
    r = subprocess.run([tool, path, xin, yout], capture_output=True,
                       text=True)
    return r, (np.fromfile(yout, dtype="<f4") if r.returncode == 0 else None)


def export_case(tool, outdir, name, model, dynamic, opset):
    path = os.path.join(outdir, "%s-op%d.onnx" % (name, opset))
    kw = {}
    if dynamic:
        kw = dict(input_names=["x"], output_names=["y"],
                  dynamic_axes={"x": {0: "N"}, "y": {0: "N"}})
    torch.onnx.export(model, torch.zeros(1, 3, 8, 8), path,
                      opset_version=opset, **kw)
    ops = {n.op_type for n in onnx.load(path).graph.node}
    return path, ops


def main():
    tool, outdir = sys.argv[1], sys.argv[2]
    os.makedirs(outdir, exist_ok=True)
    torch.manual_seed(5)
    x = torch.randn(1, 3, 8, 8)
    for opset in (13, 17):
        # static batch and dynamic batch with only static dims used: folded
        for name, use_batch, dynamic in (("view-static", True, False),
                                         ("reshape-dynamic", False, True)):
            model = ViewBatch(use_batch).eval()
            path, ops = export_case(tool, outdir, name, model, dynamic, opset)
            label = "%s opset %d" % (name, opset)
            if "Shape" not in ops or "Gather" not in ops:
                fail("%s: export has no Shape/Gather chain (%s): the case "
                     "tests nothing" % (label, sorted(ops)))
                continue
            r, got = run(tool, path, x, outdir)
            if got is None:
                fail("%s: %s" % (label, r.stderr.strip()))
                continue
            with torch.no_grad():
                ref = model(x).numpy()
            rel = float(np.max(np.abs(got.reshape(ref.shape) - ref))) / \
                max(float(np.max(np.abs(ref))), 1e-6)
            if rel > 1e-5:
                fail("%s: rel error %g" % (label, rel))
            else:
                print("ok   %s folded (%s), rel %.2g" % (label,
                                                        sorted(ops), rel))
        # dynamic batch read by Shape/Gather: refused with a reason
        path, ops = export_case(tool, outdir, "view-dynamic",
                                ViewBatch(True).eval(), True, opset)
        r, got = run(tool, path, x, outdir)
        err = r.stderr
        if r.returncode == 0:
            fail("view-dynamic opset %d: loaded, expected an error" % opset)
        elif not ("unsupported op 'Shape'" in err or
                  "unsupported op 'Gather'" in err) or \
                "opset %d" % opset not in err or \
                "depends on a dynamic input dimension" not in err \
                or "node '" not in err:
            fail("view-dynamic opset %d: message %r" % (opset, err))
        else:
            print("ok   view-dynamic opset %d refused: %s"
                  % (opset, err.strip()))

    # hand-made files: unsupported attribute values and ops
    def model_file(name, nodes, inits, opset=13):
        g = helper.make_graph(
            nodes, name,
            [helper.make_tensor_value_info("x", TensorProto.FLOAT,
                                           [1, 3, 4, 4])],
            [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)],
            initializer=inits)
        m = helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)])
        path = os.path.join(outdir, name + ".onnx")
        onnx.save(m, path)
        return path

    ints = lambda n, v: helper.make_tensor(n, TensorProto.INT64, [len(v)], v)

    # Expand: of a constant with a shape computed from x's shape (folded at
    # load time), and of x itself to a constant shape (the runtime op);
    # expected values from numpy broadcasting
    cst = np.random.default_rng(3).standard_normal((3, 1, 1)).astype("f4")
    nodes = [
        helper.make_node("Shape", ["x"], ["s"], name="shp"),
        helper.make_node("Expand", ["c", "s"], ["e"], name="exc"),
        helper.make_node("Expand", ["x", "t"], ["ex"], name="exx"),
        helper.make_node("Mul", ["e", "ex"], ["y"], name="mul")]
    inits = [helper.make_tensor("c", TensorProto.FLOAT, [3, 1, 1],
                                cst.ravel().tolist()),
             ints("t", [2, 1, 1, 1, 4])]
    path = model_file("expand", nodes, inits)
    xe = x[:, :, :4, :4].contiguous()
    r, got = run(tool, path, xe, outdir)
    ref = cst * np.broadcast_to(xe.numpy(), (2, 1, 3, 4, 4))
    if got is None:
        fail("expand: %s" % r.stderr.strip())
    elif got.size != ref.size or \
            float(np.max(np.abs(got.reshape(ref.shape) - ref))) > 1e-6:
        fail("expand: values differ from numpy broadcasting")
    else:
        print("ok   expand folded and run")
    cases = [
        ("pad-wrap", [helper.make_node("Pad", ["x", "p"], ["y"], name="padw",
                                       mode="wrap")],
         [ints("p", [0, 0, 1, 1, 0, 0, 1, 1])],
         ["Pad", "padw", "mode", "wrap", "opset 13"]),
        ("gather-axis", [
            helper.make_node("Shape", ["x"], ["s"], name="shp"),
            helper.make_node("Gather", ["s", "i"], ["g"], name="gat", axis=3),
            helper.make_node("Reshape", ["x", "g"], ["y"], name="rs")],
         [ints("i", [0])], ["Gather", "gat", "axis", "opset 13"]),
        ("einsum", [helper.make_node("Einsum", ["x", "x"], ["y"], name="ein",
                                     equation="ij,jk->ik")],
         [], ["Einsum", "ein", "opset 13"]),
        ("cast-to-double", [
            helper.make_node("Shape", ["x"], ["s"], name="shp"),
            helper.make_node("Cast", ["s"], ["c"], name="cst", to=11),
            helper.make_node("Reshape", ["x", "c"], ["y"], name="rs")],
         [], ["Cast", "cst", "to=11", "opset 13"]),
    ]
    for name, nodes, inits, words in cases:
        path = model_file(name, nodes, inits)
        r, got = run(tool, path, x[:, :, :4, :4].contiguous(), outdir)
        if r.returncode == 0:
            fail("%s: loaded, expected an error" % name)
        elif not all(w in r.stderr for w in words):
            fail("%s: message %r lacks one of %s" % (name, r.stderr, words))
        else:
            print("ok   %s refused: %s" % (name, r.stderr.strip()))
    print("%d failed" % failures)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
