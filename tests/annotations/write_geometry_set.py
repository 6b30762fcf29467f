"""Writes the geometry parity set: 47x30 (WxH) RGB images, one-channel class-map masks beside
them, and annotations.json stating each image's boxes (in pixels or normalised) and classes.

Usage: write_geometry_set.py DIR  (writes DIR/images, DIR/masks, DIR/annotations.json)
"""
import json
import os
import sys

import numpy as np
from PIL import Image

H, W = 30, 47
root = sys.argv[1]
rng = np.random.default_rng(25)
os.makedirs(f"{root}/images")
os.makedirs(f"{root}/masks")
files = []
for i, count in enumerate([3, 0, 5, 1, 2]):
    name = f"i{i}.png"
    Image.fromarray(rng.integers(0, 256, (H, W, 3), dtype=np.uint8)).save(f"{root}/images/{name}")
    Image.fromarray(rng.integers(0, 4, (H, W), dtype=np.uint8), mode="L").save(f"{root}/masks/{name}")
    units = "pixels" if i % 2 == 0 else "normalized"
    boxes = []
    for _ in range(count):
        # Anywhere in the image, some of them at its left or right edge (cut away by a crop).
        x0, x1 = np.sort(rng.uniform(0, W, 2))
        y0, y1 = np.sort(rng.uniform(0, H, 2))
        if rng.integers(0, 3) == 0:
            x0, x1 = 0.5, rng.uniform(1, 6)
        if units == "normalized":
            x0, x1, y0, y1 = x0 / W, x1 / W, y0 / H, y1 / H
        boxes.append([float(x0), float(y0), float(x1), float(y1)])
    files.append({
        "name": name,
        "units": units,
        "boxes": boxes,
        "classes": [int(c) for c in rng.integers(0, 3, count)],
        "mask": f"../masks/{name}",
    })
with open(f"{root}/annotations.json", "w") as f:
    json.dump({"height": H, "width": W, "files": files}, f)
