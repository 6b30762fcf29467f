"""The geometry reference: what boxes.npy, box_classes.npy, num_boxes.npy and masks.npy must hold
for the parity set (write_geometry_set.py) under each case, computed here from Keras's and
TensorFlow's own definitions, independently of batchscope, and compared with its exports.

- crop (crop_to_aspect_ratio): keras.src.utils.image_utils.smart_resize's centred crop window, in
  float32 as Keras computes it; the window is then resized to the output.
- pad (pad_to_aspect_ratio): tf.image.resize_with_pad's ratio, inner size and offsets, in float32.
- A box follows its pixels: scaled by the window's resize and moved by its offset; one that the crop
  cuts away whole is dropped, one partly cut is clipped to the output.
- Masks: nearest neighbour at pixel centres, src = floor((i + 0.5) * in / out).

Usage: geometry_reference.py DIR CASES_JSON; each case is [folder, height or null, width or null,
fit, format, units]. Prints "checked N exports".
"""
import json
import sys

import numpy as np
from PIL import Image

f32 = np.float32
root, cases = sys.argv[1], json.loads(sys.argv[2])
ann = json.load(open(f"{root}/annotations.json"))
H, W = ann["height"], ann["width"]


def crop_window(h, w, th, tw):
    # smart_resize: crop_height = int(float32(width * target_height) / target_width), ...
    ch = int(f32(w * th) / f32(tw))
    cw = int(f32(h * tw) / f32(th))
    ch, cw = max(min(h, ch), 1), max(min(w, cw), 1)
    return int(f32(h - ch) / f32(2)), int(f32(w - cw) / f32(2)), ch, cw


def pad_window(h, w, th, tw):
    # resize_with_pad: ratio = max(w / tw, h / th) in float32, inner = floor(h / ratio), ...
    fh, fw, fth, ftw = f32(h), f32(w), f32(th), f32(tw)
    ratio = max(fw / ftw, fh / fth)
    rh, rw = fh / ratio, fw / ratio
    top = max(0, int(np.floor((fth - rh) / f32(2))))
    left = max(0, int(np.floor((ftw - rw) / f32(2))))
    return top, left, int(np.floor(rh)), int(np.floor(rw))


def place(box, units, fit, oh, ow):
    x0, y0, x1, y1 = box
    if units == "normalized":
        x0, x1, y0, y1 = x0 * W, x1 * W, y0 * H, y1 * H
    if oh is None or (oh, ow) == (H, W):
        return [x0, y0, x1, y1]
    if fit == "stretch":
        return [x0 * ow / W, y0 * oh / H, x1 * ow / W, y1 * oh / H]
    if fit == "pad":
        top, left, ih, iw = pad_window(H, W, oh, ow)
        return [x0 * iw / W + left, y0 * ih / H + top, x1 * iw / W + left, y1 * ih / H + top]
    top, left, ch, cw = crop_window(H, W, oh, ow)
    x0, x1 = (x0 - left) * ow / cw, (x1 - left) * ow / cw
    y0, y1 = (y0 - top) * oh / ch, (y1 - top) * oh / ch
    if x1 <= 0 or y1 <= 0 or x0 >= ow or y0 >= oh:
        return None
    return [min(max(x0, 0), ow), min(max(y0, 0), oh), min(max(x1, 0), ow), min(max(y1, 0), oh)]


def encode(b, oh, ow, form, units):
    x0, y0, x1, y1 = b
    if units == "normalized":
        x0, x1, y0, y1 = x0 / ow, x1 / ow, y0 / oh, y1 / oh
    return {"yxyx": [y0, x0, y1, x1], "xyxy": [x0, y0, x1, y1], "xywh": [x0, y0, x1 - x0, y1 - y0]}[form]


def nearest(n_in, n_out):
    return np.minimum(np.floor((np.arange(n_out) + 0.5) * n_in / n_out).astype(np.int64), n_in - 1)


def resample(m, oh, ow):
    return m[nearest(m.shape[0], oh)][:, nearest(m.shape[1], ow)]


def mask(m, fit, oh, ow):
    if oh is None or (oh, ow) == (H, W):
        return m
    if fit == "stretch":
        return resample(m, oh, ow)
    if fit == "crop":
        top, left, ch, cw = crop_window(H, W, oh, ow)
        return resample(m[top:top + ch, left:left + cw], oh, ow)
    top, left, ih, iw = pad_window(H, W, oh, ow)
    out = np.zeros((oh, ow), np.uint8)
    out[top:top + ih, left:left + iw] = resample(m, ih, iw)
    return out


# A set without a masks folder (a source's own export, boxes only) is checked without masks.
with_masks = __import__("os").path.isdir(f"{root}/masks")
M = max(len(f["boxes"]) for f in ann["files"])
for folder, oh, ow, fit, form, units in cases:
    out_h, out_w = (H, W) if oh is None else (oh, ow)
    boxes = np.zeros((len(ann["files"]), M, 4), np.float32)
    classes = np.full((len(ann["files"]), M), -1, np.int32)
    counts = np.zeros(len(ann["files"]), np.int32)
    masks = np.zeros((len(ann["files"]), out_h, out_w), np.uint8)
    for i, f in enumerate(ann["files"]):
        for box, c in zip(f["boxes"], f["classes"]):
            placed = place(box, f["units"], fit, oh, ow)
            if placed is not None:
                boxes[i, counts[i]] = encode(placed, out_h, out_w, form, units)
                classes[i, counts[i]] = c
                counts[i] += 1
        if with_masks:
            stored = np.asarray(Image.open(f"{root}/masks/{f['name']}"))
            masks[i] = mask(stored, fit, oh, ow)
    arrays = [("boxes", boxes), ("box_classes", classes), ("num_boxes", counts)]
    if with_masks:
        arrays.append(("masks", masks))
    got = {name: np.load(f"{root}/{folder}/{name}.npy") for name, _ in arrays}
    for name, want in arrays:
        assert got[name].dtype == want.dtype and got[name].shape == want.shape, (folder, name, got[name].dtype, got[name].shape, want.shape)
        if not np.array_equal(got[name], want):
            bad = np.argwhere(got[name] != want)[:5]
            raise SystemExit(f"{folder}/{name}.npy differs at {bad.tolist()}: got {got[name][tuple(bad[0])]!r}, want {want[tuple(bad[0])]!r}")
print(f"checked {len(cases)} exports")
