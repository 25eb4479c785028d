#!/usr/bin/python3
"""Render Fashion-MNIST test images into a short video clip with a sidecar.

The clip is the input of the demo (pipelines/demo-fashion-mnist.sh) and of the
pipeline test.  Selection, scaling and timing are deterministic; the encoder is
GStreamer's vp8enc (gstreamer1.0-plugins-good) muxed with webmmux.

  /usr/bin/python3 scripts/make-sample-clip.py            # writes samples/...

Selection: for each of the 10 classes, --per-class items drawn without
replacement from that class's images in the official TEST split with
random.Random(--seed) (Python's Mersenne Twister; its sample() and shuffle()
are stable across Python 3 versions), then the whole list shuffled with the
same generator so that consecutive items usually differ.

Each 28x28 image is scaled up by an integer factor with nearest-neighbour
replication (so an area downscale by the same factor recovers the source
exactly, before compression), written as GRAY8 frames to gst-launch-1.0's
stdin and held for --frames-per-item frames at --fps.  Every item starts on a
key frame (keyframe-max-dist = frames per item).

Sidecar CSV (same prefix, .csv): one row per item
  index,start_ns,end_ns,label_id,label,test_index
where [start_ns, end_ns) is the item's presentation-time range in the clip and
test_index the image's position in t10k-images-idx3-ubyte.

With --verify (default) the finished clip is decoded again through
gst-launch-1.0 and checked: frame count, and the per-pixel error of the
decoded frames (area-downscaled back to 28x28) against the source images.
"""

import argparse
import csv
import gzip
import os
import random
import struct
import subprocess
import sys

import numpy as np

LABELS = [
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
]

DEFAULT_DATA = "/usr/share/datasets/fashion-mnist"
REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_OUTPUT = os.path.join(REPO, "samples", "fashion-mnist-clip")


def fail(msg):
    sys.stderr.write("make-sample-clip: %s\n" % msg)
    sys.exit(1)


def read_idx(path, magic, ndims):
    """Reads a gzipped IDX file, checking magic and sizes; returns ndarray."""
    with gzip.open(path, "rb") as f:
        data = f.read()
    header = 4 + 4 * ndims
    if len(data) < header:
        fail("%s: truncated header" % path)
    got_magic, = struct.unpack(">I", data[:4])
    if got_magic != magic:
        fail("%s: bad magic 0x%08x (want 0x%08x)" % (path, got_magic, magic))
    dims = struct.unpack(">" + "I" * ndims, data[4:header])
    count = 1
    for d in dims:
        if d == 0 or d > 1 << 20:
            fail("%s: absurd dimension %d" % (path, d))
        count *= d
    if len(data) - header != count:
        fail("%s: %d payload bytes, header says %d"
             % (path, len(data) - header, count))
    return np.frombuffer(data, dtype=np.uint8, offset=header).reshape(dims)


def select(labels, per_class, seed):
    rng = random.Random(seed)
    chosen = []
    for c in range(len(LABELS)):
        idx = [int(i) for i in np.flatnonzero(labels == c)]
        if len(idx) < per_class:
            fail("class %d has only %d test images" % (c, len(idx)))
        chosen.extend(rng.sample(idx, per_class))
    rng.shuffle(chosen)
    return chosen


def frame_time_ns(frame, fps_n, fps_d):
    return frame * 1000000000 * fps_d // fps_n


def encode(frames_iter, out_path, size, fps, args):
    # creation-time is pinned so that rerunning the script with the same
    # arguments gives the same bytes (matroska's DateUTC otherwise = now).
    cmd = [
        "gst-launch-1.0", "-q", "-e",
        "fdsrc", "fd=0", "blocksize=%d" % (size * size), "!",
        "rawvideoparse", "width=%d" % size, "height=%d" % size,
        "format=gray8", "framerate=%d/1" % fps, "!",
        "videoconvert", "!", "video/x-raw,format=I420", "!",
        "vp8enc", "end-usage=cq", "cq-level=%d" % args.cq_level,
        "min-quantizer=0", "max-quantizer=%d" % args.max_quantizer,
        "target-bitrate=%d" % args.max_bitrate,
        "keyframe-max-dist=%d" % args.frames_per_item,
        "deadline=0", "threads=1", "lag-in-frames=0", "!",
        "webmmux", "writing-app=gst-dl make-sample-clip",
        "creation-time=2020-06-05T00:00:00Z", "!",
        "filesink", "location=%s" % out_path,
    ]
    proc = subprocess.Popen(cmd, stdin=subprocess.PIPE)
    try:
        for frame in frames_iter:
            proc.stdin.write(frame.tobytes())
        proc.stdin.close()
    except BrokenPipeError:
        pass
    rc = proc.wait()
    if rc != 0:
        fail("gst-launch-1.0 (encode) exited with status %d" % rc)


