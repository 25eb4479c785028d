#!/usr/bin/python3
"""An imported torchvision model in dlclassify on a real clip (suite
pipeline).

1. Exports torchvision resnet18 (seeded random weights, nothing is
   downloaded) with torch.onnx.export: an ONNX file without any dl.*
   metadata, plus a labels file of 1000 names.
2. Runs
     gst-launch-1.0 -m filesrc location=vtest.avi ! decodebin ! videoconvert
       ! video/x-raw,format=RGB ! dlclassify model=resnet18.onnx
       labels-file=... color-space=RGB resize=stretch interpolation=bilinear
       mean=0.485,0.456,0.406 std=0.229,0.224,0.225 inference-interval=N
       ! fakesink
   on opencv-doc's vtest.avi (768x576 DivX 3, decoded by gstreamer1.0-libav)
   and collects the dlclassify messages.
3. Decodes the same frames with GStreamer (appsink, python3-gi), applies
   the same preprocessing in PyTorch (bilinear resize with
   align_corners=False and no antialiasing, then mean/std) and runs the
   PyTorch model: for every classified frame the label and label_id must
   be PyTorch's top-1, and each of the top-5 entries of the message must
   be among PyTorch's 5 best with its confidence within 1e-5 of PyTorch's
   softmax probability (ties allowed within that tolerance).

Skipped (77) with a message when python3-torch, python3-gi, the clip or its
decoder are absent. Environment: GST_PLUGIN_PATH_1_0 etc. from meson."""

import os
import re
import subprocess
import sys
import tempfile

SKIP = 77
CLIP = "/usr/share/doc/opencv-doc/examples/data/vtest.avi"
MEAN = (0.485, 0.456, 0.406)
STD = (0.229, 0.224, 0.225)
INTERVAL = 80           # 795 frames: 10 classified
CONF_TOL = 1e-5        # absolute, on probabilities of about 0.02
TOP_K = 5


def skip(why):
    print("SKIP: " + why)
    sys.exit(SKIP)


try:
    import numpy as np
    import torch
    import torch.nn.functional as F
    import torchvision
except ImportError as e:
    skip(f"{e} (apt-get install python3-torch python3-torchvision)")
try:
    import gi
    gi.require_version("Gst", "1.0")
    from gi.repository import Gst
except (ImportError, ValueError) as e:
    skip(f"{e} (apt-get install python3-gi gir1.2-gstreamer-1.0)")

if not os.path.exists(CLIP):
    skip(f"{CLIP} not found (apt-get install opencv-doc)")
Gst.init(None)
if Gst.ElementFactory.find("avdec_msmpeg4") is None:
    skip("no DivX 3 decoder avdec_msmpeg4 for vtest.avi (apt-get install "
         "gstreamer1.0-libav)")


def export(workdir):
    torch.manual_seed(0)
    net = torchvision.models.resnet18(weights=None).eval()
    path = os.path.join(workdir, "resnet18.onnx")
    torch.onnx.export(net, torch.zeros(1, 3, 224, 224), path,
                      input_names=["image"], output_names=["logits"],
                      opset_version=13)
    labels = os.path.join(workdir, "labels.txt")
    with open(labels, "w") as f:
        for i in range(1000):
            f.write(f"class-{i:04d}\n")
    return net, path, labels


DECODE = ("filesrc location={clip} ! decodebin ! videoconvert ! "
          "video/x-raw,format=RGB")

MSG_RE = re.compile(r'from element "dl0" \(element\): dlclassify, '
                    r'timestamp=\(guint64\)(\d+),.*? label=\(string\)'
                    r'"?([^,"]+)"?, label_id=\(uint\)(\d+), '
                    r'confidence=\(double\)([0-9.eE+-]+), top-k=(.*)$')
# the entries of the serialised top-k list of structures
TOPK_RE = re.compile(r'label_id\\=\\\(uint\\\)(\d+)\\,\\ '
                     r'confidence\\=\\\(double\\\)([0-9.eE+-]+)')


