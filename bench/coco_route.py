"""The route a detection user writes without pycocotools to get arrays out of a COCO set: read the
instances JSON, decode each image with PIL, and build padded arrays with numpy — the same arrays
batchscope's export writes at native size with its defaults (`batchscope export COCO --out OUT`):

- images.npy      uint8 (N, H, W, 3), the `images` array's order;
- boxes.npy       float32 (N, M, 4), [ymin, xmin, ymax, xmax] normalised to the image, padded with 0;
- box_classes.npy int32 (N, M), index of the category id among the sorted ids, padded with -1;
- num_boxes.npy   int32 (N,);
M is the largest annotation count of one image. A box is COCO's [x, y, w, h] in pixels, taken as
[x, y, x + w, y + h] and divided by the image's width and height in float64, then rounded to float32.

Usage: python coco_route.py COCO_DIR OUT_DIR [--split val2017]
(COCO_DIR/annotations/instances_<split>.json and COCO_DIR/<split>/, as bench/coco_fixture.py writes.)
Prints one JSON line: seconds (from reading the JSON to the saved files), images, shapes, boxes.
"""
import argparse
import json
import os
import time

import numpy as np
from PIL import Image


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("coco_dir")
    parser.add_argument("out_dir")
    parser.add_argument("--split", default="val2017")
    args = parser.parse_args()
    start = time.perf_counter()
    with open(os.path.join(args.coco_dir, "annotations", f"instances_{args.split}.json")) as f:
        coco = json.load(f)
    ids = sorted({c["id"] for c in coco["categories"]})
    class_of = {category: index for index, category in enumerate(ids)}
    per_image = {image["id"]: [] for image in coco["images"]}
    for ann in coco["annotations"]:
        if ann["image_id"] in per_image:
            per_image[ann["image_id"]].append(ann)
    n = len(coco["images"])
    m = max((len(anns) for anns in per_image.values()), default=0)
    boxes = np.zeros((n, m, 4), np.float32)
    box_classes = np.full((n, m), -1, np.int32)
    num_boxes = np.zeros(n, np.int32)
    images = None
    for i, image in enumerate(coco["images"]):
        with Image.open(os.path.join(args.coco_dir, args.split, image["file_name"])) as img:
            pixels = np.asarray(img.convert("RGB"))
        if images is None:
            images = np.empty((n,) + pixels.shape, np.uint8)
        images[i] = pixels
        h, w = pixels.shape[:2]
        anns = per_image[image["id"]]
        for k, ann in enumerate(anns):
            x, y, bw, bh = ann["bbox"]
            boxes[i, k] = [y / h, x / w, (y + bh) / h, (x + bw) / w]
            box_classes[i, k] = class_of[ann["category_id"]]
        num_boxes[i] = len(anns)
    os.makedirs(args.out_dir, exist_ok=True)
    for name, array in [("images", images), ("boxes", boxes), ("box_classes", box_classes), ("num_boxes", num_boxes)]:
        np.save(os.path.join(args.out_dir, f"{name}.npy"), array)
    with open(os.path.join(args.out_dir, "class_ids.json"), "w") as f:
        json.dump(ids, f)
    seconds = time.perf_counter() - start
    print(json.dumps({"seconds": seconds, "images": n, "images_shape": list(images.shape),
                      "boxes_shape": list(boxes.shape), "boxes": int(num_boxes.sum())}))


if __name__ == "__main__":
    main()