def decode(path, size):
    cmd = [
        "gst-launch-1.0", "-q", "filesrc", "location=%s" % path, "!",
        "decodebin", "!", "videoconvert", "!",
        "video/x-raw,format=GRAY8,width=%d,height=%d" % (size, size), "!",
        "fdsink", "fd=1",
    ]
    res = subprocess.run(cmd, stdout=subprocess.PIPE, check=False)
    if res.returncode != 0:
        fail("gst-launch-1.0 (decode) exited with status %d" % res.returncode)
    n = len(res.stdout) // (size * size)
    if n * size * size != len(res.stdout):
        fail("decoded %d bytes, not a whole number of frames"
             % len(res.stdout))
    return np.frombuffer(res.stdout, dtype=np.uint8).reshape(n, size, size)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", default=DEFAULT_DATA,
                    help="folder with t10k-*-ubyte.gz (default %(default)s)")
    ap.add_argument("--output", default=DEFAULT_OUTPUT,
                    help="output prefix; writes PREFIX.webm and PREFIX.csv")
    ap.add_argument("--per-class", type=int, default=10)
    ap.add_argument("--seed", type=int, default=2)
    ap.add_argument("--scale", type=int, default=4,
                    help="integer upscale factor (28 * scale pixels square)")
    ap.add_argument("--frames-per-item", type=int, default=5)
    ap.add_argument("--fps", type=int, default=10)
    ap.add_argument("--cq-level", type=int, default=4)
    ap.add_argument("--max-quantizer", type=int, default=12)
    ap.add_argument("--max-bitrate", type=int, default=2000000)
    ap.add_argument("--no-verify", dest="verify", action="store_false")
    args = ap.parse_args()

    if not (1 <= args.per_class <= 1000 and 1 <= args.scale <= 16
            and 1 <= args.frames_per_item <= 100 and 1 <= args.fps <= 120):
        fail("argument out of range")

    images = read_idx(os.path.join(args.data, "t10k-images-idx3-ubyte.gz"),
                      0x00000803, 3)
    labels = read_idx(os.path.join(args.data, "t10k-labels-idx1-ubyte.gz"),
                      0x00000801, 1)
    if images.shape[0] != labels.shape[0] or images.shape[1:] != (28, 28):
        fail("unexpected shapes %s / %s" % (images.shape, labels.shape))
    if labels.max() >= len(LABELS):
        fail("label out of range")

    chosen = select(labels, args.per_class, args.seed)
    size = 28 * args.scale
    fpi = args.frames_per_item
    block = np.ones((args.scale, args.scale), dtype=np.uint8)

    def frames():
        for ti in chosen:
            big = np.kron(images[ti], block)
            for _ in range(fpi):
                yield big

    os.makedirs(os.path.dirname(os.path.abspath(args.output)), exist_ok=True)
    webm = args.output + ".webm"
    tmp = webm + ".tmp.webm"
    encode(frames(), tmp, size, args.fps, args)
    os.replace(tmp, webm)

    rows = []
    for k, ti in enumerate(chosen):
        lid = int(labels[ti])
        rows.append([k, frame_time_ns(k * fpi, args.fps, 1),
                     frame_time_ns((k + 1) * fpi, args.fps, 1),
                     lid, LABELS[lid], ti])
    csv_path = args.output + ".csv"
    with open(csv_path + ".tmp.csv", "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["index", "start_ns", "end_ns", "label_id", "label",
                    "test_index"])
        w.writerows(rows)
    os.replace(csv_path + ".tmp.csv", csv_path)

    nframes = len(chosen) * fpi
    print("wrote %s (%d bytes, %d items x %d frames = %d frames, %dx%d, "
          "%d fps, %.1f s)" % (webm, os.path.getsize(webm), len(chosen), fpi,
                               nframes, size, size, args.fps,
                               nframes / args.fps))
    print("wrote %s" % csv_path)

    if args.verify:
        dec = decode(webm, size)
        if dec.shape[0] != nframes:
            fail("decoded %d frames, expected %d" % (dec.shape[0], nframes))
        src = images[chosen].astype(np.float64)
        # area-downscale every decoded frame back to 28x28
        small = dec.reshape(nframes, 28, args.scale, 28, args.scale)
        small = small.mean(axis=(2, 4)).reshape(len(chosen), fpi, 28, 28)
        err = np.abs(small - src[:, None, :, :])
        print("verify: %d frames decoded; 28x28 abs error mean %.2f, "
              "p99 %.1f, max %.1f (0..255)"
              % (dec.shape[0], err.mean(), np.percentile(err, 99), err.max()))
        if err.mean() > 3.0:
            fail("decoded clip deviates too much from the source images")


if __name__ == "__main__":
    main()