def run_gst_launch(model, labels):
    cmd = ("gst-launch-1.0 -m " + DECODE.format(clip=CLIP) +
           f" ! dlclassify name=dl0 model={model} labels-file={labels} "
           "color-space=RGB resize=stretch interpolation=bilinear "
           f"mean={','.join(map(str, MEAN))} std={','.join(map(str, STD))} "
           f"inference-interval={INTERVAL} top-k={TOP_K} ! fakesink")
    print("$ " + cmd)
    r = subprocess.run(cmd, shell=True, capture_output=True, text=True,
                       timeout=240)
    if r.returncode != 0:
        print(r.stdout[-3000:])
        print(r.stderr[-3000:])
        raise SystemExit(f"FAIL: gst-launch-1.0 exited with {r.returncode}")
    results = {}
    for line in r.stdout.splitlines():
        m = MSG_RE.search(line)
        if m:
            topk = [(int(a), float(b)) for a, b in
                    TOPK_RE.findall(m.group(5))]
            results[int(m.group(1))] = (m.group(2), int(m.group(3)),
                                        float(m.group(4)), topk)
    return results


def decoded_frames(timestamps):
    """RGB frames (H, W, 3 uint8) of the clip at @timestamps."""
    pipe = Gst.parse_launch(DECODE.format(clip=CLIP) +
                            " ! appsink name=sink sync=false")
    sink = pipe.get_by_name("sink")
    pipe.set_state(Gst.State.PLAYING)
    frames = {}
    while len(frames) < len(timestamps):
        sample = sink.emit("pull-sample")
        if sample is None:
            break
        buf = sample.get_buffer()
        if buf.pts not in timestamps:
            continue
        s = sample.get_caps().get_structure(0)
        w, h = s.get_value("width"), s.get_value("height")
        ok, info = buf.map(Gst.MapFlags.READ)
        assert ok
        stride = (w * 3 + 3) & ~3
        a = np.frombuffer(info.data, np.uint8)[:stride * h]
        frames[buf.pts] = a.reshape(h, stride)[:, :w * 3].reshape(h, w, 3) \
            .copy()
        buf.unmap(info)
    pipe.set_state(Gst.State.NULL)
    return frames


def reference(net, frame):
    x = torch.from_numpy(frame).permute(2, 0, 1).double().unsqueeze(0) / 255
    x = F.interpolate(x, size=(224, 224), mode="bilinear",
                      align_corners=False, antialias=False)
    mean = torch.tensor(MEAN, dtype=torch.float64).view(1, 3, 1, 1)
    std = torch.tensor(STD, dtype=torch.float64).view(1, 3, 1, 1)
    x = ((x - mean) / std).float()
    with torch.no_grad():
        p = torch.softmax(net(x).double(), dim=1)[0]
    return p.numpy()


def main():
    failures = 0
    with tempfile.TemporaryDirectory(prefix="dl-imported.") as w:
        net, model, labels = export(w)
        results = run_gst_launch(model, labels)
        print(f"{len(results)} dlclassify messages")
        if len(results) < 5:
            print("FAIL: expected at least 5 classified frames")
            return 1
        frames = decoded_frames(set(results))
        if len(frames) != len(results):
            print(f"FAIL: decoded {len(frames)} of {len(results)} frames")
            return 1
        labels_seen = set()
        for ts in sorted(results):
            label, label_id, conf, topk = results[ts]
            p = reference(net, frames[ts])
            order = np.argsort(-p)
            top = int(order[0])
            kth = p[order[TOP_K - 1]]
            # a near tie may go either way in float32
            ok_id = label_id == top or p[label_id] >= p[top] - CONF_TOL
            ok = (ok_id and label == f"class-{label_id:04d}" and
                  abs(conf - p[label_id]) <= CONF_TOL)
            ok_topk = (len(topk) == TOP_K and topk[0][0] == label_id and
                       all(abs(c - p[i]) <= CONF_TOL and c >= kth - CONF_TOL
                           for i, c in topk) and
                       len({i for i, _ in topk}) == TOP_K)
            if not ok_topk:
                print(f"FAIL top-{TOP_K}: dlclassify {topk}, PyTorch "
                      f"{[(int(i), float(p[i])) for i in order[:TOP_K]]}")
            ok = ok and ok_topk
            labels_seen.add(label_id)
            print(("ok   " if ok else "FAIL ") +
                  f"t={ts / 1e9:6.2f}s dlclassify {label} ({label_id}) "
                  f"{conf:.6f}; PyTorch class-{top:04d} {p[top]:.6f}")
            failures += not ok
    print(f"{len(labels_seen)} distinct top-1 labels")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
