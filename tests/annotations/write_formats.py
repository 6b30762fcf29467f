"""Writes one detection set in each format batchscope reads (COCO, YOLO, Pascal VOC and, when
TensorFlow is installed, a TF Object Detection API TFRecord), each in its own folder with an
annotations.json beside it stating, for geometry_reference.py, the boxes as that format defines them
(its own numbers turned into corners here, in its own units) and the class index each object must
get. 47x30 (WxH) PNGs, 0-5 objects each, some at the left edge (cut away by a crop).

Usage: write_formats.py DIR  (writes DIR/coco, DIR/yolo, DIR/voc and DIR/tfrecord if it can)
"""
import json
import os
import sys

import numpy as np
from PIL import Image

H, W = 30, 47
root = sys.argv[1]
rng = np.random.default_rng(2025)
names = ["cat", "dog", "fox"]
ids = [1, 2, 5]  # COCO's and the OD API's ids: not contiguous
images = []
for i, count in enumerate([3, 0, 5, 1, 2]):
    pixels = rng.integers(0, 256, (H, W, 3), dtype=np.uint8)
    objects = []
    for _ in range(count):
        x, y = float(np.round(rng.uniform(0, W - 8), 2)), float(np.round(rng.uniform(0, H - 8), 2))
        w, h = float(np.round(rng.uniform(1, W - x), 2)), float(np.round(rng.uniform(1, H - y), 2))
        if rng.integers(0, 3) == 0:
            x, w = 0.5, float(np.round(rng.uniform(1, 5), 2))
        objects.append((int(rng.integers(0, 3)), x, y, w, h))
    images.append((f"i{i}.png", pixels, objects))


def reference(folder, units, boxes_of, class_of):
    files = [{"name": n, "units": units, "boxes": [boxes_of(o) for o in objs],
              "classes": [class_of(o) for o in objs]} for n, _, objs in images]
    with open(f"{folder}/annotations.json", "w") as f:
        json.dump({"height": H, "width": W, "files": files}, f)


def save_images(folder):
    os.makedirs(folder, exist_ok=True)
    for n, pixels, _ in images:
        Image.fromarray(pixels).save(f"{folder}/{n}")


# COCO: [x, y, w, h] pixels; the corners are [x, y, x + w, y + h].
coco = f"{root}/coco"
save_images(f"{coco}/images")
annotations, k = [], 1
for image_id, (n, _, objs) in enumerate(images, start=1):
    for c, x, y, w, h in objs:
        annotations.append({"id": k, "image_id": image_id, "category_id": ids[c], "bbox": [x, y, w, h],
                            "area": w * h, "iscrowd": 0})
        k += 1
with open(f"{coco}/instances_train.json", "w") as f:
    json.dump({"images": [{"id": i, "file_name": n, "width": W, "height": H}
                          for i, (n, _, _) in enumerate(images, start=1)],
               "annotations": annotations,
               "categories": [{"id": ids[c], "name": names[c]} for c in range(3)]}, f)
reference(coco, "pixels", lambda o: [o[1], o[2], o[1] + o[3], o[2] + o[4]], lambda o: o[0])

# YOLO: class cx cy w h, normalised; the corners are [cx - w/2, cy - h/2, cx + w/2, cy + h/2].
yolo = f"{root}/yolo"
save_images(f"{yolo}/images")
os.makedirs(f"{yolo}/labels")
yolo_numbers = {}
for n, _, objs in images:
    lines, numbers = [], []
    for c, x, y, w, h in objs:
        v = [(x + w / 2) / W, (y + h / 2) / H, w / W, h / H]
        lines.append(f"{c} " + " ".join(repr(t) for t in v))
        numbers.append(v)
    yolo_numbers[n] = numbers
    with open(f"{yolo}/labels/{n[:-4]}.txt", "w") as f:
        f.write("\n".join(lines) + ("\n" if lines else ""))
with open(f"{yolo}/classes.txt", "w") as f:
    f.write("\n".join(names) + "\n")
files = [{"name": n, "units": "normalized",
          "boxes": [[cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2] for cx, cy, w, h in yolo_numbers[n]],
          "classes": [o[0] for o in objs]} for n, _, objs in images]
with open(f"{yolo}/annotations.json", "w") as f:
    json.dump({"height": H, "width": W, "files": files}, f)

# Pascal VOC: <bndbox> corners in pixels; classes are the names sorted (these are not VOC's 20).
voc = f"{root}/voc"
save_images(f"{voc}/JPEGImages")
os.makedirs(f"{voc}/Annotations")
for n, _, objs in images:
    xml = "".join(
        f"<object><name>{names[c]}</name><bndbox><xmin>{x!r}</xmin><ymin>{y!r}</ymin>"
        f"<xmax>{x + w!r}</xmax><ymax>{y + h!r}</ymax></bndbox></object>" for c, x, y, w, h in objs)
    with open(f"{voc}/Annotations/{n[:-4]}.xml", "w") as f:
        f.write(f"<annotation><filename>{n}</filename><size><width>{W}</width><height>{H}</height>"
                f"<depth>3</depth></size>{xml}</annotation>")
reference(voc, "pixels", lambda o: [o[1], o[2], o[1] + o[3], o[2] + o[4]], lambda o: o[0])

# TF Object Detection API: normalised float32 corners, class/label the ids, class/text the names.
try:
    import tensorflow as tf
except ImportError:
    tf = None
if tf is not None:
    import io
    rec = f"{root}/tfrecord"
    os.makedirs(rec)
    f32 = np.float32
    files = []
    with tf.io.TFRecordWriter(f"{rec}/train.tfrecord") as writer:
        for n, pixels, objs in images:
            png = io.BytesIO()
            Image.fromarray(pixels).save(png, format="PNG")
            corners = [[f32(x / W), f32(y / H), f32((x + w) / W), f32((y + h) / H)] for _, x, y, w, h in objs]
            feature = {
                "image/encoded": tf.train.Feature(bytes_list=tf.train.BytesList(value=[png.getvalue()])),
                "image/format": tf.train.Feature(bytes_list=tf.train.BytesList(value=[b"png"])),
                "image/height": tf.train.Feature(int64_list=tf.train.Int64List(value=[H])),
                "image/width": tf.train.Feature(int64_list=tf.train.Int64List(value=[W])),
                "image/object/class/label": tf.train.Feature(int64_list=tf.train.Int64List(value=[ids[o[0]] for o in objs])),
                "image/object/class/text": tf.train.Feature(bytes_list=tf.train.BytesList(value=[names[o[0]].encode() for o in objs])),
            }
            for j, key in enumerate(["xmin", "ymin", "xmax", "ymax"]):
                feature[f"image/object/bbox/{key}"] = tf.train.Feature(
                    float_list=tf.train.FloatList(value=[c[j] for c in corners]))
            writer.write(tf.train.Example(features=tf.train.Features(feature=feature)).SerializeToString())
            files.append({"name": n, "units": "normalized",
                          "boxes": [[float(v) for v in c] for c in corners],
                          "classes": [o[0] for o in objs]})
    with open(f"{rec}/annotations.json", "w") as f:
        json.dump({"height": H, "width": W, "files": files}, f)
print("written")
